"""SiteProvider.read_state on every scenario, compared with the lab's own world state."""

from __future__ import annotations

import pytest

from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.configmgr.provider import SiteProvider
from tests.functional.conftest import SITE_OF

EXPECTED_SCP = {
    "standalone-primary": None,
    "standalone-with-scp": ("cm01.contoso.com", "Online"),
    "hierarchy": ("scp01.contoso.com", "Online"),
    "expansion": ("scp01.contoso.com", "Offline"),
}


@pytest.mark.parametrize("scenario", sorted(SITE_OF))
def test_read_state_matches_the_world(make_lab, scenario):
    kit = make_lab(scenario)
    state = kit.provider().read_state()
    world = kit.lab.state()
    roots = {code for code, site in world["hierarchy"]["sites"].items() if not site["reporting_site_code"]}
    assert {s.site_code for s in state.hierarchy.sites} >= roots
    top = state.hierarchy.top_tier
    assert top is not None and top.site_code == SITE_OF[scenario][1]
    assert state.hierarchy.is_standalone == (scenario != "hierarchy")
    configured = world["scp"]["configured"]
    expected = EXPECTED_SCP[scenario]
    if expected is None:
        assert state.scp is None and configured is None
    else:
        assert (state.scp.server, state.scp.mode) == expected
        assert (configured["server"], configured["mode"]) == expected
    servers = {s["fqdn"] for s in world["hierarchy"]["site_systems"]}
    assert servers <= {s.server for s in state.site_systems}
    assert state.usage_data_level == (world["hierarchy"]["telemetry_level"] or None)
    assert state.module_version and state.module_version.startswith("5.")


def test_site_code_discovery_and_site_systems_with_proxy(make_lab):
    kit = make_lab("hierarchy")
    prov = SiteProvider(kit.session("cas01.contoso.com"))  # no site code: discovered
    state = prov.read_state()
    assert prov.site_code == "CAS" and prov.provider == "cas01.contoso.com"
    scp01 = state.site_system("scp01.contoso.com")
    assert scp01.proxy_enabled and (scp01.proxy_server, scp01.proxy_port) == ("proxy.contoso.com", 8080)
    assert scp01.use_site_server_account


def test_aad_apps_and_updates(make_lab):
    kit = make_lab("standalone-primary")
    state = kit.provider().read_state()
    assert [a.name for a in state.aad_apps] == ["ConfigMgr-CMG"]
    expiry = state.aad_apps[0].secret_expiry
    # the scenario gives secret_expiry_days: 119 from the lab clock's start (the controller's time)
    assert expiry is not None and abs((expiry - kit.lab.world.clock.start).days - 119) <= 1
    assert state.updates and state.updates_in_progress == []


def test_noop_check_is_one_pipeline_within_eight_requests(make_lab):
    kit = make_lab("standalone-with-scp")
    prov = kit.provider()
    kit.lab.clear_log()
    prov.read_state()
    requests = kit.lab.requests()
    assert prov.session.pipelines_run == 1
    assert len(requests) <= 8, requests
    assert [r["action"] for r in requests].count("Command") == 1
