"""Session logic with a fake transport: splitting, failures, retries, error translation."""
from __future__ import annotations

import pytest
import requests

from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.errors import CommandFailed, HostUnreachable, RemoteFault
from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.options import ConnectionOptions
from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.pipeline import SWITCH, Command, Pipeline
from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.session import RETRY_REASONS, Session, classify_transport_error
from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.transport import RawOutcome

OPTS = ConnectionOptions.from_mapping({"host": "cm01.contoso.com", "username": "u", "password": "Pw0rd!",
                                       "auth": "ntlm", "reconnection_retries": 2, "reconnection_backoff": 0.5})


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
        self.script = list(script)     # per invoke: callable(statements, marker) -> RawOutcome, or exception
        self.opens = 0
        self.invoked = []

    def open(self):
        self.opens += 1
        if self.script and isinstance(self.script[0], Exception) and getattr(self.script[0], "at_open", False):
            raise self.script.pop(0)

    def invoke(self, statements, marker, deadline):
        self.invoked.append(statements)
        step = self.script.pop(0)
        if isinstance(step, Exception):
            raise step
        return step(statements, marker)

    def close(self):
        pass


def session_with(transport, sleeps=None):
    return Session(OPTS, transport_factory=lambda o: transport, sleep=(sleeps.append if sleeps is not None else lambda s: None))


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
    t = FakeTransport([lambda s, m: RawOutcome(output=[], timed_out=True)])
    with pytest.raises(HostUnreachable) as info:
        session_with(t).run(pipeline3(), timeout=5)
    assert info.value.reason == "timeout"


@pytest.mark.parametrize("exc, reason", [
    (requests.exceptions.SSLError("certificate verify failed"), "tls"),
    (requests.exceptions.ReadTimeout("read timed out"), "timeout"),
    (requests.exceptions.ConnectionError("NameResolutionError: Name or service not known"), "dns"),
    (ValueError("boom"), None),
])
def test_classify(exc, reason):
    got = classify_transport_error(exc, "h", "op")
    assert (got.reason if got else None) == reason


def test_no_script_possible():
    with pytest.raises(ValueError):
        Command("Get-Item; Remove-Item C:\\")
    with pytest.raises(ValueError):
        Command("Get-Item").param("Path; x")


def _fault(code, reason):
    from pypsrp.exceptions import WSManFaultError
    return WSManFaultError(code, "cm01", reason, None, None, None)


@pytest.mark.parametrize("code, kind, reason", [
    (0x803381A4, "fault", None),                 # quota exceeded: a failure of this call, not an unreachable host
    (0x8033805B, "fault", None),                 # shell not found
    (0x80070005, "unreachable", "auth"),         # access denied
    (5, "unreachable", "auth"),
    (0x80338012, "unreachable", "connection"),   # the client cannot connect
    (0x80338029, "unreachable", "timeout"),
])
def test_wsman_faults_are_failures_unless_auth_or_connection(code, kind, reason):
    t = FakeTransport([_fault(code, "The WS-Management service cannot process the request (Pw0rd!).")] * 2)
    with pytest.raises(Exception) as info:
        session_with(t).run(pipeline3(), idempotent=True)
    err = info.value
    assert "Pw0rd!" not in str(err) and "cm01.contoso.com" in str(err) and "read things" in str(err)
    if kind == "fault":
        assert isinstance(err, RemoteFault) and isinstance(err, CommandFailed) and not isinstance(err, HostUnreachable)
        assert err.fault_code == code and "0x%08X" % code in str(err)
        assert t.opens == 1                          # not retried: the same request would fail again
    else:
        assert isinstance(err, HostUnreachable) and err.reason == reason
        assert t.opens == (2 if reason == "connection" else 1)   # only the connection fault is worth one retry


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
    assert RETRY_REASONS == {"connection", "protocol"}
    for exc in (requests.exceptions.SSLError("certificate verify failed"),
                requests.exceptions.ConnectionError("NameResolutionError: Name or service not known"),
                requests.exceptions.ReadTimeout("read timed out")):
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
    p.add("Set-Location", ("Path", "C:"), quiet=True)      # same cmdlet as in an earlier segment: fine
    p.add("Set-Location", ("Path", "D:"), quiet=True)      # twice in one segment: a new segment
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
    assert info.value.statement_index == 2          # no name: the first statement of the segment that stops on errors


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
    assert sent == ["Get-Item", ";", "Write-Output", ";", "Import-Module", ";", "Write-Output", ";", "New-PSDrive", ";",
                    "Set-Location", ";", "Write-Output", ";", "Get-CMSite", ";"]
