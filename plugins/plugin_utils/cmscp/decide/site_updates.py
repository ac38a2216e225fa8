"""configmgr.scp.site_updates: the site's updates as returned, whether a check for updates may be triggered, and what
the downloader's log says of a check.

Facts (Microsoft's documentation): `Get-CMSiteUpdate [-Fast] [-Name]` lists the site updates, `Invoke-CMSiteUpdateCheck`
(no parameters but the common ones) triggers "Check for updates" [OFFICIAL cmdlet reference]; the CM_UpdatePackages
State codes and names [OFFICIAL]; the SCP in offline mode "doesn't connect to the Microsoft cloud service"
[OFFICIAL]; `Successfully Dropped the state message 4~~` is the documented dmpdownloader.log line of state message 4
MANIFEST_DOWNLOADED [OFFICIAL, SupportArticles updates-and-servicing guide]. Our reading, not documented: which state
the console shows as available / ready to install (STATUSES), and that a check whose log shows an error line before
that state message failed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar

from ..configmgr.constants import UPDATE_INSTALLING_STATES
from ..configmgr.model import ProviderState, SiteUpdate, ThreadState
from ..logs import LogEntry
from ..steps import PlanStep

UPDATES_READS = ("scp", "site_systems", "updates")
SERVICE_CONNECTION_TOOL = "configmgr.scp.service_connection_tool"

# [OFFICIAL] CM_UpdatePackages.State names
STATE_NAMES = {
    262145: "DOWNLOAD_IN_PROGRESS",
    262146: "DOWNLOAD_SUCCESS",
    327679: "DOWNLOAD_FAILED",
    327682: "APPLICABILITY_SUCCESS",
    196612: "INSTALL_SUCCESS",
}
# our reading of the codes as the console's words (UNVERIFIED mapping; docs/modules.md says so)
STATUSES = {
    327682: "available",
    262145: "downloading",
    262146: "ready_to_install",
    327679: "download_failed",
    196612: "installed",
}
APPLICABLE = frozenset(("available", "downloading", "ready_to_install", "installing"))
# [OFFICIAL] documented dmpdownloader.log line: state message 4 MANIFEST_DOWNLOADED dropped
SYNCED_MARKER = "Successfully Dropped the state message 4"
STATE_MESSAGE_MARKER = "Successfully Dropped the state message "


@dataclass(frozen=True)
class TriggerUpdateCheck(PlanStep):
    """Invoke-CMSiteUpdateCheck through the SMS Provider."""

    action: ClassVar[str] = "trigger_update_check"
    mutates: ClassVar[bool] = True
    server: str


@dataclass(frozen=True)
class WaitForDownloader(PlanStep):
    """Read dmpdownloader.log on the SCP host, only the lines new since the last poll, until the check's result."""

    action: ClassVar[str] = "wait_for_downloader"
    mutates: ClassVar[bool] = False
    server: str
    timeout: float


@dataclass(frozen=True)
class SiteUpdatesPlan:
    server: str | None  # the SCP's server, None without an SCP
    mode: str | None  # its configured mode
    check: bool
    steps: tuple[PlanStep, ...] = ()
    failure: str | None = None  # a refused check: the task fails, nothing was triggered
    msg: str | None = None  # check mode: what a run would do

    @property
    def changed(self) -> bool:
        return any(step.mutates for step in self.steps)


@dataclass(frozen=True)
class CheckOutcome:
    """What dmpdownloader.log shows after the trigger: `result` synced | failed | None (nothing yet)."""

    result: str | None
    entries: tuple[LogEntry, ...] = ()

    @property
    def errors(self) -> list[LogEntry]:
        return [e for e in self.entries if e.severity == "error"]

    @property
    def state_messages(self) -> list[int]:
        found = []
        for entry in self.entries:
            if entry.message.startswith(STATE_MESSAGE_MARKER):
                number = entry.message[len(STATE_MESSAGE_MARKER) :].rstrip("~").strip()
                if number.isdigit():
                    found.append(int(number))
        return found


def needs_thread(check: bool, state: ProviderState) -> bool:
    """The SCP host's downloader thread is read only for a check of an online SCP."""
    return check and state.scp is not None and state.scp.mode == "Online"


def plan_site_updates(
    state: ProviderState,
    check: bool,
    wait_timeout: float,
    check_mode: bool,
    thread: ThreadState | None = None,
) -> SiteUpdatesPlan:
    """A list only, or a check: refused without an SCP, in offline mode, or with the downloader not running (it is
    the thread that talks to the service, and nothing would answer)."""
    scp = state.scp
    server, mode = (scp.server, scp.mode) if scp else (None, None)
    if not check:
        return SiteUpdatesPlan(server, mode, False)
    if scp is None:
        return SiteUpdatesPlan(
            None, None, True, failure="no service connection point in the hierarchy: nothing can check for updates"
        )
    server = scp.server
    if mode is None:
        return SiteUpdatesPlan(
            server,
            mode,
            True,
            failure=f"the mode of the service connection point on {server} is unknown (no OfflineMode property): "
            "a check for updates needs online mode",
        )
    if mode != "Online":
        return SiteUpdatesPlan(
            server,
            mode,
            True,
            failure=(
                f"the service connection point on {server} is in offline mode: it does not connect to the service, "
                "so a check for updates (Invoke-CMSiteUpdateCheck) needs online mode; in offline mode import the "
                f"updates with the service connection tool ({SERVICE_CONNECTION_TOOL})"
            ),
        )
    if thread is not None and not thread.running:
        current = thread.current_state if thread.present else "not installed"
        return SiteUpdatesPlan(
            server,
            mode,
            True,
            failure=(
                f"SMS_DMP_DOWNLOADER is {current} on {server}: the check for updates needs it running "
                "(configmgr.scp.component state=started)"
            ),
        )
    if thread is not None and thread.pending_mode is not None:
        return SiteUpdatesPlan(
            server,
            mode,
            True,
            failure=(
                f"the mode of the SCP on {server} was set to {thread.pending_mode} and SMS_DMP_DOWNLOADER has not "
                "restarted since, so the running downloader may still work in the old mode: restart it first "
                "(configmgr.scp.component state=restarted)"
            ),
        )
    steps: tuple[PlanStep, ...] = (
        TriggerUpdateCheck(f"check for site updates (Invoke-CMSiteUpdateCheck) through the SCP on {server}", server),
        WaitForDownloader(
            f"wait up to {wait_timeout:g} s for the result in dmpdownloader.log on {server}",
            server,
            float(wait_timeout),
        ),
    )
    msg = f"check mode: would trigger a check for updates on {server} and wait for its result" if check_mode else None
    return SiteUpdatesPlan(server, mode, True, steps, msg=msg)


def check_outcome(entries: Sequence[LogEntry], since: datetime) -> CheckOutcome:
    """The entries written at or after `since` (the SCP host's clock before the trigger): synced when the documented
    state message 4 line is among them, failed when an error line is and that line is not, else None (wait on)."""
    new = tuple(e for e in entries if e.time is not None and e.time >= since)
    if any(SYNCED_MARKER in e.message for e in new):
        return CheckOutcome("synced", new)
    if any(e.severity == "error" for e in new):
        return CheckOutcome("failed", new)
    return CheckOutcome(None, new)


def update_status(code: int | None) -> str:
    if code in UPDATE_INSTALLING_STATES:
        return "installing"
    return STATUSES.get(code, "unknown") if code is not None else "unknown"


def update_view(update: SiteUpdate) -> dict[str, Any]:
    status = update_status(update.state)
    return {
        "name": update.name,
        "version": update.version,
        "package_guid": update.package_guid,
        "state": STATE_NAMES.get(update.state) if update.state is not None else None,
        "state_code": update.state,
        "status": status,
        "applicable": status in APPLICABLE,
        "downloading": status == "downloading",
        "ready_to_install": status == "ready_to_install",
        "installing": status == "installing",
        "installed": status == "installed",
    }


def new_updates(before: Sequence[SiteUpdate], after: Sequence[SiteUpdate]) -> list[str]:
    """Names of the updates listed after the check and not before (by package GUID, else name)."""
    seen = {u.package_guid or u.name for u in before}
    return [u.name for u in after if (u.package_guid or u.name) not in seen]


def failure_message(server: str, outcome: CheckOutcome, waited: float, findings: Sequence[Any]) -> str:
    """Why the check did not sync: the downloader's first error line (or the timeout) and the preflight's endpoint
    and TLS 1.2 checks run on the SCP host."""
    if outcome.result == "failed":
        first = outcome.errors[0].message if outcome.errors else "an error line"
        head = f"the check for updates on {server} failed: dmpdownloader.log: {first}"
    else:
        head = f"the check for updates on {server} logged no result in dmpdownloader.log within {waited:.0f} s"
    bad = [f for f in findings if getattr(f, "status", "pass") != "pass"]
    if not findings:
        return head
    if not bad:
        return f"{head}; the endpoint and TLS 1.2 checks pass on {server}: read dmpdownloader.log there"
    reasons = "; ".join(f"{f.id}: {f.message}" for f in bad)
    return f"{head}; on {server}: {reasons}"
