"""Table-driven planner cases: every outcome the issue lists."""

from __future__ import annotations

import pytest

from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.configmgr.model import (
    Hierarchy,
    Intent,
    ProviderState,
    ScpInfo,
    Site,
    SiteSystemServer,
    SiteSystemSpec,
    SiteUpdate,
)
from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.errors import InvalidOption, PlanRefused
from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.planner import (
    AddScp,
    ClearIntent,
    DesiredScp,
    EnsureSiteSystem,
    RecordIntent,
    RemoveScp,
    SetMode,
    Step,
    Verify,
    WaitInstalled,
    WaitRemoved,
    plan_scp,
)

CAS = Site("CAS", "Central", 4, None, "cas01.contoso.com", "C:\\CM", "5.0", 0)
PRI = Site("PS1", "Primary", 2, "CAS", "ps01.contoso.com", "C:\\CM", "5.0", 0)
STANDALONE = Site("PS1", "Primary", 2, None, "ps01.contoso.com", "C:\\CM", "5.0", 0)
SCP_A = ScpInfo("scp01.contoso.com", "CAS", "Online")
SCP_A_OFF = ScpInfo("scp01.contoso.com", "CAS", "Offline")
SS_A = SiteSystemServer("scp01.contoso.com", "CAS")
SS_B = SiteSystemServer("scp02.contoso.com", "CAS")


def state(sites=(CAS, PRI), scp=None, systems=(SS_A, SS_B), updates=(), provider_site=None, roles=None):
    """The provider's site defaults to the top-tier site of `sites` (the provider answering is the top tier's)."""
    hierarchy = Hierarchy(list(sites))
    top = hierarchy.top_tier
    code = provider_site or (top.site_code if top else "CAS")
    return ProviderState(
        code,
        "cas01.contoso.com",
        "5.2107",
        hierarchy,
        scp,
        list(systems),
        updates=list(updates),
        scps=[scp] if scp else [],
        site_roles=roles,
    )


def actions(plan):
    return [s.action for s in plan.steps]


CASES = [
    # id, current, desired, actions, restart_required, moved_from
    (
        "install",
        state(),
        DesiredScp(server="scp01.contoso.com", mode="online"),
        ["add_scp", "wait_installed"],
        False,
        None,
    ),
    (
        "install-creates-site-system",
        state(systems=()),
        DesiredScp(server="scp01.contoso.com", wait=False),
        ["ensure_site_system", "add_scp"],
        False,
        None,
    ),
    ("noop", state(scp=SCP_A), DesiredScp(server="SCP01.contoso.com", mode="Online"), [], False, None),
    ("noop-keep-mode", state(scp=SCP_A_OFF), DesiredScp(server="scp01.contoso.com"), [], False, None),
    ("mode-change", state(scp=SCP_A), DesiredScp(server="scp01.contoso.com", mode="offline"), ["set_mode"], True, None),
    (
        "remove",
        state(scp=SCP_A),
        DesiredScp(state="absent"),
        ["record_intent", "remove_scp", "wait_removed"],
        False,
        None,
    ),
    ("remove-absent", state(), DesiredScp(state="absent"), [], False, None),
    (
        "remove-other-server-is-noop",
        state(scp=SCP_A),
        DesiredScp(state="absent", server="scp02.contoso.com"),
        [],
        False,
        None,
    ),
    (
        "move",
        state(scp=SCP_A),
        DesiredScp(server="scp02.contoso.com", allow_move=True, wait=False),
        ["record_intent", "remove_scp", "wait_removed", "add_scp", "wait_installed", "verify", "clear_intent"],
        False,
        "scp01.contoso.com",
    ),
    (
        "move-new-site-system",
        state(scp=SCP_A, systems=(SS_A,)),
        DesiredScp(
            server="scp02.contoso.com",
            allow_move=True,
            site_system=SiteSystemSpec("x", proxy_server="proxy", proxy_port=8080),
        ),
        [
            "record_intent",
            "remove_scp",
            "wait_removed",
            "ensure_site_system",
            "add_scp",
            "wait_installed",
            "verify",
            "clear_intent",
        ],
        False,
        "scp01.contoso.com",
    ),
    (
        "reconfigure-site-system",
        state(scp=SCP_A),
        DesiredScp(
            server="scp01.contoso.com", site_system=SiteSystemSpec("scp01.contoso.com", public_fqdn="scp.contoso.com")
        ),
        ["ensure_site_system"],
        False,
        None,
    ),
    (
        "standalone-install",
        state(sites=(STANDALONE,)),
        DesiredScp(server="scp01.contoso.com", wait=False),
        ["add_scp"],
        False,
        None,
    ),
]


@pytest.mark.parametrize("case_id, current, desired, expected, restart, moved", CASES, ids=[c[0] for c in CASES])
def test_plans(case_id, current, desired, expected, restart, moved):
    plan = plan_scp(current, desired)
    assert actions(plan) == expected
    assert plan.restart_required is restart
    assert plan.moved_from == moved
    assert plan.changed is any(s.mutates for s in plan.steps)
    assert all(s.description for s in plan.steps)
    assert [d["action"] for d in plan.to_list()] == expected
    if desired.state == "present" and expected:
        assert plan.predicted_after["server"] == desired.server.lower()


def _kinds(cls):
    return [cls] if "action" in vars(cls) else [k for sub in cls.__subclasses__() for k in _kinds(sub)]


def test_the_table_covers_every_step_kind():
    planned = {a for c in CASES for a in c[3]}
    assert planned == {kind.action for kind in _kinds(Step)}
    assert len(_kinds(Step)) == len(planned)  # one id per kind


def test_every_step_kind_is_documented_in_the_module_return():
    import pathlib

    doc = (pathlib.Path(__file__).parents[2] / "plugins" / "modules" / "service_connection_point.py").read_text()
    for kind in _kinds(Step):
        assert kind.action in doc


SPEC = SiteSystemSpec("scp01.contoso.com", site_code="CAS")
# what the module returns in `plan` for each kind: the shape and keys the RETURN documentation promises
STEP_RESULTS = [
    (EnsureSiteSystem("d", spec=SPEC), "ensure_site_system", True, {"site_system": "scp01.contoso.com"}),
    (
        AddScp("d", server="scp01.contoso.com", site_code="CAS", mode="Offline"),
        "add_scp",
        True,
        {"scp": {"server": "scp01.contoso.com", "site_code": "CAS", "mode": "Offline"}},
    ),
    (SetMode("d", server="scp01.contoso.com", site_code="CAS", mode="Online"), "set_mode", True, {"mode": "Online"}),
    (RemoveScp("d", server="scp01.contoso.com", site_code="CAS"), "remove_scp", True, {"scp": None}),
    (RemoveScp("d", server="scp01.contoso.com", site_code="CAS", moving=True), "remove_scp", True, {"scp_on": None}),
    (WaitRemoved("d", server="scp01.contoso.com", site_code="CAS"), "wait_removed", False, {"installed": False}),
    (WaitInstalled("d", server="scp01.contoso.com", site_code=None), "wait_installed", False, {"thread": "Running"}),
    (
        Verify("d", server="scp01.contoso.com", site_code="CAS", mode="Online"),
        "verify",
        False,
        {"scp": {"server": "scp01.contoso.com", "site_code": "CAS", "mode": "Online"}},
    ),
    (RecordIntent("d", intent=Intent("move", "a", "b", "CAS", "Online")), "record_intent", True, {}),
    (ClearIntent("d"), "clear_intent", False, {}),
]


@pytest.mark.parametrize(
    "step, action, mutates, expects", STEP_RESULTS, ids=[type(c[0]).__name__ for c in STEP_RESULTS]
)
def test_step_results(step, action, mutates, expects):
    assert step.to_dict() == {"action": action, "description": "d", "mutates": mutates, "expects": expects}
    assert step.action == action and step.mutates is mutates
    with pytest.raises(AttributeError):
        step.description = "x"  # frozen: a plan is not edited after planning


REFUSALS = [
    ("child-primary", state(), DesiredScp(server="scp01.contoso.com", site_code="PS1"), ["PS1", "top-tier site CAS"]),
    ("unknown-site", state(), DesiredScp(server="scp01.contoso.com", site_code="XX9"), ["XX9"]),
    ("elsewhere", state(scp=SCP_A), DesiredScp(server="scp02.contoso.com"), ["scp01.contoso.com", "allow_move"]),
    (
        "expansion",
        state(sites=(Site("PS1", "P", 2, None, "ps01", "C:", "5", 5),)),
        DesiredScp(server="scp01.contoso.com"),
        ["expansion"],
    ),
    (
        "expansion-mode-change",
        state(sites=(Site("CAS", "C", 4, None, "c", "C:", "5", 5),), scp=SCP_A),
        DesiredScp(server="scp01.contoso.com", mode="Offline"),
        ["expansion"],
    ),
    (
        "update-installing",
        state(scp=SCP_A, updates=[SiteUpdate("Configuration Manager 2409", 196609)]),
        DesiredScp(server="scp02.contoso.com", allow_move=True),
        ["2409", "installing"],
    ),
    (
        "update-installing-remove",
        state(scp=SCP_A, updates=[SiteUpdate("CM 2409", 196609)]),
        DesiredScp(state="absent"),
        ["installing"],
    ),
    ("no-top-tier", state(sites=(PRI,)), DesiredScp(server="scp01.contoso.com"), ["top-tier"]),
]


@pytest.mark.parametrize("case_id, current, desired, words", REFUSALS, ids=[c[0] for c in REFUSALS])
def test_refusals(case_id, current, desired, words):
    with pytest.raises(PlanRefused) as info:
        plan_scp(current, desired)
    for word in words:
        assert word in str(info.value)
    assert "cas01.contoso.com" in str(info.value)


def test_update_in_other_state_does_not_block():
    plan = plan_scp(state(updates=[SiteUpdate("CM 2409", 196612)]), DesiredScp(server="scp01.contoso.com"))
    assert actions(plan)[0] == "add_scp"


@pytest.mark.parametrize(
    "given, option",
    [
        ({"state": "present"}, "server"),
        ({"server": "a", "mode": "sometimes"}, "mode"),  # refused by DesiredScp itself, before any planning
        ({"state": "gone"}, "state"),
    ],
)
def test_invalid(given, option):
    with pytest.raises(InvalidOption) as info:
        plan_scp(state(), DesiredScp(**given))
    assert info.value.option == option


def test_desired_is_normalised_once_at_the_edge():
    desired = DesiredScp(server="SCP01.Contoso.com", site_code="cas", mode="OFFLINE")
    assert (desired.server, desired.site_code, desired.mode) == ("scp01.contoso.com", "CAS", "Offline")
    assert DesiredScp().mode is None
    plan = plan_scp(state(scp=SCP_A), desired)
    assert plan.steps == [
        SetMode(
            "set the service connection point on scp01.contoso.com to Offline mode (was Online)",
            server="scp01.contoso.com",
            site_code="CAS",
            mode="Offline",
        )
    ]


def test_plan_serialises():
    plan = plan_scp(state(scp=SCP_A), DesiredScp(server="scp02.contoso.com", allow_move=True))
    listed = plan.to_list()
    assert listed[0]["action"] == "record_intent" and listed[0]["mutates"] is True
    assert listed[1] == {
        "action": "remove_scp",
        "description": "remove the service connection point from scp01.contoso.com",
        "mutates": True,
        "expects": {"scp_on": None},
    }


def test_scp_stranded_at_a_child_site_is_refused_or_moved():
    stranded = ScpInfo("scp01.contoso.com", "PS1", "Online")
    with pytest.raises(PlanRefused) as info:
        plan_scp(state(scp=stranded), DesiredScp(server="scp01.contoso.com"))
    assert "site PS1" in str(info.value) and "top-tier site CAS" in str(info.value) and "allow_move" in str(info.value)
    plan = plan_scp(state(scp=stranded), DesiredScp(server="scp01.contoso.com", allow_move=True))
    assert actions(plan) == [
        "record_intent",
        "remove_scp",
        "wait_removed",
        "add_scp",
        "wait_installed",
        "verify",
        "clear_intent",
    ]
    assert (plan.steps[1].server, plan.steps[1].site_code, plan.steps[1].moving) == ("scp01.contoso.com", "PS1", True)
    assert plan.steps[3].site_code == "CAS" and plan.predicted_after["site_code"] == "CAS"


def test_conflicting_site_code_is_refused():
    with pytest.raises(PlanRefused) as info:
        plan_scp(state(scp=SCP_A), DesiredScp(server="scp01.contoso.com", site_code="PS1"))
    assert "top-tier site CAS" in str(info.value)


def test_child_primary_provider_names_the_parent_as_top_tier():
    child = ProviderState("PS1", "ps01.contoso.com", "5.2107", Hierarchy([PRI]), None, [SS_A])
    with pytest.raises(PlanRefused) as info:
        plan_scp(child, DesiredScp(server="scp01.contoso.com"))
    assert "reports to CAS" in str(info.value) and "top-tier site CAS" in str(info.value)
    with pytest.raises(PlanRefused) as info:
        plan_scp(child, DesiredScp(server="scp01.contoso.com", site_code="CAS"))
    assert "top-tier site CAS" in str(info.value)


def test_unreadable_mode_refuses_instead_of_replanning_forever():
    unknown = ScpInfo("scp01.contoso.com", "CAS", None)
    with pytest.raises(PlanRefused) as info:
        plan_scp(state(scp=unknown), DesiredScp(server="scp01.contoso.com", mode="Offline"))
    assert "could not read the current mode" in str(info.value)
    plan = plan_scp(state(scp=unknown), DesiredScp(server="scp01.contoso.com"))
    assert not plan.changed and plan.predicted_after["mode"] is None


def test_one_normalise_mode():
    from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp import planner
    from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.configmgr import model, provider

    assert planner.normalise_mode is model.normalise_mode is provider.normalise_mode
    assert not hasattr(planner, "_mode")
    assert model.normalise_mode("OFFLINE") == "Offline"
    with pytest.raises(InvalidOption):
        model.normalise_mode("sometimes")


def test_check_site_is_top_tier_names_an_unknown_site_and_the_sites_that_exist():
    from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.configmgr.model import (
        Hierarchy,
        Site,
        check_site_is_top_tier,
    )

    cas = Site("CAS", None, 4, None, "cas01.contoso.com", None, None, None)
    child = Site("PR1", None, 2, "CAS", "pri01.contoso.com", None, None, None)
    verdict = check_site_is_top_tier(Hierarchy([cas, child]), "ZZZ")
    assert not verdict.ok and "ZZZ does not exist" in verdict.message and "CAS, PR1" in verdict.message
    # a child's provider lists only its own site: its parent still exists
    assert "does not exist" not in check_site_is_top_tier(Hierarchy([child]), "CAS").message


# -- topologies (issue: correct in every real topology) -------------------------------------------------------------
SCP_CHILD = ScpInfo("scp02.contoso.com", "PS1", "Online")


def test_removal_through_a_child_primary_provider_is_refused():
    """Remove-CMServiceConnectionPoint -SiteCode CAS sent through a child's provider: the same top-tier rule as install."""
    with pytest.raises(PlanRefused) as info:
        plan_scp(state(scp=SCP_A, provider_site="PS1"), DesiredScp(state="absent"))
    text = str(info.value)
    assert "SMS Provider of site PS1" in text and "top-tier site CAS" in text and "cas01.contoso.com" in text


@pytest.mark.parametrize(
    "desired",
    [
        DesiredScp(server="scp01.contoso.com", mode="Offline"),
        DesiredScp(server="scp02.contoso.com", allow_move=True),
        DesiredScp(
            server="scp01.contoso.com", site_system=SiteSystemSpec("scp01.contoso.com", public_fqdn="x.contoso.com")
        ),
    ],
)
def test_every_change_through_a_child_provider_is_refused(desired):
    with pytest.raises(PlanRefused) as info:
        plan_scp(state(scp=SCP_A, provider_site="PS1"), desired)
    assert "SMS Provider of site PS1" in str(info.value)


def test_noop_through_a_child_provider_is_fine():
    assert plan_scp(state(scp=SCP_A, provider_site="PS1"), DesiredScp(server="scp01.contoso.com")).steps == []


def test_stranded_scp_at_a_child_site_is_removed_from_the_top_tier():
    plan = plan_scp(state(scp=SCP_CHILD), DesiredScp(state="absent"))
    assert actions(plan) == ["record_intent", "remove_scp", "wait_removed"]
    assert plan.steps[0].intent == Intent("remove", "scp02.contoso.com", None, "PS1", "Online")
    assert (plan.steps[1].server, plan.steps[1].site_code, plan.steps[1].moving) == ("scp02.contoso.com", "PS1", False)
    assert plan.steps[2].site_code == "PS1"  # the wait reads the child site server's sitecomp.log


@pytest.mark.parametrize("mode", ["Offline", "Online"])
def test_a_move_keeps_the_current_mode(mode):
    current = ScpInfo("scp01.contoso.com", "CAS", mode)
    plan = plan_scp(state(scp=current), DesiredScp(server="scp02.contoso.com", allow_move=True))
    add = next(s for s in plan.steps if isinstance(s, AddScp))
    assert add.mode == mode and plan.predicted_after["mode"] == mode


def test_a_move_with_mode_uses_it():
    plan = plan_scp(state(scp=SCP_A_OFF), DesiredScp(server="scp02.contoso.com", allow_move=True, mode="online"))
    assert next(s for s in plan.steps if isinstance(s, AddScp)).mode == "Online"


def test_a_move_with_an_unreadable_mode_needs_mode():
    unknown = ScpInfo("scp01.contoso.com", "CAS", None)
    with pytest.raises(PlanRefused) as info:
        plan_scp(state(scp=unknown), DesiredScp(server="scp02.contoso.com", allow_move=True))
    assert "give mode" in str(info.value)


def test_configured_but_not_installed_waits_again():
    """A re-run after a timed-out wait: the role is configured, its thread key does not exist: wait, do not report ok."""
    plan = plan_scp(state(scp=SCP_A), DesiredScp(server="scp01.contoso.com"), {"scp01.contoso.com": False})
    assert actions(plan) == ["wait_installed"] and not plan.changed and plan.pending == "install"
    plan = plan_scp(state(scp=SCP_A), DesiredScp(server="scp01.contoso.com", wait=False), {"scp01.contoso.com": False})
    assert actions(plan) == [] and plan.pending == "install"
    plan = plan_scp(state(scp=SCP_A), DesiredScp(server="scp01.contoso.com"), {"scp01.contoso.com": True})
    assert actions(plan) == [] and plan.pending is None
    plan = plan_scp(state(scp=SCP_A), DesiredScp(server="scp01.contoso.com"), {"scp01.contoso.com": None})
    assert actions(plan) == []  # unknown: nothing claimed, the action warns


def test_removed_but_still_installed_waits_again():
    plan = plan_scp(state(), DesiredScp(state="absent", server="scp01.contoso.com"), {"scp01.contoso.com": True})
    assert actions(plan) == ["wait_removed"] and not plan.changed and plan.pending == "removal"
    assert (
        actions(plan_scp(state(), DesiredScp(state="absent", server="scp01.contoso.com"), {"scp01.contoso.com": False}))
        == []
    )


HA_ROLES = [
    {"RoleName": "SMS Site Server", "NetworkOSPath": "\\\\cas01.contoso.com", "SiteCode": "CAS"},
    {"RoleName": "SMS Site Server", "NetworkOSPath": "\\\\cas02.contoso.com", "SiteCode": "CAS"},
]


@pytest.mark.parametrize("server", ["cas01.contoso.com", "cas02.contoso.com", "CAS02"])
def test_ha_site_servers_are_refused(server):
    with pytest.raises(PlanRefused) as info:
        plan_scp(state(roles=HA_ROLES), DesiredScp(server=server))
    assert "high availability" in str(info.value) and "cas01.contoso.com, cas02.contoso.com" in str(info.value)


def test_ha_pair_does_not_block_another_server():
    assert actions(plan_scp(state(roles=HA_ROLES), DesiredScp(server="scp01.contoso.com", wait=False))) == ["add_scp"]


# -- convergence: drift and an interrupted move --------------------------------------------------------------------
def _thread(**kw):
    from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.configmgr.model import ThreadState

    return ThreadState(
        "scp01.contoso.com",
        "SMS_DMP_DOWNLOADER",
        present=True,
        current_state=kw.pop("state", "Running"),
        requested_operation=kw.pop("requested", "None"),
        **kw,
    )


@pytest.mark.parametrize(
    "seen, why",
    [
        (_thread(pending_mode="Offline"), "Offline mode was set"),
        (_thread(state="Stopped"), "is Stopped"),
        (_thread(state="Running", requested="Stop"), "requested Stop"),
    ],
)
def test_a_mode_no_restart_applied_or_a_stopped_thread_asks_for_the_restart(seen, why):
    """A run stopped between Set-CMServiceConnectionPoint and the restart (or after Stop was written): the next run
    asks for the restart instead of reporting nothing to do."""
    plan = plan_scp(
        state(scp=SCP_A_OFF), DesiredScp(server="scp01.contoso.com", mode="offline"), {"scp01.contoso.com": seen}
    )
    assert plan.restart_required and not plan.changed and why in plan.drift and plan.steps == []


def test_a_running_thread_without_a_record_is_no_drift():
    plan = plan_scp(state(scp=SCP_A_OFF), DesiredScp(server="scp01.contoso.com"), {"scp01.contoso.com": _thread()})
    assert plan.steps == [] and not plan.restart_required and plan.drift is None


def test_an_interrupted_move_is_finished_in_the_recorded_mode():
    """The old SCP was removed, the run stopped: no SCP, and no mode given: the recorded mode (Offline) is used."""
    current = state()
    current.intent = Intent("move", "scp01.contoso.com", "scp02.contoso.com", "CAS", "Offline")
    plan = plan_scp(current, DesiredScp(server="scp02.contoso.com", allow_move=True))
    assert actions(plan) == ["add_scp", "wait_installed", "clear_intent"]
    assert plan.steps[0].mode == "Offline"


def test_a_finished_move_forgets_its_record():
    current = state(scp=ScpInfo("scp02.contoso.com", "CAS", "Offline"))
    current.intent = Intent("move", "scp01.contoso.com", "scp02.contoso.com", "CAS", "Offline")
    plan = plan_scp(current, DesiredScp(server="scp02.contoso.com"), {"scp02.contoso.com": True})
    assert actions(plan) == ["clear_intent"] and not plan.changed


def test_removing_an_scp_that_was_never_installed_does_not_wait_for_a_deinstallation():
    plan = plan_scp(state(scp=SCP_A), DesiredScp(state="absent"), {"scp01.contoso.com": False})
    assert actions(plan) == ["record_intent", "remove_scp"]
    assert actions(plan_scp(state(scp=SCP_A), DesiredScp(state="absent"), {"scp01.contoso.com": True})) == [
        "record_intent",
        "remove_scp",
        "wait_removed",
    ]
