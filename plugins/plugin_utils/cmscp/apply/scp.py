"""service_connection_point's run: read, plan, and (not in check mode) take the lease, read again, execute."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..configmgr.lease import HierarchyLease
from ..configmgr.model import ProviderState
from ..configmgr.provider import SiteProvider
from ..configmgr.scphost import ScpHost
from ..decide.scp import SCP_READS, first_reads, lease_ttl
from ..executor import ExecutionResult, execute_plan, observe_hosts
from ..planner import DesiredScp, Plan, plan_scp
from .verified import remember_verified, verified_after_run, write_verified

Progress = Callable[[str], None]


@dataclass
class ScpRun:
    plan: Plan
    warnings: list[str] = field(default_factory=list)
    outcome: ExecutionResult | None = None  # None: nothing ran (check mode, or nothing to do)


def converge_scp(
    provider: SiteProvider,
    desired: DesiredScp,
    scp_host: Callable[[str], ScpHost],
    *,
    check_mode: bool,
    wait_timeout: float,
    progress: Progress | None = None,
    lease_factory: Callable[[SiteProvider, float], HierarchyLease] | None = None,
) -> ScpRun:
    """The first read is what a run that changes nothing needs (decide.scp.first_reads); a plan that changes something
    reads everything (SCP_READS) and plans again, so that a refusal comes before anything is written and check mode
    predicts from the whole picture; then, not in check mode, it takes the hierarchy lease and reads and plans once
    more under it (one changing job per hierarchy: another may have changed the site since). A run that changes
    nothing and read the SCP's server, or a run that waited until the role ran there, records the verified SCP on the
    provider host (apply.verified)."""
    say = progress or (lambda text: None)
    current, installed, plan, warnings = _read_and_plan(provider, desired, scp_host, first_reads(desired))
    if plan.changed:
        # everything a change needs (the roles of the HA rule, the site systems, the updates that refuse a change):
        # a refusal comes before the lease and before any change
        current, installed, plan, warnings = _read_and_plan(provider, desired, scp_host, SCP_READS)
    lease = None
    if plan.changed and not check_mode:
        make = lease_factory or (lambda prov, ttl: HierarchyLease(prov.session, ttl=ttl))
        lease = make(provider, lease_ttl(wait_timeout))
        lease.take(progress=say)
    try:
        if lease is not None:
            current, installed, plan, warnings = _read_and_plan(provider, desired, scp_host, SCP_READS)
        elif not plan.changed and not check_mode:
            warning = remember_verified(provider, current, desired, plan, installed)
            warnings = warnings + ([warning] if warning else [])
        outcome = None
        if plan.steps and not check_mode:
            outcome = execute_plan(
                plan, provider, scp_host, wait_timeout=wait_timeout, progress=lambda step, text: say(text)
            )
            warning = write_verified(provider, verified_after_run(plan, outcome.steps_run, outcome.after))
            warnings = warnings + ([warning] if warning else [])
        return ScpRun(plan, warnings, outcome)
    finally:
        if lease is not None:
            lease.release()


def _read_and_plan(
    provider: SiteProvider, desired: DesiredScp, scp_host: Callable[[str], ScpHost], reads: tuple[str, ...]
) -> tuple[ProviderState, dict[str, Any], Plan, list[str]]:
    current = provider.read_state(include=reads)
    installed, warnings = observe_hosts(current, desired, scp_host)
    return current, installed, plan_scp(current, desired, installed), warnings
