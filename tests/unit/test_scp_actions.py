"""component, service_connection_point_info and the effective mode without a lab: what the service restart fallback
says, the thread start recorded on the SCP host (no fact), the roles of the SCP's site system, the effective mode from
documented lines only."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from ansible_collections.configmgr.scp.plugins.action import component, service_connection_point_info
from ansible_collections.configmgr.scp.plugins.plugin_utils import _action
from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.configmgr import scphost
from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.configmgr.model import (
    Hierarchy,
    ProviderState,
    ScpInfo,
    Site,
    SiteSystemServer,
    ThreadChange,
    ThreadState,
)
from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.decide import effective_mode as mode_rules
from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.errors import CommandFailed, WaitTimeout
from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.logs import LogEntry, parse_log
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
SCP01 = "scp01.contoso.com"
T0 = datetime(2026, 11, 2, 9, 0, tzinfo=timezone.utc)
HOST_NOW = datetime(2026, 11, 2, 9, 30, tzinfo=timezone.utc)


def make(plugin_module, args, check_mode=False):
    return make_action(plugin_module, args, check_mode)


def running(name: str = "SMS_DMP_DOWNLOADER") -> ThreadState:
    return ThreadState(SCP01, name, True, "Running", "None", "Automatic", "Running")


class FakeTimeSession:
    """The SCP host's session: answers Get-Date with HOST_NOW."""

    host = SCP01

    def __init__(self) -> None:
        self.cmdlets: list[str] = []

    def run(self, pipeline: Any, *args: Any, **kwargs: Any) -> PipelineResult:
        names = [c.name for st in pipeline.statements for c in st.commands]
        self.cmdlets.extend(names)
        assert names == ["Get-Date"]
        return PipelineResult([StatementResult(0, [HOST_NOW])])


class FakeHost:
    """ScpHost stand-in: `outcome` is the ThreadChange method ("thread" / "service"); `error` is raised instead.
    `records` is the SCP host's ThreadStarted_<name> record (thread name -> ISO string); `record_error` fails its write."""

    outcome: str = "thread"
    error: Exception | None = None
    record_error: Exception | None = None
    entries: list[LogEntry] = []
    state: ThreadState = running()
    calls: list[dict[str, Any]] = []
    records: dict[str, str] = {}

    def __init__(self, session: Any, check_mode: bool = False) -> None:
        self.check_mode = check_mode
        self.session = FakeTimeSession()

    def thread_state(self, name: str = "SMS_DMP_DOWNLOADER") -> ThreadState:
        return FakeHost.state

    def thread_state_and_start(self, name: str = "SMS_DMP_DOWNLOADER") -> tuple[ThreadState, datetime | None]:
        return FakeHost.state, scphost.parse_thread_start(FakeHost.records.get(name))

    def record_thread_start(self, name: str, when: datetime, every_thread: bool = False) -> str:
        assert not self.check_mode
        FakeHost.calls.append({"record": name, "every_thread": every_thread})
        if FakeHost.record_error is not None:
            raise FakeHost.record_error
        if every_thread:
            FakeHost.records.clear()
        FakeHost.records[name] = when.astimezone(timezone.utc).isoformat()
        return FakeHost.records[name]

    def forget_thread_start(self, name: str) -> None:
        assert not self.check_mode
        FakeHost.calls.append({"forget": name})
        FakeHost.records.pop(name, None)

    def restart_thread(self, name: str, **kwargs: Any) -> ThreadChange:
        FakeHost.calls.append(dict(kwargs, name=name))
        if FakeHost.error is not None:
            raise FakeHost.error
        return ThreadChange(running(name), running(name), FakeHost.outcome, 3.0, True)

    def set_thread(self, name: str, state: str, **kwargs: Any) -> ThreadChange:
        after = running(name) if state == "started" else ThreadState(SCP01, name, True, "Stopped", "None")
        return ThreadChange(FakeHost.state, after, "thread", 1.0, True)

    def read_log(self, path: str | None = None, tail: int = 500, **kwargs: Any) -> list[LogEntry]:
        return list(FakeHost.entries)


@pytest.fixture(name="host")
def fixture_host(monkeypatch):
    FakeHost.outcome, FakeHost.error, FakeHost.entries, FakeHost.state, FakeHost.calls = (
        "thread",
        None,
        [],
        running(),
        [],
    )
    FakeHost.records, FakeHost.record_error = {}, None
    monkeypatch.setattr(component, "ScpHost", FakeHost)
    monkeypatch.setattr(service_connection_point_info, "ScpHost", FakeHost)
    if _action.SiteProvider is not FakeProvider:  # a test of the provider brings its own
        monkeypatch.setattr(_action, "SiteProvider", NoScpProvider)  # a restart re-verifies the SCP: none here
    return FakeHost


class NoScpProvider:
    """The SMS Provider of a component test that is not about it: a hierarchy without an SCP."""

    def __init__(self, session: Any, *args: Any, **kwargs: Any) -> None:
        self.site_code, self.provider = "CAS", "cas01.contoso.com"

    def read_state(self, include: Any = (), raw: bool = False) -> ProviderState:
        return ProviderState(
            site_code="CAS",
            provider="cas01.contoso.com",
            module_version="5.0",
            hierarchy=Hierarchy([CAS]),
            scp=None,
            site_systems=[],
        )

    def forget_verified(self) -> None:
        pass


# -- component: the SMS_EXECUTIVE service restart restarts every component of the host ---------------------------
def test_fallback_to_the_service_restart_says_every_component_was_restarted(host):
    host.outcome = "service"  # the thread did not stop in time: the library restarted SMS_EXECUTIVE
    result = make(component, {"state": "restarted", "server": SCP01}).run(task_vars=dict(TASK_VARS))
    assert result["changed"] is True and result["method"] == "service"
    assert result["restarted_components"] == "all"
    (warning,) = result["warnings"]
    assert "SMS_EXECUTIVE" in warning and "every Configuration Manager component" in warning and SCP01 in warning
    assert "fallback" in warning and "not only SMS_DMP_DOWNLOADER" in warning


def test_method_service_warns_too_and_a_thread_restart_names_only_the_thread(host):
    host.outcome = "service"
    result = make(component, {"state": "restarted", "server": SCP01, "method": "service"}).run(
        task_vars=dict(TASK_VARS)
    )
    assert result["restarted_components"] == "all" and "method=service" in result["warnings"][0]
    host.outcome = "thread"
    result = make(component, {"state": "restarted", "server": SCP01}).run(task_vars=dict(TASK_VARS))
    assert result["restarted_components"] == "SMS_DMP_DOWNLOADER" and "warnings" not in result
    result = make(component, {"state": "started", "server": SCP01}).run(task_vars=dict(TASK_VARS))
    assert result["restarted_components"] == "none"


def test_check_mode_predicts_the_service_restart_and_its_reach(host):
    args = {"state": "restarted", "server": SCP01, "method": "service"}
    result = make(component, args, check_mode=True).run(task_vars=dict(TASK_VARS))
    assert result["changed"] is True and result["restarted_components"] == "all"
    assert "would restart the SMS_EXECUTIVE service" in result["warnings"][0] and host.calls == []
    assert result["confirmed_running_at"] is None
    assert "configmgr_scp_thread_starts" not in result.get("ansible_facts", {}) and host.records == {}


def test_failure_after_the_service_restart_still_says_every_component_was_restarted(host):
    err = WaitTimeout(
        "SMS_DMP_DOWNLOADER did not reach Running", SCP01, "wait for SMS_DMP_DOWNLOADER", 300.0, "Stopped"
    )
    err.steps_run = [
        {"action": "request_stop", "description": "set Requested Operation = Stop"},
        {"action": "restart_service", "description": "restart the SMS_EXECUTIVE service on scp01"},
    ]
    err.changed = True
    host.error = err
    result = make(component, {"state": "restarted", "server": SCP01}).run(task_vars=dict(TASK_VARS))
    assert result["failed"] is True and result["changed"] is True
    assert result["restarted_components"] == "all" and "every Configuration Manager component" in result["warnings"][0]
    assert [s["action"] for s in result["steps_run"]] == ["request_stop", "restart_service"]
    # a failure before any service restart is reported as before, without that claim
    err2 = WaitTimeout("did not stop", SCP01, "wait", 10.0, "Running")
    err2.steps_run, err2.changed = [{"action": "request_stop", "description": "stop"}], True
    host.error = err2
    result = make(component, {"state": "restarted", "server": SCP01, "fallback": False}).run(task_vars=dict(TASK_VARS))
    assert result["failed"] is True and "restarted_components" not in result and "warnings" not in result


# -- component: the thread start is recorded on the SCP host (its clock), never returned as a fact ----------------
def test_a_restart_records_the_scp_hosts_time_on_that_host_and_returns_no_fact(host, provider):
    result = make(component, {"state": "restarted", "server": SCP01}).run(task_vars=dict(TASK_VARS))
    assert result["confirmed_running_at"] == HOST_NOW.isoformat() == "2026-11-02T09:30:00+00:00"
    assert host.records == {"SMS_DMP_DOWNLOADER": result["confirmed_running_at"]}
    assert "configmgr_scp_thread_starts" not in result.get("ansible_facts", {}) and "warnings" not in result
    assert {"record": "SMS_DMP_DOWNLOADER", "every_thread": False} in host.calls
    # a stop forgets the record: a later start the collection does not make must not be taken for this one
    host.state = running()
    assert provider.forgotten == 0  # a restart leaves the downloader running: still verified
    stopped = make(component, {"state": "stopped", "server": SCP01}).run(task_vars=dict(TASK_VARS))
    assert stopped["changed"] and host.records == {}
    assert provider.forgotten == 1  # a stop: the SCP's VerifiedScp record goes first
    assert "configmgr_scp_thread_starts" not in stopped.get("ansible_facts", {})
    assert stopped["confirmed_running_at"] is None


def test_a_service_restart_records_the_start_for_every_thread_it_restarted(host):
    host.records = {"SMS_DMP_DOWNLOADER": T0.isoformat()}
    host.outcome = "service"
    result = make(component, {"state": "restarted", "server": SCP01, "name": "SMS_DMP_UPLOADER"}).run(
        task_vars=dict(TASK_VARS)
    )
    assert {"record": "SMS_DMP_UPLOADER", "every_thread": True} in host.calls
    assert host.records == {"SMS_DMP_UPLOADER": result["confirmed_running_at"]}  # the downloader's is gone


def test_a_start_that_cannot_be_recorded_warns_and_removes_the_older_record(host):
    host.records = {"SMS_DMP_DOWNLOADER": T0.isoformat()}
    host.record_error = CommandFailed("access denied", SCP01, "Set-ItemProperty")
    result = make(component, {"state": "restarted", "server": SCP01}).run(task_vars=dict(TASK_VARS))
    assert result["changed"] is True and result["confirmed_running_at"] is None
    assert host.records == {}, "the older start is not taken for this one"
    (warning,) = result["warnings"]
    assert "cannot record the start of SMS_DMP_DOWNLOADER" in warning and "access denied" in warning


def test_a_failure_after_the_start_request_removes_the_record(host):
    host.records = {"SMS_DMP_DOWNLOADER": T0.isoformat()}
    err = WaitTimeout("did not stop", SCP01, "wait", 10.0, "Running")
    err.steps_run, err.changed = [{"action": "request_stop", "description": "stop"}], True
    host.error = err
    result = make(component, {"state": "restarted", "server": SCP01, "fallback": False}).run(task_vars=dict(TASK_VARS))
    assert result["failed"] is True and host.records == {"SMS_DMP_DOWNLOADER": T0.isoformat()}, (
        "a Stop request alone: the thread runs from its recorded start, or is stopped"
    )
    err = WaitTimeout("did not start", SCP01, "wait", 10.0, "Stopped")
    err.steps_run = [
        {"action": "request_stop", "description": "stop"},
        {"action": "request_start", "description": "start"},
    ]
    err.changed = True
    host.error = err
    result = make(component, {"state": "restarted", "server": SCP01, "fallback": False}).run(task_vars=dict(TASK_VARS))
    assert result["failed"] is True and host.records == {}, "it may start later, at a time nobody records"


# -- effective mode: documented lines only ------------------------------------------------------------------------
def simple(message: str, when: datetime) -> str:
    return f"{message}  $$<SMS_DMP_DOWNLOADER><{when.strftime('%m-%d-%Y %H:%M:%S.000')}+000><thread=7 (0x7)>"


ONLINE_SYNC = [
    "Hasn't synced recently.",
    "Generating state message: 0 for package 00000000-0000-0000-0000-000000000000~~",
    "Successfully Dropped the state message 0~~",
    "Easysetup fwlink to download the manifest: https://go.microsoft.com/fwlink/?LinkId=2309745~~",
    "Download manifest.cab~~",
    "Successfully Dropped the state message 4~~",
]


def log_at(when: datetime, messages: list[str]) -> list[LogEntry]:
    return parse_log("\n".join(simple(m, when + timedelta(seconds=i)) for i, m in enumerate(messages)))


def test_invented_mode_lines_decide_nothing():
    entries = log_at(T0, ["Service connection point is in online mode.", "Running in OFFLINE mode"])
    assert mode_rules.effective_mode(entries) == "unknown"
    assert mode_rules.effective_mode(entries, T0 - timedelta(hours=1)) == "unknown"


def test_online_only_from_a_documented_manifest_download_after_the_thread_start():
    entries = log_at(T0, ONLINE_SYNC)
    evidence = mode_rules.effective_mode_evidence(entries, T0 - timedelta(minutes=1))
    assert evidence["mode"] == "Online" and evidence["thread_started_at"] == (T0 - timedelta(minutes=1)).isoformat()
    assert [line["message"] for line in evidence["online_sync_lines"]] == [
        "Easysetup fwlink to download the manifest: https://go.microsoft.com/fwlink/?LinkId=2309745",
        "Download manifest.cab",
    ]
    # the same lines before the thread's last start say nothing about the running thread
    later = mode_rules.effective_mode_evidence(entries, T0 + timedelta(hours=1))
    assert later["mode"] == "unknown" and "precede the thread's start" in later["reason"]
    assert later["latest_online_sync_line"]["message"] == "Download manifest.cab"
    # without a known start no line can be tied to the running thread
    unknown = mode_rules.effective_mode_evidence(entries)
    assert unknown["mode"] == "unknown" and unknown["thread_started_at"] is None and "not known" in unknown["reason"]


def test_state_message_4_alone_is_not_online_evidence_and_offline_is_never_claimed():
    # after a service connection tool import an offline SCP logs "Successfully Dropped the state message 4"
    entries = log_at(T0, ["Successfully Dropped the state message 4~~", "SMS_DMP_DOWNLOADER started."])
    evidence = mode_rules.effective_mode_evidence(entries, T0 - timedelta(minutes=1))
    assert (
        evidence["mode"] == "unknown"
        and "no documented DMPDownloader.log line shows offline mode" in evidence["reason"]
    )
    assert [line["message"] for line in evidence["documented_lines"]] == ["Successfully Dropped the state message 4"]


# -- service_connection_point_info: roles and the effective mode -------------------------------------------------
CAS = Site("CAS", "Central", 4, None, "cas01.contoso.com", "C:\\SMS", "5.0", 0)


def role(server: str, name: str, site: str = "CAS") -> dict[str, Any]:
    return {"NetworkOSPath": f"\\\\{server.upper()}", "RoleName": name, "SiteCode": site}


class FakeProvider:
    includes: list[Any] = []
    state: ProviderState

    def __init__(
        self,
        session: Any,
        site_code: str | None = None,
        provider: str | None = None,
        check_mode: bool = False,
        **kwargs: Any,
    ) -> None:
        self.site_code, self.provider = site_code or "CAS", provider or "cas01.contoso.com"

    forgotten = 0
    recorded: list[Any] = []

    def forget_verified(self) -> None:
        FakeProvider.forgotten += 1

    def record_verified(self, verified: Any) -> None:
        FakeProvider.recorded.append(verified)

    def read_state(self, include: Any = (), raw: bool = False) -> ProviderState:
        FakeProvider.includes.append(tuple(include))
        return (
            FakeProvider.state
            if "roles" in include
            else ProviderState(**{**FakeProvider.state.__dict__, "site_roles": None})
        )


@pytest.fixture(name="provider")
def fixture_provider(monkeypatch):
    systems = [SiteSystemServer(SCP01, "CAS"), SiteSystemServer("cas01.contoso.com", "CAS")]
    FakeProvider.includes, FakeProvider.forgotten, FakeProvider.recorded = [], 0, []
    FakeProvider.state = ProviderState(
        site_code="CAS",
        provider="cas01.contoso.com",
        module_version="5.0",
        hierarchy=Hierarchy([CAS]),
        scp=ScpInfo(SCP01, "CAS", "Offline"),
        site_systems=systems,
        scps=[ScpInfo(SCP01, "CAS", "Offline")],
        site_roles=[
            role(SCP01, "SMS Site System"),
            role(SCP01, "SMS Dmp Connector"),
            role("cas01.contoso.com", "SMS Site Server"),
            role("cas01.contoso.com", "SMS Site System"),
            role(SCP01, "SMS Distribution Point", site="PR1"),
        ],
    )
    monkeypatch.setattr(_action, "SiteProvider", FakeProvider)
    return FakeProvider


def test_info_fills_the_roles_of_the_scps_site_system(provider, host):
    result = make(service_connection_point_info, {"thread": False}).run(task_vars=dict(TASK_VARS))
    assert "roles" in provider.includes[0]  # Get-CMSiteRole -AllSite in the same read
    assert result["scp"]["site_system"]["roles"] == ["SMS Dmp Connector", "SMS Site System"]
    by_server = {s["server"]: s["roles"] for s in result["site_systems"]}
    assert by_server == {
        SCP01: ["SMS Dmp Connector", "SMS Site System"],
        "cas01.contoso.com": ["SMS Site Server", "SMS Site System"],
    }


def test_info_effective_mode_uses_the_start_recorded_on_the_scp_host(provider, host):
    host.entries = log_at(HOST_NOW + timedelta(minutes=1), ONLINE_SYNC)
    result = make(service_connection_point_info, {}).run(task_vars=dict(TASK_VARS))
    assert result["scp"]["effective_mode"] == "unknown"  # no start known: nothing tied to the running thread
    assert result["scp"]["effective_mode_evidence"]["thread_started_at"] is None
    # a fact (as the collection once returned) is not read any more: the record on the SCP host is
    facts = {"configmgr_scp_thread_starts": {SCP01: {"SMS_DMP_DOWNLOADER": HOST_NOW.isoformat()}}}
    result = make(service_connection_point_info, {}).run(task_vars=dict(TASK_VARS, ansible_facts=facts))
    assert result["scp"]["effective_mode_evidence"]["thread_started_at"] is None
    host.records = {"SMS_DMP_DOWNLOADER": HOST_NOW.isoformat()}
    result = make(service_connection_point_info, {}).run(task_vars=dict(TASK_VARS))
    scp = result["scp"]
    assert scp["configured_mode"] == "Offline" and scp["effective_mode"] == "Online"  # not restarted since
    assert scp["effective_mode_evidence"]["thread_started_at"] == HOST_NOW.isoformat()
    assert "configmgr_scp_thread_starts" not in result.get("ansible_facts", {})
    host.records = {"SMS_DMP_DOWNLOADER": "not a time"}  # a malformed record counts as none
    result = make(service_connection_point_info, {}).run(task_vars=dict(TASK_VARS))
    assert result["scp"]["effective_mode_evidence"]["thread_started_at"] is None
    host.state = ThreadState(SCP01, "SMS_DMP_DOWNLOADER", True, "Stopped", "None")
    result = make(service_connection_point_info, {}).run(task_vars=dict(TASK_VARS))
    assert result["scp"]["effective_mode"] is None and result["scp"]["effective_mode_evidence"] is None
