"""When the SMS Provider alone shows the SCP in its effective state (decide.scp.verified_running), and when a run
records it (apply.verified.verified_to_record): table-driven."""

from __future__ import annotations

from dataclasses import replace

import pytest

from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.apply.verified import verified_to_record
from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.configmgr.model import (
    Hierarchy,
    ProviderState,
    ScpInfo,
    Site,
    ThreadState,
    Verified,
)
from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.configmgr.reads import read_properties, split_tags
from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.decide.scp import (
    FIRST_READS,
    first_reads,
    verified_running,
)
from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.executor import observe_hosts
from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.planner import DesiredScp, Plan, plan_scp

CAS = Site("CAS", "Central", 4, None, "cas01.contoso.com", "C:\\CM", "5.0", 0)
SCP = ScpInfo("scp01.contoso.com", "CAS", "Online")
RECORD = Verified("scp01.contoso.com", "CAS", "Online")
STARTED = {"ComponentName": "SMS_DMP_DOWNLOADER", "MachineName": "SCP01.contoso.com", "SiteCode": "CAS", "State": 1}
STOPPED = dict(STARTED, State=0)
PRESENT = DesiredScp(state="present", server="scp01.contoso.com")


def state(scp=SCP, verified=RECORD, components=(STARTED,)):
    return ProviderState(
        "CAS",
        "cas01.contoso.com",
        "5.2107",
        Hierarchy([CAS]),
        scp,
        [],
        scps=[scp] if scp else [],
        verified=verified,
        components=None if components is None else list(components),
    )


@pytest.mark.parametrize(
    "case, current, desired, expected",
    [
        ("record and component status agree", state(), PRESENT, True),
        ("the desired mode is the configured one", state(), replace(PRESENT, mode="Online"), True),
        ("the site code given is the SCP's", state(), replace(PRESENT, site_code="cas"), True),
        ("a short server name", state(), replace(PRESENT, server="scp01"), True),
        ("no record: a run stopped after a change, or never verified", state(verified=None), PRESENT, False),
        ("a record of the old mode", state(verified=Verified("scp01.contoso.com", "CAS", "Offline")), PRESENT, False),
        ("a record of another server", state(verified=Verified("scp02.contoso.com", "CAS", "Online")), PRESENT, False),
        ("another mode wanted", state(), replace(PRESENT, mode="Offline"), False),
        ("another server wanted", state(), replace(PRESENT, server="scp02.contoso.com"), False),
        ("another site wanted", state(), replace(PRESENT, site_code="PS1"), False),
        ("the component is stopped", state(components=(STOPPED,)), PRESENT, False),
        ("no component row", state(components=()), PRESENT, False),
        ("the component status was not read", state(components=None), PRESENT, False),
        (
            "a row for another server only",
            state(components=(dict(STARTED, MachineName="scp02.contoso.com"),)),
            PRESENT,
            False,
        ),
        ("no SCP", state(scp=None), PRESENT, False),
        ("a removal always reads", state(), DesiredScp(state="absent"), False),
    ],
)
def test_verified_running(case, current, desired, expected):
    assert verified_running(current, desired) is expected, case


def test_the_fast_path_reads_no_second_host_and_plans_nothing():
    called = []
    installed, warnings = observe_hosts(state(), PRESENT, called.append)
    assert installed == {"scp01.contoso.com": True} and warnings == [] and called == []
    plan = plan_scp(state(), PRESENT, installed)
    assert plan.steps == [] and not plan.changed and not plan.restart_required and plan.pending is None


RUNNING = ThreadState("scp01.contoso.com", "SMS_DMP_DOWNLOADER", True, "Running", "None")


@pytest.mark.parametrize(
    "case, current, plan, seen, expected",
    [
        ("read on the server, all well, no record yet", state(verified=None), Plan([], None, None), RUNNING, RECORD),
        ("the record is there already", state(), Plan([], None, None), RUNNING, None),
        (
            "a record of the old mode is replaced",
            state(verified=Verified("scp01.contoso.com", "CAS", "Offline")),
            Plan([], None, None),
            RUNNING,
            RECORD,
        ),
        (
            "a mode waits for a restart",
            state(verified=None),
            Plan([], None, None),
            replace(RUNNING, pending_mode="Offline"),
            None,
        ),
        (
            "the thread is stopped",
            state(verified=None),
            Plan([], None, None),
            replace(RUNNING, current_state="Stopped"),
            None,
        ),
        ("a restart is required", state(verified=None), Plan([], None, None, restart_required=True), RUNNING, None),
        ("the role is not installed yet", state(verified=None), Plan([], None, None, pending="install"), RUNNING, None),
        ("only the provider's evidence (fast path)", state(verified=None), Plan([], None, None), True, None),
        ("the server could not be read", state(verified=None), Plan([], None, None), None, None),
        ("no SCP", state(scp=None, verified=None), Plan([], None, None), RUNNING, None),
    ],
)
def test_what_a_run_records(case, current, plan, seen, expected):
    assert verified_to_record(current, PRESENT, plan, {"SCP01.contoso.com": seen}) == expected, case


def test_the_record_text_round_trips_and_refuses_garbage():
    assert Verified.from_obj({"VerifiedScp": RECORD.to_text()}) == RECORD
    assert RECORD.to_text() == "scp01.contoso.com|CAS|Online"
    for bad in (None, "", "scp01|CAS", "a|b|c|d", "|CAS|Online", {"other": 1}):
        assert Verified.from_obj({"VerifiedScp": bad} if not isinstance(bad, dict) else bad) is None


def test_first_reads_and_the_properties_sent():
    assert first_reads(PRESENT) == FIRST_READS and "roles" not in FIRST_READS
    assert "site_systems" in first_reads(replace(PRESENT, site_system=object()))
    props = read_properties(["sites", "scp"])
    assert set(props) == {"sites", "scp"}
    assert set(read_properties(["sites"], discover=True)) == {"sites", "location"}
    assert read_properties(["scp", "site_systems", "sites"], raw=True)["scp"] == ["*"]
    assert read_properties(["sites"], raw=True)["sites"] != ["*"]


def test_split_tags():
    out = [
        "cmscp:location",
        {"Machine": "a"},
        "cmscp:site",
        "PS1",
        "cm01",
        "cmscp:sites",
        {"SiteCode": "PS1"},
        "cmscp:scp",
    ]
    assert split_tags(["stray", *out]) == {
        "location": [{"Machine": "a"}],
        "site": ["PS1", "cm01"],
        "sites": [{"SiteCode": "PS1"}],
        "scp": [],
    }
    assert split_tags([]) == {}


def test_a_record_that_cannot_be_written_is_a_warning_not_a_failure():
    from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.apply.verified import remember_verified
    from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.errors import ConfigMgrError

    class Provider:
        written: list = []

        def record_verified(self, verified):
            raise ConfigMgrError("connection reset", "cas01.contoso.com", "record the verified SCP")

    warning = remember_verified(
        Provider(), state(verified=None), PRESENT, Plan([], None, None), {"scp01.contoso.com": RUNNING}
    )
    assert "could not record" in warning and "reads scp01.contoso.com again" in warning
    assert remember_verified(Provider(), state(), PRESENT, Plan([], None, None), {"scp01.contoso.com": RUNNING}) is None
