"""Injected faults: armed by tests through the control API, consumed by the transport, runtime and world."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from tests.lab.wsman.backend import NAMES_SEPARATOR

# kind -> the stage that consumes it by default.
# Transport stages ("auth", "request", "pipeline", "receive") return the kind to the transport ("drop", "timeout",
#   "fail_auth", "hang", "lost_receive", "drop_after").
#   "request": every WS-Management request, matched on its action (cmdlet="Command", "Receive", "Create", ...).
#   "pipeline": a pipeline about to run, matched on the cmdlets it holds (any of them; cmdlet=None: any pipeline).
#   "receive": the Receive answer that carries the end of a pipeline (its last output and final state), matched on
#     the pipeline's cmdlets like "pipeline": the pipeline has run, its answer is then lost.
# "invoke": the runtime asks before running a cmdlet ("fail_cmdlet" = the cmdlet fails with an injected error,
#   "drop"/"timeout" also allowed there).
# World stages are consumed by the simulation itself, one stage per kind.
FAULT_STAGES: dict[str, str] = {
    "fail_auth": "auth",
    "drop": "request",
    "timeout": "request",  # transport: the request is held past the client's read timeout
    "hang": "pipeline",  # transport: the pipeline never runs; Receives keep timing out until Stop/Terminate
    "lost_receive": "receive",  # transport: the pipeline ran; the Receive answering its end is held past the
    #   client's read timeout and closed unanswered (a retried Receive gets nothing)
    "drop_after": "receive",  # transport: the pipeline ran; the connection is closed instead of that answer
    "fail_cmdlet": "invoke",  # runtime: the cmdlet fails with an injected error
    "install_fail": "sitecomp",  # sitecomp.py: the bootstrap of the next role install on that host fails
    "thread_stuck": "thread",  # threads.py: the next Stop request on that host is ignored (stays Running)
    "dmp_sync_fail": "dmp",  # dmp.py: the next online sync fails as if the endpoints were unreachable
    "corrupt_chunk": "transfer",  # ps/native_scripts.py: one byte of the next chunk Write-FileChunk writes is flipped
    "kill_program": "program",  # ps/builtins/process.py: the next program Start-Process runs there (cmdlet= the
    #   program's name, e.g. "ServiceConnectionTool") is killed part way; the program decides what it had done by then
}


@dataclass
class Fault:
    kind: str
    stage: str
    host: str | None = None  # FQDN or NetBIOS name, case-insensitive; None = any host
    cmdlet: str | None = None  # None = any cmdlet (or none)
    nth: int = 1  # fire on the nth matching take
    seen: int = 0

    def matches(self, stage: str, host: str | None, cmdlet: str | None) -> bool:
        """`cmdlet` is one name, or several joined by NAMES_SEPARATOR (a pipeline's cmdlets): any of them matches."""
        if stage != self.stage:
            return False
        if self.host and not _same_host(self.host, host):
            return False
        return not self.cmdlet or self.cmdlet.lower() in (cmdlet or "").lower().split(NAMES_SEPARATOR)

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "stage": self.stage,
            "host": self.host,
            "cmdlet": self.cmdlet,
            "nth": self.nth,
            "seen": self.seen,
        }


def _same_host(want: str, got: str | None) -> bool:
    if not got:
        return False
    want, got = want.lower(), got.lower()
    return want == got or want == got.split(".")[0] or want.split(".")[0] == got


class FaultTable:
    """Each fault fires once, on the nth call of ``take`` that matches it, then it is gone."""

    def __init__(self) -> None:
        self._faults: list[Fault] = []
        self._lock = threading.Lock()
        self.fired: list[dict[str, Any]] = []

    def add(
        self, kind: str, host: str | None = None, cmdlet: str | None = None, nth: int = 1, stage: str | None = None
    ) -> Fault:
        if stage is None:
            if kind not in FAULT_STAGES:
                raise ValueError(f"unknown fault kind {kind!r}; known: {sorted(FAULT_STAGES)}")
            stage = FAULT_STAGES[kind]
        if nth < 1:
            raise ValueError("nth must be >= 1")
        fault = Fault(kind, stage, host, cmdlet, nth)
        with self._lock:
            self._faults.append(fault)
        return fault

    def take(self, stage: str, host: str | None, cmdlet: str | None = None) -> str | None:
        """Count this event against every matching fault; return the kind of the first one that is due."""
        with self._lock:
            due: Fault | None = None
            for fault in list(self._faults):
                if not fault.matches(stage, host, cmdlet):
                    continue
                fault.seen += 1
                if due is None and fault.seen >= fault.nth:
                    due = fault
            if due is None:
                return None
            self._faults.remove(due)
            self.fired.append({**due.to_json(), "at_host": host})
            return due.kind

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def pending(self) -> list[Fault]:
        with self._lock:
            return list(self._faults)

    def to_json(self) -> dict[str, Any]:
        with self._lock:
            return {"pending": [f.to_json() for f in self._faults], "fired": list(self.fired)}
