"""Run a SiteUpdatesPlan: trigger the check through the SMS Provider, then follow dmpdownloader.log on the SCP host
(only what is new since the last poll, LogCursor, as the install wait reads sitecomp.log) until it shows the check's
result or the wait ends; a check that did not sync is explained with the preflight's endpoint and TLS 1.2 probes."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone

from ..configmgr.clock import host_time
from ..configmgr.logcursor import LogCursor
from ..configmgr.model import SiteSystemServer
from ..configmgr.prereqs import CheckResult, probe_connectivity
from ..configmgr.provider import SiteProvider
from ..configmgr.scphost import ScpHost
from ..decide.site_updates import CheckOutcome, SiteUpdatesPlan, TriggerUpdateCheck, WaitForDownloader, check_outcome
from ..errors import ConfigMgrError
from ..steps import PlanStep
from .reporting import reporting


@dataclass
class CheckRun:
    """What a triggered check did: when (the SCP host's clock before the trigger), what the downloader logged."""

    since: datetime
    outcome: CheckOutcome
    waited: float
    log_path: str

    @property
    def result(self) -> str:
        return self.outcome.result or "timeout"


def execute_update_check(
    plan: SiteUpdatesPlan,
    provider: SiteProvider,
    host: ScpHost,
    progress: Callable[[str], None] | None = None,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> CheckRun:
    """Locate the log and start its cursor before the trigger (a host without the downloader's log fails before
    anything is asked of the site, and no line written after the trigger is missed), trigger, then poll."""
    path = host.log_path()
    if not path:
        raise ConfigMgrError(
            "no TraceFilename for SMS_DMP_DOWNLOADER: the role is not installed here",
            host.host,
            "locate dmpdownloader.log",
        )
    since = host_time(host.session) or datetime.now(timezone.utc)
    cursor = LogCursor(host.session, path, since)
    cursor.read()
    timeout = next((s.timeout for s in plan.steps if isinstance(s, WaitForDownloader)), 0.0)
    done: list[PlanStep] = []
    with reporting(done):
        for step in plan.steps:
            if isinstance(step, TriggerUpdateCheck):
                if progress:
                    progress(step.description)
                provider.invoke_update_check()
                done.append(step)
        start = clock()
        while True:
            outcome = check_outcome(cursor.read(), since)
            waited = clock() - start
            if outcome.result is not None or waited >= timeout:
                return CheckRun(since, outcome, waited, path)
            if progress:
                progress(f"waiting for the check's result in {path} on {host.host} ({waited:.0f} s)")
            sleep(min(host.poll_interval, max(0.0, timeout - waited)))


def diagnose(host: ScpHost, server: str, site_system: SiteSystemServer | None) -> list[CheckResult]:
    """The preflight's endpoint and TLS 1.2 checks on the SCP host, through its site system's proxy."""
    return probe_connectivity(host, server, site_system)
