"""Free-text site system settings as Windows and ConfigMgr accept them (host names, accounts, FQDNs, ports), checked
before any remote call; the installation account must be a ConfigMgr account before New-/Set-CMSiteSystemServer
uses it; the Basic-over-HTTP refusal recommends what a task or inventory can set; component and log_info in check
mode when the SCP is not installed yet."""

from __future__ import annotations

from typing import Any
from unittest.mock import MagicMock

import pytest

from ansible_collections.configmgr.scp.plugins.action import (
    component,
    log_info,
    service_connection_point,
    site_system_server,
)
from ansible_collections.configmgr.scp.plugins.module_utils._argspec import CONNECTION_ARGSPEC
from ansible_collections.configmgr.scp.plugins.plugin_utils import _action
from ansible_collections.configmgr.scp.plugins.plugin_utils import _validate as check
from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.configmgr.model import (
    Hierarchy,
    ProviderState,
    Site,
    SiteSystemServer,
    ThreadState,
)
from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.errors import InvalidOption
from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.options import PSRP_VARIABLE_NAMES, ConnectionOptions
from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.session import PipelineResult, StatementResult
from tests.unit.fakes import make_action

TASK_VARS = {
    "inventory_hostname": "cm01.contoso.com",
    "ansible_host": "127.0.0.1",
    "ansible_port": 40001,
    "ansible_user": "CONTOSO\\cmadmin",
    "ansible_password": "Inv3ntorySecret",
    "ansible_psrp_auth": "ntlm",
}
PS1 = Site("PS1", "Primary", 2, None, "cm01.contoso.com", "C:\\SMS", "5.0", 0)
LONG_ACCOUNT = "CONTOSO\\" + "x" * 10000  # 10,008 characters


def make(plugin_module, args, check_mode=False):
    return make_action(plugin_module, args, check_mode)


# -- host names, FQDNs ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "value",
    [
        "proxy",
        "proxy.contoso.com",
        "proxy.contoso.com.",
        "PROXY-01.Contoso.com",
        "10.0.0.1",
        "fe80::1",
        "a" * 63 + ".contoso.com",
        ".".join(["a" * 49] * 5) + ".com",
    ],
)
def test_host_name_ok(value):
    assert check.host_name(value, "proxy_server") == value


@pytest.mark.parametrize(
    "value,reason",
    [
        ("proxy;calc", "';' is not allowed"),
        ("proxy$(calc).contoso.com", "is not allowed"),
        ("proxy\ncalc", "control character '\\n'"),
        ("proxy.contoso.com\n", "control character"),
        ("proxy.contoso.com:8080", "port in its own option"),
        ("http://proxy.contoso.com", "it is a URL"),
        ("a" * 64 + ".contoso.com", "a label has 64 characters"),
        (".".join(["a" * 50] * 5) + ".com", "at most 253"),
        ("-proxy.contoso.com", "hyphen"),
        ("proxy-.contoso.com", "hyphen"),
        ("proxy..contoso.com", "empty label"),
        (" proxy", "leading or trailing spaces"),
        ("8080", "all digits"),
        ("300.1.1.1", "all digits"),
        ("", "empty label"),
        ("pröxy.contoso.com", "is not allowed"),
    ],
)
def test_host_name_rejected_names_the_option_and_the_reason(value, reason):
    with pytest.raises(ValueError) as err:
        check.host_name(value, "site_system.proxy_server")
    assert str(err.value).startswith("site_system.proxy_server must be a host name")
    assert reason in str(err.value)


@pytest.mark.parametrize("value", ["scp01\n.contoso.com", "scp01.contoso\n.com", "scp01.contoso.com\x00"])
def test_fqdn_rejects_a_newline_inside_a_label(value):
    # `$` in the old label pattern also matched before a trailing newline, so "scp01\n" passed as a label
    with pytest.raises(ValueError, match="control character"):
        check.fqdn(value, "server")


def test_fqdn_rejects_more_than_253_characters():
    with pytest.raises(ValueError, match="at most 253"):
        check.fqdn(".".join(["a" * 60] * 5) + ".com", "public_fqdn")


# -- accounts --------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "value",
    [
        "CONTOSO\\svc-install",
        "CONTOSO\\" + "x" * 20,
        "C" * 15 + "\\svc",
        "svc@contoso.com",
        "svc.install@corp.contoso.com",
        "CONTOSO\\svc install",
        "CONTOSO\\svc$",
    ],
)
def test_account_ok(value):
    assert check.account(value, "account_name") == value


@pytest.mark.parametrize(
    "value,reason",
    [
        ("CONTOSO\\svc\ninstall", "control character '\\n'"),
        ("CONTOSO\\svc\x7f", "control character"),
        (LONG_ACCOUNT, "has 10000 characters, at most 20"),
        ("CONTOSO\\" + "x" * 21, "has 21 characters, at most 20"),
        ("C" * 16 + "\\svc", "domain (NetBIOS name) has 16 characters, at most 15"),
        ("svc-install", "it names no domain"),
        ("\\svc", "the domain (NetBIOS name) is empty"),
        ("CONTOSO\\", "the user name (sAMAccountName) is empty"),
        (".corp\\svc", "starts with a period"),
        ("CONTOSO\\...", "only of periods or spaces"),
        (" CONTOSO\\svc", "leading or trailing spaces"),
        ("svc@contoso_com", "the domain after the @ is no DNS name"),
        ("svc@", "the domain after the @ is empty"),
        ("@contoso.com", "the user name before the @ is empty"),
        ("a@b@contoso.com", "more than one @"),
        ("svc x@contoso.com", "contains a space"),
        ("x" * 65 + "@contoso.com", "at most 64"),
    ]
    + [(f"CONTOSO\\svc{c}x", f"contains {c}") for c in '"/[]:;|=,+*?<>']
    + [("CONTOSO\\svc\\x", "contains \\")],
)
def test_account_rejected_names_the_option_and_the_reason(value, reason):
    with pytest.raises(ValueError) as err:
        check.account(value, "proxy_account")
    assert str(err.value).startswith("proxy_account must be an account as DOMAIN\\name or name@domain.com, got ")
    assert reason in str(err.value)


def test_a_long_value_is_not_repeated_in_full():
    with pytest.raises(ValueError) as err:
        check.account(LONG_ACCOUNT, "account_name")
    assert len(str(err.value)) < 300 and "(10008 characters)" in str(err.value)


@pytest.mark.parametrize(
    "args,message",
    [
        ({"proxy_server": "proxy;calc", "proxy_port": 8080}, "site_system.proxy_server must be a host name"),
        ({"proxy_server": "proxy.contoso.com", "proxy_port": 70000}, "site_system.proxy_port must be a TCP port"),
        ({"account_name": "CONTOSO\\a\nb"}, "site_system.account_name must be an account"),
        ({"account_name": LONG_ACCOUNT}, "site_system.account_name must be an account"),
        (
            {"proxy_server": "proxy", "proxy_port": 8080, "proxy_account": "proxy"},
            "site_system.proxy_account must be an account",
        ),
        ({"public_fqdn": "scp01.contoso.com;calc"}, "site_system.public_fqdn must be a fully qualified domain name"),
    ],
)
def test_site_system_settings_checks_each_setting_with_the_prefix(args, message):
    with pytest.raises(ValueError, match="^" + message.replace(".", "\\.")):
        check.site_system_settings(args, "site_system.")


def test_empty_settings_mean_not_given():
    check.site_system_settings({"account_name": "", "proxy_server": "", "proxy_account": "", "public_fqdn": ""})


# -- the modules refuse them before any session -----------------------------------------------------------------------
@pytest.mark.parametrize(
    "plugin,args,message",
    [
        (
            site_system_server,
            {"server": "scp01.contoso.com", "proxy_server": "proxy;calc", "proxy_port": 8080},
            "invalid input: proxy_server must be a host name",
        ),
        (
            site_system_server,
            {"server": "scp01.contoso.com", "account_name": "CONTOSO\\svc\ninstall"},
            "invalid input: account_name must be an account",
        ),
        (
            site_system_server,
            {"server": "scp01.contoso.com", "account_name": LONG_ACCOUNT},
            "invalid input: account_name",
        ),
        (
            service_connection_point,
            {"server": "scp01.contoso.com", "site_system": {"proxy_server": "proxy;calc", "proxy_port": 8080}},
            "invalid input: site_system.proxy_server must be a host name",
        ),
        (
            service_connection_point,
            {"server": "scp01.contoso.com", "site_system": {"account_name": "svc"}},
            "invalid input: site_system.account_name must be an account",
        ),
    ],
)
def test_modules_refuse_bad_settings_before_any_remote_call(no_sessions, plugin, args, message):
    result = make(plugin, args).run(task_vars=dict(TASK_VARS))
    assert result["failed"] is True and result["changed"] is False
    assert result["msg"].startswith(message)
    assert no_sessions == []


# -- the installation account must be a ConfigMgr account ---------------------------------------------------------------
class FakeProvider:
    """The SMS Provider: knows the accounts in `accounts`, records Get-CMAccount reads and changes."""

    accounts: list[str] = []
    reads: list[list[str]] = []
    ensured: list[Any] = []
    state: ProviderState

    def __init__(
        self,
        session: Any,
        site_code: str | None = None,
        provider: str | None = None,
        check_mode: bool = False,
        sessions: Any = None,
        route: str = "direct",
    ) -> None:
        self.site_code, self.provider = "PS1", "cm01.contoso.com"

    def read_state(self, include: Any = ()) -> ProviderState:
        return FakeProvider.state

    def run(self, pipe: Any, idempotent: bool = False) -> PipelineResult:
        names = [dict(c.parameters)["UserName"] for st in pipe.statements for c in st.commands]
        assert all(c.name == "Get-CMAccount" for st in pipe.statements for c in st.commands) and idempotent
        FakeProvider.reads.append(names)
        known = {a.lower(): a for a in FakeProvider.accounts}  # Get-CMAccount matches case-insensitively
        return PipelineResult(
            [
                StatementResult(i, [{"UserName": known[n.lower()], "SiteCode": "PS1"}] if n.lower() in known else [])
                for i, n in enumerate(names)
            ]
        )

    def ensure_site_system_server(self, spec: Any, current: Any = None, known: bool = False) -> bool:
        FakeProvider.ensured.append(spec)
        return True


@pytest.fixture(name="provider")
def fixture_provider(monkeypatch):
    FakeProvider.accounts, FakeProvider.reads, FakeProvider.ensured = (
        ["CONTOSO\\svc-install", "CONTOSO\\svc-proxy"],
        [],
        [],
    )
    FakeProvider.state = ProviderState(
        site_code="PS1",
        provider="cm01.contoso.com",
        module_version="5.0",
        hierarchy=Hierarchy([PS1]),
        scp=None,
        site_systems=[SiteSystemServer("scp01.contoso.com", "PS1", use_site_server_account=True)],
    )
    monkeypatch.setattr(_action, "SiteProvider", FakeProvider)
    return FakeProvider


@pytest.mark.parametrize("check_mode", [False, True])
def test_an_unknown_installation_account_is_refused_before_the_change(provider, check_mode):
    result = make(
        site_system_server,
        {"server": "scp01.contoso.com", "account_name": "CONTOSO\\svc-missing"},
        check_mode=check_mode,
    ).run(task_vars=dict(TASK_VARS))
    assert result["failed"] is True and result["changed"] is False
    assert "account_name CONTOSO\\svc-missing is not a ConfigMgr account" in result["msg"]
    assert "use_site_server_account" in result["msg"]
    assert provider.reads == [["CONTOSO\\svc-missing"]] and provider.ensured == []


def test_a_known_installation_account_is_used(provider):
    result = make(site_system_server, {"server": "scp01.contoso.com", "account_name": "contoso\\SVC-install"}).run(
        task_vars=dict(TASK_VARS)
    )
    assert result.get("failed") is not True, result
    assert provider.reads == [["contoso\\SVC-install"]] and len(provider.ensured) == 1


def test_check_mode_also_checks_the_proxy_account(provider):
    args = {
        "server": "scp01.contoso.com",
        "account_name": "CONTOSO\\svc-install",
        "proxy_server": "proxy.contoso.com",
        "proxy_port": 8080,
        "proxy_account": "CONTOSO\\svc-nobody",
    }
    result = make(site_system_server, args, check_mode=True).run(task_vars=dict(TASK_VARS))
    assert result["failed"] is True and "proxy_account CONTOSO\\svc-nobody is not a ConfigMgr account" in result["msg"]
    assert provider.reads == [["CONTOSO\\svc-install", "CONTOSO\\svc-nobody"]], "one read for both"


def test_no_read_when_nothing_changes_or_the_site_server_account_is_used(provider):
    make(site_system_server, {"server": "scp01.contoso.com", "use_site_server_account": True}).run(
        task_vars=dict(TASK_VARS)
    )
    assert provider.reads == [] and provider.ensured == []


# -- Basic over HTTP ---------------------------------------------------------------------------------------------------
def test_basic_over_http_recommends_what_a_task_or_the_inventory_can_set():
    with pytest.raises(InvalidOption) as err:
        ConnectionOptions.from_host_vars(
            {
                "ansible_host": "cm01.contoso.com",
                "ansible_user": "u",
                "ansible_password": "p",
                "ansible_psrp_auth": "basic",
                "ansible_psrp_protocol": "http",
            }
        )
    text = str(err.value)
    assert "allow_basic_over_http" not in text, "no task option or inventory variable sets it"
    assert "protocol https" in text and "ntlm, negotiate or kerberos" in text
    for variable in ("ansible_psrp_protocol", "ansible_psrp_auth"):
        assert variable in text and variable in PSRP_VARIABLE_NAMES
    assert {"protocol", "auth"} <= set(CONNECTION_ARGSPEC)
    assert set(CONNECTION_ARGSPEC["auth"]["choices"]) >= {"ntlm", "negotiate", "kerberos"}


# -- check mode when the SCP is not installed yet ------------------------------------------------------------------------
@pytest.mark.parametrize("state,changed", [("restarted", True), ("started", False), ("stopped", True)])
def test_component_in_check_mode_without_an_scp_reports_instead_of_failing(provider, state, changed):
    result = make(component, {"state": state}, check_mode=True).run(task_vars=dict(TASK_VARS))
    assert result.get("failed") is not True, result
    assert result["changed"] is changed and result["installed"] is False and result["server"] is None
    assert result["msg"].startswith("check mode: the hierarchy has no service connection point yet")


def test_component_for_real_without_an_scp_still_fails(provider):
    result = make(component, {"state": "restarted"}).run(task_vars=dict(TASK_VARS))
    assert result["failed"] is True and "no service connection point" in result["msg"]


def test_component_in_check_mode_on_a_server_without_the_thread(provider, monkeypatch):
    class Host:
        def __init__(self, session: Any, check_mode: bool = False) -> None:
            pass

        def thread_state(self, name: str) -> ThreadState:
            return ThreadState("scp01.contoso.com", name, False, None, None, None, None)

    monkeypatch.setattr(_action.TaskContext, "session", lambda self, target=None: MagicMock())
    monkeypatch.setattr(component, "ScpHost", Host)
    result = make(component, {"state": "restarted", "server": "scp01.contoso.com"}, check_mode=True).run(
        task_vars=dict(TASK_VARS)
    )
    assert result["changed"] is True and result["installed"] is False and result["server"] == "scp01.contoso.com"
    assert result["msg"].startswith("check mode: SMS_DMP_DOWNLOADER is not on scp01.contoso.com")


def test_log_info_in_check_mode_without_an_scp_reports_instead_of_failing(provider):
    result = make(log_info, {"name": "dmpdownloader"}, check_mode=True).run(task_vars=dict(TASK_VARS))
    assert result.get("failed") is not True, result
    assert result["changed"] is False and result["installed"] is False and result["entries"] == []
    assert result["msg"].startswith("check mode: the hierarchy has no service connection point yet")
    failed = make(log_info, {"name": "dmpdownloader"}).run(task_vars=dict(TASK_VARS))
    assert failed["failed"] is True and "give server" in failed["msg"]
