"""``make bench``: the figures of docs/performance.md, each beside its target, all measured in one bench run.

Every figure is measured RUNS (5) times; the table shows the median, min-max, the target and PASS/MISS (the median
against the target) with how many of the runs met it. A run that did not do what the figure needs (a no-op run that
changed something, a failed install, a peer that never reached the lab) is reported with its reason and counts as
not met; a figure that could not be measured at all says "not measured" and why, never a number.

``BENCH_RUNS=N`` changes the number of runs; ``BENCH_QUICK=1`` skips the two heavy figures (the install polls and
100 hierarchies) with a note. What each figure is and how it is counted: docs/performance.md.
"""

from __future__ import annotations

import copy
import json
import os
import re
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from tests.integration import runner
from tests.integration.runner import MUTATING, top_tier_server
from tests.lab import bench_transfer
from tests.lab.bench_play import (
    OUR_PLAYBOOK,
    PEER_PLAYBOOK,
    ROOT,
    Marker,
    PlayRun,
    Recorder,
    Request,
    pipelines,
    run_play,
    write_inventory,
)
from tests.lab.lab import Lab, load_scenario
from tests.lab.world.logs import format_line
from tests.lab.world.sitecomp import SITECOMP

RUNS = int(os.environ.get("BENCH_RUNS") or 5)
QUICK = os.environ.get("BENCH_QUICK", "") not in ("", "0")
SCENARIO = "hierarchy"  # CAS cas01 (SMS Provider), child primary pri01, the SCP installed on scp01
SCP_SERVER = "scp01.contoso.com"
INSTALL_SCENARIO = "standalone-primary"  # no SCP yet: the role installs it on scp01 and waits
INSTALL_SCALE = 10.0  # simulated seconds per real second: Site Component Manager's 60 s cycle = 6 s
HISTORY_LINES = 1000  # older sitecomp.log lines in the "with history" install runs
HIERARCHIES = 100
FORKS = 20
RETRIES = 3
BARE = ROOT / "tests" / "lab" / "bench_bare.py"
CONNECT_COUNTER = ROOT / "tools" / "bench"  # sitecustomize.py: counts socket.connect() to one port

# Targets (docs/performance.md).
REQUEST_TARGET = 7
PIPELINE_TARGET = 1
BYTES_SHARE = 0.1  # of the peer's bytes
TIME_RATIO = 1.3  # task time above Ansible's floor / the bare pypsrp script's time
POLL_GROWTH = 1.10  # the largest poll with a long log history / without
SCALE_RATIO = 6.0
RECONNECT_ATTEMPTS = RETRIES + 1

ROLE = """    - name: The SCP role
      ansible.builtin.import_role:
        name: configmgr.scp.scp
      vars:
        scp_server: {server}
        scp_sms_provider: "{{{{ bench_earlier.sms_provider | default('') }}}}"
        scp_sms_provider_site_code: "{{{{ bench_earlier.sms_provider_site_code | default('') }}}}"
"""
MARK = """    - name: Bench mark (controller-only; the lab's logs are cleared here)
      ansible.builtin.debug:
        msg: "{{ lookup('ansible.builtin.url', bench_mark_url) }}"
"""
EARLIER = """    - name: An earlier task on the same host (the role is given the SMS Provider it returns)
      configmgr.scp.service_connection_point_info:
      register: bench_earlier
"""
FLOOR = """    - name: A trivial controller-only task
      ansible.builtin.debug:
        msg: floor
"""
MODULE_ALONE = """    - name: The SCP module alone (no role)
      configmgr.scp.service_connection_point:
        state: present
        server: {server}
"""
PEER = """    - name: The peer, a trivial script through ansible-core's psrp connection plugin
      ansible.windows.win_powershell:
        script: "$true"
"""


def lab_inventory(lab: Lab, path: Path, edit: Callable[[dict[str, Any]], None] | None = None) -> Path:
    """The lab's inventory as the integration tests write it (tests/integration/runner.py), `edit` applied."""
    path.parent.mkdir(parents=True, exist_ok=True)
    return runner.write_inventory(lab, path, edit)


def play(*tasks: str, hosts: str = "top_tier_site_server") -> str:
    return (f"---\n- name: Bench\n  hosts: {hosts}\n  gather_facts: false\n  tasks:\n") + "".join(tasks)


# -- the table -------------------------------------------------------------------------------------------------
@dataclass
class Row:
    figure: str
    target: str
    check: Callable[[float], bool]
    show: Callable[[float], str]  # a value as a number, without its unit
    unit: str = ""
    values: list[float | None] = field(default_factory=list)  # one per run; None: that run did not count
    extra: str = ""  # appended to the measured text (context: the peer's size, poll sizes)
    skipped: str = ""  # the figure was not measured at all: a short word for the table
    note: str = ""  # and why, printed under the table
    reference: bool = False  # a figure the others are compared with: no target of its own

    def measured(self) -> str:
        if self.skipped:
            return self.skipped
        got = [v for v in self.values if v is not None]
        if not got:
            return "not measured (no run counted; see above)"
        text = f"{self.show(statistics.median(got))}{self.unit} ({self.show(min(got))}-{self.show(max(got))})"
        return text + (" " + self.extra if self.extra else "")

    def result(self) -> str:
        got = [v for v in self.values if v is not None]
        if self.skipped or not got:
            return "-"
        if self.reference:
            return f"reference, measured {len(got)} of {len(self.values)}"
        met = sum(1 for v in got if self.check(v))
        return f"{'PASS' if self.check(statistics.median(got)) else 'MISS'} {met} of {len(self.values)}"


def table(rows: list[Row]) -> str:
    head = ("Figure", "Measured: median (min-max)", "Target", "Result (runs met)")
    cells = [head] + [(r.figure, r.measured(), r.target, r.result()) for r in rows]
    widths = [max(len(c[i]) for c in cells) for i in range(4)]
    lines = ["| " + " | ".join(c[i].ljust(widths[i]) for i in range(4)) + " |" for c in cells]
    lines.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)


def count(v: float) -> str:
    return f"{v:g}"


KIB = 1024


def kib(v: float) -> str:
    return f"{v / KIB:.1f}"


def kbytes(v: float) -> str:
    return f"{v / KIB:.1f} KiB"


def ratio(v: float) -> str:
    return f"{v:.2f}"


def say(text: str) -> None:
    print(text, flush=True)


# -- our no-op run: requests, pipelines, bytes -----------------------------------------------------------------
@dataclass
class Count:
    requests: int
    pipelines: int
    wire: int
    per_host: dict[str, tuple[int, int]]  # host -> (requests, bytes)
    calls: list[dict[str, Any]]


def measure_noop(
    lab: Lab, recorder: Recorder, marker: Marker, workdir: Path, inventory: Path, earlier: bool
) -> tuple[Count | None, str]:
    marker.action, marker.hits = recorder.clear, 0
    tasks = ([EARLIER] if earlier else []) + [MARK, ROLE.format(server=SCP_SERVER)]
    run = run_play(workdir, inventory, play(*tasks), "-e", f"bench_mark_url={marker.url}")
    problem = run.problem(changed=0) or (None if marker.hits == 1 else "the mark task did not run")
    if problem:
        return None, problem
    requests, calls = recorder.requests(), lab.calls()
    per_host: dict[str, tuple[int, int]] = {}
    for r in requests:
        n, b = per_host.get(r.host, (0, 0))
        per_host[r.host] = (n + 1, b + r.wire)
    return Count(
        len(requests), sum(1 for r in requests if r.action == "Command"), sum(r.wire for r in requests), per_host, calls
    ), ""


# -- the peer: ansible.windows.win_powershell through ansible-core's psrp plugin -------------------------------
def measure_peer(
    lab: Lab, recorder: Recorder, workdir: Path, inventory: Path, host: str
) -> tuple[tuple[int, int] | None, str]:
    """(sent, received) body bytes of the peer's requests up to and including the Receive that carried the lab's
    refusal of its script (the Delete after it is left out: a lower bound)."""
    if not PEER_PLAYBOOK.exists():
        return None, f"{PEER_PLAYBOOK} not found (make bench creates it: tools/venv-bench.sh)"
    recorder.clear()
    run = run_play(workdir, inventory, play(PEER, hosts=host), playbook_bin=PEER_PLAYBOOK, ours=False)
    requests, calls = recorder.requests(), lab.calls()
    refused = next((i for i, c in enumerate(calls) if "ScriptsRefused" in str(c.get("outcome"))), None)
    if refused is None:
        why = "the lab never refused a script" if requests else "the peer never reached the lab"
        return None, f"{why} (rc {run.rc}): {' '.join((run.stdout + run.stderr)[-300:].split())}"
    cut = next((i for i, r in enumerate(requests) if r.action == "Receive" and r.calls > refused), len(requests) - 1)
    counted = requests[: cut + 1]
    return (sum(r.sent for r in counted), sum(r.received for r in counted)), ""


# The library's end-of-statement markers, and the cmdlets that only shape the read script's output: the bare script
# runs the reading cmdlets as statements of one PowerShell (so it receives their whole objects).
SHAPING = ("Write-Output", "Select-Object", "Where-Object")


# -- the time figure -------------------------------------------------------------------------------------------
def bare_spec(lab: Lab, calls: list[dict[str, Any]]) -> dict[str, Any]:
    """What the bare script reads: per host, in the order the task touched them, every cmdlet the no-op task ran
    there (the lab's call log; not the library's end-of-statement markers, not a call that failed terminating)."""
    hosts: dict[str, list[dict[str, Any]]] = {}
    for call in calls:
        if call.get("cmdlet") in SHAPING or str(call.get("outcome", "")).startswith("failed"):
            continue
        params = []
        for name, value in (call.get("parameters") or {}).items():
            if isinstance(value, list) and len(value) == 1:
                value = value[0]
            params.append([name, value])
        hosts.setdefault(str(call["host"]).lower(), []).append({"cmdlet": call["cmdlet"], "parameters": params})
    return {
        "hosts": [
            {"name": name, "connection": lab.connection(name), "statements": statements}
            for name, statements in hosts.items()
        ]
    }


def run_bare(spec_path: Path) -> tuple[float | None, str]:
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, str(BARE), str(spec_path)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        cwd=str(ROOT),
    )
    took = time.perf_counter() - start
    if proc.returncode != 0:
        return None, f"the bare script failed: {' '.join(proc.stderr[-300:].split())}"
    return took, proc.stdout.strip()


# -- polls while waiting for an install ------------------------------------------------------------------------
THREAD_KEY = re.compile(r"\\Threads\\SMS_DMP_DOWNLOADER$", re.I)
WAIT_STEP = re.compile(r"configmgr\.scp: step \d+/\d+: wait\b")
NOT_PROGRESS = re.compile(r"configmgr\.scp: (step \d+/\d+:|done in )")


@dataclass
class Polls:
    polls: list[tuple[int, int]]  # per poll: (requests, bytes)
    states: int  # runs of equal thread states the polls saw
    progress: list[str]  # the -v progress lines printed while waiting


def prefill_history(lab: Lab, lines: int) -> int:
    """Put `lines` older lines into sitecomp.log on the site server (one to three days old); returns their bytes."""
    with lab.world.lock:
        server = lab.world.require_host(top_tier_server(lab))
        log = lab.world.log(server, "sitecomp.log", SITECOMP)
        now = lab.world.clock.now()
        text = []
        for i in range(lines):
            when = now - timedelta(days=3) + timedelta(seconds=120 * i)
            message = (
                f"Parsed the master site control file, serial number {1000 + i // 3}."
                if i % 3 == 0
                else f"Synchronizing component server {server.fqdn}..."
                if i % 3 == 1
                else f"Component SMS_MP_CONTROL_MANAGER is already installed on server {server.fqdn}."
            )
            text.append(format_line(log.fmt, message, log.component, when) + "\r\n")
        folder = log.path.rsplit("\\", 1)[0]
        if not log.files.exists(folder):
            log.files.mkdir(folder)
        old = log.files.read(log.path) if log.files.exists(log.path) else ""
        log.files.write(log.path, "".join(text) + old)
        return len("".join(text))


def thread_read(pipe: Any) -> bool:
    return any(
        c.get("cmdlet") == "Get-ItemProperty" and THREAD_KEY.search(_first(c.get("parameters", {}).get("Path")))
        for c in pipe.calls
    )


def _first(value: Any) -> str:
    if isinstance(value, list):
        return str(value[0]) if value else ""
    return str(value or "")


def analyse_polls(requests: list[Request], calls: list[dict[str, Any]], stdout: str) -> tuple[Polls | None, str]:
    """The polls of the wait after Add-CMServiceConnectionPoint: from the first request after that pipeline to the
    first pipeline that changes something again or verifies the result (Get-CMServiceConnectionPoint); a new poll
    starts at each pipeline that reads the SMS_DMP_DOWNLOADER thread key. A poll's requests are every request
    between the previous poll's last one and its own last one (a reopened pool's auth legs included)."""
    pipes = pipelines(requests, calls)
    index = {id(r): i for i, r in enumerate(requests)}
    added = next((k for k, p in enumerate(pipes) if "Add-CMServiceConnectionPoint" in p.cmdlets), None)
    if added is None:
        return None, "no Add-CMServiceConnectionPoint pipeline in the record"
    groups: list[list[Any]] = []
    for pipe in pipes[added + 1 :]:
        if any(MUTATING.match(c) for c in pipe.cmdlets) or "Get-CMServiceConnectionPoint" in pipe.cmdlets:
            break
        if thread_read(pipe) or not groups:
            groups.append([pipe])
        else:
            groups[-1].append(pipe)
    if not groups:
        return None, "no poll between the Add and the end of the task"
    polls: list[tuple[int, int]] = []
    start = index[id(pipes[added].requests[-1])] + 1
    states: list[tuple[str, ...]] = []
    for group in groups:
        end = index[id(group[-1].requests[-1])]
        chunk = requests[start : end + 1]
        polls.append((len(chunk), sum(r.wire for r in chunk)))
        start = end + 1
        first = next((p for p in group if thread_read(p)), None)
        if first is not None:
            states.append(
                tuple(
                    str(c.get("outcome")).split(":", maxsplit=1)[0]
                    for c in first.calls
                    if c.get("cmdlet") != "Write-Output"
                )
            )
    runs = sum(1 for k, s in enumerate(states) if k == 0 or s != states[k - 1])
    lines = stdout.splitlines()
    begin = next((k for k, line in enumerate(lines) if WAIT_STEP.search(line)), None)
    progress: list[str] = []
    if begin is not None:
        for line in lines[begin + 1 :]:
            if not line.startswith("<"):
                break
            if not NOT_PROGRESS.search(line):
                progress.append(line)
    return Polls(polls, max(runs, 1), progress), ""


def install_run(workdir: Path, history: bool) -> tuple[Polls | None, str, int]:
    with Lab(INSTALL_SCENARIO, scale=INSTALL_SCALE) as lab:
        recorder = Recorder(lab)
        history_bytes = prefill_history(lab, HISTORY_LINES) if history else 0
        inventory = lab_inventory(lab, workdir / "inventory.yml")
        run = run_play(workdir, inventory, play(ROLE.format(server=SCP_SERVER)), "-v")
        problem = run.problem(changed=1)
        if problem:
            return None, problem, history_bytes
        polls, why = analyse_polls(recorder.requests(), lab.calls(), run.stdout)
        return polls, why, history_bytes


# -- 100 hierarchies -------------------------------------------------------------------------------------------
def renamed(data: Any, tag: str) -> Any:
    """A scenario with every host in its own DNS subdomain (cas01.h007.contoso.com): one inventory, no clashes."""
    if isinstance(data, str):
        return data.replace(".contoso.com", f".{tag}.contoso.com")
    if isinstance(data, list):
        return [renamed(v, tag) for v in data]
    if isinstance(data, dict):
        return {k: renamed(v, tag) for k, v in data.items()}
    return data


def merged_inventory(labs: list[Lab]) -> dict[str, Any]:
    hosts: dict[str, Any] = {}
    top: dict[str, Any] = {}
    for lab in labs:
        hosts.update(lab.inventory()["all"]["hosts"])
        top[top_tier_server(lab)] = {}
    return {"all": {"hosts": hosts, "children": {"top_tier_site_server": {"hosts": top}}}}


def stop_all(labs: list[Lab]) -> None:
    threads = [threading.Thread(target=lab.stop) for lab in labs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)


# -- reconnect attempts ----------------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class ResetListener:
    """Accepts every connection and resets it at once (SO_LINGER 0); counts the accepts."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.accepts = 0
        self._thread = threading.Thread(target=self._serve, name="bench-reset", daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _addr = self.sock.accept()
            except OSError:
                return
            self.accepts += 1
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            conn.close()

    def stop(self) -> None:
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()
        self._thread.join(timeout=5)


def dead_host(port: int, host: str) -> Callable[[dict[str, Any]], None]:
    def edit(data: dict[str, Any]) -> None:
        hvars = data["all"]["hosts"][host]
        hvars["ansible_port"] = port
        hvars["ansible_psrp_reconnection_retries"] = RETRIES
        hvars["ansible_psrp_reconnection_backoff"] = 0  # the count does not depend on it; the bench's time does

    return edit


def reconnect_refused(lab: Lab, workdir: Path, host: str) -> tuple[int | None, str]:
    port = free_port()
    counter = workdir / "connects.txt"
    counter.unlink(missing_ok=True)
    inventory = lab_inventory(lab, workdir / "inventory.yml", dead_host(port, host))
    path = os.pathsep.join(p for p in (str(CONNECT_COUNTER), os.environ.get("PYTHONPATH", "")) if p)
    run = run_play(
        workdir,
        inventory,
        play(ROLE.format(server=SCP_SERVER)),
        extra_env={"PYTHONPATH": path, "BENCH_COUNT_PORT": str(port), "BENCH_COUNT_FILE": str(counter)},
    )
    problem = run.problem(changed=None, unreachable=True)
    if problem:
        return None, problem
    attempts = len(counter.read_text(encoding="utf-8").splitlines()) if counter.exists() else 0
    return (attempts, "") if attempts else (None, "no connection attempt was counted")


def reconnect_reset(lab: Lab, workdir: Path, host: str) -> tuple[int | None, str]:
    listener = ResetListener()
    try:
        inventory = lab_inventory(lab, workdir / "inventory.yml", dead_host(listener.port, host))
        run = run_play(workdir, inventory, play(ROLE.format(server=SCP_SERVER)))
        problem = run.problem(changed=None, unreachable=True)
        return (None, problem) if problem else (listener.accepts, "")
    finally:
        listener.stop()


# -- the bench ---------------------------------------------------------------------------------------------------
def main() -> int:
    began = time.monotonic()
    figures = "BENCH_QUICK=1: the heavy figures are skipped" if QUICK else "every figure"
    load = " ".join(f"{x:.1f}" for x in os.getloadavg())
    say(f"make bench: {RUNS} runs of each figure, {figures}; load average {load} on {os.cpu_count() or 0} cores")
    say(f"our ansible-playbook: {OUR_PLAYBOOK}; the peer's: {PEER_PLAYBOOK}")
    rows = {
        "req": Row(
            "WSMan requests, no-op role run (auth legs incl.)",
            f"<= {REQUEST_TARGET}",
            lambda v: v <= REQUEST_TARGET,
            count,
        ),
        "req_e": Row(
            "WSMan requests, no-op role run after an earlier task",
            f"<= {REQUEST_TARGET}",
            lambda v: v <= REQUEST_TARGET,
            count,
        ),
        "pipe": Row("Pipelines, no-op role run", f"{PIPELINE_TARGET}", lambda v: v <= PIPELINE_TARGET, count),
        "pipe_e": Row(
            "Pipelines, no-op role run after an earlier task",
            f"{PIPELINE_TARGET}",
            lambda v: v <= PIPELINE_TARGET,
            count,
        ),
        "peer": Row(
            "Peer: win_powershell via ansible-core psrp, bytes sent to refusal",
            "(none: the reference)",
            lambda v: True,
            kib,
            " KiB",
            reference=True,
        ),
        "bytes": Row(
            "Bytes on the wire (bodies), no-op role run / peer",
            "<= 1/10 of the peer, same run",
            lambda v: v <= BYTES_SHARE,
            lambda v: f"{v:.3f}",
        ),
        "bytes_e": Row(
            "Bytes on the wire, after an earlier task / peer",
            "<= 1/10 of the peer, same run",
            lambda v: v <= BYTES_SHARE,
            lambda v: f"{v:.3f}",
        ),
        "time": Row(
            "Task time above Ansible's floor / bare pypsrp script",
            f"<= {TIME_RATIO:.1f}x",
            lambda v: v <= TIME_RATIO,
            ratio,
            "x",
        ),
        "poll": Row(
            f"Install wait: largest poll, {HISTORY_LINES}-line log history / none",
            f"reads only what is new (<= {POLL_GROWTH:.2f}x)",
            lambda v: v <= POLL_GROWTH,
            ratio,
            "x",
        ),
        "progress": Row(
            "Install wait: -v progress lines per thread state",
            "1 per state change, not per poll",
            lambda v: v <= 1.0,
            lambda v: f"{v:.2f}",
        ),
        "scale": Row(
            f"{HIERARCHIES} hierarchies vs 1, forks={FORKS} (no-op play wall time)",
            f"<= {SCALE_RATIO:g}x",
            lambda v: v <= SCALE_RATIO,
            ratio,
            "x",
        ),
        "refused": Row(
            f"Reconnect attempts, reconnection_retries {RETRIES}, refused port",
            f"{RECONNECT_ATTEMPTS}",
            lambda v: v == RECONNECT_ATTEMPTS,
            count,
        ),
        "reset": Row(
            f"Reconnect attempts, retries {RETRIES}, accept-and-reset port",
            f"{RECONNECT_ATTEMPTS}",
            lambda v: v == RECONNECT_ATTEMPTS,
            count,
        ),
        "transfer": transfer_row(),
    }
    with tempfile.TemporaryDirectory(prefix="cmscp-bench-") as tmp:
        work = Path(tmp)
        light(rows, work)
        transfer_memory(rows["transfer"], work)
        if QUICK:
            for key in ("poll", "progress", "scale"):
                rows[key].skipped = "skipped (BENCH_QUICK=1)"
                rows[key].note = "a heavy figure; run make bench without BENCH_QUICK to measure it"
        else:
            install_polls(rows, work)
            hierarchies(rows, work)
    say("")
    load = " ".join(f"{x:.1f}" for x in os.getloadavg())
    say(
        f"== Figures against their targets ({RUNS} runs each, one bench run, {time.monotonic() - began:.0f} s; "
        f"load average now {load}) =="
    )
    say(table(list(rows.values())))
    for row in rows.values():
        if row.note:
            say(f"Note, {row.figure}: {row.note}")
    say(
        f'Result: PASS/MISS compares the median with the target; "k of {RUNS}" is how many runs met it. '
        "docs/performance.md says how each figure is counted."
    )
    return 0


def light(rows: dict[str, Row], work: Path) -> None:
    """The figures of the hierarchy lab: requests, pipelines, bytes (and the peer), time, reconnect attempts."""
    marker = Marker()
    try:
        with Lab(SCENARIO) as lab:
            recorder = Recorder(lab)
            host = top_tier_server(lab)
            inventory = lab_inventory(lab, work / "lab" / "inventory.yml")
            spec_path = work / "bare.json"
            peers: list[int | None] = []
            peer_why = ""
            ours_bytes: dict[str, list[int]] = {"bytes": [], "bytes_e": []}
            peer_received: list[int] = []
            say(
                f"\n== No-op role run on {host} (scenario {SCENARIO}), the peer, the time figure, reconnect attempts =="
            )
            # The scenario's SCP was installed outside the collection: the first no-op run reads its server and writes
            # the VerifiedScp record (docs/architecture.md, "The wire"); the runs that count are the ones after it.
            warm, why = measure_noop(lab, recorder, marker, work / "warm-up", inventory, False)
            say(
                "[warm-up] first no-op run (reads the SCP host, records the verified SCP; not counted): %s"
                % (f"{warm.requests} requests, {warm.pipelines} pipelines, {kbytes(warm.wire)}" if warm else why)
            )
            for i in range(RUNS):
                tag = f"[run {i + 1}/{RUNS}]"
                peer, peer_why = measure_peer(lab, recorder, work / "peer", inventory, host)
                peer_bytes = sum(peer) if peer else None
                peers.append(peer_bytes)
                rows["peer"].values.append(peer[0] if peer else None)
                if peer:
                    peer_received.append(peer[1])
                if peer:
                    say(
                        f"{tag} peer: sent {kbytes(peer[0])} + received {kbytes(peer[1])} up to the lab's refusal of its script"
                    )
                else:
                    say(f"{tag} peer: not measured: {peer_why}")
                for earlier, suffix in ((False, ""), (True, "_e")):
                    got, why = measure_noop(lab, recorder, marker, work / ("noop" + suffix), inventory, earlier)
                    label = "after an earlier task" if earlier else "no earlier task"
                    if got is None:
                        say(f"{tag} no-op ({label}): does not count: {why}")
                        for key in ("req", "pipe", "bytes"):
                            rows[key + suffix].values.append(None)
                        continue
                    rows["req" + suffix].values.append(got.requests)
                    rows["pipe" + suffix].values.append(got.pipelines)
                    rows["bytes" + suffix].values.append(got.wire / peer_bytes if peer_bytes else None)
                    ours_bytes["bytes" + suffix].append(got.wire)
                    per_host = ", ".join(f"{h} {n} req {kbytes(b)}" for h, (n, b) in got.per_host.items())
                    say(
                        f"{tag} no-op ({label}): {got.requests} requests, {got.pipelines} pipelines, "
                        f"{kbytes(got.wire)}; per host {per_host}"
                    )
                    if not earlier and not spec_path.exists():
                        spec = bare_spec(lab, got.calls)
                        spec_path.write_text(json.dumps(spec), encoding="utf-8")
                        reads = "; ".join(
                            f"{h['name']}: {', '.join(s['cmdlet'] for s in h['statements'])}" for h in spec["hosts"]
                        )
                        say(f"bare pypsrp script reads: {reads}")
            if not spec_path.exists():
                rows["time"].skipped = "not measured"
                rows["time"].note = "no no-op run counted, so there was nothing to give the bare script"
            else:
                timing(rows["time"], inventory, work, spec_path)
            if not any(peers):
                for key in ("peer", "bytes", "bytes_e"):
                    rows[key].skipped, rows[key].note = "not measured", f"the peer: {peer_why}"
            else:
                good = [p for p in peers if p]
                rows[
                    "peer"
                ].extra = f"(+ received {kbytes(statistics.median(peer_received))}; total {kbytes(statistics.median(good))}: medians)"
                for key in ("bytes", "bytes_e"):
                    if ours_bytes[key]:
                        rows[
                            key
                        ].extra = f"(ours {kbytes(statistics.median(ours_bytes[key]))}, peer {kbytes(statistics.median(good))}: medians)"
            for i in range(RUNS):
                tag = f"[run {i + 1}/{RUNS}]"
                for key, measure in (("refused", reconnect_refused), ("reset", reconnect_reset)):
                    attempts, why = measure(lab, work / key, host)
                    rows[key].values.append(attempts)
                    say(f"{tag} reconnect ({key}): {attempts if attempts is not None else 'does not count: ' + why}")
    finally:
        marker.stop()


def timing(row: Row, inventory: Path, work: Path, spec_path: Path) -> None:
    """Per run: the floor play, the no-op role play and the bare script, in rotating order; (role - floor) / bare."""
    floor_play, ours_play = play(FLOOR), play(ROLE.format(server=SCP_SERVER))
    floor_t: list[float] = []
    ours_t: list[float] = []
    bare_t: list[float] = []

    def floor() -> float | None:
        run = run_play(work / "floor", inventory, floor_play)
        return None if run.problem(changed=0) else run.seconds

    def ours() -> float | None:
        run = run_play(work / "ours", inventory, ours_play)
        problem = run.problem(changed=0)
        if problem:
            say(f"  our timed run does not count: {problem}")
        return None if problem else run.seconds

    def bare() -> float | None:
        took, out = run_bare(spec_path)
        if took is None:
            say(f"  {out}")
        return took

    for warm_up in (floor, ours, bare):  # file caches, .pyc
        warm_up()
    order = [("floor", floor, floor_t), ("ours", ours, ours_t), ("bare", bare, bare_t)]
    for i in range(RUNS):
        got: dict[str, float | None] = {}
        for name, measure, _times in order[i % 3 :] + order[: i % 3]:  # rotate, so no one always goes first
            got[name] = measure()
        for name, _measure, times in order:
            took = got[name]
            if took is not None:
                times.append(took)
        value = None
        floor_s, ours_s, bare_s = got["floor"], got["ours"], got["bare"]
        if floor_s is not None and ours_s is not None and bare_s:
            value = (ours_s - floor_s) / bare_s
        row.values.append(value)
        floor_ms, ours_ms, bare_ms = (
            f"{t * 1000:.0f} ms" if t is not None else "n/a" for t in (floor_s, ours_s, bare_s)
        )
        ratio = f"{value:.2f}x" if value is not None else "n/a"
        say(
            f"[run {i + 1}/{RUNS}] time: floor {floor_ms}, no-op role {ours_ms}, bare script {bare_ms} "
            f"-> above floor / bare = {ratio}"
        )
    if floor_t and ours_t and bare_t:
        row.extra = (
            f"(medians: floor {statistics.median(floor_t) * 1000:.0f} ms, no-op role {statistics.median(ours_t) * 1000:.0f} ms, "
            f"bare {statistics.median(bare_t) * 1000:.0f} ms)"
        )


def install_polls(rows: dict[str, Row], work: Path) -> None:
    say(f"\n== Install wait (scenario {INSTALL_SCENARIO}, lab time x{INSTALL_SCALE:g}; polls of the SCP task) ==")
    sizes: list[int] = []
    per_poll_requests: list[int] = []
    for i in range(RUNS):
        tag = f"[run {i + 1}/{RUNS}]"
        fresh, why_fresh, _unused = install_run(work / (f"install{i}"), history=False)
        aged, why_aged, history_bytes = install_run(work / (f"install{i}h"), history=True)
        for name, got, why in (("fresh log", fresh, why_fresh), ("with history", aged, why_aged)):
            if got is None:
                say(f"{tag} install ({name}): does not count: {why}")
            else:
                shown = got.progress[:4] if i == 0 and got is fresh else []  # the lines themselves: once
                polls = ", ".join(f"({n}, {kbytes(b)})" for n, b in got.polls)
                lines = "".join("\n    " + line for line in shown)
                lines += "\n    ..." if len(got.progress) > len(shown) > 0 else ""
                say(
                    f"{tag} install ({name}): {len(got.polls)} polls, per poll (requests, bytes) {polls}; "
                    f"{got.states} thread states; {len(got.progress)} progress lines{lines}"
                )
        if fresh is not None:
            rows["progress"].values.append(len(fresh.progress) / fresh.states)
            sizes.extend(b for _n, b in fresh.polls)
            per_poll_requests.extend(n for n, _b in fresh.polls)
        else:
            rows["progress"].values.append(None)
        if fresh is not None and aged is not None:
            rows["poll"].values.append(max(b for _n, b in aged.polls) / max(b for _n, b in fresh.polls))
        else:
            rows["poll"].values.append(None)
        if i == 0 and history_bytes:
            say(f"  (the history: {HISTORY_LINES} sitecomp.log lines, {kbytes(history_bytes)})")
    if sizes:
        rows[
            "poll"
        ].extra = f"(poll without history: median {kbytes(statistics.median(sizes))}, {statistics.median(per_poll_requests):g} requests)"


def transfer_row() -> Row:
    return Row(
        f"Controller peak memory, {bench_transfer.FILE_MIB} MiB through the controller, above a 1-byte copy",
        f"<= {bench_transfer.PEAK_ABOVE_NOOP_MIB} MiB",
        lambda v: v <= bench_transfer.PEAK_ABOVE_NOOP_MIB,
        lambda v: f"{v:.0f}",
        unit=" MiB",
    )


def transfer_memory(row: Row, work: Path) -> None:
    """One run, not RUNS (about 20 s each; the figure is a bound, not a timing): the other runs do not count."""
    say(f"\n== Controller memory, {bench_transfer.FILE_MIB} MiB through the controller (file_transfer) ==")
    value, extra = bench_transfer.measure(work / "transfer")
    row.values.append(value)
    row.extra = extra if value is not None else ""
    row.note = "" if value is not None else extra
    say(f"[run 1/1] {f'{value:.0f} MiB above the 1-byte copy ' if value is not None else ''}{extra}")


def skeleton_role(folder: Path) -> Path:
    """The role's skeleton: its own meta/argument_specs.yml and defaults (so ansible-core adds the same argument
    validation task over the same variables) and one trivial controller-only task instead of the role's tasks."""
    for part in ("meta", "defaults", "tasks"):
        (folder / part).mkdir(parents=True, exist_ok=True)
    source = ROOT / "roles" / "scp"
    for name in ("meta/argument_specs.yml", "defaults/main.yml"):
        (folder / name).write_text((source / name).read_text(encoding="utf-8"), encoding="utf-8")
    (folder / "tasks" / "main.yml").write_text(
        "---\n- name: A trivial controller-only task\n  ansible.builtin.debug:\n    msg: floor\n", encoding="utf-8"
    )
    return folder


def hierarchies(rows: dict[str, Row], work: Path) -> None:
    say(f"\n== {HIERARCHIES} hierarchies vs 1 (scenario {SCENARIO} each, forks={FORKS}) ==")
    base = load_scenario(SCENARIO)
    labs: list[Lab] = []
    try:
        for i in range(HIERARCHIES):
            labs.append(Lab(renamed(copy.deepcopy(base), f"h{i:03d}")).start())
        many = write_inventory(work / "many" / "inventory.yml", merged_inventory(labs))
        one = write_inventory(work / "one" / "inventory.yml", merged_inventory(labs[:1]))
        server = "\"{{ inventory_hostname | replace('cas01.', 'scp01.', 1) }}\""
        role = play(ROLE.format(server=server))
        # Context, not the figure: what Ansible itself costs for the same host count on this machine, in the same run.
        #   floor: the trivial controller-only play (one task per host);
        #   skeleton: the role's own argument validation and one trivial task, with the role's variables as above;
        #   module: the SCP module as the play's only task (no role, no validation), the same server template.
        skeleton = ROLE.format(server=server).replace("configmgr.scp.scp", str(skeleton_role(work / "skeleton")))
        context = {
            "floor play": play(FLOOR),
            "role skeleton": play(skeleton),
            "module alone": play(MODULE_ALONE.format(server=server)),
        }

        def timed(body: str, inventory: Path, folder: str, hosts: int) -> tuple[float | None, str]:
            run: PlayRun = run_play(work / folder, inventory, body, "-f", str(FORKS))
            problem = run.problem(changed=0) or (
                None if len(run.recap) == hosts else f"{len(run.recap)} hosts in the recap, expected {hosts}"
            )
            return (None, problem) if problem else (run.seconds, "")

        def shown(seconds: float | None, why: str) -> str:
            return f"{seconds:.2f} s" if seconds else "does not count: " + why

        # warm-up: each hierarchy's first no-op reads its SCP host and records the verified SCP (not counted)
        timed(role, many, "many", HIERARCHIES)
        ratios: dict[str, list[float]] = {name: [] for name in context}
        for i in range(RUNS):
            t1, why1 = timed(role, one, "one", 1)
            t100, why100 = timed(role, many, "many", HIERARCHIES)
            value = t100 / t1 if t1 and t100 else None
            rows["scale"].values.append(value)
            parts = []
            for name, body in context.items():
                folder = name.replace(" ", "-")
                c1, why_c1 = timed(body, one, folder + "1", 1)
                c100, why_c100 = timed(body, many, folder + "100", HIERARCHIES)
                if c1 and c100:
                    ratios[name].append(c100 / c1)
                parts.append(f"{name}: 1 host {shown(c1, why_c1)}, {HIERARCHIES} hosts {shown(c100, why_c100)}")
            ratio = f"{value:.2f}x" if value else "n/a"
            say(
                f"[run {i + 1}/{RUNS}] no-op role: 1 hierarchy {shown(t1, why1)}, {HIERARCHIES} hierarchies "
                f"{shown(t100, why100)} -> {ratio}; " + "; ".join(parts)
            )
        medians = [f"{name} {statistics.median(values):.2f}x" for name, values in ratios.items() if values]
        if medians:
            rows["scale"].extra = f"(same run, medians: {', '.join(medians)})"
    finally:
        stop_all(labs)


if __name__ == "__main__":
    sys.exit(main())
