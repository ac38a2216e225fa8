"""The role configmgr.scp.scp run for real against the lab: removal (scp_state: absent) works, in check mode too, and a
second run changes nothing; a fresh install does not restart SMS_DMP_DOWNLOADER, a mode change does (and the handler's
configmgr.scp.component records the start on the SCP host, where service_connection_point_info reads it, not as a
fact). Bad role variables are refused before any module runs: tests/integration/targets/input_errors."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from tests.integration.runner import assert_no_secret, assert_ok, mutating, output, recap, run_playbook
from tests.lab.lab import Lab

pytestmark = pytest.mark.timeout(300)

ROLE_ABSENT = """---
- name: Remove the service connection point with the role
  hosts: top_tier_site_server
  gather_facts: false
  tasks:
    - name: The role with scp_state absent
      ansible.builtin.import_role:
        name: configmgr.scp.scp
      vars:
        scp_state: absent
"""
ROLE_PRESENT = """---
- name: The SCP on scp01 with the role
  hosts: top_tier_site_server
  gather_facts: false
  roles:
    - role: configmgr.scp.scp
      vars:
        scp_server: scp01.contoso.com
        scp_mode: "{{ mode }}"
  post_tasks:
    - name: Read the SCP, as another job would
      configmgr.scp.service_connection_point_info:
      register: role_info

    - name: Show the start it tied the log to
      ansible.builtin.debug:
        msg: "thread_started_at={{ role_info.scp.effective_mode_evidence.thread_started_at | default('none', true) }}"

    - name: No thread-start fact
      ansible.builtin.assert:
        that: configmgr_scp_thread_starts is not defined
"""
HANDLER = "RUNNING HANDLER [configmgr.scp.scp : Restart SMS_DMP_DOWNLOADER]"
STATE_KEY = "HKLM:\\SOFTWARE\\configmgr.scp"
RECORD = "ThreadStarted_SMS_DMP_DOWNLOADER"


def handler_section(proc) -> str | None:
    """What ansible-playbook printed for the handler (up to the next task or the recap), None when it was not notified."""
    if HANDLER not in proc.stdout:
        return None
    return re.split(r"\n(?:TASK|PLAY RECAP|RUNNING HANDLER) ", proc.stdout.split(HANDLER, 1)[1], maxsplit=1)[0]


def skipped(proc) -> bool:
    """The handler was notified (its notifier changed) and skipped itself: no restart was required."""
    section = handler_section(proc)
    return section is not None and "skipping: [cm01.contoso.com]" in section and "changed:" not in section


def restarts(lab: Lab, start: int = 0) -> list[Any]:
    """What configmgr.scp.component writes to restart a thread (Requested Operation) or the service, on any host."""
    return [
        (c["host"], c["cmdlet"], c["parameters"])
        for c in lab.calls()[start:]
        if c["cmdlet"] == "Restart-Service"
        or (c["cmdlet"] == "Set-ItemProperty" and "Requested Operation" in str(c["parameters"]))
    ]


def recorded_start(lab: Lab) -> str | None:
    with lab.world.lock:
        found = lab.world.hosts["scp01.contoso.com"].registry.get_value(STATE_KEY, RECORD)
    return None if found is None else found[0]


def started_at_shown(proc) -> str:
    match = re.search(r"thread_started_at=(\S+?)\"", proc.stdout)
    assert match, output(proc)
    return match.group(1)


def test_role_install_restarts_nothing_and_a_mode_change_restarts_the_downloader(tmp_path: Path) -> None:
    with Lab("standalone-primary", scale=120) as lab:
        installed = run_playbook(lab, tmp_path, ROLE_PRESENT, "-e", "mode=online")
        assert_ok(installed, changed=1)
        # notified by the changed install, the handler skips itself: a fresh thread starts in its mode
        assert skipped(installed), output(installed)
        assert restarts(lab) == [], "a fresh install restarts nothing"
        assert recorded_start(lab) is None and started_at_shown(installed) == "none"
        scp = lab.state()["scp"]
        assert scp["configured"]["mode"] == "Online" and scp["thread_state"] == "Running"

        start = len(lab.calls())
        switched = run_playbook(lab, tmp_path, ROLE_PRESENT, "-e", "mode=offline")
        assert_ok(switched, changed=2)  # the SCP task and its handler
        assert "changed: [cm01.contoso.com]" in (handler_section(switched) or ""), output(switched)
        assert [host for host, _cmdlet, _params in restarts(lab, start)] == ["scp01.contoso.com"] * 2, (
            "the handler stopped and started the thread through its registry values"
        )
        scp = lab.state()["scp"]
        assert scp["configured"]["mode"] == "Offline" and scp["effective_mode"] == "Offline"
        # the start is recorded on the SCP host (ISO 8601, UTC) and read back from there by the info task
        record = recorded_start(lab)
        assert record is not None and datetime.fromisoformat(record).utcoffset().total_seconds() == 0, record
        assert started_at_shown(switched) == record

        start = len(lab.calls())
        again = run_playbook(lab, tmp_path, ROLE_PRESENT, "-e", "mode=offline")
        assert_ok(again, changed=0)
        assert handler_section(again) is None, "nothing changed, nothing notified"
        assert mutating(lab.calls()[start:]) == [], output(again)
        assert started_at_shown(again) == record, "a later job reads the same record"
        assert_no_secret(lab, installed, switched, again)


def test_role_absent_removes_the_scp_once_then_changes_nothing(tmp_path: Path) -> None:
    with Lab("standalone-with-scp", scale=120) as lab:
        before = lab.state()["scp"]["configured"]
        assert before is not None and before["server"] == "cm01.contoso.com"

        check = run_playbook(lab, tmp_path, ROLE_ABSENT, "--check")
        assert_ok(check, changed=1)
        assert mutating(lab.calls()) == [], "check mode changes nothing"
        assert lab.state()["scp"]["configured"] == before

        removed = run_playbook(lab, tmp_path, ROLE_ABSENT)
        assert_ok(removed, changed=1)
        # notified by the changed removal, the handler skips itself: nothing is left to restart
        assert skipped(removed), output(removed)
        assert restarts(lab) == [], "a removal restarts nothing"
        state = lab.state()["scp"]
        assert state["configured"] is None and state["installed_on"] == []

        start = len(lab.calls())
        again = run_playbook(lab, tmp_path, ROLE_ABSENT)
        assert_ok(again, changed=0)
        again_check = run_playbook(lab, tmp_path, ROLE_ABSENT, "--check")
        assert_ok(again_check, changed=0)
        assert mutating(lab.calls()[start:]) == [], output(again)
        assert recap(again)["cm01.contoso.com"]["failed"] == 0
        assert_no_secret(lab, check, removed, again, again_check)
