"""plan_site_updates / check_outcome / update_view: what site_updates refuses, triggers, and reads from the log."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp import (
    failure_message,
    needs_thread,
    new_updates,
    plan_site_updates,
    update_view,
)
from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.configmgr.model import (
    Hierarchy,
    ProviderState,
    ScpInfo,
    SiteUpdate,
    ThreadState,
)
from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.configmgr.prereqs import CheckResult
from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.decide.site_updates import (
    CheckOutcome,
    TriggerUpdateCheck,
    WaitForDownloader,
    check_outcome,
)
from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.logs import parse_log

SCP01 = "scp01.contoso.com"
RUNNING = ThreadState(SCP01, "SMS_DMP_DOWNLOADER", True, "Running", "None")
STOPPED = ThreadState(SCP01, "SMS_DMP_DOWNLOADER", True, "Stopped", "None")
ABSENT = ThreadState(SCP01, "SMS_DMP_DOWNLOADER", False)
PENDING = ThreadState(SCP01, "SMS_DMP_DOWNLOADER", True, "Running", "None", pending_mode="Online")
T0 = datetime(2026, 11, 2, 9, 0, 30, tzinfo=timezone.utc)


def state(mode: str | None = "Online", updates: list[SiteUpdate] | None = None) -> ProviderState:
    """`mode` None: no SCP; "": an SCP without OfflineMode."""
    scp = ScpInfo(SCP01, "PS1", mode or None) if mode is not None else None
    return ProviderState("PS1", "cm01.contoso.com", "5.0", Hierarchy([]), scp, [], updates=updates or [])


def line(text: str, second: int) -> str:
    return f"{text}  $$<SMS_DMP_DOWNLOADER><11-02-2026 09:00:{second:02d}.000+000><thread=7 (0x7)>"


# (case, mode, check, check_mode, thread) -> (steps, changed, failure contains, msg contains)
PLANS = [
    ("list only", "Online", False, False, None, (), False, None, None),
    ("list only, offline", "Offline", False, False, None, (), False, None, None),
    ("list only, no SCP", None, False, False, None, (), False, None, None),
    ("check", "Online", True, False, RUNNING, ("trigger_update_check", "wait_for_downloader"), True, None, None),
    (
        "check mode",
        "Online",
        True,
        True,
        RUNNING,
        ("trigger_update_check", "wait_for_downloader"),
        True,
        None,
        "check mode: would trigger",
    ),
    ("no SCP", None, True, False, None, (), False, "no service connection point", None),
    ("offline", "Offline", True, False, None, (), False, "service_connection_tool", None),
    ("mode unknown", "", True, False, None, (), False, "is unknown (no OfflineMode property)", None),
    ("stopped downloader", "Online", True, False, STOPPED, (), False, "SMS_DMP_DOWNLOADER is Stopped", None),
    ("role not installed", "Online", True, False, ABSENT, (), False, "is not installed on", None),
    ("mode not applied", "Online", True, False, PENDING, (), False, "has not restarted since", None),
]


@pytest.mark.parametrize(
    ("case", "mode", "check", "check_mode", "thread", "steps", "changed", "failure", "msg"),
    PLANS,
    ids=[p[0] for p in PLANS],
)
def test_plan(
    case: str,
    mode: str | None,
    check: bool,
    check_mode: bool,
    thread: ThreadState | None,
    steps: tuple[str, ...],
    changed: bool,
    failure: str | None,
    msg: str | None,
) -> None:
    plan = plan_site_updates(state(mode), check, 120, check_mode, thread)
    assert tuple(s.action for s in plan.steps) == steps, case
    assert plan.changed is changed
    if failure is None:
        assert plan.failure is None
    else:
        assert plan.failure is not None and failure in plan.failure
    if msg is None:
        assert plan.msg is None
    else:
        assert plan.msg is not None and msg in plan.msg
    if steps:
        trigger, wait = plan.steps
        assert isinstance(trigger, TriggerUpdateCheck) and trigger.mutates and trigger.server == SCP01
        assert isinstance(wait, WaitForDownloader) and not wait.mutates and wait.timeout == 120.0


def test_offline_refusal_names_the_server_and_the_offline_way() -> None:
    plan = plan_site_updates(state("Offline"), True, 60, False)
    assert plan.failure is not None
    assert SCP01 in plan.failure and "offline mode" in plan.failure
    assert "configmgr.scp.service_connection_tool" in plan.failure


@pytest.mark.parametrize(
    ("mode", "check", "expected"),
    [("Online", True, True), ("Online", False, False), ("Offline", True, False), (None, True, False)],
)
def test_the_thread_is_read_only_for_a_check_of_an_online_scp(mode: str | None, check: bool, expected: bool) -> None:
    assert needs_thread(check, state(mode)) is expected


# (case, log lines, result, state messages)
OUTCOMES = [
    ("nothing yet", [line("Hasn't synced recently.", 10)], None, []),
    (
        "synced after the trigger",
        [
            line("Hasn't synced recently.", 31),
            line("Successfully Dropped the state message 0~~", 31),
            line("Successfully Dropped the state message 4~~", 32),
        ],
        "synced",
        [0, 4],
    ),
    ("a sync before the trigger does not count", [line("Successfully Dropped the state message 4~~", 29)], None, []),
    (
        "an error after the trigger",
        [
            line("Successfully Dropped the state message 0~~", 31),
            line("ERROR: Failed to download the manifest with exception: Unable to connect", 31),
        ],
        "failed",
        [0],
    ),
    ("an error before the trigger does not count", [line("ERROR: Failed to download the manifest", 20)], None, []),
    (
        "a payload warning after state message 4 is still a sync",
        [
            line("Successfully Dropped the state message 4~~", 31),
            line("WARNING: Failed to download easy setup payload with exception: x", 31),
        ],
        "synced",
        [4],
    ),
]


@pytest.mark.parametrize(("case", "lines", "result", "messages"), OUTCOMES, ids=[o[0] for o in OUTCOMES])
def test_check_outcome(case: str, lines: list[str], result: str | None, messages: list[int]) -> None:
    outcome = check_outcome(parse_log("\n".join(lines)), T0)
    assert outcome.result == result, case
    assert outcome.state_messages == messages
    assert all(e.time is not None and e.time >= T0 for e in outcome.entries)


# (code, status, state name, flags true)
VIEWS = [
    (327682, "available", "APPLICABILITY_SUCCESS", {"applicable"}),
    (262145, "downloading", "DOWNLOAD_IN_PROGRESS", {"applicable", "downloading"}),
    (262146, "ready_to_install", "DOWNLOAD_SUCCESS", {"applicable", "ready_to_install"}),
    (196609, "installing", None, {"applicable", "installing"}),
    (196612, "installed", "INSTALL_SUCCESS", {"installed"}),
    (327679, "download_failed", "DOWNLOAD_FAILED", set()),
    (1, "unknown", None, set()),
    (None, "unknown", None, set()),
]


@pytest.mark.parametrize(("code", "status", "name", "flags"), VIEWS)
def test_update_view(code: int | None, status: str, name: str | None, flags: set[str]) -> None:
    view = update_view(SiteUpdate("Configuration Manager 2603", code, "5.00.9150.1000", "guid-1"))
    assert (view["status"], view["state"], view["state_code"]) == (status, name, code)
    assert view["version"] == "5.00.9150.1000" and view["package_guid"] == "guid-1"
    flagged = {k for k in ("applicable", "downloading", "ready_to_install", "installing", "installed") if view[k]}
    assert flagged == flags


def test_new_updates_by_guid_then_name() -> None:
    before = [SiteUpdate("CM 2509", 196612, "5.0.9140", "g1"), SiteUpdate("Hotfix", 327682)]
    after = before + [SiteUpdate("CM 2603", 327682, "5.0.9150", "g2"), SiteUpdate("Hotfix 2", 327682)]
    assert new_updates(before, after) == ["CM 2603", "Hotfix 2"]
    assert new_updates(after, after) == []


def test_failure_message_names_the_first_error_and_the_failing_checks() -> None:
    failed = check_outcome(
        parse_log(line("ERROR: Failed to download the manifest with exception: Unable to connect", 31)), T0
    )
    findings = [
        CheckResult("internet_endpoints", "fail", "2 endpoint(s) not reachable from scp01: go.microsoft.com"),
        CheckResult("tls12", "pass", ".NET Framework uses TLS 1.2"),
    ]
    msg = failure_message(SCP01, failed, 6.0, findings)
    assert "failed: dmpdownloader.log: ERROR: Failed to download the manifest" in msg
    assert "internet_endpoints: 2 endpoint(s) not reachable" in msg
    assert "tls12" not in msg
    timeout = failure_message(SCP01, CheckOutcome(None), 60.0, [CheckResult("tls12", "pass", "ok")])
    assert "logged no result in dmpdownloader.log within 60 s" in timeout
    assert "the endpoint and TLS 1.2 checks pass" in timeout
