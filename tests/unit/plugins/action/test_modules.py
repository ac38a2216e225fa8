"""Module behaviour that needs no lab: usage_data below the top tier, component's fallback and name check, the
SMS Provider returned and passed back, site system settings compared only when set, the effective mode from the log."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import pytest

from ansible_collections.configmgr.scp.plugins.action import component, service_connection_point_info, usage_data
from ansible_collections.configmgr.scp.plugins.plugin_utils import _action
from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.configmgr.model import (
    Hierarchy,
    ProviderState,
    Site,
    SiteSystemServer,
    ThreadChange,
    ThreadState,
)
from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.decide import effective_mode as mode_rules
from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.decide import site_system as site_rules
from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.logs import LogEntry
from tests.unit.fakes import make_action

TASK_VARS = {
    "inventory_hostname": "cm01.contoso.com",
    "ansible_host": "127.0.0.1",
    "ansible_port": 40001,
    "ansible_user": "CONTOSO\\cmadmin",
    "ansible_password": "Inv3ntorySecret",
    "ansible_psrp_auth": "ntlm",
}
CAS = Site("CAS", "Central", 4, None, "cm01.contoso.com", "C:\\SMS", "5.0", 0)
PS1 = Site("PS1", "Primary", 2, "CAS", "ps1.contoso.com", "C:\\SMS", "5.0", 0)


def make(plugin_module, args, check_mode=False):
    return make_action(plugin_module, args, check_mode)


class FakeProvider:
    """Records how it was built; read_state "discovers" like the library does when a value is missing."""

    built: list[tuple[str | None, str | None, bool]] = []
    routes: list[str] = []
    state: ProviderState
    levels_set: list[str] = []

    def __init__(
        self,
        session: Any,
        site_code: str | None = None,
        provider: str | None = None,
        check_mode: bool = False,
        sessions: Any = None,
        route: str = "direct",
    ) -> None:
        FakeProvider.built.append((site_code, provider, check_mode))
        FakeProvider.routes.append(route)
        self.site_code, self.provider = site_code, provider

    def read_state(self, include: Any = (), raw: bool = False) -> ProviderState:
        self.site_code = self.site_code or self.state.site_code
        self.provider = self.provider or self.state.provider
        return self.state

    def set_usage_data_level(self, level: str) -> None:
        FakeProvider.levels_set.append(level)


def state_of(site_code: str, sites: list[Site], level: str | None = "Enhanced") -> ProviderState:
    return ProviderState(
        site_code=site_code,
        provider=f"{site_code.lower()}.contoso.com",
        module_version="5.0",
        hierarchy=Hierarchy(sites),
        scp=None,
        site_systems=[],
        usage_data_level=level,
    )


@pytest.fixture(name="provider")
def fixture_provider(monkeypatch):
    FakeProvider.built, FakeProvider.levels_set, FakeProvider.routes = [], [], []
    FakeProvider.state = state_of("CAS", [CAS, PS1])
    monkeypatch.setattr(_action, "SiteProvider", FakeProvider)
    return FakeProvider


def test_usage_data_refuses_on_a_child_primary_and_names_its_parent(provider):
    provider.state = state_of("PS1", [PS1])  # a child primary's Get-CMSite does not list the CAS
    result = make(usage_data, {"level": "full"}).run(task_vars=dict(TASK_VARS))
    assert result["failed"] is True and result["changed"] is False
    assert "top-tier site, is CAS" in result["msg"]
    assert provider.levels_set == []


def test_usage_data_fails_when_the_level_cannot_be_read(provider):
    provider.state = state_of("CAS", [CAS, PS1], level=None)
    result = make(usage_data, {"level": "full"}).run(task_vars=dict(TASK_VARS))
    assert result["failed"] is True and "could not read the current usage data level" in result["msg"]
    assert provider.levels_set == []


def test_usage_data_at_the_top_tier_sets_the_level(provider):
    result = make(usage_data, {"level": "full"}).run(task_vars=dict(TASK_VARS))
    assert result["changed"] is True and provider.levels_set == ["Full"]


def test_the_provider_used_is_returned_and_a_later_task_passes_it_back(provider):
    first = make(usage_data, {"level": "enhanced"}).run(task_vars=dict(TASK_VARS))
    assert (first["sms_provider"], first["sms_provider_site_code"]) == ("cas.contoso.com", "CAS")
    assert "ansible_facts" not in first, "not a fact module: AWX would cache it"
    assert provider.built == [(None, None, False)]
    again = {
        "level": "enhanced",
        "sms_provider": first["sms_provider"],
        "sms_provider_site_code": first["sms_provider_site_code"],
    }
    second = make(usage_data, again).run(task_vars=dict(TASK_VARS))
    assert provider.built[1] == ("CAS", "cas.contoso.com", False)
    assert (second["sms_provider"], second["sms_provider_site_code"]) == ("cas.contoso.com", "CAS")


def test_given_values_are_normalised_and_only_the_task_s_own_are_used(provider):
    make(
        service_connection_point_info,
        {"thread": False, "sms_provider": "CAS.Contoso.com.", "sms_provider_site_code": "cas"},
    ).run(task_vars=dict(TASK_VARS))
    make(service_connection_point_info, {"thread": False}).run(task_vars=dict(TASK_VARS, sms_provider="x.contoso.com"))
    assert provider.built == [("CAS", "cas.contoso.com", True), (None, None, True)]


def test_the_provider_route_reaches_the_library_and_defaults_to_direct(provider):
    make(usage_data, {"level": "full"}).run(task_vars=dict(TASK_VARS))
    make(usage_data, {"level": "full", "sms_provider_route": "task_host"}).run(task_vars=dict(TASK_VARS))
    assert provider.routes == ["direct", "task_host"]
    refused = make(usage_data, {"level": "full", "sms_provider_route": "hop"}).run(task_vars=dict(TASK_VARS))
    assert (
        refused["failed"] is True
        and "sms_provider_route" in refused["msg"]
        and provider.routes
        == [
            "direct",
            "task_host",
        ]
    )


@pytest.mark.parametrize(
    "args, message",
    [
        (
            {"sms_provider": "cas01", "sms_provider_site_code": "CAS"},
            "sms_provider must be a fully qualified domain name such as scp01.contoso.com, got 'cas01'",
        ),
        (
            {"sms_provider": "10.0.0.4", "sms_provider_site_code": "CAS"},
            "sms_provider must be a fully qualified domain name",
        ),
        (
            {"sms_provider": "cas01.contoso.com", "sms_provider_site_code": "C-S"},
            "sms_provider_site_code must be three letters or digits (for example PS1), got 'C-S'",
        ),
        ({"sms_provider": "cas01.contoso.com"}, "sms_provider, sms_provider_site_code"),
        ({"sms_provider_site_code": "CAS"}, "sms_provider, sms_provider_site_code"),
    ],
)
def test_the_provider_options_are_checked_before_any_connection(provider, args, message):
    result = make(usage_data, dict(args, level="full")).run(task_vars=dict(TASK_VARS))
    assert result["failed"] is True and result["changed"] is False
    assert result["msg"].startswith("invalid input: ") and message in result["msg"]
    assert provider.built == []


class FakeHost:
    calls: list[dict[str, Any]] = []

    def __init__(self, session: Any, check_mode: bool = False) -> None:
        self.check_mode = check_mode

    def thread_state(self, name: str = "SMS_DMP_DOWNLOADER") -> ThreadState:
        return ThreadState("scp01.contoso.com", name, True, "Running", "None")

    def restart_thread(self, name: str, **kwargs: Any) -> ThreadChange:
        FakeHost.calls.append(dict(kwargs, name=name))
        state = self.thread_state(name)
        return ThreadChange(state, state, "thread", 1.0, True)


@pytest.mark.parametrize("args,fallback", [({}, True), ({"fallback": False}, False)])
def test_component_passes_the_fallback_choice(monkeypatch, args, fallback):
    FakeHost.calls = []
    monkeypatch.setattr(component, "ScpHost", FakeHost)
    result = make(component, dict(args, state="restarted", server="scp01.contoso.com")).run(task_vars=dict(TASK_VARS))
    assert result["changed"] is True
    assert FakeHost.calls[0]["fallback"] is fallback


@pytest.mark.parametrize("name", ["SMS-DMP", "SMS DMP", "SMS_DMP;x"])
def test_component_name_is_checked_with_the_library_characters(monkeypatch, name):
    monkeypatch.setattr(component, "ScpHost", FakeHost)
    result = make(component, {"state": "started", "name": name, "server": "scp01.contoso.com"}).run(
        task_vars=dict(TASK_VARS)
    )
    assert result["failed"] is True and "name must be a component name" in result["msg"]


def test_site_system_changes_only_compare_what_the_user_set():
    current = SiteSystemServer(
        "scp01.contoso.com",
        "CAS",
        public_fqdn="scp.contoso.com",
        proxy_enabled=True,
        proxy_server="proxy.contoso.com",
        proxy_port=8080,
        proxy_account="CONTOSO\\proxy",
    )
    same_proxy = {"proxy_server": "PROXY.contoso.com", "proxy_port": 8080, "use_site_server_account": False}
    spec = site_rules.site_system_spec("scp01.contoso.com", same_proxy, "CAS")
    assert site_rules.changed_settings(spec, current, same_proxy) == {}
    new_port = dict(same_proxy, proxy_port=3128)
    assert site_rules.changed_settings(
        site_rules.site_system_spec("scp01.contoso.com", new_port, "CAS"), current, new_port
    ) == {"proxy_port": 3128}


def _entry(message: str) -> LogEntry:
    return LogEntry(message, datetime(2025, 1, 1, tzinfo=timezone.utc), "SMS_DMP_DOWNLOADER", 1, "info", "cmtrace", 1)


def test_effective_mode_never_rests_on_a_line_that_names_a_mode():
    """No documented dmpdownloader.log line names the mode: such a line decides nothing; without the thread's start
    nothing decides it either."""
    started = datetime(2024, 12, 31, tzinfo=timezone.utc)
    assert (
        mode_rules.effective_mode([_entry("Running in online mode"), _entry("Running in OFFLINE mode")], started)
        == "unknown"
    )
    assert mode_rules.effective_mode([_entry("Heartbeat")], started) == "unknown"
    assert mode_rules.effective_mode([_entry("Download manifest.cab~~")]) == "unknown"
