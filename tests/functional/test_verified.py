"""The no-op check reads the SMS Provider only once a run verified the SCP on its server, and reads the server again
whenever the provider's evidence does not agree: no record (a change began), a record of another mode, or the
component status not STARTED. Library against the lab, as the service_connection_point action (converge_scp)."""

from __future__ import annotations

from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.planner import DesiredScp
from tests.functional.test_topologies import converge, provider, world_scp

SCP01, CAS01 = "scp01.contoso.com", "cas01.contoso.com"
THREAD_KEY = "HKLM:\\SOFTWARE\\Microsoft\\SMS\\Components\\SMS_EXECUTIVE\\Threads\\SMS_DMP_DOWNLOADER"


def hosts_reached(kit):
    return {r["host"] for r in kit.lab.requests()}


def verified(kit):
    return provider(kit, CAS01).read_state(include=("sites", "intent")).verified


def test_a_verified_scp_is_checked_on_the_provider_only(make_lab):
    kit = make_lab("hierarchy")  # the SCP on scp01, installed outside the collection: no record
    desired = DesiredScp(server=SCP01)
    first = converge(kit, provider(kit, CAS01), desired)
    assert first.steps == [] and not first.restart_required
    assert SCP01 in hosts_reached(kit)  # read on its server, then recorded
    record = verified(kit)
    assert (record.server, record.site_code, record.mode) == (SCP01, "CAS", "Online")
    kit.lab.clear_log()
    again = converge(kit, provider(kit, CAS01), desired)
    assert again.steps == [] and not again.restart_required
    assert hosts_reached(kit) == {CAS01}  # one host, one read
    assert [c["cmdlet"] for c in kit.lab.calls()].count("Get-CMServiceConnectionPoint") == 1


def test_a_change_forgets_the_record_so_a_stopped_run_is_finished(make_lab):
    kit = make_lab("hierarchy")
    converge(kit, provider(kit, CAS01), DesiredScp(server=SCP01))  # verified, recorded
    changed = converge(kit, provider(kit, CAS01), DesiredScp(server=SCP01, mode="Offline"))
    assert changed.restart_required and verified(kit) is None  # the run "stops": no handler ran
    kit.lab.clear_log()
    again = converge(kit, provider(kit, CAS01), DesiredScp(server=SCP01, mode="Offline"))
    assert SCP01 in hosts_reached(kit) and again.restart_required and "Offline mode was set" in again.drift
    kit.scp_host(SCP01).restart_thread(timeout=120)  # the role's handler
    done = converge(kit, provider(kit, CAS01), DesiredScp(server=SCP01, mode="Offline"))
    assert done.steps == [] and not done.restart_required and verified(kit).mode == "Offline"
    assert world_scp(kit)["effective_mode"] == "Offline"


def test_a_stop_outside_the_collection_is_seen_through_the_component_status(make_lab):
    kit = make_lab("hierarchy")
    converge(kit, provider(kit, CAS01), DesiredScp(server=SCP01))  # verified, recorded
    kit.lab.world.host(SCP01).registry.set_value(THREAD_KEY, "Requested Operation", "Stop")  # Service Manager
    kit.lab.advance(30)
    assert world_scp(kit)["thread_state"] == "Stopped"
    kit.lab.clear_log()
    plan = converge(kit, provider(kit, CAS01), DesiredScp(server=SCP01))
    assert SCP01 in hosts_reached(kit)  # STOPPED: read on the server
    assert plan.restart_required and "Stopped" in plan.drift


def test_check_mode_never_writes_the_record(make_lab):
    from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.apply.scp import converge_scp

    kit = make_lab("hierarchy")
    prov = provider(kit, CAS01)
    prov.check_mode = True
    run = converge_scp(
        prov, DesiredScp(server=SCP01), lambda f: kit.scp_host(f, check_mode=True), check_mode=True, wait_timeout=60
    )
    assert run.plan.steps == [] and verified(kit) is None
