"""SCP lifecycle against the lab: add, wait installed, mode change + restart, remove, move, site systems, usage."""

from __future__ import annotations

from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.configmgr.model import SiteSystemSpec
from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.executor import execute_plan
from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.planner import DesiredScp, plan_scp

SCP01 = "scp01.contoso.com"


def test_add_scp_then_wait_until_installed(make_lab):
    kit = make_lab("standalone-primary")
    prov = kit.provider()
    prov.add_scp(SCP01, "online")
    world = kit.lab.state()["scp"]
    assert world["configured"] == {"server": SCP01, "site_code": "PS1", "mode": "Online"}
    assert SCP01 not in world["installed_on"]  # Site Component Manager has not run yet
    host = kit.scp_host(SCP01)
    assert not host.thread_state().present
    state = host.wait_installed(timeout=600)
    assert state.running
    world = kit.lab.state()["scp"]
    assert world["installed_on"] == [SCP01] and world["thread_state"] == "Running"
    read = prov.read_state()
    assert read.scp.server == SCP01 and read.scp.mode == "Online"


def test_wait_loop_in_scaled_real_time(make_lab):
    """The library's own sleep/clock (no injected clock): the lab runs 600x real time."""
    kit = make_lab("standalone-primary", scale=600, max_poll=0.5)
    kit.provider().add_scp(SCP01, "Offline")
    state = kit.scp_host(SCP01, simulated=False).wait_installed(timeout=5)
    assert state.running and kit.lab.state()["scp"]["installed_on"] == [SCP01]


def test_mode_change_takes_effect_only_after_thread_restart(make_lab):
    kit = make_lab("hierarchy")
    prov = kit.provider()
    prov.set_scp_mode(SCP01, "offline")
    world = kit.lab.state()["scp"]
    assert world["configured"]["mode"] == "Offline" and world["effective_mode"] == "Online"
    assert prov.read_state().scp.mode == "Offline"
    change = kit.scp_host(SCP01).restart_thread(timeout=120)
    assert change.method == "thread" and change.changed and change.after.running
    assert kit.lab.state()["scp"]["effective_mode"] == "Offline"
    writes = [c["parameters"].get("Value") for c in kit.lab.calls() if c["cmdlet"] == "Set-ItemProperty"]
    assert writes == ["Stop", "Start"]


def test_set_thread_stopped_then_started(make_lab):
    kit = make_lab("standalone-with-scp")
    host = kit.scp_host("cm01.contoso.com")
    stopped = host.set_thread("SMS_DMP_DOWNLOADER", "stopped", timeout=60)
    assert stopped.changed and stopped.after.stopped
    assert kit.lab.state()["hosts"]["cm01.contoso.com"]["threads"]["SMS_DMP_DOWNLOADER"]["state"] == "Stopped"
    assert not host.set_thread("SMS_DMP_DOWNLOADER", "stopped").changed
    started = host.set_thread("SMS_DMP_DOWNLOADER", "started", timeout=60)
    assert started.after.running


def test_stuck_thread_falls_back_to_service_restart(make_lab):
    kit = make_lab("hierarchy")
    kit.lab.add_fault("thread_stuck", host=SCP01)
    messages = []
    change = kit.scp_host(SCP01).restart_thread(timeout=60, progress=messages.append)
    assert change.method == "service" and change.after.running
    assert "Restart-Service" in [c["cmdlet"] for c in kit.lab.calls()]
    assert any("restarting the SMS_EXECUTIVE service" in m for m in messages)


def test_remove_scp_then_wait_removed(make_lab):
    kit = make_lab("hierarchy")
    kit.provider().remove_scp(SCP01)
    assert kit.lab.state()["scp"]["configured"] is None
    state = kit.scp_host(SCP01).wait_removed(timeout=600)
    assert not state.present and kit.lab.state()["scp"]["installed_on"] == []


def test_move_with_planner_and_executor(make_lab):
    kit = make_lab("standalone-with-scp")
    prov = kit.provider()
    desired = DesiredScp(
        server=SCP01,
        allow_move=True,
        mode="Online",
        site_system=SiteSystemSpec(SCP01, proxy_server="proxy.contoso.com", proxy_port=8080),
    )
    plan = plan_scp(prov.read_state(), desired)
    assert plan.moved_from == "cm01.contoso.com"
    seen = []
    result = execute_plan(plan, prov, kit.scp_host, wait_timeout=900, progress=lambda step, text: seen.append(text))
    assert result.before["server"] == "cm01.contoso.com" and result.after["server"] == SCP01
    world = kit.lab.state()["scp"]
    assert world["configured"]["server"] == SCP01 and world["installed_on"] == [SCP01]
    assert world["thread_state"] == "Running"
    assert any(t.startswith("step 1/") for t in seen)
    # the second run is a no-op
    assert not plan_scp(prov.read_state(), desired).changed


def test_site_system_server_with_installation_account_and_proxy(make_lab):
    kit = make_lab("expansion")
    prov = kit.provider()
    spec = SiteSystemSpec(
        "cas01.contoso.com", account_name="CONTOSO\\cmadmin", proxy_server="proxy.contoso.com", proxy_port=8080
    )
    assert prov.ensure_site_system_server(spec) is True
    world = {s["fqdn"]: s for s in kit.lab.state()["hierarchy"]["site_systems"]}["cas01.contoso.com"]
    assert world["account"] == "CONTOSO\\cmadmin" and not world["use_site_server_account"]
    assert world["proxy"] == "proxy.contoso.com:8080"
    assert prov.ensure_site_system_server(spec) is False  # idempotent
    read = prov.read_state(include=("site_systems",)).site_system("cas01.contoso.com")
    assert read.has_installation_account and read.proxy_server == "proxy.contoso.com"
    assert (
        prov.ensure_site_system_server(
            SiteSystemSpec("cas01.contoso.com", proxy_server="proxy.contoso.com", proxy_port=3128)
        )
        is True
    )
    world = {s["fqdn"]: s for s in kit.lab.state()["hierarchy"]["site_systems"]}["cas01.contoso.com"]
    assert world["proxy"] == "proxy.contoso.com:3128"
    prov.remove_site_system_server("cas01.contoso.com")
    assert "cas01.contoso.com" not in {s["fqdn"] for s in kit.lab.state()["hierarchy"]["site_systems"]}


def test_usage_data_level(make_lab):
    kit = make_lab("standalone-primary")
    prov = kit.provider()
    prov.set_usage_data_level("full")
    assert kit.lab.state()["hierarchy"]["telemetry_level"] == "Full"
    assert prov.read_state(include=("sites", "usage")).usage_data_level == "Full"
