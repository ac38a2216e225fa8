"""The DMP downloader/uploader threads of the SCP: effective mode, sync cycles, their logs.

[OFFICIAL] A mode change takes effect only after SMS_DMP_DOWNLOADER restarts; so the configured OfflineMode is
read when the thread starts and kept as the effective mode until the next start.

What DMPDownloader.log says: only lines Microsoft documents, in the documented form (trailing "~~" included), from
SupportArticles "Understand and troubleshoot Updates and Servicing"
(support/mem/configmgr/setup-migrate-backup-recovery/understand-troubleshoot-updates-servicing.md, "Step 1:
DMPDownloader: Sync", an online SCP's manifest download). No documented line names the mode ("... online mode" /
"... offline mode"), so the lab writes none. Offline mode: the SCP "doesn't connect to the Microsoft cloud service"
(memdocs about-the-service-connection-point) and no documented line shows what the downloader logs meanwhile, so an
offline cycle writes nothing (inferred). The only documented offline-mode line, "Successfully Dropped the state
message 4~~" after a service connection tool import, is not simulated (the lab has no import).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from tests.lab.windows.host import WindowsHost
from tests.lab.world import paths
from tests.lab.world.logs import ERROR, INFO, SIMPLE, WARNING
from tests.lab.world.model import (
    SCP_ROLE,
    UPDATE_APPLICABILITY_SUCCESS,
    UPDATE_DOWNLOAD_IN_PROGRESS,
    UPDATE_DOWNLOAD_SUCCESS,
    SiteUpdate,
    StatusMessage,
)

if TYPE_CHECKING:
    from tests.lab.world.world import World

MANIFEST_HOSTS = ("go.microsoft.com", "download.microsoft.com")  # [OFFICIAL] manifest URLs in DMPDownloader.log
PAYLOAD_HOST = "configmgrbits.cdn.manage.microsoft.com"  # [OFFICIAL] payload CDN (since March 2025)
UPLOAD_HOST = "sccm.manage.microsoft.com"  # [OFFICIAL] SCCMConnectedService.svc host
FULL_SYNC_AGE = timedelta(hours=24)  # [OFFICIAL] "Every 24 hours"
# [OFFICIAL] URLs as DMPDownloader.log shows them in the updates-and-servicing support article (examples).
MANIFEST_FWLINK = "https://go.microsoft.com/fwlink/?LinkId=2309745"
FLIGHTING_URL = "https://sccm.manage.microsoft.com/SCCMConnectedService.svc"
MANIFEST_URL = (
    "https://download.microsoft.com/download/6e09da86-4e81-4c36-a2f4-98b7bc4e261c/"
    "70.KB33177653_CM2403_9128.1033_CM2409_9132.1027_CM2503_9135.1006/ConfigMgr.Update.Manifest.cab"
)
NULL_PACKAGE = "00000000-0000-0000-0000-000000000000"
UNREACHABLE = "Unable to connect to the remote server"  # inferred: .NET WebException text
TLS_FAILURE = "The underlying connection was closed: An unexpected error occurred on a send."  # inferred


@dataclass
class DmpState:
    running: bool = False
    effective_mode: str | None = None  # "Online" | "Offline": read at thread start
    started_at: datetime | None = None
    last_sync: datetime | None = None
    last_result: str | None = None  # "synced" | "offline" | "failed" | "skipped"
    cycles: int = 0
    gen: int = 0
    force_next: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "running": self.running,
            "effective_mode": self.effective_mode,
            "started_at": self.started_at.isoformat() if self.started_at else None,
            "last_sync": self.last_sync.isoformat() if self.last_sync else None,
            "last_result": self.last_result,
            "cycles": self.cycles,
        }


class DmpDownloader:
    def __init__(
        self,
        world: World,
        first_delay: float = 30.0,
        interval: float = 3600.0,
        download_start: float = 10.0,
        download_time: float = 60.0,
    ) -> None:
        self.world = world
        # inferred: a new update starts downloading soon after the sync that found it and is downloaded a minute later
        self.download_start = download_start
        self.download_time = download_time
        self.first_delay = first_delay  # inferred: the first cycle runs shortly after the thread starts
        self.interval = interval  # inferred: the downloader wakes up hourly, syncs when 24 h have passed
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
            log.write("SMS_DMP_DOWNLOADER is stopping.", now)  # inferred wording, not mode-specific (see above)
            return
        st.running = True
        st.started_at = now
        st.effective_mode = self.configured_mode(host) or st.effective_mode or "Online"
        st.force_next = True  # inferred: the first cycle after a start always talks to the service
        # inferred wording, and not mode-specific: the collection must not rely on it (nothing documents a start line).
        # The thread logs no line naming its mode: none is documented.
        log.write("SMS_DMP_DOWNLOADER started.", now)
        self._schedule(host, st, self.first_delay)

    def request_sync(self, host: WindowsHost, delay: float = 5.0) -> bool:
        """Invoke-CMSiteUpdateCheck: an extra cycle soon. False when the thread is not running."""
        st = self.state(host)
        if not st.running:
            return False
        st.force_next = True
        self._schedule(host, st, delay, keep_gen=True)
        return True

    def offline_import(self, host: WindowsHost, updates: list[SiteUpdate], delay: float = 5.0) -> None:
        """The service connection tool imported update packs on `host` (offline mode): [OFFICIAL] the downloader then
        logs "Successfully Dropped the state message 4" (support article understand-troubleshoot-updates-servicing),
        with a state message 6 FOUND_NEW_PACKAGE for each new update, which then downloads as an online one does.
        Inferred: the delay, that the thread picks the import up even when it is stopped later, the other lines."""

        def fire() -> None:
            with self.world.lock:
                down = self.world.log(host, "dmpdownloader.log", paths.DMP_DOWNLOADER)
                doc = _Documented(down, self.world.clock.now(), self._inbox(host))
                doc.write("Processing the update packs imported by the service connection tool~~")  # inferred
                doc.state_message(4)
                for update in updates:
                    doc.state_message(6, update.package_guid)
                    self._advance_update(
                        update, UPDATE_APPLICABILITY_SUCCESS, UPDATE_DOWNLOAD_SUCCESS, self.download_start
                    )

        self.world.clock.schedule(delay, fire)

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
            # inferred: nothing documented shows what the downloader or the uploader logs in offline mode, so nothing
            # mode-specific is written (never an "... is in offline mode." line).
            st.last_result = "offline"
            return
        recent = st.last_sync is not None and now - st.last_sync < FULL_SYNC_AGE and not self._sync_reset(host)
        if recent and not st.force_next:
            st.last_result = (
                "skipped"  # inferred: waits for the 24-hour interval; the wording it logs is not documented
            )
            return
        st.force_next = False
        doc = _Documented(down, now, self._inbox(host))
        doc.write("Hasn't synced recently.")  # [OFFICIAL] lines from here on
        doc.state_message(0)
        doc.write("Checking for preview version~~")
        doc.write("Site is preview? no~~")
        doc.write("Is it a fast channel? :False~~")
        doc.write(f"Easysetup fwlink to download the manifest: {MANIFEST_FWLINK}~~")
        doc.write("Download Easy setup payloads~~")
        doc.write("Get manifest.cab url~~")
        doc.write("Get manifest.cab from download center.~~")
        problem = self._connect_problem(host, MANIFEST_HOSTS)
        if problem:
            # inferred wording and severity (no documented line for a failed manifest download); 11488 is OFFICIAL.
            down.write(f"ERROR: Failed to download the manifest with exception: {problem}", now, ERROR)
            up.write(f"ERROR: Failed to upload usage data with exception: {problem}", now, ERROR)
            self._status(
                host,
                "SMS_SERVICE_CONNECTOR",
                11488,
                "Error",
                "The service connection point can't connect to the required internet endpoints.",
            )
            st.last_result = "failed"
            return
        doc.write("GetSABranchInfo: Site is at 1 branch.~~")
        doc.write(f"Redirected to URL {FLIGHTING_URL}~~")
        doc.write("Flighting is not configured, fallback to default setting.~~")
        doc.state_message(1)
        doc.write("Download manifest.cab~~")
        doc.write(f"Redirected to URL {MANIFEST_URL}~~")
        doc.write("Got fwdlink and recreating the httprequest/response~~")
        doc.write("manifest.cab (http response) size is 11526232~~")
        doc.state_message(2)
        manifest = f"{self._install_dir(host)}\\EasySetupPayload\\ConfigMgr.Update.Manifest.cab"
        doc.write(f"File '{manifest}' is signed and trusted.")
        doc.write(f"File '{manifest}' is signed with MS root cert.")
        doc.write("Finished calling verify manifest~~")
        doc.state_message(3)
        doc.write("Manifest.cab was successfully moved to the connector outbox~~")
        doc.state_message(4)
        self._publish_offered(doc)
        payload = self._connect_problem(host, (PAYLOAD_HOST,))
        if payload:
            down.write(
                f"WARNING: Failed to download easy setup payload with exception: {payload}", now, WARNING
            )  # [OFFICIAL] prefix
        upload = self._connect_problem(host, (UPLOAD_HOST,))
        if upload:
            up.write(f"ERROR: Failed to upload usage data with exception: {upload}", now, ERROR)  # inferred wording
            self._status(host, "SMS_DMP_UPLOADER", 9605, "Error", "DMP_UPLOADER_UPLOAD_FAILED")  # [OFFICIAL] ID
        else:
            up.write("Successfully uploaded usage data to the cloud service.", now)  # inferred wording
        host.registry.set_value(paths.DMP_COMPONENT_KEY, "LastSyncedTime", int(now.timestamp()), "QWord")
        self._hman_note(host, now)
        st.last_sync = now
        st.last_result = "synced"

    def _publish_offered(self, doc: _Documented) -> None:
        """The offered updates the site lacks appear as available (state message 6 FOUND_NEW_PACKAGE [OFFICIAL]
        names each), then download on the lab clock (inferred timing)."""
        known = {u.package_guid.lower() for u in self.world.hierarchy.updates}
        now = self.world.clock.now()
        for offered in self.world.hierarchy.offered:
            offer = offered.update
            if offer.package_guid.lower() in known or (offered.released is not None and offered.released > now):
                continue
            update = SiteUpdate(offer.name, offer.package_guid, offer.full_version, UPDATE_APPLICABILITY_SUCCESS)
            self.world.hierarchy.updates.append(update)
            doc.state_message(6, offer.package_guid)
            self._advance_update(update, UPDATE_APPLICABILITY_SUCCESS, UPDATE_DOWNLOAD_IN_PROGRESS, self.download_start)
            self._advance_update(
                update, UPDATE_DOWNLOAD_IN_PROGRESS, UPDATE_DOWNLOAD_SUCCESS, self.download_start + self.download_time
            )

    def _advance_update(self, update: SiteUpdate, before: int, after: int, delay: float) -> None:
        def fire() -> None:
            with self.world.lock:
                if update.state == before:  # not moved on by anything else meanwhile
                    update.state = after

        self.world.clock.schedule(delay, fire)

    # -- helpers -------------------------------------------------------------------------------------------
    def _install_dir(self, host: WindowsHost) -> str:
        site = self.world.site_of_host(host.fqdn)
        if site is not None and site.server.lower() == host.fqdn.lower() and getattr(site, "install_dir", None):
            return str(site.install_dir)
        return paths.REMOTE_INSTALL_DIR

    def _inbox(self, host: WindowsHost) -> str:
        # [OFFICIAL] "Write the state message in E:\ConfigMgr\inboxes\auth\statesys.box\incoming\high\___CMU....SMX"
        return f"{self._install_dir(host)}\\inboxes\\auth\\statesys.box\\incoming\\high"

    def _sync_reset(self, host: WindowsHost) -> bool:
        found = host.registry.get_value(paths.DMP_COMPONENT_KEY, "LastSyncedTime")
        return found is not None and not found[0]  # [COMMUNITY] memlabs forces a sync by writing 0

    def _connect_problem(self, host: WindowsHost, names: tuple[str, ...]) -> str | None:
        if self.world.faults.take("dmp", host.fqdn):
            return UNREACHABLE
        if not self._tls12(host):
            return TLS_FAILURE
        server = self.world.hierarchy.server(host.fqdn)
        proxy = server.proxy if server else None  # [OFFICIAL] the SCP uses its site system's proxy
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
        self.world.hierarchy.status_messages.append(
            StatusMessage(
                site.code if site else "",
                component,
                host.fqdn.upper(),
                message_id,
                severity,
                self.world.clock.now(),
                text,
            )
        )

    def _hman_note(self, host: WindowsHost, now: datetime) -> None:
        site = self.world.site_of_host(host.fqdn)
        server = self.world.host(site.server) if site else None
        if site and server:
            # inferred wording: hman processes the forwarded state message file.
            self.world.log(server, "hman.log", "SMS_HIERARCHY_MANAGER").write(
                f"Processing forwarded state message from the service connection point {host.fqdn}.", now, INFO
            )

    def to_json(self) -> dict[str, Any]:
        return {fqdn: st.to_json() for fqdn, st in self.states.items()}


class _Documented:
    """Writes documented DMPDownloader.log lines as the support article shows them. The trailing "~~" of the SMS
    trace lines is kept in that format and left out of a CMTrace record, whose message has no such end marker."""

    def __init__(self, log: Any, when: datetime, inbox: str) -> None:
        self.log, self.when, self.inbox = log, when, inbox
        self.count = 0

    def write(self, text: str) -> None:
        if getattr(self.log, "fmt", SIMPLE) != SIMPLE:
            text = text.rstrip("~")
        self.log.write(text, self.when)

    def state_message(self, number: int, package: str = NULL_PACKAGE) -> None:
        """[OFFICIAL] the three lines of each state message (0 START_PROCESS ... 4 MANIFEST_DOWNLOADED)."""
        self.count += 1
        name = "___CMU" + "".join(
            "abcdefghijklmnopqrstuvwxyz0123456789"[(number * 7 + self.count * 13 + i * 5) % 36] for i in range(8)
        )
        self.write(f"Generating state message: {number} for package {package}~~")
        self.write(f"Write the state message in {self.inbox}\\{name}.SMX~~")
        self.write(f"Successfully Dropped the state message {number}~~")
