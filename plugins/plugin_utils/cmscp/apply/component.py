"""Run a ComponentPlan on the thread's server: the Start / Stop / restart, then the collection's record of the
thread's start (ThreadStarted_<name> under HKLM:\\SOFTWARE\\configmgr.scp, docs/architecture.md "Convergence")."""

from __future__ import annotations

from collections.abc import Callable

from ..configmgr.clock import host_time
from ..configmgr.model import ThreadChange
from ..configmgr.scphost import ScpHost
from ..decide.component import (
    ComponentOutcome,
    ComponentPlan,
    RestartThread,
    SetThread,
    fallback_reason,
    restarted_components,
    service_warning,
    start_requested,
)
from ..errors import ConfigMgrError, HostUnreachable

Progress = Callable[[str], None]


def execute_component(plan: ComponentPlan, host: ScpHost, progress: Progress | None = None) -> ComponentOutcome:
    """Run the plan's step. A failure after a Start request (or an SMS_EXECUTIVE restart) removes the recorded start
    first: the thread may start later, at a time nobody records."""
    say = progress or (lambda text: None)
    request, server = plan.request, plan.server or host.host
    (step,) = plan.steps
    say(step.description)
    try:
        match step:
            case RestartThread():
                change = host.restart_thread(
                    step.name, timeout=step.timeout, method=step.method, fallback=step.fallback, progress=say
                )
            case SetThread():
                change = host.set_thread(step.name, step.state, timeout=step.timeout, progress=say)
            case _:
                raise ConfigMgrError(f"unknown plan step {step!r}", host.host, f"change the {request.name} thread")
    except ConfigMgrError as err:
        if start_requested(err.steps_run) and not isinstance(err, HostUnreachable):
            _forget(host, server, request.name, say)
        raise
    return _after_change(plan, host, server, change, say)


def _after_change(
    plan: ComponentPlan, host: ScpHost, server: str, change: ThreadChange, say: Progress
) -> ComponentOutcome:
    name, state = plan.request.name, plan.request.state
    warnings: list[str] = []
    if change.method == "service":
        warnings.append(service_warning(server, name, fallback_reason(plan.request)))
    running_at = None
    if change.changed and change.after.running:
        running_at = _record_start(host, warnings, server, name, say, every_thread=change.method == "service")
    elif change.changed and state == "stopped" and not _forget(host, server, name, say):
        # the thread was stopped: its recorded start is not the last start of a running thread any more
        warnings.append(
            f"{server}: cannot remove the recorded start of {name}; a later start that this collection does not make "
            "would be taken for the recorded one"
        )
    return ComponentOutcome(
        change.after,
        change.changed,
        change.method,
        restarted_components(change.method, name, state, change.changed),
        change.seconds,
        running_at,
        tuple(warnings),
    )


def _record_start(
    host: ScpHost, warnings: list[str], server: str, name: str, say: Progress, every_thread: bool = False
) -> str | None:
    """Read the host's clock now that the thread runs again and record it on that host: log lines at or after it were
    written by this run of the thread (service_connection_point_info reads the record for the effective mode, in any
    later job). The change is done either way: not knowing the start only costs the effective mode, so a failure here
    is a warning, and an older record is removed so that it is not taken for this start."""
    session = getattr(host, "session", None)
    if session is None:
        return None
    try:
        when = host_time(session)
    except ConfigMgrError as err:
        say(f"cannot read the time on {server}: {err}")
        when = None
    if when is not None:
        try:
            return host.record_thread_start(name, when, every_thread=every_thread)
        except ConfigMgrError as err:
            why = f"cannot record the start of {name} on {server} ({err})"
    else:
        why = f"cannot read the time on {server}"
    _forget(host, server, name, say)
    warnings.append(
        f"{server}: {why}; service_connection_point_info cannot tie dmpdownloader.log lines to the running thread "
        "until the next start this collection records"
    )
    return None


def _forget(host: ScpHost, server: str, name: str, say: Progress) -> bool:
    """Remove the recorded start of `name` (best effort: False when the write failed)."""
    try:
        host.forget_thread_start(name)
    except ConfigMgrError as err:
        say(f"cannot remove the recorded start of {name} on {server}: {err}")
        return False
    return True
