"""The effective mode of the running SMS_DMP_DOWNLOADER: what service_connection_point_info reports besides the
configured mode (ScpInfo.mode, the site database's OfflineMode), decided from documented DMPDownloader.log lines only.
Pure: the caller reads the log and the thread's recorded start (ScpHost.thread_state_and_start)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from ..logs import LogEntry

UNKNOWN_MODE = "unknown"
ONLINE = "Online"

# -- effective mode: what DMPDownloader.log documents -------------------------------------------------------------
# No documented DMPDownloader.log line names the mode ("online mode" / "offline mode"): the mode is derived from the
# lines Microsoft documents instead. [OFFICIAL] SupportArticles "Understand and troubleshoot Updates and Servicing"
# (support/mem/configmgr/setup-migrate-backup-recovery/understand-troubleshoot-updates-servicing.md), "Step 1:
# DMPDownloader: Sync", shows the lines an *online* service connection point logs when it downloads the update
# manifest from Microsoft; memdocs "About the service connection point" says that in offline mode the SCP "doesn't
# connect to the Microsoft cloud service". A manifest download line written by the running thread therefore shows it
# runs online. These are the decisive lines (message text after the trailing "~~" is stripped):
ONLINE_SYNC_LINES = (
    re.compile(r"^Easysetup fwlink to download the manifest\b", re.I),
    re.compile(r"^Get manifest\.cab (url|from download center)", re.I),
    re.compile(r"^The flighting request url is https?://", re.I),
    re.compile(r"^Download manifest\.cab\b", re.I),
    re.compile(r"^Redirected to URL https?://", re.I),  # manifest, flighting service, Admin UI content downloads
    re.compile(r"^manifest\.cab \(http response\) size is\b", re.I),
)
# Documented lines that are reported but decide nothing: "Successfully Dropped the state message 4" is also what the
# downloader logs after a service connection tool import in offline mode (same article, "For the SCP configured to
# Offline mode"), and the others are not shown to need the cloud service.
CONSIDERED_LINES = (
    re.compile(r"^Hasn't synced recently\.", re.I),
    re.compile(r"^Generating state message: \d+ for package\b", re.I),
    re.compile(r"^Successfully Dropped the state message \d+", re.I),
)
# No documented line shows offline mode: the downloader is never reported Offline from its log (only unknown).
NO_OFFLINE_LINE = "no documented DMPDownloader.log line shows offline mode"
EVIDENCE_LINES = 5


@dataclass(frozen=True)
class EffectiveMode:
    """The decision and what it rests on (service_connection_point_info: `effective_mode` and
    `effective_mode_evidence`, the evidence being every field but `mode`)."""

    mode: str  # Online | unknown (never Offline: NO_OFFLINE_LINE)
    reason: str
    thread_started_at: str | None  # ISO 8601, the start the decision used
    online_sync_lines: tuple[dict[str, Any], ...]  # decisive lines at or after the start (the last EVIDENCE_LINES)
    latest_online_sync_line: dict[str, Any] | None
    documented_lines: tuple[dict[str, Any], ...]  # every documented line considered (the last EVIDENCE_LINES)
    lines_read: int

    def evidence(self) -> dict[str, Any]:
        return {
            "reason": self.reason,
            "thread_started_at": self.thread_started_at,
            "online_sync_lines": list(self.online_sync_lines),
            "latest_online_sync_line": self.latest_online_sync_line,
            "documented_lines": list(self.documented_lines),
            "lines_read": self.lines_read,
        }

    def to_dict(self) -> dict[str, Any]:
        return {"mode": self.mode, **self.evidence()}


def effective_mode(entries: Iterable[LogEntry], started_at: datetime | None = None) -> str:
    """`Online` or `unknown` (see decide_effective_mode)."""
    return decide_effective_mode(entries, started_at).mode


def effective_mode_evidence(entries: Iterable[LogEntry], started_at: datetime | None = None) -> dict[str, Any]:
    """decide_effective_mode as a plain dict: `mode` and the evidence."""
    return decide_effective_mode(entries, started_at).to_dict()


def decide_effective_mode(entries: Iterable[LogEntry], started_at: datetime | None = None) -> EffectiveMode:
    """The mode the running SMS_DMP_DOWNLOADER uses, from documented DMPDownloader.log lines only.

    `started_at` is a time at or after the thread's last start, on the SCP host's clock (what configmgr.scp.component
    records on the SCP host when it starts or restarts the thread: ScpHost.record_thread_start, read back by
    ScpHost.thread_state_and_start). Online: a documented manifest download line (ONLINE_SYNC_LINES)
    at or after `started_at`. Otherwise `unknown`: without `started_at` a line cannot be told apart from one written
    before the last restart, and no documented line shows offline mode. The evidence says what was considered."""
    if started_at is not None and started_at.tzinfo is None:
        started_at = started_at.replace(tzinfo=timezone.utc)
    timed = [e for e in entries if e.time is not None]
    online = [e for e in timed if _matches(ONLINE_SYNC_LINES, e.message)]
    other = [e for e in timed if _matches(CONSIDERED_LINES, e.message)]
    after = [e for e in online if started_at is not None and e.time is not None and e.time >= started_at]
    if after:
        mode, reason = (
            ONLINE,
            (
                "a documented online-sync line (manifest download from the Microsoft cloud service) was "
                "logged after the thread's start"
            ),
        )
    elif started_at is None:
        mode, reason = (
            UNKNOWN_MODE,
            (
                "the thread's last start is not known (configmgr.scp.component records it on the "
                "SCP host when it starts or restarts the thread), so no log line can be tied to the "
                "running thread; " + NO_OFFLINE_LINE
            ),
        )
    elif online:
        mode, reason = (
            UNKNOWN_MODE,
            ("the documented online-sync lines all precede the thread's start, and " + NO_OFFLINE_LINE),
        )
    else:
        mode, reason = (
            UNKNOWN_MODE,
            (
                "no documented online-sync line since the thread's start (the downloader syncs "
                "every 24 hours in online mode), and " + NO_OFFLINE_LINE
            ),
        )
    considered = sorted(online + other, key=lambda e: (e.time, e.line_number))
    return EffectiveMode(
        mode=mode,
        reason=reason,
        thread_started_at=started_at.isoformat() if started_at is not None else None,
        online_sync_lines=tuple(_line(e) for e in after[-EVIDENCE_LINES:]),
        latest_online_sync_line=_line(online[-1]) if online else None,
        documented_lines=tuple(_line(e) for e in considered[-EVIDENCE_LINES:]),
        lines_read=len(timed),
    )


def _matches(patterns: Iterable[re.Pattern[str]], message: str | None) -> bool:
    text = (message or "").strip()
    return any(p.search(text) for p in patterns)


def _line(entry: LogEntry) -> dict[str, Any]:
    return {"time": entry.time.isoformat() if entry.time else None, "message": entry.message, "source": entry.source}
