"""configmgr.scp.log_info: which log is written where (the log table), which server and path to read, and what a
check-mode run reports when the SCP's log is not there yet."""

from __future__ import annotations

import ntpath
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar

from ..configmgr.constants import DOWNLOADER_THREAD
from ..configmgr.model import ProviderState
from ..errors import ConfigMgrError, InvalidOption
from ..logs import LogEntry, filter_entries
from ..steps import PlanStep

SCP_HOST = "scp"  # the log is written on the server that hosts the SCP
SITE_SERVER = "site_server"  # ... on the site server (<InstallDir>\Logs)
LOG_READS = ("sites", "scp")


@dataclass(frozen=True)
class LogSpec:
    name: str  # the module's `name` choice
    file_name: str
    where: str  # SCP_HOST | SITE_SERVER
    component: str | None = None  # whose TraceFilename locates the log on a server that is no site server


# The logs of the SCP and where each is written [OFFICIAL] (memdocs log-files.md#BKMK_WITLog):
# Dmpdownloader.log, Dmpuploader.log and SrvBoot.log on the SCP, Sitecomp.log and hman.log on the site server.
LOGS = {
    spec.name: spec
    for spec in (
        LogSpec("dmpdownloader", "dmpdownloader.log", SCP_HOST, "SMS_DMP_DOWNLOADER"),
        LogSpec("dmpuploader", "dmpuploader.log", SCP_HOST, "SMS_DMP_UPLOADER"),
        LogSpec("srvboot", "SrvBoot.log", SCP_HOST),
        LogSpec("sitecomp", "sitecomp.log", SITE_SERVER),
        LogSpec("hman", "hman.log", SITE_SERVER),
    )
}
# On a site server the logs are in <InstallDir>\Logs [OFFICIAL about-log-files, SMS_Site.InstallDir]. On a remote
# SCP host the folder is UNVERIFIED: the component's tracing key (HKLM\SOFTWARE\Microsoft\SMS\
# Tracing\<component>\TraceFilename, COMMUNITY) names the downloader's log, and the other SCP logs are next to it
# (the uploader's own key first).
REMOTE_LOG_DIR = "C:\\SMS\\Logs"  # inferred: where a remote site system without tracing keys keeps its logs
READ_LINES = 5000  # lines read before filtering: enough for `since` over a busy day


@dataclass(frozen=True)
class LogQuery:
    name: str
    server: str | None = None  # default: the SCP's server, or the site server (LOGS)
    tail: int = 200
    since: datetime | None = None
    severity: str | None = None
    match: str | None = None


@dataclass(frozen=True)
class LocateLog(PlanStep):
    """Read the tracing keys of `components` on `server`, in order, until one names the log file."""

    action: ClassVar[str] = "locate_log"
    mutates: ClassVar[bool] = False
    server: str
    components: tuple[str, ...]


@dataclass(frozen=True)
class ReadLog(PlanStep):
    """Get-Content -Tail of the log and its rotated .lo_ on `server`; `path` None: the one LocateLog found."""

    action: ClassVar[str] = "read_log"
    mutates: ClassVar[bool] = False
    server: str
    path: str | None
    lines: int


@dataclass(frozen=True)
class LogPlan:
    log: LogSpec
    query: LogQuery
    server: str | None
    steps: tuple[PlanStep, ...] = ()
    missing: str | None = None  # check mode: why there is no log to read yet (no SCP in the hierarchy)


@dataclass(frozen=True)
class LogOutcome:
    server: str | None
    path: str | None
    entries: tuple[LogEntry, ...]  # filtered, oldest first
    read: int  # entries read before filtering
    installed: bool | None = None  # False: check mode, the SCP has not written the log yet
    msg: str | None = None


def log_spec(name: str) -> LogSpec:
    try:
        return LOGS[name]
    except KeyError:
        raise InvalidOption("name", f"must be one of {', '.join(sorted(LOGS))}, got {name!r}") from None


def plan_log_read(state: ProviderState, query: LogQuery, check_mode: bool = False) -> LogPlan:
    """Where to read the log. Without `server`: the SCP's server for an SCP log (none in the hierarchy: ConfigMgrError,
    or in check mode a plan that reads nothing, since an earlier task may only have predicted the install), else the
    site server of the SCP's site (the provider's site without an SCP, then the top-tier site)."""
    log = log_spec(query.name)
    if query.server:
        server = query.server
    elif log.where == SCP_HOST:
        if state.scp is None and check_mode:
            return LogPlan(log, query, None, missing="the hierarchy has no service connection point yet")
        if state.scp is None:
            raise ConfigMgrError(
                f"the hierarchy has no service connection point; give server to read {log.file_name}",
                state.provider,
                "find the log",
            )
        server = state.scp.server
    else:
        site = state.hierarchy.site(state.scp.site_code if state.scp else state.site_code) or state.hierarchy.top_tier
        if site is None or not site.server:
            raise ConfigMgrError(
                f"cannot tell which site server writes {log.file_name}; give server", state.provider, "find the log"
            )
        server = site.server
    lines = max(READ_LINES if query.since else query.tail, query.tail)
    path = site_server_log_path(state, server, log.file_name)
    steps: list[PlanStep] = []
    if path is None:
        components = tuple(dict.fromkeys((log.component or DOWNLOADER_THREAD, DOWNLOADER_THREAD)))
        steps.append(
            LocateLog(
                f"locate {log.file_name} on {server} ({', '.join(components)})",
                server=server,
                components=components,
            )
        )
    steps.append(ReadLog(f"read {path or log.file_name} on {server}", server=server, path=path, lines=lines))
    return LogPlan(log, query, server, tuple(steps))


def site_server_log_path(state: ProviderState, server: str, file_name: str) -> str | None:
    """<InstallDir>\\Logs\\<file> when `server` is a site server whose InstallDir is known, else None."""
    for site in state.hierarchy.sites:
        if site.server and site.server.lower() == server.lower() and site.install_dir:
            return ntpath.join(site.install_dir, "Logs", file_name)
    return None


def located_log_path(file_name: str, trace_file: str | None) -> tuple[str, bool]:
    """The log's path from a TraceFilename found by LocateLog (its folder), and whether it was located (False: the
    default folder REMOTE_LOG_DIR, no tracing key)."""
    folder = ntpath.dirname(trace_file) if trace_file else REMOTE_LOG_DIR
    return ntpath.join(folder, file_name), bool(trace_file)


def log_outcome(
    plan: LogPlan, path: str | None, located: bool, entries: Sequence[LogEntry], check_mode: bool = False
) -> LogOutcome:
    """The entries kept by the query's filters. In check mode an SCP log that is nowhere yet (no tracing key, nothing
    read) is reported as not installed instead of as an empty log."""
    if plan.missing is not None:
        return _not_installed(None, None, plan.log, plan.missing)
    if check_mode and plan.log.where == SCP_HOST and not located and not entries:
        return _not_installed(plan.server, path, plan.log, f"{plan.server} has no {plan.log.file_name} yet")
    query = plan.query
    kept = filter_entries(entries, since=query.since, severity=query.severity, match=query.match, tail=query.tail)
    return LogOutcome(plan.server, path, tuple(kept), len(entries))


def _not_installed(server: str | None, path: str | None, log: LogSpec, why: str) -> LogOutcome:
    """The SCP is not installed, or an earlier task of this check-mode run only predicted its install."""
    return LogOutcome(
        server,
        path,
        (),
        0,
        installed=False,
        msg=f"check mode: {why} (the service connection point is not installed, or an earlier task only "
        f"predicted its install); nothing to read until it writes {log.file_name}",
    )
