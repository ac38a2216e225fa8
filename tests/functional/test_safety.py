"""Check mode never mutates; no call is a script (the constant scripts only serve -ProxyAccessAccount)."""

from __future__ import annotations

import pytest
from pypsrp.powershell import PowerShell

from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.configmgr.model import SiteSystemSpec
from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.errors import CheckModeViolation
from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.executor import execute_plan
from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.planner import DesiredScp, plan_scp
from tests.functional.conftest import mutating

SCP01 = "scp01.contoso.com"


def test_check_mode_makes_no_mutating_call(make_lab):
    kit = make_lab("standalone-with-scp")
    prov = kit.provider(check_mode=True)
    host = kit.scp_host("cm01.contoso.com", check_mode=True)
    desired = DesiredScp(
        server=SCP01, allow_move=True, site_system=SiteSystemSpec(SCP01, account_name="CONTOSO\\cmadmin")
    )
    plan = plan_scp(prov.read_state(), desired)
    assert plan.changed and plan.predicted_after["server"] == SCP01
    host.thread_state()
    host.read_log(tail=20)
    calls = [
        (prov.add_scp, (SCP01, "Online")),
        (prov.set_scp_mode, ("cm01.contoso.com", "Offline")),
        (prov.remove_scp, ("cm01.contoso.com",)),
        (prov.set_usage_data_level, ("Full",)),
        (prov.ensure_site_system_server, (SiteSystemSpec("new.contoso.com"),)),
        (prov.remove_site_system_server, (SCP01,)),
        (host.restart_thread, ()),
        (host.restart_service, ()),
        (host.set_thread, ("SMS_DMP_DOWNLOADER", "stopped")),
        (host.request, ("SMS_DMP_DOWNLOADER", "Stop")),
    ]
    for method, args in calls:
        with pytest.raises(CheckModeViolation) as info:
            method(*args)
        assert info.value.host in ("cm01.contoso.com",) and "check mode" in str(info.value)
    with pytest.raises(CheckModeViolation):
        execute_plan(plan, prov, lambda fqdn: kit.scp_host(fqdn, check_mode=True))
    log = kit.lab.calls()
    assert log and mutating(log) == []
    assert kit.lab.state()["scp"]["configured"]["server"] == "cm01.contoso.com"


def test_no_call_is_a_script(make_lab, monkeypatch):
    """Spy on pypsrp: without a proxy account every command goes through add_cmdlet, never add_script (the conftest
    guard refuses any non-constant script); the lab log agrees."""
    added = []
    original = PowerShell.add_cmdlet

    def spy(self, cmdlet, *args, **kwargs):
        added.append(cmdlet)
        return original(self, cmdlet, *args, **kwargs)

    monkeypatch.setattr(PowerShell, "add_cmdlet", spy)
    kit = make_lab("standalone-primary")
    prov = kit.provider()
    prov.read_state()
    prov.add_scp(SCP01, "Online")
    host = kit.scp_host(SCP01)
    host.wait_installed(timeout=600)
    host.restart_thread(timeout=60)
    host.read_log(tail=10)
    assert added and all(" " not in name and "$" not in name and ";" not in name for name in added)
    log = kit.lab.calls()
    assert log and not [c for c in log if str(c["outcome"]).startswith("failed: ScriptsRefused")]
    # User text travels only as parameter values: the lab bound them to the documented parameters.
    adds = [c for c in log if c["cmdlet"] == "Add-CMServiceConnectionPoint"]
    assert len(adds) == 1 and adds[0]["outcome"] == "ok"
    assert adds[0]["parameters"]["SiteSystemServerName"] == SCP01 and adds[0]["parameters"]["Mode"] == "Online"
