"""The proxy access account of a site system server: obtained and passed on the remote side by a constant script
(a Get-CMAccount object read over remoting is a Deserialized.* bag that -ProxyAccessAccount <IResultObject> refuses)."""

from __future__ import annotations

import pytest

from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.configmgr import scripts
from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.configmgr.model import SiteSystemSpec
from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.errors import ConfigMgrError
from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.pipeline import Pipeline
from tests.functional.conftest import SCRIPTS_SENT, mutating


def proxy_scripts():
    """The proxy-account scripts sent (the provider's reads are the constant read script too)."""
    return [s for s in SCRIPTS_SENT if s != scripts.READ_SITE_STATE]


SCP01 = "scp01.contoso.com"
ACCOUNT = "CONTOSO\\svc-cmproxy"


def _server(kit, fqdn):
    return {s["fqdn"]: s for s in kit.lab.state()["hierarchy"]["site_systems"]}.get(fqdn)


def test_existing_server_gets_the_proxy_account(make_lab):
    kit = make_lab("standalone-primary")
    prov = kit.provider()
    spec = SiteSystemSpec(SCP01, proxy_server="proxy.contoso.com", proxy_port=8080, proxy_account=ACCOUNT)
    assert prov.ensure_site_system_server(spec) is True
    assert _server(kit, SCP01)["proxy_account"] == ACCOUNT and _server(kit, SCP01)["proxy"] == "proxy.contoso.com:8080"
    assert proxy_scripts() == [scripts.SET_SITE_SYSTEM_SERVER_WITH_PROXY_ACCOUNT]
    calls = kit.lab.calls()
    sets = [c for c in calls if c["cmdlet"] == "Set-CMSiteSystemServer"]
    assert len(sets) == 1 and sets[0]["outcome"] == "ok"
    account = sets[0]["parameters"]["ProxyAccessAccount"]
    assert account.get("UserName") == ACCOUNT and not account.deserialized  # the live object of the remote side
    assert sets[0]["parameters"]["SiteSystemServerName"] == SCP01 and sets[0]["parameters"]["EnableProxy"] is True
    # the check read, then the script's own Get-CMAccount right before the Set, in the same invocation
    accounts = [i for i, c in enumerate(calls) if c["cmdlet"] == "Get-CMAccount"]
    assert len(accounts) == 2 and accounts[1] == calls.index(sets[0]) - 1
    read = prov.read_state(include=("site_systems",)).site_system(SCP01)
    assert read.proxy_account == ACCOUNT
    assert prov.ensure_site_system_server(spec) is False  # idempotent: nothing sent again
    assert len(proxy_scripts()) == 1


def test_new_server_is_created_with_the_proxy_account(make_lab):
    kit = make_lab("standalone-primary")
    prov = kit.provider()
    spec = SiteSystemSpec(
        "new01.contoso.com",
        site_code="PS1",
        account_name="CONTOSO\\cmadmin",
        proxy_server="proxy.contoso.com",
        proxy_port=3128,
        proxy_account=ACCOUNT,
    )
    assert _server(kit, "new01.contoso.com") is None
    assert prov.ensure_site_system_server(spec) is True
    created = _server(kit, "new01.contoso.com")
    assert created["proxy_account"] == ACCOUNT and created["account"] == "CONTOSO\\cmadmin"
    assert created["proxy"] == "proxy.contoso.com:3128"
    assert proxy_scripts() == [scripts.NEW_SITE_SYSTEM_SERVER_WITH_PROXY_ACCOUNT]
    assert [c["outcome"] for c in kit.lab.calls() if c["cmdlet"] == "New-CMSiteSystemServer"] == ["ok"]


def test_unknown_proxy_account_is_refused_before_any_change(make_lab):
    kit = make_lab("standalone-primary")
    prov = kit.provider()
    spec = SiteSystemSpec(SCP01, proxy_server="proxy.contoso.com", proxy_port=8080, proxy_account="CONTOSO\\nobody")
    with pytest.raises(ConfigMgrError) as info:
        prov.ensure_site_system_server(spec)
    assert "CONTOSO\\nobody is not a ConfigMgr account" in str(info.value) and "cm01.contoso.com" in str(info.value)
    assert mutating(kit.lab.calls()) == [] and proxy_scripts() == []
    assert _server(kit, SCP01)["proxy_account"] == ""


def test_a_script_that_is_not_registered_never_leaves_the_library(make_lab):
    kit = make_lab("standalone-primary")
    session = kit.session("cm01.contoso.com")
    with pytest.raises(ValueError, match="not a registered constant script"):
        Pipeline().add_script("Get-Date")
    pipe = Pipeline(operation="try to smuggle a script")
    pipe.add_script(
        scripts.SET_SITE_SYSTEM_SERVER_WITH_PROXY_ACCOUNT,
        ("Parameters", {"SiteSystemServerName": SCP01}),
        ("ProxyUserName", ACCOUNT),
    )
    pipe.statements[0].commands[0].text = "Remove-CMSiteSystemServer -SiteSystemServerName scp01.contoso.com -Force"
    with pytest.raises(ValueError, match="not a registered constant script"):
        session.run(pipe)
    assert kit.lab.calls() == [] and proxy_scripts() == []
