"""plan_usage_data / execute_usage_data: the level from one read, the change, what a failure after it reports."""

from __future__ import annotations

from typing import Any

import pytest

from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp import execute_usage_data, plan_usage_data
from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.configmgr.model import Hierarchy, ProviderState, Site
from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.errors import (
    CommandFailed,
    ConfigMgrError,
    InvalidOption,
    PlanRefused,
)

CAS = Site("CAS", "Central", 4, None, "cas01.contoso.com", "C:\\CM", "5.0", 0)
PR1 = Site("PR1", "Primary", 2, "CAS", "pri01.contoso.com", "C:\\CM", "5.0", 0)


def state(level: str | None = "Enhanced", site: str = "CAS", sites: tuple = (CAS, PR1)) -> ProviderState:
    return ProviderState(
        site, f"{site.lower()}.contoso.com", "5.0", Hierarchy(list(sites)), None, [], usage_data_level=level
    )


CASES = [
    # id, current state, wanted level, before, after, step actions
    ("change", state("Enhanced"), "full", "Enhanced", "Full", ["set_usage_data_level"]),
    ("same", state("Full"), "FULL", "Full", "Full", []),
    ("basic", state("Full"), "basic", "Full", "Basic", ["set_usage_data_level"]),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_plan_usage_data(case):
    _id, current, level, before, after, actions = case
    plan = plan_usage_data(current, level)
    assert (plan.before, plan.after) == (before, after)
    assert [s.action for s in plan.steps] == actions and plan.changed is bool(actions)
    assert all(s.mutates and s.expects == {"usage_data_level": after} for s in plan.steps)


REFUSALS = [
    # id, current state, level, error type, message parts
    (
        "child-sees-cas",
        state(site="PR1"),
        "full",
        PlanRefused,
        ["top-tier site CAS", "SMS Provider of site PR1 (pr1.contoso.com)", "cas01.contoso.com"],
    ),
    ("child-sees-itself", state(site="PR1", sites=(PR1,)), "full", PlanRefused, ["top-tier site, is CAS"]),
    ("child-even-when-equal", state("Full", site="PR1"), "full", PlanRefused, ["top-tier"]),
    ("unreadable", state(None), "full", ConfigMgrError, ["could not read the current usage data level"]),
    ("bad-level", state(), "everything", InvalidOption, ["basic, enhanced or full"]),
]


@pytest.mark.parametrize("case", REFUSALS, ids=[c[0] for c in REFUSALS])
def test_plan_usage_data_refuses(case):
    _id, current, level, error, parts = case
    with pytest.raises(error) as info:
        plan_usage_data(current, level)
    for part in parts:
        assert part in str(info.value)


class Provider:
    host = "cas01.contoso.com"

    def __init__(self, after: str | None = "Full", fail_read: bool = False) -> None:
        self.calls: list[Any] = []
        self.after, self.fail_read = after, fail_read

    def set_usage_data_level(self, level: str) -> None:
        self.calls.append(("set", level))

    def read_state(self, include: Any = ()) -> ProviderState:
        self.calls.append(("read", tuple(include)))
        if self.fail_read:
            raise CommandFailed("lost", self.host, "Get-CMHierarchySetting")
        return state(self.after)


def test_execute_sets_then_reads_back():
    provider = Provider()
    assert execute_usage_data(plan_usage_data(state(), "full"), provider) == "Full"
    assert provider.calls == [("set", "Full"), ("read", ("sites", "usage"))]


def test_execute_without_steps_calls_nothing():
    provider = Provider()
    assert execute_usage_data(plan_usage_data(state("Full"), "full"), provider) == "Full" and provider.calls == []


def test_a_failure_after_the_change_reports_it():
    with pytest.raises(CommandFailed) as info:
        execute_usage_data(plan_usage_data(state(), "full"), Provider(fail_read=True))
    assert info.value.changed is True and [s["action"] for s in info.value.steps_run] == ["set_usage_data_level"]
