"""Run a UsageDataPlan: Set-CMHierarchySetting, then the level read back."""

from __future__ import annotations

from collections.abc import Callable

from ..configmgr.provider import SiteProvider
from ..decide.usage_data import USAGE_READS, SetUsageDataLevel, UsageDataPlan
from ..errors import ConfigMgrError
from ..steps import PlanStep
from .reporting import run_steps


def execute_usage_data(
    plan: UsageDataPlan, provider: SiteProvider, progress: Callable[[str], None] | None = None
) -> str | None:
    """The level after the change, as the site reads it back (the plan's own `after` when there is nothing to do)."""
    if not plan.steps:
        return plan.after

    def run_one(step: PlanStep) -> None:
        if not isinstance(step, SetUsageDataLevel):
            raise ConfigMgrError(f"unknown plan step {step!r}", provider.host, "set the usage data level")
        provider.set_usage_data_level(step.level)

    return run_steps(
        plan.steps, run_one, lambda done: provider.read_state(include=USAGE_READS).usage_data_level, progress
    )
