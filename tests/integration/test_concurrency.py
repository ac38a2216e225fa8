"""Two jobs on one hierarchy at once (two AWX jobs, or a job and an admin): the lease on the SMS Provider host lets one
change at a time; the other fails naming the lease's owner, or plans again after it and sees the new state. Never
two SCPs, never none, never a mode nobody asked for, and every success tells the truth about what it found.

Three pairs of jobs, each job a real ansible-playbook run in its own thread against one lab, the second job started
`offset` seconds after the first:

- ``move_and_mode`` (cas-two-primaries, SCP Online on scp01): A moves it to cas01, B sets Offline on scp01.
- ``two_moves`` (cas-two-primaries plus a spare host scp02 that is no site system yet): A moves it to cas01, B to
  scp02 (the module creates the site system server).
- ``two_installs`` (standalone-primary, no SCP): A installs it on scp01, B on the site server cm01.

``CMSCP_EVIDENCE`` unset or ``sample``: offsets 0.0 and 2.5 per pair (part of ``make test``); ``full``: 15 offsets
spread over 0-5 s per pair. Each trial appends one JSON line to tests/output/concurrency.jsonl (truncated once per
session) before it asserts, and keeps each job's stdout in tests/output/concurrency/<pair>-<offset>-<A|B>.log.
"""

from __future__ import annotations

import copy
import itertools
import json
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from subprocess import CompletedProcess
from typing import Any

import pytest
import yaml

from tests.integration.runner import ROOT, recap, run_playbook
from tests.lab.lab import Lab, load_scenario

pytestmark = pytest.mark.timeout(480)

SCP_ROLE = "SMS Dmp Connector"
CAS01, SCP01, SCP02, CM01 = "cas01.contoso.com", "scp01.contoso.com", "scp02.contoso.com", "cm01.contoso.com"
OUTPUT = ROOT / "tests" / "output"
JSONL = OUTPUT / "concurrency.jsonl"
LOGS = OUTPUT / "concurrency"
LEASE_BUSY = "holds the lease"
JOB_TIMEOUT = 420  # seconds a job may take before the trial gives up on it


def cas_with_spare_host() -> dict[str, Any]:
    """cas-two-primaries plus scp02, a member server that is not a site system yet (the CAS site server's computer
    account is a local admin there, so the site system can be installed with it)."""
    data = copy.deepcopy(load_scenario("cas-two-primaries"))
    data["name"] = "cas-two-primaries+scp02"
    data["hosts"].append(
        {
            "fqdn": SCP02,
            "admins": ["CONTOSO\\cmadmin", "CONTOSO\\CAS01$"],
            "network": {"direct": ["*.contoso.com"], "proxies": {"proxy.contoso.com:8080": ["*"]}},
        }
    )
    return data


@dataclass(frozen=True)
class Job:
    server: str
    mode: str | None = None  # online | offline; None: the module's default
    allow_move: bool = False
    site_system: dict[str, Any] | None = None

    def args(self) -> dict[str, Any]:
        args: dict[str, Any] = {"server": self.server}
        if self.mode:
            args["mode"] = self.mode
        if self.allow_move:
            args["allow_move"] = True
        if self.site_system:
            args["site_system"] = dict(self.site_system)
        return args

    def wanted_mode(self) -> str | None:
        return self.mode.capitalize() if self.mode else None


@dataclass(frozen=True)
class Pair:
    scenario: Callable[[], Any]  # returns a scenario name or data for Lab
    host: str  # the play's host: the top-tier site server
    jobs: dict[str, Job]
    # the one mode the hierarchy may end in, from which jobs succeeded ({"A": True, "B": False}) and the mode before
    final_mode: Callable[[dict[str, bool], str | None], str | None]
    # besides "holds the lease": refusals a job may legitimately end with in this pair (all words must appear)
    refusals: dict[str, list[tuple[str, ...]]] = field(default_factory=dict)


PAIRS: dict[str, Pair] = {
    # B asks for Offline on scp01 without allow_move: after A's move it is refused (the SCP is on cas01 now); before
    # it, A moves the SCP keeping B's Offline (a move keeps the current mode). Offline exactly when B succeeded.
    "move_and_mode": Pair(
        scenario=lambda: "cas-two-primaries",
        host=CAS01,
        jobs={"A": Job(CAS01, allow_move=True), "B": Job(SCP01, mode="offline")},
        final_mode=lambda ok, before: "Offline" if ok["B"] else before,
        refusals={"B": [("already configured on", "allow_move")]},
    ),
    # nobody asks for a mode: a move keeps the current one
    "two_moves": Pair(
        scenario=cas_with_spare_host,
        host=CAS01,
        jobs={
            "A": Job(CAS01, allow_move=True),
            "B": Job(SCP02, allow_move=True, site_system={"proxy_server": "proxy.contoso.com", "proxy_port": 8080}),
        },
        final_mode=lambda ok, before: before,
    ),
    # nobody asks for a mode: Online on a first install, kept by a move after it
    "two_installs": Pair(
        scenario=lambda: "standalone-primary",
        host=CM01,
        jobs={"A": Job(SCP01, allow_move=True), "B": Job(CM01, allow_move=True)},
        final_mode=lambda ok, before: "Online" if any(ok.values()) else before,
    ),
}

SIZE = os.environ.get("CMSCP_EVIDENCE", "sample").strip().lower() or "sample"
if SIZE not in ("sample", "full"):
    raise ValueError(f"CMSCP_EVIDENCE must be sample or full, not {SIZE!r}")
OFFSETS = [0.0, 2.5] if SIZE == "sample" else [round(i * 5 / 14, 2) for i in range(15)]
TRIALS = [(pair, offset) for pair in PAIRS for offset in OFFSETS]


def play(pair: Pair, name: str, job: Job, result_file: Path) -> str:
    """The job: the module task (its result registered, errors kept for the test), the result shown, then written
    to result_file on the controller."""
    tasks = [
        {
            "name": "Change the service connection point",
            "configmgr.scp.service_connection_point": job.args(),
            "register": "r",
            "ignore_errors": True,
        },
        {"name": "Show the result", "ansible.builtin.debug": {"var": "r"}},
        {
            "name": "Keep the result for the test",
            "ansible.builtin.copy": {"content": "{{ r | to_json }}", "dest": str(result_file), "mode": "0600"},
            "delegate_to": "localhost",
        },
    ]
    return "---\n" + yaml.safe_dump(
        [{"name": f"Job {name}: {json.dumps(job.args())}", "hosts": pair.host, "gather_facts": False, "tasks": tasks}],
        sort_keys=False,
        width=200,
    )


@pytest.fixture(scope="session", autouse=True)
def concurrency_output() -> Path:
    """Truncate the JSON lines file and drop old job logs once per session."""
    LOGS.mkdir(parents=True, exist_ok=True)
    JSONL.write_text("", encoding="utf-8")
    for old in list(LOGS.glob("*.log")) + list(LOGS.glob("*.stderr")):
        old.unlink()
    return JSONL


@dataclass
class Outcome:
    outcome: str  # ok | failed | unreachable
    changed: bool
    message: str | None
    seconds: float
    result: dict[str, Any] | None  # the registered task result, None when the play never wrote it
    proc: CompletedProcess | None
    error: str | None = None  # the runner itself failed (timeout, exception)

    def text(self) -> str:
        if self.proc is None:
            return f"no output ({self.error})"
        return self.proc.stdout[-5000:] + ("\n--- stderr ---\n" + self.proc.stderr[-2000:] if self.proc.stderr else "")


def outcome_of(proc: CompletedProcess | None, result_file: Path, seconds: float, error: str | None) -> Outcome:
    result = json.loads(result_file.read_text(encoding="utf-8")) if result_file.is_file() else None
    if result is not None:
        failed = bool(result.get("failed")) or bool(result.get("unreachable"))
        kind = "unreachable" if result.get("unreachable") else ("failed" if failed else "ok")
        message = str(result["msg"])[:400] if result.get("msg") else None
        return Outcome(kind, bool(result.get("changed")), message, seconds, result, proc, error)
    hosts = recap(proc) if proc is not None else {}
    kind = "unreachable" if any(h["unreachable"] for h in hosts.values()) else "failed"
    tail = (proc.stdout.strip().splitlines() or [""])[-1] if proc is not None else error
    return Outcome(
        kind, any(h["changed"] for h in hosts.values()), (tail or "")[:400] or None, seconds, None, proc, error
    )


def scp_view(value: dict[str, Any] | None) -> tuple[str, str | None] | None:
    """(server, mode) of a result's before/after, or None when there is no SCP."""
    if not value:
        return None
    return (str(value.get("server") or "").lower(), value.get("mode"))


def chain(
    pair: Pair, jobs: dict[str, Outcome], start: tuple[str, str | None] | None, final: tuple[str, str | None] | None
) -> list[str] | None:
    """An order of the successful jobs in which each one's `before` is the state the previous one left (the first's
    the state before the trial), a move names where it moved from, and the last one's `after` is the final state; None
    when no order fits (a success that did not tell the truth)."""
    ok = [name for name, o in jobs.items() if o.outcome == "ok"]
    for order in itertools.permutations(ok):
        state, fits = start, True
        for name in order:
            r = jobs[name].result or {}
            before, after = scp_view(r.get("before")), scp_view(r.get("after"))
            moved = str(r.get("moved_from") or "").lower() or None
            if before != state:
                fits = False
                break
            if before is not None and after is not None and before[0] != after[0] and moved != before[0]:
                fits = False
                break
            state = after
        if fits and state == final:
            return list(order)
    return None


def run_trial(pair_name: str, offset: float, tmp_path: Path) -> dict[str, Any]:
    pair = PAIRS[pair_name]
    with Lab(pair.scenario(), scale=120) as lab:
        before = lab.state()["scp"]["configured"]
        server_before = before["server"] if before else None
        mode_before = before["mode"] if before else None
        outcomes: dict[str, Outcome] = {}

        def job(name: str, spec: Job, delay: float) -> None:
            time.sleep(delay)
            folder = tmp_path / name
            folder.mkdir()
            result_file = folder / "result.json"
            start = time.monotonic()
            proc, error = None, None
            try:
                proc = run_playbook(lab, folder, play(pair, name, spec, result_file))
            except Exception as exc:  # noqa: BLE001 - recorded as the job's outcome
                error = f"{type(exc).__name__}: {exc}"
            outcomes[name] = outcome_of(proc, result_file, round(time.monotonic() - start, 1), error)

        threads = [
            threading.Thread(target=job, args=("A", pair.jobs["A"], 0.0), name="job-A"),
            threading.Thread(target=job, args=("B", pair.jobs["B"], offset), name="job-B"),
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=JOB_TIMEOUT + 10)
        for name in ("A", "B"):
            outcomes.setdefault(
                name,
                Outcome(
                    "failed",
                    False,
                    f"the job did not finish in {JOB_TIMEOUT} s",
                    float(JOB_TIMEOUT),
                    None,
                    None,
                    "thread still running",
                ),
            )
        with lab.world.lock:
            scps = [r for r in lab.world.hierarchy.roles if r.role_name == SCP_ROLE]
        state = lab.state()["scp"]
    configured = state["configured"]
    final_server = configured["server"] if configured else None
    final_mode = configured["mode"] if configured else None

    for name, o in outcomes.items():
        label = f"{pair_name}-{offset}-{name}"
        if o.proc is not None:
            (LOGS / (f"{label}.log")).write_text(o.proc.stdout, encoding="utf-8")
            if o.proc.stderr:
                (LOGS / (f"{label}.stderr")).write_text(o.proc.stderr, encoding="utf-8")

    violations = judge(pair, outcomes, len(scps), state, (server_before, mode_before))
    line = {
        "pair": pair_name,
        "offset": offset,
        "jobs": {
            name: {
                "outcome": o.outcome,
                "changed": o.changed,
                "message": o.message,
                "seconds": o.seconds,
                "result": (
                    {k: o.result.get(k) for k in ("before", "after", "moved_from")}
                    if o.result is not None and o.outcome == "ok"
                    else None
                ),
            }
            for name, o in sorted(outcomes.items())
        },
        "scp_roles": len(scps),
        "final_server": final_server,
        "final_mode": final_mode,
        "installed_on": state["installed_on"],
        "mode_before": mode_before,
        "server_before": server_before,
        "violations": violations,
    }
    with JSONL.open("a", encoding="utf-8") as handle:
        handle.write(json.dumps(line, sort_keys=False) + "\n")
    return {"line": line, "outcomes": outcomes}


def judge(
    pair: Pair, jobs: dict[str, Outcome], scp_roles: int, state: dict[str, Any], before: tuple[str | None, str | None]
) -> list[str]:
    """Every rule the trial must keep, as readable violations (empty when it kept them all)."""
    violations: list[str] = []
    configured = state["configured"]
    final = (configured["server"].lower(), configured["mode"]) if configured else None
    start = (before[0].lower(), before[1]) if before[0] else None
    ok = {name: o.outcome == "ok" for name, o in jobs.items()}

    if scp_roles != 1:
        violations.append(f"the hierarchy ends with {scp_roles} SCP roles, not 1")
    if configured is None or [s.lower() for s in state["installed_on"]] != [configured["server"].lower()]:
        violations.append(
            f"the SCP is installed on {state['installed_on']} while the site has it configured on {configured and configured['server']}"
        )
    if not any(ok.values()):
        violations.append("no job succeeded")
    for name, o in jobs.items():
        job = pair.jobs[name]
        if o.outcome == "unreachable":
            violations.append(f"job {name} was unreachable: {o.message}")
        elif o.outcome == "failed":
            message = o.message or ""
            allowed = [(LEASE_BUSY,)] + pair.refusals.get(name, [])
            if not any(all(word in message for word in words) for words in allowed):
                violations.append(f"job {name} failed without a clear refusal: {message or o.error}")
            if o.changed:
                violations.append(f"job {name} failed after changing the site (changed=true): {message}")
        else:
            after = scp_view((o.result or {}).get("after"))
            wanted = job.wanted_mode()
            if after is None or after[0] != job.server or (wanted and after[1] != wanted):
                violations.append(
                    f"job {name} reported success with after={(o.result or {}).get('after')}, not what it asked ({job.args()})"
                )
    order = chain(pair, jobs, start, final)
    if any(ok.values()) and order is None:
        results = "; ".join(
            f"{name} before={(o.result or {}).get('before')} after={(o.result or {}).get('after')} "
            f"moved_from={(o.result or {}).get('moved_from')}"
            for name, o in sorted(jobs.items())
            if o.outcome == "ok"
        )
        violations.append(f"the successful jobs' results do not chain from {start} to the final {final}: {results}")
    if order:
        last = pair.jobs[order[-1]]
        if final is None or final[0] != last.server:
            violations.append(
                f"the SCP ends on {final and final[0]}, not on {last.server} of job {order[-1]} (the last to succeed)"
            )
    elif not any(ok.values()) and final != start:
        violations.append(f"no job succeeded, yet the SCP changed from {start} to {final}")
    expected_mode = pair.final_mode(ok, before[1])
    if (final[1] if final else None) != expected_mode:
        violations.append(
            f"the SCP ends in {final and final[1]} mode; "
            f"the jobs that succeeded ({', '.join(n for n, v in sorted(ok.items()) if v) or 'none'}) allow only {expected_mode}"
        )
    return violations


@pytest.mark.parametrize("pair_name, offset", TRIALS, ids=[f"{name}-{offset}" for name, offset in TRIALS])
def test_two_jobs_at_once(pair_name: str, offset: float, tmp_path: Path) -> None:
    trial = run_trial(pair_name, offset, tmp_path)
    line, outcomes = trial["line"], trial["outcomes"]
    detail = "\n".join(
        f"=== job {name} ({o.outcome}, {o.seconds:.1f} s)\n{o.text()}" for name, o in sorted(outcomes.items())
    )
    assert line["violations"] == [], f"{json.dumps(line, indent=2)}\n{detail}"
