"""SiteProvider: reads and changes through the ConfigurationManager module on the SMS Provider host."""
from __future__ import annotations

import ipaddress
import ntpath
from datetime import datetime
from typing import Any, Callable, Optional, Sequence

from ..errors import CheckModeViolation, CommandFailed, ConfigMgrError, HostUnreachable, InvalidOption
from ..logs import LogEntry, filter_entries, parse_files
from ..pipeline import SWITCH, Pipeline
from ..session import PipelineResult, Session
from .bootstrap import (BOOTSTRAP_LENGTH, IMPORT, SITE_CODE, bootstrap_pipeline, check_bootstrap, explain_failure,
                        module_path_from_env)
from .constants import BOOTSTRAP_DONE_MARKERS, PROVIDER_CLASS, PROVIDER_NAMESPACE, SCP_MODES, TELEMETRY_LEVELS
from .model import (AadApp, Hierarchy, ProviderState, ScpInfo, Site, SiteSystemServer, SiteSystemSpec, SiteUpdate,
                    telemetry_level)

READS = ("sites", "scp", "site_systems", "usage", "aad", "updates")
OPTIONAL_READS = ("roles",)       # opt-in: Get-CMSiteRole -AllSite (prerequisite checks need it, a no-op check does not)


def normalise_mode(mode: str) -> str:
    for known in SCP_MODES:
        if str(mode).lower() == known.lower():
            return known
    raise InvalidOption("mode", "must be online or offline, got %r" % (mode,))


class SiteProvider:
    """ConfigMgr operations on the SMS Provider host reached by `session`."""

    def __init__(self, session: Session, site_code: Optional[str] = None, provider: Optional[str] = None,
                 check_mode: bool = False) -> None:
        if site_code is not None and not SITE_CODE.match(site_code):
            raise InvalidOption("site_code", "must be 3 letters or digits, got %r" % (site_code,), session.host)
        self.session = session
        self.host = session.host
        self.site_code = site_code.upper() if site_code else None
        # The CMSite drive root must be the provider's name: an address (ansible_host is often an IP) is not one,
        # so then the provider is discovered even when the site code is known.
        self.provider = provider or (session.host if site_code and _is_name(session.host) else None)
        self.check_mode = check_mode
        self.module_version: Optional[str] = None
        self._module: str = "ConfigurationManager"
        self._ready: Optional[tuple[int, int]] = None     # (session id, pool generation) once bootstrapped

    # -- plumbing ---------------------------------------------------------------------------------------
    def discover(self) -> tuple[str, str]:
        """Site code and provider machine from SMS_ProviderLocation (one round trip, cached)."""
        if self.site_code and self.provider:
            return self.site_code, self.provider
        pipe = Pipeline(operation="discover the site code")
        pipe.add("Get-CimInstance", ("Namespace", PROVIDER_NAMESPACE), ("ClassName", PROVIDER_CLASS))
        rows = [r for r in self.session.run(pipe, idempotent=True)[0].output if isinstance(r, dict)]
        local = [r for r in rows if r.get("ProviderForLocalSite")] or rows
        if not local:
            raise ConfigMgrError("no SMS_ProviderLocation instance in root\\SMS: %s is not an SMS Provider; give "
                                 "site_code and connect to the SMS Provider host" % self.host, self.host, "discover the site code")
        self.site_code = self.site_code or str(local[0].get("SiteCode") or "").upper()
        self.provider = self.provider or str(local[0].get("Machine") or self.host).lower()
        return self.site_code, self.provider

    def _bootstrapped(self) -> bool:
        return self._ready is not None and self._ready == self._session_key()

    def _session_key(self) -> tuple[int, int]:
        return (id(self.session), self.session.generation)

    def run(self, body: Pipeline, *, idempotent: bool = False) -> PipelineResult:
        """Run `body`, preceded by the bootstrap statements when this runspace has not been bootstrapped yet
        (same round trip). The result holds the body's statements only."""
        try:
            return self._run_once(body)
        except HostUnreachable as err:
            # A read may be repeated on a fresh pool; the new runspace needs the bootstrap again.
            if not idempotent or err.reason in ("auth", "timeout", "tls", "dns"):
                raise
            self.session.close()
            return self._run_once(body)

    def _run_once(self, body: Pipeline) -> PipelineResult:
        site_code, provider = self.discover()
        self.session.open()
        if self._bootstrapped():
            return self.session.run(body)
        pipe = bootstrap_pipeline(site_code, provider, body.operation, self._module)
        start = pipe.extend(body)
        try:
            result = self.session.run(pipe)
        except CommandFailed as err:
            if err.statement_index is not None and err.statement_index < BOOTSTRAP_LENGTH:
                if err.statement_index == IMPORT and self._module == "ConfigurationManager":
                    fallback = module_path_from_env(err.partial[0] if err.partial else [])
                    if fallback:
                        self._module = fallback       # retry once, importing by path
                        return self._run_once(body)
                raise explain_failure(err, 0, self.host, site_code, provider) from err
            raise
        self.module_version = check_bootstrap(result, 0, self.host, site_code, provider)
        self._ready = self._session_key()
        return PipelineResult(result.statements[start:], result.warnings)

    def _mutate(self, operation: str) -> None:
        if self.check_mode:
            raise CheckModeViolation("refused in check mode: this call would change the site", self.host, operation)

    # -- reads ------------------------------------------------------------------------------------------
    def read_state(self, include: Sequence[str] = READS) -> ProviderState:
        """The whole picture in one pipeline (plus bootstrap in the same round trip)."""
        unknown = set(include) - set(READS) - set(OPTIONAL_READS)
        if unknown:
            raise InvalidOption("include", "unknown reads %s" % ", ".join(sorted(unknown)))
        pipe = Pipeline(operation="read the hierarchy and the service connection point")
        index: dict[str, int] = {}
        index["sites"] = pipe.add("Get-CMSite", label="read the sites")
        if "scp" in include:
            index["scp"] = pipe.add("Get-CMServiceConnectionPoint", ("AllSite", SWITCH), label="read the SCP")
        if "site_systems" in include:
            index["site_systems"] = pipe.add("Get-CMSiteSystemServer", ("AllSite", SWITCH), label="read the site systems")
        if "usage" in include:
            index["usage"] = pipe.add("Get-CMHierarchySetting", label="read the usage data level")
        if "aad" in include:
            index["aad"] = pipe.add("Get-CMAADApplication", label="read the Azure AD applications")
        if "updates" in include:
            index["updates"] = pipe.add("Get-CMSiteUpdate", ("Fast", SWITCH), label="read the site updates")
        if "roles" in include:
            index["roles"] = pipe.add("Get-CMSiteRole", ("AllSite", SWITCH), label="read the site system roles")
        result = self.run(pipe, idempotent=True)

        def out(name: str) -> list:
            return list(result[index[name]].output) if name in index else []

        sites = [Site.from_obj(o) for o in out("sites") if isinstance(o, dict)]
        scps = [ScpInfo.from_obj(o) for o in out("scp") if isinstance(o, dict)]
        return ProviderState(
            site_code=self.site_code or "", provider=self.provider or self.host, module_version=self.module_version,
            hierarchy=Hierarchy(sites), scp=scps[0] if scps else None, scps=scps,
            site_systems=[SiteSystemServer.from_obj(o) for o in out("site_systems") if isinstance(o, dict)],
            usage_data_level=telemetry_level(out("usage")),
            aad_apps=[AadApp.from_obj(o) for o in out("aad") if isinstance(o, dict)],
            updates=[SiteUpdate(name=str(o.get("Name")), state=o.get("State")) for o in out("updates") if isinstance(o, dict)],
            site_roles=[o for o in out("roles") if isinstance(o, dict)] if "roles" in include else None,
        )

    def hierarchy(self) -> Hierarchy:
        return self.read_state(include=("sites",)).hierarchy

    def site_roles(self, server: Optional[str] = None) -> list[dict]:
        """Get-CMSiteRole -AllSite (optionally for one server): role objects as dicts."""
        pipe = Pipeline(operation="read the site system roles")
        params: list = [("AllSite", SWITCH)]
        if server:
            params.append(("SiteSystemServerName", server))
        pipe.add("Get-CMSiteRole", *params)
        result = self.run(pipe, idempotent=True)
        return [o for o in result[0].output if isinstance(o, dict)]

    # -- SCP mutations ----------------------------------------------------------------------------------
    def add_scp(self, server: str, mode: str, site_code: Optional[str] = None) -> None:
        operation = "add the service connection point on %s" % server
        self._mutate(operation)
        pipe = Pipeline(operation=operation)
        pipe.add("Add-CMServiceConnectionPoint", ("SiteSystemServerName", server),
                 ("SiteCode", self._site(site_code)), ("Mode", normalise_mode(mode)))
        self.run(pipe)

    def set_scp_mode(self, server: str, mode: str, site_code: Optional[str] = None) -> None:
        operation = "set the service connection point mode on %s" % server
        self._mutate(operation)
        pipe = Pipeline(operation=operation)
        pipe.add("Set-CMServiceConnectionPoint", ("SiteSystemServerName", server),
                 ("SiteCode", self._site(site_code)), ("Mode", normalise_mode(mode)))
        self.run(pipe)

    def remove_scp(self, server: str, site_code: Optional[str] = None) -> None:
        operation = "remove the service connection point from %s" % server
        self._mutate(operation)
        pipe = Pipeline(operation=operation)
        pipe.add("Remove-CMServiceConnectionPoint", ("SiteSystemServerName", server),
                 ("SiteCode", self._site(site_code)), ("Force", SWITCH))
        self.run(pipe)

    def _site(self, site_code: Optional[str]) -> str:
        code = site_code or self.discover()[0]
        if not SITE_CODE.match(code):
            raise InvalidOption("site_code", "must be 3 letters or digits, got %r" % (code,), self.host)
        return code.upper()

    # -- site system servers ----------------------------------------------------------------------------
    def ensure_site_system_server(self, spec: SiteSystemSpec, current: Optional[SiteSystemServer] = None,
                                  known: bool = False) -> bool:
        """Create the site system server or bring its settings to `spec`. Returns True when something changed.
        Pass `current` (and known=True) from a previous read to avoid reading again."""
        if not known:
            current = self.read_state(include=("site_systems",)).site_system(spec.server)
        diff = spec.differences(current)
        if current is not None and not diff:
            return False
        verb = "New-CMSiteSystemServer" if current is None else "Set-CMSiteSystemServer"
        operation = "%s the site system server %s" % ("create" if current is None else "configure", spec.server)
        self._mutate(operation)
        params: list = [("SiteSystemServerName", spec.server), ("SiteCode", self._site(spec.site_code))]
        if spec.use_site_server_account:
            params.append(("UseSiteServerAccount", SWITCH))
        elif spec.account_name:
            params.append(("AccountName", spec.account_name))
        if spec.public_fqdn:
            params.append(("PublicFqdn", spec.public_fqdn))
        if spec.proxy_server:
            params += [("EnableProxy", True), ("ProxyServerName", spec.proxy_server)]
            if spec.proxy_port:
                params.append(("ProxyServerPort", int(spec.proxy_port)))
            if spec.proxy_account:
                params.append(("ProxyAccessAccount", self._account(spec.proxy_account, operation)))
        pipe = Pipeline(operation=operation)
        pipe.add(verb, *params)
        self.run(pipe)
        return True

    def _account(self, user_name: str, operation: str) -> Any:
        """The Get-CMAccount object for a user name, to pass back as a parameter value."""
        pipe = Pipeline(operation=operation)
        pipe.add("Get-CMAccount", ("UserName", user_name), label="find the proxy account")
        result = self.run(pipe, idempotent=True)
        if not result[0].output:
            raise ConfigMgrError("the account %s is not a ConfigMgr account; add it under Administration > Accounts first"
                                 % user_name, self.host, operation)
        return result[0].output[0]

    def remove_site_system_server(self, server: str, site_code: Optional[str] = None) -> None:
        operation = "remove the site system server %s" % server
        self._mutate(operation)
        pipe = Pipeline(operation=operation)
        pipe.add("Remove-CMSiteSystemServer", ("SiteSystemServerName", server), ("SiteCode", self._site(site_code)),
                 ("Force", SWITCH))
        self.run(pipe)

    # -- hierarchy settings -----------------------------------------------------------------------------
    def set_usage_data_level(self, level: str) -> None:
        names = {v.lower(): v for v in TELEMETRY_LEVELS.values()}
        if str(level).lower() not in names:
            raise InvalidOption("level", "must be basic, enhanced or full, got %r" % (level,), self.host)
        operation = "set the usage data level to %s" % names[str(level).lower()]
        self._mutate(operation)
        pipe = Pipeline(operation=operation)
        pipe.add("Set-CMHierarchySetting", ("TelemetryLevel", names[str(level).lower()]))
        self.run(pipe)

    # -- site server logs -------------------------------------------------------------------------------
    def read_site_log(self, name: str = "sitecomp.log", tail: int = 2000, install_dir: Optional[str] = None,
                      rotated: bool = True) -> list[LogEntry]:
        """Read `<InstallDir>\\Logs\\<name>` on this host (the site server when it is also the SMS Provider)."""
        if install_dir is None:
            site = self.hierarchy().site(self.discover()[0])
            install_dir = site.install_dir if site else None
        if not install_dir:
            raise ConfigMgrError("the site's InstallDir is unknown; cannot locate %s" % name, self.host, "read %s" % name)
        path = ntpath.join(install_dir, "Logs", name)
        return read_log_files(self.session, path, tail, rotated)

    def install_markers(self, server: str, since: datetime) -> bool:
        """Name used in docs/architecture.md: same as install_finished()."""
        return self.install_finished(server, since)

    def install_finished(self, server: str, since: datetime, entries: Optional[list[LogEntry]] = None) -> bool:
        """sitecomp.log shows a finished bootstrap for `server` after `since`."""
        entries = entries if entries is not None else self.read_site_log("sitecomp.log")
        return bootstrap_done(entries, server, since)


def bootstrap_done(entries: list[LogEntry], server: str, since: datetime) -> bool:
    """A bootstrap marker after `since` for the server: the marker lines do not name the server, so look for the
    last line naming it before the marker (the sitecomp sequence for one server is contiguous)."""
    current: Optional[str] = None
    name = server.lower()
    short = name.split(".")[0]
    for entry in filter_entries(entries, since=since):
        text = entry.message.lower()
        if name in text or ("\\\\%s" % short) in text or (" %s" % short) in text:
            current = name
        if current == name and any(marker.lower() in text for marker in BOOTSTRAP_DONE_MARKERS):
            return True
    return False


def read_log_files(session: Session, path: str, tail: int, rotated: bool = True,
                   progress: Optional[Callable[[str], None]] = None) -> list[LogEntry]:
    """Get-Content -Tail of a log and (optionally) its rotated `.lo_`, in one round trip."""
    if tail <= 0:
        raise InvalidOption("tail", "must be a positive number of lines, got %r" % (tail,), session.host)
    pipe = Pipeline(operation="read %s" % path)
    files = [path]
    if rotated and path.lower().endswith(".log"):
        files.insert(0, path[:-1] + "_")
    for name in files:
        # a missing rotated file is normal; a missing current log is reported by an empty result
        pipe.add("Get-Content", ("LiteralPath", name), ("Tail", int(tail)), error_action="SilentlyContinue")
    result = session.run(pipe, idempotent=True)
    texts = []
    for i, name in enumerate(files):
        lines = [str(x) for x in result[i].output]
        if lines:
            texts.append((ntpath.basename(name), "\n".join(lines)))
    if progress:
        progress("read %d log file(s) from %s" % (len(texts), session.host))
    return parse_files(texts)


def _is_name(host: str) -> bool:
    """True for a host name, False for an IPv4/IPv6 address or localhost."""
    try:
        ipaddress.ip_address(host.strip("[]"))
        return False
    except ValueError:
        return host.lower() not in ("localhost", "")
