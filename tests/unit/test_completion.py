"""Install/removal completion (sitecomp.log markers + thread state), what ran before a failure, provider discovery."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.configmgr import bootstrap, scphost
from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.configmgr.model import Intent
from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.configmgr.provider import SiteProvider, bootstrap_done
from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.configmgr.scphost import ScpHost
from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.errors import (
    CommandFailed,
    ConfigMgrError,
    InvalidOption,
    WaitTimeout,
)
from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.executor import execute_plan
from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.logs import LogEntry
from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.planner import (
    DesiredScp,
    Plan,
    RecordIntent,
    RemoveScp,
    plan_scp,
)
from tests.unit.fakes import FakeSession
from tests.unit.test_domain import SCP, T0, Clock, provider_answers, sitecomp_lines, thread_session

SCP01, SCP02 = "scp01.contoso.com", "scp02.contoso.com"
RUNNING = [{"Current State": "Running", "Requested Operation": "None"}]


def entries(*messages, minute=10):
    at = datetime(2023, 7, 15, 9, minute, tzinfo=timezone.utc)
    return [LogEntry(m, at, "SMS_SITE_COMPONENT_MANAGER", 1, "info", "simple", i + 1) for i, m in enumerate(messages)]


# -- 1. markers belong to the server the latest naming line named ---------------------------------------------------
def test_marker_after_another_server_is_not_ours():
    log = entries(
        "Synchronizing component server scp01.contoso.com...",
        "Creating registry keys ... on server scp01.contoso.com",
        "Synchronizing component server scp02.contoso.com...",
        "Starting bootstrap operations...",
        "Installed service SMS_SERVER_BOOTSTRAP_SCP02",
        "Bootstrap operation successful.",
        "Bootstrap operations completed.",
    )
    assert not bootstrap_done(log, SCP01, T0)
    assert bootstrap_done(log, SCP02, T0)


def test_short_names_and_time_filter():
    log = entries(
        "Synchronizing component server scp01.contoso.com...",
        "Bootstrap operation successful.",
        "Starting bootstrap operations...",
        "Bootstrap operations completed.",
    )
    assert bootstrap_done(log, SCP01, T0) and bootstrap_done(log, "SCP01.Contoso.com", T0)
    netbios = entries("Installed service SMS_SERVER_BOOTSTRAP_SCP01", "Bootstrap operation successful.")
    assert bootstrap_done(netbios, SCP01, T0) and not bootstrap_done(netbios, SCP02, T0)
    early = entries("Synchronizing component server scp01.contoso.com...", "Bootstrap operation successful.", minute=1)
    assert not bootstrap_done(early, SCP01, datetime(2023, 7, 15, 9, 5, tzinfo=timezone.utc))


def test_each_marker_clears_the_tracked_server():
    # ours, an install marker (rejected: we wait for a de-install, and the server is cleared), then a de-install
    # marker that no line attributes to a server: not ours
    log = entries(
        "Synchronizing component server scp01.contoso.com...",
        "Running rolesetup.exe /install x",
        "Bootstrap operation successful.",
        "Running rolesetup.exe /deinstall x",
        "Bootstrap operation successful.",
    )
    assert not bootstrap_done(log, SCP01, T0, verb="deinstall")
    assert bootstrap_done(log[:1] + log[3:], SCP01, T0, verb="deinstall")
    assert bootstrap_done(log, SCP01, T0, verb="install")


def test_verb_distinguishes_install_from_deinstall():
    provider = SiteProvider(
        FakeSession(answers=provider_answers(**{"Get-Content": sitecomp_lines((SCP01, "install"))})), site_code="PS1"
    )
    assert provider.install_finished(SCP01, T0) and not provider.removal_finished(SCP01, T0)
    provider = SiteProvider(
        FakeSession(answers=provider_answers(**{"Get-Content": sitecomp_lines((SCP01, "deinstall"))})), site_code="PS1"
    )
    assert provider.removal_finished(SCP01, T0) and not provider.install_finished(SCP01, T0)


def test_site_server_itself_has_no_bootstrap():
    lines = [
        f"{t} $$<SMS_SITE_COMPONENT_MANAGER><07-15-2023 09:10:00.000+000><thread=1 (0x1)>"
        for t in (
            "Synchronizing component server cm01.contoso.com...",
            "Installing component SMS_DMP_DOWNLOADER...",
            "Creating registry keys Operations Management\\SMS Server Role\\SMS Dmp Connector on server cm01.contoso.com",
            "All files installed.",
        )
    ]
    provider = SiteProvider(FakeSession(answers=provider_answers(**{"Get-Content": lines})), site_code="PS1")
    assert provider.install_finished("cm01.contoso.com", T0)
    assert not provider.install_finished(SCP01, T0)
    assert provider.removal_finished("cm01.contoso.com", T0)  # the thread key being gone is the signal there


# -- 2. a stale thread key does not satisfy the install wait ------------------------------------------------------------
def test_stale_thread_key_waits_for_the_markers():
    clock = Clock()
    host = ScpHost(FakeSession(SCP01, {"Get-ItemProperty": RUNNING}), sleep=clock.sleep, clock=clock)
    answers = iter([False, False, True])
    messages = []
    state = host.wait_installed(timeout=60, progress=messages.append, finished=lambda: next(answers))
    assert state.running and clock.now == pytest.approx(4.0)
    assert any("waiting for the sitecomp.log completion" in m for m in messages)
    with pytest.raises(WaitTimeout) as info:
        host.wait_installed(timeout=10, finished=lambda: False)
    assert "no completion" in str(info.value)


def test_wait_progress_is_one_line_per_state_change_not_per_poll():
    clock = Clock()
    states = [None] * 4 + [("Starting", "None")] * 3 + [("Running", "None")] * 5
    polls = []

    def thread_key(params):
        if not params["Path"].endswith("SMS_DMP_DOWNLOADER"):
            return []  # the collection's own record: none
        polls.append(1)
        cur = states[min(len(polls), len(states)) - 1]
        return [] if cur is None else [{"Current State": cur[0], "Requested Operation": cur[1]}]

    host = ScpHost(FakeSession(SCP01, {"Get-ItemProperty": thread_key}), sleep=clock.sleep, clock=clock)
    answers = iter([False, False, False, True])
    messages = []
    host.wait_installed(timeout=60, progress=messages.append, finished=lambda: next(answers))
    assert len(polls) == 11
    assert [m.split(", waited")[0] for m in messages] == [
        "SMS_DMP_DOWNLOADER on scp01.contoso.com: not installed yet",
        "SMS_DMP_DOWNLOADER on scp01.contoso.com: Starting (requested None)",
        "SMS_DMP_DOWNLOADER on scp01.contoso.com: thread Running, waiting for the sitecomp.log completion",
    ]
    assert messages[1].endswith("waited 8 s")  # when the change was seen


def test_executor_requires_markers_after_the_add():
    log = sitecomp_lines((SCP01, "install"))
    stale = [line.replace("09:10:00", "08:10:00") for line in log]  # an install before the Add
    s = FakeSession(
        answers=provider_answers(**{"Get-CMServiceConnectionPoint": [], "Get-Date": [T0], "Get-Content": stale})
    )
    prov = SiteProvider(s, site_code="PS1")
    plan = plan_scp(prov.read_state(), DesiredScp(server=SCP01))
    clock = Clock()

    def host_for(fqdn):
        return ScpHost(FakeSession(fqdn, {"Get-ItemProperty": RUNNING}), sleep=clock.sleep, clock=clock)

    with pytest.raises(WaitTimeout) as info:
        execute_plan(plan, prov, host_for, wait_timeout=30)
    err = info.value
    assert err.changed is True and [st["action"] for st in err.steps_run] == ["add_scp"]
    assert [n for n in s.names if n in ("Get-Date", "Add-CMServiceConnectionPoint")] == [
        "Get-Date",
        "Add-CMServiceConnectionPoint",
    ]
    s.answers["Get-Content"] = log
    plan = plan_scp(prov.read_state(), DesiredScp(server=SCP01))
    s.answers["Get-CMServiceConnectionPoint"] = [SCP]
    assert execute_plan(plan, prov, host_for, wait_timeout=30).after["server"] == SCP01


# -- 9/10. what already ran ---------------------------------------------------------------------------------------------
def test_error_defaults_and_failure_before_any_write():
    err = ConfigMgrError("x")
    assert err.steps_run == [] and err.changed is False
    s = FakeSession(
        answers=provider_answers(
            **{"Get-CMServiceConnectionPoint": [], "Add-CMServiceConnectionPoint": RuntimeError("denied")}
        )
    )
    prov = SiteProvider(s, site_code="PS1")
    plan = plan_scp(prov.read_state(), DesiredScp(server=SCP01))
    assert [st.action for st in plan.steps] == ["add_scp", "wait_installed"]
    with pytest.raises(CommandFailed) as info:
        execute_plan(plan, prov, lambda f: ScpHost(FakeSession(f)))
    assert info.value.changed is False and info.value.steps_run == []


def test_restart_without_fallback_raises_wait_timeout_with_changed():
    s = thread_session([("Running", "None"), ("Running", "Stop")])  # stuck: Stop never honoured
    clock = Clock()
    with pytest.raises(WaitTimeout) as info:
        ScpHost(s, sleep=clock.sleep, clock=clock).restart_thread(timeout=20, fallback=False)
    err = info.value
    assert err.changed is True and [st["action"] for st in err.steps_run] == ["request_stop"]
    assert "Restart-Service" not in s.names


def test_set_thread_failure_after_the_write_is_changed():
    s = thread_session([("Running", "None"), ("Running", "Stop")])
    clock = Clock()
    with pytest.raises(WaitTimeout) as info:
        ScpHost(s, sleep=clock.sleep, clock=clock).set_thread("SMS_DMP_DOWNLOADER", "stopped", timeout=10)
    assert info.value.changed and info.value.steps_run[0]["action"] == "request_stop"


def test_a_failing_step_reports_what_it_wrote_after_the_completed_steps():
    """The executor lists the completed steps first, then what the failing call itself says it wrote (no repeats)."""
    record = RecordIntent("record", intent=Intent("remove", SCP01, None, "PS1", "Online"))
    remove = RemoveScp("remove", server=SCP01, site_code="PS1")
    written = {"action": "remove_part", "description": "half of the removal"}

    class Provider:
        host = "cm01.contoso.com"

        def forget_verified(self):
            pass

        def record_intent(self, intent):
            assert intent is record.intent

        def remove_scp(self, server, site_code):
            err = ConfigMgrError("denied", self.host, "Remove-CMServiceConnectionPoint")
            err.steps_run = [record.to_dict(), written]
            raise err

    with pytest.raises(ConfigMgrError) as info:
        execute_plan(Plan([record, remove], None, None), Provider(), lambda f: ScpHost(FakeSession(f)))
    assert info.value.steps_run == [record.to_dict(), written] and info.value.changed is True


# -- 6. provider discovery ---------------------------------------------------------------------------------------------
def test_discovery_prefers_the_connected_provider():
    rows = [
        {"SiteCode": "PS1", "Machine": "SMSPROV2.contoso.com", "ProviderForLocalSite": True},
        {"SiteCode": "PS1", "Machine": "CM01.contoso.com", "ProviderForLocalSite": True},
        {"SiteCode": "CAS", "Machine": "cas01.contoso.com", "ProviderForLocalSite": False},
    ]
    p = SiteProvider(FakeSession("cm01.contoso.com", provider_answers(**{"Get-CimInstance": rows})))
    assert p.discover() == ("PS1", "cm01.contoso.com")
    p = SiteProvider(FakeSession("10.0.0.5", provider_answers(**{"Get-CimInstance": rows[2:] + rows[:1]})))
    assert p.discover() == ("PS1", "smsprov2.contoso.com")  # no name match: the local site's provider
    p = SiteProvider(FakeSession("10.0.0.5", provider_answers(**{"Get-CimInstance": rows[2:]})))
    assert p.discover() == ("CAS", "cas01.contoso.com")  # then the first


# -- 12. one public definition each ------------------------------------------------------------------------------------
def test_public_validators():
    assert bootstrap.SITE_CODE.match("PS1") and not bootstrap.SITE_CODE.match("PS12")
    assert scphost.THREAD_NAME.match("SMS_DMP_DOWNLOADER") and not scphost.THREAD_NAME.match("a\\b")
    assert scphost.check_thread_name("SMS_EXECUTIVE") == "SMS_EXECUTIVE"
    with pytest.raises(InvalidOption):
        scphost.check_thread_name("..\\Run")
