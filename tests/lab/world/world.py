"""The simulated world: hosts, the ConfigMgr hierarchy, simulated time, the call log, faults."""
from __future__ import annotations

from typing import Any

from tests.lab.ps.convert import LabObject
from tests.lab.ps.errors import fail
from tests.lab.windows.host import WindowsHost
from tests.lab.world import paths
from tests.lab.world.clock import Clock
from tests.lab.world.dmp import DmpDownloader
from tests.lab.world.expansion import start_expansion
from tests.lab.world.faults import FaultTable
from tests.lab.world.logs import REMOTE_LOG_DIR, LogFile, LogSettings
from tests.lab.world.model import SCP_ROLE, Hierarchy, Site
from tests.lab.world.scenario import build_world
from tests.lab.world.serialize import hierarchy_json, host_json
from tests.lab.world.sitecomp import SiteComponentManager
from tests.lab.world.threads import Executive

NEW_PSDRIVE = "Microsoft.PowerShell.Commands.NewPSDriveCommand"
DELEGATING_AUTH = ("kerberos", "credssp")      # inferred: auth types whose credentials can reach a remote provider


class World:
    def __init__(self, clock: Clock, hierarchy: Hierarchy | None = None, logs: LogSettings | None = None) -> None:
        self.clock = clock
        self.hosts: dict[str, WindowsHost] = {}
        self.hierarchy = hierarchy or Hierarchy()
        self.calls: list[dict[str, Any]] = []
        self.events: list[dict[str, Any]] = []
        # One lock for the world and its clock: events fired by the clock change the world, and world code reads
        # the clock, so two locks could be taken in opposite orders by a cmdlet and the real-time ticker.
        self.lock = clock.lock
        self.faults = FaultTable()
        self.logs = logs or LogSettings()
        self.executive = Executive(self)
        self.sitecomp = SiteComponentManager(self)
        self.dmp = DmpDownloader(self)
        self.executive.listeners.append(self.dmp.on_thread)
        self.expansion_seconds = 1800.0     # inferred: how long the simulated site expansion takes

    # -- hosts ---------------------------------------------------------------------------------------------
    def add_host(self, host: WindowsHost) -> WindowsHost:
        self.hosts[host.fqdn.lower()] = host
        self.executive.attach(host)
        return host

    def host(self, name: str | None) -> WindowsHost | None:
        """By FQDN or NetBIOS name, case-insensitive."""
        if not name:
            return None
        key = name.lower().strip("\\")
        if key in self.hosts:
            return self.hosts[key]
        return next((h for h in self.hosts.values() if h.netbios.lower() == key), None)

    def site_of_host(self, fqdn: str) -> Site | None:
        """The site a server belongs to: the site it is the site server of, else its site system's site."""
        for site in self.hierarchy.sites.values():
            if site.server.lower() == fqdn.lower():
                return site
        srv = self.hierarchy.server(fqdn)
        return self.hierarchy.site(srv.site_code) if srv else None

    # -- time ----------------------------------------------------------------------------------------------
    def advance(self, seconds: float) -> None:
        """Move simulated time; takes the world lock first (lock order: world, then clock)."""
        with self.lock:
            self.clock.advance(seconds)

    def tick(self) -> None:
        with self.lock:
            self.clock.tick()

    # -- logs and events -----------------------------------------------------------------------------------
    def log_dir(self, host: WindowsHost) -> str:
        for site in self.hierarchy.sites.values():
            if site.server.lower() == host.fqdn.lower():
                return site.logs_dir            # [OFFICIAL] <InstallDir>\Logs on a site server
        return REMOTE_LOG_DIR                   # inferred

    def log(self, host: WindowsHost, name: str, component: str) -> LogFile:
        """The log file ``name`` on ``host``; a component's TraceFilename wins when it is set."""
        found = host.registry.get_value(paths.tracing_key(component), "TraceFilename")
        if found and str(found[0]).lower().endswith("\\" + name.lower()):
            folder = str(found[0]).rsplit("\\", 1)[0]
        else:
            folder = self.log_dir(host)
        return self.logs.open(host.files, folder, name, component)

    def event(self, kind: str, **data: Any) -> None:
        self.events.append({"time": self.clock.now().isoformat(), "kind": kind, **data})
        del self.events[:-500]

    def record_call(self, host: str, user: str, cmdlet: str, parameters: Any, outcome: str) -> None:
        self.calls.append({"time": self.clock.now().isoformat(), "host": host, "user": user, "cmdlet": cmdlet,
                           "parameters": parameters, "outcome": outcome})

    # -- CMSite drive -------------------------------------------------------------------------------------
    def connect_site_drive(self, ctx: Any, name: str, root: str) -> Site:
        """Validate ``New-PSDrive -PSProvider CMSite -Name <name> -Root <root>``; return the site or raise."""
        root_key = root.strip().strip("\\").lower()
        site = next((s for s in self.hierarchy.sites.values()
                     if root_key in (s.provider.lower(), s.provider.split(".")[0].lower())), None)
        if site is None:
            # inferred wording: the provider host is not an SMS Provider or can't be reached.
            raise fail(f"The SMS Provider on '{root}' could not be reached or is not an SMS Provider.", "ConnectionError",
                       f"DriveCreateFailed,{NEW_PSDRIVE}", "System.Management.ManagementException", "New-PSDrive", root)
        if name.upper() != site.code:
            # inferred: the CMSite provider uses the drive name as the site code.
            raise fail(f"The site code '{name}' doesn't match the site code '{site.code}' of the SMS Provider on '{root}'.",
                       "InvalidArgument", f"DriveCreateFailed,{NEW_PSDRIVE}", "System.ArgumentException", "New-PSDrive", name)
        here = getattr(ctx.host, "fqdn", "").lower()
        if here != site.provider.lower() and str(getattr(ctx, "auth", "")).lower() not in DELEGATING_AUTH:
            # inferred: a double hop without delegation reaches the remote provider as ANONYMOUS.
            raise fail("Access is denied. (Exception from HRESULT: 0x80070005 (E_ACCESSDENIED))", "PermissionDenied",
                       f"DriveCreateFailed,{NEW_PSDRIVE}", "System.UnauthorizedAccessException", "New-PSDrive", root)
        if str(getattr(ctx, "user", "")).lower() not in self.hierarchy.full_admins:
            # inferred: no RBA role at all -> the provider refuses the connection.
            raise fail("Access is denied. (Exception from HRESULT: 0x80070005 (E_ACCESSDENIED))", "PermissionDenied",
                       f"DriveCreateFailed,{NEW_PSDRIVE}", "System.UnauthorizedAccessException", "New-PSDrive", root)
        return site

    # -- WMI on the SMS Provider ---------------------------------------------------------------------------
    def cim_instances(self, ctx: Any, namespace: str, class_name: str | None) -> list[Any] | None:
        """``root\\SMS`` answers ``SMS_ProviderLocation`` on an SMS Provider host [OFFICIAL class]; else not handled."""
        if namespace.strip("\\").lower() != "root\\sms":
            return None
        here = getattr(ctx.host, "fqdn", "").lower()
        sites = [s for s in self.hierarchy.sites.values() if s.provider.lower() == here]
        if not sites:
            return None         # not a provider: the namespace does not exist here
        if str(class_name).lower() != "sms_providerlocation":
            return []
        return [LabObject(["Microsoft.Management.Infrastructure.CimInstance#root/SMS/SMS_ProviderLocation"],
                          {"Machine": here.upper(), "NamespacePath": f"\\\\{here.upper()}\\root\\sms\\site_{s.code}",
                           "ProviderForLocalSite": True, "SiteCode": s.code}) for s in sites]

    # -- site expansion -----------------------------------------------------------------------------------
    def expand(self, cas_site_code: str, cas_server: str, cas_site_name: str = "Central Administration Site") -> None:
        """Add a CAS above the standalone primary; both sites have Mode 5 until the expansion finishes."""
        with self.lock:
            start_expansion(self, cas_site_code, cas_server, cas_site_name)

    # -- state ---------------------------------------------------------------------------------------------
    def scp_state(self) -> dict[str, Any]:
        role = self.hierarchy.scp()
        installed = [k[0] for k in self.sitecomp.installed if k[1] == SCP_ROLE.lower()]
        state: dict[str, Any] = {"configured": None, "installed_on": installed, "effective_mode": None,
                                 "thread_state": None, "dmp": self.dmp.to_json()}
        if role is not None:
            prop = role.prop("OfflineMode")
            state["configured"] = {"server": role.fqdn, "site_code": role.site_code,
                                   "mode": "Offline" if prop and prop.value else "Online"}
        where = self.host(role.fqdn) if role is not None else (self.host(installed[0]) if installed else None)
        if where is not None:
            state["effective_mode"] = self.dmp.state(where).effective_mode
            state["thread_state"] = self.executive.state(where, paths.DMP_DOWNLOADER)
        return state

    def to_json(self) -> dict[str, Any]:
        with self.lock:
            return {
                "now": self.clock.now().isoformat(),
                "hierarchy": hierarchy_json(self.hierarchy),
                "hosts": {fqdn: host_json(self, h) for fqdn, h in self.hosts.items()},
                "scp": self.scp_state(),
                "sitecomp": self.sitecomp.to_json(),
                "faults": self.faults.to_json(),
                "logs": self.logs.to_json(),
                "events": list(self.events),
                "calls": list(self.calls),
            }

    @classmethod
    def from_scenario(cls, data: dict[str, Any], clock: Clock) -> "World":
        return build_world(cls, data, clock)
