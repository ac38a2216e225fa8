"""Run an InfoPlan on the SCP host (read only)."""

from __future__ import annotations

from collections.abc import Callable

from ..configmgr.model import ThreadState
from ..configmgr.scphost import ScpHost
from ..decide.info import InfoPlan, ReadDownloaderLog, ReadThread, ScpHostView
from ..errors import ConfigMgrError, HostUnreachable
from ..logs import LogEntry


def read_scp_host(
    plan: InfoPlan, host: ScpHost | None, progress: Callable[[str], None] | None = None
) -> ScpHostView | None:
    """None when the plan reads nothing. A log that cannot be read (but a host that answers) leaves the log and the
    effective mode out, with a progress note; an unreachable host fails the task."""
    if not plan.steps or host is None:
        return None
    thread: ThreadState | None = None
    started_at = None
    entries: tuple[LogEntry, ...] | None = None
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
                        progress(f"cannot read dmpdownloader.log on {step.server}: {err}")
            case ReadDownloaderLog():
                pass  # no thread key: the role is not installed, there is no log to read
            case _:
                raise ConfigMgrError(f"unknown plan step {step!r}", host.host, "read the service connection point")
    if thread is None:
        return None
    return ScpHostView(thread, started_at, entries)
