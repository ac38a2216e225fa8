"""plan_site_system and friends: settings compared only when set, the accounts that must exist, the removal rule."""

from __future__ import annotations

from typing import Any

import pytest

from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp import (
    DesiredSiteSystem,
    accounts_to_check,
    execute_site_system,
    plan_site_system,
    read_accounts,
    site_system_reads,
)
from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.configmgr.model import (
    Hierarchy,
    ProviderState,
    Site,
    SiteSystemServer,
)
from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.decide.site_system import (
    BASE_ROLES,
    AccountLookup,
    changed_settings,
    set_fields,
    site_system_spec,
)
from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.errors import CommandFailed, PlanRefused
from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.session import PipelineResult, StatementResult

PS1 = Site("PS1", "Primary", 2, None, "cm01.contoso.com", "C:\\CM", "5.0", 0)
SCP01 = "scp01.contoso.com"
PROXIED = SiteSystemServer(
    SCP01, "PS1", proxy_enabled=True, proxy_server="proxy.contoso.com", proxy_port=8080, use_site_server_account=True
)


def role(name: str, server: str = SCP01, site: str = "PS1") -> dict[str, Any]:
    return {"NetworkOSPath": f"\\\\{server.upper()}", "RoleName": name, "SiteCode": site}


def state(*systems: SiteSystemServer, roles: Any = None) -> ProviderState:
    return ProviderState("PS1", "cm01.contoso.com", "5.0", Hierarchy([PS1]), None, list(systems), site_roles=roles)


def desired(state_: str = "present", site_code: Any = None, **settings: Any) -> DesiredSiteSystem:
    return DesiredSiteSystem(SCP01, state_, site_code, dict(settings))


PRESENT = [
    # id, current, desired, changes, steps, after (keys checked)
    (
        "create",
        state(),
        desired(proxy_server="proxy.contoso.com", proxy_port=8080),
        ["proxy_enabled", "proxy_port", "proxy_server"],
        ["ensure_site_system"],
        {"server": SCP01, "site_code": "PS1", "proxy_port": 8080},
    ),
    ("create-bare", state(), desired(), [], ["ensure_site_system"], {"server": SCP01, "site_code": "PS1"}),
    (
        "same-proxy-other-case",
        state(PROXIED),
        desired(proxy_server="PROXY.contoso.com", proxy_port=8080),
        [],
        [],
        {"proxy_port": 8080},
    ),
    (
        "new-port",
        state(PROXIED),
        desired(proxy_server="proxy.contoso.com", proxy_port=3128),
        ["proxy_port"],
        ["ensure_site_system"],
        {"proxy_port": 3128, "proxy_server": "proxy.contoso.com"},
    ),
    (
        "unset-settings-keep",
        state(PROXIED),
        desired(public_fqdn=None, use_site_server_account=False),
        [],
        [],
        {"proxy_port": 8080},
    ),
    (
        "public-fqdn",
        state(PROXIED),
        desired(public_fqdn="SCP.contoso.com"),
        ["public_fqdn"],
        ["ensure_site_system"],
        {"public_fqdn": "scp.contoso.com"},
    ),
    ("site-given-same", state(PROXIED), desired(site_code="ps1"), [], [], {"site_code": "PS1"}),
]


@pytest.mark.parametrize("case", PRESENT, ids=[c[0] for c in PRESENT])
def test_plan_present(case):
    _id, current, wanted, changes, steps, after = case
    plan = plan_site_system(current, wanted)
    assert list(plan.changes) == changes and [s.action for s in plan.steps] == steps
    assert plan.changed is bool(steps)
    assert {k: plan.after[k] for k in after} == after
    if not steps:
        assert plan.after == plan.before


ABSENT = [
    # id, roles at the server, steps, refused roles
    ("not-a-site-system", None, [], None),
    ("base-roles-only", [role("SMS Site System"), role("SMS Component Server")], ["remove_site_system"], None),
    (
        "other-site-roles-elsewhere",
        [role("SMS Site System"), role("SMS Dmp Connector", server="scp02.contoso.com")],
        ["remove_site_system"],
        None,
    ),
    ("scp-still-there", [role("SMS Site System"), role("SMS Dmp Connector")], None, "SMS Dmp Connector"),
    (
        "two-roles-sorted",
        [role("SMS Site System"), role("SMS Management Point"), role("SMS Dmp Connector", site="PR1")],
        None,
        "SMS Dmp Connector, SMS Management Point",
    ),
]


@pytest.mark.parametrize("case", ABSENT, ids=[c[0] for c in ABSENT])
def test_plan_absent(case):
    _id, roles, steps, refused = case
    current = state(roles=roles or []) if roles is None else state(PROXIED, roles=roles)
    if refused:
        with pytest.raises(PlanRefused) as info:
            plan_site_system(current, desired("absent"))
        assert f"still has site system roles ({refused})" in str(info.value)
        assert "configmgr.scp.service_connection_point state=absent" in str(info.value)
        return
    plan = plan_site_system(current, desired("absent"))
    assert [s.action for s in plan.steps] == steps and plan.after is None
    assert plan.before == (PROXIED.to_dict() if steps else None)


def test_base_roles_are_the_ones_every_site_system_has():
    assert BASE_ROLES == {"sms site system", "sms component server"}
    assert site_system_reads("absent") == ("sites", "site_systems", "roles")
    assert site_system_reads("present") == ("sites", "site_systems")


def test_a_server_of_another_site_is_refused():
    with pytest.raises(PlanRefused) as info:
        plan_site_system(state(PROXIED), desired(site_code="CAS", public_fqdn="x.contoso.com"))
    assert "site system of site PS1, not CAS" in str(info.value)


ACCOUNTS = [
    # id, current, settings, check mode, lookups (option, user name)
    ("installation-account", state(), {"account_name": "CONTOSO\\svc"}, False, [("account_name", "CONTOSO\\svc")]),
    ("site-server-account", state(), {"account_name": "CONTOSO\\svc", "use_site_server_account": True}, False, []),
    (
        "proxy-account-for-real",
        state(),
        {"proxy_server": "p.contoso.com", "proxy_port": 80, "proxy_account": "C\\p"},
        False,
        [],
    ),
    (
        "proxy-account-in-check-mode",
        state(),
        {"proxy_server": "p.contoso.com", "proxy_port": 80, "proxy_account": "C\\p", "account_name": "C\\i"},
        True,
        [("account_name", "C\\i"), ("proxy_account", "C\\p")],
    ),
    ("no-change-no-lookup", state(PROXIED), {"proxy_server": "proxy.contoso.com", "proxy_port": 8080}, True, []),
]


@pytest.mark.parametrize("case", ACCOUNTS, ids=[c[0] for c in ACCOUNTS])
def test_accounts_to_check(case):
    _id, current, settings, check_mode, lookups = case
    found = accounts_to_check(current, desired(**settings), check_mode)
    assert [(a.option, a.user_name) for a in found] == lookups


@pytest.mark.parametrize("option,hint", [("account_name", True), ("proxy_account", False)])
def test_an_account_that_was_not_found_refuses_the_change(option, hint):
    lookups = (AccountLookup(option, "CONTOSO\\nobody", found=False),)
    with pytest.raises(PlanRefused) as info:
        plan_site_system(state(), desired(account_name="CONTOSO\\nobody"), lookups)
    assert f"{option} CONTOSO\\nobody is not a ConfigMgr account" in str(info.value)
    assert ("use_site_server_account" in str(info.value)) is hint
    assert plan_site_system(state(), desired(account_name="x"), (AccountLookup(option, "x", found=True),)).changed


def test_settings_helpers():
    fields = set_fields({"use_site_server_account": False, "proxy_server": "p", "public_fqdn": ""})
    assert fields == {"proxy_server", "proxy_enabled"}
    assert site_system_spec(SCP01, {}) is None and site_system_spec(None, {"proxy_server": "p"}) is None
    spec = site_system_spec(SCP01, {"proxy_server": "PROXY.contoso.com", "proxy_port": 8080}, "PS1")
    assert changed_settings(spec, PROXIED, {"proxy_server": "x", "proxy_port": 8080}) == {}


class Provider:
    host = "cm01.contoso.com"

    def __init__(self, accounts: tuple[str, ...] = ()) -> None:
        self.accounts = {a.lower(): a for a in accounts}
        self.calls: list[Any] = []

    def run(self, pipe: Any, idempotent: bool = False) -> PipelineResult:
        names = [dict(c.parameters)["UserName"] for st in pipe.statements for c in st.commands]
        self.calls.append(("Get-CMAccount", names, idempotent))
        return PipelineResult(
            [
                StatementResult(i, [{"UserName": self.accounts[n.lower()]}] if n.lower() in self.accounts else [])
                for i, n in enumerate(names)
            ]
        )

    def ensure_site_system_server(self, spec: Any, current: Any = None, known: bool = False) -> bool:
        self.calls.append(("ensure", spec.server, known))
        return True

    def remove_site_system_server(self, server: str, site_code: Any = None) -> None:
        self.calls.append(("remove", server, site_code))
        raise CommandFailed("access denied", self.host, "Remove-CMSiteSystemServer")

    def read_state(self, include: Any = ()) -> ProviderState:
        self.calls.append(("read", tuple(include)))
        return state(SiteSystemServer(SCP01, "PS1", public_fqdn="scp.contoso.com"))


def test_read_accounts_is_one_round_trip_and_none_without_lookups():
    provider = Provider(accounts=("CONTOSO\\svc",))
    found = read_accounts(
        provider, (AccountLookup("account_name", "contoso\\SVC"), AccountLookup("proxy_account", "x")), SCP01
    )
    assert [a.found for a in found] == [True, False] and provider.calls == [
        ("Get-CMAccount", ["contoso\\SVC", "x"], True)
    ]
    assert read_accounts(provider, (), SCP01) == () and len(provider.calls) == 1


def test_execute_configures_without_a_second_read_then_reads_back():
    provider = Provider()
    plan = plan_site_system(state(PROXIED), desired(public_fqdn="scp.contoso.com"))
    assert execute_site_system(plan, provider)["public_fqdn"] == "scp.contoso.com"
    assert provider.calls == [("ensure", SCP01, True), ("read", ("sites", "site_systems"))]


def test_a_failed_removal_reports_nothing_changed():
    plan = plan_site_system(state(PROXIED, roles=[role("SMS Site System")]), desired("absent"))
    with pytest.raises(CommandFailed) as info:
        execute_site_system(plan, Provider())
    assert info.value.changed is False and info.value.steps_run == []


def test_the_desired_state_keeps_the_site_system_settings_only():
    wanted = DesiredSiteSystem(
        "SCP01.contoso.com", settings={"password": "S3cret", "proxy_port": 8080, "state": "present"}
    )
    assert wanted.server == SCP01 and "S3cret" not in repr(wanted) and wanted.settings["proxy_port"] == 8080
