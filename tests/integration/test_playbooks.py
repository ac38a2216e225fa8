"""The shipped playbooks and cross-cutting behaviour (delegate_to, -v progress, secrets), run for real against the lab.

One lab per test; each test runs its playbook(s) several times against the same lab (apply, then again to prove
idempotence) and checks the outcome through the lab's own view (/state, /calls), not the modules' results.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.integration.runner import assert_no_secret, assert_ok, mutating, output, playbook, recap, run_playbook
from tests.lab.lab import Lab

pytestmark = pytest.mark.timeout(300)

REFUSED_MOVE = """---
- name: Install on another server without allow_move
  hosts: top_tier_site_server
  gather_facts: false
  tasks:
    - name: Install the SCP on scp01
      configmgr.scp.service_connection_point:
        server: scp01.contoso.com
"""

DELEGATED = """---
- name: Tasks that run for localhost and connect to the delegated site server
  hosts: localhost
  connection: local
  gather_facts: false
  tasks:
    - name: Install the SCP through cm01
      configmgr.scp.service_connection_point:
        server: scp01.contoso.com
        state: "{{ scp_state }}"
      delegate_to: cm01.contoso.com
      register: delegated

    - name: Read it through cm01
      configmgr.scp.service_connection_point_info:
        thread: false
      delegate_to: cm01.contoso.com
      register: delegated_info

    - name: The delegated host did the work
      ansible.builtin.assert:
        that:
          - delegated is changed
          - delegated_info.provider == 'cm01.contoso.com'
          - delegated_info.site_code == 'PS1'

    - name: Without delegate_to the task connects to localhost, which is no Windows host
      configmgr.scp.service_connection_point_info:
        connection_timeout: 3
      ignore_unreachable: true
      register: undelegated

    - name: Unreachable, as it should be
      ansible.builtin.assert:
        that:
          - undelegated is unreachable
"""


def scp_calls(lab: Lab, start: int = 0) -> list[tuple[str, str]]:
    return [
        (c["host"], c["cmdlet"])
        for c in lab.calls()[start:]
        if c["cmdlet"].endswith("-CMServiceConnectionPoint") and not c["cmdlet"].startswith("Get-")
    ]


def test_move_playbook_moves_once_and_refuses_without_allow_move(tmp_path: Path) -> None:
    with Lab("standalone-with-scp", scale=120) as lab:
        refused = run_playbook(lab, tmp_path, REFUSED_MOVE)
        assert refused.returncode != 0 and recap(refused)["cm01.contoso.com"]["failed"] == 1, output(refused)
        assert "cm01.contoso.com" in refused.stdout.split("TASK [Install the SCP on scp01]")[1]
        assert "allow_move" in refused.stdout
        assert mutating(lab.calls()) == [], "the refusal came before any change"
        assert lab.state()["scp"]["configured"]["server"] == "cm01.contoso.com"

        moved = run_playbook(lab, tmp_path, playbook("move.yml"), "-e", "move_to=scp01.contoso.com")
        assert_ok(moved)
        assert "Moved the SCP from cm01.contoso.com to scp01.contoso.com" in moved.stdout
        assert "configmgr.scp:" not in moved.stdout, "progress lines only at -v"
        scp = lab.state()["scp"]
        assert scp["configured"] == {"server": "scp01.contoso.com", "site_code": "PS1", "mode": "Online"}
        assert scp["installed_on"] == ["scp01.contoso.com"], "installed on the new server, uninstalled from the old one"
        assert scp["thread_state"] == "Running" and scp["effective_mode"] == "Online"
        assert scp_calls(lab) == [
            ("cm01.contoso.com", "Remove-CMServiceConnectionPoint"),
            ("cm01.contoso.com", "Add-CMServiceConnectionPoint"),
        ]

        start = len(lab.calls())
        again = run_playbook(lab, tmp_path, playbook("move.yml"), "-e", "move_to=scp01.contoso.com")
        assert_ok(again)
        assert recap(again)["cm01.contoso.com"]["changed"] == 0, output(again)
        assert "The SCP is on scp01.contoso.com; nothing to move" in again.stdout
        assert mutating(lab.calls()[start:]) == []
        assert_no_secret(lab, refused, moved, again)


def expansion_args(lab: Lab, *extra: str) -> tuple[str, ...]:
    return (
        "-e",
        "site_expansion_primary=cm01.contoso.com",
        "-e",
        "site_expansion_cas_server=cas01.contoso.com",
        *extra,
    )


def assert_expanded_with_scp_at_cas(lab: Lab, mode: str) -> None:
    state = lab.state()
    sites = state["hierarchy"]["sites"]
    assert sites["CAS"]["type"] == 4 and sites["CAS"]["mode"] == 0
    assert sites["PS1"]["reporting_site_code"] == "CAS" and sites["PS1"]["mode"] == 0
    assert state["scp"]["configured"] == {"server": "cas01.contoso.com", "site_code": "CAS", "mode": mode}
    assert state["scp"]["installed_on"] == ["cas01.contoso.com"]
    assert state["scp"]["thread_state"] == "Running"


def test_site_expansion_playbook_in_the_lab(tmp_path: Path) -> None:
    with Lab("expansion", scale=120) as lab:
        args = expansion_args(lab, "-e", f"site_expansion_lab_control_url={lab.control_url}")
        first = run_playbook(lab, tmp_path, playbook("site_expansion.yml"), *args)
        assert_ok(first)
        assert_expanded_with_scp_at_cas(lab, "Offline")  # the mode the SCP had at the primary
        assert scp_calls(lab) == [
            ("cm01.contoso.com", "Remove-CMServiceConnectionPoint"),
            ("cas01.contoso.com", "Add-CMServiceConnectionPoint"),
        ]
        assert [e["kind"] for e in lab.state()["events"] if e["kind"].startswith("expansion")] == [
            "expansion_started",
            "expansion_completed",
        ]

        start = len(lab.calls())
        again = run_playbook(lab, tmp_path, playbook("site_expansion.yml"), *args)
        assert_ok(again)
        assert recap(again)["cm01.contoso.com"]["changed"] == 0, output(again)
        assert mutating(lab.calls()[start:]) == []
        assert len([e for e in lab.state()["events"] if e["kind"] == "expansion_started"]) == 1
        assert_no_secret(lab, first, again)


def test_site_expansion_playbook_stops_for_setup_then_resumes(tmp_path: Path) -> None:
    """The real-life path: no lab variable, so the playbook stops after the removal; 'setup' (here the lab's API,
    called by the test, as an operator would run setup) expands the site; the next run installs at the CAS."""
    with Lab("expansion", scale=120) as lab:
        first = run_playbook(lab, tmp_path, playbook("site_expansion.yml"), *expansion_args(lab))
        assert_ok(first)
        assert "Run Configuration Manager setup on cas01.contoso.com" in first.stdout
        assert "it reinstalls the SCP in offline mode" in first.stdout
        state = lab.state()
        assert state["scp"]["configured"] is None and state["scp"]["installed_on"] == []
        assert "CAS" not in state["hierarchy"]["sites"]

        lab.expand("CAS", "cas01.contoso.com")
        lab.advance(3600)
        # no mode given: the mode the removal recorded on the primary's SMS Provider host (it was offline)
        resumed = run_playbook(lab, tmp_path, playbook("site_expansion.yml"), *expansion_args(lab))
        assert_ok(resumed)
        assert recap(resumed)["cm01.contoso.com"]["changed"] == 1, output(resumed)
        assert_expanded_with_scp_at_cas(lab, "Offline")


def test_delegate_to_progress_at_v_and_no_secret_at_vvv(tmp_path: Path) -> None:
    with Lab("standalone-primary", scale=120) as lab:
        install = run_playbook(lab, tmp_path, DELEGATED, "-v", "-e", "scp_state=present")
        assert_ok(install)
        assert "changed: [localhost -> cm01.contoso.com(127.0.0.1)]" in install.stdout
        for line in (
            "<cm01.contoso.com> configmgr.scp: reading the hierarchy and the service connection point",
            "<cm01.contoso.com> configmgr.scp: step 1/2: add the service connection point on scp01.contoso.com",
            "<cm01.contoso.com> configmgr.scp: step 2/2: wait until SMS_DMP_DOWNLOADER runs on scp01.contoso.com",
            "<cm01.contoso.com> configmgr.scp: done in ",
        ):
            assert line in install.stdout, output(install)
        assert "configmgr.scp: connecting to" not in install.stdout, "session details only at -vvv"
        scp = lab.state()["scp"]
        assert scp["configured"] == {"server": "scp01.contoso.com", "site_code": "PS1", "mode": "Online"}
        assert scp["thread_state"] == "Running"
        assert {c["host"] for c in lab.calls()} == {"cm01.contoso.com", "scp01.contoso.com"}

        remove = run_playbook(lab, tmp_path, DELEGATED, "-vvv", "-e", "scp_state=absent")
        assert_ok(remove)
        assert "<cm01.contoso.com> configmgr.scp: connecting to cm01.contoso.com (127.0.0.1:" in remove.stdout
        assert "as CONTOSO\\cmadmin" in remove.stdout
        assert "step 1/3: record the removed service connection point (scp01.contoso.com" in remove.stdout, output(
            remove
        )
        assert "step 2/3: remove the service connection point from scp01.contoso.com" in remove.stdout, output(remove)
        assert lab.state()["scp"]["configured"] is None and lab.state()["scp"]["installed_on"] == []
        assert_no_secret(lab, install, remove)
