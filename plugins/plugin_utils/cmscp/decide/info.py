"""configmgr.scp.service_connection_point_info: what is read on the SCP host, and the SCP as returned (configured
mode, thread, effective mode, log tail)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar

from ..configmgr.model import ProviderState, ThreadState
from ..configmgr.provider import OPTIONAL_READS, READS
from ..logs import LogEntry
from ..steps import PlanStep
from .effective_mode import decide_effective_mode
from .views import roles_by_server, site_system_view, thread_view

INFO_READS = READS + OPTIONAL_READS  # + Get-CMSiteRole -AllSite, same pipeline: the roles of each site system
MODE_LOG_LINES = 300  # dmpdownloader.log lines read for the effective mode, whatever log_tail is


@dataclass(frozen=True)
class ReadThread(PlanStep):
    """The SMS_DMP_DOWNLOADER thread state and the start the collection recorded for it (one pipeline)."""

    action: ClassVar[str] = "read_thread"
    mutates: ClassVar[bool] = False
    server: str


@dataclass(frozen=True)
class ReadDownloaderLog(PlanStep):
    """dmpdownloader.log, only when the thread's key exists (the role is installed)."""

    action: ClassVar[str] = "read_downloader_log"
    mutates: ClassVar[bool] = False
    server: str
    lines: int


@dataclass(frozen=True)
class InfoPlan:
    server: str | None  # the SCP's server, None without an SCP
    log_tail: int
    steps: tuple[PlanStep, ...] = ()


@dataclass(frozen=True)
class ScpHostView:
    """What was read on the SCP host."""

    thread: ThreadState
    started_at: datetime | None = None  # ThreadStarted_SMS_DMP_DOWNLOADER, when recorded
    entries: tuple[LogEntry, ...] | None = None  # None: not read (not installed, or the read failed)


def plan_info(state: ProviderState, thread: bool = True, log_tail: int = 0) -> InfoPlan:
    """The SCP host is read only when there is an SCP and `thread` or `log_tail` asks for it."""
    if state.scp is None:
        return InfoPlan(None, log_tail)
    server = state.scp.server
    if not (thread or log_tail):
        return InfoPlan(server, log_tail)
    return InfoPlan(
        server,
        log_tail,
        (
            ReadThread(f"read the SMS_DMP_DOWNLOADER thread state on {server}", server=server),
            ReadDownloaderLog(
                f"read dmpdownloader.log on {server}", server=server, lines=max(log_tail, MODE_LOG_LINES)
            ),
        ),
    )


def scp_view(state: ProviderState, plan: InfoPlan, seen: ScpHostView | None = None) -> dict[str, Any] | None:
    """The `scp` result: configured mode from the site database; thread, installed, effective mode and log from the SCP
    host when read. The effective mode only for a running thread (a stopped one has none)."""
    if state.scp is None:
        return None
    roles = roles_by_server(state.site_roles)
    system = state.site_system(state.scp.server)
    scp: dict[str, Any] = {
        "server": state.scp.server,
        "site_code": state.scp.site_code,
        "mode": state.scp.mode,
        "configured_mode": state.scp.mode,
        "effective_mode": None,
        "effective_mode_evidence": None,
        "installed": None,
        "thread": None,
        "site_system": site_system_view(system, roles) if system else None,
    }
    if seen is None:
        return scp
    scp["thread"] = thread_view(seen.thread, state.scp.server)
    scp["installed"] = seen.thread.present
    if seen.entries is None:
        return scp
    if seen.thread.running:
        decided = decide_effective_mode(seen.entries, seen.started_at)
        scp["effective_mode"] = decided.mode
        scp["effective_mode_evidence"] = decided.evidence()
    if plan.log_tail:
        scp["log"] = [e.to_dict() for e in seen.entries[-plan.log_tail :]]
    return scp


def site_system_views(state: ProviderState) -> list[dict[str, Any]]:
    """Every site system server, with its roles."""
    roles = roles_by_server(state.site_roles)
    return [site_system_view(s, roles) for s in state.site_systems]
