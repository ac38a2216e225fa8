"""The interface between the WS-Management transport and whatever runs the commands.

The transport knows HTTP, authentication, SOAP and PSRP; it knows nothing about cmdlets.
Everything it needs from the simulated world goes through :class:`Backend`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

# Joins the command names of a pipeline in the `detail` of Backend.fault ("pipeline" / "receive" stages): a fault
# for one cmdlet matches when it is any of them. No cmdlet or action name contains it.
NAMES_SEPARATOR = ";"


def joined_names(names: list[str]) -> str:
    """The `detail` for an event that concerns several commands (one pipeline); script texts are left out."""
    return NAMES_SEPARATOR.join(n for n in names if n and NAMES_SEPARATOR not in n and "\n" not in n)


@dataclass
class Command:
    """One command of a pipeline, as the client sent it."""

    name: str
    is_script: bool = False
    # In order; a name of None is a positional argument, a value of None a bare switch.
    parameters: list[tuple[str | None, Any]] = field(default_factory=list)
    end_of_statement: bool = False


@dataclass
class PipelineRequest:
    commands: list[Command]
    input: list[Any] = field(default_factory=list)


@dataclass
class ErrorSpec:
    """What the transport needs to build a PowerShell ErrorRecord."""

    message: str
    category: str = "NotSpecified"
    fqid: str = "RuntimeException"
    exception_type: str = "System.Management.Automation.RuntimeException"
    target: Any = None
    activity: str | None = None
    reason: str | None = None


class TerminatingError(Exception):
    """Raised by :meth:`Runspace.invoke`: the pipeline ends Failed with this record."""

    def __init__(self, spec: ErrorSpec) -> None:
        super().__init__(spec.message)
        self.spec = spec


class PipelineStopped(Exception):
    """The client stopped or closed the pipeline; raised by the writer's methods."""


class PipelineWriter(Protocol):
    def write_output(self, obj: Any) -> None: ...

    def write_error(self, record: ErrorSpec) -> None: ...

    def write_warning(self, message: str) -> None: ...

    def write_verbose(self, message: str) -> None: ...

    @property
    def stopped(self) -> bool: ...


class Runspace(Protocol):
    """One per runspace pool (WSMan shell)."""

    def invoke(self, request: PipelineRequest, writer: PipelineWriter) -> None:
        """Run in a worker thread; returning means Completed, TerminatingError means Failed."""

    def close(self) -> None: ...


class Backend(Protocol):
    def check_password(self, endpoint: str, user: str, password: str) -> str | None:
        """Basic auth: the canonical ``DOMAIN\\user`` or None."""

    def ntlm_accounts(self) -> list[tuple[str, str, str]]:
        """(domain, user, password) of every account, for the NTLM acceptor."""

    def authorize(self, endpoint: str, user: str) -> bool:
        """May this authenticated user use this endpoint."""

    def map_certificate(self, endpoint: str, subject_cn: str, upn: str | None) -> str | None:
        """Client-certificate auth: the mapped account or None."""

    def open_runspace(
        self, endpoint: str, user: str, auth: str, configuration_name: str, delegated: bool = False
    ) -> Runspace: ...

    def fault(self, endpoint: str, stage: str, detail: str = "") -> str | None:
        """An injected fault for this stage, or None. "auth" (detail: the scheme) -> "fail_auth"; "request" (detail:
        the WS-Management action) -> "drop" / "timeout"; "pipeline" (detail: the pipeline's command names,
        joined_names) -> "hang"; "receive" (the Receive answer that ends a pipeline; detail: its command names) ->
        "lost_receive" / "drop_after"."""

    def record_request(self, endpoint: str, action: str, bytes_in: int, bytes_out: int, status: int) -> None: ...

    def record_logon(self, endpoint: str, user: str, method: str, mechanism: str, delegated: bool = False) -> None:
        """An accepted authentication: the scheme the client asked for (method: "basic", "ntlm", "negotiate",
        "credssp", "certificate"), what carried it (mechanism: "kerberos" or "ntlm" inside "negotiate",
        "credssp/kerberos" or "credssp/ntlm"), and whether it delegated credentials for a second hop."""
