"""The role configmgr.scp.scp run for real against the lab: removal (scp_state: absent) works, in check mode too, and a
second run changes nothing. Bad role variables are refused before any module runs: tests/integration/targets/input_errors."""
from __future__ import annotations

from pathlib import Path

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
        assert "RUNNING HANDLER" not in removed.stdout, "a removal restarts nothing"
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
