"""check_top_tier: the one top-tier rule of every change, for the SCP planner and usage_data alike."""

from __future__ import annotations

import pytest

from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp import check_top_tier, plan_scp, plan_usage_data
from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.configmgr.model import (
    Hierarchy,
    ProviderState,
    ScpInfo,
    Site,
)
from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.errors import PlanRefused
from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.planner import DesiredScp

CAS = Site("CAS", "Central", 4, None, "cas01.contoso.com", "C:\\CM", "5.0", 0)
PR1 = Site("PR1", "Primary", 2, "CAS", "pri01.contoso.com", "C:\\CM", "5.0", 0)
PS1 = Site("PS1", "Primary", 2, None, "cm01.contoso.com", "C:\\CM", "5.0", 0)
SEC = Site("SE1", "Secondary", 1, "PR1", "sec01.contoso.com", "C:\\CM", "5.0", 0)


def state(
    provider_site: str,
    sites: tuple[Site, ...],
    provider: str = "prov.contoso.com",
    level: str = "Enhanced",
    scp: ScpInfo = None,
) -> ProviderState:
    return ProviderState(
        provider_site,
        provider,
        "5.0",
        Hierarchy(list(sites)),
        scp,
        [],
        usage_data_level=level,
        scps=[scp] if scp else [],
    )


CASES = [
    # id, provider's site, sites Get-CMSite lists, ok, what the message names (top_tier_site)
    ("cas", "CAS", (CAS, PR1), True, ["site CAS is the top-tier site"], "CAS"),
    ("standalone", "PS1", (PS1,), True, ["site PS1 is the top-tier site"], "PS1"),
    (
        "child-sees-cas",
        "PR1",
        (CAS, PR1),
        False,
        [
            "SMS Provider of site PR1 (prov.contoso.com)",
            "site PR1 is not the top-tier site",
            "top-tier site CAS (site server cas01.contoso.com)",
        ],
        "CAS",
    ),
    (
        "child-sees-itself-only",
        "PR1",
        (PR1,),
        False,
        ["site PR1 is a child primary site; its parent, the top-tier site, is CAS", "top-tier site CAS"],
        "CAS",
    ),
    ("nothing-visible", "PR1", (), False, ["no top-tier site is visible"], None),
    (
        "unknown-provider-site",
        "",
        (CAS, PR1),
        False,
        ["the SMS Provider's site is not known", "top-tier site CAS"],
        "CAS",
    ),
    ("secondary-in-list", "PR1", (CAS, PR1, SEC), False, ["top-tier site CAS"], "CAS"),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_check_top_tier(case):
    _id, site, sites, ok, parts, top = case
    verdict = check_top_tier(state(site, sites), "set the thing")
    assert verdict.ok is ok and verdict.top_tier_site == top
    for part in parts:
        assert part in verdict.message
    if not ok:
        assert verdict.message.startswith("cannot set the thing through the SMS Provider of site")


@pytest.mark.parametrize("case", [c for c in CASES if not c[3]], ids=[c[0] for c in CASES if not c[3]])
def test_usage_data_and_the_scp_planner_refuse_with_the_same_rule(case):
    """The same verdict, word for word after `what`, for both modules that change the top-tier site."""
    _id, site, sites, _ok, _parts, _top = case
    current = state(site, sites, scp=ScpInfo("scp01.contoso.com", site or "CAS", "Online"))
    with pytest.raises(PlanRefused) as usage:
        plan_usage_data(current, "full")
    with pytest.raises(PlanRefused) as scp:
        plan_scp(current, DesiredScp(state="absent"))
    reason = check_top_tier(current, "x").message.split(": ", 1)[1]
    assert reason in str(usage.value) and reason in str(scp.value)
    assert "prov.contoso.com" in str(usage.value) and "prov.contoso.com" in str(scp.value)
