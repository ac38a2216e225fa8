"""SiteProvider / ScpHost / executor against a FakeSession that records structured commands."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.configmgr.model import SiteSystemSpec
from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.configmgr.provider import SiteProvider
from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.configmgr.scphost import ScpHost
from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.errors import (
    BootstrapFailed,
    CheckModeViolation,
    InvalidOption,
    WaitTimeout,
)
from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.executor import execute_plan
from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.planner import DesiredScp, plan_scp
from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.values import PSDict
from tests.unit.fakes import FakeSession

SITE = {
    "SiteCode": "PS1",
    "SiteName": "Primary",
    "Type": 2,
    "ReportingSiteCode": "",
    "ServerName": "CM01.contoso.com",
    "InstallDir": "C:\\Program Files\\Microsoft Configuration Manager",
    "Version": "5.00.9128.1000",
    "Mode": 0,
}
SCP = {
    "NetworkOSPath": "\\\\SCP01.contoso.com",
    "SiteCode": "PS1",
    "RoleName": "SMS Dmp Connector",
    "Props": [{"PropertyName": "Other", "Value": 0}, {"PropertyName": "OfflineMode", "Value": 1}],
}
SS = {
    "NetworkOSPath": "\\\\scp01.contoso.com",
    "SiteCode": "PS1",
    "Props": [
        {"PropertyName": "UseProxy", "Value": 1},
        {"PropertyName": "ProxyName", "Value1": "proxy.contoso.com"},
        {"PropertyName": "ProxyServerPort", "Value": 8080},
        {"PropertyName": "UseMachineAccount", "Value": 1},
    ],
}


MODULE = {"Name": "ConfigurationManager", "Version": "5.2107.1059.1000"}


def provider_answers(**extra):
    answers = {
        "Get-Item": [{"Value": "C:\\Console\\bin\\i386"}],
        "Import-Module": [MODULE],
        "New-PSDrive": [],
        "Set-Location": [],
        "Get-CMSite": [SITE],
        "Get-CMServiceConnectionPoint": [SCP],
        "Get-CMSiteSystemServer": [SS],
        "Get-CMHierarchySetting": [{"PropertyName": "TelemetryLevel", "Value": 2}],
        "Get-CMAADApplication": [],
        "Get-CMSiteUpdate": [{"Name": "CM 2409", "State": 196612}],
        "Get-CimInstance": [{"SiteCode": "PS1", "Machine": "CM01.contoso.com", "ProviderForLocalSite": True}],
    }
    answers.update(extra)
    return answers


def test_noop_read_is_one_pipeline_with_bootstrap_when_site_known():
    s = FakeSession(answers=provider_answers())
    st = SiteProvider(s, site_code="PS1").read_state()
    assert len(s.pipelines) == 1 and len(s.pipelines[0].statements) == 1
    (script,) = s.pipelines[0].statements[0].commands
    assert script.name == "Read-CMSiteState" and dict(script.parameters)["SiteCode"] == "PS1"
    assert s.names[:4] == ["Get-Item", "Import-Module", "New-PSDrive", "Set-Location"]
    assert s.commands[1][1]["PassThru"] is True and s.commands[2][1]["Scope"] == "Global"
    assert s.commands[3] == ("Set-Location", {"Path": "PS1:"})
    assert st.scp.server == "scp01.contoso.com" and st.scp.mode == "Offline"  # OfflineMode found by name
    assert st.hierarchy.top_tier.site_code == "PS1" and st.hierarchy.is_standalone
    sys = st.site_system("SCP01.contoso.com")
    assert sys.proxy_enabled and sys.proxy_server == "proxy.contoso.com" and sys.proxy_port == 8080
    assert st.usage_data_level == "Enhanced" and st.updates_in_progress == []


def test_reads_only_what_is_asked_each_with_its_properties():
    s = FakeSession(answers=provider_answers())
    SiteProvider(s, site_code="PS1").read_state(include=("sites", "scp"))
    params = dict(s.pipelines[0].statements[0].commands[0].parameters)
    assert params["Read"] == ["sites", "scp"]
    assert "Get-CMSiteSystemServer" not in s.names and "Get-CMSiteUpdate" not in s.names
    assert params["Properties"]["scp"] == ["NetworkOSPath", "SiteCode", "RoleName", "Props"]
    raw = FakeSession(answers=provider_answers())
    SiteProvider(raw, site_code="PS1").read_state(include=("sites", "scp"), raw=True)
    assert dict(raw.pipelines[0].statements[0].commands[0].parameters)["Properties"]["scp"] == ["*"]


def test_discovery_is_in_the_same_round_trip_then_cached_and_bootstrap_not_repeated():
    s = FakeSession(answers=provider_answers())
    p = SiteProvider(s)
    p.read_state()
    p.read_state()
    assert [len(x.statements) for x in s.pipelines] == [1, 1]
    first, second = (dict(x.statements[0].commands[0].parameters) for x in s.pipelines)
    assert "SiteCode" not in first and "cm01.contoso.com" in first["HostNames"] and "Bootstrapped" not in first
    assert second["SiteCode"] == "PS1" and second["Provider"] == "cm01.contoso.com" and second["Bootstrapped"] is True
    assert p.site_code == "PS1" and p.provider == "cm01.contoso.com"
    assert (
        "New-PSDrive",
        {
            "Name": "PS1",
            "PSProvider": "CMSite",
            "Root": "CM01.contoso.com",
            "Scope": "Global",
            "ErrorAction": "SilentlyContinue",
        },
    ) in s.commands
    assert s.names.count("Import-Module") == 1 and s.names.count("Get-CimInstance") == 1


def test_discovery_that_names_another_machine_reads_there():
    s = FakeSession(
        answers=provider_answers(
            **{"Get-CimInstance": [{"SiteCode": "PS1", "Machine": "PROV01.contoso.com", "ProviderForLocalSite": True}]}
        )
    )
    other = FakeSession(host="prov01.contoso.com", answers=provider_answers())
    p = SiteProvider(s, sessions=lambda fqdn: other)
    st = p.read_state(include=("sites",))
    assert st.provider == "prov01.contoso.com" and p.session is other
    assert s.names == ["Get-CimInstance"]  # no row named cm01: the script stopped after the rows
    assert dict(other.pipelines[0].statements[0].commands[0].parameters)["Provider"] == "prov01.contoso.com"


def test_import_fallback_by_path():
    s = FakeSession(answers=provider_answers())
    p = SiteProvider(s, site_code="PS1")
    original = s.run

    def run(pipeline, **kw):
        name = dict(pipeline.statements[0].commands[0].parameters).get("Module", "")
        s.answers["Import-Module"] = [MODULE] if name.endswith(".psd1") else RuntimeError("module not found")
        return original(pipeline, **kw)

    s.run = run
    p.read_state(include=("sites",))
    imports = [params["Name"] for name, params in s.commands if name == "Import-Module"]
    assert imports == ["ConfigurationManager", "C:\\Console\\bin\\ConfigurationManager.psd1"]


def test_bootstrap_failures_have_their_own_messages():
    s = FakeSession(answers=provider_answers(**{"Import-Module": RuntimeError("not found"), "Get-Item": []}))
    with pytest.raises(BootstrapFailed) as info:
        SiteProvider(s, site_code="PS1").read_state()
    assert "Install the Configuration Manager console" in str(info.value) and "cm01.contoso.com" in str(info.value)
    s = FakeSession(answers=provider_answers(**{"Set-Location": RuntimeError("Cannot find drive PS1")}))
    with pytest.raises(BootstrapFailed) as info:
        SiteProvider(s, site_code="PS1").read_state()
    assert "CMSite drive PS1:" in str(info.value)
    s = FakeSession(
        answers=provider_answers(**{"Import-Module": [{"Name": "ConfigurationManager", "Version": "5.1810.1"}]})
    )
    with pytest.raises(BootstrapFailed) as info:
        SiteProvider(s, site_code="PS1").read_state()
    assert "older than 5.1902" in str(info.value)


def test_mutations_are_structured_and_refused_in_check_mode():
    s = FakeSession(answers=provider_answers())
    p = SiteProvider(s, site_code="PS1")
    p.add_scp("scp02.contoso.com", "online")
    p.set_scp_mode("scp02.contoso.com", "Offline")
    p.remove_scp("scp02.contoso.com")
    p.set_usage_data_level("full")
    cmds = [c for c in s.commands if c[0].endswith("ServiceConnectionPoint") or c[0] == "Set-CMHierarchySetting"]
    assert cmds[0] == (
        "Add-CMServiceConnectionPoint",
        {"SiteSystemServerName": "scp02.contoso.com", "SiteCode": "PS1", "Mode": "Online"},
    )
    assert cmds[1][1]["Mode"] == "Offline" and "Force" in cmds[2][1] and cmds[3][1] == {"TelemetryLevel": "Full"}
    c = FakeSession(answers=provider_answers())
    checker = SiteProvider(c, site_code="PS1", check_mode=True)
    for call in (
        lambda: checker.add_scp("x", "Online"),
        lambda: checker.remove_scp("x"),
        lambda: checker.set_scp_mode("x", "Online"),
        lambda: checker.set_usage_data_level("basic"),
        lambda: checker.ensure_site_system_server(SiteSystemSpec("new.contoso.com")),
        lambda: checker.remove_site_system_server("x"),
    ):
        with pytest.raises(CheckModeViolation) as info:
            call()
        assert "cm01.contoso.com" in str(info.value)
    assert not any(n.startswith(("Add-", "Set-CM", "Remove-", "New-CM")) for n in c.names)


def test_site_system_with_proxy_account_gets_the_account_remotely():
    # Never passes the read object back (a Deserialized.* bag over remoting): a constant script gets it remotely,
    # see tests/unit/test_scripts.py.
    account = PSDict({"UserName": "CONTOSO\\proxy"}, raw=object())
    s = FakeSession(
        answers=provider_answers(
            **{"Get-CMSiteSystemServer": [], "Get-CMAccount": [account, PSDict({"UserName": "CONTOSO\\inst"})]}
        )
    )
    p = SiteProvider(s, site_code="PS1")
    assert p.ensure_site_system_server(
        SiteSystemSpec(
            "new.contoso.com",
            account_name="CONTOSO\\inst",
            proxy_server="proxy",
            proxy_port=8080,
            proxy_account="CONTOSO\\proxy",
        )
    )
    name, params = [c for c in s.commands if c[0] == "New-CMSiteSystemServerWithProxyAccount"][0]
    assert params["ProxyUserName"] == "CONTOSO\\proxy" and account not in params["Parameters"].values()
    assert params["Parameters"]["EnableProxy"] is True and params["Parameters"]["AccountName"] == "CONTOSO\\inst"
    s2 = FakeSession(answers=provider_answers())
    assert not SiteProvider(s2, site_code="PS1").ensure_site_system_server(
        SiteSystemSpec("scp01.contoso.com", proxy_server="proxy.contoso.com", proxy_port=8080)
    )


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.now += seconds


def thread_session(states):
    """Get-ItemProperty answers follow `states` (Current State, Requested Operation) one read at a time."""
    seq = list(states)

    def read(params):
        cur = seq.pop(0) if len(seq) > 1 else seq[0]
        return [] if cur is None else [{"Current State": cur[0], "Requested Operation": cur[1]}]

    return FakeSession("scp01.contoso.com", {"Get-ItemProperty": read, "Get-Service": [{"Status": "Running"}]})


def test_restart_thread_protocol():
    s = thread_session([("Running", "None"), ("Stopping", "Stop"), ("Stopped", "None"), ("Running", "None")])
    clock = Clock()
    change = ScpHost(s, sleep=clock.sleep, clock=clock).restart_thread(timeout=60)
    sets = [p["Value"] for n, p in s.commands if n == "Set-ItemProperty"]
    assert sets == ["Stop", "Start"] and change.method == "thread" and change.after.running
    assert all(p.get("Name") in (None, "Requested Operation", "SMS_EXECUTIVE") for n, p in s.commands)


def test_restart_falls_back_to_service():
    s = thread_session([("Running", "None"), ("Running", "Stop")] + [("Running", "Stop")] * 50 + [("Running", "None")])
    clock = Clock()
    messages = []
    host = ScpHost(s, sleep=clock.sleep, clock=clock)
    s.answers["Restart-Service"] = lambda params: (
        s.answers.__setitem__("Get-ItemProperty", [{"Current State": "Running", "Requested Operation": "None"}]) or []
    )
    change = host.restart_thread(timeout=20, progress=messages.append)
    assert change.method == "service" and "Restart-Service" in s.names and any("restarting" in m for m in messages)


def test_wait_timeout_and_set_thread_idempotent():
    clock = Clock()
    s = thread_session([("Stopped", "None")])
    host = ScpHost(s, sleep=clock.sleep, clock=clock)
    assert not host.set_thread("SMS_DMP_DOWNLOADER", "stopped").changed
    with pytest.raises(WaitTimeout) as info:
        host.wait_installed(timeout=10)
    assert "scp01.contoso.com" in str(info.value) and info.value.waited >= 10
    assert "Set-ItemProperty" not in s.names
    with pytest.raises(CheckModeViolation):
        ScpHost(s, check_mode=True).restart_thread()


def test_logs_read_with_tail_and_rotation():
    line = "Done $$<SMS_DMP_DOWNLOADER><07-15-2023 09:12:45.332+000><thread=1 (0x1)>"
    s = FakeSession(
        "scp01.contoso.com",
        {
            "Get-ItemProperty": [{"TraceFilename": "D:\\SMS\\Logs\\dmpdownloader.log"}],
            "Get-Content": lambda p: [line] if p["LiteralPath"].endswith(".log") else [],
        },
    )
    entries = ScpHost(s).read_log(tail=50)
    assert entries[0].message == "Done" and entries[0].source == "dmpdownloader.log"
    gets = [p for n, p in s.commands if n == "Get-Content"]
    assert [g["LiteralPath"] for g in gets] == ["D:\\SMS\\Logs\\dmpdownloader.lo_", "D:\\SMS\\Logs\\dmpdownloader.log"]
    assert all(g["Tail"] == 50 for g in gets)


T0 = datetime(2023, 7, 15, 9, 0, tzinfo=timezone.utc)


def sitecomp_lines(*sequences):
    """SMS-trace sitecomp.log lines at 09:10: (server, verb) -> the remote bootstrap sequence."""
    lines = []
    for server, verb in sequences:
        short = server.split(".")[0].upper()
        for text in (
            f"Synchronizing component server {server}...",
            "Starting bootstrap operations...",
            f'Starting service SMS_SERVER_BOOTSTRAP_{short} with command-line arguments "PS1 C:\\SMS /{verb} '
            'C:\\SMS\\bin\\x64\\rolesetup.exe SMS_DMP_CONNECTOR"',
            "Bootstrap operation successful.",
            f"Deinstalled service SMS_SERVER_BOOTSTRAP_{short}.",
            "Bootstrap operations completed.",
        ):
            lines.append(f"{text} $$<SMS_SITE_COMPONENT_MANAGER><07-15-2023 09:10:00.000+000><thread=1 (0x1)>")
    return lines


def test_executor_runs_move_plan_with_progress():
    log = sitecomp_lines(("scp01.contoso.com", "deinstall"), ("scp02.contoso.com", "install"))
    s = FakeSession(
        answers=provider_answers(
            **{"Get-Date": [T0], "Get-Content": lambda p: log if p["LiteralPath"].endswith(".log") else []}
        )
    )
    prov = SiteProvider(s, site_code="PS1")
    state = prov.read_state()
    plan = plan_scp(state, DesiredScp(server="scp02.contoso.com", allow_move=True))
    hosts = {}

    def host_for(fqdn):
        answers = {
            "Get-ItemProperty": []
            if fqdn == "scp01.contoso.com"
            else [{"Current State": "Running", "Requested Operation": "None"}]
        }
        hosts[fqdn] = FakeSession(fqdn, answers)
        return ScpHost(hosts[fqdn])

    seen = []
    s.answers["Get-CMServiceConnectionPoint"] = [dict(SCP, NetworkOSPath="\\\\scp02.contoso.com")]
    result = execute_plan(plan, prov, host_for, progress=lambda step, text: seen.append(text))
    assert [st.action for st in result.steps_run] == [st.action for st in plan.steps]
    assert result.before["server"] == "scp01.contoso.com" and result.after["server"] == "scp02.contoso.com"
    assert any("step 1/" in t for t in seen)
    order = [
        n
        for n in s.names
        if n in ("Remove-CMServiceConnectionPoint", "New-CMSiteSystemServer", "Add-CMServiceConnectionPoint")
    ]
    assert order == ["Remove-CMServiceConnectionPoint", "New-CMSiteSystemServer", "Add-CMServiceConnectionPoint"]
    reads = [p["LiteralPath"] for n, p in s.commands if n == "Get-Content"]
    assert reads and all(
        r.startswith("C:\\Program Files\\Microsoft Configuration Manager\\Logs\\sitecomp.lo") for r in reads
    )


def test_executor_in_check_mode_refuses_first_mutation():
    s = FakeSession(answers=provider_answers(**{"Get-CMServiceConnectionPoint": []}))
    prov = SiteProvider(s, site_code="PS1", check_mode=True)
    plan = plan_scp(prov.read_state(), DesiredScp(server="scp01.contoso.com"))
    with pytest.raises(CheckModeViolation):
        execute_plan(plan, prov, lambda f: ScpHost(FakeSession(f), check_mode=True))


def test_thread_messages_use_the_display_name_and_say_not_installed_yet():
    from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.options import ConnectionOptions
    from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.session import Session

    opts = ConnectionOptions.from_host_vars(
        {"ansible_host": "127.0.0.1", "ansible_user": "u", "ansible_password": "p"},
        inventory_hostname="scp01.contoso.com",
    )
    assert Session(opts).display_name == "scp01.contoso.com"
    bare = ConnectionOptions.from_mapping({"host": "127.0.0.1", "username": "u", "password": "p"})
    assert Session(bare, display_name="scp01.contoso.com").host == "scp01.contoso.com"
    s = thread_session([None])
    s.host, s.display_name = "127.0.0.1", "scp01.contoso.com"
    clock = Clock()
    messages: list = []
    with pytest.raises(WaitTimeout) as info:
        ScpHost(s, sleep=clock.sleep, clock=clock).wait_installed(timeout=6, progress=messages.append)
    assert messages and all("SMS_DMP_DOWNLOADER on scp01.contoso.com: not installed yet" in m for m in messages), (
        messages
    )
    assert "None (requested None)" not in " ".join(messages)
    assert "scp01.contoso.com" in str(info.value) and "127.0.0.1" not in str(info.value)


# -- the collection's record of a thread's start on its host (ThreadStarted_<name>, never a fact) ------------------
STATE_KEY = "HKLM:\\SOFTWARE\\configmgr.scp"


def record_session(record):
    """The thread key answers Running; STATE_KEY answers `record` (the collection's values on the host)."""

    def read(params):
        if params["Path"] == STATE_KEY:
            return (
                [
                    dict(
                        record,
                        PSPath="Microsoft.PowerShell.Core\\Registry::HKEY_LOCAL_MACHINE\\SOFTWARE\\configmgr.scp",
                    )
                ]
                if record
                else []
            )
        return [{"Current State": "Running", "Requested Operation": "None"}]

    return FakeSession("scp01.contoso.com", {"Get-ItemProperty": read, "Get-Service": [{"Status": "Running"}]})


def test_the_thread_start_is_read_with_the_thread_state_in_one_pipeline():
    s = record_session(
        {"ThreadStarted_SMS_DMP_DOWNLOADER": "2026-11-02T09:05:07.123000+00:00", "DownloaderPendingMode": "Offline"}
    )
    state, started = ScpHost(s).thread_state_and_start()
    assert len(s.pipelines) == 1, "no extra round trip for the record"
    assert state.running and state.pending_mode == "Offline"
    assert started == datetime(2026, 11, 2, 9, 5, 7, 123000, tzinfo=timezone.utc)
    for value in (None, "", "yesterday", 5):
        s = record_session({"ThreadStarted_SMS_DMP_DOWNLOADER": value} if value is not None else {})
        assert ScpHost(s).thread_state_and_start()[1] is None, value
    s = record_session({"ThreadStarted_SMS_DMP_DOWNLOADER": "2026-11-02T09:05:07Z"})  # Z, or no offset: UTC
    assert ScpHost(s).thread_state_and_start()[1] == datetime(2026, 11, 2, 9, 5, 7, tzinfo=timezone.utc)
    # the session hands the ISO string back already parsed (cmscp.values: round-trip DateTime text -> datetime)
    parsed = datetime(2026, 11, 2, 10, 5, 7, 123000, tzinfo=timezone(timedelta(hours=1)))
    s = record_session({"ThreadStarted_SMS_DMP_DOWNLOADER": parsed})
    started = ScpHost(s).thread_state_and_start()[1]
    assert started == parsed and started.isoformat() == "2026-11-02T09:05:07.123000+00:00"


def test_record_thread_start_writes_an_iso_utc_string_as_a_parameter():
    s = record_session({})
    host = ScpHost(s)
    later = datetime(2026, 11, 2, 10, 5, 7, tzinfo=timezone.utc)
    stamp = host.record_thread_start("SMS_DMP_DOWNLOADER", later.astimezone(timezone(timedelta(hours=1))))
    assert stamp == "2026-11-02T10:05:07+00:00"
    assert s.commands == [
        ("New-Item", {"Path": STATE_KEY}),
        ("Set-ItemProperty", {"Path": STATE_KEY, "Name": "ThreadStarted_SMS_DMP_DOWNLOADER", "Value": stamp}),
    ]
    assert all(not getattr(c, "text", None) for p in s.pipelines for st in p.statements for c in st.commands)
    host.forget_thread_start("SMS_DMP_DOWNLOADER")
    assert s.commands[-1] == ("Remove-ItemProperty", {"Path": STATE_KEY, "Name": ["ThreadStarted_SMS_DMP_DOWNLOADER"]})
    assert s.pipelines[-1].statements[0].error_action == "SilentlyContinue"  # no record: nothing to forget
    with pytest.raises(CheckModeViolation):
        ScpHost(s, check_mode=True).record_thread_start("SMS_DMP_DOWNLOADER", later)
    with pytest.raises(CheckModeViolation):
        ScpHost(s, check_mode=True).forget_thread_start("SMS_DMP_DOWNLOADER")
    with pytest.raises(InvalidOption):
        host.record_thread_start("SMS_DMP_DOWNLOADER; Remove-Item C:\\", later)  # a name is part of the value name


def test_a_service_restart_forgets_the_starts_of_the_other_threads():
    s = record_session(
        {
            "ThreadStarted_SMS_DMP_DOWNLOADER": "2026-11-02T09:05:07+00:00",
            "ThreadStarted_SMS_DMP_UPLOADER": "2026-11-02T09:00:00+00:00",
        }
    )
    host = ScpHost(s)
    host.thread_state("SMS_DMP_UPLOADER")
    host.record_thread_start("SMS_DMP_UPLOADER", datetime(2026, 11, 2, 10, 0, tzinfo=timezone.utc), every_thread=True)
    assert s.commands[-1] == ("Remove-ItemProperty", {"Path": STATE_KEY, "Name": ["ThreadStarted_SMS_DMP_DOWNLOADER"]})
    host.record_thread_start("SMS_DMP_UPLOADER", datetime(2026, 11, 2, 10, 0, tzinfo=timezone.utc))
    assert s.commands[-1][0] == "Set-ItemProperty", "a thread restart touches only its own record"
