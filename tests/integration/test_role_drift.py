"""The role repairs drift: a mode change made by a run that stopped before its handler (here: the module alone, no
handler) is applied by the next role run, which restarts SMS_DMP_DOWNLOADER; a third run changes nothing.

The site changes nothing on the repairing run: the SCP task reports changed because of `drift` (restart_required), so
that its notification reaches the handler, which only fires for a changed notifier."""

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
        assert lab.state()["scp"]["effective_mode"] == "Offline"  # the downloader still runs offline
        start = len(lab.calls())
        repaired = run_playbook(lab, tmp_path, ROLE_RUN, "-v")
        assert_ok(repaired, changed=2)  # the SCP task (drift) and its handler
        assert not [c for c in lab.calls()[start:] if c["cmdlet"] == "Set-CMServiceConnectionPoint"], (
            "the mode is set already: only the restart was missing"
        )
        scp_task = repaired.stdout.split("TASK [configmgr.scp.scp : Manage the service connection point]", 1)[1]
        scp_task = scp_task.split("RUNNING HANDLER", 1)[0]
        assert "changed: [cm01.contoso.com]" in scp_task, output(repaired)
        assert '"drift": "Online mode was set and no restart of SMS_DMP_DOWNLOADER has applied it yet"' in scp_task, (
            output(repaired)
        )
        assert '"restart_required": true' in scp_task, output(repaired)
        handler = repaired.stdout.split("RUNNING HANDLER [configmgr.scp.scp : Restart SMS_DMP_DOWNLOADER]", 1)
        assert len(handler) == 2 and "changed: [cm01.contoso.com]" in handler[1].split("PLAY RECAP", 1)[0], output(
            repaired
        )
        scp = lab.state()["scp"]
        assert scp["configured"]["mode"] == "Online" and scp["effective_mode"] == "Online"
        again = run_playbook(lab, tmp_path, ROLE_RUN)
        assert_ok(again)
        assert recap(again)["cm01.contoso.com"]["changed"] == 0, output(again)
