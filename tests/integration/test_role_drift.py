"""The role repairs drift: a mode change made by a run that stopped before its handler (here: the module alone, no
handler) is applied by the next role run, which restarts SMS_DMP_DOWNLOADER; a third run changes nothing."""
from __future__ import annotations

from pathlib import Path

import pytest

from tests.integration.runner import assert_ok, output, recap, run_playbook
from tests.lab.lab import Lab

pytestmark = pytest.mark.timeout(300)

STOPPED_RUN = """---
- name: A run that changed the mode and stopped before the restart
  hosts: cm01.contoso.com
  gather_facts: false
  tasks:
    - name: Online, no handler
      configmgr.scp.service_connection_point:
        server: scp01.contoso.com
        mode: online
      register: changed_mode

    - name: The restart was asked for but never ran
      ansible.builtin.assert:
        that: [changed_mode is changed, changed_mode.restart_required]
"""
ROLE_RUN = """---
- name: The same wish through the role
  hosts: cm01.contoso.com
  gather_facts: false
  roles:
    - role: configmgr.scp.scp
      vars:
        scp_server: scp01.contoso.com
        scp_mode: online
"""


def test_the_role_applies_a_mode_change_an_earlier_run_left_unapplied(tmp_path: Path) -> None:
    with Lab("scp-remote", scale=120) as lab:
        assert_ok(run_playbook(lab, tmp_path, STOPPED_RUN))
        assert lab.state()["scp"]["effective_mode"] == "Offline"          # the downloader still runs offline
        repaired = run_playbook(lab, tmp_path, ROLE_RUN)
        assert_ok(repaired)
        assert "RUNNING HANDLER [configmgr.scp.scp : Restart SMS_DMP_DOWNLOADER]" in repaired.stdout, output(repaired)
        assert "Not applied yet: Online mode was set" in repaired.stdout, output(repaired)
        scp = lab.state()["scp"]
        assert scp["configured"]["mode"] == "Online" and scp["effective_mode"] == "Online"
        again = run_playbook(lab, tmp_path, ROLE_RUN)
        assert_ok(again)
        assert recap(again)["cm01.contoso.com"]["changed"] == 0, output(again)
