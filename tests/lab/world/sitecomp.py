"""Site Component Manager: turns site control changes into installs/de-installs on the target hosts.

[OFFICIAL] (SUP install article): a cmdlet only writes site control data; Site Component Manager
notices the change on its next cycle and installs the role, logging the documented sitecomp.log sequence.
inferred: the cycle delay, the retry delay, the SrvBoot.log wording, the de-install lines and the rolesetup role
argument; the SCP-specific sequence is the SUP one applied to the SCP.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tests.lab.windows.host import WindowsHost
from tests.lab.world import paths
from tests.lab.world.logs import ERROR, REMOTE_LOG_DIR
from tests.lab.world.model import SCP_ROLE, Role, Site, StatusMessage

if TYPE_CHECKING:
    from tests.lab.world.world import World

SITECOMP = "SMS_SITE_COMPONENT_MANAGER"


@dataclass(frozen=True)
class ComponentDef:
    component: str  # the thread that the role's install creates
    threads: tuple[tuple[str, str], ...]  # (thread, dll) pairs
    setup_role: str  # inferred: rolesetup.exe role argument


MANAGED: dict[str, ComponentDef] = {
    SCP_ROLE.lower(): ComponentDef(
        paths.DMP_DOWNLOADER,
        ((paths.DMP_DOWNLOADER, "dmpdownloader.dll"), (paths.DMP_UPLOADER, "dmpuploader.dll")),
        "SMSDMP",
    ),
}


class SiteComponentManager:
    def __init__(self, world: World, cycle_delay: float = 60.0, retry_delay: float = 600.0) -> None:
        self.world = world
        self.cycle_delay = cycle_delay
        self.retry_delay = retry_delay
        self.installed: dict[tuple[str, str], str] = {}  # (fqdn lower, role lower) -> site code
        self._pending = False
        self.cycles = 0

    # -- scheduling ----------------------------------------------------------------------------------------
    def request_cycle(self, delay: float | None = None) -> None:
        """Site control changed: run a cycle soon (one pending cycle at a time)."""
        if self._pending:
            return
        self._pending = True

        def fire() -> None:
            with self.world.lock:
                self._pending = False
                self.cycle()

        self.world.clock.schedule(self.cycle_delay if delay is None else delay, fire)

    def is_installed(self, fqdn: str, role_name: str) -> bool:
        return (fqdn.lower(), role_name.lower()) in self.installed

    # -- the cycle -----------------------------------------------------------------------------------------
    def cycle(self) -> None:
        self.cycles += 1
        desired = {
            (r.fqdn.lower(), r.role_name.lower()): r
            for r in self.world.hierarchy.roles
            if r.role_name.lower() in MANAGED
        }
        retry = False
        for key, role in desired.items():
            if key not in self.installed and not self.install(role):
                retry = True
        for key, site_code in list(self.installed.items()):
            if key not in desired:
                self.deinstall(key[0], key[1], site_code)
        if retry:
            self.request_cycle(self.retry_delay)

    def install(self, role: Role) -> bool:
        world = self.world
        site = world.hierarchy.site(role.site_code)
        if site is None:
            return True
        log, now = self._sitecomp_log(site), world.clock.now()
        comp = MANAGED[role.role_name.lower()]
        target = world.host(role.fqdn)
        log.write(f"Parsed the master site control file, serial number {world.hierarchy.serial}.", now)
        log.write(f"Synchronizing component server {role.fqdn}...", now)
        if target is None:
            log.write(f"Cannot connect to server {role.fqdn}. The network path was not found.", now, ERROR)  # inferred
            return False
        remote = target.fqdn.lower() != site.server.lower()
        if remote and not self._may_install(site, target):
            # inferred wording: site server account or installation account must be local admin.
            log.write(f"Failed to connect to the registry of server {role.fqdn}. Access is denied.", now, ERROR)
            self._status(
                site, role.fqdn, 1037, "Error", "Access denied while installing on the site system."
            )  # inferred ID
            return False
        log.write(f"Installing component {comp.component}...", now)
        log.write(
            f"Creating registry keys Operations Management\\SMS Server Role\\{role.role_name} on server {role.fqdn}",
            now,
        )
        log.write("All files installed.", now)
        if remote and not self._bootstrap(log, site, target, comp, "install"):
            return False
        apply_install(world, target, site, role.role_name)
        self.installed[(role.fqdn.lower(), role.role_name.lower())] = site.code
        self._status(
            site,
            role.fqdn,
            1015,
            "Information",  # inferred: message ID and text
            f"Site Component Manager successfully installed component {comp.component} on this site system.",
        )
        world.event("role_installed", host=role.fqdn, role=role.role_name, site=site.code)
        return True

    def deinstall(self, fqdn: str, role_lower: str, site_code: str) -> None:
        world = self.world
        comp = MANAGED[role_lower]
        site = world.hierarchy.site(site_code)
        target = world.host(fqdn)
        self.installed.pop((fqdn.lower(), role_lower), None)
        if site is None or target is None:
            return
        log, now = self._sitecomp_log(site), world.clock.now()
        log.write(f"Parsed the master site control file, serial number {world.hierarchy.serial}.", now)
        log.write(f"Synchronizing component server {target.fqdn}...", now)
        log.write(f"Deinstalling component {comp.component}...", now)  # inferred
        remote = target.fqdn.lower() != site.server.lower()
        if remote:
            self._bootstrap(log, site, target, comp, "deinstall")
        log.write(
            f"Deleting registry keys Operations Management\\SMS Server Role\\{SCP_ROLE} on server {target.fqdn}", now
        )  # inferred
        apply_deinstall(world, target, SCP_ROLE)
        world.event("role_removed", host=target.fqdn, role=SCP_ROLE, site=site_code)

    # -- helpers -------------------------------------------------------------------------------------------
    def _bootstrap(self, log: Any, site: Site, target: WindowsHost, comp: ComponentDef, verb: str) -> bool:
        now = self.world.clock.now()
        svc = f"SMS_SERVER_BOOTSTRAP_{target.netbios}"
        setup = f"{paths.REMOTE_INSTALL_DIR}\\bin\\x64\\rolesetup.exe"
        log.write("Starting bootstrap operations...", now)
        log.write(f"Installed service {svc}", now)
        log.write(
            f'Starting service {svc} with command-line arguments "{site.code} {paths.REMOTE_INSTALL_DIR} /{verb} {setup} '
            f'{comp.setup_role}"',
            now,
        )
        srvboot = self.world.log(target, "SrvBoot.log", svc)
        srvboot.write(f"{svc} service started.", now)  # inferred wording
        srvboot.write(f"Running {setup} /{verb} /siteserver:{site.server}", now)  # inferred wording
        if verb == "install" and self.world.faults.take("sitecomp", target.fqdn):
            srvboot.write(f"{setup} returned exit code 1.", now, ERROR)  # inferred wording
            log.write(
                f'"{setup} /{verb} /siteserver:{site.server}" failed on server {target.fqdn}.', now, ERROR
            )  # inferred
            log.write("Bootstrap operation failed.", now, ERROR)  # inferred
            log.write(f"Deinstalled service {svc}.", now)
            return False
        srvboot.write(f"{setup} returned exit code 0.", now)  # inferred wording
        srvboot.write(f"{svc} service stopping.", now)  # inferred wording
        log.write(f'"{setup} /{verb} /siteserver:{site.server}" executed successfully on server {target.fqdn}.', now)
        log.write("Bootstrap operation successful.", now)
        log.write(f"Deinstalled service {svc}.", now)
        log.write("Bootstrap operations completed.", now)
        return True

    def _may_install(self, site: Site, target: WindowsHost) -> bool:
        server_host = self.world.host(site.server)
        accounts = {server_host.computer_account.lower()} if server_host else set()
        srv = self.world.hierarchy.server(target.fqdn, site.code)
        if srv and not srv.use_site_server_account and srv.account:
            accounts = {srv.account.lower()}
        return bool(accounts & {a.lower() for a in target.admins})

    def _sitecomp_log(self, site: Site) -> Any:
        """sitecomp.log of the site that owns the role: on that site's (active) site server, <InstallDir>\\Logs
        [OFFICIAL]; never on a remote SMS Provider host, never on another site's server."""
        server = self.world.host(site.server)
        if server is None:
            raise LookupError(f"site server {site.server} is not a lab host")
        return self.world.log(server, "sitecomp.log", SITECOMP)

    def _status(self, site: Site, machine: str, message_id: int, severity: str, text: str) -> None:
        self.world.hierarchy.status_messages.append(
            StatusMessage(site.code, SITECOMP, machine.upper(), message_id, severity, self.world.clock.now(), text)
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "installed": [{"host": k[0], "role": k[1], "site": v} for k, v in sorted(self.installed.items())],
            "cycle_pending": self._pending,
            "cycles": self.cycles,
        }


def apply_install(world: World, target: WindowsHost, site: Site, role_name: str) -> None:
    """What a finished install leaves on the target; scenarios call it for roles that are already installed."""
    comp = MANAGED[role_name.lower()]
    remote = target.fqdn.lower() != site.server.lower()
    install_dir = paths.REMOTE_INSTALL_DIR if remote else site.install_dir
    log_dir = REMOTE_LOG_DIR if remote else site.logs_dir
    reg = target.registry
    reg.set_value(paths.role_key(role_name), "Installation Directory", install_dir)  # inferred value
    reg.set_value(paths.role_key(role_name), "Site Code", site.code)  # inferred value
    for thread, _dll in comp.threads:
        name = "dmpdownloader.log" if thread == paths.DMP_DOWNLOADER else "dmpuploader.log"
        key = paths.tracing_key(thread)
        reg.set_value(key, "TraceFilename", f"{log_dir}\\{name}")  # [COMMUNITY] blog; the folder is inferred
        reg.set_value(key, "LoggingLevel", 1, "DWord")
        reg.set_value(key, "LogMaxHistory", 1, "DWord")
        reg.set_value(key, "MaxFileSize", world.logs.max_size, "DWord")
        reg.set_value(key, "DebugLogging", 0, "DWord")
    target.files.mkdir(log_dir)
    if remote and paths.EXECUTIVE_SERVICE.lower() not in target.services:
        target.add_service(paths.EXECUTIVE_SERVICE, "SMS Executive")
        world.executive.attach_service(target)
    for thread, dll in comp.threads:
        dll_path = f"{install_dir}\\bin\\x64\\{dll}"
        target.files.write(dll_path, "")
        world.executive.install(target, thread, dll_path, notify=True)


def apply_deinstall(world: World, target: WindowsHost, role_name: str) -> None:
    for thread, _dll in MANAGED[role_name.lower()].threads:
        world.executive.uninstall(target, thread)
    if target.registry.get_key(paths.role_key(role_name)) is not None:
        target.registry.delete_key(paths.role_key(role_name), recurse=True)
