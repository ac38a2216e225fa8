"""Session logic with a fake transport: splitting, failures, retries, error translation."""

from __future__ import annotations

import socket
import ssl

import pytest
import requests
import urllib3.exceptions

from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp import transport as transport_module
from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.errors import (
    OUTCOME_UNKNOWN_NOTE,
    CallTimeout,
    CommandFailed,
    HostUnreachable,
    RemoteFault,
)
from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.options import ConnectionOptions
from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.pipeline import SWITCH, Command, Pipeline
from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.session import (
    RETRY_REASONS,
    Session,
    classify_transport_error,
)
from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.transport import RawOutcome, poll_until_done

OPTS = ConnectionOptions.from_mapping(
    {
        "host": "cm01.contoso.com",
        "username": "u",
        "password": "Pw0rd!",
        "auth": "ntlm",
        "reconnection_retries": 2,
        "reconnection_backoff": 0.5,
    }
)


class Rec:
    category = 13
    fq_error = "ItemNotFound"
    target_name = "PS9"
    invocation_name = "Set-Location"
    invocation_position_message = None
    details_message = "Cannot find drive PS9"
    exception = None


class FakeTransport:
    def __init__(self, script):
        self.script = list(script)  # per invoke: callable(statements, marker) -> RawOutcome, or exception
        self.opens = 0
        self.invoked = []
        self.deadlines = []

    def open(self):
        self.opens += 1
        if self.script and isinstance(self.script[0], Exception) and getattr(self.script[0], "at_open", False):
            raise self.script.pop(0)

    def invoke(self, statements, marker, deadline):
        self.invoked.append(statements)
        self.deadlines.append(deadline)
        step = self.script.pop(0)
        if isinstance(step, Exception):
            raise step
        return step(statements, marker)

    def close(self):
        pass


def session_with(transport, sleeps=None):
    return Session(
        OPTS, transport_factory=lambda o: transport, sleep=(sleeps.append if sleeps is not None else lambda s: None)
    )


def pipeline3():
    p = Pipeline(operation="read things")
    p.add("Get-CMSite")
    p.add("Get-CMServiceConnectionPoint", ("AllSite", SWITCH))
    p.add("Get-Item", ("Path", "Env:X"), error_action="SilentlyContinue")
    return p


def test_split_by_marker():
    t = FakeTransport([lambda s, m: RawOutcome(output=["a", "b", m, m, "c"])])
    res = session_with(t).run(pipeline3())
    assert [r.output for r in res.statements] == [["a", "b"], [], ["c"]]


def test_failure_names_statement_host_and_keeps_partial():
    t = FakeTransport([lambda s, m: RawOutcome(output=["a", m], errors=[Rec()], failed=True)])
    with pytest.raises(CommandFailed) as info:
        session_with(t).run(pipeline3())
    err = info.value
    assert err.statement_index == 1 and err.partial == [["a"]]
    assert err.command == "Get-CMServiceConnectionPoint -AllSite"
    assert err.category == "ObjectNotFound" and err.fully_qualified_error_id == "ItemNotFound"
    assert "cm01.contoso.com" in str(err) and "read things" in str(err) and "Cannot find drive PS9" in str(err)


def test_non_terminating_errors_attributed():
    p = Pipeline(operation="x")
    p.add("Get-CMSite")
    p.add("Set-Location", ("Path", "PS1:"), error_action="Continue")
    t = FakeTransport([lambda s, m: RawOutcome(output=[1, m], errors=[Rec()])])
    res = session_with(t).run(p)
    assert res[1].errors[0].message == "Cannot find drive PS9" and not res[0].errors


def test_open_retries_with_backoff_then_unreachable():
    class Refused(requests.exceptions.ConnectionError):
        at_open = True

    t = FakeTransport([Refused("[Errno 111] Connection refused")] * 3)
    sleeps: list = []
    with pytest.raises(HostUnreachable) as info:
        session_with(t, sleeps).run(pipeline3())
    assert t.opens == 3 and sleeps == [0.5, 1.0]
    assert info.value.reason == "connection" and "cm01.contoso.com" in str(info.value)


def test_auth_failure_not_retried_and_password_never_in_message():
    from pypsrp.exceptions import AuthenticationError

    class Auth(AuthenticationError):
        at_open = True

    t = FakeTransport([Auth("Failed to authenticate the user u with password Pw0rd! over NTLM")])
    with pytest.raises(HostUnreachable) as info:
        session_with(t).run(pipeline3())
    assert t.opens == 1 and info.value.reason == "auth" and "Pw0rd!" not in str(info.value)


def _ok(statements, marker):
    return RawOutcome(output=[1])


def test_drop_retried_only_for_idempotent():
    drop = requests.exceptions.ConnectionError("Connection aborted. RemoteDisconnected")
    ok = _ok
    t = FakeTransport([drop, ok])
    assert session_with(t).run(pipeline3(), idempotent=True)[0].output == [1]
    assert t.opens == 2
    t2 = FakeTransport([drop])
    with pytest.raises(HostUnreachable):
        session_with(t2).run(pipeline3())


def test_timeout_outcome():
    t = FakeTransport([lambda s, m: RawOutcome(output=["site", m], timed_out=True, polls=5, waited=5.2)])
    with pytest.raises(CallTimeout) as info:
        session_with(t).run(pipeline3(), timeout=5)
    err = info.value
    assert not isinstance(err, HostUnreachable)  # the host answered: the action plugins report "failed"
    assert err.reason == "deadline" and err.limit == 5 and err.polls == 5 and err.waited == 5.2
    assert err.statement == "Get-CMServiceConnectionPoint -AllSite"  # after one marker: the second statement
    assert str(err).startswith(
        "read things on cm01.contoso.com: no answer within 5 s while running Get-CMServiceConnectionPoint -AllSite"
    )
    assert err.outcome_unknown and OUTCOME_UNKNOWN_NOTE in str(err)  # not idempotent: it may have run


@pytest.mark.parametrize(
    "exc, reason",
    [
        (requests.exceptions.SSLError("certificate verify failed"), "tls"),
        (requests.exceptions.ReadTimeout("read timed out"), "timeout"),
        (requests.exceptions.ConnectionError("NameResolutionError: Name or service not known"), "dns"),
        (ValueError("boom"), None),
    ],
)
def test_classify(exc, reason):
    got = classify_transport_error(exc, "h", "op")
    assert (got.reason if got else None) == reason


def _name_resolution_error():
    """What requests raises for an unknown host: ConnectionError(MaxRetryError(reason=NameResolutionError)), whose
    text says nothing a resolver would (so only the cause chain tells)."""
    cause = urllib3.exceptions.NameResolutionError("cm01", None, socket.gaierror(-2, "lookup failed"))
    return requests.exceptions.ConnectionError(urllib3.exceptions.MaxRetryError(None, "/wsman", reason=cause))


def _spnego_error():
    from spnego.exceptions import BadMechanismError

    return BadMechanismError(context_msg="no NTLM credential")


def _http_status(code):
    from pypsrp.exceptions import WinRMTransportError

    return WinRMTransportError("http", code, "body")


@pytest.mark.parametrize(
    "make, reason",
    [
        (lambda: ConnectionRefusedError(111, "Connection refused"), "connection"),  # the standard library's
        (lambda: ConnectionResetError(104, "Connection reset by peer"), "connection"),
        (lambda: TimeoutError("timed out"), "timeout"),  # socket.timeout
        (lambda: socket.gaierror(-2, "lookup failed"), "dns"),
        (lambda: ssl.SSLCertVerificationError(1, "bad cert"), "tls"),
        (_name_resolution_error, "dns"),
        (lambda: requests.exceptions.ConnectTimeout("connect timed out"), "timeout"),  # a ConnectionError too
        (lambda: requests.exceptions.ProxyError("proxy said no"), "connection"),
        (lambda: requests.exceptions.ChunkedEncodingError("cut"), "connection"),
        (
            lambda: urllib3.exceptions.NewConnectionError(None, "refused"),
            "connection",
        ),  # by class a ConnectTimeoutError
        (lambda: urllib3.exceptions.ReadTimeoutError(None, "/wsman", "read timed out"), "timeout"),
        (lambda: urllib3.exceptions.ProtocolError("Connection aborted."), "protocol"),
        (_spnego_error, "auth"),
        (lambda: _http_status(401), "auth"),
        (lambda: _http_status(500), "protocol"),
        (lambda: OSError(2, "No such file"), None),  # not a transport error
        (lambda: KeyError("x"), None),
    ],
)
def test_classify_by_type(make, reason):
    got = classify_transport_error(make(), "h", "op", display_name="h (10.0.0.5)", target_key="h")
    assert (got.reason if got else None) == reason
    if got is not None:
        assert (got.host, got.operation, got.display_name, got.target_key) == ("h", "op", "h (10.0.0.5)", "h")


def test_classification_uses_no_class_names_and_errors_are_never_tagged():
    """isinstance on the libraries' types, and every error made with its target: no type names, no setattr."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[2] / "plugins" / "plugin_utils"
    for path in (
        root / "cmscp" / "session.py",
        root / "cmscp" / "errors.py",
        root / "cmscp" / "transport.py",
        root / "_action.py",
    ):
        text = path.read_text(encoding="utf-8")
        assert "__name__" not in text and "__mro__" not in text and "setattr(" not in text, path


def test_session_errors_carry_their_target():
    opts = ConnectionOptions.from_mapping(
        {
            "host": "10.0.0.5",
            "port": 5986,
            "display_name": "cm01",
            "username": "u",
            "password": "Pw0rd!",
            "auth": "ntlm",
        }
    )

    def session(transport):
        return Session(opts, transport_factory=lambda o: transport, sleep=lambda s: None, target_key="cm01")

    class Refused(requests.exceptions.ConnectionError):
        at_open = True

    made = []
    for transport, kind in (
        (FakeTransport([Refused("refused")]), HostUnreachable),
        (FakeTransport([_fault(0x803381A4, "quota")]), RemoteFault),
        (FakeTransport([lambda s, m: RawOutcome(errors=[Rec()], failed=True)]), CommandFailed),
        (FakeTransport([lambda s, m: RawOutcome(timed_out=True)]), CallTimeout),
    ):
        with pytest.raises(kind) as info:
            session(transport).run(pipeline3(), timeout=5)
        made.append(info.value)
    for err in made:
        assert (err.host, err.display_name, err.target_key) == ("cm01", "cm01 (10.0.0.5:5986)", "cm01"), err
    plain = Session(OPTS, transport_factory=lambda o: FakeTransport([Refused("refused")]))
    with pytest.raises(HostUnreachable) as info:
        plain.run(pipeline3())
    assert info.value.display_name == "cm01.contoso.com" and info.value.target_key is None


@pytest.mark.parametrize(
    "exc, reason, opens",
    [
        (requests.exceptions.ConnectionError("[Errno 111] Connection refused"), "connection", 3),
        (requests.exceptions.ConnectTimeout("connect timed out"), "timeout", 3),
        (_http_status(503), "protocol", 3),
        (requests.exceptions.SSLError("certificate verify failed"), "tls", 1),  # the same certificate again
        (_name_resolution_error(), "dns", 1),
        (_http_status(401), "auth", 1),
    ],
)
def test_open_is_the_one_reconnection_layer(exc, reason, opens):
    """1 + reconnection_retries (2) attempts for a connection problem, one for what would fail the same way; and
    pypsrp is asked for no retries of its own (they would multiply ours)."""
    exc.at_open = True
    t = FakeTransport([exc] * 3)
    sleeps: list = []
    with pytest.raises(HostUnreachable) as info:
        session_with(t, sleeps).open()
    assert info.value.reason == reason and t.opens == opens
    assert sleeps == [0.5, 1.0][: opens - 1]
    assert OPTS.reconnection_retries == 2 and OPTS.wsman_kwargs()["reconnection_retries"] == 0
    assert OPTS.wsman_kwargs()["reconnection_backoff"] == 0.5


def test_no_script_possible():
    with pytest.raises(ValueError):
        Command("Get-Item; Remove-Item C:\\")
    with pytest.raises(ValueError):
        Command("Get-Item").param("Path; x")


def _fault(code, reason):
    from pypsrp.exceptions import WSManFaultError

    return WSManFaultError(code, "cm01", reason, None, None, None)


@pytest.mark.parametrize(
    "code, kind, reason",
    [
        (0x803381A4, "fault", None),  # quota exceeded: a failure of this call, not an unreachable host
        (0x8033805B, "fault", None),  # shell not found
        (0x80070005, "unreachable", "auth"),  # access denied
        (5, "unreachable", "auth"),
        (0x80338012, "unreachable", "connection"),  # the client cannot connect
        (0x80338029, "unreachable", "timeout"),
    ],
)
def test_wsman_faults_are_failures_unless_auth_or_connection(code, kind, reason):
    t = FakeTransport([_fault(code, "The WS-Management service cannot process the request (Pw0rd!).")] * 2)
    with pytest.raises(Exception) as info:
        session_with(t).run(pipeline3(), idempotent=True)
    err = info.value
    assert "Pw0rd!" not in str(err) and "cm01.contoso.com" in str(err) and "read things" in str(err)
    if kind == "fault":
        assert isinstance(err, RemoteFault) and isinstance(err, CommandFailed) and not isinstance(err, HostUnreachable)
        assert err.fault_code == code and f"0x{code:08X}" in str(err)
        assert t.opens == 1  # not retried: the same request would fail again
    else:
        assert isinstance(err, HostUnreachable) and err.reason == reason
        assert t.opens == (2 if reason == "connection" else 1)  # only the connection fault is worth one retry


def test_one_retry_rule_and_rebuild_on_the_new_pool():
    drop = requests.exceptions.ConnectionError("Connection aborted. RemoteDisconnected")
    t = FakeTransport([drop, _ok])
    session = session_with(t)
    session.open()
    generation = session.generation
    seen = []

    def rebuild():
        seen.append(session.generation)
        return pipeline3()

    session.run(pipeline3(), idempotent=True, rebuild=rebuild)
    assert seen == [generation + 1] and t.opens == 2
    assert RETRY_REASONS == {"connection", "protocol", "no_progress"}
    for exc in (
        requests.exceptions.SSLError("certificate verify failed"),
        requests.exceptions.ConnectionError("NameResolutionError: Name or service not known"),
        requests.exceptions.ReadTimeout("read timed out"),
    ):
        t2 = FakeTransport([exc, _ok])
        with pytest.raises(HostUnreachable):
            session_with(t2).run(pipeline3(), idempotent=True)
        assert t2.opens == 1


def test_quiet_statement_shares_a_segment_and_failures_are_named_by_cmdlet():
    from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.pipeline import segment_starts, segments

    p = Pipeline(operation="enter the drive")
    p.add("New-PSDrive", ("Name", "PS1"), error_action="SilentlyContinue")
    p.add("Set-Location", ("Path", "PS1:"), quiet=True)
    p.add("Get-CMSite")
    p.add("Set-Location", ("Path", "C:"), quiet=True)  # same cmdlet as in an earlier segment: fine
    p.add("Set-Location", ("Path", "D:"), quiet=True)  # twice in one segment: a new segment
    assert segments(p.statements) == [[0, 1], [2, 3], [4]]
    assert segment_starts(p.statements) == [True, False, True, False, True]
    t = FakeTransport([lambda s, m: RawOutcome(output=["drive", m, "site", m])])
    res = session_with(t).run(p)
    assert [r.output for r in res.statements] == [["drive"], [], ["site"], [], []]
    # a terminating error inside the first segment belongs to the statement running the error's cmdlet
    t = FakeTransport([lambda s, m: RawOutcome(output=["drive"], errors=[Rec()], failed=True)])
    with pytest.raises(CommandFailed) as info:
        session_with(t).run(p)
    assert info.value.statement_index == 1 and info.value.partial == [["drive"]]

    class NoName(Rec):
        invocation_name = None

    t = FakeTransport([lambda s, m: RawOutcome(output=["drive", m, "site"], errors=[NoName()], failed=True)])
    with pytest.raises(CommandFailed) as info:
        session_with(t).run(p)
    assert info.value.statement_index == 2  # no name: the first statement of the segment that stops on errors


def test_transport_sends_no_marker_before_a_quiet_statement_nor_after_the_last():
    from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.configmgr.bootstrap import bootstrap_pipeline
    from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.transport import PypsrpTransport

    sent = []

    class Recorder:
        def __init__(self, pool):
            self.commands = sent
            self.state = "Completed"
            self.output, self.had_errors = [], False
            self.streams = type("S", (), {"error": [], "warning": []})()

        def add_cmdlet(self, name):
            sent.append(name)
            return self

        def add_parameter(self, *args):
            return self

        def add_statement(self):
            sent.append(";")
            return self

        def begin_invoke(self):
            pass

    import pypsrp.powershell

    original = pypsrp.powershell.PowerShell
    pypsrp.powershell.PowerShell = Recorder
    try:
        pipe = bootstrap_pipeline("PS1", "cm01.contoso.com", "read")
        pipe.add("Get-CMSite")
        PypsrpTransport(OPTS).invoke(pipe.statements, "mark", None)
    finally:
        pypsrp.powershell.PowerShell = original
    assert sent == [
        "Get-Item",
        ";",
        "Write-Output",
        ";",
        "Import-Module",
        ";",
        "Write-Output",
        ";",
        "New-PSDrive",
        ";",
        "Set-Location",
        ";",
        "Write-Output",
        ";",
        "Get-CMSite",
        ";",
    ]


# -- deadlines, no progress, outcome unknown ----------------------------------------------------------------------
def test_every_pipeline_has_a_deadline():
    import time

    t = FakeTransport([_ok] * 4)
    session = session_with(t)
    session.run(pipeline3())  # default: max(600, 20 x read_timeout 30)
    session.run(pipeline3(), timeout=42)
    session.run(pipeline3(), timeout=7.5)
    slow = Session(
        ConnectionOptions.from_mapping(
            {"host": "h", "username": "u", "password": "p", "auth": "ntlm", "read_timeout": 45, "operation_timeout": 40}
        ),
        transport_factory=lambda o: t,
    )
    slow.run(pipeline3())
    now = time.monotonic()
    assert [d - now for d in t.deadlines] == pytest.approx([600, 42, 7.5, 900], abs=1)
    assert session.call_limit(42) == 42 and slow.call_limit() == 900 and session_with(t).call_limit() == 600
    with pytest.raises(ValueError):
        session.run(pipeline3(), timeout=0)


def test_no_progress_read_is_retried_once_on_a_fresh_pool():
    t = FakeTransport([lambda s, m: RawOutcome(stalled=True, polls=8, waited=4.1), _ok])
    res = session_with(t).run(pipeline3(), idempotent=True)
    assert res[0].output == [1] and t.opens == 2
    t = FakeTransport([lambda s, m: RawOutcome(stalled=True), lambda s, m: RawOutcome(stalled=True, waited=3.0)])
    with pytest.raises(CallTimeout) as info:
        session_with(t).run(pipeline3(), idempotent=True)
    err = info.value
    assert t.opens == 2 and err.reason == "no_progress" and not err.outcome_unknown
    assert "read things on cm01.contoso.com: no progress while waiting for the end of Get-CMSite; " in str(err)


def test_a_hung_read_is_not_retried():
    t = FakeTransport([lambda s, m: RawOutcome(timed_out=True), _ok])
    with pytest.raises(CallTimeout) as info:
        session_with(t).run(pipeline3(), idempotent=True, timeout=3)
    assert t.opens == 1 and info.value.reason == "deadline" and not info.value.outcome_unknown


def test_a_stalled_mutation_is_not_retried_and_its_outcome_is_unknown():
    t = FakeTransport([lambda s, m: RawOutcome(stalled=True), _ok])
    session = session_with(t)
    with pytest.raises(CallTimeout) as info:
        session.run(pipeline3())
    assert t.opens == 1 and len(t.invoked) == 1 and info.value.outcome_unknown
    assert not session.is_open  # the pool is closed: the next run opens a new one


class Flagged(FakeTransport):
    """A transport that says how far the last invoke got."""

    def __init__(self, script, sent=True, accepted=True):
        super().__init__(script)
        self.sent, self.accepted = sent, accepted


def _drop():
    return requests.exceptions.ConnectionError("Connection aborted. RemoteDisconnected")


def test_a_lost_answer_of_a_mutation_is_outcome_unknown():
    with pytest.raises(HostUnreachable) as info:
        session_with(Flagged([_drop()])).run(pipeline3())
    err = info.value
    assert err.outcome_unknown and err.reason == "connection" and err.changed  # unknown is never "unchanged"
    assert str(err).endswith(f"({OUTCOME_UNKNOWN_NOTE})") and "read things on cm01.contoso.com" in str(err)
    with pytest.raises(HostUnreachable) as info:  # a read timeout of the Receive: the same
        session_with(Flagged([requests.exceptions.ReadTimeout("read timed out")])).run(pipeline3())
    assert info.value.outcome_unknown and info.value.reason == "timeout"
    with pytest.raises(HostUnreachable) as info:  # a transport that does not say: taken as sent
        session_with(FakeTransport([_drop()])).run(pipeline3())
    assert info.value.outcome_unknown


def test_known_outcomes_are_not_marked():
    with pytest.raises(HostUnreachable) as info:  # the Command never went out
        session_with(Flagged([_drop()], sent=False, accepted=False)).run(pipeline3())
    assert not info.value.outcome_unknown and OUTCOME_UNKNOWN_NOTE not in str(info.value)
    with pytest.raises(HostUnreachable) as info:  # reads are never marked (they retry instead)
        session_with(Flagged([_drop(), _drop()])).run(pipeline3(), idempotent=True)
    assert not info.value.outcome_unknown
    refused = _fault(0x803381A4, "quota exceeded")
    with pytest.raises(RemoteFault) as info:  # a WSManFault answering the Command: it did not run
        session_with(Flagged([refused], accepted=False)).run(pipeline3())
    assert not info.value.outcome_unknown
    with pytest.raises(RemoteFault) as info:  # ... once the host had accepted it: unknown
        session_with(Flagged([_fault(0x8033805B, "shell not found")])).run(pipeline3())
    assert info.value.outcome_unknown
    t = Flagged([lambda s, m: RawOutcome(output=["a", m], errors=[Rec()], failed=True)])
    with pytest.raises(CommandFailed) as info:  # an error record is an answer
        session_with(t).run(pipeline3())
    assert not info.value.outcome_unknown


class FakePS:
    """A begun pypsrp PowerShell: `answers` says what each poll does (None = nothing new, "out" = one output,
    "done" = the final state); `delay` is how long each poll takes on the fake clock (None = the whole wait)."""

    def __init__(self, answers, clock, delay=None):
        self.answers = list(answers)
        self.clock = clock
        self.delay = delay
        self.state = "running"
        self.output = []
        self.streams = type("Streams", (), {"error": [], "warning": [], "verbose": []})()
        self.timeouts = []

    def poll_invoke(self, timeout=None):
        self.timeouts.append(timeout)
        answer = self.answers.pop(0) if self.answers else None
        self.clock.now += (timeout or 20) if self.delay is None else self.delay
        if answer == "out":
            self.output.append(len(self.output))
        elif answer == "warn":
            self.streams.warning.append("w")
        elif answer == "done":
            self.state = "completed"


class Clock:
    def __init__(self):
        self.now = 100.0
        self.sleeps = []

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds


def test_poll_loop_ends_a_hung_call_at_its_deadline():
    clock = Clock()
    ps = FakePS([], clock)  # every Receive long-polls and returns nothing
    ended, polls = poll_until_done(ps, 100.0 + 45, 20, "running", clock=clock, sleep=clock.sleep)
    assert ended == "deadline" and polls == 3 and clock.now == 145.0
    assert ps.timeouts == [None, None, 5]  # the last Receive waits only until the deadline
    assert clock.sleeps == []  # long-polls are not idle: no backoff


def test_poll_loop_stops_on_answers_that_bring_nothing():
    clock = Clock()
    ps = FakePS([], clock, delay=0.002)  # a lost answer: the host answers at once, empty
    ended, polls = poll_until_done(ps, 100.0 + 300, 20, "running", clock=clock, sleep=clock.sleep)
    assert ended == "no_progress" and polls == transport_module.NO_PROGRESS_POLLS == 8
    assert clock.sleeps == [0.1, 0.2, 0.4, 0.8, 1.0, 1.0, 1.0]  # backs off instead of spinning
    assert clock.now - 100.0 < 5


def test_poll_loop_progress_resets_the_idle_count_and_finishes():
    clock = Clock()
    answers = ([None] * 7 + ["out"]) * 3 + [None] * 7 + ["warn", "done"]
    ps = FakePS(answers, clock, delay=0.001)
    ended, polls = poll_until_done(ps, 100.0 + 300, 20, "running", clock=clock, sleep=clock.sleep)
    assert ended is None and polls == len(answers) and ps.output == [0, 1, 2] and ps.state == "completed"


def test_poll_loop_idle_backoff_never_passes_the_deadline():
    clock = Clock()
    ps = FakePS([], clock, delay=0.01)
    ended, _polls = poll_until_done(ps, 100.0 + 0.5, 1, "running", clock=clock, sleep=clock.sleep)
    assert ended == "deadline" and clock.now == pytest.approx(100.5, abs=0.02)


def test_poll_loop_counts_fragments_of_a_big_object_as_progress():
    clock = Clock()
    ps = FakePS([], clock, delay=0.002)
    buffer = {}
    ps.runspace_pool = type("Pool", (), {"_fragmenter": type("Fragmenter", (), {"incoming_buffer": buffer})()})()
    polls = []

    def receive(timeout=None):  # 20 Receives carry fragments of one object, then it completes
        polls.append(timeout)
        clock.now += 0.002
        if len(polls) < 20:
            buffer[7] = {"data": b"x", "id": len(polls)}
        else:
            buffer.clear()
            ps.output.append("big")
            ps.state = "completed"

    ps.poll_invoke = receive
    ended, count = poll_until_done(ps, 100.0 + 300, 20, "running", clock=clock, sleep=clock.sleep)
    assert ended is None and count == 20 and ps.output == ["big"] and clock.sleeps == []
