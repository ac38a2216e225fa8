"""Install / removal completion against the lab: thread state on the SCP host plus sitecomp.log markers after the change;
child-primary refusals that name the top-tier site; what already ran when a wait fails."""

from __future__ import annotations

from datetime import timedelta

import pytest

from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.configmgr import logcursor
from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.errors import PlanRefused, WaitTimeout
from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.executor import execute_plan
from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.planner import DesiredScp, plan_scp
from tests.lab.lab import load_scenario
from tests.lab.world import paths
from tests.lab.world.sitecomp import SITECOMP

SCP01, CM01 = "scp01.contoso.com", "cm01.contoso.com"


def test_install_then_remove_wait_for_thread_and_markers(make_lab):
    kit = make_lab("standalone-primary")
    prov = kit.provider()
    plan = plan_scp(prov.read_state(), DesiredScp(server=SCP01, mode="Online"))
    result = execute_plan(plan, prov, kit.scp_host, wait_timeout=900)
    assert result.after["server"] == SCP01 and kit.lab.state()["scp"]["installed_on"] == [SCP01]
    cmdlets = [c["cmdlet"] for c in kit.lab.calls()]
    assert cmdlets.index("Get-Date") < cmdlets.index("Add-CMServiceConnectionPoint") < cmdlets.index("Get-Content")
    plan = plan_scp(prov.read_state(), DesiredScp(state="absent"))
    result = execute_plan(plan, prov, kit.scp_host, wait_timeout=900)
    assert result.after is None and kit.lab.state()["scp"]["installed_on"] == []
    assert prov.removal_finished(SCP01, kit.lab.world.clock.now().replace(year=2000))


def test_install_on_the_site_server_itself_has_no_bootstrap(make_lab):
    kit = make_lab("standalone-primary")
    prov = kit.provider()
    plan = plan_scp(prov.read_state(), DesiredScp(server=CM01))
    execute_plan(plan, prov, kit.scp_host, wait_timeout=900)
    assert kit.lab.state()["scp"]["installed_on"] == [CM01]


def test_stale_thread_key_does_not_count_as_installed(make_lab):
    """A thread key left from an earlier install is Running before the Add; this install fails (no markers)."""
    kit = make_lab("standalone-primary")
    world = kit.lab.world
    host = world.host(SCP01)
    world.executive.install(host, "SMS_DMP_DOWNLOADER", "C:\\SMS\\bin\\x64\\dmp.dll", notify=False)
    host.registry.set_value(paths.thread_key("SMS_DMP_DOWNLOADER"), "Current State", "Running")
    assert kit.scp_host(SCP01).thread_state().running
    kit.lab.add_fault("install_fail", host=SCP01, nth=1)
    prov = kit.provider()
    plan = plan_scp(prov.read_state(), DesiredScp(server=SCP01))
    with pytest.raises(WaitTimeout) as info:
        execute_plan(plan, prov, kit.scp_host, wait_timeout=30)
    err = info.value
    assert err.changed is True and [s["action"] for s in err.steps_run] == ["add_scp"]
    assert SCP01 in str(err) and "sitecomp.log has no completion" in str(err)


def test_child_primary_provider_refusal_names_the_cas(make_lab):
    kit = make_lab("hierarchy")
    prov = kit.provider("pri01.contoso.com", site_code="PR1")
    state = prov.read_state()
    with pytest.raises(PlanRefused) as info:
        plan_scp(state, DesiredScp(server=SCP01, site_code="PR1"))
    assert "top-tier site CAS" in str(info.value) and "pri01.contoso.com" in str(info.value)


def test_install_wait_reads_only_new_sitecomp_lines_across_a_rotation(make_lab):
    """Older lines first; the install's lines rotate sitecomp.log once (max_size): the wait reads on from its cursor
    in sitecomp.lo_, then the new log, and never the tail again."""
    kit = make_lab(dict(load_scenario("standalone-primary"), logs={"max_size": 2600}))
    world = kit.lab.world
    log = world.log(world.host(CM01), "sitecomp.log", SITECOMP)
    old = world.clock.now() - timedelta(days=1)
    for i in range(15):
        log.write(f"Parsed the master site control file, serial number {i}.", old)
    assert not log.files.exists(log.path[:-1] + "_")
    prov = kit.provider()
    plan = plan_scp(prov.read_state(), DesiredScp(server=SCP01))
    assert execute_plan(plan, prov, kit.scp_host, wait_timeout=900).after["server"] == SCP01
    assert log.files.exists(log.path[:-1] + "_")  # the install rotated the log
    reads = [
        c["parameters"]
        for c in kit.lab.calls()
        if c["cmdlet"] == "Get-Content" and "sitecomp" in c["parameters"]["LiteralPath"][0].lower()
    ]
    tails = [r["Tail"] for r in reads if "Tail" in r]
    assert tails and max(tails) <= logcursor.FIRST_TAIL * logcursor.WIDEN
    skips = [
        c["parameters"]["Skip"] for c in kit.lab.calls() if c["cmdlet"] == "Select-Object" and "Skip" in c["parameters"]
    ]
    assert skips and min(skips) >= 14  # the history is never read again
    assert any(r["LiteralPath"][0].lower().endswith(".lo_") for r in reads if "Tail" not in r)
