"""Prerequisite checks against the lab: one pipeline per host, and each failing condition found with evidence."""

from __future__ import annotations

from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.configmgr.model import SiteSystemSpec
from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.configmgr.prereqs import run_prerequisites, summary
from tests.functional.conftest import mutating
from tests.lab.lab import load_scenario

SCP01 = "scp01.contoso.com"
CHECKS = [
    "top_tier_site",
    "single_scp",
    "ha_placement",
    "site_server_admin",
    "internet_endpoints",
    "tls12",
    "usage_data_level",
    "aad_secret_expiry",
]


def by_id(results):
    return {r.id: r for r in results}


def test_all_pass_in_the_hierarchy_with_one_pipeline_per_host(make_lab):
    kit = make_lab("hierarchy")
    prov, host = kit.provider(), kit.scp_host(SCP01)
    results = run_prerequisites(prov, SCP01, host)
    assert [r.id for r in results] == CHECKS
    assert summary(results) == "pass", [r.to_dict() for r in results if r.status != "pass"]
    assert prov.session.pipelines_run == 1 and host.session.pipelines_run == 1
    checks = by_id(results)
    assert checks["internet_endpoints"].evidence["proxy"] == "http://proxy.contoso.com:8080"
    assert not any(checks["internet_endpoints"].evidence["direct"].values())  # only through the proxy
    assert "cas01$" in checks["site_server_admin"].message
    assert checks["usage_data_level"].evidence["level"] == "Full"
    assert all(r.reference and r.reference.startswith("https://") for r in results)
    assert mutating(kit.lab.calls()) == []


def test_failures_are_found_with_evidence(make_lab):
    data = load_scenario("standalone-primary")
    broken = {
        "admins": ["CONTOSO\\cmadmin"],
        "site_server_admin": False,
        "tls12": False,
        "network": {"direct": ["*.contoso.com", "go.microsoft.com"], "proxies": {}},
    }
    hosts = [h if h["fqdn"] != SCP01 else dict(h, **broken) for h in data["hosts"]]
    apps = [dict(data["aad_apps"][0], secret_expiry=None, secret_expiry_days=10)]
    kit = make_lab(dict(data, hosts=hosts, aad_apps=apps))
    prov, host = kit.provider(), kit.scp_host(SCP01)
    checks = by_id(
        run_prerequisites(prov, SCP01, host, endpoints=("go.microsoft.com", "aka.ms", "download.microsoft.com"))
    )
    admin = checks["site_server_admin"]
    assert admin.status == "fail" and "cm01$" in admin.message and admin.evidence["administrators"]
    net = checks["internet_endpoints"]
    assert net.status == "fail" and net.evidence["unreachable"] == ["aka.ms", "download.microsoft.com"]
    assert net.evidence["direct"]["go.microsoft.com"] is True
    assert (
        "Unable to connect" in net.evidence["proxy_results"]["aka.ms"]
        or "502" in net.evidence["proxy_results"]["aka.ms"]
    )
    assert checks["tls12"].status == "fail" and checks["tls12"].evidence["not_set"]
    assert checks["aad_secret_expiry"].status == "warn" and "ConfigMgr-CMG" in checks["aad_secret_expiry"].message
    assert checks["top_tier_site"].status == "pass" and checks["single_scp"].status == "pass"


def test_installation_account_satisfies_the_admin_check(make_lab):
    data = load_scenario("standalone-primary")
    hosts = [h if h["fqdn"] != SCP01 else dict(h, site_server_admin=False) for h in data["hosts"]]
    kit = make_lab(dict(data, hosts=hosts))
    planned = SiteSystemSpec(SCP01, account_name="CONTOSO\\cmadmin", proxy_server="proxy.contoso.com", proxy_port=8080)
    checks = by_id(run_prerequisites(kit.provider(), SCP01, kit.scp_host(SCP01), site_system=planned))
    assert checks["site_server_admin"].status == "pass" and "CONTOSO\\cmadmin" in checks["site_server_admin"].message


def test_child_primary_and_existing_scp_are_refused(make_lab):
    kit = make_lab("hierarchy")
    results = by_id(run_prerequisites(kit.provider("pri01.contoso.com", site_code="PR1"), "pri01.contoso.com"))
    assert results["top_tier_site"].status == "fail" and "CAS" in results["top_tier_site"].message
    assert results["single_scp"].status == "fail" and SCP01 in results["single_scp"].message
    assert results["tls12"].status == "warn" and "not checked" in results["tls12"].message
    moved = by_id(run_prerequisites(kit.provider(), "pri01.contoso.com", site_code="CAS", allow_move=True))
    assert moved["single_scp"].status == "warn"
    assert moved["aad_secret_expiry"].evidence["move"] is True


def test_site_server_account_through_a_domain_group_is_a_warning_not_a_failure(make_lab):
    """scp01 lists CONTOSO\\Domain Admins but not CM01$ itself: CM01$ may be an Administrator through that group
    (Get-LocalGroupMember does not expand domain groups), so the check cannot prove it absent."""
    data = load_scenario("standalone-primary")
    hosts = [h if h["fqdn"] != SCP01 else dict(h, site_server_admin=False) for h in data["hosts"]]
    kit = make_lab(dict(data, hosts=hosts))
    host = kit.scp_host(SCP01)
    results = run_prerequisites(kit.provider(), SCP01, host)
    admin = by_id(results)["site_server_admin"]
    assert admin.status == "warn", admin.to_dict()
    assert "cm01$" in admin.message and "contoso\\domain admins" in admin.message.lower()  # the lab lower-cases names
    assert [g.lower() for g in admin.evidence["groups"]] == ["contoso\\domain admins"]
    assert sorted(a.lower() for a in admin.evidence["administrators"]) == ["contoso\\cmadmin", "contoso\\domain admins"]
    assert admin.evidence["not_listed"] == ["cm01$"]
    assert summary(results) == "warn" and host.session.pipelines_run == 1
