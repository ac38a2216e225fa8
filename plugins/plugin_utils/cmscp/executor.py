"""Run a Plan against the domain layer, reporting progress; return before/after."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .configmgr.constants import DOWNLOADER_THREAD
from .configmgr.model import ProviderState, ThreadState
from .configmgr.provider import SiteProvider
from .configmgr.scphost import ScpHost
from .decide.scp import verified_running
from .errors import ConfigMgrError
from .planner import (
    AddScp,
    ClearIntent,
    DesiredScp,
    EnsureSiteSystem,
    Plan,
    RecordIntent,
    RemoveScp,
    SetMode,
    Step,
    Verify,
    Wait,
    WaitInstalled,
)

ProgressCallback = Callable[[Step | None, str], None]


@dataclass
class ExecutionResult:
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    steps_run: list[Step] = field(default_factory=list)
    seconds: float = 0.0


def observe_hosts(
    current: ProviderState, desired: DesiredScp, scp_host_for: Callable[[str], ScpHost]
) -> tuple[dict[str, bool | ThreadState | None], list[str]]:
    """Read what plan_scp needs beyond the site database: the role's thread on the server it is configured on
    (present) or was removed from (absent with `server`): whether its key exists, whether it runs, and a mode change
    no restart has applied yet. Returns ({server: ThreadState | None}, warnings);
    None with a warning when that host cannot be read, so the plan does not claim an effective state it has not seen."""
    server = desired.server
    scp = current.scp
    if desired.state == "absent" and scp is not None and server in (None, scp.server):
        server = scp.server  # a removal waits for the de-installation only when the role is installed
    intent = current.intent
    if desired.state == "absent" and scp is None and server is None and intent is not None and intent.source:
        server = intent.source  # removed by an earlier run (its record says where): is it still installed?
    if not server:
        return {}, []
    wanted = (desired.state == "present" and scp is not None and scp.server == server) or desired.state == "absent"
    if not wanted:
        return {}, []
    if verified_running(current, desired):
        return {server: True}, []  # the provider's record and the component status say so: no second host
    try:
        return {server: scp_host_for(server).thread_state()}, []
    except ConfigMgrError as err:
        return {server: None}, [f"could not read whether the role is installed on {server}: {err}"]


def execute_plan(
    plan: Plan,
    provider: SiteProvider,
    scp_host_for: Callable[[str], ScpHost],
    *,
    wait_timeout: float = 900,
    progress: ProgressCallback | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> ExecutionResult:
    """Run every step in order. Mutating steps go through SiteProvider/ScpHost, which refuse in check mode.

    A ConfigMgrError raised by a step leaves with `steps_run` (the completed steps as Step.to_dict()) and `changed`
    (True when a completed step mutated, or the failing step itself wrote something). Waits after an Add/Remove
    need both the thread state on the SCP host and the sitecomp.log completion after the time of the change."""
    start = clock()
    done: list[Step] = []
    changes: dict[str, datetime] = {}  # server -> time of this run's Add/Remove on it (the waits need it)

    def say(step: Step | None, text: str) -> None:
        if progress:
            progress(step, text)

    if any(step.mutates for step in plan.steps):
        # the SCP is about to change: it is no longer the verified one, wherever this run stops
        provider.forget_verified()
    for number, step in enumerate(plan.steps, 1):
        say(step, f"step {number}/{len(plan.steps)}: {step.description}")
        try:
            _run_step(step, provider, scp_host_for, changes, wait_timeout, say)
        except ConfigMgrError as err:
            if err.outcome_unknown and step.mutates:
                _settle(err, step, provider, say)
            ran = [s.to_dict() for s in done]
            err.steps_run = ran + [s for s in err.steps_run if s not in ran]
            err.changed = bool(err.changed or any(s.mutates for s in done))
            raise
        done.append(step)
    after = plan.before
    if plan.steps:
        state = provider.read_state(include=("sites", "scp"))
        after = state.scp.to_dict() if state.scp else None
    say(None, f"done in {clock() - start:.1f} s")
    return ExecutionResult(before=plan.before, after=after, steps_run=done, seconds=clock() - start)


def _run_step(
    step: Step,
    provider: SiteProvider,
    scp_host_for: Callable[[str], ScpHost],
    changes: dict[str, datetime],
    wait_timeout: float,
    say: ProgressCallback,
) -> None:
    def report(text: str) -> None:
        say(step, text)

    match step:
        case EnsureSiteSystem():
            provider.ensure_site_system_server(step.spec)
        case AddScp():
            changes[step.server] = provider.add_scp(step.server, step.mode, step.site_code)
        case SetMode():
            # first the record that a restart must apply the mode, on the SCP host: a run stopped after the Set is
            # then finished by the next run (its plan sees the record and asks for the restart)
            scp_host_for(step.server).mark_pending_mode(step.mode)
            provider.set_scp_mode(step.server, step.mode, step.site_code)
        case RecordIntent():
            provider.record_intent(step.intent)
        case ClearIntent():
            provider.clear_intent()
        case RemoveScp():
            changes[step.server] = provider.remove_scp(step.server, step.site_code)
        case Wait():
            since = changes.get(step.server)
            host = scp_host_for(step.server)
            waiter = host.wait_installed if isinstance(step, WaitInstalled) else host.wait_removed
            waiter(
                timeout=wait_timeout,
                progress=report,
                finished=_completion(provider, step, since) if since is not None else None,
            )
            if since is not None and isinstance(step, WaitInstalled):
                # this run installed the role: its downloader started with it, so a start recorded before (an
                # earlier install on this server) must not tie older log lines to the new thread
                host.forget_thread_start(DOWNLOADER_THREAD)
        case Verify():
            _verify(provider, step)
        case _:
            raise ConfigMgrError(f"unknown plan step {step!r}", provider.host, "execute the plan")


def _completion(provider: SiteProvider, step: Wait, since: datetime) -> Callable[[], bool]:
    """The sitecomp.log half of a wait: markers for the step's server after the time of this run's Add / Remove
    on it (without such a change the thread state alone decides). Its cursor reads the log now, from `since` on,
    and then each check reads only what was written since the one before."""
    return provider.watch_completion(step.server, since, isinstance(step, WaitInstalled), site_code=step.site_code)


def _settle(err: ConfigMgrError, step: Step, provider: SiteProvider, say: ProgressCallback) -> None:
    """A changing call was sent and its answer was lost: read the site again and say whether it ran. The step counts
    as a change unless the state proves it did not run (an unknown outcome is never `changed: false`)."""
    try:
        state = provider.read_state(include=("sites", "scp"))
    except ConfigMgrError as again:
        verdict = f"the state could not be read again ({again}): treat the change as made and check it"
        ran: bool | None = None
    else:
        scp = state.scp
        match step:
            case AddScp():
                ran = scp is not None and scp.server == step.server
            case RemoveScp():
                ran = scp is None or scp.server != step.server
            case SetMode():
                ran = scp is not None and scp.server == step.server and scp.mode == step.mode
            case _:
                ran = None
        verdict = {
            True: "read again: the change was made",
            False: "read again: the change was not made",
            None: "the state does not show whether it ran: treat the change as made and check it",
        }[ran]
    err.args = (f"{err.args[0] if err.args else err}; {verdict}",) + tuple(err.args[1:])
    err.changed = ran is not False
    if err.changed:
        err.steps_run = list(err.steps_run) + [dict(step.to_dict(), outcome="made" if ran else "unknown")]
    say(step, verdict)


def _verify(provider: SiteProvider, step: Verify) -> None:
    state = provider.read_state(include=("sites", "scp"))
    servers = [s.server for s in state.scps]
    if servers != [step.server]:
        raise ConfigMgrError(
            f"after the move the hierarchy has service connection points on {servers or 'no server'}, expected only {step.server}",
            provider.host,
            "verify the move",
        )
