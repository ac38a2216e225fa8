"""The DMP downloader/uploader threads of the SCP: effective mode, sync cycles, their logs.

[OFFICIAL] A mode change takes effect only after SMS_DMP_DOWNLOADER restarts; so the configured OfflineMode is
read when the thread starts and kept as the effective mode until the next start.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from tests.lab.windows.host import WindowsHost
from tests.lab.world import paths
from tests.lab.world.logs import ERROR, INFO, WARNING
from tests.lab.world.model import SCP_ROLE, StatusMessage

if TYPE_CHECKING:
    from tests.lab.world.world import World

MANIFEST_HOSTS = ("go.microsoft.com", "download.microsoft.com")        # [OFFICIAL] manifest URLs in DMPDownloader.log
PAYLOAD_HOST = "configmgrbits.cdn.manage.microsoft.com"                 # [OFFICIAL] payload CDN (since March 2025)
UPLOAD_HOST = "sccm.manage.microsoft.com"                               # [OFFICIAL] SCCMConnectedService.svc host
FULL_SYNC_AGE = timedelta(hours=24)                                     # [OFFICIAL] "Every 24 hours"
UNREACHABLE = "Unable to connect to the remote server"                  # inferred: .NET WebException text
TLS_FAILURE = "The underlying connection was closed: An unexpected error occurred on a send."   # inferred


@dataclass
class DmpState:
    running: bool = False
    effective_mode: str | None = None     # "Online" | "Offline": read at thread start
    started_at: datetime | None = None
    last_sync: datetime | None = None
    last_result: str | None = None        # "synced" | "offline" | "failed" | "skipped"
    cycles: int = 0
    gen: int = 0
    force_next: bool = False

    def to_json(self) -> dict[str, Any]:
        return {"running": self.running, "effective_mode": self.effective_mode,
                "started_at": self.started_at.isoformat() if self.started_at else None,
                "last_sync": self.last_sync.isoformat() if self.last_sync else None,
                "last_result": self.last_result, "cycles": self.cycles}


class DmpDownloader:
    def __init__(self, world: "World", first_delay: float = 30.0, interval: float = 3600.0) -> None:
        self.world = world
        self.first_delay = first_delay     # inferred: the first cycle runs shortly after the thread starts
        self.interval = interval           # inferred: the downloader wakes up hourly, syncs when 24 h have passed
        self.states: dict[str, DmpState] = {}

    def state(self, host: WindowsHost) -> DmpState:
        return self.states.setdefault(host.fqdn.lower(), DmpState())

    def configured_mode(self, host: WindowsHost) -> str | None:
        for role in self.world.hierarchy.find_roles(SCP_ROLE):
            if role.fqdn.lower() == host.fqdn.lower():
                prop = role.prop("OfflineMode")
                return "Offline" if prop and prop.value else "Online"
        return None

    # -- thread events -----------------------------------------------------------------------------------
    def on_thread(self, host: WindowsHost, component: str, action: str) -> None:
        if component.upper() != paths.DMP_DOWNLOADER:
            return
        st = self.state(host)
        st.gen += 1
        log = self.world.log(host, "dmpdownloader.log", paths.DMP_DOWNLOADER)
        now = self.world.clock.now()
        if action == "stop":
            st.running = False
            log.write("SMS_DMP_DOWNLOADER is stopping.", now)      # inferred wording
            return
        st.running = True
        st.started_at = now
        st.effective_mode = self.configured_mode(host) or st.effective_mode or "Online"
        st.force_next = True          # inferred: the first cycle after a start always talks to the service
        log.write("SMS_DMP_DOWNLOADER started.", now)               # inferred wording
        log.write(f"Service connection point is in {st.effective_mode.lower()} mode.", now)   # inferred wording
        self._schedule(host, st, self.first_delay)

    def request_sync(self, host: WindowsHost, delay: float = 5.0) -> bool:
        """Invoke-CMSiteUpdateCheck: an extra cycle soon. False when the thread is not running."""
        st = self.state(host)
        if not st.running:
            return False
        st.force_next = True
        self._schedule(host, st, delay, keep_gen=True)
        return True

    def _schedule(self, host: WindowsHost, st: DmpState, delay: float, keep_gen: bool = False) -> None:
        if not keep_gen:
            st.gen += 1
        gen = st.gen

        def fire() -> None:
            with self.world.lock:
                if st.gen == gen and st.running:
                    self.cycle(host)
                    if not keep_gen:
                        self._schedule(host, st, self.interval)
        self.world.clock.schedule(delay, fire)

    # -- one cycle -----------------------------------------------------------------------------------------
    def cycle(self, host: WindowsHost) -> None:
        st = self.state(host)
        st.cycles += 1
        now = self.world.clock.now()
        down = self.world.log(host, "dmpdownloader.log", paths.DMP_DOWNLOADER)
        up = self.world.log(host, "dmpuploader.log", paths.DMP_UPLOADER)
        if st.effective_mode == "Offline":
            # inferred wording: no documented line for the offline cycle.
            down.write("Service connection point is in offline mode. No download from the cloud service; "
                       "use the service connection tool to import updates.", now)
            up.write("Service connection point is in offline mode. Usage data is exported with the service connection tool.", now)
            st.last_result = "offline"
            return
        recent = st.last_sync is not None and now - st.last_sync < FULL_SYNC_AGE and not self._sync_reset(host)
        if recent and not st.force_next:
            down.write(f"Synced recently. Next sync after {(st.last_sync + FULL_SYNC_AGE).isoformat()}.", now)   # inferred
            st.last_result = "skipped"
            return
        st.force_next = False
        down.write("Hasn't synced recently.", now)                          # [OFFICIAL] marker
        problem = self._connect_problem(host, MANIFEST_HOSTS)
        if problem:
            # inferred wording and severity; the status message ID 11488 is OFFICIAL.
            down.write(f"ERROR: Failed to download the manifest with exception: {problem}", now, ERROR)
            up.write(f"ERROR: Failed to upload usage data with exception: {problem}", now, ERROR)
            self._status(host, "SMS_SERVICE_CONNECTOR", 11488, "Error",
                         "The service connection point can't connect to the required internet endpoints.")
            st.last_result = "failed"
            return
        down.write("Download manifest.cab", now)                             # [OFFICIAL] marker
        for number in (1, 2, 3, 4):                                          # [OFFICIAL] state messages 1-4
            down.write(f"Successfully Dropped the state message {number}", now)
        payload = self._connect_problem(host, (PAYLOAD_HOST,))
        if payload:
            down.write(f"WARNING: Failed to download easy setup payload with exception: {payload}", now, WARNING)   # [OFFICIAL] prefix
        upload = self._connect_problem(host, (UPLOAD_HOST,))
        if upload:
            up.write(f"ERROR: Failed to upload usage data with exception: {upload}", now, ERROR)     # inferred wording
            self._status(host, "SMS_DMP_UPLOADER", 9605, "Error", "DMP_UPLOADER_UPLOAD_FAILED")    # [OFFICIAL] ID
        else:
            up.write("Successfully uploaded usage data to the cloud service.", now)                # inferred wording
        host.registry.set_value(paths.DMP_COMPONENT_KEY, "LastSyncedTime", int(now.timestamp()), "QWord")
        self._hman_note(host, now)
        st.last_sync = now
        st.last_result = "synced"

    # -- helpers -------------------------------------------------------------------------------------------
    def _sync_reset(self, host: WindowsHost) -> bool:
        found = host.registry.get_value(paths.DMP_COMPONENT_KEY, "LastSyncedTime")
        return found is not None and not found[0]           # [COMMUNITY] memlabs forces a sync by writing 0

    def _connect_problem(self, host: WindowsHost, names: tuple[str, ...]) -> str | None:
        if self.world.faults.take("dmp", host.fqdn):
            return UNREACHABLE
        if not self._tls12(host):
            return TLS_FAILURE
        server = self.world.hierarchy.server(host.fqdn)
        proxy = server.proxy if server else None           # [OFFICIAL] the SCP uses its site system's proxy
        if all(host.network.reach(name, 443, proxy) for name in names):
            return None
        return UNREACHABLE

    @staticmethod
    def _tls12(host: WindowsHost) -> bool:
        # [OFFICIAL] SystemDefaultTlsVersions=1 and SchUseStrongCrypto=1 are needed for online mode.
        for name in ("SystemDefaultTlsVersions", "SchUseStrongCrypto"):
            found = host.registry.get_value(paths.DOTNET_KEY, name)
            if found is None or str(found[0]) != "1":
                return False
        return True

    def _status(self, host: WindowsHost, component: str, message_id: int, severity: str, text: str) -> None:
        site = self.world.site_of_host(host.fqdn)
        self.world.hierarchy.status_messages.append(StatusMessage(
            site.code if site else "", component, host.fqdn.upper(), message_id, severity, self.world.clock.now(), text))

    def _hman_note(self, host: WindowsHost, now: datetime) -> None:
        site = self.world.site_of_host(host.fqdn)
        server = self.world.host(site.server) if site else None
        if site and server:
            # inferred wording: hman processes the forwarded state message file.
            self.world.log(server, "hman.log", "SMS_HIERARCHY_MANAGER").write(
                f"Processing forwarded state message from the service connection point {host.fqdn}.", now, INFO)

    def to_json(self) -> dict[str, Any]:
        return {fqdn: st.to_json() for fqdn, st in self.states.items()}
