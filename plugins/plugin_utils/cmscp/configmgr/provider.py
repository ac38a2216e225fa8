"""SiteProvider: reads and changes through the ConfigurationManager module on the SMS Provider host."""

from __future__ import annotations

import ipaddress
import ntpath
import re
from collections.abc import Callable, Sequence
from datetime import datetime, timezone
from typing import Any

from ..errors import CheckModeViolation, CommandFailed, ConfigMgrError, InvalidOption
from ..logs import LogEntry, filter_entries, parse_files
from ..pipeline import SWITCH, Pipeline
from ..session import PipelineResult, Session
from .bootstrap import (
    BOOTSTRAP_LENGTH,
    IMPORT,
    LOCATION,
    SITE_CODE,
    bootstrap_pipeline,
    check_bootstrap,
    check_bootstrap_output,
    explain_failure,
    module_path_from_env,
)
from .constants import (
    BOOTSTRAP_DONE_MARKERS,
    INTENT_VALUES,
    LOCAL_INSTALL_MARKERS,
    MODULE_NAME,
    STATE_KEY,
    TELEMETRY_LEVELS,
    VERIFIED_VALUE,
)
from .logcursor import LogCursor
from .model import (
    AadApp,
    Hierarchy,
    Intent,
    ProviderState,
    ScpInfo,
    Site,
    SiteSystemServer,
    SiteSystemSpec,
    SiteUpdate,
    Verified,
    normalise_mode,
    telemetry_level,
)
from .reads import SCRIPT_READS, read_properties, split_tags
from .scripts import READ_STATE
from .topology import same_machine

READS = ("sites", "scp", "site_systems", "usage", "aad", "updates", "intent")
# opt-in: Get-CMSiteRole -AllSite (prerequisite checks and the HA rule need it); only the "SMS Site Server" rows of it
# (site_servers: the HA rule of a run that may change nothing, a row per site server, not every role in the hierarchy);
# SMS_ComponentSummarizer's SMS_DMP_DOWNLOADER rows (the no-op check of service_connection_point)
OPTIONAL_READS = ("roles", "site_servers", "components")
# A server name in a sitecomp.log line: "... server <name>", "SMS_SERVER_BOOTSTRAP_<NETBIOS>", "\\\\<name>".
_NAMED_SERVER = (
    re.compile(r"\bserver \\*([A-Za-z0-9][A-Za-z0-9.-]*[A-Za-z0-9])"),
    re.compile(r"SMS_SERVER_BOOTSTRAP_([A-Za-z0-9-]+)", re.I),
    re.compile(r"\\\\([A-Za-z0-9][A-Za-z0-9.-]*[A-Za-z0-9])"),
)
_VERB = re.compile(r" /(install|deinstall) ", re.I)

ROUTES = ("direct", "task_host")  # how a remote SMS Provider is reached (the sms_provider_route option)

__all__ = ["SiteProvider", "READS", "OPTIONAL_READS", "normalise_mode", "bootstrap_done", "read_log_files"]


class SiteProvider:
    """ConfigMgr operations on the SMS Provider host reached by `session`."""

    def __init__(
        self,
        session: Session,
        site_code: str | None = None,
        provider: str | None = None,
        check_mode: bool = False,
        sessions: Callable[[str], Session] | None = None,
        route: str = "direct",
    ) -> None:
        """`sessions(fqdn)` gives a Session to another machine of the site (the remote SMS Provider when `session` is
        the site server, a site server whose sitecomp.log a wait reads); without it only `session` is used.
        `route`: "direct" connects to a remote SMS Provider through `sessions`; "task_host" keeps `session` and
        roots the CMSite drive at the provider, a second hop that needs delegated credentials."""
        if site_code is not None and not SITE_CODE.match(site_code):
            raise InvalidOption("site_code", f"must be 3 letters or digits, got {site_code!r}", session.host)
        if route not in ROUTES:
            raise InvalidOption(
                "sms_provider_route", f"must be one of {', '.join(ROUTES)}, got {route!r}", session.host
            )
        self.route = route
        self.session = session
        self.host = session.host
        self.connected_to = session.host  # the host the caller gave us (the task's host)
        self._sessions_for = sessions
        self._others: dict[str, Session] = {}  # machine -> session from `sessions`, one each
        self.site_code = site_code.upper() if site_code else None
        # The CMSite drive root must be the provider's name: an address (ansible_host is often an IP) is not one,
        # so then the provider is discovered even when the site code is known.
        self.provider = provider or (session.host if site_code and _is_name(session.host) else None)
        self.check_mode = check_mode
        self.module_version: str | None = None
        self._module: str = "ConfigurationManager"
        self._ready: tuple[int, int] | None = None  # (session id, pool generation) once bootstrapped
        self._sites: dict[str, Site] = {}  # site code -> Site, for log locations

    # -- plumbing ---------------------------------------------------------------------------------------
    def discover(self) -> tuple[str, str]:
        """Site code and provider machine (cached): the read script discovers them in the round trip that reads the
        sites (SMS_ProviderLocation, see read_state), bootstrapping the runspace on the way."""
        if not (self.site_code and self.provider):
            self.read_state(include=("sites",))
        return self.site_code or "", self.provider or self.host

    def _names(self) -> set[str]:
        """Every name the session's host is known by (address, inventory name), lower case."""
        options = getattr(self.session, "options", None)
        names = (
            self.session.host,
            getattr(options, "host", None),
            getattr(options, "display_name", None),
            getattr(self.session, "display_name", None),
        )
        return {str(n).lower() for n in names if n}

    def is_connected_to(self, machine: str | None) -> bool:
        """Whether `machine` is the host of this provider's session."""
        return any(same_machine(machine, name) for name in self._names())

    def _route(self) -> None:
        """The SMS Provider is another machine than the one we are connected to (the play targets the site server,
        whose root\\SMS names a remote provider): connect to the provider itself. Creating the CMSite drive on the
        site server with the remote provider as its root would be a second hop, which WinRM refuses without CredSSP
        or Kerberos delegation."""
        if (
            self.provider
            and self.route == "direct"
            and self._sessions_for is not None
            and _is_name(self.provider)
            and not self.is_connected_to(self.provider)
        ):
            self.session = self._other(self.provider)
            self.host = self.session.host
            self._ready = None

    def session_for(self, machine: str, purpose: str) -> Session:
        """A session to `machine`: this provider's own when it is that host, else one from `sessions`."""
        if self.is_connected_to(machine):
            return self.session
        if self._sessions_for is None:
            raise ConfigMgrError(
                f"{purpose} needs a connection to {machine}, which is not the SMS Provider host {self.host}; connect through "
                f"a task that knows how to reach {machine}",
                self.host,
                purpose,
            )
        return self._other(machine)

    def _other(self, machine: str) -> Session:
        """The one session per other machine, from the `sessions` factory (callers check that there is one)."""
        factory = self._sessions_for
        if factory is None:
            raise ConfigMgrError(f"no way to connect to {machine} was given", self.host, f"connect to {machine}")
        key = machine.lower()
        if key not in self._others:
            self._others[key] = factory(machine)
        return self._others[key]

    def _pick_provider(self, rows: list[dict[str, Any]]) -> dict[str, Any] | None:
        """With several SMS Providers: the row for the host we are connected to (its name or display name), then
        the one for the local site, then the first."""
        options = getattr(self.session, "options", None)
        names = {
            str(n).lower()
            for n in (self.host, getattr(options, "host", None), getattr(options, "display_name", None))
            if n
        }
        names |= {n.split(".", maxsplit=1)[0] for n in names if _is_name(n)}
        for row in rows:
            machine = str(row.get("Machine") or "").lower()
            if machine and (machine in names or machine.split(".", maxsplit=1)[0] in names):
                return row
        candidates = [r for r in rows if r.get("ProviderForLocalSite")] or rows
        return candidates[0] if candidates else None

    def _bootstrapped(self) -> bool:
        return self._ready is not None and self._ready == self._session_key()

    def _session_key(self) -> tuple[int, int]:
        return (id(self.session), self.session.generation)

    def run(self, body: Pipeline, *, idempotent: bool = False) -> PipelineResult:
        """Run `body`, preceded by the bootstrap statements when this runspace has not been bootstrapped yet
        (same round trip). The result holds the body's statements only. Retrying is the Session's job (one rule:
        session.RETRY_REASONS, idempotent pipelines only); a retry runs on a new pool, so the pipeline is rebuilt
        there and carries the bootstrap again."""
        site_code, provider = self.discover()
        self._route()
        self.session.open()
        built: dict[str, int | None] = {}

        def build() -> Pipeline:
            if self._bootstrapped():
                built["start"] = None
                return body
            pipe = bootstrap_pipeline(site_code, provider, body.operation, self._module)
            built["start"] = pipe.extend(body)
            return pipe

        try:
            result = self.session.run(build(), idempotent=idempotent, rebuild=build)
        except CommandFailed as err:
            if (
                built.get("start") is not None
                and err.statement_index is not None
                and err.statement_index < BOOTSTRAP_LENGTH
            ):
                if err.statement_index == IMPORT and self._module == "ConfigurationManager":
                    fallback = module_path_from_env(err.partial[0] if err.partial else [])
                    if fallback:
                        self._module = fallback  # retry once, importing by path
                        return self.run(body, idempotent=idempotent)
                raise explain_failure(
                    err, 0, self.host, site_code, provider, second_hop=not self.is_connected_to(provider)
                ) from err
            raise
        start = built.get("start")
        if start is None:
            return result
        self.module_version = check_bootstrap(result, 0, self.host, site_code, provider)
        self._ready = self._session_key()
        return PipelineResult(result.statements[start:], result.warnings)

    def _mutate(self, operation: str) -> None:
        if self.check_mode:
            raise CheckModeViolation("refused in check mode: this call would change the site", self.host, operation)

    # -- reads ------------------------------------------------------------------------------------------
    def read_state(self, include: Sequence[str] = READS, raw: bool = False) -> ProviderState:
        """The whole picture in one round trip: the constant script READ_STATE (configmgr/scripts.py) discovers the
        site when its code is not known yet, bootstraps the runspace when it has no bootstrap yet, and reads only
        `include`, each as the properties the library parses (`raw`: the whole SCP and site system objects)."""
        unknown = set(include) - set(READS) - set(OPTIONAL_READS)
        if unknown:
            raise InvalidOption("include", f"unknown reads {', '.join(sorted(unknown))}")
        reads = [SCRIPT_READS.get(name, name) for name in include]
        groups = self._read(reads, raw)
        if "site" not in groups:
            # no provider row names the connected host: pick one as discover() does, connect to it, read there
            self._adopt_location(groups.get("location", []))
            groups = self._read(reads, raw)

        def out(name: str) -> list[Any]:
            return [o for o in groups.get(SCRIPT_READS.get(name, name), []) if isinstance(o, dict)]

        sites = [Site.from_obj(o) for o in out("sites")]
        scps = [ScpInfo.from_obj(o) for o in out("scp")]
        records = out("intent")
        # every role row, or only the "SMS Site Server" rows (site_servers); None: neither was read
        role_read = next((name for name in ("roles", "site_servers") if name in include), None)
        roles = out(role_read) if role_read else None
        return ProviderState(
            site_code=self.site_code or "",
            provider=self.provider or self.host,
            module_version=self.module_version,
            hierarchy=Hierarchy(sites),
            scp=scps[0] if scps else None,
            scps=scps,
            site_systems=[SiteSystemServer.from_obj(o) for o in out("site_systems")],
            usage_data_level=telemetry_level(out("usage")),
            aad_apps=[AadApp.from_obj(o) for o in out("aad")],
            updates=[
                SiteUpdate(
                    name=str(o.get("Name")),
                    state=o.get("State"),
                    version=_optional_text(o.get("FullVersion")),
                    package_guid=_optional_text(o.get("PackageGuid")),
                )
                for o in out("updates")
            ],
            site_roles=roles,
            intent=next((i for i in (Intent.from_obj(o) for o in records) if i is not None), None),
            verified=next((v for v in (Verified.from_obj(o) for o in records) if v is not None), None),
            components=out("components") if "components" in include else None,
        )

    def _read(self, reads: list[str], raw: bool) -> dict[str, list[Any]]:
        """Run READ_STATE once; its output split on the tags ('cmscp:<group>')."""
        if self.site_code and self.provider:
            self._route()
        self.session.open()

        def build() -> Pipeline:
            known = bool(self.site_code and self.provider)
            params: list[tuple[str, Any]] = [
                ("Read", reads),
                ("Properties", read_properties(reads, raw, not known)),
                ("Module", self._module),
            ]
            if known:
                params += [("SiteCode", self.site_code), ("Provider", self.provider)]
            else:
                names = self._names()
                params.append(
                    ("HostNames", sorted(names | {n.split(".", maxsplit=1)[0] for n in names if _is_name(n)}))
                )
            if self._bootstrapped():
                params.append(("Bootstrapped", True))
            pipe = Pipeline(operation="read the hierarchy and the service connection point")
            pipe.add_script(READ_STATE.text, *params, label="read the site")
            return pipe

        try:
            result = self.session.run(build(), idempotent=True, rebuild=build)
        except CommandFailed as err:
            fallback = self._module_by_path(err)
            if fallback is None:
                raise self._read_failure(err) from err
            self._module = fallback  # import by name failed: once more, by path
            return self._read(reads, raw)
        groups = split_tags(result[0].output)
        if "site" in groups:
            values = [str(v) for v in groups["site"] if isinstance(v, str)]
            if len(values) >= 2:
                self.site_code = self.site_code or values[0].upper()
                self.provider = self.provider or values[1].lower()
            if "module" in groups:
                self.module_version = check_bootstrap_output(groups["module"], self.host)
            self._ready = self._session_key()
        return groups

    def _adopt_location(self, rows: list[Any]) -> None:
        row = self._pick_provider([r for r in rows if isinstance(r, dict)])
        if row is None:
            raise ConfigMgrError(
                f"no SMS_ProviderLocation instance in root\\SMS on {self.host}: it is neither a site server nor "
                "an SMS Provider; give site_code and connect to the SMS Provider host",
                self.host,
                "discover the site code",
            )
        self.site_code = self.site_code or str(row.get("SiteCode") or "").upper()
        self.provider = self.provider or str(row.get("Machine") or self.host).lower()

    def _module_by_path(self, err: CommandFailed) -> str | None:
        """The module's path next to the console (SMS_ADMIN_UI_PATH) when importing it by name failed, else None."""
        groups = split_tags(err.output)
        if (err.cmdlet or "").lower() != "import-module" or self._module != MODULE_NAME or "module" not in groups:
            return None
        return module_path_from_env(groups.get("ui", []))

    def _read_failure(self, err: CommandFailed) -> ConfigMgrError:
        """A failure inside READ_STATE, said as what it was doing: discovery, the module import (then retried once by
        path, from SMS_ADMIN_UI_PATH), the CMSite drive, or a read."""
        cmdlet = (err.cmdlet or "").lower()
        groups = split_tags(err.output)
        last = next(reversed(groups), None) if groups else None
        if cmdlet == "get-ciminstance" and last == "location":
            if "namespace" in str(err.error_message or err).lower():
                return ConfigMgrError(
                    f"{self.host} has no root\\SMS namespace: it is neither a site server nor an SMS Provider; "
                    "target the task at the site server or the SMS Provider of the top-tier site",
                    self.host,
                    "discover the site code",
                )
            return err
        if last in ("ui", "module") or cmdlet in ("new-psdrive", "set-location"):
            step = IMPORT if cmdlet == "import-module" else LOCATION
            provider = self.provider or self.host
            hop = not self.is_connected_to(provider)
            return explain_failure(err, 0, self.host, self.site_code or "?", provider, index=step, second_hop=hop)
        return err

    def hierarchy(self) -> Hierarchy:
        return self.read_state(include=("sites",)).hierarchy

    def site_roles(self, server: str | None = None) -> list[dict[str, Any]]:
        """Get-CMSiteRole -AllSite (optionally for one server): role objects as dicts."""
        pipe = Pipeline(operation="read the site system roles")
        params: list[tuple[str, Any]] = [("AllSite", SWITCH)]
        if server:
            params.append(("SiteSystemServerName", server))
        pipe.add("Get-CMSiteRole", *params)
        result = self.run(pipe, idempotent=True)
        return [o for o in result[0].output if isinstance(o, dict)]

    # -- SCP mutations ----------------------------------------------------------------------------------
    def add_scp(self, server: str, mode: str, site_code: str | None = None) -> datetime:
        """Add the role; returns the provider host's time just before the Add (for install_finished)."""
        operation = f"add the service connection point on {server}"
        self._mutate(operation)
        pipe = Pipeline(operation=operation)
        pipe.add("Get-Date", label="read the time of the change")
        pipe.add(
            "Add-CMServiceConnectionPoint",
            ("SiteSystemServerName", server),
            ("SiteCode", self._site(site_code)),
            ("Mode", normalise_mode(mode)),
        )
        return _remote_time(self.run(pipe))

    def set_scp_mode(self, server: str, mode: str, site_code: str | None = None) -> None:
        operation = f"set the service connection point mode on {server}"
        self._mutate(operation)
        pipe = Pipeline(operation=operation)
        pipe.add(
            "Set-CMServiceConnectionPoint",
            ("SiteSystemServerName", server),
            ("SiteCode", self._site(site_code)),
            ("Mode", normalise_mode(mode)),
        )
        self.run(pipe)

    def remove_scp(self, server: str, site_code: str | None = None) -> datetime:
        """Remove the role; returns the provider host's time just before the Remove (for removal_finished)."""
        operation = f"remove the service connection point from {server}"
        self._mutate(operation)
        pipe = Pipeline(operation=operation)
        pipe.add("Get-Date", label="read the time of the change")
        pipe.add(
            "Remove-CMServiceConnectionPoint",
            ("SiteSystemServerName", server),
            ("SiteCode", self._site(site_code)),
            ("Force", SWITCH),
        )
        return _remote_time(self.run(pipe))

    # -- the collection's record of an unfinished move (on this provider host) ---------------------------------
    def record_intent(self, intent: Intent) -> None:
        """Before the first destructive step of a move: where from, where to, which site and mode."""
        operation = f"record the move of the service connection point to {intent.target}"
        self._mutate(operation)
        pipe = Pipeline(operation=operation)
        pipe.add("New-Item", ("Path", STATE_KEY), error_action="SilentlyContinue")  # exists already: fine
        values = (intent.operation, intent.source, intent.target, intent.site_code, intent.mode)
        for name, value in zip(INTENT_VALUES, values, strict=True):
            pipe.add("Set-ItemProperty", ("Path", STATE_KEY), ("Name", name), ("Value", value or ""))
        self.run(pipe)

    def clear_intent(self) -> None:
        operation = "clear the recorded move of the service connection point"
        self._mutate(operation)
        pipe = Pipeline(operation=operation)
        pipe.add(
            "Remove-ItemProperty", ("Path", STATE_KEY), ("Name", list(INTENT_VALUES)), error_action="SilentlyContinue"
        )
        self.run(pipe)

    # -- the collection's record of the verified SCP (on this provider host) -------------------------------------
    def record_verified(self, verified: Verified) -> None:
        """After a run read the SCP's server and found it in its effective state (decide.scp.verified_running)."""
        operation = f"record the verified service connection point on {verified.server}"
        self._mutate(operation)
        pipe = Pipeline(operation=operation)
        pipe.add("New-Item", ("Path", STATE_KEY), error_action="SilentlyContinue")  # exists already: fine
        pipe.add("Set-ItemProperty", ("Path", STATE_KEY), ("Name", VERIFIED_VALUE), ("Value", verified.to_text()))
        self.run(pipe)

    def forget_verified(self) -> None:
        """Before any change of the SCP or a stop of its downloader: the next run reads the server again."""
        operation = "forget the verified service connection point"
        self._mutate(operation)
        pipe = Pipeline(operation=operation)
        pipe.add("Remove-ItemProperty", ("Path", STATE_KEY), ("Name", VERIFIED_VALUE), error_action="SilentlyContinue")
        self.run(pipe)

    def _site(self, site_code: str | None) -> str:
        code = site_code or self.discover()[0]
        if not SITE_CODE.match(code):
            raise InvalidOption("site_code", f"must be 3 letters or digits, got {code!r}", self.host)
        return code.upper()

    # -- site system servers ----------------------------------------------------------------------------
    def ensure_site_system_server(
        self, spec: SiteSystemSpec, current: SiteSystemServer | None = None, known: bool = False
    ) -> bool:
        """Create the site system server or bring its settings to `spec`. Returns True when something changed.
        Pass `current` (and known=True) from a previous read to avoid reading again."""
        if not known:
            current = self.read_state(include=("site_systems",)).site_system(spec.server)
        diff = spec.differences(current)
        if current is not None and not diff:
            return False
        verb = "New-CMSiteSystemServer" if current is None else "Set-CMSiteSystemServer"
        operation = f"{'create' if current is None else 'configure'} the site system server {spec.server}"
        self._mutate(operation)
        params: list[tuple[str, Any]] = [
            ("SiteSystemServerName", spec.server),
            ("SiteCode", self._site(spec.site_code)),
        ]
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
        pipe = Pipeline(operation=operation)
        if spec.proxy_server and spec.proxy_account:
            # -ProxyAccessAccount is a live IResultObject: a Get-CMAccount result read here would come back as a
            # Deserialized.* property bag that PowerShell refuses, so a constant script gets the account and passes it
            # on the remote side (configmgr/scripts.py). The read first gives the clear "not an account" message.
            from ..pipeline import splat
            from .scripts import SITE_SYSTEM_SERVER_WITH_PROXY_ACCOUNT

            self._account(spec.proxy_account, operation)
            pipe.add_script(
                SITE_SYSTEM_SERVER_WITH_PROXY_ACCOUNT[verb].text,
                ("Parameters", splat(params)),
                ("ProxyUserName", spec.proxy_account),
                label=f"{verb} with the proxy account",
            )
        else:
            pipe.add(verb, *params)
        if spec.account_name and not spec.use_site_server_account:
            self._require_account(spec.account_name, operation)
        self.run(pipe)
        return True

    def _account(self, user_name: str, operation: str) -> dict[str, Any]:
        """The Get-CMAccount row (a plain dict, for checks only) of exactly `user_name`. Raises ConfigMgrError when
        there is none, or several (accounts of that name at more than one site): the script that passes the live
        object to -ProxyAccessAccount needs exactly one."""
        pipe = Pipeline(operation=operation)
        pipe.add("Get-CMAccount", ("UserName", user_name), label="find the proxy account")
        result = self.run(pipe, idempotent=True)
        rows = [o for o in result[0].output if isinstance(o, dict)]
        exact = [o for o in rows if str(o.get("UserName") or "").lower() == user_name.lower()]
        if not exact:
            raise ConfigMgrError(
                f"the account {user_name} is not a ConfigMgr account; add it under Administration > Accounts first",
                self.host,
                operation,
            )
        if len(exact) > 1:
            sites = ", ".join(sorted({str(o.get("SiteCode") or "?") for o in exact}))
            raise ConfigMgrError(
                f"Get-CMAccount -UserName {user_name} finds {len(exact)} accounts (sites {sites}); the proxy account must name "
                "exactly one",
                self.host,
                operation,
            )
        return exact[0]

    def _require_account(self, user_name: str, operation: str) -> None:
        """The site system installation account must be a ConfigMgr account (Get-CMAccount), as the proxy account."""
        pipe = Pipeline(operation=operation)
        pipe.add("Get-CMAccount", ("UserName", user_name), label="find the installation account")
        rows = [o for o in self.run(pipe, idempotent=True)[0].output if isinstance(o, dict)]
        if not any(str(o.get("UserName") or "").lower() == user_name.lower() for o in rows):
            raise ConfigMgrError(
                f"the installation account {user_name} is not a ConfigMgr account; add it under Administration > "
                "Accounts first, or use use_site_server_account",
                self.host,
                operation,
            )

    def remove_site_system_server(self, server: str, site_code: str | None = None) -> None:
        operation = f"remove the site system server {server}"
        self._mutate(operation)
        pipe = Pipeline(operation=operation)
        pipe.add(
            "Remove-CMSiteSystemServer",
            ("SiteSystemServerName", server),
            ("SiteCode", self._site(site_code)),
            ("Force", SWITCH),
        )
        self.run(pipe)

    # -- hierarchy settings -----------------------------------------------------------------------------
    def set_usage_data_level(self, level: str) -> None:
        names = {v.lower(): v for v in TELEMETRY_LEVELS.values()}
        if str(level).lower() not in names:
            raise InvalidOption("level", f"must be basic, enhanced or full, got {level!r}", self.host)
        operation = f"set the usage data level to {names[str(level).lower()]}"
        self._mutate(operation)
        pipe = Pipeline(operation=operation)
        pipe.add("Set-CMHierarchySetting", ("TelemetryLevel", names[str(level).lower()]))
        self.run(pipe)

    # -- site updates -----------------------------------------------------------------------------------
    def invoke_update_check(self) -> None:
        """Invoke-CMSiteUpdateCheck: ask the service connection point for a check for updates now ("Check for
        updates" in the console; no parameters but the common ones, cmdlet reference)."""
        operation = "check for site updates"
        self._mutate(operation)
        pipe = Pipeline(operation=operation)
        pipe.add("Invoke-CMSiteUpdateCheck")
        self.run(pipe)

    # -- site server logs -------------------------------------------------------------------------------
    def read_site_log(
        self,
        name: str = "sitecomp.log",
        tail: int = 2000,
        install_dir: str | None = None,
        rotated: bool = True,
        site_code: str | None = None,
    ) -> list[LogEntry]:
        """Read the last `tail` lines of `<InstallDir>\\Logs\\<name>` (and its `.lo_`) on the site server of
        `site_code` (default: the provider's site). Site Component Manager writes its log on the site server
        [OFFICIAL log-files reference], which is another machine than a remote SMS Provider, and another site's
        server for a role at a child site: that log is read through a session to that site server."""
        session, path = self._site_log(name, install_dir, site_code)
        return read_log_files(session, path, tail, rotated)

    def site_log_cursor(self, since: datetime, name: str = "sitecomp.log", site_code: str | None = None) -> LogCursor:
        """A cursor on the same log for one wait: each read transfers only the lines written since the last."""
        session, path = self._site_log(name, None, site_code)
        return LogCursor(session, path, since)

    def _site_log(self, name: str, install_dir: str | None, site_code: str | None) -> tuple[Session, str]:
        site = self._site_info(site_code)
        if install_dir is None:
            install_dir = site.install_dir if site else None
        if not install_dir:
            raise ConfigMgrError(f"the site's InstallDir is unknown; cannot locate {name}", self.host, f"read {name}")
        session = self.session
        if site is not None and site.server:
            session = self.session_for(site.server, f"read {name} of site {site.site_code}")
        return session, ntpath.join(install_dir, "Logs", name)

    def _site_info(self, site_code: str | None = None) -> Site | None:
        """The Site row (server, InstallDir) of `site_code` (default: the provider's site); read once, cached."""
        code = (site_code or self.discover()[0]).upper()
        if code not in self._sites:
            for site in self.hierarchy().sites:
                self._sites[site.site_code] = site
        return self._sites.get(code)

    def install_finished(
        self, server: str, since: datetime, entries: list[LogEntry] | None = None, site_code: str | None = None
    ) -> bool:
        """sitecomp.log shows a finished install for `server` after `since`: the bootstrap markers of a remote
        server, or "All files installed." when `server` is the site server itself (no bootstrap service there)."""
        site = self._site_info(site_code)
        local = site is not None and same_machine(site.server, server)
        if entries is None:
            entries = self.read_site_log("sitecomp.log", site_code=site.site_code if site else site_code)
        if local:
            return bootstrap_done(entries, server, since, markers=LOCAL_INSTALL_MARKERS)
        return bootstrap_done(entries, server, since, verb="install")

    def removal_finished(
        self, server: str, since: datetime, entries: list[LogEntry] | None = None, site_code: str | None = None
    ) -> bool:
        """sitecomp.log shows a finished de-install bootstrap (rolesetup /deinstall) for a remote `server` after
        `since`. The site server itself has no bootstrap: True there (the thread key being gone is the signal)."""
        site = self._site_info(site_code)
        if site is not None and same_machine(site.server, server):
            return True
        if entries is None:
            entries = self.read_site_log("sitecomp.log", site_code=site.site_code if site else site_code)
        return bootstrap_done(entries, server, since, verb="deinstall")

    def watch_completion(
        self, server: str, since: datetime, install: bool, site_code: str | None = None
    ) -> Callable[[], bool]:
        """The sitecomp.log half of a wait, as one check per poll: install_finished / removal_finished over a
        LogCursor, read once now (the window from `since` on) and then only for the lines written since the last
        check. The site server's own removal needs no log (removal_finished is True there)."""
        site = self._site_info(site_code)
        code = site.site_code if site else site_code
        if not install and site is not None and same_machine(site.server, server):
            return lambda: True
        cursor = self.site_log_cursor(since, site_code=code)
        cursor.read()
        check = self.install_finished if install else self.removal_finished

        def finished() -> bool:
            return check(server, since, cursor.read(), site_code=code)

        return finished


def _remote_time(result: PipelineResult) -> datetime:
    """The Get-Date value of a mutation pipeline (statement 0); the controller's time if the host sent none."""
    value = result[0].first
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    return datetime.now(timezone.utc)


def named_server(message: str) -> str | None:
    """The server a sitecomp.log line names (lower case; FQDN or NetBIOS name), the last one when it names several."""
    found, position = None, -1
    for pattern in _NAMED_SERVER:
        for match in pattern.finditer(message):
            if match.start() > position:
                found, position = match.group(1).lower(), match.start()
    return found


def _same_server(named: str, fqdn: str) -> bool:
    return named == fqdn or ("." not in named and named == fqdn.split(".")[0])


def bootstrap_done(
    entries: list[LogEntry],
    server: str,
    since: datetime,
    markers: Sequence[str] = BOOTSTRAP_DONE_MARKERS,
    verb: str | None = None,
) -> bool:
    """A completion marker after `since` that belongs to `server`. The marker lines do not name a server, so each
    one belongs to the server the latest line naming a server named (sitecomp works on one server at a time);
    the tracked server is cleared on every marker. `verb` ("install" | "deinstall") also requires the latest
    bootstrap command line (`... /install ...`) to be of that kind, when there is one."""
    current: str | None = None
    seen_verb: str | None = None
    name = server.lower()
    wanted = [m.lower() for m in markers]
    for entry in filter_entries(entries, since=since):
        text = entry.message
        current = named_server(text) or current
        match = _VERB.search(text)
        if match:
            seen_verb = match.group(1).lower()
        if any(m in text.lower() for m in wanted):
            if current is not None and _same_server(current, name) and (verb is None or seen_verb in (None, verb)):
                return True
            current = None
    return False


def read_log_files(
    session: Session, path: str, tail: int, rotated: bool = True, progress: Callable[[str], None] | None = None
) -> list[LogEntry]:
    """Get-Content -Tail of a log and (optionally) its rotated `.lo_`, in one round trip."""
    if tail <= 0:
        raise InvalidOption("tail", f"must be a positive number of lines, got {tail!r}", session.host)
    pipe = Pipeline(operation=f"read {path}")
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
        progress(f"read {len(texts)} log file(s) from {session.host}")
    return parse_files(texts)


def _optional_text(value: Any) -> str | None:
    return None if value is None or value == "" else str(value)


def _is_name(host: str) -> bool:
    """True for a host name, False for an IPv4/IPv6 address or localhost."""
    try:
        ipaddress.ip_address(host.strip("[]"))
        return False
    except ValueError:
        return host.lower() not in ("localhost", "")
