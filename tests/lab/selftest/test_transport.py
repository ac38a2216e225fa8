"""Self-tests of the lab transport against an unmodified pypsrp client."""

from __future__ import annotations

import logging
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import requests
from psrpcore import ServerPipeline
from psrpcore.types import ErrorCategory, ErrorCategoryInfo, ErrorRecord, NETException, PSObject, add_note_property
from psrpcore.types import PSInvocationState as CoreState
from pypsrp.client import Client
from pypsrp.exceptions import AuthenticationError, WSManFaultError
from pypsrp.powershell import PowerShell, PSInvocationState, RunspacePool
from pypsrp.shell import WinRS

from tests.lab.selftest.conftest import BADCBT, FAULTY, PLAIN, SECURE, TransportLab
from tests.lab.wsman import compat, trace
from tests.lab.wsman.fake import FakeBackend
from tests.lab.wsman.server import EndpointConfig, WSManServer


def run(pool: RunspacePool, cmdlet: str, input: Any = None, **params: Any) -> tuple[PowerShell, list[Any]]:
    ps = PowerShell(pool)
    ps.add_cmdlet(cmdlet)
    for name, value in params.items():
        ps.add_parameter(name, value)
    return ps, ps.invoke(input=input)


def props(obj: Any) -> dict[str, Any]:
    return dict(obj.adapted_properties, **obj.extended_properties)


# -- compat: one test per private psrpcore use -------------------------------------------------------------------
def test_compat_mark_running_emits_nothing() -> None:
    pool = compat.LabRunspacePool()
    pipeline = ServerPipeline(pool, uuid.uuid4())
    compat.mark_running(pipeline)
    assert pipeline.state == CoreState.Running
    assert pool.data_to_send() is None


def test_compat_fail_pipeline_emits_failed_state() -> None:
    pool = compat.LabRunspacePool()
    pipeline = ServerPipeline(pool, uuid.uuid4())
    compat.mark_running(pipeline)
    compat.fail_pipeline(
        pipeline, ErrorRecord(Exception=NETException(Message="boom"), CategoryInfo=ErrorCategoryInfo())
    )
    payload = pool.data_to_send()
    assert pipeline.state == CoreState.Failed
    assert payload is not None and trace.message_types(payload.data) == ["PipelineState"]
    assert b"boom" in payload.data


def test_compat_ci_alias() -> None:
    class Event:  # the shape psrpcore's events have
        def __init__(self, obj: PSObject) -> None:
            self._ps_object = obj

    obj = PSObject()
    add_note_property(obj, "CI", 7)
    compat._alias_ci(Event(obj))  # pylint: disable=protected-access
    assert obj.ci == 7


# -- auth matrix -------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "name, auth, kwargs",
    [
        (PLAIN, "basic", {}),
        (PLAIN, "ntlm", {}),
        (PLAIN, "ntlm", {"encryption": "never"}),
        (PLAIN, "negotiate", {}),
        (SECURE, "basic", {}),
        (SECURE, "ntlm", {}),
        (SECURE, "negotiate", {"encryption": "always"}),
        (SECURE, "certificate", {}),
    ],
    ids=[
        "basic-http",
        "ntlm-http-sealed",
        "ntlm-http-plain",
        "negotiate-http",
        "basic-https",
        "ntlm-https-cbt",
        "negotiate-https-sealed",
        "cert-https",
    ],
)
def test_auth_matrix(transport_lab: TransportLab, name: str, auth: str, kwargs: dict[str, Any]) -> None:
    with RunspacePool(transport_lab.wsman(name, auth, **kwargs)) as pool:
        _unused, out = run(pool, "Get-Thing", Name=f"{auth}-thing", Count=2)
    assert [props(o)["Name"] for o in out] == [f"{auth}-thing"] * 2
    assert [props(o)["Index"] for o in out] == [0, 1]
    assert out[0].types[0] == "Lab.Thing"
    assert transport_lab.backend.runspaces[-1].user == "LAB\\lab"
    assert transport_lab.backend.runspaces[-1].closed


def test_ntlm_handshake_is_recorded_as_auth(transport_lab: TransportLab) -> None:
    before = len(transport_lab.backend.requests)
    with RunspacePool(transport_lab.wsman(PLAIN, "ntlm")):
        pass
    actions = [r[1] for r in transport_lab.backend.requests[before:] if r[0] == PLAIN]
    assert actions[:3] == ["auth", "auth", "auth"] and "Create" in actions and actions[-1] == "Delete"


@pytest.mark.parametrize("auth", ["basic", "ntlm", "negotiate"])
def test_wrong_password(transport_lab: TransportLab, auth: str) -> None:
    with pytest.raises(AuthenticationError):
        RunspacePool(transport_lab.wsman(PLAIN, auth, password="wrong")).open()


@pytest.mark.parametrize("auth", ["basic", "ntlm"])
def test_unauthorized_user(transport_lab: TransportLab, auth: str) -> None:
    with pytest.raises(AuthenticationError):
        RunspacePool(transport_lab.wsman(PLAIN, auth, user="LAB\\nobody", password="nopass")).open()


def test_https_without_ca_fails_validation(transport_lab: TransportLab) -> None:
    with pytest.raises(requests.exceptions.SSLError):
        RunspacePool(transport_lab.wsman(SECURE, "basic", cert_validation=True)).open()


def test_channel_binding_is_checked(transport_lab: TransportLab) -> None:
    with pytest.raises(AuthenticationError):
        RunspacePool(transport_lab.wsman(BADCBT, "ntlm")).open()
    with RunspacePool(transport_lab.wsman(BADCBT, "basic")) as pool:  # the endpoint itself works
        assert run(pool, "Warn-Thing")[1] == ["warned"]


# -- pipelines ---------------------------------------------------------------------------------------------------
def test_error_semantics(transport_lab: TransportLab) -> None:
    with RunspacePool(transport_lab.wsman(PLAIN)) as pool:
        ps, out = run(pool, "Error-Thing")
        assert out == ["after error"] and not ps.had_errors
        err = ps.streams.error[0]
        assert str(err) == "Thing not found" and err.fq_error == "ThingNotFound,Error-Thing"
        assert (
            err.category == ErrorCategory.ObjectNotFound.value
            and err.activity == "Error-Thing"
            and err.target_name == "missing"
        )
        ps, out = run(pool, "Fail-Thing")
        assert out == ["before failure"] and ps.had_errors and ps.state == PSInvocationState.FAILED
        err = ps.streams.error[-1]
        assert (
            str(err) == "Thing failed"
            and err.fq_error == "ThingFailed,Fail-Thing"
            and err.reason == "InvalidOperationException"
        )
        ps, out = run(pool, "No-SuchThing")
        assert ps.had_errors and "not recognized" in str(ps.streams.error[-1])
        ps, out = run(pool, "Warn-Thing")
        assert [w.message for w in ps.streams.warning] == ["thing is odd"]
        assert [v.message for v in ps.streams.verbose] == ["looking at thing"]


def test_big_output_and_big_parameter(transport_lab: TransportLab) -> None:
    before = len(transport_lab.backend.requests)
    with RunspacePool(transport_lab.wsman(PLAIN)) as pool:
        _unused, out = run(pool, "Big-Thing")
        assert sum(len(s) for s in out) == 3 * 1024 * 1024
        assert out[0][0] == "a" and out[1][0] == "b"
        _unused, out = run(pool, "Echo-Thing", Value="x" * 1_000_000, Length=True)
        assert out == [1_000_000]
    log = [r for r in transport_lab.backend.requests[before:] if r[0] == PLAIN]
    receives = [r for r in log if r[1] == "Receive"]
    assert len(receives) >= 8 and max(r[3] for r in receives) <= 512000
    assert [r for r in log if r[1] == "Send"], "a 1 MB CreatePipeline must continue in Send requests"


def test_pipeline_input_and_execute_ps(transport_lab: TransportLab) -> None:
    with RunspacePool(transport_lab.wsman(PLAIN)) as pool:
        assert run(pool, "Echo-Thing", input=[1, 2, 3])[1] == [1, 2, 3]
        pool.max_runspaces = 3  # SET_MAX_RUNSPACES with pypsrp's "CI" call id
        assert pool.max_runspaces == 3
    client = Client(
        "127.0.0.1",
        port=transport_lab.server.port(PLAIN),
        ssl=False,
        auth="basic",
        encryption="never",
        username="LAB\\lab",
        password="labpass",
    )
    output, streams, had_errors = client.execute_ps("Get-Thing -Name abc")
    assert output == "abc" and not had_errors and not streams.error


def test_operation_timeout_long_poll(transport_lab: TransportLab) -> None:
    before = len(transport_lab.backend.requests)
    with RunspacePool(transport_lab.wsman(PLAIN, operation_timeout=1)) as pool:
        assert run(pool, "Slow-Thing", Seconds=2.3)[1] == ["slow done"]
    timed_out = [
        r for r in transport_lab.backend.requests[before:] if r[0] == PLAIN and r[1] == "Receive" and r[4] == 500
    ]
    assert len(timed_out) >= 1


def test_stop(transport_lab: TransportLab) -> None:
    with RunspacePool(transport_lab.wsman(PLAIN)) as pool:
        ps = PowerShell(pool)
        ps.add_cmdlet("Slow-Thing").add_parameter("Seconds", 30)
        ps.begin_invoke()
        ps.stop()
        assert ps.state == PSInvocationState.STOPPED
        assert run(pool, "Warn-Thing")[1] == ["warned"]


def test_is_alive_and_unknown_shell(transport_lab: TransportLab) -> None:
    wsman = transport_lab.wsman(PLAIN)
    pool = RunspacePool(wsman)
    pool.open()
    assert pool.is_alive()
    pool.close()
    shell = WinRS(
        transport_lab.wsman(PLAIN), resource_uri="http://schemas.microsoft.com/powershell/Microsoft.PowerShell"
    )
    shell._selector_set = pool.shell._selector_set  # pylint: disable=protected-access
    with pytest.raises(WSManFaultError) as info:
        shell._get_shell()  # pylint: disable=protected-access
    assert info.value.code == 0x8033805B


def test_soap_faults(transport_lab: TransportLab) -> None:
    wsman = transport_lab.wsman(PLAIN)
    with pytest.raises(WSManFaultError) as info:
        wsman.invoke(
            "http://schemas.xmlsoap.org/ws/2004/09/enumeration/Bogus",
            "http://schemas.microsoft.com/wbem/wsman/1/windows/shell",
            None,
        )
    assert info.value.code == 0x80338006
    with RunspacePool(transport_lab.wsman(PLAIN)) as pool:
        with pytest.raises(WSManFaultError):
            run(pool, "Get-Thing", Count=2**31)  # pypsrp sends <I32>2147483648</I32>: psrpcore rejects it


# -- faults and load ---------------------------------------------------------------------------------------------
def test_fault_drop(transport_lab: TransportLab, transport_backend: FakeBackend) -> None:
    transport_backend.add_fault("request", "drop", endpoint=FAULTY, detail="Create")
    with pytest.raises(requests.exceptions.ConnectionError):
        RunspacePool(transport_lab.wsman(FAULTY)).open()
    assert (FAULTY, "Create", pytest.approx(0, abs=10**6), 0, 0) in transport_backend.requests


def test_fault_timeout(transport_lab: TransportLab, transport_backend: FakeBackend) -> None:
    transport_backend.add_fault("request", "timeout", endpoint=FAULTY, detail="Create")
    with pytest.raises(requests.exceptions.ReadTimeout):
        RunspacePool(transport_lab.wsman(FAULTY, read_timeout=1)).open()


def test_fault_fail_auth(transport_lab: TransportLab, transport_backend: FakeBackend) -> None:
    transport_backend.add_fault("auth", "fail_auth", endpoint=FAULTY)
    with pytest.raises(AuthenticationError):
        RunspacePool(transport_lab.wsman(FAULTY, "ntlm")).open()
    with RunspacePool(transport_lab.wsman(FAULTY, "ntlm")) as pool:  # the rule was used up
        assert run(pool, "Warn-Thing")[1] == ["warned"]


def _begin(pool: RunspacePool, cmdlet: str, **params: Any) -> PowerShell:
    ps = PowerShell(pool)
    ps.add_cmdlet(cmdlet)
    for name, value in params.items():
        ps.add_parameter(name, value)
    ps.begin_invoke()
    return ps


def _ran(backend: FakeBackend, name: str) -> int:
    return sum(1 for endpoint, _user, names in backend.calls if endpoint == FAULTY and name in names)


def test_fault_hang(transport_lab: TransportLab, transport_backend: FakeBackend) -> None:
    transport_backend.add_fault("pipeline", "hang", endpoint=FAULTY, detail="Slow-Thing")
    before = _ran(transport_backend, "Slow-Thing")
    with RunspacePool(transport_lab.wsman(FAULTY, operation_timeout=1, read_timeout=3)) as pool:
        assert run(pool, "Warn-Thing")[1] == ["warned"]  # the fault waits for a pipeline running Slow-Thing
        ps = _begin(pool, "Slow-Thing", Seconds=0)
        for _attempt in range(2):  # every Receive waits its operation timeout, empty
            start = time.monotonic()
            ps.poll_invoke()
            assert time.monotonic() - start >= 0.9
        assert ps.state == PSInvocationState.RUNNING and ps.output == []
        ps.stop()
        assert ps.state == PSInvocationState.STOPPED
        assert run(pool, "Slow-Thing", Seconds=0)[1] == ["slow done"]  # the pool works; the fault is used up
    assert _ran(transport_backend, "Slow-Thing") == before + 1  # the hung pipeline never ran
    assert not transport_backend.faults


def test_fault_lost_receive(transport_lab: TransportLab, transport_backend: FakeBackend) -> None:
    transport_backend.add_fault("receive", "lost_receive", endpoint=FAULTY, detail="Get-Thing")
    before = len(transport_backend.requests)
    with RunspacePool(
        transport_lab.wsman(FAULTY, operation_timeout=1, read_timeout=2, reconnection_backoff=0.1)
    ) as pool:
        ps = _begin(pool, "Get-Thing", Name="lost")
        # The answer that ends the pipeline is held (3 s) past the read timeout (2 s); pypsrp sends the Receive
        # again, and the host has nothing left to send: the pipeline is done there.
        ps.poll_invoke()
        assert ps.state == PSInvocationState.RUNNING and ps.output == []
        start = time.monotonic()
        ps.poll_invoke()  # every further Receive: at once, with nothing
        assert time.monotonic() - start < 0.5 and ps.state == PSInvocationState.RUNNING and ps.output == []
    for _attempt in range(50):  # the held request is logged (status 0) when the hold ends
        log = [r for r in transport_backend.requests[before:] if r[0] == FAULTY and r[1] == "Receive"]
        if 0 in [r[4] for r in log]:
            break
        time.sleep(0.1)
    assert [r[4] for r in log].count(0) == 1  # one Receive went unanswered
    assert _ran(transport_backend, "Get-Thing") >= 1 and not transport_backend.faults


def test_fault_drop_after(transport_lab: TransportLab, transport_backend: FakeBackend) -> None:
    transport_backend.add_fault("receive", "drop_after", endpoint=FAULTY, detail="Echo-Thing")
    transport_backend.add_fault("receive", "drop_after", endpoint=FAULTY, detail="No-SuchThing")  # never matches
    before = _ran(transport_backend, "Echo-Thing")
    with RunspacePool(transport_lab.wsman(FAULTY)) as pool:
        assert run(pool, "Get-Thing", Name="x")[1]  # other pipelines are not touched
        ps = _begin(pool, "Echo-Thing", Value="ran")
        with pytest.raises(requests.exceptions.ConnectionError):
            ps.poll_invoke()  # the connection closes instead of the answer
    assert _ran(transport_backend, "Echo-Thing") == before + 1  # ... after the command ran
    assert [r.detail for r in transport_backend.faults] == ["No-SuchThing"]


def test_concurrent_clients(transport_lab: TransportLab) -> None:
    def client(i: int) -> list[str]:
        with RunspacePool(transport_lab.wsman(PLAIN)) as pool:
            return [props(run(pool, "Get-Thing", Name=f"c{i}-{j}")[1][0])["Name"] for j in range(3)]

    with ThreadPoolExecutor(20) as executor:
        results = list(executor.map(client, range(20)))
    assert results == [[f"c{i}-{j}" for j in range(3)] for i in range(20)]
    assert transport_lab.server.shell_count(PLAIN) == 0


def test_tracer(transport_lab: TransportLab, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setenv("LAB_TRACE", "1")
    with caplog.at_level(logging.INFO, logger="tests.lab.wsman.trace"):
        with RunspacePool(transport_lab.wsman(PLAIN)) as pool:
            run(pool, "Warn-Thing")
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert "Create 200 in=SessionCapability,InitRunspacePool" in text
    assert "Receive 200 in=- out=WarningRecord,VerboseRecord,PipelineOutput,PipelineState" in text


def test_server_stop_joins_threads() -> None:
    backend = FakeBackend()
    server = WSManServer(backend, [EndpointConfig("one.lab.local"), EndpointConfig("two.lab.local")])
    ports = server.start()
    assert len(set(ports.values())) == 2 and all(ports.values())
    before = threading.active_count()
    pool = RunspacePool(TransportLab(server, backend, None).wsman("one.lab.local"))  # type: ignore[arg-type]
    pool.open()
    ps = PowerShell(pool)
    ps.add_cmdlet("Slow-Thing").add_parameter("Seconds", 30)
    ps.begin_invoke()  # a worker thread and a keep-alive connection stay open
    server.stop()
    assert backend.runspaces[0].closed
    assert threading.active_count() <= before - 2  # both serve_forever threads are gone
    assert not [t for t in threading.enumerate() if t.name in ("wsman-one.lab.local", "wsman-two.lab.local")]
    assert f"pipeline-{str(ps.id).upper()}" not in [t.name for t in threading.enumerate()]
