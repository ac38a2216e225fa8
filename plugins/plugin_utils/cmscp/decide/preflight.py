"""configmgr.scp.preflight: which check results fail the task (`fail_on`), and the summary it returns."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ..configmgr.prereqs import FAIL, WARN, CheckResult, summary
from ..errors import InvalidOption

# fail_on -> the check statuses that fail the task
FAILING = {"error": (FAIL,), "warning": (FAIL, WARN), "never": ()}


@dataclass(frozen=True)
class PreflightVerdict:
    status: str  # the worst status: pass | warn | fail
    failed_checks: tuple[str, ...]
    warning_checks: tuple[str, ...]
    failure: str | None = None  # set when `fail_on` fails the task: names the checks that did


def preflight_verdict(server: str, results: Sequence[CheckResult], fail_on: str = "error") -> PreflightVerdict:
    if fail_on not in FAILING:
        raise InvalidOption("fail_on", f"must be one of {', '.join(FAILING)}, got {fail_on!r}")
    bad = [r for r in results if r.status in FAILING[fail_on]]
    failure = None
    if bad:
        reasons = "; ".join(f"{r.id}: {r.message}" for r in bad)
        failure = f"prerequisites for the service connection point on {server} not met (fail_on={fail_on}): {reasons}"
    return PreflightVerdict(
        summary(list(results)),
        tuple(r.id for r in results if r.status == FAIL),
        tuple(r.id for r in results if r.status == WARN),
        failure,
    )
