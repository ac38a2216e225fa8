"""plan_component: the server of the thread, the step, and what check mode predicts; execute_component's records."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import pytest

from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp import (
    ComponentRequest,
    component_server,
    execute_component,
    failure_after_restart,
    plan_component,
)
from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.configmgr.model import (
    Hierarchy,
    ProviderState,
    ScpInfo,
    Site,
    ThreadChange,
    ThreadState,
)
from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.decide.component import start_requested
from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.errors import (
    CommandFailed,
    ConfigMgrError,
    HostUnreachable,
    InvalidOption,
    WaitTimeout,
)
from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.session import PipelineResult, StatementResult

SCP01 = "scp01.contoso.com"
DL = "SMS_DMP_DOWNLOADER"
RUNNING = ThreadState(SCP01, DL, True, "Running", "None", "Automatic", "Running")
STOPPED = ThreadState(SCP01, DL, True, "Stopped", "None", "Automatic", "Running")
STOPPING = ThreadState(SCP01, DL, True, "Running", "Stop", "Automatic", "Running")
ABSENT = ThreadState(SCP01, DL, False)
NOW = datetime(2026, 11, 2, 9, 30, tzinfo=timezone.utc)
PS1 = Site("PS1", "Primary", 2, None, "cm01.contoso.com", "C:\\CM", "5.0", 0)


def request(state: str, **kwargs: Any) -> ComponentRequest:
    return ComponentRequest(DL, state, **kwargs)


CHECK_MODE = [
    # id, request, before, changed, method, restarted, predicted current state, warns, step
    ("start-running", request("started"), RUNNING, False, "none", "none", "Running", False, "set_thread"),
    ("start-stopped", request("started"), STOPPED, True, "thread", "none", "Running", False, "set_thread"),
    # Running with a Stop requested counts as started, as ScpHost.set_thread sees it
    ("start-stop-requested", request("started"), STOPPING, False, "none", "none", "Running", False, "set_thread"),
    ("stop-running", request("stopped"), RUNNING, True, "thread", "none", "Stopped", False, "set_thread"),
    ("stop-stopped", request("stopped"), STOPPED, False, "none", "none", "Stopped", False, "set_thread"),
    ("restart", request("restarted"), RUNNING, True, "thread", DL, "Running", False, "restart_thread"),
    ("restart-stopped", request("restarted"), STOPPED, True, "thread", DL, "Running", False, "restart_thread"),
    (
        "restart-service",
        request("restarted", method="service"),
        RUNNING,
        True,
        "service",
        "all",
        "Running",
        True,
        "restart_thread",
    ),
]


@pytest.mark.parametrize("case", CHECK_MODE, ids=[c[0] for c in CHECK_MODE])
def test_check_mode_prediction(case):
    _id, wanted, before, changed, method, restarted, current, warns, step = case
    plan = plan_component(wanted, SCP01, before, check_mode=True)
    predicted = plan.predicted
    assert (predicted.changed, predicted.method, predicted.restarted_components) == (changed, method, restarted)
    assert predicted.after.current_state == current
    if changed:
        assert predicted.after.requested_operation == "None"
    else:
        assert predicted.after is before  # nothing to do: after is what was read
    assert predicted.seconds == 0.0 and predicted.confirmed_running_at is None
    assert bool(predicted.warnings) is warns and plan.installed and plan.msg is None and plan.failure is None
    if warns:
        assert "would restart the SMS_EXECUTIVE service" in predicted.warnings[0]
    assert [s.action for s in plan.steps] == [step] and plan.steps[0].mutates


NOT_INSTALLED = [
    # id, server, before, request state, check mode, changed, restarted, message start
    (
        "no-scp-restart",
        None,
        None,
        "restarted",
        True,
        True,
        DL,
        "check mode: the hierarchy has no service connection point yet",
    ),
    ("no-scp-start", None, None, "started", True, False, "none", "check mode: the hierarchy has no"),
    ("no-scp-stop", None, None, "stopped", True, True, "none", "check mode: the hierarchy has no"),
    (
        "no-thread-check",
        SCP01,
        ABSENT,
        "restarted",
        True,
        True,
        DL,
        "check mode: SMS_DMP_DOWNLOADER is not on scp01.contoso.com (10.0.0.5) yet",
    ),
]


@pytest.mark.parametrize("case", NOT_INSTALLED, ids=[c[0] for c in NOT_INSTALLED])
def test_not_installed_in_check_mode(case):
    _id, server, before, state, check_mode, changed, restarted, msg = case
    plan = plan_component(request(state), server, before, check_mode, where="scp01.contoso.com (10.0.0.5)")
    assert plan.installed is False and plan.steps == () and plan.failure is None
    predicted = (plan.predicted.changed, plan.predicted.method, plan.predicted.restarted_components)
    assert predicted == (changed, "none", restarted)
    assert plan.msg.startswith(msg) and plan.predicted.after == before


def test_not_installed_for_real_fails_without_a_step():
    plan = plan_component(request("restarted"), SCP01, ABSENT, check_mode=False, where="scp01.contoso.com (10.0.0.5)")
    assert plan.steps == () and plan.failure == (
        "scp01.contoso.com (10.0.0.5): the SMS_DMP_DOWNLOADER thread is not installed; is the role on this server?"
    )


def state(scp: ScpInfo | None) -> ProviderState:
    return ProviderState("PS1", "cm01.contoso.com", "5.0", Hierarchy([PS1]), scp, [])


@pytest.mark.parametrize(
    "given,scp,check_mode,server",
    [
        ("scp02.contoso.com", None, False, "scp02.contoso.com"),
        (None, ScpInfo(SCP01, "PS1", "Online"), False, SCP01),
        (None, None, True, None),
    ],
)
def test_component_server(given, scp, check_mode, server):
    assert component_server(request("started", server=given), None if given else state(scp), check_mode) == server


def test_component_server_for_real_without_an_scp():
    with pytest.raises(ConfigMgrError, match="no service connection point; give server"):
        component_server(request("started"), state(None), False)


def test_the_request_is_checked():
    with pytest.raises(InvalidOption):
        request("paused")
    with pytest.raises(InvalidOption):
        request("restarted", method="reboot")


@pytest.mark.parametrize(
    "steps,requested,after_restart",
    [
        ([{"action": "request_stop"}], False, False),
        ([{"action": "request_stop"}, {"action": "request_start"}], True, False),
        ([{"action": "request_stop"}, {"action": "restart_service"}], True, True),
        ([], False, False),
    ],
)
def test_what_a_failure_still_says(steps, requested, after_restart):
    assert start_requested(steps) is requested
    failure = failure_after_restart(plan_component(request("restarted"), SCP01, RUNNING), steps)
    assert (failure is not None) is after_restart
    if failure:
        assert failure.restarted_components == "all" and "then the task failed" in failure.warnings[0]


class Session:
    host = SCP01

    def run(self, pipeline: Any, *args: Any, **kwargs: Any) -> PipelineResult:
        return PipelineResult([StatementResult(0, [NOW])])


class Host:
    host = SCP01

    def __init__(
        self, change: ThreadChange | None = None, error: Exception | None = None, record_error: Exception | None = None
    ) -> None:
        self.session = Session()
        self.change, self.error, self.record_error = change, error, record_error
        self.calls: list[Any] = []

    def restart_thread(self, name: str, **kwargs: Any) -> ThreadChange:
        self.calls.append(("restart", kwargs["method"], kwargs["fallback"]))
        if self.error:
            raise self.error
        return self.change

    def set_thread(self, name: str, state: str, **kwargs: Any) -> ThreadChange:
        self.calls.append(("set", state))
        return self.change

    def record_thread_start(self, name: str, when: datetime, every_thread: bool = False) -> str:
        self.calls.append(("record", every_thread))
        if self.record_error:
            raise self.record_error
        return when.isoformat()

    def forget_thread_start(self, name: str) -> None:
        self.calls.append(("forget",))


RUNS = [
    # id, request, change, host calls after the change, restarted, running at, warning part
    (
        "restart",
        request("restarted"),
        ThreadChange(RUNNING, RUNNING, "thread", 3.0, True),
        [("restart", "thread", True), ("record", False)],
        DL,
        NOW.isoformat(),
        None,
    ),
    (
        "fallback",
        request("restarted"),
        ThreadChange(RUNNING, RUNNING, "service", 9.0, True),
        [("restart", "thread", True), ("record", True)],
        "all",
        NOW.isoformat(),
        "fallback: the thread did not stop",
    ),
    (
        "stop",
        request("stopped"),
        ThreadChange(RUNNING, STOPPED, "thread", 1.0, True),
        [("set", "stopped"), ("forget",)],
        "none",
        None,
        None,
    ),
    (
        "start-noop",
        request("started"),
        ThreadChange(RUNNING, RUNNING, "none", 0.0, False),
        [("set", "started")],
        "none",
        None,
        None,
    ),
]


@pytest.mark.parametrize("case", RUNS, ids=[c[0] for c in RUNS])
def test_execute_component(case):
    _id, wanted, change, calls, restarted, running_at, warning = case
    host = Host(change)
    done = execute_component(plan_component(wanted, SCP01, RUNNING), host)
    assert host.calls == calls
    assert (done.restarted_components, done.confirmed_running_at, done.changed) == (
        restarted,
        running_at,
        change.changed,
    )
    assert (warning in done.warnings[0]) if warning else done.warnings == ()


def test_a_start_that_cannot_be_recorded_forgets_the_older_one_and_warns():
    host = Host(ThreadChange(RUNNING, RUNNING, "thread", 3.0, True), record_error=CommandFailed("denied", SCP01, "x"))
    done = execute_component(plan_component(request("restarted"), SCP01, RUNNING), host)
    assert done.confirmed_running_at is None and host.calls[-1] == ("forget",)
    assert "cannot record the start of SMS_DMP_DOWNLOADER" in done.warnings[0]


@pytest.mark.parametrize(
    "error,forgets",
    [
        (WaitTimeout("did not start", SCP01, "wait", 10.0, "Stopped"), True),
        (HostUnreachable("gone", SCP01), False),
    ],
)
def test_a_failure_after_the_start_request_forgets_the_record(error, forgets):
    error.steps_run = [{"action": "request_stop"}, {"action": "request_start"}]
    host = Host(error=error)
    with pytest.raises(type(error)):
        execute_component(plan_component(request("restarted"), SCP01, RUNNING), host)
    assert (("forget",) in host.calls) is forgets
