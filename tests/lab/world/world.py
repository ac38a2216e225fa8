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
        self.expansion_seconds = 1800.0  # inferred: how long the simulated site expansion takes

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

    def require_host(self, name: str) -> WindowsHost:
        """host() for a name the caller knows is in the world (tests, benches): a KeyError names it otherwise."""
        host = self.host(name)
        if host is None:
            raise KeyError(f"no simulated host {name}")
        return host

    def site_of_host(self, fqdn: str) -> Site | None:
        """The site a server belongs to: the site it is the (active or passive) site server of, else the site it is
        an SMS Provider of, else its site system's site."""
        found = self.hierarchy.sites_of_server(fqdn) or self.hierarchy.sites_of_provider(fqdn)
        if found:
            return found[0]
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
        """Where ConfigMgr components on ``host`` log: ``<InstallDir>\\Logs`` on a site server (active, or passive:
        inferred, same install dir), else the remote site system folder. A remote SMS Provider host gets no site logs:
        Site Component Manager logs on the site server of the site that owns the role (sitecomp.py)."""
        sites = self.hierarchy.sites_of_server(host.fqdn)
        if sites:
            return sites[0].logs_dir  # [OFFICIAL] <InstallDir>\Logs on a site server
        return REMOTE_LOG_DIR  # inferred

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
        self.calls.append(
            {
                "time": self.clock.now().isoformat(),
                "host": host,
                "user": user,
                "cmdlet": cmdlet,
                "parameters": parameters,
                "outcome": outcome,
            }
        )

    # -- CMSite drive -------------------------------------------------------------------------------------
    def connect_site_drive(self, ctx: Any, name: str, root: str) -> Site:
        """Validate ``New-PSDrive -PSProvider CMSite -Name <name> -Root <root>``; return the site or raise.

        ``root`` may name any SMS Provider of the site (FQDN or NetBIOS name). inferred: a site server that is not
        itself an SMS Provider is refused like any other non-provider host.
        """
        found = self.hierarchy.provider_site(root)
        if found is None:
            # inferred wording: the provider host is not an SMS Provider or can't be reached.
            raise fail(
                f"The SMS Provider on '{root}' could not be reached or is not an SMS Provider.",
                "ConnectionError",
                f"DriveCreateFailed,{NEW_PSDRIVE}",
                "System.Management.ManagementException",
                "New-PSDrive",
                root,
            )
        site, provider = found
        if name.upper() != site.code:
            # inferred: the CMSite provider uses the drive name as the site code.
            raise fail(
                f"The site code '{name}' doesn't match the site code '{site.code}' of the SMS Provider on '{root}'.",
                "InvalidArgument",
                f"DriveCreateFailed,{NEW_PSDRIVE}",
                "System.ArgumentException",
                "New-PSDrive",
                name,
            )
        here = getattr(ctx.host, "fqdn", "").lower()
        if here != provider.lower() and not getattr(ctx, "delegated", False):
            # inferred: a second hop without delegated credentials (CredSSP, or a forwarded Kerberos TGT) reaches the
            # remote provider as ANONYMOUS, which WMI refuses.
            raise fail(
                "Access is denied. (Exception from HRESULT: 0x80070005 (E_ACCESSDENIED))",
                "PermissionDenied",
                f"DriveCreateFailed,{NEW_PSDRIVE}",
                "System.UnauthorizedAccessException",
                "New-PSDrive",
                root,
            )
        if str(getattr(ctx, "user", "")).lower() not in self.hierarchy.full_admins:
            # inferred: no RBA role at all -> the provider refuses the connection.
            raise fail(
                "Access is denied. (Exception from HRESULT: 0x80070005 (E_ACCESSDENIED))",
                "PermissionDenied",
                f"DriveCreateFailed,{NEW_PSDRIVE}",
                "System.UnauthorizedAccessException",
                "New-PSDrive",
                root,
            )
        return site

    # -- WMI: root\SMS --------------------------------------------------------------------------------------
    def sms_namespace_sites(self, fqdn: str) -> list[Site]:
        """The sites whose ``root\\SMS`` namespace exists on ``fqdn``: it is their site server (active or passive)
        or one of their SMS Providers. Empty: the namespace does not exist on that host."""
        found: list[Site] = []
        for site in self.hierarchy.sites_of_server(fqdn) + self.hierarchy.sites_of_provider(fqdn):
            if all(site is not seen for seen in found):
                found.append(site)
        return found

    def provider_locations(self, fqdn: str) -> list[dict[str, Any]]:
        """``SMS_ProviderLocation`` rows as seen in ``root\\SMS`` on ``fqdn``: one per SMS Provider of each site
        whose namespace is there.

        [OFFICIAL] class and properties (SMS_ProviderLocation reference); [OFFICIAL] "The Configuration Manager console
        requests the list of available SMS Providers from WMI on the site server" (site-server-high-availability);
        [COMMUNITY] scripts query it on the site server (-ComputerName <site server>). inferred: the same rows on
        every provider host of the site, ProviderForLocalSite True on each of them, Machine in upper case.
        """
        rows = []
        for site in self.sms_namespace_sites(fqdn):
            for provider in site.providers:
                machine = provider.upper()
                rows.append(
                    {
                        "Machine": machine,
                        "NamespacePath": f"\\\\{machine}\\root\\sms\\site_{site.code}",
                        "ProviderForLocalSite": True,
                        "SiteCode": site.code,
                    }
                )
        return rows

    def component_summary(self, site_code: str) -> list[dict[str, Any]]:
        """``SMS_ComponentSummarizer`` rows for SMS_DMP_DOWNLOADER in ``root\\SMS\\site_<site_code>``: one per server
         whose thread key exists, at the site its roles belong to; a site sees its own and its child sites' rows.
         [OFFICIAL] class, properties and State values (0 STOPPED, 1 STARTED). inferred: the lab
         reports the thread's state at once, where the real summarizer is fed by status messages and lags behind it
        ; MachineName is the server's FQDN; the child sites' rows at the parent (status replicates
         up the hierarchy)."""
        seen = {s.code.upper() for s in self.hierarchy.subtree(site_code)}
        rows = []
        for fqdn, host in sorted(self.hosts.items()):
            state = self.executive.state(host, paths.DMP_DOWNLOADER)
            roles = self.hierarchy.roles_on(fqdn)
            code = roles[0].site_code.upper() if roles else None
            if state is None or code not in seen:
                continue
            rows.append(
                {
                    "ComponentName": paths.DMP_DOWNLOADER,
                    "MachineName": fqdn,
                    "SiteCode": code,
                    "State": 1 if state == "Running" else 0,
                    "Status": 0,
                    "Type": 0,
                    "TallyInterval": "0001128000100008",
                }
            )
        return rows

    def cim_instances(self, ctx: Any, namespace: str, class_name: str | None) -> list[Any] | None:
        """``root\\SMS`` on site servers and SMS Provider hosts answers ``SMS_ProviderLocation``;
        ``root\\SMS\\site_<code>`` on that site's provider hosts ``SMS_ComponentSummarizer``; else not handled."""
        here = getattr(ctx.host, "fqdn", "").lower()
        site_ns = namespace.strip("\\").lower()
        if site_ns.startswith("root\\sms\\site_"):
            code = site_ns.rsplit("_", 1)[-1].upper()
            if all(site.code.upper() != code for site in self.sms_namespace_sites(here)):
                return None
            if str(class_name).lower() != "sms_componentsummarizer":
                return []
            return [
                LabObject(
                    [f"Microsoft.Management.Infrastructure.CimInstance#root/SMS/site_{code}/SMS_ComponentSummarizer"],
                    row,
                )
                for row in self.component_summary(code)
            ]
        if namespace.strip("\\").lower() != "root\\sms":
            return None
        here = getattr(ctx.host, "fqdn", "").lower()
        if not self.sms_namespace_sites(here):
            return None  # neither a site server nor a provider: the namespace does not exist here
        if str(class_name).lower() != "sms_providerlocation":
            return []
        return [
            LabObject(["Microsoft.Management.Infrastructure.CimInstance#root/SMS/SMS_ProviderLocation"], row)
            for row in self.provider_locations(here)
        ]

    # -- site expansion -----------------------------------------------------------------------------------
    def expand(self, cas_site_code: str, cas_server: str, cas_site_name: str = "Central Administration Site") -> None:
        """Add a CAS above the standalone primary; both sites have Mode 5 until the expansion finishes."""
        with self.lock:
            start_expansion(self, cas_site_code, cas_server, cas_site_name)

    # -- state ---------------------------------------------------------------------------------------------
    def scp_state(self) -> dict[str, Any]:
        role = self.hierarchy.scp()
        installed = [k[0] for k in self.sitecomp.installed if k[1] == SCP_ROLE.lower()]
        state: dict[str, Any] = {
            "configured": None,
            "installed_on": installed,
            "effective_mode": None,
            "thread_state": None,
            "dmp": self.dmp.to_json(),
        }
        if role is not None:
            prop = role.prop("OfflineMode")
            state["configured"] = {
                "server": role.fqdn,
                "site_code": role.site_code,
                "mode": "Offline" if prop and prop.value else "Online",
            }
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
    def from_scenario(cls, data: dict[str, Any], clock: Clock) -> World:
        return build_world(cls, data, clock)
