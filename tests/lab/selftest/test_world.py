"""Self-tests of the simulated ConfigMgr world (tests/lab/world)."""

from __future__ import annotations

import re
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.lab.world import paths
from tests.lab.world.clock import Clock
from tests.lab.world.expansion import ExpansionError
from tests.lab.world.faults import FaultTable
from tests.lab.world.logs import LogFile, format_cmtrace, format_simple
from tests.lab.world.model import MODE_EXPANSION, SCP_ROLE, SITE_CAS, Role, scp_props
from tests.lab.world.world import World

SCENARIOS = Path(__file__).resolve().parents[1] / "world" / "scenarios"
SITE_LOGS = "C:\\Program Files\\Microsoft Configuration Manager\\Logs"
DMP_THREAD = paths.thread_key(paths.DMP_DOWNLOADER)


def load(name: str) -> World:
    return World.from_scenario(yaml.safe_load((SCENARIOS / f"{name}.yaml").read_text()), Clock())


def text(world: World, fqdn: str, path: str) -> str:
    host = world.host(fqdn)
    assert host is not None
    return host.files.read(path) if host.files.exists(path) else ""


def thread_state(world: World, fqdn: str) -> tuple[Any, Any]:
    reg = world.require_host(fqdn).registry
    return reg.data(DMP_THREAD, "Current State"), reg.data(DMP_THREAD, "Requested Operation")


def add_scp(world: World, fqdn: str, site: str, offline: bool = False) -> None:
    """What Add-CMServiceConnectionPoint does to site control."""
    hier = world.hierarchy
    hier.roles.append(Role(SCP_ROLE, fqdn, site, hier.role_type_for(fqdn, site), scp_props(offline)))
    hier.bump()
    world.sitecomp.request_cycle()


def remove_scp(world: World) -> None:
    scp = world.hierarchy.scp()
    assert scp is not None
    world.hierarchy.roles.remove(scp)
    world.hierarchy.bump()
    world.sitecomp.request_cycle()


@pytest.mark.parametrize("name", sorted(p.stem for p in SCENARIOS.glob("*.yaml")))
def test_every_scenario_loads_and_serializes(name: str) -> None:
    world = load(name)
    state = world.to_json()
    assert state["hierarchy"]["sites"]
    assert set(state["hosts"]) == set(world.hosts)
    for site in world.hierarchy.sites.values():
        server = world.host(site.server)
        assert server is not None and "configurationmanager" in server.modules
        assert (server.getenv("SMS_ADMIN_UI_PATH") or "").endswith("\\bin\\i386")
        assert server.services["sms_executive"].status == "Running"


def test_preinstalled_scp_is_running_and_synced_online() -> None:
    world = load("hierarchy")
    assert thread_state(world, "scp01.contoso.com") == ("Running", "None")
    world.advance(60)
    log = text(world, "scp01.contoso.com", "C:\\SMS\\Logs\\dmpdownloader.log")
    assert "Successfully Dropped the state message 4" in log
    tracing = world.require_host("scp01").registry.data(paths.tracing_key(paths.DMP_DOWNLOADER), "TraceFilename")
    assert tracing == "C:\\SMS\\Logs\\dmpdownloader.log"
    scp = world.to_json()["scp"]
    assert scp["effective_mode"] == "Online" and scp["configured"]["server"] == "scp01.contoso.com"
    assert world.hierarchy.sites["CAS"].type == SITE_CAS


def test_sitecomp_installs_remote_scp_on_next_cycle_then_removes_it() -> None:
    world = load("standalone-primary")
    add_scp(world, "scp01.contoso.com", "PS1")
    scp = world.require_host("scp01.contoso.com")
    assert world.hierarchy.scp() is not None  # site control at once
    assert scp.registry.get_key(DMP_THREAD) is None  # not installed yet
    world.advance(61)
    assert thread_state(world, "scp01.contoso.com") == ("Running", "None")
    assert scp.registry.get_key(paths.role_key(SCP_ROLE)) is not None
    assert scp.services["sms_executive"].status == "Running"
    sitecomp = text(world, "cm01.contoso.com", SITE_LOGS + "\\sitecomp.log")
    expected = [
        "Parsed the master site control file",
        "Synchronizing component server scp01.contoso.com...",
        "Installing component SMS_DMP_DOWNLOADER...",
        "Creating registry keys",
        "Starting bootstrap operations...",
        "Installed service SMS_SERVER_BOOTSTRAP_SCP01",
        "Starting service SMS_SERVER_BOOTSTRAP_SCP01 with command-line",
        '/siteserver:cm01.contoso.com" executed successfully on server scp01.contoso.com.',
        "Bootstrap operation successful.",
        "Deinstalled service SMS_SERVER_BOOTSTRAP_SCP01.",
        "Bootstrap operations completed.",
    ]
    positions = [sitecomp.find(marker) for marker in expected]
    assert -1 not in positions and positions == sorted(positions)
    assert "rolesetup.exe" in text(world, "scp01.contoso.com", "C:\\SMS\\Logs\\SrvBoot.log")

    remove_scp(world)
    assert world.hierarchy.scp() is None
    assert scp.registry.get_key(DMP_THREAD) is not None  # still there until the next cycle
    world.advance(61)
    assert scp.registry.get_key(DMP_THREAD) is None
    assert "Deinstalling component SMS_DMP_DOWNLOADER" in text(world, "cm01.contoso.com", SITE_LOGS + "\\sitecomp.log")
    assert world.to_json()["scp"]["installed_on"] == []


def test_install_waits_for_admin_rights_on_the_remote_host() -> None:
    world = load("standalone-primary")
    scp = world.require_host("scp01.contoso.com")
    scp.admins.discard("contoso\\cm01$")
    add_scp(world, "scp01.contoso.com", "PS1")
    world.advance(61)
    assert scp.registry.get_key(DMP_THREAD) is None
    assert "Access is denied" in text(world, "cm01.contoso.com", SITE_LOGS + "\\sitecomp.log")
    scp.admins.add("contoso\\cm01$")
    world.advance(world.sitecomp.retry_delay + 1)
    assert thread_state(world, "scp01.contoso.com")[0] == "Running"


def test_install_fault_fails_first_bootstrap_only() -> None:
    world = load("standalone-primary")
    world.faults.add("install_fail", host="scp01")
    add_scp(world, "scp01.contoso.com", "PS1")
    world.advance(61)
    assert "Bootstrap operation failed." in text(world, "cm01.contoso.com", SITE_LOGS + "\\sitecomp.log")
    assert world.require_host("scp01").registry.get_key(DMP_THREAD) is None
    world.advance(world.sitecomp.retry_delay + 1)
    assert thread_state(world, "scp01.contoso.com")[0] == "Running"


def test_thread_stop_start_protocol() -> None:
    world = load("standalone-with-scp")
    reg = world.require_host("cm01").registry
    reg.set_value(DMP_THREAD, "Requested Operation", "Stop")
    assert thread_state(world, "cm01.contoso.com") == ("Stopping", "Stop")
    world.advance(5)
    assert thread_state(world, "cm01.contoso.com") == ("Stopped", "None")
    assert world.dmp.state(world.require_host("cm01")).running is False
    reg.set_value(DMP_THREAD, "Requested Operation", "Start")
    assert thread_state(world, "cm01.contoso.com")[0] == "Starting"
    world.advance(5)
    assert thread_state(world, "cm01.contoso.com") == ("Running", "None")


def test_thread_stuck_fault_ignores_one_stop() -> None:
    world = load("standalone-with-scp")
    world.faults.add("thread_stuck", host="cm01.contoso.com")
    reg = world.require_host("cm01").registry
    reg.set_value(DMP_THREAD, "Requested Operation", "Stop")
    world.advance(10)
    assert thread_state(world, "cm01.contoso.com") == ("Running", "Stop")
    reg.set_value(DMP_THREAD, "Requested Operation", "Stop")
    world.advance(10)
    assert thread_state(world, "cm01.contoso.com") == ("Stopped", "None")


def test_effective_mode_changes_only_after_thread_restart() -> None:
    world = load("standalone-with-scp")
    cm01 = world.require_host("cm01")
    world.advance(60)
    scp = world.hierarchy.scp()
    assert scp is not None
    scp.props = scp_props(offline=True)  # what Set-CMServiceConnectionPoint does
    world.advance(3600)
    state = world.to_json()["scp"]
    assert state["configured"]["mode"] == "Offline" and state["effective_mode"] == "Online"
    log = text(world, "cm01.contoso.com", SITE_LOGS + "\\dmpdownloader.log")
    assert log.count("Download manifest.cab") >= 1  # still syncing online: the old mode runs
    cm01.registry.set_value(DMP_THREAD, "Requested Operation", "Stop")
    world.advance(5)
    cm01.registry.set_value(DMP_THREAD, "Requested Operation", "Start")
    restarted = len(text(world, "cm01.contoso.com", SITE_LOGS + "\\dmpdownloader.log"))
    world.advance(7200)
    assert world.to_json()["scp"]["effective_mode"] == "Offline"
    after = text(world, "cm01.contoso.com", SITE_LOGS + "\\dmpdownloader.log")[restarted:]
    assert "Download manifest.cab" not in after and "mode" not in after.lower()  # offline: no sync, no mode line


def test_executive_service_restart_restarts_threads_and_rereads_mode() -> None:
    world = load("standalone-with-scp")
    scp = world.hierarchy.scp()
    assert scp is not None
    scp.props = scp_props(offline=True)
    cm01 = world.require_host("cm01")
    cm01.services["sms_executive"].restart()
    assert thread_state(world, "cm01.contoso.com") == ("Running", "None")
    assert world.dmp.state(cm01).effective_mode == "Offline"


def test_online_sync_without_internet_logs_errors_and_status_message() -> None:
    world = load("standalone-with-scp")
    cm01 = world.require_host("cm01")
    cm01.network.proxies.clear()
    cm01.services["sms_executive"].restart()
    world.advance(60)
    log = text(world, "cm01.contoso.com", SITE_LOGS + "\\dmpdownloader.log")
    assert "ERROR: Failed to download the manifest" in log.splitlines()[-1]
    assert any(m.message_id == 11488 for m in world.hierarchy.status_messages)
    assert world.dmp.state(cm01).last_result == "failed"


def test_log_formats() -> None:
    when = datetime(2026, 11, 2, 9, 5, 7, 123000, tzinfo=timezone.utc)
    cm = format_cmtrace("Hello", "SMS_DMP_DOWNLOADER", when, 2, thread=4116)
    assert cm == (
        '<![LOG[Hello]LOG]!><time="09:05:07.123+000" date="11-02-2026" component="SMS_DMP_DOWNLOADER" '
        'context="" type="2" thread="4116" file="">'
    )
    simple = format_simple("Sending status message (MessageID = 500).", "SMS_HIERARCHY_MANAGER", when, thread=4116)
    assert simple == (
        "Sending status message (MessageID = 500).  $$<SMS_HIERARCHY_MANAGER>"
        "<11-02-2026 09:05:07.123+000><thread=4116 (0x1014)>"
    )
    assert re.search(r"\$\$\<(.*?)\>\<thread=", simple)  # PSCCMClient's detector matches


def test_scenario_can_switch_a_log_to_cmtrace_format() -> None:
    data = yaml.safe_load((SCENARIOS / "standalone-with-scp.yaml").read_text())
    data["logs"] = {"formats": {"dmpdownloader.log": "cmtrace"}}
    world = World.from_scenario(data, Clock())
    world.advance(60)
    line = text(world, "cm01.contoso.com", SITE_LOGS + "\\dmpdownloader.log").splitlines()[-1]
    assert line.startswith("<![LOG[Successfully Dropped the state message 4]LOG]!>")


def test_rotation_to_lo_underscore() -> None:
    world = load("standalone-primary")
    files = world.require_host("cm01").files
    log = LogFile(files, SITE_LOGS + "\\hman.log", "SMS_HIERARCHY_MANAGER", max_size=300)
    for i in range(6):
        log.write(f"line {i} " + "x" * 40, world.clock.now())
    assert files.exists(SITE_LOGS + "\\hman.lo_")
    assert len(files.read(SITE_LOGS + "\\hman.log")) <= 300
    assert "line 5" in files.read(SITE_LOGS + "\\hman.log")
    assert "line 5" not in files.read(SITE_LOGS + "\\hman.lo_")


def test_expansion_requires_scp_removal_then_completes() -> None:
    world = load("expansion")
    with pytest.raises(ExpansionError, match="service connection point"):
        world.expand("CAS", "cas01.contoso.com")
    remove_scp(world)
    with pytest.raises(ExpansionError):  # de-install still pending
        world.expand("CAS", "cas01.contoso.com")
    world.advance(61)
    world.expand("CAS", "cas01.contoso.com")
    ps1, cas = world.hierarchy.sites["PS1"], world.hierarchy.sites["CAS"]
    assert (ps1.mode, cas.mode, ps1.reporting_site_code) == (MODE_EXPANSION, MODE_EXPANSION, "CAS")
    top = world.hierarchy.top_site()
    assert top is not None and top.code == "CAS"
    world.advance(world.expansion_seconds + 1)
    assert (ps1.mode, cas.mode) == (0, 0)
    assert world.require_host("cas01").services["sms_executive"].status == "Running"


def test_fault_table_nth_semantics() -> None:
    table = FaultTable()
    table.add("drop", host="cm01.contoso.com", nth=2)
    table.add("fail_cmdlet", cmdlet="Get-CMSite")
    assert table.take("request", "scp01.contoso.com") is None  # other host: not counted
    assert table.take("request", "CM01") is None  # first match
    assert table.take("request", "cm01.contoso.com") == "drop"  # second match fires
    assert table.take("request", "cm01.contoso.com") is None  # gone
    assert table.take("invoke", "cm01", "Get-CMAccount") is None
    assert table.take("invoke", "cm01", "get-cmsite") == "fail_cmdlet"
    assert table.to_json()["pending"] == [] and len(table.fired) == 2
    table.add("timeout")
    table.clear()
    assert table.take("receive", "x") is None
    with pytest.raises(ValueError):
        table.add("no_such_kind")


def test_to_json_shape() -> None:
    world = load("standalone-with-scp")
    world.record_call("cm01.contoso.com", "CONTOSO\\cmadmin", "Get-CMSite", {}, "ok")
    state = world.to_json()
    assert {"now", "hierarchy", "hosts", "scp", "sitecomp", "faults", "logs", "events", "calls"} <= set(state)
    assert state["calls"][0]["cmdlet"] == "Get-CMSite"
    assert state["hosts"]["cm01.contoso.com"]["threads"]["SMS_DMP_DOWNLOADER"]["state"] == "Running"
    assert state["hierarchy"]["telemetry_level"] == "Enhanced"
    scp_role = next(r for r in state["hierarchy"]["roles"] if r["RoleName"] == SCP_ROLE)
    assert {"PropertyName": "OfflineMode", "Value": 0, "Value1": "", "Value2": ""} in scp_role["Props"]
