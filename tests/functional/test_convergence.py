"""Runs stopped half-way are finished by running again: a mode change whose restart never came, a thread left stopped,
a move interrupted after the old SCP was removed. Library against the lab, as the service_connection_point action."""

from __future__ import annotations

import pytest

from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.errors import CommandFailed
from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.planner import DesiredScp
from tests.functional.test_topologies import converge, provider, world_scp

SCP01, CM01 = "scp01.contoso.com", "cm01.contoso.com"


def test_a_mode_change_without_its_restart_is_repaired_by_the_next_run(make_lab):
    kit = make_lab("scp-remote")  # offline on scp01
    prov = provider(kit, CM01)
    first = converge(kit, prov, DesiredScp(server=SCP01, mode="Online"))
    assert first.restart_required  # the run "stops" here: no handler ran
    assert world_scp(kit)["effective_mode"] == "Offline"
    again = converge(kit, prov, DesiredScp(server=SCP01, mode="Online"))
    assert again.restart_required and not again.changed and "Online mode was set" in again.drift
    kit.scp_host(SCP01).restart_thread(timeout=120)  # what the role's handler does
    assert world_scp(kit)["effective_mode"] == "Online"
    done = converge(kit, prov, DesiredScp(server=SCP01, mode="Online"))
    assert not done.restart_required and done.drift is None and done.steps == []


def test_a_thread_left_stopped_is_drift(make_lab):
    kit = make_lab("scp-remote")
    kit.scp_host(SCP01).set_thread("SMS_DMP_DOWNLOADER", "stopped", timeout=60)
    plan = converge(kit, provider(kit, CM01), DesiredScp(server=SCP01))
    assert plan.restart_required and "Stopped" in plan.drift
    assert plan.steps == []  # drift is reported, the restart is the handler's
    kit.scp_host(SCP01).restart_thread(timeout=120)  # what the role's handler does
    assert world_scp(kit)["thread_state"] == "Running"
    plan = converge(kit, provider(kit, CM01), DesiredScp(server=SCP01))
    assert not plan.restart_required and plan.drift is None


def test_a_move_interrupted_after_the_removal_is_finished_in_its_mode(make_lab):
    kit = make_lab("scp-remote")  # offline on scp01
    kit.lab.add_fault("fail_cmdlet", host=CM01, cmdlet="Add-CMServiceConnectionPoint")
    prov = provider(kit, CM01)
    with pytest.raises(CommandFailed) as info:
        converge(kit, prov, DesiredScp(server=CM01, allow_move=True))
    assert info.value.changed and world_scp(kit)["configured"] is None  # the hierarchy has no SCP now
    recorded = provider(kit, CM01).read_state(include=("sites", "intent")).intent
    assert recorded is not None and (recorded.source, recorded.target, recorded.mode) == (SCP01, CM01, "Offline")
    # the re-run does not know the mode from the site any more: the recorded intent has it
    plan = converge(kit, provider(kit, CM01), DesiredScp(server=CM01, allow_move=True))
    assert [s.action for s in plan.steps][:1] == ["add_scp"] and plan.steps[0].mode == "Offline"
    assert world_scp(kit)["configured"] == {"server": CM01, "site_code": "PS1", "mode": "Offline"}
    assert provider(kit, CM01).read_state(include=("sites", "intent")).intent is None  # cleared when done
    assert converge(kit, provider(kit, CM01), DesiredScp(server=CM01)).steps == []


def test_removing_an_scp_added_but_never_installed_does_not_wait(make_lab):
    kit = make_lab("standalone-primary")
    kit.lab.add_fault("install_fail", host=SCP01)
    prov = provider(kit, CM01)
    prov.add_scp(SCP01, "Online")
    kit.lab.advance(120)  # the bootstrap failed: configured, never installed
    assert world_scp(kit)["installed_on"] == []
    plan = converge(kit, prov, DesiredScp(state="absent"), wait_timeout=30)
    assert [s.action for s in plan.steps] == ["record_intent", "remove_scp"]
    assert world_scp(kit)["configured"] is None


def test_one_changing_job_per_hierarchy(make_lab):
    """Two jobs: the second finds the live lease and fails naming its owner; after the expiry it breaks it; a job
    releases only its own lease."""
    from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.configmgr.lease import HierarchyLease, LeaseBusy

    kit = make_lab("standalone-primary")
    first = HierarchyLease(kit.session(CM01), owner="job-1", ttl=600)
    second = HierarchyLease(kit.session(CM01), owner="job-2", ttl=600)
    first.take()
    with pytest.raises(LeaseBusy) as info:
        second.take()
    assert info.value.owner == "job-1" and "job-1 holds the lease" in str(info.value)
    kit.lab.advance(601)  # job-1 was killed: its lease expires
    messages: list[str] = []
    second.take(progress=messages.append)
    assert second.held and any("breaking the expired lease of job-1" in m for m in messages)
    first.release()  # not job-1's any more: left alone
    with pytest.raises(LeaseBusy) as info:
        HierarchyLease(kit.session(CM01), owner="job-3").take()
    assert info.value.owner == "job-2"
    second.release()
    third = HierarchyLease(kit.session(CM01), owner="job-3")
    third.take()
    assert third.held
    third.release()


def test_a_waiting_job_gets_the_lease_when_it_is_released(make_lab):
    from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.configmgr.lease import HierarchyLease

    kit = make_lab("standalone-primary")
    holder = HierarchyLease(kit.session(CM01), owner="job-1")
    holder.take()
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        holder.release()  # job-1 finishes while job-2 waits

    waiter = HierarchyLease(kit.session(CM01), owner="job-2", wait=60, poll=5, sleep=sleep)
    waiter.take()
    assert waiter.held and waits == [5]
    waiter.release()


@pytest.mark.parametrize("fault", ["drop_after", "lost_receive"])
def test_a_lost_answer_to_a_change_is_read_again_not_reported_unchanged(make_lab, fault):
    """The Add ran but its answer never came: the executor reads the site again and reports the change."""
    from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.errors import ConfigMgrError

    kit = make_lab("standalone-primary")
    kit.lab.add_fault(fault, host=CM01, cmdlet="Add-CMServiceConnectionPoint")
    prov = provider(kit, CM01)
    with pytest.raises(ConfigMgrError) as info:
        converge(kit, prov, DesiredScp(server=SCP01))
    err = info.value
    assert err.outcome_unknown and err.changed and "read again: the change was made" in str(err)
    assert [s["action"] for s in err.steps_run] == ["add_scp"] and err.steps_run[0]["outcome"] == "made"
    assert world_scp(kit)["configured"]["server"] == SCP01
    plan = converge(kit, provider(kit, CM01), DesiredScp(server=SCP01))  # the re-run finishes the install
    assert [s.action for s in plan.steps] in (["wait_installed"], [])
    assert converge(kit, provider(kit, CM01), DesiredScp(server=SCP01)).steps == []
