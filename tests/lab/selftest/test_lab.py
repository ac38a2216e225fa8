"""The whole lab through an unmodified pypsrp client: transport + runtime + world + control API + serve CLI."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import urllib.request
from pathlib import Path

import pytest
import yaml
from pypsrp.powershell import PowerShell, RunspacePool
from pypsrp.wsman import WSMan

from tests.lab.lab import Lab, load_scenario, scenario_names

ROOT = Path(__file__).resolve().parents[3]
THREAD_KEY = "HKLM:\\SOFTWARE\\Microsoft\\SMS\\Components\\SMS_EXECUTIVE\\Threads\\SMS_DMP_DOWNLOADER"


def _props(obj):
    return dict(obj.adapted_properties or {}, **(obj.extended_properties or {}))


def _cm_pipeline(pool: RunspacePool, site: str, provider: str) -> PowerShell:
    ps = PowerShell(pool)
    ps.add_cmdlet("Import-Module").add_parameter("Name", "ConfigurationManager")
    ps.add_statement()
    ps.add_cmdlet("New-PSDrive").add_parameter("Name", site).add_parameter("PSProvider", "CMSite").add_parameter(
        "Root", provider
    )
    ps.add_statement()
    ps.add_cmdlet("Set-Location").add_parameter("Path", f"{site}:")
    ps.add_statement()
    return ps


@pytest.fixture(scope="module")
def hierarchy():
    with Lab("hierarchy") as lab:
        yield lab


def test_every_shipped_scenario_loads_and_serves():
    assert {"standalone-primary", "standalone-with-scp", "hierarchy", "expansion"} <= set(scenario_names())
    for name in scenario_names():
        with Lab(name, https=False, auth="basic") as lab:
            assert set(lab.ports) == set(lab.world.hosts)
            inv = lab.inventory()
            assert set(inv["all"]["hosts"]) == set(lab.world.hosts)


def test_done_when_flow_against_the_hierarchy(hierarchy):
    """Import the module, set the site drive, read sites and the SCP, be refused an undocumented parameter."""
    with RunspacePool(WSMan(**hierarchy.connection("cas01.contoso.com"))) as pool:
        ps = _cm_pipeline(pool, "CAS", "cas01.contoso.com")
        ps.add_cmdlet("Get-CMSite")
        ps.add_statement()
        ps.add_cmdlet("Get-CMServiceConnectionPoint").add_parameter("AllSite")
        out = ps.invoke()
        assert not ps.had_errors, [str(e) for e in ps.streams.error]
        objs = [_props(o) for o in out if hasattr(o, "adapted_properties")]
        sites = {o["SiteCode"]: o for o in objs if o.get("ObjectClass") == "SMS_Site"}
        assert sites["CAS"]["Type"] == 4 and sites["PR1"]["ReportingSiteCode"] == "CAS"
        scp = [o for o in objs if o.get("RoleName") == "SMS Dmp Connector"]
        assert len(scp) == 1 and scp[0]["NetworkOSPath"].lower() == "\\\\scp01.contoso.com"
        offline = [_props(p) for p in scp[0]["Props"] if _props(p)["PropertyName"] == "OfflineMode"]
        assert offline and int(offline[0]["Value"]) == 0

        ps = PowerShell(pool)
        ps.add_cmdlet("Get-CMServiceConnectionPoint").add_parameter("Mode", "Online")
        ps.invoke()
        assert ps.had_errors
        err = ps.streams.error[0]
        assert err.fq_error.startswith("NamedParameterNotFound,")
        assert "'Mode'" in str(err)


def test_cm_cmdlets_need_the_module_and_the_site_drive(hierarchy):
    with RunspacePool(WSMan(**hierarchy.connection("cas01.contoso.com"))) as pool:
        ps = PowerShell(pool)
        ps.add_cmdlet("Get-CMSite")
        ps.invoke()
        assert ps.had_errors and ps.streams.error[0].fq_error == "CommandNotFoundException"
        ps = PowerShell(pool)
        ps.add_cmdlet("Import-Module").add_parameter("Name", "ConfigurationManager")
        ps.add_statement()
        ps.add_cmdlet("Get-CMSite")
        ps.invoke()
        assert ps.had_errors, "a CM cmdlet outside the site drive must fail"


def test_scripts_are_refused(hierarchy):
    with RunspacePool(WSMan(**hierarchy.connection("cas01.contoso.com"))) as pool:
        ps = PowerShell(pool)
        ps.add_script("Get-Date")
        ps.invoke()
        assert ps.had_errors and ps.streams.error[0].fq_error == "ScriptsRefused,Lab"


def test_add_scp_installs_later_and_thread_protocol_restarts_it():
    with Lab("standalone-primary") as lab:
        scenario = load_scenario("standalone-primary")
        site = scenario["sites"][0]
        site_code, server = site["code"], site["server"]
        spare = next(h["fqdn"] for h in scenario["hosts"] if h["fqdn"] != server)
        with RunspacePool(WSMan(**lab.connection(server))) as pool:
            ps = _cm_pipeline(pool, site_code, server)
            ps.add_cmdlet("Add-CMServiceConnectionPoint").add_parameter("SiteSystemServerName", spare).add_parameter(
                "SiteCode", site_code
            ).add_parameter("Mode", "Online")
            ps.invoke()
            assert not ps.had_errors, [str(e) for e in ps.streams.error]
        assert lab.state()["scp"]["configured"]["server"].lower() == spare.lower()
        assert not lab.state()["scp"]["installed_on"], "installation is asynchronous"
        lab.advance(180)
        assert lab.state()["scp"]["installed_on"]
        with RunspacePool(WSMan(**lab.connection(spare))) as pool:
            ps = PowerShell(pool)
            ps.add_cmdlet("Set-ItemProperty").add_parameter("Path", THREAD_KEY).add_parameter(
                "Name", "Requested Operation"
            ).add_parameter("Value", "Stop")
            ps.invoke()
            assert not ps.had_errors
            lab.advance(10)
            ps = PowerShell(pool)
            ps.add_cmdlet("Get-ItemProperty").add_parameter("Path", THREAD_KEY)
            state = _props(ps.invoke()[0])
            assert state["Current State"] == "Stopped" and state["Requested Operation"] == "None"
        calls = [c["cmdlet"] for c in lab.calls()]
        assert "Add-CMServiceConnectionPoint" in calls and "Set-ItemProperty" in calls


def test_injected_cmdlet_fault_fails_the_pipeline_once(hierarchy):
    hierarchy.add_fault("fail_cmdlet", host="cas01.contoso.com", cmdlet="Get-Date")
    with RunspacePool(WSMan(**hierarchy.connection("cas01.contoso.com"))) as pool:
        ps = PowerShell(pool)
        ps.add_cmdlet("Get-Date")
        ps.invoke()
        assert ps.had_errors
        ps = PowerShell(pool)
        ps.add_cmdlet("Get-Date")
        ps.invoke()
        assert not ps.had_errors


def test_control_api_over_http(hierarchy):
    def call(path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(hierarchy.control_url + path, data=data, method="POST" if data else "GET")
        with urllib.request.urlopen(req, timeout=10) as resp:
            return json.loads(resp.read())

    before = call("/state")["now"]
    assert call("/advance", {"seconds": 60})["ok"]
    assert call("/state")["now"] != before
    assert call("/faults", {"kind": "fail_cmdlet", "host": "cas01.contoso.com", "cmdlet": "Get-Service"})["ok"]
    assert call("/faults", {"clear": True})["ok"]
    assert isinstance(call("/calls"), list)
    assert isinstance(call("/requests"), list)


def test_twenty_concurrent_clients(hierarchy):
    errors: list[str] = []

    def client() -> None:
        try:
            with RunspacePool(WSMan(**hierarchy.connection("pri01.contoso.com"))) as pool:
                for _i in range(3):
                    ps = PowerShell(pool)
                    ps.add_cmdlet("Get-Service").add_parameter("Name", "SMS_EXECUTIVE")
                    out = ps.invoke()
                    if ps.had_errors or len(out) != 1:
                        errors.append(str(ps.streams.error))
        except Exception as exc:  # pylint: disable=broad-exception-caught
            errors.append(repr(exc))

    threads = [threading.Thread(target=client) for _i in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors


def test_serve_prints_the_ready_line_and_writes_the_inventory(tmp_path):
    inventory = tmp_path / "inventory.yml"
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.lab", "serve", "--scenario", "hierarchy", "--inventory", str(inventory)],
        cwd=str(ROOT),
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        line = json.loads(proc.stdout.readline())
        assert Path(line["inventory"]) == inventory.resolve()
        inv = yaml.safe_load(inventory.read_text())
        hv = inv["all"]["hosts"]["cas01.contoso.com"]
        for key in (
            "ansible_host",
            "ansible_port",
            "ansible_user",
            "ansible_password",
            "ansible_psrp_protocol",
            "ansible_psrp_auth",
            "ansible_psrp_ca_cert",
        ):
            assert key in hv
        with urllib.request.urlopen(line["control"] + "/state", timeout=10) as resp:
            assert "hierarchy" in json.loads(resp.read())
        conn = WSMan(
            "127.0.0.1",
            port=hv["ansible_port"],
            username=hv["ansible_user"],
            password=hv["ansible_password"],
            auth=hv["ansible_psrp_auth"],
            cert_validation=hv["ansible_psrp_ca_cert"],
        )
        with RunspacePool(conn) as pool:
            ps = PowerShell(pool)
            ps.add_cmdlet("Get-Service").add_parameter("Name", "WinRM")
            ps.invoke()
            assert not ps.had_errors
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def test_timeout_fault_holds_the_request_past_the_read_timeout():
    from pypsrp.exceptions import WinRMTransportError  # pylint: disable=import-outside-toplevel
    from requests.exceptions import RequestException  # pylint: disable=import-outside-toplevel

    with Lab("standalone-primary", https=False, auth="basic", fault_hold=4) as lab:
        server = next(iter(lab.world.hosts))
        conn = lab.connection(server)
        with RunspacePool(WSMan(read_timeout=2, operation_timeout=1, **conn)) as pool:
            lab.add_fault("timeout", host=server)
            ps = PowerShell(pool)
            ps.add_cmdlet("Get-Date")
            with pytest.raises((RequestException, WinRMTransportError)):
                ps.invoke()
        assert not lab.world.faults.pending(), "the fault fired once and is gone"
