"""Orchestration: a scenario becomes a world, one WinRM endpoint per simulated host, an inventory and a control API.

Usage from Python (pytest fixtures)::

    with Lab("hierarchy") as lab:
        lab.connection("cas01.contoso.com")      # pypsrp WSMan keyword arguments
        lab.advance(120)
        lab.state()["hosts"]

From the shell: ``python -m tests.lab serve --scenario hierarchy --inventory inventory.yml``.

Kerberos (``auth="kerberos"``, ``kerberos=True`` or ``kerberos: true`` in the scenario) starts a real MIT KDC for the
scenario's domain (tests/lab/kdc.py); the inventory then logs on with the user's UPN and names each host's SPN with
``negotiate_hostname_override``, since every host is 127.0.0.1. ``auth="credssp"`` turns CredSSP on at every host's
listener (``credssp=`` for another client auth) and the inventory logs on with it (pyspnego's acceptor).
"""

from __future__ import annotations

import shutil
import tempfile
import threading
from pathlib import Path
from typing import Any

import yaml

from tests.lab.backend import LabBackend
from tests.lab.control import ControlServer
from tests.lab.kdc import Kdc, KerberosRealms
from tests.lab.world.clock import Clock
from tests.lab.world.scenario import scenario_start
from tests.lab.world.world import World
from tests.lab.wsman.certs import make_pki
from tests.lab.wsman.server import EndpointConfig, WSManServer

BACKSLASH = "\\"
SCENARIO_DIR = Path(__file__).resolve().parent / "world" / "scenarios"


def scenario_names() -> list[str]:
    return sorted(p.stem for p in SCENARIO_DIR.glob("*.yaml"))


def load_scenario(name_or_path: str | Path | dict[str, Any]) -> dict[str, Any]:
    """A shipped scenario by name, a YAML file by path, or the parsed data itself."""
    if isinstance(name_or_path, dict):
        return name_or_path
    path = Path(name_or_path)
    if not path.suffix:
        path = SCENARIO_DIR / f"{name_or_path}.yaml"
    if not path.is_file():
        raise FileNotFoundError(f"scenario {name_or_path!r} not found (shipped: {', '.join(scenario_names())})")
    with path.open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)


class Lab:
    """A running lab. ``scale`` None keeps simulated time still until :meth:`advance`;
    a number runs it that many simulated seconds per real second."""

    def __init__(
        self,
        scenario: str | Path | dict[str, Any] = "standalone-primary",
        *,
        scale: float | None = None,
        https: bool = True,
        auth: str = "ntlm",
        cert_auth: bool = False,
        workdir: str | Path | None = None,
        max_poll: float = 20.0,
        fault_hold: float = 35.0,
        kerberos: bool | None = None,
        credssp: bool | None = None,
    ) -> None:
        self.data = load_scenario(scenario)
        self.scale = scale
        self.https = https
        self.auth = auth
        self.kerberos = (bool(self.data.get("kerberos")) or auth == "kerberos") if kerberos is None else kerberos
        self.kdc: Kdc | None = None
        self._own_workdir = workdir is None
        self.workdir = Path(workdir or tempfile.mkdtemp(prefix="cmlab-"))
        self.workdir.mkdir(parents=True, exist_ok=True)
        # The clock starts at the controller's UTC now unless the scenario pins it (clock: {start: ...}).
        self.world = World.from_scenario(self.data, Clock(start=scenario_start(self.data), scale=scale))
        self.backend = LabBackend(self.world)
        self.pki = make_pki(str(self.workdir / "pki"), list(self.world.hosts))
        self.endpoints = [
            EndpointConfig(
                name=fqdn,
                https=https,
                certs=self.pki if https else None,
                cert_auth=cert_auth and https,
                # WinRM's Service/Auth/CredSSP: on for a CredSSP lab (Enable-WSManCredSSP -Role Server on each host)
                credssp=auth == "credssp" if credssp is None else credssp,
                max_poll=max_poll,
                fault_hold=fault_hold,
            )
            for fqdn in self.world.hosts
        ]
        self.server = WSManServer(self.backend, self.endpoints)
        self.control = ControlServer(self)
        self.ports: dict[str, int] = {}
        self._ticker: threading.Thread | None = None
        self._stop = threading.Event()

    # -- lifecycle ---------------------------------------------------------------------------------------------
    def start(self) -> Lab:
        if self.kerberos:
            spns = [f"{service}/{fqdn}" for fqdn in self.world.hosts for service in ("HTTP", "host")]
            self.kdc = KerberosRealms.acquire(self.realm, [self.domain_dns], self.kerberos_users(), spns)
        try:
            self.ports = dict(self.server.start())
        except BaseException:
            self._release_kdc()
            raise
        self.control.start()
        if self.scale is not None:
            self._ticker = threading.Thread(target=self._tick, name="lab-clock", daemon=True)
            self._ticker.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._ticker is not None:
            self._ticker.join(timeout=5)
        self.control.stop()
        self.server.stop()
        self._release_kdc()
        if self._own_workdir:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self) -> Lab:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _release_kdc(self) -> None:
        if self.kdc is not None:
            KerberosRealms.release(self.realm)
            self.kdc = None

    def _tick(self) -> None:
        while not self._stop.wait(0.05):
            self.world.tick()

    # -- who connects how ------------------------------------------------------------------------------------
    @property
    def control_url(self) -> str:
        return self.control.url

    @property
    def ca_path(self) -> str:
        return self.pki.ca_path

    def admin_account(self) -> tuple[str, str]:
        """The scenario's first full administrator: the account the inventory logs on with."""
        users = self.data.get("users") or []
        chosen = next((u for u in users if u.get("full_admin")), users[0] if users else None)
        if chosen is None:
            raise ValueError("the scenario defines no users")
        return chosen["name"], chosen["password"]

    # -- Kerberos ------------------------------------------------------------------------------------------------
    @property
    def domain_dns(self) -> str:
        dns = (self.data.get("domain") or {}).get("dns")
        return str(dns or next(iter(self.world.hosts)).split(".", 1)[-1]).lower()

    @property
    def realm(self) -> str:
        return self.domain_dns.upper()

    def kerberos_users(self) -> dict[str, str]:
        """Principal name -> password of the scenario's domain users (NETBIOS\\name or a bare name)."""
        netbios = str((self.data.get("domain") or {}).get("netbios", "CONTOSO")).lower()
        principals: dict[str, str] = {}
        for user in self.data.get("users") or []:
            domain, _sep, name = str(user["name"]).rpartition("\\")
            if domain.lower() in ("", netbios) and user.get("password"):
                principals[name.lower()] = str(user["password"])
        return principals

    def upn(self, user: str) -> str:
        """``CONTOSO\\cmadmin`` -> ``cmadmin@CONTOSO.COM``: the name a Kerberos client asks the KDC for."""
        if "@" in user:
            return user
        return f"{user.rpartition(BACKSLASH)[2]}@{self.realm}"

    def kerberos_env(self) -> dict[str, str]:
        """KRB5_CONFIG (and the keytab) a client of this lab needs; empty without Kerberos."""
        return self.kdc.env() if self.kdc is not None else {}

    def logons(self) -> list[dict[str, Any]]:
        """Every accepted authentication: host, user, method (what the client asked for), mechanism, and whether
        it delegated credentials for a second hop (`delegated`)."""
        return self.backend.logons_snapshot()

    @property
    def _uses_kerberos(self) -> bool:
        return self.kerberos and self.auth in ("kerberos", "negotiate")

    def host_vars(self, fqdn: str, user: str | None = None, password: str | None = None) -> dict[str, Any]:
        """Inventory variables of one host, named as ansible-core's psrp connection plugin reads them."""
        default_user, default_password = self.admin_account()
        hvars: dict[str, Any] = {
            "ansible_host": "127.0.0.1",
            "ansible_port": self.ports[fqdn.lower()],
            "ansible_connection": "psrp",
            "ansible_user": user or default_user,
            "ansible_password": password or default_password,
            "ansible_psrp_protocol": "https" if self.https else "http",
            "ansible_psrp_auth": self.auth,
        }
        if self._uses_kerberos:
            # The SPN is built from the name the client connects to (127.0.0.1): name the host's own instead.
            hvars["ansible_user"] = self.upn(hvars["ansible_user"])
            hvars["ansible_psrp_negotiate_hostname_override"] = fqdn.lower()
            hvars["ansible_psrp_negotiate_service"] = "HTTP"
        if self.https:
            hvars["ansible_psrp_ca_cert"] = self.ca_path
        elif self.auth == "basic":
            hvars["ansible_psrp_message_encryption"] = "never"
        return hvars

    def connection(self, fqdn: str, user: str | None = None, password: str | None = None) -> dict[str, Any]:
        """Keyword arguments for ``pypsrp.wsman.WSMan`` to reach ``fqdn``."""
        hv = self.host_vars(fqdn, user, password)
        kwargs: dict[str, Any] = {
            "server": "127.0.0.1",
            "port": hv["ansible_port"],
            "username": hv["ansible_user"],
            "password": hv["ansible_password"],
            "ssl": self.https,
            "auth": self.auth,
            "cert_validation": self.ca_path if self.https else False,
        }
        if not self.https and self.auth == "basic":
            kwargs["encryption"] = "never"
        if self._uses_kerberos:
            kwargs.update(
                negotiate_hostname_override=hv["ansible_psrp_negotiate_hostname_override"],
                negotiate_service=hv["ansible_psrp_negotiate_service"],
            )
        return kwargs

    def inventory(self) -> dict[str, Any]:
        """An Ansible YAML inventory: hosts by FQDN; groups ``site_servers`` (active and passive site servers),
        ``passive_site_servers``, ``sms_providers`` (every SMS Provider host), ``top_tier_site_server`` (the top-tier
        site's active site server) and ``site_systems`` (every other host: neither a site server nor an SMS Provider)."""
        hosts = {fqdn: self.host_vars(fqdn) for fqdn in sorted(self.world.hosts)}
        sites = list(self.world.hierarchy.sites.values())
        site_servers = {fqdn for s in sites for fqdn in s.site_servers if fqdn in hosts}
        passive = {s.passive_server for s in sites if s.passive_server in hosts}
        providers = {fqdn for s in sites for fqdn in s.providers if fqdn in hosts}
        top = self.world.hierarchy.top_site()
        children: dict[str, Any] = {
            "site_servers": {"hosts": {h: {} for h in sorted(site_servers)}},
            "site_systems": {"hosts": {h: {} for h in sorted(set(hosts) - site_servers - providers)}},
            "sms_providers": {"hosts": {h: {} for h in sorted(providers)}},
        }
        if passive:
            children["passive_site_servers"] = {"hosts": {h: {} for h in sorted(passive)}}
        if top is not None:
            children["top_tier_site_server"] = {"hosts": {top.server.lower(): {}}}
        return {"all": {"hosts": hosts, "children": children}}

    def write_inventory(self, path: str | Path) -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("w", encoding="utf-8") as handle:
            handle.write("---\n# Written by the lab (python -m tests.lab serve); valid while that process runs.\n")
            yaml.safe_dump(self.inventory(), handle, default_flow_style=False, sort_keys=False)
        return path

    # -- control (also served over HTTP by ControlServer) --------------------------------------------------
    def state(self) -> dict[str, Any]:
        with self.world.lock:
            return self.world.to_json()

    def calls(self) -> list[dict[str, Any]]:
        with self.world.lock:
            return list(self.world.calls)

    def requests(self) -> list[dict[str, Any]]:
        return self.backend.requests_snapshot()

    def clear_log(self) -> None:
        with self.world.lock:
            self.world.calls.clear()
        self.backend.clear_requests()

    def advance(self, seconds: float) -> None:
        self.world.advance(seconds)

    def add_fault(self, kind: str, host: str | None = None, cmdlet: str | None = None, nth: int = 1) -> None:
        with self.world.lock:
            self.world.faults.add(kind, host=host, cmdlet=cmdlet, nth=nth)

    def clear_faults(self) -> None:
        with self.world.lock:
            self.world.faults.clear()

    def expand(self, cas_site_code: str, cas_server: str, cas_site_name: str = "Central Administration Site") -> None:
        with self.world.lock:
            self.world.expand(cas_site_code, cas_server, cas_site_name)
