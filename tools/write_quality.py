"""Write docs/quality.md from the fault matrix run (tests/output/fault_matrix.jsonl, one JSON line per case, written
by tests/faults/test_fault_matrix.py).

    .venv/bin/python -m pytest -q -p no:cacheprovider tests/faults
    .venv/bin/python tools/write_quality.py [--input tests/output/fault_matrix.jsonl] [--output docs/quality.md]
"""
from __future__ import annotations

import argparse
import datetime
import json
import os
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
FAULTS = ("fail_auth", "drop", "timeout", "drop_after", "lost_receive", "fail_cmdlet", "install_fail", "thread_stuck")

NOT_COVERED = [
    "`hang` (a pipeline that never answers) and `dmp_sync_fail` are not in the matrix; `hang` is covered for single "
    "calls by tests/functional/test_lost_answers.py.",
    "Faults on WS-Management requests other than `Command` (`Create` of the runspace pool, `Receive` polls other than "
    "the one ending a pipeline, `Signal`, `Delete`) are not injected; `drop` / `timeout` hit the nth `Command` of a "
    "host.",
    "Repeated identical calls (a wait loop polling the same read, the module bootstrap of every new session) are "
    "faulted on their first and last occurrence only; `timeout` only on changing pipelines and the first pipeline "
    "sent to a host, `lost_receive` only on changing pipelines (each costs seconds of real time).",
    "One fault per case: no two faults in one run, no fault during the re-run, no fault while the hierarchy lease is "
    "held (the flows call the library as the action does, without `HierarchyLease`).",
    "`fail_auth` only on the first session opened to each host (nth=1).",
    "Only the six flows at the library level: not the action plugins / Ansible task results, not the other scenarios "
    "(remote provider, hierarchy with a CAS, HA pair, stranded SCP at a child site), not site expansion.",
    "Time: the waits use the lab's simulated clock with wait_timeout 300 s; real-time limits are short "
    "(operation_timeout 1 s, read_timeout 2 s, command_timeout 8 s, the lab holds a `timeout` request 3 s).",
]


def load(path: Path) -> list[dict[str, Any]]:
    rows = []
    with path.open(encoding="utf-8") as source:
        for line in source:
            line = line.strip()
            if line:
                rows.append(json.loads(line))
    return rows


def invariant_violations(row: dict[str, Any]) -> list[str]:
    """The matrix's assertions, re-checked from the recorded line (what the test failed on)."""
    problems = []
    if row["faulted"] == "error":
        problems.append("faulted run raised %s, not a ConfigMgrError" % row.get("error_type"))
    if not row["converged"]:
        problems.append("re-run did not converge")
    if row.get("scp_roles_after_fault", 0) > 1 or row.get("scp_roles_final", 0) > 1:
        problems.append("two SCPs")
    if (row["fault"] in ("drop_after", "lost_receive", "timeout") and row.get("changing_call")
            and row["faulted"] in ("failed", "unreachable") and not row["changed"] and row.get("state_changed")):
        problems.append("a lost answer to a change was reported unchanged (changed=false, the state changed)")
    return problems


def cell(n: int) -> str:
    return str(n) if n else "·"


def render(rows: list[dict[str, Any]], when: str, source: str) -> str:
    out: list[str] = []
    out.append("<!-- written by tools/write_quality.py from the fault matrix run on %s; do not edit -->" % when)
    out.append("")
    out.append("# Quality: the fault matrix")
    out.append("")
    out.append("*Written by `tools/write_quality.py` from the fault matrix run on %s (`%s`); do not edit: run "
               "`.venv/bin/python -m pytest -q -p no:cacheprovider tests/faults` then "
               "`.venv/bin/python tools/write_quality.py`.*" % (when, source))
    out.append("")
    out.append("Every mutating flow (install, mode change + handler restart, remove, move, site system create, usage "
               "data) is first run clean on the in-process lab while every fault check of the lab is recorded; each "
               "remote call it makes (pipeline on a host, cmdlet on a host, nth occurrence) is then faulted with every "
               "kind that applies on a fresh lab, the faults are cleared and the flow runs again. A case passes when "
               "the faulted run succeeded or raised a `ConfigMgrError` naming its operation or host, the re-run "
               "converged, there were never two SCPs, no SCP was lost by a run that reported success, and a lost "
               "answer to a changing call was reported `changed` or changed nothing.")
    out.append("")
    flows = list(dict.fromkeys(r["flow"] for r in rows))        # in the order the matrix ran them
    bad = [(r, invariant_violations(r)) for r in rows]
    bad = [(r, p) for r, p in bad if p]
    out.append("**%d cases**, %d with the faulted run failing, %d with it succeeding, %d converged on the re-run, "
               "**%d violating a rule** (%d not converging)." % (
                   len(rows), sum(r["faulted"] != "ok" for r in rows), sum(r["faulted"] == "ok" for r in rows),
                   sum(bool(r["converged"]) for r in rows), len(bad), sum(not r["converged"] for r in rows)))
    out.append("")
    out.append("## Matrix")
    out.append("")
    out.append("Each cell: cases / faulted run failed (failed + unreachable) / faulted run ok / re-run converged.")
    out.append("")
    kinds = [k for k in FAULTS if any(r["fault"] == k for r in rows)]
    out.append("| flow | " + " | ".join("`%s`" % k for k in kinds) + " | all |")
    out.append("|---|" + "---|" * (len(kinds) + 1))
    for flow in flows:
        cells = []
        for kind in kinds + [None]:
            sel = [r for r in rows if r["flow"] == flow and (kind is None or r["fault"] == kind)]
            if not sel:
                cells.append("–")
                continue
            cells.append("%d / %d / %d / %d" % (len(sel), sum(r["faulted"] != "ok" for r in sel),
                                                sum(r["faulted"] == "ok" for r in sel),
                                                sum(bool(r["converged"]) for r in sel)))
        out.append("| %s | %s |" % (flow, " | ".join(cells)))
    out.append("")
    unfired = [r for r in rows if not r.get("fired", True)]
    if unfired:
        out.append("%d case(s) armed a fault that never fired (the faulted run took another path): %s." % (
            len(unfired), ", ".join("%s %s %s#%s on %s" % (r["flow"], r["fault"], r["cmdlet"], r["nth"], r["host"])
                                    for r in unfired)))
        out.append("")
    out.append("## Cases that broke a rule")
    out.append("")
    if not bad:
        out.append("None.")
    else:
        out.append("| flow | fault | host | call (nth) | faulted run | changed | rule broken | message |")
        out.append("|---|---|---|---|---|---|---|---|")
        for row, problems in bad:
            message = (row.get("message") or "") if row["converged"] else "%s / re-run: %s" % (
                row.get("message") or "", row.get("rerun_message") or "final scp %s on %s" % (
                    row.get("final_scp"), row.get("final_installed_on")))
            out.append("| %s | %s | %s | `%s` #%s (%s) | %s | %s | %s | %s |" % (
                row["flow"], row["fault"], row["host"], row["cmdlet"] or "any pipeline", row["nth"],
                (row.get("call") or "")[:80].replace("|", "\\|"),
                row["faulted"], row["changed"], "; ".join(problems), message.replace("|", "\\|")[:300]))
    out.append("")
    out.append("## Not converging")
    out.append("")
    nonconv = [r for r in rows if not r["converged"]]
    if not nonconv:
        out.append("Every case converged on the clean re-run.")
    for row in nonconv:
        out.append("- %s, `%s` on %s, `%s` #%s (%s): faulted run %s (%s); re-run %s: %s; final SCP %s installed on %s, "
                   "effective mode %s" % (row["flow"], row["fault"], row["host"], row["cmdlet"] or "any pipeline",
                                          row["nth"], row.get("call"),
                                          row["faulted"], row.get("message"), row["rerun"], row.get("rerun_message"),
                                          row.get("final_scp"), row.get("final_installed_on"),
                                          row.get("final_effective_mode")))
    out.append("")
    out.append("## Not covered yet")
    out.append("")
    out.extend("- " + line for line in NOT_COVERED)
    out.append("")
    return "\n".join(out)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--input", default=str(ROOT / "tests" / "output" / "fault_matrix.jsonl"))
    parser.add_argument("--output", default=str(ROOT / "docs" / "quality.md"))
    args = parser.parse_args(argv)
    source = Path(args.input)
    if not source.exists() or not source.stat().st_size:
        print("no fault matrix at %s: run the fault matrix first" % source, file=sys.stderr)
        return 1
    rows = load(source)
    when = datetime.datetime.fromtimestamp(os.path.getmtime(source), datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    try:
        shown = str(source.resolve().relative_to(ROOT))
    except ValueError:
        shown = str(source)
    Path(args.output).write_text(render(rows, when, shown), encoding="utf-8")
    print("wrote %s from %d cases" % (args.output, len(rows)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
