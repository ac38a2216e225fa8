"""configmgr.scp.usage_data: the hierarchy's diagnostic (usage) data level, planned from one read."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from ..configmgr.constants import TELEMETRY_LEVELS
from ..configmgr.model import ProviderState
from ..configmgr.topology import require_top_tier
from ..errors import ConfigMgrError, InvalidOption
from ..steps import PlanStep

# What the plan needs: the sites (top-tier rule) and Get-CMHierarchySetting's TelemetryLevel.
USAGE_READS = ("sites", "usage")


@dataclass(frozen=True)
class SetUsageDataLevel(PlanStep):
    action: ClassVar[str] = "set_usage_data_level"
    mutates: ClassVar[bool] = True
    level: str  # Basic | Enhanced | Full

    @property
    def expects(self) -> dict[str, Any]:
        return {"usage_data_level": self.level}


@dataclass(frozen=True)
class UsageDataPlan:
    before: str
    after: str  # predicted (check mode reports it)
    steps: tuple[PlanStep, ...] = ()

    @property
    def changed(self) -> bool:
        return any(step.mutates for step in self.steps)


def normalise_level(level: str) -> str:
    """ "full" -> "Full"; "Accepted values: Basic, Enhanced, Full" (Set-CMHierarchySetting -TelemetryLevel, cmdlet
    reference)."""
    for known in TELEMETRY_LEVELS.values():
        if str(level).lower() == known.lower():
            return known
    raise InvalidOption("level", f"must be basic, enhanced or full, got {level!r}")


def plan_usage_data(state: ProviderState, level: str) -> UsageDataPlan:
    """Set the level when it differs. The top-tier rule is checked first, whatever the current level: the level is a
    hierarchy-wide setting of the top-tier site (no -SiteCode), and a task through a child's provider fails the same
    way on every run. PlanRefused (not the top tier) or ConfigMgrError (the level cannot be read)."""
    require_top_tier(state, "set the usage data level, a hierarchy setting of the top-tier site,")
    wanted = normalise_level(level)
    before = state.usage_data_level
    if before is None:
        raise ConfigMgrError(
            "could not read the current usage data level (Get-CMHierarchySetting returned no "
            f"TelemetryLevel for site {state.site_code}); check that the account may read the hierarchy settings",
            state.provider,
            "read the usage data level",
        )
    if before.lower() == wanted.lower():
        return UsageDataPlan(before, wanted)
    return UsageDataPlan(
        before, wanted, (SetUsageDataLevel(f"set the usage data level to {wanted} (was {before})", level=wanted),)
    )
