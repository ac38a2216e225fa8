"""The library's single exception tree.

Every message names the host and the operation; no message or repr ever contains a secret
(callers pass only non-secret context in here). What an error is about is given to its constructor and kept as
attributes (`host`, `display_name`, `operation`, `target_key`): nothing is attached to an error after it was raised.
"""

from __future__ import annotations

from typing import Any


class ConfigMgrError(Exception):
    """Base of every error the library raises.

    `steps_run` lists what already ran before the failure (dicts with "action" and "description"), `changed` is
    True when one of them wrote something: the caller must report changed=true even though the task failed.
    Set by execute_plan and by ScpHost's thread control when they fail after a write; empty/False otherwise."""

    # True when a changing call was sent and its answer never came (lost connection, read timeout, deadline, no
    # progress): it may have run. Set by Session.run for non-idempotent pipelines only (mark_outcome_unknown); the
    # caller must read the state again before reporting `changed`.
    outcome_unknown: bool = False
    # True when the message already says that a second hop (a WinRM session reaching a third machine) was refused and
    # what to change; the adapters then add no generic double-hop hint of their own.
    explains_second_hop: bool = False

    def __init__(
        self,
        message: str,
        host: str | None = None,
        operation: str | None = None,
        *,
        display_name: str | None = None,
        target_key: str | None = None,
    ) -> None:
        self.host = host  # how the message names the host
        self.operation = operation
        # How the user knows that host: the name, with the address when it differs ("cm01 (10.0.0.5:5986)").
        self.display_name = display_name or host
        # The caller's key of the session that failed (Session(target_key=)); the action plugins give the inventory
        # name, which tells the task's own host from a second one. None: not said (taken as the caller's own host).
        self.target_key = target_key
        self.detail = message
        self.steps_run: list[dict[str, Any]] = []
        self.changed = False
        super().__init__(self._compose(message))

    def _compose(self, message: str) -> str:
        where = []
        if self.operation:
            where.append(self.operation)
        if self.host:
            where.append(f"on {self.host}")
        return f"{' '.join(where)}: {message}" if where else message


class InvalidOption(ConfigMgrError):
    """Invalid input found before any remote call; `.option` names the offending option."""

    def __init__(
        self,
        option: str,
        message: str,
        host: str | None = None,
        *,
        display_name: str | None = None,
        target_key: str | None = None,
    ) -> None:
        self.option = option
        self.problem = message  # without the option's name: to raise it again for another target
        super().__init__(
            f"option '{option}': {message}",
            host=host,
            operation="validate options",
            display_name=display_name,
            target_key=target_key,
        )


class HostUnreachable(ConfigMgrError):
    """Transport-level failure: connection refused, DNS, TLS, authentication, timeout, dropped connection."""

    def __init__(
        self,
        message: str,
        host: str,
        operation: str | None = None,
        reason: str = "connection",
        *,
        display_name: str | None = None,
        target_key: str | None = None,
        hint: str | None = None,
    ) -> None:
        self.reason = reason  # connection | dns | tls | auth | timeout | protocol
        self.hint = hint  # what to fix, when the library recognised the cause (it is part of the message too)
        super().__init__(message, host=host, operation=operation, display_name=display_name, target_key=target_key)


class MissingExtra(ConfigMgrError):
    """`auth` needs an optional Python library that is not installed; raised before any connection is made.
    `.extra` is the pip requirement that brings it ("pypsrp[kerberos]"), `.library` the module that failed to
    import, `.import_error` its ImportError text (no secret: a module name and a path at most)."""

    def __init__(
        self,
        auth: str,
        extra: str,
        library: str,
        import_error: str,
        host: str | None = None,
        *,
        display_name: str | None = None,
        target_key: str | None = None,
    ) -> None:
        self.auth = auth
        self.extra = extra
        self.library = library
        self.import_error = import_error
        super().__init__(
            f"auth={auth} needs the Python library {library} ({import_error}): install {extra} on the controller",
            host=host,
            operation="open a PowerShell session",
            display_name=display_name,
            target_key=target_key,
        )

    def on(self, host: str, *, display_name: str | None = None, target_key: str | None = None) -> MissingExtra:
        """The same error for `host` (the transport that finds it does not know the host's names)."""
        return MissingExtra(
            self.auth,
            self.extra,
            self.library,
            self.import_error,
            host,
            display_name=display_name,
            target_key=target_key,
        )


class CommandFailed(ConfigMgrError):
    """A cmdlet ended with an ErrorRecord."""

    def __init__(
        self,
        message: str,
        host: str | None,
        command: str | None,
        *,
        category: str | None = None,
        fully_qualified_error_id: str | None = None,
        target: Any = None,
        script_position: str | None = None,
        operation: str | None = None,
        statement_index: int | None = None,
        partial: list[Any] | None = None,
        display_name: str | None = None,
        target_key: str | None = None,
        cmdlet: str | None = None,
        output: list[Any] | None = None,
    ) -> None:
        self.command = command
        self.cmdlet = cmdlet  # the cmdlet the error record names (a constant script's inner one)
        self.output = output if output is not None else []  # what the failing statement wrote before it failed
        self.category = category
        self.fully_qualified_error_id = fully_qualified_error_id
        self.target = target
        self.error_message = message
        self.script_position = script_position
        self.statement_index = statement_index
        self.partial = partial if partial is not None else []  # outputs of the statements that completed
        text = message
        if command:
            text = f"{command} failed: {message}"
        extra = [
            x
            for x in (
                category and f"category {category}",
                fully_qualified_error_id and f"id {fully_qualified_error_id}",
            )
            if x
        ]
        if extra:
            text += f" ({', '.join(extra)})"
        super().__init__(text, host=host, operation=operation, display_name=display_name, target_key=target_key)


class RemoteFault(CommandFailed):
    """The WinRM service answered with a WSManFault that is neither an authentication nor a connection problem
    (quota exceeded, shell not found, ...): `.fault_code` is the WSMan/Win32 code, `.fault_reason` its text."""

    def __init__(
        self,
        message: str,
        host: str | None,
        operation: str | None,
        fault_code: Any,
        reason: str | None = None,
        *,
        display_name: str | None = None,
        target_key: str | None = None,
    ) -> None:
        self.fault_code = fault_code
        self.fault_reason = reason
        code = f"0x{fault_code:08X}" if isinstance(fault_code, int) else str(fault_code)
        super().__init__(
            f"WSManFault {code}: {message}",
            host,
            None,
            operation=operation,
            display_name=display_name,
            target_key=target_key,
        )


class BootstrapFailed(CommandFailed):
    """The ConfigurationManager module could not be loaded / the site drive could not be used."""


class CheckModeViolation(ConfigMgrError):
    """A mutating call was attempted in check mode."""


class PlanRefused(ConfigMgrError):
    """The desired state is not allowed in the current hierarchy."""


class WaitTimeout(ConfigMgrError):
    """A wait for a remote state gave up."""

    def __init__(
        self,
        message: str,
        host: str | None,
        operation: str | None,
        waited: float,
        last_state: Any = None,
        *,
        display_name: str | None = None,
        target_key: str | None = None,
    ) -> None:
        self.waited = waited
        self.last_state = last_state
        super().__init__(
            f"{message} (gave up after {waited:.0f} s; last state: {last_state})",
            host=host,
            operation=operation,
            display_name=display_name,
            target_key=target_key,
        )


class CallTimeout(ConfigMgrError):
    """A pipeline did not end in time. `reason` "deadline": the host kept answering "still running" until the
    pipeline's deadline (a hung provider / WMI call); "no_progress": the poll loop got answers at once, again and
    again, with nothing new (a lost Receive answer: the host is done but the end of the pipeline never arrived).
    `.limit` is the deadline in seconds, `.waited` the seconds spent, `.polls` the Receive requests made,
    `.statement` what was running (by the statement markers received). The pipeline was stopped and its pool closed.
    Not a HostUnreachable: the host answered; the action plugins report it as failed."""

    def __init__(
        self,
        message: str,
        host: str | None,
        operation: str | None,
        *,
        reason: str = "deadline",
        limit: float | None = None,
        waited: float = 0.0,
        polls: int = 0,
        statement: str | None = None,
        display_name: str | None = None,
        target_key: str | None = None,
    ) -> None:
        self.reason = reason  # deadline | no_progress
        self.limit = limit
        self.waited = waited
        self.polls = polls
        self.statement = statement
        super().__init__(message, host=host, operation=operation, display_name=display_name, target_key=target_key)


OUTCOME_UNKNOWN_NOTE = "the call was sent and may have run; its outcome is unknown: read the state again"


def mark_outcome_unknown(err: ConfigMgrError) -> ConfigMgrError:
    """Mark `err` as the failure of a changing call that was sent but whose answer never came: sets
    `err.outcome_unknown = True` and appends OUTCOME_UNKNOWN_NOTE to the message (once). Returns `err`."""
    if not err.outcome_unknown:
        err.outcome_unknown = True
        err.changed = True  # an unknown outcome is not "unchanged": a caller that reads again may clear it
        if err.args:
            err.args = (f"{err.args[0]} ({OUTCOME_UNKNOWN_NOTE})",) + tuple(err.args[1:])
    return err
