"""A provider call that never returns ends within the task's own `timeout:`, with an error naming the call (not
Ansible's bare timeout), and the task reports no change."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.integration.runner import output, recap, run_playbook
from tests.lab.lab import Lab

pytestmark = pytest.mark.timeout(300)

PLAY = """---
- name: A hung read
  hosts: cm01.contoso.com
  gather_facts: false
  tasks:
    - name: Read the SCP while the provider hangs
      configmgr.scp.service_connection_point_info:
      timeout: 25
      register: hung
      ignore_errors: true

    - name: The library's deadline ended it, naming the call
      ansible.builtin.assert:
        that:
          - hung is failed
          - "'no answer within' in hung.msg or 'no progress' in hung.msg"
          - "'read the hierarchy' in hung.msg"
          - "'timed out' not in hung.msg"
"""


def test_a_hung_call_ends_within_the_task_timeout(tmp_path: Path) -> None:
    with Lab("standalone-with-scp", scale=120) as lab:
        lab.add_fault("hang", host="cm01.contoso.com", cmdlet="Get-CMSite")
        proc = run_playbook(lab, tmp_path, PLAY)
        assert proc.returncode == 0, output(proc)
        assert recap(proc)["cm01.contoso.com"]["failed"] == 0, output(proc)
