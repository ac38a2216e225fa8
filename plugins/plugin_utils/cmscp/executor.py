"""Run a Plan against the domain layer, reporting progress; return before/after."""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable, Optional

from .configmgr.provider import SiteProvider
from .configmgr.scphost import ScpHost
from .errors import ConfigMgrError
from .planner import Plan, Step

ProgressCallback = Callable[[Optional[Step], str], None]


@dataclass
class ExecutionResult:
    before: Optional[dict]
    after: Optional[dict]
    steps_run: list[Step] = field(default_factory=list)
    seconds: float = 0.0


def execute_plan(plan: Plan, provider: SiteProvider, scp_host_for: Callable[[str], ScpHost], *,
                 wait_timeout: float = 900, thread_timeout: float = 120,
                 progress: Optional[ProgressCallback] = None,
                 clock: Callable[[], float] = time.monotonic) -> ExecutionResult:
    """Run every step in order. Mutating steps go through SiteProvider/ScpHost, which refuse in check mode."""
    start = clock()
    done: list[Step] = []

    def say(step: Optional[Step], text: str) -> None:
        if progress:
            progress(step, text)

    for number, step in enumerate(plan.steps, 1):
        say(step, "step %d/%d: %s" % (number, len(plan.steps), step.description))
        p = step.params
        if step.action == "ensure_site_system":
            provider.ensure_site_system_server(p["spec"])
        elif step.action == "add_scp":
            provider.add_scp(p["server"], p["mode"], p["site_code"])
        elif step.action == "set_mode":
            provider.set_scp_mode(p["server"], p["mode"], p["site_code"])
        elif step.action == "remove_scp":
            provider.remove_scp(p["server"], p["site_code"])
        elif step.action == "wait_removed":
            scp_host_for(p["server"]).wait_removed(timeout=wait_timeout, progress=lambda t, s=step: say(s, t))
        elif step.action == "wait_installed":
            scp_host_for(p["server"]).wait_installed(timeout=wait_timeout, progress=lambda t, s=step: say(s, t))
        elif step.action == "restart_thread":
            scp_host_for(p["server"]).restart_thread(timeout=thread_timeout, progress=lambda t, s=step: say(s, t))
        elif step.action == "verify":
            _verify(provider, step)
        else:
            raise ConfigMgrError("unknown plan step %r" % step.action, provider.host, "execute the plan")
        done.append(step)
    after = plan.before
    if plan.steps:
        state = provider.read_state(include=("sites", "scp"))
        after = state.scp.to_dict() if state.scp else None
    say(None, "done in %.1f s" % (clock() - start))
    return ExecutionResult(before=plan.before, after=after, steps_run=done, seconds=clock() - start)


def _verify(provider: SiteProvider, step: Step) -> None:
    state = provider.read_state(include=("sites", "scp"))
    servers = [s.server for s in state.scps]
    if servers != [step.params["server"]]:
        raise ConfigMgrError("after the move the hierarchy has service connection points on %s, expected only %s"
                             % (servers or "no server", step.params["server"]), provider.host, "verify the move")
