"""The lab's real Kerberos (tests/lab/kdc.py): an MIT KDC on loopback, the acceptor's keytab, and the library's
Session logging on with auth kerberos and negotiate, asserted on the server side by the mechanism of each logon."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.configmgr.provider import SiteProvider
from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.errors import HostUnreachable
from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.options import ConnectionOptions
from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.session import Session
from tests.lab.kdc import KdcError, KerberosRealms
from tests.lab.lab import Lab
from tests.lab.wsman import encryption

CM01 = "cm01.contoso.com"
SCP01 = "scp01.contoso.com"


@pytest.fixture(scope="module")
def lab() -> Iterator[Lab]:
    with Lab("standalone-primary", auth="kerberos") as running:
        yield running


def _options(lab: Lab, fqdn: str, **overrides: Any) -> ConnectionOptions:
    return ConnectionOptions.from_host_vars(lab.host_vars(fqdn), overrides=overrides or None, inventory_hostname=fqdn)


def _read_sites(lab: Lab, fqdn: str = CM01, **overrides: Any) -> None:
    with Session(_options(lab, fqdn, **overrides)) as session:
        state = SiteProvider(session, site_code="PS1").read_state(include=("sites", "scp"))
    top = state.hierarchy.top_tier
    assert top is not None and top.site_code == "PS1"


def _klist_keytab(lab: Lab) -> str:
    assert lab.kdc is not None
    proc = subprocess.run(
        ["klist", "-k", str(lab.kdc.keytab)],
        capture_output=True,
        text=True,
        check=True,
        env=dict(os.environ, **lab.kerberos_env()),
    )
    return proc.stdout


def test_kdc_serves_the_scenario_realm_on_loopback_with_every_spn(lab: Lab) -> None:
    kdc = lab.kdc
    assert kdc is not None and kdc.running and kdc.realm == "CONTOSO.COM"
    assert Path(os.environ["KRB5_CONFIG"]) == kdc.krb5_conf and not str(kdc.krb5_conf).startswith("/etc")
    conf = kdc.krb5_conf.read_text(encoding="utf-8")
    assert f"kdc = 127.0.0.1:{kdc.port}" in conf
    assert "dns_canonicalize_hostname = false" in conf and "rdns = false" in conf
    keytab = _klist_keytab(lab)
    for fqdn in (CM01, SCP01):
        for service in ("HTTP", "host"):
            assert f"{service}/{fqdn}@CONTOSO.COM" in keytab
    assert set(kdc.users) == {"cmadmin", "helpdesk"}
    # A real KDC: kinit with the user's password gets a TGT from it, into a cache of this test's own.
    cache = kdc.directory / "test.ccache"
    env = dict(os.environ, **lab.kerberos_env(), KRB5CCNAME=f"FILE:{cache}")
    subprocess.run(
        ["kinit", "cmadmin@CONTOSO.COM"],
        input="P@ssw0rd!\n",
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    )
    tickets = subprocess.run(["klist"], env=env, capture_output=True, text=True, check=True).stdout
    assert "krbtgt/CONTOSO.COM@CONTOSO.COM" in tickets
    assert f"kdc = 127.0.0.1:{kdc.port}" in conf and "AS_REQ" in kdc.log_path.read_text(encoding="utf-8")


def test_inventory_names_the_spn_host_and_logs_on_with_the_upn(lab: Lab) -> None:
    hv = lab.host_vars(SCP01)
    assert hv["ansible_host"] == "127.0.0.1" and hv["ansible_psrp_auth"] == "kerberos"
    assert hv["ansible_user"] == "cmadmin@CONTOSO.COM"
    assert hv["ansible_psrp_negotiate_hostname_override"] == SCP01 and hv["ansible_psrp_negotiate_service"] == "HTTP"


@pytest.mark.parametrize("auth", ["kerberos", "negotiate"])
def test_session_logs_on_with_kerberos_over_https(lab: Lab, auth: str) -> None:
    """auth kerberos, and negotiate, which must really carry Kerberos (channel binding to the TLS certificate)."""
    lab.clear_log()
    _read_sites(lab, auth=auth)
    logons = lab.logons()
    assert logons and {(logon["host"], logon["method"], logon["mechanism"], logon["user"]) for logon in logons} == {
        (CM01, "negotiate", "kerberos", "cmadmin@CONTOSO.COM")
    }
    assert {c["user"] for c in lab.calls()} == {"contoso\\cmadmin"}


@pytest.mark.parametrize("auth", ["kerberos", "negotiate"])
def test_session_logs_on_with_kerberos_over_http(auth: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Over HTTP the library's default message encryption seals every message with the Kerberos context."""
    unsealed_by: list[str] = []
    original = encryption.unwrap

    def unwrap(context: Any, body: bytes) -> bytes:
        unsealed_by.append(str(context.negotiated_protocol))
        return original(context, body)

    monkeypatch.setattr(encryption, "unwrap", unwrap)
    with Lab("standalone-primary", auth=auth, https=False, kerberos=True) as plain:
        assert _options(plain, CM01).effective_protocol == "http"
        _read_sites(plain)
        assert unsealed_by and set(unsealed_by) == {"kerberos"}
        logons = plain.logons()
        assert logons and {logon["mechanism"] for logon in logons} == {"kerberos"}
        assert {c["user"] for c in plain.calls()} == {"contoso\\cmadmin"}


def test_negotiate_without_the_kdc_is_recorded_as_ntlm() -> None:
    """The other side of the assertion above: the same inventory without Kerberos logs on with NTLM."""
    with Lab("standalone-primary", auth="negotiate") as ntlm_lab:
        assert ntlm_lab.kdc is None and ntlm_lab.kerberos_env() == {}
        _read_sites(ntlm_lab)
        assert {logon["mechanism"] for logon in ntlm_lab.logons()} == {"ntlm"}


def test_negotiate_with_a_netbios_name_falls_back_to_ntlm_and_the_record_says_so(lab: Lab) -> None:
    """pyspnego asks the KDC for CONTOSO\\cmadmin@CONTOSO.COM, which does not exist, and Negotiate goes on with NTLM:
    the logon succeeds, so only the server-side mechanism tells it was not Kerberos."""
    lab.clear_log()
    with Session(_options(lab, CM01, auth="negotiate", username="CONTOSO\\cmadmin")) as session:
        session.open()
    assert [(logon["user"], logon["mechanism"]) for logon in lab.logons()] == [("CONTOSO\\cmadmin", "ntlm")]


def test_default_service_host_spn_works_too(lab: Lab) -> None:
    """The library's default negotiate_service is host (ansible-core 2.21's): the keytab has host/ as well."""
    lab.clear_log()
    hv = {k: v for k, v in lab.host_vars(SCP01).items() if k != "ansible_psrp_negotiate_service"}
    options = ConnectionOptions.from_host_vars(hv, inventory_hostname=SCP01)
    assert options.negotiate_service == "host"
    with Session(options) as session:
        session.open()
    assert [(logon["host"], logon["mechanism"]) for logon in lab.logons()] == [(SCP01, "kerberos")]


def test_wrong_password_is_refused_by_the_kdc_with_a_clear_error(lab: Lab) -> None:
    lab.clear_log()
    with pytest.raises(HostUnreachable) as info:
        _read_sites(lab, password="Not-the-password1")
    message = str(info.value)
    assert "authentication failed for the configured user" in message and "Preauthentication failed" in message
    assert "the KDC refused the password: check ansible_password" in message
    assert "Not-the-password1" not in message and "P@ssw0rd!" not in message
    assert lab.logons() == [] and lab.calls() == []
    assert "PREAUTH_FAILED" in lab.kdc.log_path.read_text(encoding="utf-8")  # type: ignore[union-attr]


def test_negotiate_with_a_wrong_password_is_refused(lab: Lab) -> None:
    lab.clear_log()
    with pytest.raises(HostUnreachable) as info:
        _read_sites(lab, auth="negotiate", password="Not-the-password1")
    assert "authentication failed for the configured user" in str(info.value)
    assert "Not-the-password1" not in str(info.value)
    assert lab.logons() == [] and lab.calls() == []


def test_an_spn_the_kdc_does_not_know_is_refused(lab: Lab) -> None:
    lab.clear_log()
    with pytest.raises(HostUnreachable) as info:
        _read_sites(lab, negotiate_hostname_override="nosuch.contoso.com")
    assert "HTTP/nosuch.contoso.com@CONTOSO.COM not found in Kerberos database" in str(info.value)
    assert "no such service principal (SPN): set ansible_psrp_negotiate_hostname_override" in str(info.value)
    assert lab.logons() == []


def test_a_user_the_kdc_does_not_know_is_refused(lab: Lab) -> None:
    lab.clear_log()
    with pytest.raises(HostUnreachable) as info:
        _read_sites(lab, username="nobody@CONTOSO.COM")
    assert "'nobody@CONTOSO.COM' not found in Kerberos database" in str(info.value)
    assert "the KDC knows no such user: set ansible_user to the user's UPN" in str(info.value)
    assert lab.logons() == []


def test_an_expired_password_is_refused_by_the_kdc_with_what_to_change(lab: Lab) -> None:
    assert lab.kdc is not None
    lab.clear_log()
    lab.kdc.expire_password("cmadmin")
    try:
        with pytest.raises(HostUnreachable) as info:
            _read_sites(lab)
        with pytest.raises(HostUnreachable) as wrong:
            _read_sites(lab, password="Not-the-password1")  # MIT's KDC checks the expiry first (docs/lab.md)
    finally:
        lab.kdc.expire_password("cmadmin", expired=False)
    message = str(info.value)
    assert "authentication failed for the configured user (Password has expired" in message
    assert "the user's password has expired: change it (in Active Directory) and set ansible_password" in message
    assert "P@ssw0rd!" not in message
    assert "(Password has expired" in str(wrong.value) and "Not-the-password1" not in str(wrong.value)
    assert lab.logons() == [] and lab.calls() == []
    assert "CLIENT KEY EXPIRED: cmadmin@CONTOSO.COM" in lab.kdc.log_path.read_text(encoding="utf-8")
    _read_sites(lab)  # the same password logs on again once it no longer expires


def test_a_kdc_clock_an_hour_ahead_is_a_clock_skew_with_what_to_synchronise(
    lab: Lab, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The KDC runs under libfaketime an hour ahead; the client sends its own time (kdc_timesync off), so the KDC's
    pre-authentication check sees the skew. MIT's default client makes up for it: kinit gets a ticket."""
    kdc = lab.kdc
    assert kdc is not None
    lab.clear_log()
    kdc.restart(clock_offset=3600)
    try:
        kinit = subprocess.run(
            ["kinit", "cmadmin@CONTOSO.COM"],
            input="P@ssw0rd!\n",
            env=dict(os.environ, **lab.kerberos_env(), KRB5CCNAME=f"FILE:{kdc.directory / 'skew.ccache'}"),
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
        assert kinit.returncode == 0, kinit.stderr
        monkeypatch.setenv("KRB5_CONFIG", kdc.client_config_without_timesync())
        with pytest.raises(HostUnreachable) as info:
            _read_sites(lab)
    finally:
        kdc.restart()
        monkeypatch.undo()
    message = str(info.value)
    assert "authentication failed for the configured user (Clock skew too great" in message
    assert "the controller's clock and the domain's (the KDC's) differ by more than Kerberos allows" in message
    assert "synchronise the controller with the domain's time source (NTP)" in message
    assert "P@ssw0rd!" not in message
    assert lab.logons() == [] and lab.calls() == []
    assert "verify failure: Clock skew too great" in kdc.log_path.read_text(encoding="utf-8")
    _read_sites(lab)  # the same client logs on once the KDC is back on the real clock


def test_a_second_realm_in_one_process_is_refused_clearly(lab: Lab) -> None:
    with pytest.raises(KdcError, match="one Kerberos realm per process: CONTOSO.COM is running, FABRIKAM.COM"):
        KerberosRealms.acquire("fabrikam.com", ["fabrikam.com"], {}, [])
    assert lab.kdc is not None and lab.kdc.running
