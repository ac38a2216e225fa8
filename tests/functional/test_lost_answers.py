"""Remote calls that never answer, and answers that are lost: every pipeline ends by its deadline, a poll loop that
gets nothing new stops instead of spinning, and a changing call whose answer was lost says that its outcome is
unknown (the lab shows what really happened)."""

from __future__ import annotations

import time

import pytest

from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.configmgr.provider import SiteProvider
from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.errors import (
    OUTCOME_UNKNOWN_NOTE,
    CallTimeout,
    HostUnreachable,
)
from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.session import Session
from tests.functional.conftest import DeadlineSession

CM01, SCP01 = "cm01.contoso.com", "scp01.contoso.com"
READ = "read the hierarchy and the service connection point"
ADD = f"add the service connection point on {SCP01}"
# Short timeouts so a lost answer is noticed in seconds: each Receive long-polls 1 s, an HTTP answer is awaited 2 s.
FAST = {"operation_timeout": 1, "read_timeout": 2, "reconnection_backoff": 0.1}


def provider(kit, deadline=None, **overrides):
    options = kit.options(CM01, **dict(FAST, **overrides))
    session = Session(options) if deadline is None else DeadlineSession(options, deadline)
    kit.sessions.append(session)
    prov = SiteProvider(session, site_code="PS1")
    prov.read_state(include=("sites",))  # pool open and bootstrapped: the faults hit the call under test
    kit.lab.clear_log()
    return prov


def receives(kit):
    return [r for r in kit.lab.requests() if r["host"] == CM01 and r["action"] == "Receive"]


def test_a_hung_provider_call_ends_at_its_deadline(make_lab):
    kit = make_lab("standalone-primary")
    prov = provider(kit, deadline=4)
    kit.lab.add_fault("hang", host=CM01, cmdlet="Get-CMSite")
    start = time.monotonic()
    with pytest.raises(CallTimeout) as info:
        prov.read_state()
    took = time.monotonic() - start
    err = info.value
    assert 4 <= took < 4 + 3, took  # the deadline plus a little (the Stop signal, a Delete)
    assert err.reason == "deadline" and err.limit == 4 and err.host == CM01 and err.operation == READ
    assert str(err).startswith(f"{READ} on {CM01}: no answer within 4 s while running")
    assert not err.outcome_unknown and not isinstance(err, HostUnreachable)  # a read: nothing to be unsure about
    assert len(receives(kit)) <= 8  # long-polls, no spinning
    assert "Get-CMSite" not in [c["cmdlet"] for c in kit.lab.calls()]  # it never ran (and was not retried)
    assert prov.read_state().scp is None  # the next call opens a new pool and works


def test_a_hung_mutation_ends_at_its_deadline_with_an_unknown_outcome(make_lab):
    kit = make_lab("standalone-primary")
    prov = provider(kit, deadline=3)
    kit.lab.add_fault("hang", host=CM01, cmdlet="Add-CMServiceConnectionPoint")
    start = time.monotonic()
    with pytest.raises(CallTimeout) as info:
        prov.add_scp(SCP01, "Online")
    assert time.monotonic() - start < 3 + 3
    err = info.value
    assert err.outcome_unknown and OUTCOME_UNKNOWN_NOTE in str(err)
    assert err.operation == ADD and CM01 in str(err) and "Get-Date" in err.statement
    assert kit.lab.state()["scp"]["configured"] is None  # here it did not run: only a new read can tell


def test_a_lost_receive_of_a_read_does_not_spin(make_lab):
    kit = make_lab("standalone-with-scp", fault_hold=4.0)
    prov = provider(kit)  # the default deadline (600 s) is not what ends it
    kit.lab.add_fault("lost_receive", host=CM01, cmdlet="Get-CMSite")
    start = time.monotonic()
    state = prov.read_state()  # no progress -> stopped, then the one retry of a read
    took = time.monotonic() - start
    assert state.scp.server == CM01
    assert len(kit.lab.requests()) < 200 and took < 20, (len(kit.lab.requests()), took)
    assert [c["cmdlet"] for c in kit.lab.calls()].count("Get-CMSite") == 2  # ran, answer lost, ran again
    assert not kit.lab.world.faults.pending()


def test_a_lost_receive_of_a_mutation_is_outcome_unknown(make_lab):
    kit = make_lab("standalone-primary", fault_hold=4.0)
    prov = provider(kit)
    kit.lab.add_fault("lost_receive", host=CM01, cmdlet="Add-CMServiceConnectionPoint")
    start = time.monotonic()
    with pytest.raises(CallTimeout) as info:
        prov.add_scp(SCP01, "Online")
    took = time.monotonic() - start
    err = info.value
    assert err.reason == "no_progress" and err.outcome_unknown and err.operation == ADD and err.host == CM01
    assert str(err).startswith(
        f"{ADD} on {CM01}: no progress while waiting for the end of Get-Date; "
        "Add-CMServiceConnectionPoint -SiteSystemServerName -SiteCode -Mode"
    )
    assert len(kit.lab.requests()) < 200 and took < 20, (len(kit.lab.requests()), took)
    assert err.polls < 20
    assert [c["cmdlet"] for c in kit.lab.calls()].count("Add-CMServiceConnectionPoint") == 1  # never repeated
    assert kit.lab.state()["scp"]["configured"]["server"] == SCP01  # the Add happened
    assert prov.read_state().scp.server == SCP01  # and reading again shows it


def test_drop_after_a_mutation_is_outcome_unknown(make_lab):
    kit = make_lab("standalone-primary")
    prov = provider(kit)
    kit.lab.add_fault("drop_after", host=CM01, cmdlet="Add-CMServiceConnectionPoint")
    with pytest.raises(HostUnreachable) as info:
        prov.add_scp(SCP01, "Online")
    err = info.value
    assert err.outcome_unknown and err.reason == "connection" and err.changed  # unknown is never "unchanged"
    assert err.host == CM01 and err.operation == ADD and str(err).startswith(f"{ADD} on {CM01}: ")
    assert str(err).endswith(f"({OUTCOME_UNKNOWN_NOTE})")
    calls = [c for c in kit.lab.calls() if c["cmdlet"] == "Add-CMServiceConnectionPoint"]
    assert [c["outcome"] for c in calls] == ["ok"]  # it ran once and was not retried
    assert kit.lab.state()["scp"]["configured"]["server"] == SCP01
    assert prov.read_state().scp.server == SCP01


def test_drop_after_a_read_is_retried_once(make_lab):
    kit = make_lab("standalone-with-scp")
    prov = provider(kit)
    kit.lab.add_fault("drop_after", host=CM01, cmdlet="Get-CMSite")
    assert prov.read_state().scp.server == CM01
    assert [c["cmdlet"] for c in kit.lab.calls()].count("Import-Module") == 1  # bootstrapped again on the new pool


def test_an_object_bigger_than_many_receives_is_progress():
    """One 8 MB object spans ~20 Receives that complete no message: the fragments count as progress."""
    from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.options import ConnectionOptions
    from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.pipeline import Pipeline
    from tests.lab.wsman.fake import FakeBackend
    from tests.lab.wsman.server import EndpointConfig, WSManServer

    with WSManServer(FakeBackend(), [EndpointConfig("big.lab.local")]) as server:
        opts = ConnectionOptions.from_mapping(
            {
                "host": "127.0.0.1",
                "port": server.port("big.lab.local"),
                "protocol": "http",
                "auth": "basic",
                "username": "LAB\\lab",
                "password": "labpass",
                "allow_basic_over_http": True,
            }
        )
        pipe = Pipeline(operation="echo a big value")
        pipe.add("Echo-Thing", ("Value", "x" * 8_000_000))
        with Session(opts) as session:
            assert len(session.run(pipe, timeout=60)[0].first) == 8_000_000
