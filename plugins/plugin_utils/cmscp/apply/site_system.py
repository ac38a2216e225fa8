"""Reads and changes of a SiteSystemPlan: the account lookups it needs first, then New-/Set- or
Remove-CMSiteSystemServer and the server read back."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

from ..configmgr.provider import SiteProvider
from ..decide.site_system import AccountLookup, RemoveSiteSystem, SiteSystemPlan
from ..errors import ConfigMgrError
from ..pipeline import Pipeline
from ..planner import EnsureSiteSystem
from ..steps import PlanStep
from .reporting import run_steps


def read_accounts(provider: SiteProvider, lookups: Sequence[AccountLookup], server: str) -> tuple[AccountLookup, ...]:
    """`lookups` answered in one round trip: found when Get-CMAccount -UserName returns that user name (it matches
    case-insensitively). No call when there is nothing to look up."""
    if not lookups:
        return ()
    pipe = Pipeline(operation=f"check the accounts of the site system server {server}")
    for lookup in lookups:
        pipe.add("Get-CMAccount", ("UserName", lookup.user_name), label=f"find the {lookup.option} {lookup.user_name}")
    result = provider.run(pipe, idempotent=True)
    answered = []
    for index, lookup in enumerate(lookups):
        rows = [o for o in result[index].output if isinstance(o, dict)]
        answered.append(
            replace(lookup, found=any(str(o.get("UserName") or "").lower() == lookup.user_name.lower() for o in rows))
        )
    return tuple(answered)


def execute_site_system(
    plan: SiteSystemPlan, provider: SiteProvider, progress: Callable[[str], None] | None = None
) -> dict[str, Any] | None:
    """Run the plan; the site system server after it, as the site reads it back (None once removed)."""
    if not plan.steps:
        return plan.after

    def run_one(step: PlanStep) -> None:
        match step:
            case EnsureSiteSystem():
                provider.ensure_site_system_server(step.spec, plan.current, known=True)
            case RemoveSiteSystem():
                provider.remove_site_system_server(step.server, step.site_code)
            case _:
                raise ConfigMgrError(f"unknown plan step {step!r}", provider.host, "change the site system server")

    def after(done: list[PlanStep]) -> dict[str, Any] | None:
        ensured = next((s for s in done if isinstance(s, EnsureSiteSystem)), None)
        if ensured is None:
            return None  # removed
        found = provider.read_state(include=("sites", "site_systems")).site_system(ensured.spec.server)
        return found.to_dict() if found is not None else None

    return run_steps(plan.steps, run_one, after, progress)
