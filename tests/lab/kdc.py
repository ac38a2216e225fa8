"""A real MIT Kerberos KDC for the lab (Debian's krb5-kdc), on a free loopback port, in a directory of its own.

Never the system's /etc/krb5kdc or /etc/krb5.conf: the KDC reads the kdc.conf written here (KRB5_KDC_PROFILE) and
every Kerberos client and acceptor of the lab's process reads the krb5.conf written here (KRB5_CONFIG), which maps
the realm to that port and turns off DNS canonicalization and reverse lookups, since every simulated host is
127.0.0.1. The acceptor finds its service keys in the keytab written here (KRB5_KTNAME).

KRB5_CONFIG and KRB5_KTNAME are process-wide, so :class:`KerberosRealms` runs one KDC per realm per process and
shares it, counted, between the labs that ask for it; a second realm while one runs is refused with a clear error.
"""

from __future__ import annotations

import atexit
import glob
import os
import secrets
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

SBIN_DIRS = ("/usr/sbin", "/sbin", "/usr/local/sbin")
# apt packages that bring these programs; tools/apt-packages.txt installs them (tools/venv.sh).
PROGRAMS = {"krb5kdc": "krb5-kdc", "kdb5_util": "krb5-kdc", "kadmin.local": "krb5-admin-server"}
ENCTYPES = "aes256-cts-hmac-sha1-96:normal aes128-cts-hmac-sha1-96:normal"
# libfaketime (Debian's libfaketime, bindep.txt) shifts the KDC's clock for the clock skew tests: LD_PRELOADed.
FAKETIME_LIBS = ("/usr/lib/*/faketime/libfaketime.so.1", "/usr/lib/faketime/libfaketime.so.1")
# A date kadmin.local takes for "-pwexpire": any past one expires the password now.
PAST = "2000-01-01 00:00:00 UTC"
# Windows domain controllers require pre-authentication, and it makes a wrong password a clear KDC error.
USER_FLAGS = "+requires_preauth"


class KdcError(RuntimeError):
    """The lab's KDC could not be set up; the message says what to install or fix."""


def program(name: str) -> str:
    """The path of a KDC program, or KdcError naming the apt package that brings it."""
    found = shutil.which(name) or shutil.which(name, path=os.pathsep.join(SBIN_DIRS))
    if found is None:
        raise KdcError(
            f"{name} not found: the lab's Kerberos needs the Debian package {PROGRAMS[name]} "
            "(tools/venv.sh installs tools/apt-packages.txt when run as root)"
        )
    return found


def free_port() -> int:
    """A port free on 127.0.0.1 for both TCP and UDP (the KDC listens on both)."""
    for _attempt in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp:
            tcp.bind(("127.0.0.1", 0))
            port = tcp.getsockname()[1]
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
                try:
                    udp.bind(("127.0.0.1", port))
                except OSError:
                    continue
                return int(port)
    raise KdcError("no free loopback port for the KDC")


def faketime_library() -> str:
    """The path of libfaketime, or KdcError naming the apt package that brings it."""
    for pattern in FAKETIME_LIBS:
        found = sorted(glob.glob(pattern))
        if found:
            return found[0]
    raise KdcError(
        "libfaketime not found: a KDC with a shifted clock needs the Debian package libfaketime "
        "(tools/system-packages.sh installs bindep.txt's packages when run as root)"
    )


def _safe_password(password: str) -> None:
    # kadmin's command parser takes the password inside double quotes: nothing may end the quoted word.
    if not password or any(c in password for c in '"\n\r\\'):
        raise KdcError(
            "a lab account's password for Kerberos must be non-empty without double quote, backslash or line break"
        )


@dataclass
class Kdc:
    """One realm's KDC: database, stash, kdc.conf, krb5.conf and keytab under ``directory``."""

    realm: str
    domains: list[str]
    directory: Path
    port: int = 0
    users: dict[str, str] = field(default_factory=dict)  # principal name (no realm) -> password
    services: set[str] = field(default_factory=set)  # "HTTP/host.fqdn" in the keytab
    clock_offset: int = 0  # seconds the KDC's clock is ahead of the real one (libfaketime), for clock skew tests
    _process: subprocess.Popen | None = None

    @property
    def keytab(self) -> Path:
        return self.directory / "lab.keytab"

    @property
    def krb5_conf(self) -> Path:
        return self.directory / "krb5.conf"

    @property
    def kdc_conf(self) -> Path:
        return self.directory / "kdc.conf"

    @property
    def log_path(self) -> Path:
        return self.directory / "kdc.log"

    def env(self) -> dict[str, str]:
        """The variables a Kerberos client or acceptor of this realm needs (a subprocess gets them too)."""
        return {
            "KRB5_CONFIG": str(self.krb5_conf),
            "KRB5_KTNAME": f"FILE:{self.keytab}",
            "KRB5_KDC_PROFILE": str(self.kdc_conf),
        }

    # -- lifecycle ---------------------------------------------------------------------------------------------
    def start(self) -> Kdc:
        self.directory.mkdir(parents=True, exist_ok=True)
        self.port = self.port or free_port()
        self._write_configs()
        master = secrets.token_urlsafe(24)
        self._run([program("kdb5_util"), "create", "-s", "-r", self.realm, "-P", master], "create the database")
        self._spawn()
        return self

    def restart(self, clock_offset: int = 0) -> None:
        """The same database and port, the KDC's clock ``clock_offset`` seconds ahead of the real one (0: the real
        clock): a controller whose clock differs from the domain's, as the KDC sees it."""
        self.stop()
        self.clock_offset = clock_offset
        self._spawn()

    def _spawn(self) -> None:
        env = self._env()
        if self.clock_offset:
            # The monotonic clock stays real: krb5kdc's event loop times its work with it.
            env.update(
                LD_PRELOAD=faketime_library(), FAKETIME=f"{self.clock_offset:+d}", FAKETIME_DONT_FAKE_MONOTONIC="1"
            )
        with open(self.directory / "krb5kdc.err", "wb") as err:  # the child keeps its own copy of the descriptor
            self._process = subprocess.Popen(
                [program("krb5kdc"), "-n", "-r", self.realm],
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=err,
            )
        self._wait_listening()

    def stop(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait(timeout=5)
        self._process = None

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def _wait_listening(self, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process is not None and self._process.poll() is not None:
                err = (self.directory / "krb5kdc.err").read_text(errors="replace")[-800:]
                raise KdcError(f"krb5kdc for {self.realm} exited ({self._process.returncode}): {err.strip()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise KdcError(f"krb5kdc for {self.realm} did not listen on 127.0.0.1:{self.port} within {timeout:.0f} s")

    # -- principals --------------------------------------------------------------------------------------------
    def ensure(self, users: dict[str, str], services: list[str]) -> None:
        """Users with these passwords (added, or their password changed) and service principals in the keytab
        (added once: a second ktadd would change the key under a running acceptor)."""
        commands: list[str] = []
        for name, password in sorted(users.items()):
            _safe_password(password)
            if name in self.users:
                if self.users[name] != password:
                    commands.append(f'cpw -pw "{password}" {name}')
            else:
                commands.append(f'addprinc -clearpolicy {USER_FLAGS} -pw "{password}" {name}')
        new_services = sorted(set(services) - self.services)
        for spn in new_services:
            commands.append(f"addprinc -clearpolicy -randkey {spn}")
            commands.append(f"ktadd -k {self.keytab} {spn}")
        if commands:
            self._kadmin(commands, secrets_=tuple(users.values()))
        self.users.update(users)
        self.services.update(new_services)

    def expire_password(self, user: str, expired: bool = True) -> None:
        """The user's password expired in the past (the KDC then refuses its logons), or never expires again."""
        if user not in self.users:
            raise KdcError(f"{user} is no user of the lab's realm {self.realm}")
        when = f'"{PAST}"' if expired else "never"
        self._kadmin([f"modprinc -pwexpire {when} {user}"], secrets_=())

    def client_config_without_timesync(self) -> str:
        """A KRB5_CONFIG value for a client that sends its own clock's time: a file of its own turning kdc_timesync
        off, read before this realm's krb5.conf. MIT's client by default (kdc_timesync on) makes up for a skew with
        the KDC's time (kinit gets a ticket from a KDC an hour ahead), so the KDC's skew check never fails."""
        extra = self.directory / "no-timesync.conf"
        extra.write_text(
            "# Written by the lab (tests/lab/kdc.py) for clock skew tests: the client's own clock, as is.\n"
            "[libdefaults]\n"
            " kdc_timesync = 0\n",
            encoding="utf-8",
        )
        return f"{extra}{os.pathsep}{self.krb5_conf}"

    def _kadmin(self, commands: list[str], secrets_: tuple[str, ...]) -> None:
        # Commands go on stdin, never argv (passwords). kadmin.local echoes them on stdout: stdout is never shown.
        proc = subprocess.run(
            [program("kadmin.local"), "-r", self.realm],
            input="\n".join(commands) + "\n",
            env=self._env(),
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        errors = [line for line in proc.stderr.splitlines() if line.strip() and not line.startswith("No policy")]
        if proc.returncode != 0 or errors:
            text = "; ".join(errors) or f"exit code {proc.returncode}"
            for secret in secrets_:
                text = text.replace(secret, "********")
            raise KdcError(f"kadmin.local for {self.realm} failed: {text}")

    # -- files ---------------------------------------------------------------------------------------------------
    def _env(self) -> dict[str, str]:
        return dict(os.environ, **self.env())

    def _run(self, argv: list[str], what: str) -> None:
        proc = subprocess.run(
            argv, env=self._env(), stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60, check=False
        )
        if proc.returncode != 0:
            raise KdcError(f"{what} for {self.realm} failed: {proc.stderr.strip()[-800:]}")

    def _write_configs(self) -> None:
        d = self.directory
        self.kdc_conf.write_text(
            "[kdcdefaults]\n"
            f" kdc_listen = 127.0.0.1:{self.port}\n"
            f" kdc_tcp_listen = 127.0.0.1:{self.port}\n"
            "[realms]\n"
            f" {self.realm} = {{\n"
            f"  database_name = {d / 'principal'}\n"
            f"  key_stash_file = {d / 'stash'}\n"
            f"  acl_file = {d / 'kadm5.acl'}\n"
            f"  supported_enctypes = {ENCTYPES}\n"
            "  max_life = 10h 0m 0s\n"
            "  max_renewable_life = 7d 0h 0m 0s\n"
            " }\n"
            "[logging]\n"
            f" kdc = FILE:{self.log_path}\n",
            encoding="utf-8",
        )
        (d / "kadm5.acl").write_text("", encoding="utf-8")
        mapping = "".join(f" .{dom} = {self.realm}\n {dom} = {self.realm}\n" for dom in self.domains)
        self.krb5_conf.write_text(
            "# Written by the lab (tests/lab/kdc.py): every host is 127.0.0.1, so names are taken as given.\n"
            "[libdefaults]\n"
            f" default_realm = {self.realm}\n"
            " dns_lookup_kdc = false\n"
            " dns_lookup_realm = false\n"
            " dns_canonicalize_hostname = false\n"
            " rdns = false\n"
            " udp_preference_limit = 1\n"
            " forwardable = true\n"
            "[realms]\n"
            f" {self.realm} = {{\n"
            f"  kdc = 127.0.0.1:{self.port}\n"
            " }\n"
            "[domain_realm]\n" + mapping,
            encoding="utf-8",
        )


class KerberosRealms:
    """The process's KDCs: one per realm, shared by the labs that use it, stopped when the last one releases it."""

    _lock = threading.Lock()
    _kdcs: dict[str, Kdc] = {}
    _users: dict[str, int] = {}
    _saved_env: dict[str, str | None] = {}

    @classmethod
    def acquire(cls, realm: str, domains: list[str], users: dict[str, str], services: list[str]) -> Kdc:
        realm = realm.upper()
        with cls._lock:
            kdc = cls._kdcs.get(realm)
            if kdc is None:
                other = next(iter(cls._kdcs), None)
                if other is not None:
                    raise KdcError(
                        f"the lab runs one Kerberos realm per process: {other} is running, {realm} was "
                        "asked for (KRB5_CONFIG and KRB5_KTNAME are process-wide)"
                    )
                kdc = Kdc(realm, [d.lower() for d in domains], Path(tempfile.mkdtemp(prefix="cmlab-kdc-")))
                try:
                    kdc.start()
                except BaseException:
                    kdc.stop()
                    shutil.rmtree(kdc.directory, ignore_errors=True)
                    raise
                cls._kdcs[realm] = kdc
                cls._users[realm] = 0
                atexit.register(kdc.stop)  # a process that never stopped its labs leaves no KDC behind
                cls._saved_env = {name: os.environ.get(name) for name in kdc.env()}
                os.environ.update(kdc.env())
            kdc.ensure(users, services)
            cls._users[realm] += 1
            return kdc

    @classmethod
    def release(cls, realm: str) -> None:
        realm = realm.upper()
        with cls._lock:
            if realm not in cls._kdcs:
                return
            cls._users[realm] -= 1
            if cls._users[realm] > 0:
                return
            kdc = cls._kdcs.pop(realm)
            del cls._users[realm]
            kdc.stop()
            for name, value in cls._saved_env.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value
            shutil.rmtree(kdc.directory, ignore_errors=True)
