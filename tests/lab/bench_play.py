"""What the bench's figures are made of: ansible-playbook runs against in-process labs, and the lab's own records.

- :class:`Recorder` keeps, for every WSMan request a lab answers, the endpoint, action, body bytes both ways, the time
  and how many cmdlet calls the lab had logged by then (so a request can be tied to the pipeline that ran them).
- :class:`Marker` is a tiny HTTP server on 127.0.0.1: a play task that does
  ``lookup('ansible.builtin.url', bench_mark_url)`` (controller-only) clears the lab's logs at that point, so the
  figures count one task and not the task before it.
- :func:`run_play` runs one playbook and returns its output, exit code, recap and wall time.
- :func:`pipelines` turns a record into pipelines (a Command request and its Receives, with the cmdlet calls that
  pipeline ran).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import yaml

from tests.collection_path import collections_path
from tests.lab.lab import Lab

ROOT = Path(__file__).resolve().parents[2]
OUR_PLAYBOOK = Path(sys.executable).parent / "ansible-playbook"
# The peer's ansible-playbook: the bench-only venv (tools/venv-bench.sh, requirements-bench.txt).
PEER_PLAYBOOK = Path(
    os.environ.get("BENCH_PEER_PLAYBOOK") or ROOT / "build" / "venv-bench" / "bin" / "ansible-playbook"
)
RECAP = re.compile(r"^(\S+)\s+: ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", re.M)


# -- the lab's records ----------------------------------------------------------------------------------------
@dataclass
class Request:
    host: str
    action: str
    sent: int  # request body, client -> lab
    received: int  # response body, lab -> client
    status: int
    at: float  # time.monotonic() when the lab recorded it (just before the answer went out)
    calls: int  # len(lab call log) at that moment

    @property
    def wire(self) -> int:
        return self.sent + self.received


class Recorder:
    """Every request one lab answers, with time and call-log position, told by the backend's ``request_observer`` of
    this lab instance (the lab still records as before); :meth:`clear` empties this record and the lab's logs
    together."""

    def __init__(self, lab: Lab) -> None:
        self.lab = lab
        self._lock = threading.Lock()
        self._log: list[Request] = []

        def record(endpoint: str, action: str, bytes_in: int, bytes_out: int, status: int) -> None:
            calls = len(lab.world.calls)
            with self._lock:
                self._log.append(Request(endpoint, action, bytes_in, bytes_out, status, time.monotonic(), calls))

        lab.backend.request_observer = record  # this lab only

    def clear(self) -> None:
        self.lab.clear_log()
        with self._lock:
            self._log.clear()

    def requests(self) -> list[Request]:
        with self._lock:
            return list(self._log)


@dataclass
class PipelineRecord:
    host: str
    requests: list[Request] = field(default_factory=list)
    calls: list[dict[str, Any]] = field(default_factory=list)  # the cmdlets it ran (the lab's call log)

    @property
    def cmdlets(self) -> list[str]:
        return [str(c.get("cmdlet")) for c in self.calls]

    @property
    def wire(self) -> int:
        return sum(r.wire for r in self.requests)


def pipelines(requests: list[Request], calls: list[dict[str, Any]]) -> list[PipelineRecord]:
    """The pipelines of a record: a Command request and the Receives after it on that host. The calls of a pipeline
    are those the lab logged after the previous pipeline's last Receive and by its own last Receive (the library
    and the bare script run one pipeline at a time)."""
    found: list[PipelineRecord] = []
    current: dict[str, PipelineRecord] = {}
    mark = 0
    for request in requests:
        if request.action == "Command":
            current[request.host] = PipelineRecord(request.host, [request])
            found.append(current[request.host])
        elif request.action == "Receive" and request.host in current:
            pipe = current[request.host]
            pipe.requests.append(request)
            if request.calls > mark:
                pipe.calls.extend(calls[mark : request.calls])
                mark = request.calls
    return found


# -- the marker ------------------------------------------------------------------------------------------------
class Marker:
    """GET /<anything> on 127.0.0.1 calls ``action()`` and answers "ok". ``url`` goes into the play as an extra var."""

    def __init__(self) -> None:
        self.action: Callable[[], None] = lambda: None
        self.hits = 0
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # pylint: disable=invalid-name
                owner.action()
                owner.hits += 1
                body = b"ok"
                self.send_response(200)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:  # pylint: disable=redefined-builtin
                """Quiet."""

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="bench-marker", daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._httpd.server_address[1]}/mark"

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)


# -- ansible-playbook ------------------------------------------------------------------------------------------
@dataclass
class PlayRun:
    rc: int
    stdout: str
    stderr: str
    seconds: float

    @property
    def recap(self) -> dict[str, dict[str, int]]:
        return {
            m.group(1): dict(zip(("ok", "changed", "unreachable", "failed"), map(int, m.groups()[1:]), strict=True))
            for m in RECAP.finditer(self.stdout)
        }

    def problem(self, changed: int | None = 0, unreachable: bool = False) -> str | None:
        """Why this run does not count (None when it does): a failed or unreachable host, another `changed` count
        than expected (None: any), no recap. `unreachable` True: an unreachable host is what the run expects."""
        hosts = self.recap
        if not hosts:
            return f"no PLAY RECAP (rc {self.rc}): {_tail(self.stdout + self.stderr)}"
        for name, counts in hosts.items():
            if counts["failed"]:
                return f"{name} failed: {_fatal(self.stdout)}"
            if counts["unreachable"] and not unreachable:
                return f"{name} unreachable: {_fatal(self.stdout)}"
            if changed is not None and counts["changed"] != changed:
                return f"{name} changed={counts['changed']}, expected {changed}"
        return None


def _tail(text: str, size: int = 400) -> str:
    return " ".join(text[-size:].split())


def _fatal(stdout: str) -> str:
    lines = [line for line in stdout.splitlines() if line.startswith(("fatal:", "failed:"))]
    return (lines[0] if lines else _tail(stdout))[:400]


def write_inventory(path: Path, data: dict[str, Any]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("---\n" + yaml.safe_dump(data, default_flow_style=False, sort_keys=False), encoding="utf-8")
    return path


def run_play(
    workdir: Path,
    inventory: Path,
    body: str,
    *args: str,
    playbook_bin: Path = OUR_PLAYBOOK,
    extra_env: dict[str, str] | None = None,
    ours: bool = True,
    timeout: float = 900,
) -> PlayRun:
    """Write `body` to workdir/play.yml and run it; `ours` False: a peer run that must not see this collection
    (ANSIBLE_COLLECTIONS_PATH is an empty folder; the ansible package's collections come with its venv)."""
    workdir.mkdir(parents=True, exist_ok=True)
    play = workdir / "play.yml"
    play.write_text(body, encoding="utf-8")
    collections = collections_path() if ours else workdir / "no-collections"
    if not ours:
        collections.mkdir(exist_ok=True)
    env = dict(
        os.environ,
        ANSIBLE_COLLECTIONS_PATH=str(collections),
        ANSIBLE_NOCOLOR="1",
        ANSIBLE_FORCE_COLOR="0",
        ANSIBLE_RETRY_FILES_ENABLED="0",
        ANSIBLE_HOST_KEY_CHECKING="0",
        ANSIBLE_LOCAL_TEMP=str(workdir / "tmp"),
        ANSIBLE_HOME=str(workdir / "home"),
        **(extra_env or {}),
    )
    cmd = [str(playbook_bin), "-i", str(inventory), str(play), *args]
    start = time.perf_counter()
    proc = subprocess.run(cmd, env=env, cwd=str(workdir), capture_output=True, text=True, timeout=timeout, check=False)
    return PlayRun(proc.returncode, proc.stdout, proc.stderr, time.perf_counter() - start)
