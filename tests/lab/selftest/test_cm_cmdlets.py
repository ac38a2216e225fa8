"""ConfigurationManager cmdlets of the lab world, driven through the lab's PowerShell runtime."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
import yaml

import tests.lab.world.cm_cmdlets  # noqa: F401  pylint: disable=unused-import  # registers the cmdlets
from tests.lab.ps.runtime import PSRuntime
from tests.lab.world import paths
from tests.lab.world.clock import Clock
from tests.lab.world.model import SCP_ROLE
from tests.lab.world.world import World
from tests.lab.wsman.backend import Command, ErrorSpec, PipelineRequest, TerminatingError

SCENARIOS = Path(__file__).resolve().parents[1] / "world" / "scenarios"
ADMIN = "CONTOSO\\cmadmin"


@dataclass
class Writer:
    output: list[Any] = field(default_factory=list)
    errors: list[ErrorSpec] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    verbose: list[str] = field(default_factory=list)
    stopped: bool = False

    def write_output(self, obj: Any) -> None:
        self.output.append(obj)

    def write_error(self, record: ErrorSpec) -> None:
        self.errors.append(record)

    def write_warning(self, message: str) -> None:
        self.warnings.append(message)

    def write_verbose(self, message: str) -> None:
        self.verbose.append(message)


def world_of(name: str) -> World:
    return World.from_scenario(yaml.safe_load((SCENARIOS / f"{name}.yaml").read_text()), Clock())


def run(rt: PSRuntime, name: str, *params: tuple[str | None, Any]) -> Writer:
    writer = Writer()
    rt.invoke(PipelineRequest([Command(name, parameters=list(params), end_of_statement=True)]), writer)
    return writer


def session(
    world: World,
    host: str = "cm01.contoso.com",
    user: str = ADMIN,
    auth: str = "ntlm",
    site: str = "PS1",
    root: str = "cm01.contoso.com",
) -> PSRuntime:
    rt = PSRuntime(world, world.require_host(host), user, auth)
    run(rt, "Import-Module", (None, "ConfigurationManager"))
    run(rt, "New-PSDrive", ("Name", site), ("PSProvider", "CMSite"), ("Root", root))
    run(rt, "Set-Location", ("Path", f"{site}:"))
    return rt


def fails(rt: PSRuntime, name: str, *params: tuple[str | None, Any]) -> ErrorSpec:
    with pytest.raises(TerminatingError) as info:
        run(rt, name, *params)
    return info.value.spec


def test_get_scp_shape_and_props() -> None:
    rt = session(world_of("standalone-with-scp"))
    out = run(rt, "Get-CMServiceConnectionPoint", ("SiteCode", "PS1")).output
    assert len(out) == 1
    obj = out[0]
    assert obj.PSObject.type_names[0] == "IResultObject#SMS_SCI_SysResUse"
    assert obj.RoleName == SCP_ROLE and obj.NetworkOSPath == "\\\\cm01.contoso.com"
    assert obj.NALPath == '["Display=\\\\cm01.contoso.com\\"]MSWNET:["SMS_SITE=PS1"]\\\\cm01.contoso.com\\'
    names = [p.PropertyName for p in obj.Props]
    assert "OfflineMode" in names and len(names) > 1
    assert next(p.Value for p in obj.Props if p.PropertyName == "OfflineMode") == 0


def test_add_scp_creates_site_control_then_sitecomp_installs() -> None:
    world = world_of("standalone-primary")
    rt = session(world)
    out = run(
        rt,
        "Add-CMServiceConnectionPoint",
        ("SiteSystemServerName", "scp01.contoso.com"),
        ("SiteCode", "PS1"),
        ("Mode", "Offline"),
    ).output
    assert out[0].RoleName == SCP_ROLE
    listed = run(rt, "Get-CMServiceConnectionPoint", (None, "scp01*")).output
    assert len(listed) == 1 and listed[0].Type == 8
    scp = world.require_host("scp01")
    assert scp.registry.get_key(paths.thread_key(paths.DMP_DOWNLOADER)) is None
    world.advance(61)
    assert scp.registry.data(paths.thread_key(paths.DMP_DOWNLOADER), "Current State") == "Running"
    assert world.to_json()["scp"]["effective_mode"] == "Offline"


def test_add_scp_rules() -> None:
    world = world_of("hierarchy")
    rt = session(world, "pri01.contoso.com", site="PR1", root="pri01.contoso.com")
    err = fails(rt, "Add-CMServiceConnectionPoint", ("SiteSystemServerName", "pri01.contoso.com"), ("Mode", "Online"))
    assert "top-tier" in err.message and err.fqid.endswith(
        ",Microsoft.ConfigurationManagement.PowerShell.Cmdlets.HS.AddServiceConnectionPoint"
    )
    rt = session(world, "cas01.contoso.com", site="CAS", root="cas01.contoso.com")
    err = fails(rt, "Add-CMServiceConnectionPoint", ("SiteSystemServerName", "cas01.contoso.com"), ("Mode", "Online"))
    assert "single instance" in err.message
    err = fails(rt, "Add-CMServiceConnectionPoint", ("SiteSystemServerName", "nosuch.contoso.com"), ("Mode", "Online"))
    assert err.category == "ObjectNotFound"
    err = fails(
        rt,
        "Add-CMServiceConnectionPoint",
        ("SiteSystemServerName", "cas01.contoso.com"),
        ("Mode", "Online"),
        ("SiteCode", "ZZZ"),
    )
    assert "ZZZ" in err.message


def test_set_scp_changes_site_control_only() -> None:
    world = world_of("standalone-with-scp")
    rt = session(world)
    out = run(
        rt, "Set-CMServiceConnectionPoint", (None, "cm01.contoso.com"), ("Mode", "Offline"), ("PassThru", None)
    ).output
    assert next(p.Value for p in out[0].Props if p.PropertyName == "OfflineMode") == 1
    state = world.to_json()["scp"]
    assert state["configured"]["mode"] == "Offline" and state["effective_mode"] == "Online"


def test_remove_scp_needs_force_in_remote_session_and_whatif_does_nothing() -> None:
    world = world_of("standalone-with-scp")
    rt = session(world)
    err = fails(rt, "Remove-CMServiceConnectionPoint", (None, "cm01.contoso.com"))
    assert err.fqid.startswith("HostFunctionNotImplemented,") and world.hierarchy.scp() is not None
    result = run(rt, "Remove-CMServiceConnectionPoint", (None, "cm01.contoso.com"), ("WhatIf", None), ("Verbose", None))
    assert any(v.startswith("What if:") for v in result.verbose) and world.hierarchy.scp() is not None
    run(rt, "Remove-CMServiceConnectionPoint", (None, "cm01.contoso.com"), ("Force", None))
    assert world.hierarchy.scp() is None
    assert run(rt, "Get-CMServiceConnectionPoint").output == []


def test_site_system_server_lifecycle() -> None:
    world = world_of("standalone-primary")
    rt = session(world)
    new = run(
        rt,
        "New-CMSiteSystemServer",
        (None, "web01.contoso.com"),
        ("EnableProxy", True),
        ("ProxyServerName", "proxy.contoso.com"),
        ("ProxyServerPort", 8080),
    ).output[0]
    proxy = {p.PropertyName: (p.Value, p.Value1) for p in new.Props}
    assert proxy["ProxyName"][1] == "proxy.contoso.com" and proxy["ProxyServerPort"][0] == 8080
    assert len(run(rt, "Get-CMSiteSystemServer", (None, "web01*")).output) == 1
    run(rt, "Add-CMServiceConnectionPoint", (None, "web01.contoso.com"), ("Mode", "Online"))
    err = fails(rt, "Remove-CMSiteSystemServer", ("SiteSystemServerName", "web01.contoso.com"), ("Force", None))
    assert "other site system roles" in err.message
    run(rt, "Remove-CMSiteRole", ("RoleName", SCP_ROLE), ("SiteSystemServerName", "web01.contoso.com"), ("Force", None))
    run(rt, "Remove-CMSiteSystemServer", ("SiteSystemServerName", "web01.contoso.com"), ("Force", None))
    assert run(rt, "Get-CMSiteSystemServer", (None, "web01*")).output == []
    roles = {o.RoleName for o in run(rt, "Get-CMSiteRole", ("SiteSystemServerName", "cm01.contoso.com")).output}
    assert {"SMS Site Server", "SMS Provider", "SMS Site System"} <= roles


def test_info_cmdlets() -> None:
    world = world_of("standalone-primary")
    rt = session(world)
    site = run(rt, "Get-CMSite").output[0]
    assert (site.SiteCode, site.Type, site.ReportingSiteCode) == ("PS1", 2, "")
    setting = run(rt, "Get-CMHierarchySetting").output[0]
    assert next(p.Value for p in setting.Props if p.PropertyName == "TelemetryLevel") == 2
    run(rt, "Set-CMHierarchySetting", ("DiagnosticLevel", "Full"))
    assert world.hierarchy.settings.telemetry_level == 3
    app = run(rt, "Get-CMAADApplication").output[0]
    assert abs((app.SecretKeyExpiry - world.clock.start).days - 119) <= 1  # secret_expiry_days: 119
    assert run(rt, "Get-CMAccount", (None, "CONTOSO\\svc-cmproxy")).output[0].UserName == "CONTOSO\\svc-cmproxy"
    upd = run(rt, "Get-CMSiteUpdate")
    assert upd.warnings and upd.output[0].State == 327682
    assert not run(rt, "Get-CMSiteUpdate", ("Fast", None)).warnings
    assert run(rt, "Get-CMSiteComponent", ("ComponentName", "SMS_SITE_COMPONENT_MANAGER")).output


def test_status_messages_and_update_check() -> None:
    world = world_of("standalone-with-scp")
    cm01 = world.require_host("cm01")
    cm01.network.proxies.clear()
    rt = session(world)
    run(rt, "Invoke-CMSiteUpdateCheck")
    world.advance(10)
    msgs = run(
        rt,
        "Get-CMComponentStatusMessage",
        ("StartTime", datetime(2026, 1, 1, tzinfo=timezone.utc)),
        ("ComponentName", "SMS_SERVICE_CONNECTOR"),
    ).output
    assert [m.MessageID for m in msgs] == [11488]


def test_site_drive_rules() -> None:
    world = world_of("hierarchy")
    rt = PSRuntime(world, world.require_host("scp01.contoso.com"), ADMIN, "ntlm")
    run(rt, "Import-Module", (None, "ConfigurationManager"))  # no console on scp01
    assert rt.state.imported_modules == {}
    rt = PSRuntime(world, world.require_host("pri01.contoso.com"), ADMIN, "ntlm")
    run(rt, "Import-Module", (None, "ConfigurationManager"))
    err = fails(rt, "New-PSDrive", ("Name", "CAS"), ("PSProvider", "CMSite"), ("Root", "cas01.contoso.com"))
    assert err.category == "PermissionDenied"  # double hop without delegation
    err = fails(rt, "New-PSDrive", ("Name", "XYZ"), ("PSProvider", "CMSite"), ("Root", "pri01.contoso.com"))
    assert "XYZ" in err.message
    # Kerberos without a forwarded ticket does not delegate either; a logon that delegated does
    rt = PSRuntime(world, world.require_host("pri01.contoso.com"), ADMIN, "kerberos")
    run(rt, "Import-Module", (None, "ConfigurationManager"))
    err = fails(rt, "New-PSDrive", ("Name", "CAS"), ("PSProvider", "CMSite"), ("Root", "cas01.contoso.com"))
    assert err.category == "PermissionDenied"
    rt = PSRuntime(world, world.require_host("pri01.contoso.com"), ADMIN, "kerberos", delegated=True)
    run(rt, "Import-Module", (None, "ConfigurationManager"))
    run(rt, "New-PSDrive", ("Name", "CAS"), ("PSProvider", "CMSite"), ("Root", "cas01.contoso.com"))
    assert "CAS" in rt.state.drives


def test_non_admin_cannot_connect() -> None:
    world = world_of("standalone-primary")
    rt = PSRuntime(world, world.require_host("cm01.contoso.com"), "CONTOSO\\helpdesk", "ntlm")
    run(rt, "Import-Module", (None, "ConfigurationManager"))
    err = fails(rt, "New-PSDrive", ("Name", "PS1"), ("PSProvider", "CMSite"), ("Root", "cm01.contoso.com"))
    assert err.exception_type == "System.UnauthorizedAccessException"


def _checked_world(edit: Any = None) -> tuple[World, PSRuntime, Any]:
    """standalone-with-scp (online SCP on cm01, through the proxy) with one update offered by the service; `edit`
    changes cm01 before the check; returns the world, a runtime and cm01's dmpdownloader.log."""
    data = yaml.safe_load((SCENARIOS / "standalone-with-scp.yaml").read_text())
    data["service_updates"] = [
        {
            "name": "Configuration Manager 2603",
            "guid": "0a1b2c3d-0000-4000-8000-000000002603",
            "version": "5.00.9150.1000",
            "released_after": 45,
        }
    ]
    world = World.from_scenario(data, Clock())
    cm01 = world.require_host("cm01")
    world.advance(60)  # the first cycle after the thread's start ran before the release (45 s)
    if edit is not None:
        edit(world, cm01)
    log = world.log(cm01, "dmpdownloader.log", paths.DMP_DOWNLOADER)
    return world, session(world), log


def _lines(log: Any) -> list[str]:
    return str(log.files.read(log.path) or "").splitlines() if log.files.exists(log.path) else []


def _new_lines(log: Any, before: int) -> list[str]:
    return _lines(log)[before:]


def test_update_check_syncs_and_the_offered_update_downloads() -> None:
    world, rt, log = _checked_world()
    before = len(_lines(log))
    known = [u.name for u in world.hierarchy.updates]
    run(rt, "Invoke-CMSiteUpdateCheck")
    world.advance(2)
    assert _new_lines(log, before) == [], "the cycle runs a few seconds after the trigger, not at once"
    world.advance(5)
    lines = _new_lines(log, before)
    assert any("Successfully Dropped the state message 4" in line for line in lines)
    assert any("state message: 6 for package 0a1b2c3d-0000-4000-8000-000000002603" in line for line in lines)
    assert not any("ERROR" in line for line in lines)
    states = {u.name: u.state for u in world.hierarchy.updates}
    assert [n for n in states if n not in known] == ["Configuration Manager 2603"]
    assert states["Configuration Manager 2603"] == 327682  # available
    world.advance(15)
    assert run(rt, "Get-CMSiteUpdate", ("Fast", None), ("Name", "*2603")).output[0].State == 262145  # downloading
    world.advance(60)
    assert run(rt, "Get-CMSiteUpdate", ("Fast", None), ("Name", "*2603")).output[0].State == 262146  # downloaded
    run(rt, "Invoke-CMSiteUpdateCheck")
    world.advance(10)
    assert len(world.hierarchy.updates) == len(known) + 1, "a second sync adds nothing the site has"


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("blocked", "Unable to connect to the remote server"),
        ("proxy_refuses", "Unable to connect to the remote server"),
        ("tls12_off", "The underlying connection was closed"),
    ],
)
def test_update_check_failures_log_an_error_and_list_nothing_new(case: str, expected: str) -> None:
    def edit(world: World, cm01: Any) -> None:
        if case == "blocked":
            cm01.network.blocked_ports.append("go.microsoft.com:443")
        elif case == "proxy_refuses":
            cm01.network.proxies["proxy.contoso.com:8080"] = ["*.contoso.com"]
        else:
            cm01.registry.set_value(paths.DOTNET_KEY, "SchUseStrongCrypto", 0, "DWord")

    world, rt, log = _checked_world(edit)
    before = len(_lines(log))
    count = len(world.hierarchy.updates)
    run(rt, "Invoke-CMSiteUpdateCheck")
    world.advance(10)
    lines = _new_lines(log, before)
    assert any(line.startswith("ERROR: Failed to download the manifest") and expected in line for line in lines)
    assert not any("Successfully Dropped the state message 4" in line for line in lines)
    assert len(world.hierarchy.updates) == count


def test_update_check_of_an_offline_scp_logs_nothing() -> None:
    def edit(world: World, cm01: Any) -> None:
        role = world.hierarchy.scp()
        prop = role.prop("OfflineMode") if role else None
        assert prop is not None
        prop.value = 1
        world.dmp.state(cm01).effective_mode = "Offline"

    world, rt, log = _checked_world(edit)
    before = len(_lines(log))
    run(rt, "Invoke-CMSiteUpdateCheck")
    world.advance(10)
    assert _new_lines(log, before) == []
    assert world.dmp.state(world.require_host("cm01")).last_result == "offline"
