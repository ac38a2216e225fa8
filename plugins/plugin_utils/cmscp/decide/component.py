"""configmgr.scp.component: which server runs the thread, what a start, stop or restart changes, what check mode
predicts, and what is said about a restart of SMS_EXECUTIVE (it restarts every component of the host)."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, ClassVar

from ..configmgr.constants import DOWNLOADER_THREAD, EXECUTIVE_SERVICE
from ..configmgr.model import ProviderState, ThreadState
from ..errors import ConfigMgrError, InvalidOption
from ..steps import PlanStep

ALL_COMPONENTS = "all"  # restarted_components when SMS_EXECUTIVE itself was restarted
NO_COMPONENT = "none"
COMPONENT_READS = ("sites", "scp")  # read only to find the SCP's server when `server` is not given
STATES = ("started", "stopped", "restarted")
METHODS = ("thread", "service")


@dataclass(frozen=True)
class ComponentRequest:
    name: str  # SMS_EXECUTIVE thread, e.g. SMS_DMP_DOWNLOADER
    state: str  # started | stopped | restarted
    server: str | None = None  # default: the SCP's server
    method: str = "thread"  # restarted: thread (registry Stop/Start) | service (SMS_EXECUTIVE)
    fallback: bool = True  # method=thread: restart SMS_EXECUTIVE when the thread does not obey
    timeout: float = 120

    def __post_init__(self) -> None:
        if self.state not in STATES:
            raise InvalidOption("state", f"must be one of {', '.join(STATES)}, got {self.state!r}")
        if self.method not in METHODS:
            raise InvalidOption("method", f"must be thread or service, got {self.method!r}")


@dataclass(frozen=True)
class SetThread(PlanStep):
    """ScpHost.set_thread: it reads the state again and writes nothing when the thread is there already."""

    action: ClassVar[str] = "set_thread"
    mutates: ClassVar[bool] = True
    server: str
    name: str
    state: str  # started | stopped
    timeout: float

    @property
    def expects(self) -> dict[str, Any]:
        return {"thread": "Running" if self.state == "started" else "Stopped"}


@dataclass(frozen=True)
class RestartThread(PlanStep):
    action: ClassVar[str] = "restart_thread"
    mutates: ClassVar[bool] = True
    server: str
    name: str
    method: str
    fallback: bool
    timeout: float

    @property
    def expects(self) -> dict[str, Any]:
        return {"thread": "Running"}


@dataclass(frozen=True)
class ComponentOutcome:
    """What a change did (execute_component), or what check mode predicts it does (ComponentPlan.predicted)."""

    after: ThreadState | None
    changed: bool
    method: str  # thread | service | none
    restarted_components: str  # all | the thread | none
    seconds: float = 0.0
    confirmed_running_at: str | None = None  # the recorded start, when this run started the thread
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class ComponentPlan:
    """The step to run for real and what check mode reports (`predicted`). `installed` False: there is no thread to act
    on; `msg` is then the check-mode note and `failure` why a real run fails."""

    request: ComponentRequest
    server: str | None
    before: ThreadState | None
    predicted: ComponentOutcome
    steps: tuple[PlanStep, ...] = ()
    installed: bool = True
    msg: str | None = None
    failure: str | None = None


@dataclass(frozen=True)
class ComponentFailure:
    """What a failed task still reports after SMS_EXECUTIVE was restarted: every component of the host was."""

    restarted_components: str
    warnings: tuple[str, ...]


def component_server(request: ComponentRequest, state: ProviderState | None, check_mode: bool = False) -> str | None:
    """The server of the thread: `server`, else the SCP's. Without an SCP: None in check mode (an earlier task may only
    have predicted the install), else ConfigMgrError."""
    if request.server:
        return request.server
    if state is not None and state.scp is not None:
        return state.scp.server
    if check_mode:
        return None
    raise ConfigMgrError(
        "the hierarchy has no service connection point; give server explicitly",
        state.provider if state is not None else None,
        "find the service connection point",
    )


def plan_component(
    request: ComponentRequest,
    server: str | None,
    before: ThreadState | None,
    check_mode: bool = False,
    where: str | None = None,
) -> ComponentPlan:
    """`before`: the thread state read on `server` (None without a server); `where` names the server in messages."""
    name, state = request.name, request.state
    if server is None or before is None:
        return _not_installed(
            request, None, None, f"the hierarchy has no service connection point yet, so no server runs {name}"
        )
    where = where or server
    if not before.present:
        if check_mode:
            return _not_installed(request, server, before, f"{name} is not on {where} yet")
        return ComponentPlan(
            request,
            server,
            before,
            ComponentOutcome(before, False, "none", NO_COMPONENT),
            installed=False,
            failure=f"{where}: the {name} thread is not installed; is the role on this server?",
        )
    unchanged = (state == "started" and before.running) or (state == "stopped" and before.stopped)
    method = "none" if unchanged else request.method if state == "restarted" else "thread"
    warnings = (service_warning(server, name, "method=service", check_mode=True),) if method == "service" else ()
    step: PlanStep
    if state == "restarted":
        step = RestartThread(
            f"restart {name} on {server}"
            + (" through the SMS_EXECUTIVE service" if request.method == "service" else ""),
            server=server,
            name=name,
            method=request.method,
            fallback=request.fallback,
            timeout=request.timeout,
        )
    else:
        step = SetThread(
            f"{'start' if state == 'started' else 'stop'} {name} on {server}",
            server=server,
            name=name,
            state=state,
            timeout=request.timeout,
        )
    outcome = ComponentOutcome(
        before if unchanged else predicted(before, state),
        not unchanged,
        method,
        restarted_components(method, name, state, not unchanged),
        warnings=warnings,
    )
    return ComponentPlan(request, server, before, outcome, (step,))


def predicted(before: ThreadState, state: str) -> ThreadState:
    """The thread state check mode reports as `after`: the wanted state, no request pending."""
    if state == "stopped":
        return dataclasses.replace(before, current_state="Stopped", requested_operation="None")
    return dataclasses.replace(before, current_state="Running", requested_operation="None")


def restarted_components(method: str, name: str, state: str, changed: bool) -> str:
    """`all` after an SMS_EXECUTIVE restart, the thread after its own restart, `none` otherwise."""
    if method == "service":
        return ALL_COMPONENTS
    if state == "restarted" and changed:
        return name
    return NO_COMPONENT


def service_warning(server: str, name: str, why: str, check_mode: bool = False) -> str:
    """The warning for an SMS_EXECUTIVE service restart: it restarts every component of the server, not only `name`
    ("You can also restart the SMS_Executive service ... which restarts most site components" [OFFICIAL memdocs
    about-the-service-connection-point, "Change mode"])."""
    return (
        f"{server}: {'would restart' if check_mode else 'restarted'} the {EXECUTIVE_SERVICE} service on {server}, "
        f"which {'restarts' if check_mode else 'restarted'} every Configuration Manager component on that host, not only {name}"
    ) + (f" ({why})" if why else "")


def fallback_reason(request: ComponentRequest) -> str:
    """Why SMS_EXECUTIVE was restarted, for the warning."""
    if request.method == "service":
        return "method=service"
    return "fallback: the thread did not stop or start within the timeout, or its registry write failed"


def start_requested(steps_run: Iterable[Any]) -> bool:
    """Whether a failed change had asked the thread to start (or restarted SMS_EXECUTIVE) before it failed: the thread
    may then run from a start nobody recorded. After a Stop request alone it runs from its recorded start or stays
    stopped (and a stopped thread has no effective mode)."""
    return bool(_actions(steps_run) & {"request_start", "restart_service"})


def failure_after_restart(plan: ComponentPlan, steps_run: Iterable[Any]) -> ComponentFailure | None:
    """A failure after SMS_EXECUTIVE was restarted (the wait for Running timed out) still says that every component of
    the server was restarted; None for other failures (reported as usual)."""
    if "restart_service" not in _actions(steps_run) or plan.server is None:
        return None
    return ComponentFailure(ALL_COMPONENTS, (service_warning(plan.server, plan.request.name, "then the task failed"),))


def _actions(steps_run: Iterable[Any]) -> set[str]:
    return {str(s.get("action") if isinstance(s, dict) else getattr(s, "action", None)) for s in steps_run or ()}


def _not_installed(
    request: ComponentRequest, server: str | None, before: ThreadState | None, why: str
) -> ComponentPlan:
    """Check mode, no thread yet: the SCP is not installed, or an earlier task of this check-mode run only predicted its
    install. `changed` is what a real run would report after that install, which waits until the thread runs: a
    restart or a stop changes it, a start does not."""
    name, state = request.name, request.state
    outcome = ComponentOutcome(before, state != "started", "none", name if state == "restarted" else NO_COMPONENT)
    action = {"started": "leave", "stopped": "stop"}.get(state, "restart")
    return ComponentPlan(
        request,
        server,
        before,
        outcome,
        installed=False,
        msg=f"check mode: {why} (the service connection point is not installed, or an earlier task only "
        f"predicted its install); after the install {name} runs, so a real run would {action} it",
    )


def stops_downloader(plan: ComponentPlan) -> bool:
    """Whether the plan stops SMS_DMP_DOWNLOADER: the SCP's VerifiedScp record must go first (decide.scp)."""
    return any(
        isinstance(step, SetThread) and step.state == "stopped" and step.name.upper() == DOWNLOADER_THREAD
        for step in plan.steps
    )


def restarts_downloader(plan: ComponentPlan) -> bool:
    """Whether the plan starts or restarts SMS_DMP_DOWNLOADER (after it, the SCP can be recorded as verified)."""
    return any(
        (isinstance(step, RestartThread) or (isinstance(step, SetThread) and step.state == "started"))
        and step.name.upper() == DOWNLOADER_THREAD
        for step in plan.steps
    )
