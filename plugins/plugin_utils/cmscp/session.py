"""Session: one runspace pool per host, reused; structured pipelines in, plain Python values out."""

from __future__ import annotations

import functools
import re
import socket
import ssl
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from .errors import (
    CallTimeout,
    CommandFailed,
    ConfigMgrError,
    HostUnreachable,
    MissingExtra,
    RemoteFault,
    mark_outcome_unknown,
)
from .options import ConnectionOptions
from .pipeline import Pipeline, Statement, check_scripts, segments
from .transport import NO_PROGRESS_POLLS, PypsrpTransport, RawOutcome, Transport
from .values import ErrorInfo, error_info, to_python

MARKER_PREFIX = "cmscp-end-of-statement-"
# The one retry rule of the library: an idempotent pipeline is run once more, on a fresh pool, after a failure
# with one of these HostUnreachable reasons, or a CallTimeout with reason "no_progress" (a lost answer: the host is
# done, a fresh pool gets a fresh answer). auth / tls / dns / timeout, and a CallTimeout past its deadline (a hung
# call), would fail the same way again.
RETRY_REASONS = frozenset(("connection", "protocol", "no_progress"))
# Opening a pool is the library's one reconnection layer: it retries these HostUnreachable reasons
# `reconnection_retries` times (backoff X, 2X, 4X, ...); pypsrp's own connect retries are off
# (ConnectionOptions.wsman_kwargs), so N retries are N + 1 connection attempts. auth / tls / dns fail the same way.
OPEN_RETRY_REASONS = frozenset(("connection", "timeout", "protocol"))
# The deadline of a pipeline (see Session.call_limit): run(timeout=), else max(DEFAULT_CALL_BUDGET,
# CALL_BUDGET_READS * options.read_timeout) seconds. A subclass may cap it (the action plugins' TaskSession: the task's
# own `timeout:`).
DEFAULT_CALL_BUDGET = 600.0
CALL_BUDGET_READS = 20
# HostUnreachable reasons that, after the Command request went out, leave a pipeline's outcome unknown (the request
# or its answer was lost). auth / tls / dns failures happen before anything reaches the PowerShell host.
LOST_ANSWER_REASONS = frozenset(("connection", "protocol", "timeout"))
# WSManFault codes that are transport problems, not command failures (Win32 / WSMan codes).
AUTH_FAULTS = frozenset((5, 0x80070005, 0x8009030C, 0x8009030E))  # access denied, logon denied, no credentials
CONNECTION_FAULTS = frozenset((0x80338012, 0x80338126))  # the client cannot connect / reach the host
TIMEOUT_FAULTS = frozenset((0x80338029,))  # operation timed out


@dataclass
class StatementResult:
    index: int
    output: list[Any] = field(default_factory=list)
    errors: list[ErrorInfo] = field(default_factory=list)  # non-terminating errors (error_action Continue)

    @property
    def first(self) -> Any:
        return self.output[0] if self.output else None


@dataclass
class PipelineResult:
    statements: list[StatementResult]
    warnings: list[str] = field(default_factory=list)

    def __getitem__(self, index: int) -> StatementResult:
        return self.statements[index]

    def __len__(self) -> int:
        return len(self.statements)


class Session:
    """A PSRP session to one host. Open lazily, reuse for every pipeline, close at the end."""

    def __init__(
        self,
        options: ConnectionOptions,
        *,
        transport_factory: Callable[[ConnectionOptions], Transport] | None = None,
        sleep: Callable[[float], None] = time.sleep,
        display_name: str | None = None,
        target_key: str | None = None,
    ) -> None:
        options.validate()
        self.options = options
        # How messages name the host: `display_name`, else options.display_name (the inventory name), else the address.
        self.host = display_name or options.label
        # Given to every error this session raises: how the user knows the host (with the address when that
        # differs), and the caller's key of this session (the action plugins tell their own host from a second one).
        self.described_as = describe_host(self.host, options.host, options.port)
        self.target_key = target_key
        self._factory = transport_factory or PypsrpTransport
        self._sleep = sleep
        self._transport: Transport | None = None
        self.pipelines_run = 0
        self.generation = 0  # +1 per opened pool: runspace state (modules, location) lives per pool
        self._secrets = (options.password, options.certificate_key_pem)

    # -- lifecycle -----------------------------------------------------------------------------------
    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    @property
    def display_name(self) -> str:
        """The name messages use for this host (same as `host`)."""
        return self.host

    @property
    def is_open(self) -> bool:
        return self._transport is not None

    def open(self) -> None:
        """Open the runspace pool: 1 + `reconnection_retries` attempts at most, each on a new connection, with
        exponential backoff (`reconnection_backoff` X, 2X, 4X, ...) after a failure in OPEN_RETRY_REASONS."""
        if self._transport is not None:
            return
        retries = self.options.reconnection_retries
        for attempt in range(retries + 1):
            transport = self._factory(self.options)
            try:
                transport.open()
            except MissingExtra as err:  # nothing was sent: no retry can help
                raise err.on(self.host, display_name=self.described_as, target_key=self.target_key) from err
            except Exception as err:  # noqa: BLE001 - classified below, re-raised as our own type
                failure = self._classify(err, "open a PowerShell session")
                if failure is None:
                    raise
                retry = isinstance(failure, HostUnreachable) and failure.reason in OPEN_RETRY_REASONS
                if not retry or attempt >= retries:
                    raise failure from err
                self._sleep(self.options.reconnection_backoff * (2**attempt))
                continue
            self._transport = transport
            self.generation += 1
            return

    def _classify(self, err: BaseException, operation: str) -> ConfigMgrError | None:
        return classify_error(
            err, self.host, operation, self._secrets, display_name=self.described_as, target_key=self.target_key
        )

    def close(self) -> None:
        transport, self._transport = self._transport, None
        if transport is not None:
            try:
                transport.close()
            except Exception:  # noqa: BLE001 - the host may already be gone; nothing left to release
                pass

    # -- running -------------------------------------------------------------------------------------
    def call_limit(self, timeout: float | None = None) -> float:
        """The deadline of one pipeline in seconds: `timeout`, else max(DEFAULT_CALL_BUDGET, CALL_BUDGET_READS *
        read_timeout) (600 s with the default read_timeout of 30)."""
        if timeout is not None:
            if timeout <= 0:
                raise ValueError(f"a pipeline deadline must be > 0 seconds, got {timeout!r}")
            return float(timeout)
        return max(DEFAULT_CALL_BUDGET, CALL_BUDGET_READS * float(self.options.read_timeout))

    def run(
        self,
        pipeline: Pipeline,
        *,
        idempotent: bool = False,
        timeout: float | None = None,
        rebuild: Callable[[], Pipeline] | None = None,
    ) -> PipelineResult:
        """Run all statements in one round trip, within a deadline (`call_limit(timeout)`); past it, or when the
        poll loop makes no progress, CallTimeout. `idempotent` pipelines (reads) are retried once on a fresh
        pool after a failure whose reason is in RETRY_REASONS; mutations never are. The fresh pool has a new
        `generation`; `rebuild` (called after it opened) returns the pipeline to run on it, so a caller that keeps
        runspace state (the provider's module bootstrap) can put that state back in the same round trip.
        A non-idempotent pipeline that fails after its Command request went out without an answer (HostUnreachable
        connection / protocol / timeout, CallTimeout, a WSManFault once the host had accepted it) raises with
        `outcome_unknown = True`: it may have run."""
        if not pipeline.statements:
            return PipelineResult([])
        check_scripts(pipeline.statements)
        limit = self.call_limit(timeout)
        self.open()
        marker = MARKER_PREFIX + uuid.uuid4().hex
        try:
            outcome = self._invoke(pipeline, marker, limit, idempotent)
        except (HostUnreachable, CallTimeout) as err:
            if not idempotent or err.reason not in RETRY_REASONS:
                raise
            self.close()
            self.open()
            if rebuild is not None:
                pipeline = rebuild()
                check_scripts(pipeline.statements)
            outcome = self._invoke(pipeline, marker, limit, idempotent)
        self.pipelines_run += 1
        return split_outcome(
            outcome, pipeline, marker, self.host, limit, display_name=self.described_as, target_key=self.target_key
        )

    def _invoke(self, pipeline: Pipeline, marker: str, limit: float | None, idempotent: bool = False) -> RawOutcome:
        transport = self._transport
        if transport is None:
            raise RuntimeError("the session is not open")
        deadline = time.monotonic() + limit if limit else None
        try:
            outcome = transport.invoke(pipeline.statements, marker, deadline)
        except Exception as err:  # noqa: BLE001 - classified below
            failure = self._classify(err, pipeline.operation)
            if failure is None:
                raise
            self.close()  # the pool is in an unknown state: the next run opens a new one
            if not idempotent and _answer_lost(failure, transport):
                mark_outcome_unknown(failure)
            raise failure from err
        late = call_timeout(
            outcome, pipeline, marker, self.host, limit, display_name=self.described_as, target_key=self.target_key
        )
        if late is not None:
            self.close()  # the pipeline may still run there (hung) or the pool lost track: start afresh
            if not idempotent:
                mark_outcome_unknown(late)
            raise late
        return outcome


def _answer_lost(failure: ConfigMgrError, transport: Any) -> bool:
    """A failure after the Command request went out whose answer never came: the pipeline may have run."""
    sent = getattr(transport, "sent", True)
    accepted = getattr(transport, "accepted", sent)
    if isinstance(failure, HostUnreachable):
        return sent and failure.reason in LOST_ANSWER_REASONS
    if isinstance(failure, RemoteFault):
        return accepted  # refused at the Command: it did not run; later (shell gone while polling): unknown
    return False


def describe_host(name: str, address: str, port: int | None = None) -> str:
    """`name`, or `name (address:port)` when the address (or an explicit port) says more, for messages."""
    if address.lower() == name.lower() and not port:
        return name
    shown_port = f":{port}" if port else ""
    return f"{name} ({address}{shown_port})"


def call_timeout(
    outcome: RawOutcome,
    pipeline: Pipeline,
    marker: str,
    host: str,
    limit: float | None = None,
    *,
    display_name: str | None = None,
    target_key: str | None = None,
) -> CallTimeout | None:
    """The CallTimeout for an outcome whose poll loop hit the deadline or made no progress, else None. Past the
    deadline it names the statement that was running (the one after the last marker received); without progress
    (an answer was lost: which statements ran is not known) the statements from there to the end."""
    if not (outcome.timed_out or outcome.stalled):
        return None
    groups = segments(pipeline.statements)
    current = sum(1 for item in outcome.output if isinstance(item, str) and item == marker)
    first = groups[min(current, len(groups) - 1)][0]
    if outcome.timed_out:
        statement = pipeline.statements[first].describe()
        message = f"no answer within {_seconds(limit)} s while running {statement} (the call was stopped)"
        reason = "deadline"
    else:
        statement = "; ".join(s.describe() for s in pipeline.statements[first:])
        message = (
            f"no progress while waiting for the end of {statement}: {NO_PROGRESS_POLLS} answers in a row came back at once with nothing "
            f"new (a lost answer?); stopped after {outcome.waited:.1f} s"
        )
        reason = "no_progress"
    return CallTimeout(
        message,
        host,
        pipeline.operation,
        reason=reason,
        limit=limit,
        waited=outcome.waited,
        polls=outcome.polls,
        statement=statement,
        display_name=display_name,
        target_key=target_key,
    )


def _seconds(limit: float | None) -> str:
    if limit is None:
        return "?"
    return f"{int(limit)}" if float(limit).is_integer() else f"{limit:.1f}"


def split_outcome(
    outcome: RawOutcome,
    pipeline: Pipeline,
    marker: str,
    host: str,
    limit: float | None = None,
    *,
    display_name: str | None = None,
    target_key: str | None = None,
) -> PipelineResult:
    """Split the output stream on the markers (one per segment, see pipeline.segments); turn a failure into
    CommandFailed for the failing statement."""
    results = [StatementResult(i) for i in range(len(pipeline.statements))]
    groups = segments(pipeline.statements)
    owners = [next((i for i in group if not pipeline.statements[i].quiet), group[0]) for group in groups]
    current = 0
    for item in outcome.output:
        if isinstance(item, str) and item == marker:
            current += 1
            continue
        if current < len(owners):
            results[owners[current]].output.append(to_python(item))
    group = groups[min(current, len(groups) - 1)]
    errors = [error_info(rec) for rec in outcome.errors]
    late = call_timeout(outcome, pipeline, marker, host, limit, display_name=display_name, target_key=target_key)
    if late is not None:
        raise late
    if outcome.failed:
        info = (
            errors[-1]
            if errors
            else ErrorInfo("the pipeline failed without an error record", "NotSpecified", "", None, None, None)
        )
        failing = _failing(info, group, pipeline.statements)
        statement = pipeline.statements[failing]
        raise CommandFailed(
            info.message,
            host,
            statement.describe(),
            category=info.category,
            fully_qualified_error_id=info.fully_qualified_error_id,
            target=info.target,
            script_position=info.script_position,
            operation=_operation(pipeline, statement),
            statement_index=failing,
            partial=[r.output for r in results[:failing]],
            display_name=display_name,
            target_key=target_key,
            cmdlet=info.command,
            output=results[failing].output,
        )
    for info in errors:
        results[_owner(info, pipeline.statements)].errors.append(info)
    return PipelineResult(results, warnings=list(outcome.warnings))


def _failing(info: ErrorInfo, group: list[int], statements: list[Statement]) -> int:
    """The statement of a segment that ended the pipeline: the one running the error's cmdlet (names are unique
    within a segment); without a name, the first that stops on errors."""
    name = (info.command or "").lower()
    for i in group:
        if name in statements[i].names:
            return i
    return next((i for i in group if statements[i].error_action == "Stop"), group[0])


def _operation(pipeline: Pipeline, statement: Statement) -> str:
    if statement.label:
        return f"{pipeline.operation} ({statement.label})"
    return pipeline.operation


def _owner(info: ErrorInfo, statements: list[Statement]) -> int:
    """Which statement wrote a non-terminating error: the first that tolerates errors and ran that cmdlet."""
    tolerant = [i for i, s in enumerate(statements) if s.error_action == "Continue"] or list(range(len(statements)))
    name = (info.command or "").lower()
    for i in tolerant:
        if name in statements[i].names:
            return i
    return tolerant[-1]


@dataclass(frozen=True)
class LibraryErrors:
    """The exception types the classification tells apart, by isinstance. pypsrp, requests / urllib3 and pyspnego
    are imported on first use (the action plugins report a missing pypsrp themselves); without them only the
    standard library's types are known."""

    fault: tuple[type, ...] = ()  # WSManFaultError
    auth: tuple[type, ...] = ()  # pypsrp AuthenticationError, every pyspnego error
    http: tuple[type, ...] = ()  # WinRMTransportError: an HTTP status (401 is auth)
    tls: tuple[type, ...] = (ssl.SSLError,)
    timeout: tuple[type, ...] = (TimeoutError,)  # socket.timeout is TimeoutError
    not_timeout: tuple[type, ...] = ()  # urllib3 NewConnectionError: a ConnectTimeoutError by class
    connection: tuple[type, ...] = (ConnectionError,)  # refused, reset, aborted, broken pipe
    dns: tuple[type, ...] = (socket.gaierror,)  # looked for in the whole cause chain
    protocol: tuple[type, ...] = ()  # anything else pypsrp / requests / urllib3 raise


@functools.lru_cache(maxsize=1)
def library_errors() -> LibraryErrors:
    try:
        import requests.exceptions as rq
        import spnego.exceptions as sp
        import urllib3.exceptions as u3
        from pypsrp.exceptions import AuthenticationError, WinRMError, WinRMTransportError, WSManFaultError
    except ImportError:
        return LibraryErrors()
    base = LibraryErrors()
    try:  # pypsrp[kerberos]: pyspnego's kinit with a password lets krb5's own error through (wrong password, no KDC)
        from krb5 import Krb5Error

        kerberos: tuple[type, ...] = (Krb5Error,)
    except ImportError:
        kerberos = ()
    try:  # pypsrp[credssp]: requests-credssp raises its own types (no CredSSP at the listener, a refused logon)
        from requests_credssp.exceptions import AuthenticationException, NTStatusException

        credssp: tuple[type, ...] = (AuthenticationException, NTStatusException)
    except ImportError:
        credssp = ()
    # urllib3 < 2 has no NameResolutionError: the socket.gaierror it wraps is found in the cause chain instead
    resolution = tuple(t for t in (getattr(u3, "NameResolutionError", None),) if isinstance(t, type))
    return LibraryErrors(
        fault=(WSManFaultError,),
        auth=(AuthenticationError, sp.SpnegoError, sp.NativeError, sp.FeatureMissingError) + kerberos + credssp,
        http=(WinRMTransportError,),
        tls=(rq.SSLError, u3.SSLError) + base.tls,
        timeout=(rq.Timeout, u3.TimeoutError) + base.timeout,
        not_timeout=(u3.NewConnectionError,),
        connection=(rq.ConnectionError, rq.ChunkedEncodingError, u3.ProxyError, u3.NewConnectionError)
        + base.connection,
        dns=resolution + base.dns,
        protocol=(WinRMError, rq.RequestException, u3.HTTPError),
    )


# Resolver messages (glibc, macOS, Windows) for an error whose cause chain was flattened into its text.
_DNS_TEXT = (
    "name or service not known",
    "nodename nor servname",
    "getaddrinfo",
    "temporary failure in name resolution",
    "no address associated with hostname",
    "failed to resolve",
)


def _causes(err: BaseException) -> Iterator[BaseException]:
    """`err` and what it wraps: __cause__ / __context__, urllib3's MaxRetryError.reason and exceptions given as
    arguments (requests raises ConnectionError(MaxRetryError(reason=NameResolutionError)))."""
    seen: set[int] = set()
    todo = [err]
    while todo and len(seen) < 16:
        current = todo.pop(0)
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        todo.extend(
            x
            for x in (current.__cause__, current.__context__, getattr(current, "reason", None), *current.args)
            if isinstance(x, BaseException)
        )


def classify_error(
    err: BaseException,
    host: str,
    operation: str,
    secrets: tuple[str | None, ...] = (),
    *,
    display_name: str | None = None,
    target_key: str | None = None,
) -> ConfigMgrError | None:
    """classify_fault, then classify_transport_error: our exception for a pypsrp / requests / pyspnego error, made
    with the target it names (`host`, `display_name`, `target_key`)."""
    return classify_fault(
        err, host, operation, secrets, display_name=display_name, target_key=target_key
    ) or classify_transport_error(err, host, operation, secrets, display_name=display_name, target_key=target_key)


def classify_fault(
    err: BaseException,
    host: str,
    operation: str,
    secrets: tuple[str | None, ...] = (),
    *,
    display_name: str | None = None,
    target_key: str | None = None,
) -> ConfigMgrError | None:
    """A WSManFault: RemoteFault (failed, with its code) unless it is an authentication / access, connection or
    timeout fault, which stay HostUnreachable. None when `err` is not a WSManFault."""
    if not isinstance(err, library_errors().fault):
        return None
    code = getattr(err, "code", None)
    try:
        number: int | None = int(code) if code is not None else None
    except (TypeError, ValueError):
        number = None
    reason = _redact(str(getattr(err, "reason", None) or err), secrets)

    def unreachable(message: str, kind: str) -> HostUnreachable:
        return HostUnreachable(message, host, operation, kind, display_name=display_name, target_key=target_key)

    if number in AUTH_FAULTS:
        return unreachable(f"access denied for the configured user ({_short(reason)})", "auth")
    if number in CONNECTION_FAULTS:
        return unreachable(f"connection failed: {_short(reason)}", "connection")
    if number in TIMEOUT_FAULTS:
        return unreachable(f"timed out: {_short(reason)}", "timeout")
    return RemoteFault(
        _short(reason),
        host,
        operation,
        number if number is not None else code,
        reason=reason,
        display_name=display_name,
        target_key=target_key,
    )


def _redact(text: str, secrets: tuple[str | None, ...]) -> str:
    for secret in secrets:
        if secret:
            text = text.replace(secret, "********")
    return text


def classify_transport_error(
    err: BaseException,
    host: str,
    operation: str,
    secrets: tuple[str | None, ...] = (),
    *,
    display_name: str | None = None,
    target_key: str | None = None,
) -> HostUnreachable | None:
    """Map pypsrp / requests / urllib3 / pyspnego / socket errors to HostUnreachable with a reason (auth, tls,
    timeout, dns, connection, protocol); None when it is not a transport error."""
    types = library_errors()
    text = _redact(str(err), secrets)
    lowered = text.lower()

    def unreachable(message: str, reason: str, hint: str | None = None) -> HostUnreachable:
        return HostUnreachable(
            message, host, operation, reason, display_name=display_name, target_key=target_key, hint=hint
        )

    if isinstance(err, types.auth) or (isinstance(err, types.http) and getattr(err, "code", None) == 401):
        hint = _kerberos_hint(lowered) or _credssp_hint(lowered)
        message = f"authentication failed for the configured user ({_short(text)}){hint}"
        return unreachable(message, "auth", hint.removeprefix("; ") or None)
    if isinstance(err, types.tls) or "certificate verify failed" in lowered:
        return unreachable(f"TLS failure: {_short(text)}; check cert_validation / ca_cert", "tls")
    if isinstance(err, types.timeout) and not isinstance(err, types.not_timeout):
        return unreachable(f"timed out: {_short(text)}", "timeout")
    if isinstance(err, types.connection + types.dns):
        if any(isinstance(cause, types.dns) for cause in _causes(err)) or any(m in lowered for m in _DNS_TEXT):
            return unreachable(f"cannot resolve the host name: {_short(text)}", "dns")
        return unreachable(f"connection failed: {_short(text)}", "connection")
    if isinstance(err, types.protocol):
        return unreachable(f"WinRM/PSRP failure: {_short(text)}", "protocol")
    return None


# What MIT Kerberos says (through pyspnego / krb5, lower-cased) -> what to fix.
_KERBEROS_HINTS = (
    (
        re.compile(r"cannot (contact any|find) kdc for realm"),
        "no KDC answered for the user's realm: check the realm's kdc entries in krb5.conf (KRB5_CONFIG) and that the KDC "
        "is reachable (port 88)",
    ),
    (re.compile(r"preauthentication failed"), "the KDC refused the password: check ansible_password for this user"),
    (
        re.compile(r"password has expired"),
        "the user's password has expired: change it (in Active Directory) and set ansible_password to the new one",
    ),
    (
        re.compile(r"clock skew too great"),
        "the controller's clock and the domain's (the KDC's) differ by more than Kerberos allows (5 minutes by "
        "default): synchronise the controller with the domain's time source (NTP)",
    ),
    (
        re.compile(r"\bclient '[^']*' not found in kerberos database"),
        "the KDC knows no such user: set ansible_user to the user's UPN (user@REALM)",
    ),
    (
        re.compile(r"\bserver \S+ not found in kerberos database"),
        "the KDC knows no such service principal (SPN): set ansible_psrp_negotiate_hostname_override to the host's FQDN "
        "that carries it (an IP address has none) and ansible_psrp_negotiate_service to its service class (HTTP or host)",
    ),
)


def _kerberos_hint(lowered: str) -> str:
    return next(("; " + hint for pattern, hint in _KERBEROS_HINTS if pattern.search(lowered)), "")


# What requests-credssp says (lower-cased) -> what to fix.
_CREDSSP_HINTS = (
    (
        re.compile(r"did not response credssp being an available authentication method"),
        "the host's WinRM service does not offer CredSSP: enable it there (Enable-WSManCredSSP -Role Server) or choose "
        "another ansible_psrp_auth",
    ),
    # 0x8009030C SEC_E_LOGON_DENIED, inside the CredSSP exchange
    (re.compile(r"0x8009030c"), "the host refused the logon: check ansible_user and ansible_password"),
)


def _credssp_hint(lowered: str) -> str:
    return next(("; " + hint for pattern, hint in _CREDSSP_HINTS if pattern.search(lowered)), "")


def _short(text: str, limit: int = 400) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit] + "..."
