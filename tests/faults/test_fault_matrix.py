"""Fault matrix: every remote call of every mutating flow (enumerated from a clean run's fault checks), faulted with
every kind that applies, on a fresh lab; then the faults are cleared and the flow runs again. Asserted per case:
(1) the faulted run succeeded or raised a ConfigMgrError naming its operation / host; (2) the clean re-run converges;
(3) never two SCPs; (4) an SCP is never lost without the faulted run failing; (5) a changing call whose answer was
lost either reports changed or changed nothing. One JSON line per case goes to tests/output/fault_matrix.jsonl."""

from __future__ import annotations

import json
import os
import time
from typing import Any

import pytest

from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.errors import ConfigMgrError, HostUnreachable
from tests.faults.flows import FLOWS, LAB_KWARGS, Case, Rig, enumerate_cases, projection, sample, scp_roles

LOST_ANSWER = ("drop_after", "lost_receive", "timeout", "hang")


FULL = os.environ.get("CMSCP_EVIDENCE", "sample") == "full"


def _all_cases() -> list[Case]:
    cases: list[Case] = []
    for flow in FLOWS.values():
        cases.extend(enumerate_cases(flow)[0])
    return sample(cases, FULL)


CASES = _all_cases()


def _run(flow: Any, kit: Any) -> tuple[str, Any, bool]:
    """-> (outcome ok|failed|unreachable|error, the exception or None, changed reported)."""
    try:
        result = flow.run(Rig(kit))
    except HostUnreachable as err:
        return "unreachable", err, bool(err.changed)
    except ConfigMgrError as err:
        return "failed", err, bool(err.changed)
    except Exception as err:  # noqa: BLE001  (anything else is a finding: recorded, then asserted)
        return "error", err, False
    return "ok", None, result.changed


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_fault_then_clean_rerun_converges(make_lab, matrix_file, case: Case) -> None:
    flow = FLOWS[case.flow]
    kit = make_lab(flow.scenario, **LAB_KWARGS)
    if flow.setup is not None:
        flow.setup(kit)
    before = projection(kit)
    had_scp = before["scp"]["configured"] is not None
    kit.lab.add_fault(case.kind, host=case.host, cmdlet=case.cmdlet, nth=case.nth)
    start = time.monotonic()
    outcome, err, changed = _run(flow, kit)
    faulted_seconds = time.monotonic() - start
    fired = not kit.lab.world.faults.pending()
    after = projection(kit)
    roles_after_fault = scp_roles(kit)
    kit.lab.clear_faults()
    rerun_outcome, rerun_err, _changed = _run(flow, kit)
    reruns = 1
    if case.kind == "install_fail" and rerun_outcome != "ok":
        # the site retries a failed bootstrap on its own schedule (the lab: after 600 simulated seconds): running
        # again is the way to finish, once the site has retried
        rerun_outcome, rerun_err, _changed = _run(flow, kit)
        reruns = 2
    final = kit.lab.state()
    converged = rerun_outcome == "ok" and flow.converged(final) and (flow.recorded is None or flow.recorded(kit))
    roles_final = scp_roles(kit)
    record = {
        "run": "full" if FULL else "sample",
        "flow": case.flow,
        "host": case.host,
        "cmdlet": case.cmdlet,
        "nth": case.nth,
        "fault": case.kind,
        "call": case.label,
        "changing_call": case.changing,
        "fired": fired,
        "faulted": outcome,
        "faulted_seconds": round(faulted_seconds, 2),
        "changed": changed,
        "outcome_unknown": bool(getattr(err, "outcome_unknown", False)),
        "error_type": type(err).__name__ if err is not None else None,
        "message": str(err) if err is not None else None,
        "state_changed": before != after,
        "scp_roles_after_fault": roles_after_fault,
        "rerun": rerun_outcome,
        "reruns": reruns,
        "rerun_message": str(rerun_err) if rerun_err is not None else None,
        "converged": converged,
        "scp_roles_final": roles_final,
        "final_scp": final["scp"]["configured"],
        "final_installed_on": final["scp"]["installed_on"],
        "final_effective_mode": final["scp"]["effective_mode"],
    }
    with matrix_file.open("a", encoding="utf-8") as out:
        out.write(json.dumps(record, default=str) + "\n")

    # (1) a failure is a ConfigMgrError that says what failed where
    assert outcome != "error", f"the faulted run raised {type(err).__name__}, not a ConfigMgrError: {err}"
    if err is not None:
        assert str(err) and (err.operation or err.host), f"a failure that names no operation nor host: {err!r}"
    # (2) the clean re-run converges
    assert converged, (
        f"re-run did not converge ({rerun_outcome}: {rerun_err}); "
        f"scp {final['scp']['configured']} installed on {final['scp']['installed_on']}, effective {final['scp']['effective_mode']}"
    )
    # (3) never two SCPs
    assert roles_after_fault <= 1 and roles_final <= 1, (roles_after_fault, roles_final)
    # (4) an SCP is never lost silently
    if flow.scp_desired and had_scp and after["scp"]["configured"] is None:
        assert err is not None, "the SCP is gone after a faulted run that reported success"
    # (5) a lost answer to a change: changed reported, or nothing changed
    if case.kind in LOST_ANSWER and case.changing and err is not None:
        assert changed or before == after, f"a lost answer to a change was reported unchanged: {err}"
