"""The pypsrp side of a Session: open a runspace pool, run structured commands, close.

Kept apart from session.py so the session logic (retries, splitting, error translation) can be tested
with a fake transport, and so pypsrp is imported only when a real connection is made.
"""

from __future__ import annotations

import importlib
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from .errors import MissingExtra
from .options import ConnectionOptions
from .pipeline import SWITCH, ScriptCommand, Statement, check_scripts, segment_starts
from .values import PSDict

# The optional libraries an auth method needs, with the pypsrp extra that installs them. Without them pypsrp fails
# only once the host answers (a raw ImportError from pyspnego or pypsrp); negotiate falls back to NTLM by itself.
AUTH_EXTRAS: dict[str, tuple[str, tuple[str, ...]]] = {
    "kerberos": ("pypsrp[kerberos]", ("gssapi", "krb5")),
    "credssp": ("pypsrp[credssp]", ("requests_credssp",)),
}


def check_auth_extra(auth: str) -> None:
    """Raise MissingExtra (no host yet) when a library `auth` needs cannot be imported."""
    extra, libraries = AUTH_EXTRAS.get(auth, ("", ()))
    for library in libraries:
        try:
            importlib.import_module(library)
        except ImportError as err:
            raise MissingExtra(auth, extra, library, str(err)) from err


@dataclass
class RawOutcome:
    output: list[Any] = field(default_factory=list)  # pypsrp objects, markers included
    errors: list[Any] = field(default_factory=list)  # pypsrp ErrorRecords (non-terminating + terminating)
    warnings: list[Any] = field(default_factory=list)  # warning messages (str)
    failed: bool = False  # pipeline ended Failed (terminating error)
    timed_out: bool = False  # our deadline passed; the pipeline was stopped
    stalled: bool = False  # no progress (see poll_until_done); the pipeline was stopped
    polls: int = 0  # Receive requests made for the pipeline
    waited: float = 0.0  # seconds from the Command to the end of the poll loop


class Transport(Protocol):
    # After invoke (also when it raised): `sent` = the Command request went out (the pipeline may have run even
    # without an answer), `accepted` = the host answered it (the pipeline exists there). A transport without these
    # attributes is taken as having sent and accepted it.
    sent: bool
    accepted: bool

    def open(self) -> None: ...
    def invoke(self, statements: list[Statement], marker: str, deadline: float | None) -> RawOutcome: ...
    def close(self) -> None: ...


# The poll loop's no-progress rule (poll_until_done): a Receive that comes back with nothing new in less than
# FAST_POLL of the time it was allowed to wait is "idle"; after each idle poll the loop sleeps (BACKOFF_START,
# doubling, at most BACKOFF_MAX), and NO_PROGRESS_POLLS idle polls in a row end the pipeline as stalled. A Receive
# that waits for its operation timeout (the host long-polls: the call is still running) is not idle; only the
# deadline ends that.
NO_PROGRESS_POLLS = 8
FAST_POLL = 0.5
BACKOFF_START = 0.1
BACKOFF_MAX = 1.0
_STREAMS = ("error", "warning", "verbose", "debug", "information", "progress")


def _fingerprint(ps: Any) -> tuple[Any, ...]:
    """What a poll can change: the state, the output, every stream's length, and the fragments of messages still
    being received (a big object spans several Receives before it is complete)."""
    streams = getattr(ps, "streams", None)
    fragmenter = getattr(getattr(ps, "runspace_pool", None), "_fragmenter", None)
    partial = getattr(fragmenter, "incoming_buffer", None)
    pending = (
        tuple(sorted((key, value.get("id")) for key, value in partial.items())) if isinstance(partial, dict) else ()
    )
    return (ps.state, len(ps.output), pending) + tuple(len(getattr(streams, name, None) or ()) for name in _STREAMS)


def poll_until_done(
    ps: Any,
    deadline: float | None,
    operation_timeout: float,
    running: Any,
    *,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> tuple[str | None, int]:
    """Poll a begun pypsrp PowerShell (`ps.state`, `ps.output`, `ps.streams`, `ps.poll_invoke(timeout=)`) while its
    state is `running`. Returns (None, polls) when it ended, ("deadline", polls) when `deadline` (a `clock()` value)
    passed, ("no_progress", polls) after NO_PROGRESS_POLLS idle polls in a row. Each Receive waits at most until the
    deadline (whole seconds, at least 1), so the loop ends within about one second plus pypsrp's HTTP slack of it."""
    polls = idle = 0
    full = max(1, int(operation_timeout))
    while ps.state == running:
        start = clock()
        if deadline is not None and start >= deadline:
            return "deadline", polls
        wait = full if deadline is None else max(1, min(full, int(math.ceil(deadline - start))))
        before = _fingerprint(ps)
        # None keeps pypsrp's own request timeouts (operation_timeout, read_timeout); a shorter wait near the deadline
        # sets the Receive's OperationTimeout (and pypsrp's HTTP timeout to wait + 2 s).
        ps.poll_invoke(timeout=None if wait >= full else wait)
        polls += 1
        if _fingerprint(ps) != before or clock() - start >= FAST_POLL * wait:
            idle = 0
            continue
        idle += 1
        if idle >= NO_PROGRESS_POLLS:
            return "no_progress", polls
        pause = min(BACKOFF_MAX, BACKOFF_START * 2 ** (idle - 1))
        if deadline is not None:
            pause = min(pause, max(0.0, deadline - clock()))
        sleep(pause)
    return None, polls


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
                # its own scope: the script's variables and $ErrorActionPreference stay inside it
                ps.add_script(command.spec.text, use_local_scope=True)
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
        self.sent = False  # of the last invoke: the Command request went out
        self.accepted = False  # of the last invoke: the host answered the Command (the pipeline exists there)

    def open(self) -> None:
        check_auth_extra(self.options.auth)
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

    def invoke(self, statements: list[Statement], marker: str, deadline: float | None) -> RawOutcome:
        from pypsrp.complex_objects import PSInvocationState
        from pypsrp.powershell import PowerShell

        self.sent = self.accepted = False
        ps = PowerShell(self._pool)
        add_statements(ps, statements, marker)
        outcome = RawOutcome()
        started = time.monotonic()
        self.sent = True  # from here on a lost answer means the pipeline may have run
        ps.begin_invoke()
        self.accepted = True
        ended, outcome.polls = poll_until_done(ps, deadline, self.options.operation_timeout, PSInvocationState.RUNNING)
        outcome.waited = time.monotonic() - started
        if ended is not None:
            outcome.timed_out = ended == "deadline"
            outcome.stalled = ended == "no_progress"
            try:
                ps.stop()
            except Exception:  # noqa: BLE001 - best effort: the deadline / no-progress error is what we report
                pass
        outcome.output = list(ps.output)
        outcome.errors = list(ps.streams.error)
        outcome.warnings = [str(getattr(w, "message", None) or w) for w in ps.streams.warning]
        outcome.failed = bool(ps.had_errors)
        # pypsrp keeps every PowerShell (and its output) in pool.pipelines until ps.close(), a Terminate round trip
        # per pipeline; a finished one is of no further use here, so it is dropped on the client side only (without
        # this, copying a file through the controller kept every chunk in memory: make bench, file_transfer)
        pipelines = getattr(getattr(ps, "runspace_pool", None), "pipelines", None)
        if ended is None and isinstance(pipelines, dict):
            pipelines.pop(ps.id, None)
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
    except Exception:  # noqa: BLE001 - closing a dead connection must not hide the real error
        pass
