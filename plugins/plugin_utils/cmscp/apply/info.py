"""Run an InfoPlan on the SCP host (read only)."""
from __future__ import annotations

from typing import Callable, Optional

from ..configmgr.model import ThreadState
from ..configmgr.scphost import ScpHost
from ..decide.info import InfoPlan, ReadDownloaderLog, ReadThread, ScpHostView
from ..errors import ConfigMgrError, HostUnreachable
from ..logs import LogEntry


def read_scp_host(plan: InfoPlan, host: Optional[ScpHost],
                  progress: Optional[Callable[[str], None]] = None) -> Optional[ScpHostView]:
    """None when the plan reads nothing. A log that cannot be read (but a host that answers) leaves the log and the
    effective mode out, with a progress note; an unreachable host fails the task."""
    if not plan.steps or host is None:
        return None
    thread: Optional[ThreadState] = None
    started_at = None
    entries: Optional[tuple[LogEntry, ...]] = None
    for step in plan.steps:
        match step:
            case ReadThread():
                thread, started_at = host.thread_state_and_start()
            case ReadDownloaderLog() if thread is not None and thread.present:
                try:
                    entries = tuple(host.read_log(tail=step.lines))
                except ConfigMgrError as err:
                    if isinstance(err, HostUnreachable):
                        raise
                    if progress:
                        progress("cannot read dmpdownloader.log on %s: %s" % (step.server, err))
            case ReadDownloaderLog():
                pass                             # no thread key: the role is not installed, there is no log to read
            case _:
                raise ConfigMgrError("unknown plan step %r" % (step,), host.host, "read the service connection point")
    if thread is None:
        return None
    return ScpHostView(thread, started_at, entries)
