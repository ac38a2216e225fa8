"""The process's KDCs (tests/lab/kdc.py KerberosRealms): labs of one realm share one KDC, counted; the last to stop
ends it. Its own module: no other lab of the realm may be running while it counts."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from pypsrp.powershell import PowerShell, RunspacePool
from pypsrp.wsman import WSMan

from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.configmgr.provider import SiteProvider
from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.errors import HostUnreachable
from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.options import ConnectionOptions
from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.session import Session
from tests.lab.lab import Lab

ROOT = Path(__file__).resolve().parents[3]
CM01 = "cm01.contoso.com"


def _read_sites(lab: Lab, fqdn: str, site_code: str) -> None:
    options = ConnectionOptions.from_host_vars(lab.host_vars(fqdn), inventory_hostname=fqdn)
    with Session(options) as session:
        state = SiteProvider(session, site_code=site_code).read_state(include=("sites",))
    assert state.hierarchy.top_tier is not None
    assert {logon["mechanism"] for logon in lab.logons()} == {"kerberos"}


def test_labs_share_the_realm_and_the_last_one_stops_it() -> None:
    with Lab("standalone-primary", auth="negotiate", kerberos=True) as first:
        with Lab("hierarchy", auth="kerberos") as second:
            assert first.kdc is second.kdc and first.kdc is not None
            kdc = first.kdc
            _read_sites(second, "cas01.contoso.com", "CAS")
        assert kdc.running and os.environ["KRB5_CONFIG"] == str(kdc.krb5_conf)
        _read_sites(first, "cm01.contoso.com", "PS1")
    assert not kdc.running and not kdc.directory.exists()
    assert os.environ.get("KRB5_CONFIG") != str(kdc.krb5_conf)


def test_a_kdc_that_does_not_answer_is_named_in_the_error() -> None:
    with Lab("standalone-primary", auth="kerberos") as lab:
        assert lab.kdc is not None
        lab.kdc.stop()
        options = ConnectionOptions.from_host_vars(lab.host_vars(CM01), inventory_hostname=CM01)
        with pytest.raises(HostUnreachable) as info:
            with Session(options) as session:
                session.open()
        assert "Cannot contact any KDC for realm 'CONTOSO.COM'" in str(info.value)
        assert "no KDC answered for the user's realm: check the realm's kdc entries in krb5.conf" in str(info.value)
        assert lab.logons() == []


def test_serve_with_kerberos_prints_the_krb5_conf_a_client_needs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    inventory = tmp_path / "inventory.yml"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.lab",
            "serve",
            "--scenario",
            "standalone-primary",
            "--auth",
            "negotiate",
            "--kerberos",
            "--inventory",
            str(inventory),
        ],
        cwd=str(ROOT),
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = json.loads(proc.stdout.readline())
        krb5_conf = Path(line["krb5_config"])
        assert "default_realm = CONTOSO.COM" in krb5_conf.read_text(encoding="utf-8")
        hv = yaml.safe_load(inventory.read_text(encoding="utf-8"))["all"]["hosts"][CM01]
        monkeypatch.setenv("KRB5_CONFIG", str(krb5_conf))  # what a user of `serve` exports (docs/lab.md)
        conn = WSMan(
            "127.0.0.1",
            port=hv["ansible_port"],
            username=hv["ansible_user"],
            password=hv["ansible_password"],
            auth=hv["ansible_psrp_auth"],
            cert_validation=hv["ansible_psrp_ca_cert"],
            negotiate_hostname_override=hv["ansible_psrp_negotiate_hostname_override"],
            negotiate_service=hv["ansible_psrp_negotiate_service"],
        )
        with RunspacePool(conn) as pool:
            ps = PowerShell(pool)
            ps.add_cmdlet("Get-Service").add_parameter("Name", "WinRM")
            ps.invoke()
            assert not ps.had_errors
        # The serve process's KDC issued the service ticket for the host's SPN.
        kdc_log = (krb5_conf.parent / "kdc.log").read_text(encoding="utf-8")
        assert f"cmadmin@CONTOSO.COM for HTTP/{CM01}@CONTOSO.COM" in kdc_log
    finally:
        proc.terminate()
        proc.wait(timeout=20)
    assert proc.returncode == 0 and not krb5_conf.parent.exists()
