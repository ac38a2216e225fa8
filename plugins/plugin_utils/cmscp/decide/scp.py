"""configmgr.scp.service_connection_point around plan_scp: the desired state from the module's options, what the
result says after the plan ran, and how long the hierarchy lease lives."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..configmgr.constants import DOWNLOADER_THREAD, SUMMARIZER_STARTED
from ..configmgr.model import ProviderState
from ..configmgr.provider import READS
from ..configmgr.topology import same_machine
from ..planner import DesiredScp, Plan, Wait
from .site_system import site_system_spec

SCP_READS = READS + ("roles",)  # roles: the HA rule needs them (Get-CMSiteRole -AllSite, same pipeline)
# What a run that may change nothing reads first: the sites, the SCP, the site server roles (the HA rule: Microsoft
# says not to host the SCP on either site server of an HA pair, "If it's currently on the original site server, remove
# it", so an SCP found there is refused on every run, not only when a change would put it there), the collection's records (a
# move's intent, the verified SCP) and the downloader's component status. A plan that changes something reads
# everything again (SCP_READS: also the site systems and the updates that refuse a change) before it runs: under the
# lease, or in check mode for the prediction.
FIRST_READS = ("sites", "scp", "site_servers", "intent", "components")


def first_reads(desired: DesiredScp) -> tuple[str, ...]:
    """FIRST_READS, and the site systems when the task gives site system settings (they are compared)."""
    return FIRST_READS + (("site_systems",) if desired.site_system is not None else ())


def verified_running(state: ProviderState, desired: DesiredScp) -> bool:
    """Whether the SMS Provider alone shows the SCP in its effective state, so that its server need not be read:
    - the SCP is configured where `desired` wants it (server, and site code and mode when given);
    - the collection's record says a run read that SCP's server (same server, site and mode) and found the role
      installed, SMS_DMP_DOWNLOADER running and no mode waiting for a restart; every change of the SCP (and a stop
      by configmgr.scp.component) removes the record first, so a run stopped anywhere is never taken for done;
    - SMS_ComponentSummarizer shows SMS_DMP_DOWNLOADER STARTED on that server ([OFFICIAL] class,
      fed by status messages, so it lags: a stop made outside the collection shows there later, not at once).
    Anything else (no record, a record of another server or mode, no component row, a row not STARTED): read the
    server."""
    scp = state.scp
    if desired.state != "present" or scp is None or state.verified is None or not state.verified.matches(scp):
        return False
    if not desired.server or not same_machine(desired.server, scp.server):
        return False
    if (desired.site_code and desired.site_code.upper() != scp.site_code) or (
        desired.mode and desired.mode != scp.mode
    ):
        return False
    rows = [
        r
        for r in state.components or []
        if str(r.get("ComponentName") or "").upper() == DOWNLOADER_THREAD
        and same_machine(str(r.get("MachineName") or ""), scp.server)
    ]
    return bool(rows) and all(_int(r.get("State")) == SUMMARIZER_STARTED for r in rows)


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


LEASE_MARGIN = 600.0  # seconds of the lease beyond the waits: the reads and changes around them


def desired_scp(options: Mapping[str, Any]) -> DesiredScp:
    """The module's options as a DesiredScp (which normalises the names and the mode)."""
    server, site_code = options.get("server"), options.get("site_code")
    return DesiredScp(
        state=options.get("state") or "present",
        server=server,
        site_code=site_code,
        mode=options.get("mode") or None,
        allow_move=bool(options.get("allow_move")),
        site_system=site_system_spec(server, options.get("site_system"), site_code),
        wait=bool(options.get("wait", True)),
    )


def lease_ttl(wait_timeout: float) -> float:
    """The hierarchy lease outlives the longest plan: a move waits twice (removal, then install), each up to
    `wait_timeout`. Another job breaks a lease only after it expired (docs/architecture.md "Convergence")."""
    return 2 * wait_timeout + LEASE_MARGIN


def pending_after(plan: Plan, ran: bool) -> str | None:
    """What is configured but not in effect after the task: the plan's `pending`, unless the plan ran and waited (a
    wait that gave up fails the task instead)."""
    if ran and any(isinstance(step, Wait) for step in plan.steps):
        return None
    return plan.pending


def mode_changed(before: Mapping[str, Any] | None, after: Mapping[str, Any] | None) -> bool:
    """Whether the configured mode differs after the task (the downloader applies it at its next restart)."""
    return bool(before and after and before.get("mode") != after.get("mode"))
