"""decide_effective_mode: Online only from a documented manifest download line at or after the thread's recorded
start; never Offline from the log."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp import decide_effective_mode, effective_mode_evidence
from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.logs import LogEntry, parse_log

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=timezone.utc)


def log_at(when: datetime, *messages: str) -> list[LogEntry]:
    return parse_log(
        "\n".join(
            f"{m}  $$<SMS_DMP_DOWNLOADER><{(when + timedelta(seconds=i)).strftime('%m-%d-%Y %H:%M:%S.000')}+000><thread=7 (0x7)>"
            for i, m in enumerate(messages)
        )
    )


BEFORE = T0 - timedelta(minutes=1)
CASES = [
    # id, entries, recorded start, mode, reason part, decisive lines, documented lines
    (
        "manifest-after-start",
        log_at(T0, "Download manifest.cab~~"),
        BEFORE,
        "Online",
        "logged after the thread's start",
        1,
        1,
    ),
    (
        "fwlink",
        log_at(T0, "Easysetup fwlink to download the manifest: https://go.microsoft.com/fwlink/?LinkId=1~~"),
        BEFORE,
        "Online",
        "after",
        1,
        1,
    ),
    ("redirect", log_at(T0, "Redirected to URL https://download.microsoft.com/x~~"), BEFORE, "Online", "after", 1, 1),
    ("naive-start", log_at(T0, "Download manifest.cab~~"), BEFORE.replace(tzinfo=None), "Online", "after", 1, 1),
    ("no-start-known", log_at(T0, "Download manifest.cab~~"), None, "unknown", "last start is not known", 0, 1),
    (
        "lines-before-start",
        log_at(T0, "Download manifest.cab~~"),
        T0 + timedelta(hours=1),
        "unknown",
        "all precede the thread's start",
        0,
        1,
    ),
    (
        "state-message-4-only",
        log_at(T0, "Successfully Dropped the state message 4~~"),
        BEFORE,
        "unknown",
        "no documented online-sync line since the thread's start",
        0,
        1,
    ),
    (
        "invented-mode-lines",
        log_at(T0, "Running in online mode", "Running in OFFLINE mode"),
        BEFORE,
        "unknown",
        "no documented DMPDownloader.log line shows offline mode",
        0,
        0,
    ),
    ("empty-log", [], BEFORE, "unknown", "no documented online-sync line", 0, 0),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_decide_effective_mode(case):
    _id, entries, started, mode, reason, decisive, documented = case
    decided = decide_effective_mode(entries, started)
    assert decided.mode == mode and reason in decided.reason
    assert len(decided.online_sync_lines) == decisive and len(decided.documented_lines) == documented
    assert decided.lines_read == len(entries)
    assert decided.mode != "Offline"
    assert effective_mode_evidence(entries, started) == decided.to_dict() == {"mode": mode, **decided.evidence()}


def test_the_evidence_keeps_the_last_lines_only():
    entries = log_at(T0, *["Download manifest.cab~~"] * 8)
    decided = decide_effective_mode(entries, BEFORE)
    assert len(decided.online_sync_lines) == 5 and decided.thread_started_at == BEFORE.isoformat()
    assert decided.latest_online_sync_line == decided.online_sync_lines[-1]
