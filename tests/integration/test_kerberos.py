"""ansible-playbook through the lab's inventory with auth kerberos and negotiate against the lab's real KDC: every
logon the lab accepted was Kerberos (asserted on the server side), and a wrong password, an expired password or a
clock skew ends the play with a clear authentication error, what to fix, and no secret in the output."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.integration.runner import assert_no_secret, assert_ok, mutating, output, recap, run_playbook
from tests.lab.lab import Lab

pytestmark = pytest.mark.timeout(300)

CM01, SCP01 = "cm01.contoso.com", "scp01.contoso.com"

PLAY = """---
- name: Read the hierarchy and check the planned SCP server, logging on with Kerberos
  hosts: top_tier_site_server
  gather_facts: false
  tasks:
    - name: Read the service connection point
      configmgr.scp.service_connection_point_info:
      register: info

    - name: Check scp01 (a second host, reached with its own SPN)
      configmgr.scp.preflight:
        server: scp01.contoso.com
        fail_on: error
      register: pre

    - name: Both ran
      ansible.builtin.assert:
        that:
          - info is not failed
          - pre is not failed
"""


@pytest.mark.parametrize("auth", ["kerberos", "negotiate"])
def test_playbook_logs_on_with_kerberos(tmp_path: Path, auth: str) -> None:
    with Lab("standalone-primary", scale=120, auth=auth, kerberos=True) as lab:
        inventory = lab.inventory()["all"]["hosts"]
        assert {h["ansible_psrp_auth"] for h in inventory.values()} == {auth}
        assert inventory[SCP01]["ansible_psrp_negotiate_hostname_override"] == SCP01
        proc = run_playbook(lab, tmp_path, PLAY)
        assert_ok(proc)
        assert_no_secret(lab, proc)
        assert mutating(lab.calls()) == []
        logons = lab.logons()
        hosts = {(logon["host"], logon["mechanism"]) for logon in logons}
        assert hosts == {(CM01, "kerberos"), (SCP01, "kerberos")}, logons
        assert {logon["user"] for logon in logons} == {"cmadmin@CONTOSO.COM"}
        assert {c["user"] for c in lab.calls()} == {"contoso\\cmadmin"}


def test_playbook_with_a_wrong_password_fails_with_a_clear_error(tmp_path: Path) -> None:
    def wrong_password(data: dict[str, Any]) -> None:
        for hvars in data["all"]["hosts"].values():
            hvars["ansible_password"] = "Not-the-password1"

    with Lab("standalone-primary", scale=120, auth="kerberos") as lab:
        proc = run_playbook(lab, tmp_path, PLAY, edit=wrong_password)
        assert proc.returncode != 0
        assert recap(proc)[CM01]["unreachable"] == 1, output(proc)
        assert "authentication failed for the configured user (Preauthentication failed" in proc.stdout, output(proc)
        assert "the KDC refused the password: check ansible_password" in proc.stdout, output(proc)
        assert "Check ansible_user/ansible_password" not in proc.stdout, "no generic reminder after a named cause"
        assert "Not-the-password1" not in proc.stdout + proc.stderr
        assert_no_secret(lab, proc)
        assert lab.logons() == [] and lab.calls() == []


def _assert_refused_with(lab: Lab, proc: subprocess.CompletedProcess, *texts: str) -> None:
    assert proc.returncode != 0
    assert recap(proc)[CM01]["unreachable"] == 1, output(proc)
    for text in texts:
        assert text in proc.stdout, output(proc)
    assert "Check ansible_user/ansible_password" not in proc.stdout, "no generic reminder after a named cause"
    assert_no_secret(lab, proc)
    assert lab.logons() == [] and lab.calls() == []


def test_playbook_with_an_expired_password_says_to_change_it(tmp_path: Path) -> None:
    with Lab("standalone-primary", scale=120, auth="kerberos") as lab:
        assert lab.kdc is not None
        lab.kdc.expire_password("cmadmin")
        proc = run_playbook(lab, tmp_path, PLAY)
        _assert_refused_with(
            lab,
            proc,
            "authentication failed for the configured user (Password has expired",
            "the user's password has expired: change it (in Active Directory) and set ansible_password",
        )


def test_playbook_with_a_clock_skew_says_to_synchronise_the_controller(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with Lab("standalone-primary", scale=120, auth="kerberos") as lab:
        assert lab.kdc is not None
        monkeypatch.setenv("KRB5_CONFIG", lab.kdc.client_config_without_timesync())  # ansible-playbook inherits it
        lab.kdc.restart(clock_offset=3600)
        proc = run_playbook(lab, tmp_path, PLAY)
        _assert_refused_with(
            lab,
            proc,
            "authentication failed for the configured user (Clock skew too great",
            "synchronise the controller with the domain's time source (NTP)",
        )
