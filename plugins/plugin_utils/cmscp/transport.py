"""The pypsrp side of a Session: open a runspace pool, run structured commands, close.

Kept apart from session.py so the session logic (retries, splitting, error translation) can be tested
with a fake transport, and so pypsrp is imported only when a real connection is made.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Optional, Protocol

from .options import ConnectionOptions
from .pipeline import SWITCH, ScriptCommand, Statement, check_scripts, segment_starts
from .values import PSDict


@dataclass
class RawOutcome:
    output: list = field(default_factory=list)        # pypsrp objects, markers included
    errors: list = field(default_factory=list)        # pypsrp ErrorRecords (non-terminating + terminating)
    warnings: list = field(default_factory=list)      # warning messages (str)
    failed: bool = False                              # pipeline ended Failed (terminating error)
    timed_out: bool = False                           # our deadline passed; the pipeline was stopped


class Transport(Protocol):
    def open(self) -> None: ...
    def invoke(self, statements: list[Statement], marker: str, deadline: Optional[float]) -> RawOutcome: ...
    def close(self) -> None: ...


def parameter_value(value: Any) -> Any:
    """Python value -> what pypsrp serializes. Objects read earlier are sent back as the original object."""
    if isinstance(value, PSDict) and getattr(value, "raw", None) is not None:
        return value.raw
    if isinstance(value, (list, tuple)):
        return [parameter_value(v) for v in value]
    return value


def add_statements(ps: Any, statements: list[Statement], marker: str) -> None:
    """Put `statements` on a pypsrp PowerShell: structured commands with add_cmdlet (+ -ErrorAction), registered
    constant scripts with add_script(TEXT) + add_parameter (no -ErrorAction: the script sets its preference), and
    the constant marker between segments (pipeline.segments). The marker is a constant string, never user text;
    none goes before a quiet statement (it writes no output) nor after the last one."""
    check_scripts(statements)
    starts = segment_starts(statements)
    for index, statement in enumerate(statements):
        if index and starts[index]:
            ps.add_cmdlet("Write-Output").add_parameter("InputObject", marker).add_statement()
        for command in statement.commands:
            if isinstance(command, ScriptCommand):
                ps.add_script(command.spec.text)
                for name, value in command.parameters:
                    ps.add_parameter(name, value)
                continue
            ps.add_cmdlet(command.name)
            for name, value in command.parameters:
                if value is SWITCH:
                    ps.add_parameter(name)
                else:
                    ps.add_parameter(name, parameter_value(value))
            if not command.has("ErrorAction"):
                ps.add_parameter("ErrorAction", statement.error_action)
        ps.add_statement()


class PypsrpTransport:
    """One WSMan connection + one RunspacePool (pypsrp 0.x API)."""

    def __init__(self, options: ConnectionOptions) -> None:
        self.options = options
        self._pool: Any = None

    def open(self) -> None:
        from pypsrp.powershell import RunspacePool
        from pypsrp.wsman import WSMan

        wsman = WSMan(**self.options.wsman_kwargs())
        pool = RunspacePool(wsman, configuration_name=self.options.configuration_name)
        try:
            pool.open()
        except BaseException:
            _quiet_close(wsman)
            raise
        self._pool = pool

    def invoke(self, statements: list[Statement], marker: str, deadline: Optional[float]) -> RawOutcome:
        from pypsrp.complex_objects import PSInvocationState
        from pypsrp.powershell import PowerShell

        ps = PowerShell(self._pool)
        add_statements(ps, statements, marker)
        outcome = RawOutcome()
        ps.begin_invoke()
        while ps.state == PSInvocationState.RUNNING:
            if deadline is not None and time.monotonic() > deadline:
                outcome.timed_out = True
                try:
                    ps.stop()
                except Exception:   # noqa: BLE001 - best effort: the deadline error is what we report
                    pass
                break
            ps.poll_invoke()
        outcome.output = list(ps.output)
        outcome.errors = list(ps.streams.error)
        outcome.warnings = [str(getattr(w, "message", None) or w) for w in ps.streams.warning]
        outcome.failed = bool(ps.had_errors)
        return outcome

    def close(self) -> None:
        pool, self._pool = self._pool, None
        if pool is not None:
            try:
                pool.close()
            finally:
                _quiet_close(pool.connection)


def _quiet_close(wsman: Any) -> None:
    try:
        wsman.close()
    except Exception:   # noqa: BLE001 - closing a dead connection must not hide the real error
        pass
