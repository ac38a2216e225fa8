"""Run a LogPlan on the server that writes the log: locate it (tracing keys), read it, filter it."""

from __future__ import annotations

from collections.abc import Callable

from ..configmgr.scphost import ScpHost
from ..decide.log_info import LocateLog, LogOutcome, LogPlan, ReadLog, located_log_path, log_outcome
from ..errors import ConfigMgrError
from ..logs import LogEntry


def execute_log_read(
    plan: LogPlan, host: ScpHost | None, check_mode: bool = False, progress: Callable[[str], None] | None = None
) -> LogOutcome:
    """`host`: a read-only ScpHost on plan.server (None when the plan reads nothing)."""
    path: str | None = None
    located = True
    entries: list[LogEntry] = []
    for step in plan.steps:
        if host is None:
            raise ConfigMgrError(f"no session to {plan.server}", None, step.description)
        match step:
            case LocateLog():
                trace = next((found for found in (host.log_path(c) for c in step.components) if found), None)
                path, located = located_log_path(plan.log.file_name, trace)
            case ReadLog():
                path = step.path or path
                if progress:
                    progress(f"reading {path} on {step.server}")
                entries = host.read_log(path, tail=step.lines)
            case _:
                raise ConfigMgrError(f"unknown plan step {step!r}", host.host, "read the log")
    return log_outcome(plan, path, located, entries, check_mode)
