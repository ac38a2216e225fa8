"""Constant scripts: the registry, script statements, their pypsrp form, and the provider's proxy-account path."""

from __future__ import annotations

import pytest

from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.configmgr import scripts
from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.configmgr.model import SiteSystemSpec
from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.configmgr.provider import SiteProvider
from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.errors import (
    CheckModeViolation,
    CommandFailed,
    ConfigMgrError,
)
from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.options import ConnectionOptions
from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.pipeline import (
    SWITCH,
    Command,
    Pipeline,
    ScriptCommand,
    ScriptSpec,
    Statement,
    check_scripts,
    register_script,
    registered_script,
    segments,
    splat,
)
from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.session import Session, split_outcome
from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.transport import (
    PypsrpTransport,
    RawOutcome,
    add_statements,
)
from tests.lab.ps import scripts as lab_scripts
from tests.unit.fakes import FakeSession
from tests.unit.test_domain import provider_answers

NEW = scripts.NEW_SITE_SYSTEM_SERVER_WITH_PROXY_ACCOUNT
SET = scripts.SET_SITE_SYSTEM_SERVER_WITH_PROXY_ACCOUNT
PARAMS = {"SiteSystemServerName": "scp01.contoso.com", "SiteCode": "PS1", "EnableProxy": True}
ACCOUNT = {"UserName": "CONTOSO\\svc-cmproxy", "SiteCode": "PS1"}
INSTALLER = {"UserName": "CONTOSO\\inst", "SiteCode": "PS1"}  # the installation account must exist too
OPTS = ConnectionOptions.from_mapping(
    {"host": "cm01.contoso.com", "username": "u", "password": "Pw0rd!", "auth": "ntlm"}
)


def script_pipeline(text=NEW, **extra):
    pipe = Pipeline(operation="configure")
    pipe.add_script(text, ("Parameters", dict(PARAMS, **extra)), ("ProxyUserName", "CONTOSO\\svc-cmproxy"))
    return pipe


# -- the registry ---------------------------------------------------------------------------------------------
def test_lab_runs_exactly_the_library_constants():
    assert lab_scripts.NEW_SITE_SYSTEM_SERVER_WITH_PROXY_ACCOUNT == NEW
    assert lab_scripts.SET_SITE_SYSTEM_SERVER_WITH_PROXY_ACCOUNT == SET
    assert lab_scripts.READ_SITE_STATE == scripts.READ_SITE_STATE
    assert set(lab_scripts.SCRIPTS) == {s.text for s in scripts.SCRIPTS}
    assert {s.name for s in lab_scripts.SCRIPTS.values()} == {s.name for s in scripts.SCRIPTS}
    for spec in scripts.SCRIPTS:
        assert registered_script(spec.text) is spec
        lab = lab_scripts.lookup(spec.text)
        assert [p.name for p in lab.spec.params if not p.common] == list(spec.parameters)
        assert list(dict.fromkeys(c.cmdlet for c in lab.calls())) == list(spec.cmdlets)  # each named once, in order


def test_constant_scripts_take_every_input_as_a_parameter():
    for spec in (scripts.NEW_WITH_PROXY_ACCOUNT, scripts.SET_WITH_PROXY_ACCOUNT):
        assert "$ErrorActionPreference = 'Stop'" in spec.text.splitlines()
        assert "Get-CMAccount -UserName $ProxyUserName" in spec.text
        assert "@Parameters -ProxyAccessAccount $account" in spec.text
        assert "CONTOSO" not in spec.text and "{" not in spec.text.replace("{ throw", "")
    assert scripts.SITE_SYSTEM_SERVER_WITH_PROXY_ACCOUNT["New-CMSiteSystemServer"].text == NEW
    assert scripts.SITE_SYSTEM_SERVER_WITH_PROXY_ACCOUNT["Set-CMSiteSystemServer"].text == SET


def test_register_refuses_a_second_spec_for_the_same_text():
    register_script(scripts.NEW_WITH_PROXY_ACCOUNT)  # same spec again: fine
    with pytest.raises(ValueError, match="registered twice"):
        register_script(ScriptSpec("Other-Name", NEW, parameters=("Parameters",)))
    with pytest.raises(ValueError):
        ScriptSpec("not a name", "x", parameters=())
    with pytest.raises(ValueError):
        ScriptSpec("Do-It", "x", parameters=("A",), mandatory=("B",))


# -- script statements ----------------------------------------------------------------------------------------
def test_script_statement_is_one_command_with_the_inner_cmdlets_as_names():
    pipe = script_pipeline()
    (statement,) = pipe.statements
    (command,) = statement.commands
    assert isinstance(command, ScriptCommand) and command.is_script and statement.is_script
    assert command.name == "New-CMSiteSystemServerWithProxyAccount" and command.text == NEW
    assert statement.error_action == "Stop" and not statement.quiet
    assert statement.names == {"get-cmaccount", "new-cmsitesystemserver"}
    assert command.describe() == (
        "script New-CMSiteSystemServerWithProxyAccount (Get-CMAccount, New-CMSiteSystemServer) "
        "-Parameters -ProxyUserName"
    )
    assert "svc-cmproxy" not in statement.describe()  # values never in messages


@pytest.mark.parametrize(
    "text", ["Get-Date", NEW + " ", NEW.replace("New-CM", "Remove-CM"), NEW.rstrip("\n"), "", None]
)
def test_any_other_script_text_is_refused(text):
    with pytest.raises(ValueError, match="not a registered constant script"):
        Pipeline().add_script(text, ("Parameters", PARAMS), ("ProxyUserName", "x"))
    with pytest.raises(ValueError, match="not a registered constant script"):
        ScriptCommand(name="", parameters=[], text=text)


@pytest.mark.parametrize(
    "params, message",
    [
        ([("Parameters", PARAMS)], "missing mandatory parameter"),
        ([("Parameters", PARAMS), ("ProxyUserName", "x"), ("Other", 1)], "has no parameter"),
        ([("Parameters", PARAMS), ("ProxyUserName", "x"), ("proxyusername", "y")], "given twice"),
        ([("Parameters", "SiteCode=PS1"), ("ProxyUserName", "x")], "must be a hashtable"),
        ([("Parameters", {"Site Code; Remove-Item": "PS1"}), ("ProxyUserName", "x")], "not a parameter name"),
        ([("Parameters", PARAMS), ("ProxyUserName", SWITCH)], "needs a value"),
    ],
)
def test_script_parameters_are_checked(params, message):
    with pytest.raises(ValueError, match=message):
        Pipeline().add_script(NEW, *params)


def test_script_statement_shape_is_enforced():
    command = ScriptCommand(name="", parameters=[("Parameters", PARAMS), ("ProxyUserName", "x")], text=NEW)
    with pytest.raises(ValueError, match="one script command"):
        Statement([command, Command("Out-Null")])
    with pytest.raises(ValueError, match="one script command"):
        Statement([command], error_action="Continue")
    with pytest.raises(ValueError, match="one script command"):
        Statement([command], quiet=True)
    with pytest.raises(ValueError):
        command.param("Extra", 1)


def test_splat_turns_switches_into_true_and_checks_names():
    assert splat([("SiteCode", "PS1"), ("UseSiteServerAccount", SWITCH), ("ProxyServerPort", 8080)]) == {
        "SiteCode": "PS1",
        "UseSiteServerAccount": True,
        "ProxyServerPort": 8080,
    }
    with pytest.raises(ValueError, match="twice"):
        splat([("SiteCode", "PS1"), ("sitecode", "PS2")])
    with pytest.raises(ValueError, match="not a parameter name"):
        splat([("-SiteCode", "PS1")])


def test_segments_and_error_attribution_use_the_inner_cmdlets():
    pipe = Pipeline(operation="configure")
    pipe.add("Get-CMAccount", ("UserName", "CONTOSO\\svc-cmproxy"))
    pipe.add_script(NEW, ("Parameters", PARAMS), ("ProxyUserName", "CONTOSO\\svc-cmproxy"))
    pipe.add("Get-Date")
    assert segments(pipe.statements) == [[0], [1], [2]]

    class Rec:
        category = 5
        fq_error = (
            "CannotConvertArgumentNoMessage,Microsoft.ConfigurationManagement.PowerShell.Cmdlets.HS.NewSiteSystemServer"
        )
        target_name = None
        invocation_name = "New-CMSiteSystemServer"
        invocation_position_message = None
        details_message = "Cannot bind parameter 'ProxyAccessAccount'."
        exception = None

    outcome = RawOutcome(output=["acct", "m"], errors=[Rec()], failed=True)
    with pytest.raises(CommandFailed) as info:
        split_outcome(outcome, pipe, "m", "cm01.contoso.com")
    assert info.value.statement_index == 1 and info.value.partial == [["acct"]]
    assert info.value.command.startswith("script New-CMSiteSystemServerWithProxyAccount")


# -- sending ----------------------------------------------------------------------------------------------------
class Recorder:
    def __init__(self):
        self.calls = []

    def add_cmdlet(self, name):
        self.calls.append(("cmdlet", name))
        return self

    def add_script(self, text, use_local_scope=None):
        self.calls.append(("script", text, use_local_scope))
        return self

    def add_parameter(self, name, value=None):
        self.calls.append(("param", name, value))
        return self

    def add_statement(self):
        self.calls.append((";",))
        return self


def test_add_statements_sends_add_script_then_parameters_between_markers():
    pipe = Pipeline(operation="configure")
    pipe.add("Get-Date")
    pipe.add_script(SET, ("Parameters", PARAMS), ("ProxyUserName", "CONTOSO\\svc-cmproxy"))
    ps = Recorder()
    add_statements(ps, pipe.statements, "mark")
    assert ps.calls == [
        ("cmdlet", "Get-Date"),
        ("param", "ErrorAction", "Stop"),
        (";",),
        ("cmdlet", "Write-Output"),
        ("param", "InputObject", "mark"),
        (";",),
        ("script", SET, True),
        ("param", "Parameters", PARAMS),
        ("param", "ProxyUserName", "CONTOSO\\svc-cmproxy"),
        (";",),
    ]


def test_tampered_script_text_is_refused_before_sending():
    pipe = script_pipeline()
    pipe.statements[0].commands[0].text = "Remove-Item C:\\ -Recurse"
    with pytest.raises(ValueError, match="not a registered constant script"):
        check_scripts(pipe.statements)
    with pytest.raises(ValueError):
        add_statements(Recorder(), pipe.statements, "mark")

    class NeverCalled:
        invoked = []

        def open(self):
            pass

        def invoke(self, statements, marker, deadline):
            self.invoked.append(statements)

        def close(self):
            pass

    transport = NeverCalled()
    with pytest.raises(ValueError):
        Session(OPTS, transport_factory=lambda o: transport).run(pipe)
    assert transport.invoked == []


def test_the_one_transport_builds_every_pipeline_with_add_statements(monkeypatch):
    """PypsrpTransport sends structured and script statements alike through add_statements (one builder)."""
    from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp import transport

    assert Session(OPTS)._factory is PypsrpTransport
    seen = []
    monkeypatch.setattr(transport, "add_statements", lambda ps, st, m: seen.append(st))

    class Done:
        state = None
        output, had_errors = [], False

        class streams:
            error, warning = [], []

        def begin_invoke(self):
            pass

    monkeypatch.setattr("pypsrp.powershell.PowerShell", lambda pool: Done())
    pipe = Pipeline()
    pipe.add("Get-Date")
    PypsrpTransport(OPTS).invoke(pipe.statements, "m", None)
    assert seen == [pipe.statements]


# -- the provider -----------------------------------------------------------------------------------------------
def _proxy_spec(**kw):
    return SiteSystemSpec(
        "new.contoso.com",
        account_name="CONTOSO\\inst",
        proxy_server="proxy",
        proxy_port=8080,
        proxy_account="CONTOSO\\svc-cmproxy",
        **kw,
    )


def test_provider_checks_the_account_then_runs_the_new_script():
    s = FakeSession(answers=provider_answers(**{"Get-CMSiteSystemServer": [], "Get-CMAccount": [ACCOUNT, INSTALLER]}))
    assert SiteProvider(s, site_code="PS1").ensure_site_system_server(_proxy_spec())
    names = s.names
    assert names[-2:] == ["Get-CMAccount", "New-CMSiteSystemServerWithProxyAccount"]
    script = s.pipelines[-1].statements[-1].commands[0]
    assert script.text == NEW
    assert dict(script.parameters) == {
        "Parameters": {
            "SiteSystemServerName": "new.contoso.com",
            "SiteCode": "PS1",
            "AccountName": "CONTOSO\\inst",
            "EnableProxy": True,
            "ProxyServerName": "proxy",
            "ProxyServerPort": 8080,
        },
        "ProxyUserName": "CONTOSO\\svc-cmproxy",
    }
    assert not any(c.name == "New-CMSiteSystemServer" for p in s.pipelines for st in p.statements for c in st.commands)


def test_provider_runs_the_set_script_for_an_existing_server_with_switches_as_true():
    s = FakeSession(answers=provider_answers(**{"Get-CMAccount": [ACCOUNT]}))
    spec = SiteSystemSpec(
        "scp01.contoso.com",
        use_site_server_account=True,
        proxy_server="proxy.contoso.com",
        proxy_port=8080,
        proxy_account="CONTOSO\\svc-cmproxy",
    )
    assert SiteProvider(s, site_code="PS1").ensure_site_system_server(spec)
    script = s.pipelines[-1].statements[-1].commands[0]
    assert script.text == SET and dict(script.parameters)["Parameters"]["UseSiteServerAccount"] is True


def test_without_proxy_account_the_structured_call_stays():
    s = FakeSession(answers=provider_answers(**{"Get-CMSiteSystemServer": []}))
    SiteProvider(s, site_code="PS1").ensure_site_system_server(
        SiteSystemSpec("new.contoso.com", proxy_server="proxy", proxy_port=8080)
    )
    assert s.names[-1] == "New-CMSiteSystemServer" and "Get-CMAccount" not in s.names
    assert not any(st.is_script and st.commands[0].text in (NEW, SET) for p in s.pipelines for st in p.statements)


@pytest.mark.parametrize(
    "accounts, message",
    [
        ([], "is not a ConfigMgr account"),
        ([{"UserName": "CONTOSO\\svc-cmproxy2", "SiteCode": "PS1"}], "is not a ConfigMgr account"),
        ([ACCOUNT, {"UserName": "CONTOSO\\svc-cmproxy", "SiteCode": "CAS"}], "finds 2 accounts (sites CAS, PS1)"),
    ],
)
def test_account_must_exist_exactly_once_before_any_change(accounts, message):
    s = FakeSession(answers=provider_answers(**{"Get-CMSiteSystemServer": [], "Get-CMAccount": accounts}))
    with pytest.raises(ConfigMgrError) as info:
        SiteProvider(s, site_code="PS1").ensure_site_system_server(_proxy_spec())
    assert message in str(info.value) and "cm01.contoso.com" in str(info.value)
    assert not any(st.is_script and st.commands[0].text in (NEW, SET) for p in s.pipelines for st in p.statements)


def test_check_mode_refuses_before_reading_the_account():
    s = FakeSession(answers=provider_answers(**{"Get-CMSiteSystemServer": [], "Get-CMAccount": [ACCOUNT]}))
    with pytest.raises(CheckModeViolation):
        SiteProvider(s, site_code="PS1", check_mode=True).ensure_site_system_server(_proxy_spec())
    assert "Get-CMAccount" not in s.names
