"""Prerequisite checks against fake sessions: batching, the resume after a terminating probe error, each verdict."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.configmgr.model import SiteSystemSpec
from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.configmgr.prereqs import (
    CheckResult,
    run_prerequisites,
    summary,
)
from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.configmgr.provider import SiteProvider
from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.configmgr.scphost import ScpHost
from tests.unit.fakes import FakeSession, Terminating
from tests.unit.test_domain import SCP, provider_answers

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=timezone.utc)
SCP02 = "scp02.contoso.com"
TLS_OK = [{"SystemDefaultTlsVersions": 1, "SchUseStrongCrypto": 1}]


def role(server, name, site="PS1"):
    return {"NetworkOSPath": f"\\\\{server}", "RoleName": name, "SiteCode": site}


ROLES = [role("cm01.contoso.com", "SMS Site Server"), role("scp01.contoso.com", "SMS Dmp Connector")]


def member(name, kind="User", source="ActiveDirectory"):
    """One Get-LocalGroupMember object (Microsoft.PowerShell.Commands.LocalPrincipal)."""
    return {"Name": name, "ObjectClass": kind, "PrincipalSource": source, "SID": f"S-1-5-21-1-{len(name)}"}


USERS_ONLY = {"Get-LocalGroupMember": [member("SCP01\\Administrator", source="Local"), member("CONTOSO\\cmadmin")]}
WITH_GROUP = {"Get-LocalGroupMember": USERS_ONLY["Get-LocalGroupMember"] + [member("CONTOSO\\Domain Admins", "Group")]}


def host_answers(**extra):
    answers = {
        "Get-LocalGroupMember": [member("CONTOSO\\CM01$"), member("CONTOSO\\cmadmin")],
        "Get-ItemProperty": TLS_OK,
        "Test-NetConnection": [True],
        "Invoke-WebRequest": [{"StatusCode": 200}],
    }
    answers.update(extra)
    return answers


def run(server="scp01.contoso.com", prov_extra=None, host_extra=None, **kwargs):
    prov_session = FakeSession(answers=provider_answers(**{"Get-CMSiteRole": ROLES, **(prov_extra or {})}))
    host_session = FakeSession(server, host_answers(**(host_extra or {})))
    results = run_prerequisites(
        SiteProvider(prov_session, site_code="PS1"), server, ScpHost(host_session), now=NOW, **kwargs
    )
    return {r.id: r for r in results}, prov_session, host_session


def test_one_pipeline_per_host_with_structured_probes():
    checks, prov, host = run(endpoints=("go.microsoft.com", "aka.ms"))
    assert summary(list(checks.values())) == "pass", [c.to_dict() for c in checks.values() if c.status != "pass"]
    assert len(prov.pipelines) == 1 and "Get-CMSiteRole" in prov.names
    assert len(host.pipelines) == 1
    cmds = host.commands
    assert cmds[0] == ("Get-LocalGroupMember", {"SID": "S-1-5-32-544"})
    probes = [p for n, p in cmds if n == "Test-NetConnection"]
    assert [p["ComputerName"] for p in probes] == ["go.microsoft.com", "aka.ms"]
    assert all(p["Port"] == 443 and p["InformationLevel"] == "Quiet" for p in probes)
    webs = [p for n, p in cmds if n == "Invoke-WebRequest"]  # scp01 has a proxy in the fake site systems
    assert [w["Uri"] for w in webs] == ["https://go.microsoft.com", "https://aka.ms"]
    assert all(
        w["Proxy"] == "http://proxy.contoso.com:8080" and w["Method"] == "Head" and "UseBasicParsing" in w for w in webs
    )
    paths = [p["Path"] for n, p in cmds if n == "Get-ItemProperty"]
    assert paths[1].startswith("HKLM:\\SOFTWARE\\Wow6432Node\\")
    assert isinstance(checks["tls12"], CheckResult) and checks["tls12"].reference


def test_terminating_probe_error_resumes_with_the_next_statement():
    def web(params):
        if "aka.ms" in params["Uri"]:
            raise Terminating("The remote server returned an error: (502) Bad Gateway.")
        return [{"StatusCode": 200}]

    checks, _prov, host = run(
        endpoints=("go.microsoft.com", "aka.ms", "download.microsoft.com"),
        host_extra={"Test-NetConnection": [False], "Invoke-WebRequest": web},
        mode="Online",
    )
    net = checks["internet_endpoints"]
    assert net.status == "fail" and net.evidence["unreachable"] == ["aka.ms"]
    assert "502" in net.evidence["proxy_results"]["aka.ms"]
    assert net.evidence["proxy_results"]["download.microsoft.com"] is True
    assert len(host.pipelines) == 2 and len(host.pipelines[1].statements) == 1  # only the probe after the failure


def test_no_proxy_means_direct_probes_only_and_offline_mode_warns():
    ss = {"NetworkOSPath": "\\\\scp01.contoso.com", "SiteCode": "PS1", "Props": []}
    checks, _prov, host = run(
        prov_extra={"Get-CMSiteSystemServer": [ss]}, host_extra={"Test-NetConnection": [False]}, mode="Offline"
    )
    assert "Invoke-WebRequest" not in host.names
    assert checks["internet_endpoints"].status == "warn"


def test_site_server_account_missing_and_installation_account():
    members = USERS_ONLY  # users only: nothing could hold the account, its absence is proven
    checks, _p, _h = run(host_extra=members)
    assert checks["site_server_admin"].status == "fail" and "cm01$" in checks["site_server_admin"].message
    checks, _p, _h = run(
        host_extra=members, site_system=SiteSystemSpec("scp01.contoso.com", account_name="CONTOSO\\cmadmin")
    )
    assert checks["site_server_admin"].status == "pass"
    checks, _p, _h = run(
        host_extra=members, site_system=SiteSystemSpec("scp01.contoso.com", account_name="CONTOSO\\inst")
    )
    assert checks["site_server_admin"].status == "fail" and "CONTOSO\\inst" in checks["site_server_admin"].message
    checks, _p, _h = run(
        host_extra=WITH_GROUP, site_system=SiteSystemSpec("scp01.contoso.com", account_name="CONTOSO\\inst")
    )
    admin = checks["site_server_admin"]
    assert admin.status == "warn" and "CONTOSO\\inst" in admin.message and "CONTOSO\\Domain Admins" in admin.message
    checks, _p, _h = run(server="cm01.contoso.com", host_extra=members)
    assert checks["site_server_admin"].status == "pass" and "site server itself" in checks["site_server_admin"].message


def test_tls_values_missing_in_one_key():
    def reg(params):
        return TLS_OK if "Wow6432Node" not in params["Path"] else [{"SystemDefaultTlsVersions": 1}]

    checks, _p, _h = run(host_extra={"Get-ItemProperty": reg}, mode="Online")  # the fake SCP is Offline: warn only
    assert checks["tls12"].status == "fail"
    assert checks["tls12"].evidence["not_set"] == [
        "HKLM:\\SOFTWARE\\Wow6432Node\\Microsoft\\.NETFramework\\v4.0.30319\\SchUseStrongCrypto"
    ]


def test_ha_placement():
    roles = ROLES + [role("cm02.contoso.com", "SMS Site Server")]
    checks, _p, _h = run(server="cm02.contoso.com", prov_extra={"Get-CMSiteRole": roles})
    assert checks["ha_placement"].status == "fail" and "high availability" in checks["ha_placement"].message
    assert checks["ha_placement"].evidence["high_availability_site_servers"] == ["cm01.contoso.com", "cm02.contoso.com"]
    checks, _p, _h = run(prov_extra={"Get-CMSiteRole": roles})
    assert checks["ha_placement"].status == "pass"


def test_top_tier_and_single_scp():
    child = {"SiteCode": "PR1", "Type": 2, "ReportingSiteCode": "CAS", "ServerName": "pri01.contoso.com"}
    checks, _p, _h = run(prov_extra={"Get-CMSite": [child]})
    assert checks["top_tier_site"].status == "fail" and "CAS" in checks["top_tier_site"].message
    checks, _p, _h = run(server=SCP02)
    assert checks["single_scp"].status == "fail" and "scp01.contoso.com" in checks["single_scp"].message
    checks, _p, _h = run(server=SCP02, allow_move=True)
    assert checks["single_scp"].status == "warn"
    two = [SCP, dict(SCP, NetworkOSPath="\\\\scp02.contoso.com")]
    checks, _p, _h = run(prov_extra={"Get-CMServiceConnectionPoint": two})
    assert checks["single_scp"].status == "fail" and "2 service connection points" in checks["single_scp"].message


def test_aad_secret_expiry_and_move_reminder():
    def app(days):
        return {"Name": f"app{days}", "SecretKeyExpiry": NOW + timedelta(days=days)}

    checks, _p, _h = run(prov_extra={"Get-CMAADApplication": [app(400)]})
    assert checks["aad_secret_expiry"].status == "pass"
    checks, _p, _h = run(prov_extra={"Get-CMAADApplication": [app(-1), app(10), app(400)]})
    message = checks["aad_secret_expiry"].message
    assert checks["aad_secret_expiry"].status == "warn" and "expired: app-1" in message and "app10" in message
    assert "app400" not in message
    checks, _p, _h = run(server=SCP02, allow_move=True, prov_extra={"Get-CMAADApplication": [app(400)]})
    assert checks["aad_secret_expiry"].status == "warn" and "renew" in checks["aad_secret_expiry"].message


def test_given_state_without_roles_reads_only_the_roles_and_no_host_means_not_checked():
    prov_session = FakeSession(answers=provider_answers(**{"Get-CMSiteRole": ROLES}))
    prov = SiteProvider(prov_session, site_code="PS1")
    state = prov.read_state()
    results = run_prerequisites(prov, "scp01.contoso.com", state=state, now=NOW)
    assert (
        len(prov_session.pipelines) == 2
        and prov_session.pipelines[1].statements[0].commands[0].name == "Get-CMSiteRole"
    )
    assert state.site_roles is None  # the caller's state is not modified
    statuses = {r.id: r.status for r in results}
    assert statuses["tls12"] == statuses["internet_endpoints"] == statuses["site_server_admin"] == "warn"
    assert statuses["usage_data_level"] == "pass"


def test_authenticated_proxy_is_not_probed_and_warns():
    from tests.unit.test_domain import SS

    props = SS["Props"] + [{"PropertyName": "ProxyUserName", "Value1": "CONTOSO\\proxyuser"}]
    checks, _prov, host = run(
        prov_extra={"Get-CMSiteSystemServer": [dict(SS, Props=props)]},
        host_extra={"Test-NetConnection": [False]},
        endpoints=("go.microsoft.com",),
    )
    check = checks["internet_endpoints"]
    assert check.status == "warn" and "authenticated proxy not probed" in check.message
    assert "CONTOSO\\proxyuser" in check.message and check.evidence["proxy"] == "http://proxy.contoso.com:8080"
    assert "Invoke-WebRequest" not in host.names
    # the same proxy without an account is probed, and a failure there fails in online mode
    checks, _prov, host = run(
        host_extra={"Test-NetConnection": [False], "Invoke-WebRequest": Terminating("407")},
        endpoints=("go.microsoft.com",),
        mode="Online",
    )
    assert checks["internet_endpoints"].status == "fail" and "Invoke-WebRequest" in host.names


def test_unknown_site_code_fails_top_tier_and_warns_admin():
    for server in ("scp01.contoso.com", "cm01.contoso.com"):
        checks, _p, _h = run(server=server, site_code="ZZZ")
        top, admin = checks["top_tier_site"], checks["site_server_admin"]
        assert top.status == "fail" and "ZZZ does not exist" in top.message and "PS1" in top.message, top.message
        assert admin.status == "warn" and "site unknown" in admin.message and "itself" not in admin.message, (
            admin.message
        )


def test_site_server_itself_only_when_it_is_one_of_the_sites_servers():
    members = USERS_ONLY
    checks, _p, _h = run(server="cm01.contoso.com", host_extra=members, site_code="PS1")
    assert checks["site_server_admin"].status == "pass" and "site server itself" in checks["site_server_admin"].message
    checks, _p, _h = run(server="scp01.contoso.com", host_extra=members, site_code="PS1")
    assert checks["site_server_admin"].status == "fail"


# -- site_server_admin: only a proven absence fails ---------------------------------------------------------------
def test_account_not_listed_but_a_domain_group_is_a_warning_with_the_evidence():
    """CM01$ may be an Administrator through CONTOSO\\Domain Admins: Get-LocalGroupMember does not expand groups."""
    checks, _p, host = run(host_extra=WITH_GROUP)
    admin = checks["site_server_admin"]
    assert admin.status == "warn", admin.to_dict()
    assert "cm01$" in admin.message and "CONTOSO\\Domain Admins" in admin.message and "group" in admin.message
    assert admin.evidence["administrators"] == ["SCP01\\Administrator", "CONTOSO\\cmadmin", "CONTOSO\\Domain Admins"]
    assert admin.evidence["groups"] == ["CONTOSO\\Domain Admins"]
    assert admin.evidence["not_listed"] == ["cm01$"] and admin.evidence["administrators_read"] is True
    assert summary(list(checks.values())) == "warn"  # fail_on: error no longer stops the play
    assert len(host.pipelines) == 1  # still one pipeline: nothing extra is read


def test_well_known_or_unclassified_members_may_contain_the_account():
    for extra in (
        [member("NT AUTHORITY\\Authenticated Users", "Group", "Unknown")],
        [{"Name": "CONTOSO\\SCCM-Servers"}],
    ):  # no ObjectClass returned: cannot tell
        members = {"Get-LocalGroupMember": USERS_ONLY["Get-LocalGroupMember"] + extra}
        admin = run(host_extra=members)[0]["site_server_admin"]
        assert admin.status == "warn" and extra[0]["Name"] in admin.evidence["groups"], admin.to_dict()


def test_unread_administrators_are_a_warning_not_a_failure():
    admin = run(host_extra={"Get-LocalGroupMember": []})[0]["site_server_admin"]
    assert admin.status == "warn" and "could not be read" in admin.message
    assert admin.evidence["administrators_read"] is False


def test_installation_account_as_upn_cannot_be_compared():
    planned = SiteSystemSpec("scp01.contoso.com", account_name="inst@contoso.com")
    admin = run(host_extra=USERS_ONLY, site_system=planned)[0]["site_server_admin"]
    assert admin.status == "warn" and "inst@contoso.com" in admin.message
