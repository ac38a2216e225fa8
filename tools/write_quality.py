"""Write docs/quality.md from the evidence runs (never by hand). `make evidence` runs them in full, then this.

Inputs, all under tests/output/ (written by the runs themselves):
    fault_matrix.jsonl     tests/faults/test_fault_matrix.py, one line per case
    concurrency.jsonl      tests/integration/test_concurrency.py, one line per trial (two ansible-playbook jobs)
    input_errors.json      the integration target input_errors, one row per refused input
    input_accepted.jsonl   tests/integration/test_input_table.py, one line per accepted input traced to its parameter
Every file under tests/output/ is also searched for the lab's secrets.

    .venv/bin/python tools/write_quality.py [--output docs/quality.md]
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import sys
from dataclasses import MISSING, fields
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
OUTPUT = ROOT / "tests" / "output"
SCENARIOS = ROOT / "tests" / "lab" / "world" / "scenarios"
FAULTS = (
    "fail_auth",
    "drop",
    "timeout",
    "hang",
    "drop_after",
    "lost_receive",
    "fail_cmdlet",
    "install_fail",
    "thread_stuck",
)
LOST_ANSWER = ("drop_after", "lost_receive", "timeout", "hang")

NOT_COVERED = [
    "`dmp_sync_fail` (the SCP host cannot reach Microsoft) is an environment fault the collection cannot repair: "
    "tests/functional/test_effective_mode.py shows it is reported (effective mode `unknown`, with the evidence), not "
    "repaired.",
    "Faults on WS-Management requests other than `Command` (`Create` of the runspace pool, `Receive` polls other than "
    "the one ending a pipeline, `Signal`, `Delete`) are not injected; `drop` / `timeout` hit the nth `Command` of a "
    "host.",
    "Repeated identical calls (a wait loop polling the same read, the module bootstrap of every new session) are "
    "faulted on their first and last occurrence only; `timeout` only on changing pipelines and the first pipeline "
    "sent to a host, `lost_receive` and `hang` only on changing pipelines (each costs seconds of real time).",
    "One fault per case: no two faults in one run, no fault during the re-run. The matrix calls the library as the "
    "action plugin does, without the hierarchy lease (the concurrency trials run the real module, lease included).",
    "`fail_auth` only on the first session opened to each host (nth=1).",
    "The matrix runs at the library level (a `ConfigMgrError` naming the step); how the action plugins turn those "
    "into task results (failed, unreachable, changed, steps_run, warnings) is tested in tests/unit/plugins/action. "
    "Topologies: a stand-alone primary with the SCP local or remote, a remote SMS Provider, a CAS with two primaries "
    "(a move at the CAS), an HA pair (install on a third server) and the expansion to a CAS; an SCP stranded at a "
    "child site is covered clean and with timeouts by tests/integration/test_matrix.py, not here.",
    "Time: the waits use the lab's simulated clock with wait_timeout 300 s; real-time limits are short "
    "(operation_timeout 1 s, read_timeout 2 s, command_timeout 8 s, the lab holds a `timeout` request 3 s).",
]


# -- inputs ---------------------------------------------------------------------------------------------------------
def load_lines(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    with path.open(encoding="utf-8") as source:
        return [json.loads(line) for line in source if line.strip()]


def load_json(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    data = json.loads(path.read_text(encoding="utf-8") or "[]")
    return list(data) if isinstance(data, list) else []


def stamp(path: Path) -> str:
    if not path.exists():
        return "not run"
    return datetime.datetime.fromtimestamp(os.path.getmtime(path), datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def esc(value: Any, limit: int = 0) -> str:
    text = str(value if value is not None else "")
    if limit and len(text) > limit:
        text = text[:limit] + "…"
    return text.replace("|", "\\|").replace("\n", "\\n").replace("\r", "\\r").replace("\t", "\\t")


# -- fault matrix ---------------------------------------------------------------------------------------------------
def invariant_violations(row: dict[str, Any]) -> list[str]:
    """The matrix's assertions, re-checked from the recorded line (what the test failed on)."""
    problems = []
    if row["faulted"] == "error":
        problems.append(f"faulted run raised {row.get('error_type')}, not a ConfigMgrError")
    if not row["converged"]:
        problems.append("re-run did not converge")
    if row.get("scp_roles_after_fault", 0) > 1 or row.get("scp_roles_final", 0) > 1:
        problems.append("two SCPs")
    if (
        row["fault"] in LOST_ANSWER
        and row.get("changing_call")
        and row["faulted"] in ("failed", "unreachable")
        and not row["changed"]
        and row.get("state_changed")
    ):
        problems.append("a lost answer to a change was reported unchanged (changed=false, the state changed)")
    return problems


def matrix_section(rows: list[dict[str, Any]]) -> list[str]:
    out = ["## Fault matrix", ""]
    if not rows:
        return out + ["Not run.", ""]
    runs = sorted({r.get("run", "full") for r in rows})
    out.append(
        "Every mutating flow (install, mode change + handler restart, remove, move, both phases of the "
        "expansion to a CAS, site system create, usage data) is first run clean on the in-process lab while "
        "every fault check of the lab is recorded; each remote call it makes (pipeline on a host, cmdlet on a "
        "host, nth occurrence) is then faulted with every kind that applies on a fresh lab, the faults are "
        "cleared and the flow runs again. A case passes when the faulted run succeeded or raised a "
        "`ConfigMgrError` naming its operation or host, the re-run converged (for the first expansion phase: "
        "and the SCP's mode is recorded for the second), there were never two SCPs, no SCP was lost by a run "
        "that reported success, and a lost answer to a changing call was reported `changed` or changed "
        f"nothing. Run: **{', '.join(runs)}** (`make evidence` runs every case; `make test` every fourth case of each cell)."
    )
    out.append("")
    bad = [(r, p) for r, p in ((r, invariant_violations(r)) for r in rows) if p]
    out.append(
        f"**{len(rows)} cases**, {sum(r['faulted'] != 'ok' for r in rows)} with the faulted run failing, "
        f"{sum(r['faulted'] == 'ok' for r in rows)} with it succeeding, {sum(bool(r['converged']) for r in rows)} converged on the re-run, "
        f"**{len(bad)} violating a rule** ({sum(not r['converged'] for r in rows)} not converging)."
    )
    out.append("")
    out.append("Each cell: cases / faulted run failed (failed + unreachable) / faulted run ok / re-run converged.")
    out.append("")
    flows = list(dict.fromkeys(r["flow"] for r in rows))  # in the order the matrix ran them
    kinds = [k for k in FAULTS if any(r["fault"] == k for r in rows)]
    out.append("| flow | " + " | ".join(f"`{k}`" for k in kinds) + " | all |")
    out.append("|---|" + "---|" * (len(kinds) + 1))
    for flow in flows:
        cells = []
        for kind in kinds + [None]:
            sel = [r for r in rows if r["flow"] == flow and (kind is None or r["fault"] == kind)]
            cells.append(
                f"{len(sel)} / {sum(r['faulted'] != 'ok' for r in sel)} / {sum(r['faulted'] == 'ok' for r in sel)} / {sum(bool(r['converged']) for r in sel)}"
                if sel
                else "–"
            )
        out.append(f"| {flow} | {' | '.join(cells)} |")
    out.append("")
    unfired = [r for r in rows if not r.get("fired", True)]
    if unfired:
        cases = ", ".join(f"{r['flow']} {r['fault']} {r['cmdlet']}#{r['nth']} on {r['host']}" for r in unfired)
        out.append(
            f"{len(unfired)} case(s) armed a fault that never fired (the faulted run took another path): {cases}."
        )
        out.append("")
    out.append("### Cases that broke a rule")
    out.append("")
    if not bad:
        out.append("None.")
    else:
        out.append("| flow | fault | host | call (nth) | faulted run | changed | rule broken | message |")
        out.append("|---|---|---|---|---|---|---|---|")
        for row, problems in bad:
            message = (
                (row.get("message") or "")
                if row["converged"]
                else f"{row.get('message') or ''} / re-run: "
                + (row.get("rerun_message") or f"final scp {row.get('final_scp')} on {row.get('final_installed_on')}")
            )
            out.append(
                f"| {row['flow']} | {row['fault']} | {row['host']} | `{row['cmdlet'] or 'any pipeline'}` #{row['nth']} ({esc(row.get('call'), 80)}) | "
                f"{row['faulted']} | {row['changed']} | {'; '.join(problems)} | {esc(message, 300)} |"
            )
    out.append("")
    return out


# -- concurrency ----------------------------------------------------------------------------------------------------
def concurrency_section(rows: list[dict[str, Any]]) -> list[str]:
    out = ["## Two jobs at once", ""]
    if not rows:
        return out + ["Not run.", ""]
    out.append(
        "Each trial runs two real `ansible-playbook` jobs against one lab hierarchy, the second started "
        "`offset` seconds after the first. A trial passes when the hierarchy ends with exactly one SCP, "
        "installed where it is configured, on the server and in the mode of the job that succeeded last (or "
        "as before when none did), every job that failed was refused (the hierarchy lease, naming its "
        "owner), and every success reported what it did truthfully. The lab's SMS Provider itself refuses a second SCP "
        "(our reading of the one-per-hierarchy rule, docs/lab.md); what rests on the lease alone is that no "
        "trial ends without an SCP, in a mode nobody asked for, or with a success that did not happen as "
        "reported."
    )
    out.append("")
    out.append("| pair | trials | offsets (s) | both ok | one ok | none ok | one SCP at the end | violations |")
    out.append("|---|---|---|---|---|---|---|---|")
    for pair in dict.fromkeys(r["pair"] for r in rows):
        sel = [r for r in rows if r["pair"] == pair]
        oks = [sum(job.get("outcome") == "ok" for job in r["jobs"].values()) for r in sel]
        offsets = sorted(float(r["offset"]) for r in sel)
        out.append(
            f"| {pair} | {len(sel)} | {offsets[0]}–{offsets[-1]} | {oks.count(2)} | {oks.count(1)} | {oks.count(0)} | "
            f"{sum(r.get('scp_roles') == 1 for r in sel)} | {sum(bool(r.get('violations')) for r in sel)} |"
        )
    out.append("")
    broken = [r for r in rows if r.get("violations")]
    out.append(
        "Trials with a violation: %s."
        % (
            "none"
            if not broken
            else "; ".join(f"{r['pair']} at {r['offset']} s: {esc('; '.join(r['violations']), 200)}" for r in broken)
        )
    )
    out.append("")
    return out


# -- bad input ------------------------------------------------------------------------------------------------------
def input_section(refused: list[dict[str, Any]], accepted: list[dict[str, Any]]) -> list[str]:
    out = ["## Bad input", ""]
    if not refused and not accepted:
        return out + ["Not run.", ""]
    wrong = [r for r in refused if not r.get("refused") or r.get("changed")]
    lost = [r for r in accepted if not r.get("arrived_unchanged")]
    out.append(
        "Each refused input ran as an Ansible task against the lab, which recorded no WS-Management request "
        "for the whole target; each accepted input ran for real and was traced in the lab's call log to the "
        "cmdlet parameter that stores it, byte for byte, and to no script text."
    )
    out.append("")
    out.append(
        f"**{sum(bool(r.get('refused')) for r in refused)} inputs refused** before any remote call ({len(wrong)} not refused or reported changed); "
        f"**{sum(bool(r.get('arrived_unchanged')) for r in accepted)} accepted** "
        f"and arriving unchanged ({len(lost)} not)."
    )
    out.append("")
    if refused:
        out.append("| module | option | value | refused | message |")
        out.append("|---|---|---|---|---|")
        for row in refused:
            out.append(
                f"| {esc(row.get('module'))} | `{esc(row.get('option'))}` | `{esc(row.get('value'), 60)}` | "
                f"{'yes' if row.get('refused') and not row.get('changed') else '**no**'} | {esc(row.get('msg'), 160)} |"
            )
        out.append("")
    if accepted:
        out.append("Accepted, and arriving unchanged as a parameter value:")
        out.append("")
        out.append("| module | option | value | cmdlet -parameter | unchanged |")
        out.append("|---|---|---|---|---|")
        for row in accepted:
            out.append(
                f"| {esc(row.get('module'))} | `{esc(row.get('option'))}` | `{esc(row.get('value'), 60)}` | "
                f"`{esc(row.get('cmdlet'))} -{esc(row.get('parameter'))}` | {'yes' if row.get('arrived_unchanged') else '**no**'} |"
            )
        out.append("")
    return out


# -- secrets --------------------------------------------------------------------------------------------------------
def lab_secrets() -> set[str]:
    """Every password and secret the lab's scenarios define (the lab accepts no other credentials)."""
    found: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if (
                    isinstance(value, str)
                    and value
                    and ("password" in str(key).lower() or str(key).lower() in ("secret", "client_secret"))
                ):
                    found.add(value)
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    for path in sorted(SCENARIOS.glob("*.yaml")):
        walk(yaml.safe_load(path.read_text(encoding="utf-8")))
    return found


def secrets_section(skip: Path | None) -> list[str]:
    secrets = sorted(lab_secrets())
    files = [p for p in sorted(OUTPUT.rglob("*")) if p.is_file() and p != skip]
    hits: list[str] = []
    size = 0
    for path in files:
        data = path.read_bytes()
        size += len(data)
        text = data.decode("utf-8", errors="replace")
        for secret in secrets:
            if secret in text:
                hits.append(os.path.relpath(path, ROOT))
                break
    out = ["## Secrets", ""]
    out.append(
        f"The {len(secrets)} distinct password(s) and secret(s) the lab's scenarios define were searched in every artifact "
        f"the evidence runs wrote under `tests/output/` ({len(files)} files, {size} bytes: the matrix and trial records, the "
        f"full output of every `ansible-playbook` job): **found {len(hits)} times**{' (in ' + ', '.join(hits) + ')' if hits else ''}."
    )
    out.append("")
    return out


# -- transport defaults ---------------------------------------------------------------------------------------------
def transport_section() -> list[str]:
    sys.path[:0] = [str(ROOT / "build" / "pythonpath"), str(ROOT)]
    from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.options import PSRP_VARIABLES, ConnectionOptions

    variables = {entry.option: entry.variables for entry in PSRP_VARIABLES}
    out = [
        "## Transport defaults",
        "",
        "What a task uses when neither the inventory nor the task sets an option (read from `ConnectionOptions`; "
        "`port` and `protocol` follow each other: https on 5986 unless the port is 5985; Basic over http is "
        "refused unless `allow_basic_over_http`).",
        "",
        "| option | default | inventory variables |",
        "|---|---|---|",
    ]
    for item in fields(ConnectionOptions):
        if item.name in ("display_name",):
            continue
        default = item.default if item.default is not MISSING else "(required)"
        shown = "(none)" if default is None else (f"`{default}`" if default != "" else "(the inventory host)")
        names = ", ".join(f"`{v}`" for v in variables.get(item.name, ())) or "task option only"
        out.append(f"| `{item.name}` | {shown} | {names} |")
    out.append("")
    return out


# -- document -------------------------------------------------------------------------------------------------------
def render(
    matrix: list[dict[str, Any]],
    trials: list[dict[str, Any]],
    refused: list[dict[str, Any]],
    accepted: list[dict[str, Any]],
    stamps: dict[str, str],
    output: Path | None = None,
) -> str:
    out = [
        "<!-- written by tools/write_quality.py from the evidence runs; do not edit -->",
        "",
        "# Quality: the evidence",
        "",
        f"*Written by `tools/write_quality.py` from the runs' own records under `tests/output/` (fault matrix {stamps.get('matrix')}, "
        f"concurrency trials {stamps.get('trials')}, bad input {stamps.get('input')}); do not edit: `make evidence` runs everything and writes this "
        "file.*",
        "",
    ]
    out += matrix_section(matrix)
    out += concurrency_section(trials)
    out += input_section(refused, accepted)
    out += secrets_section(output)
    out += transport_section()
    out += ["## Not covered yet", ""]
    out += ["- " + line for line in NOT_COVERED]
    out.append("")
    return "\n".join(out)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", default=str(ROOT / "docs" / "quality.md"))
    args = parser.parse_args(argv)
    sources = {
        "matrix": OUTPUT / "fault_matrix.jsonl",
        "trials": OUTPUT / "concurrency.jsonl",
        "input": OUTPUT / "input_errors.json",
    }
    matrix = load_lines(sources["matrix"])
    if not matrix:
        print(f"no fault matrix at {sources['matrix']}: run `make evidence`", file=sys.stderr)
        return 1
    output = Path(args.output)
    text = render(
        matrix,
        load_lines(sources["trials"]),
        load_json(sources["input"]),
        load_lines(OUTPUT / "input_accepted.jsonl"),
        {k: stamp(v) for k, v in sources.items()},
        output,
    )
    output.write_text(text, encoding="utf-8")
    print(
        f"wrote {output}: {len(matrix)} matrix cases, {len(load_lines(sources['trials']))} trials, "
        f"{len(load_json(sources['input']))} refused and {len(load_lines(OUTPUT / 'input_accepted.jsonl'))} accepted inputs"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
