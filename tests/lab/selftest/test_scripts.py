"""Constant scripts in the lab: deserialized objects refused for live-typed parameters, the registered scripts run
with every inner cmdlet bound like a structured call, any other script text refused."""

from __future__ import annotations

from typing import Any

import pytest
from pypsrp.powershell import PowerShell, RunspacePool
from pypsrp.wsman import WSMan

from tests.lab.lab import Lab
from tests.lab.ps import scripts
from tests.lab.ps.runtime import PSRuntime
from tests.lab.selftest.test_cm_cmdlets import Writer, session, world_of
from tests.lab.wsman.backend import Command, ErrorSpec, PipelineRequest, TerminatingError

IMPL = "Microsoft.ConfigurationManagement.PowerShell.Cmdlets.HS."
ACCOUNT = "CONTOSO\\svc-cmproxy"
PROXY = {
    "SiteSystemServerName": "scp01.contoso.com",
    "SiteCode": "PS1",
    "EnableProxy": True,
    "ProxyServerName": "proxy.contoso.com",
    "ProxyServerPort": 3128,
}
SET = scripts.SET_SITE_SYSTEM_SERVER_WITH_PROXY_ACCOUNT
NEW = scripts.NEW_SITE_SYSTEM_SERVER_WITH_PROXY_ACCOUNT
CANNOT_CONVERT = (
    "Cannot bind parameter 'ProxyAccessAccount'. Cannot convert the \"instance of SMS_SCI_Reserved\" value "
    'of type "Deserialized.IResultObject#SMS_SCI_Reserved" to type '
    '"Microsoft.ConfigurationManagement.ManagementProvider.IResultObject".'
)


@pytest.fixture()
def lab():
    with Lab("standalone-primary") as running:
        yield running


def _site_system(lab: Lab, fqdn: str = "scp01.contoso.com") -> dict[str, Any]:
    return {s["fqdn"]: s for s in lab.state()["hierarchy"]["site_systems"]}[fqdn]


def _on_site_drive(pool: RunspacePool) -> PowerShell:
    ps = PowerShell(pool)
    ps.add_cmdlet("Import-Module").add_parameter("Name", "ConfigurationManager").add_statement()
    ps.add_cmdlet("New-PSDrive").add_parameter("Name", "PS1").add_parameter("PSProvider", "CMSite").add_parameter(
        "Root", "cm01.contoso.com"
    ).add_statement()
    ps.add_cmdlet("Set-Location").add_parameter("Path", "PS1:").add_statement()
    return ps


# -- over real PSRP ---------------------------------------------------------------------------------------------
def test_deserialized_account_sent_back_as_proxy_access_account_is_refused(lab):
    """The old approach: read Get-CMAccount, send the object back. Over remoting it is a Deserialized.* bag."""
    with RunspacePool(WSMan(**lab.connection("cm01.contoso.com"))) as pool:
        ps = _on_site_drive(pool)
        ps.add_cmdlet("Get-CMAccount").add_parameter("UserName", ACCOUNT)
        account = ps.invoke()[-1]
        assert account.adapted_properties.get("UserName") or account.extended_properties.get("UserName") == ACCOUNT
        ps = PowerShell(pool)
        ps.add_cmdlet("Set-CMSiteSystemServer")
        for name, value in PROXY.items():
            ps.add_parameter(name, value)
        ps.add_parameter("ProxyAccessAccount", account).add_parameter("ErrorAction", "Stop")
        ps.invoke()
    assert ps.had_errors
    record = ps.streams.error[0]
    assert record.fq_error == "CannotConvertArgumentNoMessage," + IMPL + "SetSiteSystemServer"
    assert (record.category, record.reason) == (5, "ParameterBindingException")  # 5 = InvalidArgument
    assert str(record) == CANNOT_CONVERT
    assert _site_system(lab)["proxy"] == "proxy.contoso.com:8080" and not _site_system(lab)["proxy_account"]
    assert lab.calls()[-1]["outcome"] == "failed: CannotConvertArgumentNoMessage," + IMPL + "SetSiteSystemServer"


def test_registered_script_gets_the_account_remotely(lab):
    with RunspacePool(WSMan(**lab.connection("cm01.contoso.com"))) as pool:
        ps = _on_site_drive(pool)
        ps.add_script(SET).add_parameter("Parameters", PROXY).add_parameter("ProxyUserName", ACCOUNT)
        ps.invoke()
    assert not ps.had_errors, [str(e) for e in ps.streams.error]
    assert _site_system(lab)["proxy_account"] == ACCOUNT and _site_system(lab)["proxy"] == "proxy.contoso.com:3128"
    calls = lab.calls()[-2:]
    assert [(c["cmdlet"], c["outcome"]) for c in calls] == [("Get-CMAccount", "ok"), ("Set-CMSiteSystemServer", "ok")]
    assert calls[0]["parameters"] == {"UserName": ACCOUNT}
    bound = calls[1]["parameters"]
    assert {k: bound[k] for k in PROXY} == PROXY and not bound["ProxyAccessAccount"].deserialized


@pytest.mark.parametrize(
    "text", ["Get-Date", SET.replace("'Stop'", "'Continue'"), SET + "\n", SET.replace("Set-CM", "Remove-CM")]
)
def test_any_other_script_text_is_refused(lab, text):
    with RunspacePool(WSMan(**lab.connection("cm01.contoso.com"))) as pool:
        ps = _on_site_drive(pool)
        ps.add_script(text).add_parameter("Parameters", PROXY).add_parameter("ProxyUserName", ACCOUNT)
        ps.invoke()
    assert ps.had_errors and ps.streams.error[0].fq_error == "ScriptsRefused,Lab"
    assert lab.calls()[-1]["outcome"] == "failed: ScriptsRefused,Lab"
    assert not [
        c
        for c in lab.calls()
        if c["cmdlet"] in ("Get-CMAccount", "Set-CMSiteSystemServer", "Remove-CMSiteSystemServer")
    ]


# -- the interpreter, driven through the runtime ---------------------------------------------------------------
def _script(rt: PSRuntime, text: str, *params: tuple[str | None, Any], extra: list[Command] | None = None) -> Writer:
    writer = Writer()
    commands = [Command(text, True, list(params), not extra)] + list(extra or [])
    rt.invoke(PipelineRequest(commands), writer)
    return writer


def _fails(rt: PSRuntime, text: str, *params: tuple[str | None, Any], extra: list[Command] | None = None) -> ErrorSpec:
    with pytest.raises(TerminatingError) as info:
        _script(rt, text, *params, extra=extra)
    return info.value.spec


def test_new_script_creates_the_server_with_the_live_account():
    world = world_of("standalone-primary")
    rt = session(world)
    params = dict(PROXY, SiteSystemServerName="new01.contoso.com", UseSiteServerAccount=True)
    out = _script(rt, NEW, ("Parameters", params), ("ProxyUserName", ACCOUNT))
    srv = world.hierarchy.server("new01.contoso.com", "PS1")
    assert srv is not None and srv.proxy_account == ACCOUNT and srv.use_site_server_account
    assert (
        out.output and out.output[0].PSObject.type_names[0] == "IResultObject#SMS_SCI_SysResUse"
    )  # not assigned: output
    assert [c["cmdlet"] for c in world.calls[-2:]] == ["Get-CMAccount", "New-CMSiteSystemServer"]
    assert world.calls[-1]["parameters"]["UseSiteServerAccount"] is True


@pytest.mark.parametrize(
    "params, fqid",
    [
        ([("Parameters", PROXY)], "MissingMandatoryParameter"),
        ([("Parameters", PROXY), ("ProxyUserName", ACCOUNT), ("Force", None)], "NamedParameterNotFound"),
        ([("Parameters", "SiteCode=PS1"), ("ProxyUserName", ACCOUNT)], "CannotConvertArgumentNoMessage"),
        ([(None, PROXY), ("ProxyUserName", ACCOUNT)], "PositionalParameterNotFound"),
    ],
)
def test_script_parameters_go_through_the_binder(params, fqid):
    world = world_of("standalone-primary")
    rt = session(world)
    assert _fails(rt, SET, *params).fqid == fqid
    assert world.calls[-1]["cmdlet"] == "Set-CMSiteSystemServerWithProxyAccount"
    assert world.calls[-1]["outcome"] == f"failed: {fqid}"


@pytest.mark.parametrize(
    "splat, fqid",
    [
        (
            {"SiteSystemServerName": "scp01.contoso.com", "Nope": 1},
            "NamedParameterNotFound," + IMPL + "SetSiteSystemServer",
        ),
        (
            {"SiteSystemServerName": "scp01.contoso.com", "ProxyAccessAccount": None},
            "ParameterAlreadyBound," + IMPL + "SetSiteSystemServer",
        ),
        (
            {
                "SiteSystemServerName": "scp01.contoso.com",
                "ProxyAccessAccount": ACCOUNT,
            },  # a string is not an IResultObject
            "CannotConvertArgumentNoMessage," + IMPL + "SetSiteSystemServer",
        ),
        (
            {"SiteSystemServerName": "scp01.contoso.com", "ProxyServerPort": "many"},
            "CannotConvertArgumentNoMessage," + IMPL + "SetSiteSystemServer",
        ),
        ({"SiteCode": "PS1"}, "MissingMandatoryParameter," + IMPL + "SetSiteSystemServer"),
    ],
)
def test_splatted_parameters_are_bound_like_a_structured_call(splat, fqid):
    world = world_of("standalone-primary")
    rt = session(world)
    assert _fails(rt, SET, ("Parameters", splat), ("ProxyUserName", ACCOUNT)).fqid == fqid
    assert [c["cmdlet"] for c in world.calls[-2:]] == ["Get-CMAccount", "Set-CMSiteSystemServer"]
    assert world.calls[-1]["outcome"] == f"failed: {fqid}"
    assert world.hierarchy.server("scp01.contoso.com", "PS1").proxy_account == ""


def test_unknown_account_throws_the_constant_text_and_stops():
    world = world_of("standalone-primary")
    rt = session(world)
    spec = _fails(rt, SET, ("Parameters", PROXY), ("ProxyUserName", "CONTOSO\\nobody"))
    text = "Get-CMAccount found no account with the proxy user name."
    assert (spec.message, spec.fqid, spec.category, spec.reason) == (text, text, "OperationStopped", "RuntimeException")
    assert [c["cmdlet"] for c in world.calls[-2:]] == ["Get-CMAccount", "Set-CMSiteSystemServerWithProxyAccount"]
    assert world.hierarchy.server("scp01.contoso.com", "PS1").proxy == "proxy.contoso.com:8080"


def test_inner_cmdlets_need_the_site_drive_and_the_module_like_any_call():
    world = world_of("standalone-primary")
    rt = PSRuntime(world, world.require_host("cm01.contoso.com"), "CONTOSO\\cmadmin", "ntlm")
    assert _fails(rt, SET, ("Parameters", PROXY), ("ProxyUserName", ACCOUNT)).fqid == "CommandNotFoundException"
    assert world.calls[-1]["cmdlet"] == "Get-CMAccount"


def test_a_script_is_run_only_alone_in_its_statement():
    world = world_of("standalone-primary")
    rt = session(world)
    spec = _fails(
        rt, SET, ("Parameters", PROXY), ("ProxyUserName", ACCOUNT), extra=[Command("Out-Null", end_of_statement=True)]
    )
    assert spec.fqid == "ScriptsRefused,Lab"
    assert world.hierarchy.server("scp01.contoso.com", "PS1").proxy_account == ""


@pytest.mark.parametrize(
    "text",
    [
        "param(\n)\nGet-Date\n",  # no [CmdletBinding()]
        SET.replace("[string] $ProxyUserName", "[int] $ProxyUserName"),  # type outside the grammar
        SET.replace("-UserName $ProxyUserName", '-UserName "$ProxyUserName"'),  # an expandable string
        SET.replace("-UserName $ProxyUserName", "-UserName $(Get-Date)"),  # a subexpression
        SET.replace("$ErrorActionPreference = 'Stop'", "if ($true) {"),  # an if block never closed
        SET.replace("$ErrorActionPreference = 'Stop'", "Invoke-Expression -Command 'x'; Get-Date"),
        SET.replace("$account = Get-CMAccount", "$account = $Parameters; Get-CMAccount"),
        SET.replace("-ProxyAccessAccount $account", "-ProxyAccessAccount $other"),  # variable never set
        SET.replace("'Stop'", "'Sometimes'"),
    ],
)
def test_parser_is_strict(text):
    with pytest.raises(ValueError):
        scripts.parse("Bad-Script", text)
