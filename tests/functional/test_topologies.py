"""The library in every shipped topology: remote and several SMS Providers, an SCP at a child site, a CAS with two
primaries, an HA pair, and re-runs after a wait that gave up. Each case goes read -> plan -> execute -> verify on the
lab's world -> run again (nothing to do), the way the service_connection_point action does it."""

from __future__ import annotations

from typing import Any

import pytest

from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.apply.scp import converge_scp
from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.configmgr.provider import SiteProvider
from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.errors import PlanRefused, WaitTimeout
from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.planner import DesiredScp, Plan
from tests.functional.conftest import mutating
from tests.lab.lab import load_scenario

SCP01, SCP02, CM01, CM02 = "scp01.contoso.com", "scp02.contoso.com", "cm01.contoso.com", "cm02.contoso.com"
PROV01, CAS01, PRI01, PRI02 = "prov01.contoso.com", "cas01.contoso.com", "pri01.contoso.com", "pri02.contoso.com"


def provider(kit: Any, fqdn: str, site_code: str | None = None) -> SiteProvider:
    """As the action plugins build it: connected to `fqdn`, with sessions to the other machines of the site."""
    return SiteProvider(kit.session(fqdn), site_code=site_code, sessions=kit.session)


def converge(kit: Any, prov: SiteProvider, desired: DesiredScp, wait_timeout: float = 900) -> Plan:
    """read -> plan -> lease, read again, execute: plugins/action/service_connection_point.py's converge_scp."""
    run = converge_scp(prov, desired, kit.scp_host, check_mode=False, wait_timeout=wait_timeout)
    assert run.warnings == []
    return run.plan


def world_scp(kit: Any) -> dict[str, Any]:
    return kit.lab.state()["scp"]


def cm_calls(kit: Any, cmdlet: str) -> list[dict[str, Any]]:
    return [c for c in kit.lab.calls() if c["cmdlet"] == cmdlet]


@pytest.mark.parametrize("connect_to", [PROV01, CM01])
def test_remote_provider_install_finishes_and_reruns_clean(make_lab, connect_to):
    """The provider on its own server: the wait reads sitecomp.log on the site server cm01, not on prov01; a play
    aimed at the site server finds the provider through root\\SMS and talks to it directly."""
    kit = make_lab("remote-provider")
    prov = provider(kit, connect_to)
    plan = converge(kit, prov, DesiredScp(server=SCP01, mode="Online"))
    assert [s.action for s in plan.steps] == ["add_scp", "wait_installed"]
    scp = world_scp(kit)
    assert scp["configured"] == {"server": SCP01, "site_code": "PS1", "mode": "Online"}
    assert scp["installed_on"] == [SCP01] and scp["thread_state"] == "Running"
    assert {c["host"] for c in cm_calls(kit, "Add-CMServiceConnectionPoint")} == {PROV01}
    assert prov.provider == PROV01
    again = converge(kit, provider(kit, connect_to), DesiredScp(server=SCP01, mode="Online"))
    assert again.steps == []


def test_remote_provider_removal_and_move_finish(make_lab):
    kit = make_lab("remote-provider")
    prov = provider(kit, PROV01)
    converge(kit, prov, DesiredScp(server=SCP01, mode="Offline"))
    plan = converge(kit, prov, DesiredScp(server=CM01, allow_move=True))
    assert plan.moved_from == SCP01
    assert world_scp(kit)["configured"] == {"server": CM01, "site_code": "PS1", "mode": "Offline"}
    assert world_scp(kit)["installed_on"] == [CM01]
    converge(kit, prov, DesiredScp(state="absent"))
    assert world_scp(kit)["configured"] is None and world_scp(kit)["installed_on"] == []
    assert converge(kit, prov, DesiredScp(state="absent")).steps == []


@pytest.mark.parametrize("connect_to", [PROV01, CM01])
def test_two_providers_either_one_works(make_lab, connect_to):
    kit = make_lab("two-providers")
    prov = provider(kit, connect_to)
    converge(kit, prov, DesiredScp(server=SCP01))
    assert world_scp(kit)["installed_on"] == [SCP01]
    assert {c["host"] for c in cm_calls(kit, "Add-CMServiceConnectionPoint")} == {connect_to}
    assert converge(kit, prov, DesiredScp(server=SCP01)).steps == []


def test_scp_stranded_at_a_child_is_moved_to_the_cas(make_lab):
    """Removed at the child PR1 (sitecomp.log of pri01), added at the CAS: the hierarchy ends with one SCP."""
    kit = make_lab("stranded-child")
    prov = provider(kit, CAS01)
    with pytest.raises(PlanRefused) as info:
        converge(kit, prov, DesiredScp(server=SCP01))
    assert "allow_move" in str(info.value)
    plan = converge(kit, prov, DesiredScp(server=SCP01, allow_move=True))
    assert plan.moved_from == SCP02
    removal = cm_calls(kit, "Remove-CMServiceConnectionPoint")
    assert [c["parameters"]["SiteCode"] for c in removal] == ["PR1"]
    scp = world_scp(kit)
    assert scp["configured"]["server"] == SCP01 and scp["configured"]["site_code"] == "CAS"
    assert scp["installed_on"] == [SCP01]
    assert converge(kit, prov, DesiredScp(server=SCP01)).steps == []


def test_scp_stranded_at_a_child_is_removed_from_the_top_tier(make_lab):
    kit = make_lab("stranded-child")
    prov = provider(kit, CAS01)
    plan = converge(kit, prov, DesiredScp(state="absent"))
    assert [s.action for s in plan.steps] == ["record_intent", "remove_scp", "wait_removed"]
    assert world_scp(kit)["configured"] is None and world_scp(kit)["installed_on"] == []
    assert converge(kit, prov, DesiredScp(state="absent")).steps == []


@pytest.mark.parametrize("scenario, child", [("stranded-child", PRI01), ("cas-two-primaries", PRI02)])
def test_changes_through_a_child_primary_provider_are_refused(make_lab, scenario, child):
    kit = make_lab(scenario)
    prov = provider(kit, child)
    before = world_scp(kit)["configured"]
    for desired in (
        DesiredScp(state="absent"),
        DesiredScp(server=child, allow_move=True),
        DesiredScp(server=before["server"], mode="Offline"),
    ):
        with pytest.raises(PlanRefused) as info:
            converge(kit, prov, desired)
        assert "top-tier site CAS" in str(info.value) and CAS01 in str(info.value)
    assert world_scp(kit)["configured"] == before
    assert not [
        c
        for c in kit.lab.calls()
        if c["cmdlet"].endswith("-CMServiceConnectionPoint") and not c["cmdlet"].startswith("Get-")
    ]


def test_a_child_provider_sees_the_top_tier_site(make_lab):
    kit = make_lab("cas-two-primaries")
    state = provider(kit, PRI01).read_state(include=("sites", "scp"))
    assert state.hierarchy.top_tier is not None and state.hierarchy.top_tier.site_code == "CAS"
    assert state.scp is not None and state.scp.server == SCP01


def test_a_move_keeps_offline_mode(make_lab):
    kit = make_lab("scp-remote")
    prov = provider(kit, CM01)
    assert world_scp(kit)["configured"]["mode"] == "Offline"
    converge(kit, prov, DesiredScp(server=CM01, allow_move=True))
    assert world_scp(kit)["configured"] == {"server": CM01, "site_code": "PS1", "mode": "Offline"}
    add = cm_calls(kit, "Add-CMServiceConnectionPoint")
    assert str(add[0]["parameters"]["Mode"]) == "Offline"


def test_scp_on_the_site_server_is_a_noop_and_moves_away(make_lab):
    kit = make_lab("scp-on-site-server")
    prov = provider(kit, CM01)
    assert converge(kit, prov, DesiredScp(server=CM01)).steps == []
    converge(kit, prov, DesiredScp(server=SCP01, allow_move=True))
    assert world_scp(kit)["installed_on"] == [SCP01]


def test_rerun_after_a_timed_out_install_waits_again(make_lab):
    kit = make_lab("standalone-primary")
    prov = provider(kit, CM01)
    with pytest.raises(WaitTimeout):
        converge(kit, prov, DesiredScp(server=SCP01), wait_timeout=5)
    assert world_scp(kit)["installed_on"] == []  # configured, Site Component Manager has not run
    plan = converge(kit, prov, DesiredScp(server=SCP01))
    assert [s.action for s in plan.steps] == ["wait_installed"] and not plan.changed
    assert world_scp(kit)["installed_on"] == [SCP01]
    assert converge(kit, prov, DesiredScp(server=SCP01)).steps == []


def test_rerun_after_a_timed_out_install_that_never_completes_fails_again(make_lab):
    kit = make_lab("standalone-primary")
    kit.lab.add_fault("install_fail", host=SCP01)
    prov = provider(kit, CM01)
    with pytest.raises(WaitTimeout):
        converge(kit, prov, DesiredScp(server=SCP01), wait_timeout=5)
    with pytest.raises(WaitTimeout):
        converge(kit, prov, DesiredScp(server=SCP01), wait_timeout=300)


def test_rerun_after_a_timed_out_removal_waits_again(make_lab):
    kit = make_lab("scp-remote")
    prov = provider(kit, CM01)
    with pytest.raises(WaitTimeout):
        converge(kit, prov, DesiredScp(state="absent", server=SCP01), wait_timeout=5)
    assert world_scp(kit)["installed_on"] == [SCP01]
    plan = converge(kit, prov, DesiredScp(state="absent", server=SCP01))
    assert [s.action for s in plan.steps] == ["wait_removed"]
    assert world_scp(kit)["installed_on"] == []


@pytest.mark.parametrize("server", [CM01, CM02])
def test_ha_site_servers_are_refused_before_any_change(make_lab, server):
    kit = make_lab("ha-pair")
    with pytest.raises(PlanRefused) as info:
        converge(kit, provider(kit, CM01), DesiredScp(server=server))
    assert "high availability" in str(info.value)
    assert not cm_calls(kit, "Add-CMServiceConnectionPoint") and world_scp(kit)["configured"] is None


def test_an_scp_already_on_an_ha_site_server_is_refused_on_a_run_that_would_change_nothing(make_lab):
    """Microsoft: "If it's currently on the original site server, remove it, and install it on another site system
    server": a no-op run must not report ok for that placement."""
    scenario = load_scenario("ha-pair")
    scenario["roles"] = [
        {"role": "SMS Dmp Connector", "server": CM01, "site": "PS1", "mode": "online", "installed": True}
    ]
    kit = make_lab(scenario)
    with pytest.raises(PlanRefused) as info:
        converge(kit, provider(kit, CM01), DesiredScp(server=CM01))
    assert "high availability" in str(info.value) and "choose another site system server" in str(info.value)
    assert "the SCP is configured there now" in str(info.value) and "allow_move=true" in str(info.value)
    assert not mutating(kit.lab.calls()) and world_scp(kit)["configured"]["server"] == CM01
    # the way out Microsoft gives: the SCP on another site system server (a move)
    converge(kit, provider(kit, CM01), DesiredScp(server=SCP01, allow_move=True))
    assert world_scp(kit)["installed_on"] == [SCP01]


def test_ha_pair_gets_the_scp_on_another_server(make_lab):
    kit = make_lab("ha-pair")
    prov = provider(kit, CM01)
    converge(kit, prov, DesiredScp(server=SCP01))
    assert world_scp(kit)["installed_on"] == [SCP01]
    assert converge(kit, prov, DesiredScp(server=SCP01)).steps == []
