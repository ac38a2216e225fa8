"""The base of every plan step: plan_scp's (planner.Step) and those of the small plans in decide/. One frozen dataclass
per kind; the executors dispatch on the type."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar


@dataclass(frozen=True)
class PlanStep:
    """What a module result needs of any step: its id (`action`), a description, whether it changes something
    (`mutates`: what `changed` is computed from) and what is true after it (`expects`)."""

    action: ClassVar[str]
    mutates: ClassVar[bool]
    description: str

    @property
    def expects(self) -> dict[str, Any]:
        return {}

    def to_dict(self) -> dict[str, Any]:
        return {
            "action": self.action,
            "description": self.description,
            "mutates": self.mutates,
            "expects": self.expects,
        }
