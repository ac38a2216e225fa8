"""Real ConfigMgr topologies in the lab world: remote and multiple SMS Providers, root\\SMS, what a child primary's
provider sees, site server HA, where sitecomp.log is written, site Mode values, the clock's start, and the shape of
every shipped topology scenario."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
import yaml

import tests.lab.world.cm_cmdlets  # noqa: F401  pylint: disable=unused-import  # registers the cmdlets
from tests.lab.lab import Lab, load_scenario, scenario_names
from tests.lab.ps.runtime import PSRuntime
from tests.lab.windows.host import WindowsHost
from tests.lab.world import paths
from tests.lab.world.clock import Clock, utc_now
from tests.lab.world.model import (
    MODE_NORMAL,
    PROVIDER_ROLE,
    SCP_ROLE,
    SITE_CAS,
    SITE_PRIMARY,
    SITE_SERVER_ROLE,
    Role,
    Site,
    SiteSystemServer,
    scp_props,
)
from tests.lab.world.world import World
from tests.lab.wsman.backend import Command, ErrorSpec, PipelineRequest, TerminatingError

SCENARIOS = Path(__file__).resolve().parents[1] / "world" / "scenarios"
ADMIN = "CONTOSO\\cmadmin"
SITE_LOGS = "C:\\Program Files\\Microsoft Configuration Manager\\Logs"
SITECOMP = SITE_LOGS + "\\sitecomp.log"
NEW = [
    "remote-provider",
    "two-providers",
    "scp-on-site-server",
    "scp-remote",
    "stranded-child",
    "cas-two-primaries",
    "ha-pair",
    "remote-provider-hierarchy",
]
OLD = ["standalone-primary", "standalone-with-scp", "hierarchy", "expansion"]


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


def world_of(name: str, clock: Clock | None = None) -> World:
    return World.from_scenario(yaml.safe_load((SCENARIOS / f"{name}.yaml").read_text()), clock or Clock())


def run(rt: PSRuntime, name: str, *params: tuple[str | None, Any]) -> Writer:
    writer = Writer()
    rt.invoke(PipelineRequest([Command(name, parameters=list(params), end_of_statement=True)]), writer)
    return writer


def fails(rt: PSRuntime, name: str, *params: tuple[str | None, Any]) -> ErrorSpec:
    with pytest.raises(TerminatingError) as info:
        run(rt, name, *params)
    return info.value.spec


def runtime(world: World, host: str, auth: str = "ntlm", delegated: bool = False) -> PSRuntime:
    rt = PSRuntime(world, world.require_host(host), ADMIN, auth, delegated=delegated)
    run(rt, "Import-Module", (None, "ConfigurationManager"))
    return rt


def session(world: World, host: str, site: str, root: str, auth: str = "ntlm", delegated: bool = False) -> PSRuntime:
    rt = runtime(world, host, auth, delegated)
    run(rt, "New-PSDrive", ("Name", site), ("PSProvider", "CMSite"), ("Root", root))
    run(rt, "Set-Location", ("Path", f"{site}:"))
    assert rt.state.location and str(rt.state.location).upper().startswith(site), f"no {site}: drive via {root}"
    return rt


def provider_rows(world: World, host: str) -> list[dict[str, Any]] | None:
    """Get-CimInstance -Namespace root\\SMS -ClassName SMS_ProviderLocation on ``host``; None: invalid namespace."""
    rt = PSRuntime(world, world.require_host(host), ADMIN, "ntlm")
    out = run(rt, "Get-CimInstance", ("Namespace", "root\\SMS"), ("ClassName", "SMS_ProviderLocation"))
    if out.errors:
        assert "Invalid namespace" in out.errors[0].message
        return None
    keys = ("Machine", "NamespacePath", "ProviderForLocalSite", "SiteCode")
    return [{k: getattr(o, k) for k in keys} for o in out.output]


def machines(rows: list[dict[str, Any]] | None) -> list[str]:
    return sorted(r["Machine"] for r in rows or [])


def code(site: Site | None) -> str | None:
    return site.code if site is not None else None


def placed(role: Role | None) -> tuple[str, str] | None:
    """(fqdn, site code) of a role, None when there is none."""
    return (role.fqdn, role.site_code) if role is not None else None


def text(world: World, fqdn: str, path: str) -> str:
    files = world.require_host(fqdn).files
    return files.read(path) if files.exists(path) else ""


def role_names(world: World, site: str, role: str) -> list[str]:
    return sorted(r.fqdn for r in world.hierarchy.roles if r.site_code == site and r.role_name == role)


# -- every scenario -----------------------------------------------------------------------------------------------
def test_new_scenarios_are_shipped() -> None:
    assert set(NEW + OLD) <= set(scenario_names())


@pytest.mark.parametrize("name", NEW + OLD)
def test_scenario_builds_with_running_site_servers(name: str) -> None:
    world = world_of(name)
    state = world.to_json()
    assert set(state["hosts"]) == set(world.hosts)
    for site in world.hierarchy.sites.values():
        assert state["hierarchy"]["sites"][site.code]["providers"] == site.providers
        assert site.provider == site.providers[0]
        assert site.mode == MODE_NORMAL
        for fqdn in site.site_servers:
            assert world.require_host(fqdn).services["sms_executive"].status == "Running"
        assert "configurationmanager" in world.require_host(site.server).modules
        for fqdn in site.providers:
            assert provider_rows(world, fqdn), f"no root\\SMS on provider {fqdn}"
        assert machines(provider_rows(world, site.server)) == sorted(p.upper() for p in site.providers)


# -- root\SMS and SMS_ProviderLocation ------------------------------------------------------------------------------
def test_remote_provider_root_sms_and_drive() -> None:
    world = world_of("remote-provider")
    site = world.hierarchy.sites["PS1"]
    assert (site.server, site.provider, site.providers) == (
        "cm01.contoso.com",
        "prov01.contoso.com",
        ["prov01.contoso.com"],
    )
    on_cm01 = provider_rows(world, "cm01.contoso.com")
    assert on_cm01 == [
        {
            "Machine": "PROV01.CONTOSO.COM",
            "NamespacePath": "\\\\PROV01.CONTOSO.COM\\root\\sms\\site_PS1",
            "ProviderForLocalSite": True,
            "SiteCode": "PS1",
        }
    ]
    assert provider_rows(world, "prov01.contoso.com") == on_cm01
    assert provider_rows(world, "scp01.contoso.com") is None  # not a site server, not a provider
    # the drive's Root must be a provider: the site server alone is refused, the provider from its own host works
    err = fails(
        runtime(world, "cm01.contoso.com", "kerberos"),
        "New-PSDrive",
        ("Name", "PS1"),
        ("PSProvider", "CMSite"),
        ("Root", "cm01.contoso.com"),
    )
    assert err.category == "ConnectionError"
    err = fails(
        runtime(world, "cm01.contoso.com"),
        "New-PSDrive",
        ("Name", "PS1"),
        ("PSProvider", "CMSite"),
        ("Root", "prov01.contoso.com"),
    )
    assert err.category == "PermissionDenied"  # double hop without delegation
    # a logon that delegated credentials (CredSSP, a forwarded Kerberos ticket) makes the hop
    session(world, "cm01.contoso.com", "PS1", "prov01.contoso.com", auth="kerberos", delegated=True)
    rt = session(world, "prov01.contoso.com", "PS1", "PROV01")  # NetBIOS name as Root
    roles = run(rt, "Get-CMSiteRole", ("RoleName", PROVIDER_ROLE)).output
    assert [r.NetworkOSPath for r in roles] == ["\\\\prov01.contoso.com"] and roles[0].Type == 8
    servers = {s.NetworkOSPath for s in run(rt, "Get-CMSiteSystemServer").output}
    assert servers == {"\\\\cm01.contoso.com", "\\\\prov01.contoso.com", "\\\\scp01.contoso.com"}
    prov01 = world.require_host("prov01.contoso.com")
    assert "sms_executive" not in prov01.services and "configurationmanager" in prov01.modules
    assert code(world.site_of_host("prov01.contoso.com")) == "PS1"


def test_two_providers_each_listed_and_each_accepted_as_root() -> None:
    world = world_of("two-providers")
    site = world.hierarchy.sites["PS1"]
    assert site.providers == ["cm01.contoso.com", "prov01.contoso.com"] and site.provider == "cm01.contoso.com"
    for host in ("cm01.contoso.com", "prov01.contoso.com"):
        rows = provider_rows(world, host)
        assert rows is not None and machines(rows) == ["CM01.CONTOSO.COM", "PROV01.CONTOSO.COM"]
        assert {r["SiteCode"] for r in rows} == {"PS1"}
        assert all(r["NamespacePath"].endswith("\\root\\sms\\site_PS1") for r in rows)
    rt = session(world, "prov01.contoso.com", "PS1", "prov01.contoso.com")
    session(world, "cm01.contoso.com", "PS1", "cm01.contoso.com")
    assert role_names(world, "PS1", PROVIDER_ROLE) == ["cm01.contoso.com", "prov01.contoso.com"]
    assert len(run(rt, "Get-CMSiteRole", ("RoleName", PROVIDER_ROLE)).output) == 2


def test_remote_provider_hierarchy_cas_names_its_remote_provider() -> None:
    world = world_of("remote-provider-hierarchy")
    assert machines(provider_rows(world, "cas01.contoso.com")) == ["CASPROV01.CONTOSO.COM"]
    assert machines(provider_rows(world, "casprov01.contoso.com")) == ["CASPROV01.CONTOSO.COM"]
    assert machines(provider_rows(world, "pri01.contoso.com")) == ["PRI01.CONTOSO.COM"]
    assert code(world.hierarchy.top_site()) == "CAS" and world.hierarchy.scp() is None
    rt = session(world, "casprov01.contoso.com", "CAS", "casprov01.contoso.com")
    sites = {s.SiteCode: s for s in run(rt, "Get-CMSite").output}
    assert sites["CAS"].ServerName == "CAS01.CONTOSO.COM" and sites["PR1"].ReportingSiteCode == "CAS"
    assert world.hierarchy.server("scp01.contoso.com", "CAS") is not None


def test_root_sms_only_on_site_servers_and_providers() -> None:
    world = world_of("hierarchy")
    assert machines(provider_rows(world, "cas01.contoso.com")) == ["CAS01.CONTOSO.COM"]
    assert machines(provider_rows(world, "pri01.contoso.com")) == ["PRI01.CONTOSO.COM"]
    assert provider_rows(world, "scp01.contoso.com") is None


# -- what a child primary's provider sees ---------------------------------------------------------------------------
def test_child_primary_provider_lists_the_whole_hierarchy() -> None:
    world = world_of("cas-two-primaries")
    rt = session(world, "pri02.contoso.com", "PR2", "pri02.contoso.com")
    sites = {s.SiteCode: s for s in run(rt, "Get-CMSite").output}
    assert set(sites) == {"CAS", "PR1", "PR2"}
    assert (sites["CAS"].Type, sites["CAS"].ReportingSiteCode) == (SITE_CAS, "")
    assert sites["PR1"].ReportingSiteCode == "CAS" and sites["PR2"].ReportingSiteCode == "CAS"
    assert [s.SiteCode for s in run(rt, "Get-CMSite", ("SiteCode", "CAS")).output] == ["CAS"]
    scps = run(rt, "Get-CMServiceConnectionPoint", ("AllSite", None)).output  # site control is global data
    assert [(s.SiteCode, s.NetworkOSPath) for s in scps] == [("CAS", "\\\\scp01.contoso.com")]
    assert run(rt, "Get-CMServiceConnectionPoint").output == []  # the drive's site only


def test_status_messages_are_site_data() -> None:
    world = world_of("cas-two-primaries")
    world.require_host("scp01").network.proxies.clear()
    world.require_host("scp01").services["sms_executive"].restart()
    world.advance(60)
    start = ("StartTime", world.clock.start - timedelta(days=1))
    cas = session(world, "cas01.contoso.com", "CAS", "cas01.contoso.com")
    assert 11488 in [m.MessageID for m in run(cas, "Get-CMComponentStatusMessage", start).output]
    pr1 = session(world, "pri01.contoso.com", "PR1", "pri01.contoso.com")
    assert [m for m in run(pr1, "Get-CMComponentStatusMessage", start).output if m.SiteCode == "CAS"] == []


# -- stranded SCP at a child; where sitecomp.log is written ---------------------------------------------------------
def test_stranded_child_shape_and_sitecomp_logs_on_the_owning_site_server() -> None:
    world = world_of("stranded-child")
    hier = world.hierarchy
    scp = hier.scp()
    assert scp is not None and (scp.fqdn, scp.site_code, code(hier.top_site())) == ("scp02.contoso.com", "PR1", "CAS")
    scp02 = world.require_host("scp02")
    assert scp02.registry.data(paths.thread_key(paths.DMP_DOWNLOADER), "Current State") == "Running"
    assert hier.server("scp01.contoso.com", "CAS") is not None and scp.fqdn != "scp01.contoso.com"
    # the child's provider sees the CAS and reports the stranded role
    pr1 = session(world, "pri01.contoso.com", "PR1", "pri01.contoso.com")
    assert {s.SiteCode for s in run(pr1, "Get-CMSite").output} == {"CAS", "PR1"}
    # move it through the CAS provider: remove at PR1, add at the CAS on scp01
    cas = session(world, "cas01.contoso.com", "CAS", "cas01.contoso.com")
    run(
        cas,
        "Remove-CMServiceConnectionPoint",
        ("SiteCode", "PR1"),
        ("SiteSystemServerName", "scp02.contoso.com"),
        ("Force", None),
    )
    world.advance(61)
    assert "Deinstalling component SMS_DMP_DOWNLOADER" in text(world, "pri01.contoso.com", SITECOMP)
    assert "scp02" not in text(world, "cas01.contoso.com", SITECOMP)
    run(
        cas,
        "Add-CMServiceConnectionPoint",
        ("SiteCode", "CAS"),
        ("SiteSystemServerName", "scp01.contoso.com"),
        ("Mode", "Online"),
    )
    world.advance(61)
    cas_log = text(world, "cas01.contoso.com", SITECOMP)
    assert (
        "Synchronizing component server scp01.contoso.com" in cas_log and "Bootstrap operations completed." in cas_log
    )
    assert "scp01" not in text(world, "pri01.contoso.com", SITECOMP)
    assert world.to_json()["scp"]["installed_on"] == ["scp01.contoso.com"]


def test_install_at_a_child_site_logs_on_the_child_site_server() -> None:
    world = world_of("hierarchy")
    hier = world.hierarchy
    scp = hier.scp()
    assert scp is not None
    hier.roles.remove(scp)  # leave the CAS's SCP out of it
    world.sitecomp.installed.clear()
    hier.servers.append(SiteSystemServer("scp02.contoso.com", "PR1"))
    scp02 = world.add_host(WindowsHost("scp02.contoso.com", world.clock))
    scp02.admins.add("contoso\\pri01$")
    hier.roles.append(Role(SCP_ROLE, "scp02.contoso.com", "PR1", 8, scp_props(False)))
    world.sitecomp.request_cycle()
    world.advance(61)
    assert "Synchronizing component server scp02.contoso.com" in text(world, "pri01.contoso.com", SITECOMP)
    assert "scp02" not in text(world, "cas01.contoso.com", SITECOMP)
    assert "/siteserver:pri01.contoso.com" in text(world, "scp02.contoso.com", "C:\\SMS\\Logs\\SrvBoot.log")


def test_remote_provider_host_has_no_site_logs() -> None:
    world = world_of("remote-provider")
    hier = world.hierarchy
    hier.roles.append(Role(SCP_ROLE, "scp01.contoso.com", "PS1", 8, scp_props(False)))
    world.sitecomp.request_cycle()
    world.advance(3600)
    assert "Bootstrap operations completed." in text(world, "cm01.contoso.com", SITECOMP)
    prov01 = world.require_host("prov01.contoso.com")
    assert world.log_dir(prov01) == "C:\\SMS\\Logs"
    for folder in (SITE_LOGS, "C:\\SMS\\Logs"):
        assert not prov01.files.exists(folder)
    assert world.to_json()["hosts"]["prov01.contoso.com"]["logs"] == []


# -- site server high availability ----------------------------------------------------------------------------------
def test_ha_pair_shape() -> None:
    world = world_of("ha-pair")
    site = world.hierarchy.sites["PS1"]
    assert (site.server, site.passive_server) == ("cm01.contoso.com", "cm02.contoso.com")
    assert site.site_servers == ["cm01.contoso.com", "cm02.contoso.com"]
    assert site.providers == ["cm01.contoso.com", "cm02.contoso.com"]  # setup adds a provider on the passive
    assert role_names(world, "PS1", SITE_SERVER_ROLE) == ["cm01.contoso.com", "cm02.contoso.com"]
    assert {r.type for r in world.hierarchy.roles if r.role_name == SITE_SERVER_ROLE} == {SITE_PRIMARY}
    cm01, cm02, scp01 = (world.require_host(h) for h in ("cm01", "cm02", "scp01"))
    assert cm02.services["sms_executive"].status == "Running" and "configurationmanager" not in cm02.modules
    assert world.executive.state(cm02, "SMS_HIERARCHY_MANAGER") == "Running"
    assert "contoso\\cm02$" in cm01.admins and "contoso\\cm02$" in scp01.admins and "contoso\\cm01$" in scp01.admins
    assert world.log_dir(cm02) == SITE_LOGS and code(world.site_of_host("cm02.contoso.com")) == "PS1"
    assert machines(provider_rows(world, "cm01.contoso.com")) == ["CM01.CONTOSO.COM", "CM02.CONTOSO.COM"]
    rt = session(world, "cm01.contoso.com", "PS1", "cm01.contoso.com")
    rows = run(rt, "Get-CMSiteRole", ("AllSite", None), ("RoleName", SITE_SERVER_ROLE)).output
    assert sorted(r.NetworkOSPath for r in rows) == ["\\\\cm01.contoso.com", "\\\\cm02.contoso.com"]
    assert run(rt, "Get-CMSite").output[0].ServerName == "CM01.CONTOSO.COM"
    assert world.hierarchy.scp() is None and world.hierarchy.server("scp01.contoso.com", "PS1") is not None
    state = world.to_json()["hierarchy"]["sites"]["PS1"]
    assert state["passive_server"] == "cm02.contoso.com"


def test_passive_site_server_not_at_a_secondary_site() -> None:
    data = load_scenario("hierarchy")
    data = dict(
        data,
        sites=data["sites"]
        + [
            {
                "code": "SE1",
                "type": "secondary",
                "server": "scp01.contoso.com",
                "parent": "PR1",
                "passive_server": "cas01.contoso.com",
            }
        ],
    )
    with pytest.raises(ValueError, match="secondary"):
        World.from_scenario(data, Clock())


def test_ha_pair_inventory_groups() -> None:
    with Lab("ha-pair", https=False, auth="basic") as lab:
        children = lab.inventory()["all"]["children"]
    assert set(children["site_servers"]["hosts"]) == {"cm01.contoso.com", "cm02.contoso.com"}
    assert set(children["passive_site_servers"]["hosts"]) == {"cm02.contoso.com"}
    assert set(children["sms_providers"]["hosts"]) == {"cm01.contoso.com", "cm02.contoso.com"}
    assert set(children["site_systems"]["hosts"]) == {"scp01.contoso.com"}
    assert set(children["top_tier_site_server"]["hosts"]) == {"cm01.contoso.com"}


# -- SCP placements --------------------------------------------------------------------------------------------------
def test_scp_on_site_server_is_standalone_with_scp() -> None:
    a, b = world_of("scp-on-site-server").to_json(), world_of("standalone-with-scp").to_json()
    assert a["hierarchy"]["roles"] == b["hierarchy"]["roles"] and a["scp"]["configured"] == b["scp"]["configured"]
    assert a["scp"]["configured"] == {"server": "cm01.contoso.com", "site_code": "PS1", "mode": "Online"}


def test_scp_remote_is_offline_on_scp01() -> None:
    world = world_of("scp-remote")
    scp = world.to_json()["scp"]
    assert scp["configured"] == {"server": "scp01.contoso.com", "site_code": "PS1", "mode": "Offline"}
    assert scp["effective_mode"] == "Offline" and scp["installed_on"] == ["scp01.contoso.com"]
    trace = world.require_host("scp01").registry.data(paths.tracing_key(paths.DMP_DOWNLOADER), "TraceFilename")
    assert trace == "C:\\SMS\\Logs\\dmpdownloader.log"


def test_cas_two_primaries_shape() -> None:
    world = world_of("cas-two-primaries")
    hier = world.hierarchy
    assert {c: (s.type, s.reporting_site_code, s.server, s.provider) for c, s in hier.sites.items()} == {
        "CAS": (SITE_CAS, "", "cas01.contoso.com", "cas01.contoso.com"),
        "PR1": (SITE_PRIMARY, "CAS", "pri01.contoso.com", "pri01.contoso.com"),
        "PR2": (SITE_PRIMARY, "CAS", "pri02.contoso.com", "pri02.contoso.com"),
    }
    assert placed(hier.scp()) == ("scp01.contoso.com", "CAS")
    assert [s.code for s in hier.subtree("CAS")] == ["CAS", "PR1", "PR2"] and [s.code for s in hier.subtree("PR1")] == [
        "PR1"
    ]


# -- site Mode and the clock -----------------------------------------------------------------------------------------
def test_site_mode_only_documented_values() -> None:
    data = load_scenario("standalone-primary")
    for mode in (MODE_NORMAL, 1, 5, 7):
        site = dict(data["sites"][0], mode=mode)
        assert World.from_scenario(dict(data, sites=[site]), Clock()).hierarchy.sites["PS1"].mode == mode
    with pytest.raises(ValueError, match="documented"):
        World.from_scenario(dict(data, sites=[dict(data["sites"][0], mode=8)]), Clock())


def test_clock_starts_now_unless_the_scenario_pins_it() -> None:
    before = utc_now()
    world = world_of("standalone-primary")
    assert before <= world.clock.now() <= utc_now() + timedelta(seconds=1)
    app = world.hierarchy.aad_apps[0]
    assert app.secret_key_expiry == world.clock.start + timedelta(days=119)  # relative, stays meaningful
    data = dict(load_scenario("standalone-primary"), clock={"start": "2030-01-02T03:04:05Z"})
    pinned = World.from_scenario(data, Clock())
    assert pinned.clock.now() == datetime(2030, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
    assert pinned.hierarchy.aad_apps[0].secret_key_expiry == datetime(2030, 5, 1, 3, 4, 5, tzinfo=timezone.utc)
    with Lab(data, https=False, auth="basic") as lab:
        assert lab.world.clock.now() >= datetime(2030, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
    busy = Clock()
    busy.schedule(1, lambda: None)
    with pytest.raises(RuntimeError):
        busy.pin(datetime(2030, 1, 1, tzinfo=timezone.utc))
