"""configmgr.scp.service_connection_point around plan_scp: the desired state from the module's options, what the
result says after the plan ran, and how long the hierarchy lease lives."""
from __future__ import annotations

from typing import Any, Mapping, Optional

from ..configmgr.provider import READS
from ..planner import DesiredScp, Plan, Wait
from .site_system import site_system_spec

SCP_READS = READS + ("roles",)           # roles: the HA rule needs them (Get-CMSiteRole -AllSite, same pipeline)
LEASE_MARGIN = 600.0                     # seconds of the lease beyond the waits: the reads and changes around them


def desired_scp(options: Mapping[str, Any]) -> DesiredScp:
    """The module's options as a DesiredScp (which normalises the names and the mode)."""
    server, site_code = options.get("server"), options.get("site_code")
    return DesiredScp(state=options.get("state") or "present", server=server, site_code=site_code,
                      mode=options.get("mode") or None, allow_move=bool(options.get("allow_move")),
                      site_system=site_system_spec(server, options.get("site_system"), site_code),
                      wait=bool(options.get("wait", True)))


def lease_ttl(wait_timeout: float) -> float:
    """The hierarchy lease outlives the longest plan: a move waits twice (removal, then install), each up to
    `wait_timeout`. Another job breaks a lease only after it expired (docs/architecture.md "Convergence")."""
    return 2 * wait_timeout + LEASE_MARGIN


def pending_after(plan: Plan, ran: bool) -> Optional[str]:
    """What is configured but not in effect after the task: the plan's `pending`, unless the plan ran and waited (a
    wait that gave up fails the task instead)."""
    if ran and any(isinstance(step, Wait) for step in plan.steps):
        return None
    return plan.pending


def mode_changed(before: Optional[Mapping[str, Any]], after: Optional[Mapping[str, Any]]) -> bool:
    """Whether the configured mode differs after the task (the downloader applies it at its next restart)."""
    return bool(before and after and before.get("mode") != after.get("mode"))
