"""Faults end in the right exception, with a message that names the host and the operation and no secret."""

from __future__ import annotations

import pytest

from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.configmgr.provider import SiteProvider
from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.errors import CommandFailed, HostUnreachable
from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.session import Session

CM01, SCP01 = "cm01.contoso.com", "scp01.contoso.com"
PASSWORD = "P@ssw0rd!"


def test_connection_drop_during_a_mutation_is_unreachable(make_lab):
    kit = make_lab("standalone-primary")
    prov = kit.provider()
    prov.read_state()  # pool open, bootstrap done: Command #1
    kit.lab.add_fault("drop", host=CM01, cmdlet="Command", nth=1)
    with pytest.raises(HostUnreachable) as info:
        prov.add_scp(SCP01, "Online")
    err = info.value
    assert err.host == CM01 and f"add the service connection point on {SCP01}" in str(err)
    assert CM01 in str(err) and PASSWORD not in str(err)
    # the Command request went out and no answer came: from the client's side it may have run
    assert err.outcome_unknown and err.changed  # unknown is never "unchanged"
    # nothing was added, and the session recovers on the next call (new pool, bootstrap again)
    assert kit.lab.state()["scp"]["configured"] is None
    prov.add_scp(SCP01, "Online")
    assert kit.lab.state()["scp"]["configured"]["server"] == SCP01


def test_connection_drop_during_a_read_is_retried_once(make_lab):
    kit = make_lab("standalone-with-scp")
    prov = kit.provider()
    prov.read_state()
    kit.lab.add_fault("drop", host=CM01, cmdlet="Command", nth=1)
    state = prov.read_state()
    assert state.scp.server == CM01
    assert [c["cmdlet"] for c in kit.lab.calls()].count("Import-Module") == 2  # re-bootstrapped on the new pool


def test_timeout_is_unreachable(make_lab):
    kit = make_lab("standalone-primary", max_poll=0.5)
    for endpoint in kit.lab.endpoints:
        endpoint.fault_hold = 4.0
    prov = kit.provider(read_timeout=2, operation_timeout=1)
    prov.read_state(include=("sites",))
    with kit.lab.world.lock:
        kit.lab.world.faults.add("timeout", host=CM01, cmdlet="Command", stage="request")
    with pytest.raises(HostUnreachable) as info:
        prov.set_usage_data_level("Basic")
    assert info.value.reason == "timeout" and CM01 in str(info.value)
    assert "set the usage data level to Basic" in str(info.value)
    assert info.value.outcome_unknown  # a mutation whose request got no answer


def test_a_refused_mutation_is_not_outcome_unknown(make_lab):
    kit = make_lab("standalone-primary")
    kit.lab.add_fault("fail_cmdlet", host=CM01, cmdlet="Add-CMServiceConnectionPoint")
    with pytest.raises(CommandFailed) as info:
        kit.provider().add_scp(SCP01, "Online")
    assert not info.value.outcome_unknown  # the host answered with an error record


def test_cmdlet_error_is_command_failed(make_lab):
    kit = make_lab("standalone-primary")
    kit.lab.add_fault("fail_cmdlet", host=CM01, cmdlet="Add-CMServiceConnectionPoint")
    with pytest.raises(CommandFailed) as info:
        kit.provider().add_scp(SCP01, "Online")
    err = info.value
    assert not isinstance(err, HostUnreachable)
    assert err.host == CM01 and err.command.startswith("Add-CMServiceConnectionPoint")
    assert "InjectedFault" in (err.fully_qualified_error_id or "")
    assert f"add the service connection point on {SCP01}" in str(err) and CM01 in str(err)


def test_wrong_password_is_unreachable_auth(make_lab):
    kit = make_lab("standalone-primary")
    with pytest.raises(HostUnreachable) as info:
        kit.provider(password="not-the-password").read_state()
    err = info.value
    assert err.reason == "auth" and CM01 in str(err) and "not-the-password" not in str(err)
    assert "open a PowerShell session" in str(err)


def test_injected_auth_failure(make_lab):
    kit = make_lab("standalone-primary")
    kit.lab.add_fault("fail_auth", host=CM01)
    with pytest.raises(HostUnreachable) as info:
        kit.provider().read_state()
    assert info.value.reason == "auth" and CM01 in str(info.value)


def test_untrusted_certificate_is_unreachable_tls(make_lab):
    kit = make_lab("standalone-primary")
    opts = kit.options(CM01)
    opts.ca_cert = None  # validate against the system store: the lab CA is unknown
    with Session(opts) as session:
        with pytest.raises(HostUnreachable) as info:
            SiteProvider(session, site_code="PS1").read_state()
    assert info.value.reason == "tls" and CM01 in str(info.value) and "ca_cert" in str(info.value)
    assert kit.lab.calls() == []


def test_unknown_site_code_is_a_bootstrap_failure(make_lab):
    kit = make_lab("standalone-primary")
    with pytest.raises(CommandFailed) as info:
        kit.provider(site_code="XYZ").read_state()
    assert "XYZ" in str(info.value) and CM01 in str(info.value)
