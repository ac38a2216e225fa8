"""What every executor of a small plan shares with execute_plan: a ConfigMgrError leaves with `steps_run` (the
completed steps, PlanStep.to_dict()) and `changed` (True when one of them mutated), so that the action reports
changed=true after a failure that follows a change."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import TypeVar

from ..errors import ConfigMgrError
from ..steps import PlanStep

T = TypeVar("T")


@contextmanager
def reporting(done: list[PlanStep]) -> Iterator[list[PlanStep]]:
    """Run a block that appends each completed step to `done`; an error raised in it names them (as execute_plan)."""
    try:
        yield done
    except ConfigMgrError as err:
        ran = [s.to_dict() for s in done]
        err.steps_run = ran + [s for s in err.steps_run if s not in ran]
        err.changed = bool(err.changed or any(s.mutates for s in done))
        raise


def run_steps(
    steps: Sequence[PlanStep],
    run_one: Callable[[PlanStep], None],
    after: Callable[[list[PlanStep]], T],
    progress: Callable[[str], None] | None = None,
) -> T:
    """Each step through `run_one` (its description to `progress` first), then `after(done)` (the read back), all
    inside `reporting`: a failure anywhere, the read back included, names the steps that completed."""
    done: list[PlanStep] = []
    with reporting(done):
        for step in steps:
            if progress:
                progress(step.description)
            run_one(step)
            done.append(step)
        return after(done)
