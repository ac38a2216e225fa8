"""Run a LogPlan on the server that writes the log: locate it (tracing keys), read it, filter it."""
from __future__ import annotations

from typing import Callable, Optional

from ..configmgr.scphost import ScpHost
from ..decide.log_info import LocateLog, LogOutcome, LogPlan, ReadLog, located_log_path, log_outcome
from ..errors import ConfigMgrError
from ..logs import LogEntry


def execute_log_read(plan: LogPlan, host: Optional[ScpHost], check_mode: bool = False,
                     progress: Optional[Callable[[str], None]] = None) -> LogOutcome:
    """`host`: a read-only ScpHost on plan.server (None when the plan reads nothing)."""
    path: Optional[str] = None
    located = True
    entries: list[LogEntry] = []
    for step in plan.steps:
        if host is None:
            raise ConfigMgrError("no session to %s" % plan.server, None, step.description)
        match step:
            case LocateLog():
                trace = next((found for found in (host.log_path(c) for c in step.components) if found), None)
                path, located = located_log_path(plan.log.file_name, trace)
            case ReadLog():
                path = step.path or path
                if progress:
                    progress("reading %s on %s" % (path, step.server))
                entries = host.read_log(path, tail=step.lines)
            case _:
                raise ConfigMgrError("unknown plan step %r" % (step,), host.host, "read the log")
    return log_outcome(plan, path, located, entries, check_mode)
