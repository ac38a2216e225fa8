"""The record of the verified SCP on the SMS Provider host (decide.scp.verified_running reads it)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ..configmgr.model import ProviderState, ThreadState, Verified, normalise_mode
from ..configmgr.provider import SiteProvider
from ..configmgr.topology import same_machine
from ..errors import ConfigMgrError
from ..planner import DesiredScp, Plan, WaitInstalled
from ..steps import PlanStep


def verified_to_record(
    state: ProviderState, desired: DesiredScp, plan: Plan, installed: Mapping[str, bool | None | ThreadState]
) -> Verified | None:
    """The record a run that changes nothing should leave (pure): only when it read the SCP's server itself and saw
    the role installed, SMS_DMP_DOWNLOADER running and no mode waiting for a restart, and the record says otherwise.
    None when there is nothing to record."""
    scp = state.scp
    if desired.state != "present" or scp is None or plan.steps or plan.restart_required or plan.pending:
        return None
    seen = {k.lower(): v for k, v in installed.items()}.get(scp.server.lower())
    if not isinstance(seen, ThreadState) or not seen.running or seen.needs_restart:
        return None
    verified = Verified.of(scp)
    return None if verified is None or verified == state.verified else verified


def verified_after_run(plan: Plan, steps_run: Sequence[PlanStep], after: Mapping[str, Any] | None) -> Verified | None:
    """The record a changing run leaves (pure): a run that waited until the role ran on its server (an install, a
    move, a wait for an earlier install) and needs no restart has seen the effective state there itself."""
    if plan.restart_required or not after or not any(isinstance(s, WaitInstalled) for s in steps_run):
        return None
    server, site, mode = after.get("server"), after.get("site_code"), after.get("mode")
    if not (server and site and mode):
        return None
    return Verified(str(server).lower(), str(site).upper(), normalise_mode(str(mode)))


def write_verified(provider: SiteProvider, verified: Verified | None) -> str | None:
    """Write the record; a failure is a warning (returned): the record only saves the next run a host."""
    if verified is None:
        return None
    try:
        provider.record_verified(verified)
    except ConfigMgrError as err:
        return (
            f"could not record the verified service connection point on the SMS Provider host ({err}); the next run "
            f"reads {verified.server} again"
        )
    return None


def remember_verified(
    provider: SiteProvider,
    state: ProviderState,
    desired: DesiredScp,
    plan: Plan,
    installed: Mapping[str, bool | None | ThreadState],
) -> str | None:
    """Write the record when verified_to_record says so (not in check mode: the caller does not call it then).
    The record only saves the next run a host: failing to write it is a warning (returned), never a failed task."""
    return write_verified(provider, verified_to_record(state, desired, plan, installed))


def reverify_after_restart(provider: SiteProvider, server: str, thread: ThreadState | None) -> str | None:
    """After configmgr.scp.component started or restarted SMS_DMP_DOWNLOADER and saw it running with no mode
    waiting (the role's handler): record the SCP configured on that server as verified, so that the next no-op run
    reads the provider only. Returns a warning when the record could not be written or the provider not read."""
    if thread is None or not thread.running or thread.needs_restart:
        return None
    try:
        state = provider.read_state(include=("sites", "scp", "intent"))
    except ConfigMgrError as err:
        return f"could not read the SMS Provider to record the verified service connection point ({err})"
    scp = state.scp
    if scp is None or not same_machine(scp.server, server):
        return None
    verified = Verified.of(scp)
    return None if verified is None or verified == state.verified else write_verified(provider, verified)
