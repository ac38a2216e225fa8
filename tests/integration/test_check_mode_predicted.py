"""--check of component and log_info after a predicted install: in check mode the SCP is not installed yet, so there
is no thread to restart and no log to read. Both report that (installed: false, a msg) with the `changed` a real run
would report, instead of failing; nothing changes in the lab."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.integration.runner import assert_no_secret, assert_ok, mutating, run_playbook
from tests.lab.lab import Lab

pytestmark = pytest.mark.timeout(300)

PREDICTED = """---
- name: Install, restart and read the logs, in check mode
  hosts: top_tier_site_server
  gather_facts: false
  tasks:
    - name: Install the SCP on scp01 (only predicted in check mode)
      configmgr.scp.service_connection_point:
        server: scp01.contoso.com
        mode: online
      register: installed

    - name: Restart the downloader of the hierarchy's SCP
      configmgr.scp.component:
        state: restarted
      register: restart_scp

    - name: Restart the downloader on scp01
      configmgr.scp.component:
        server: scp01.contoso.com
        state: restarted
      register: restart_server

    - name: Start and stop the downloader on scp01
      configmgr.scp.component:
        server: scp01.contoso.com
        state: "{{ item }}"
      loop: [started, stopped]
      register: start_stop

    - name: Read the downloader log of the hierarchy's SCP
      configmgr.scp.log_info:
        name: dmpdownloader
      register: log_scp

    - name: Read the downloader log on scp01
      configmgr.scp.log_info:
        name: dmpdownloader
        server: scp01.contoso.com
      register: log_server

    - name: Each says the SCP is not installed yet, with the change a real run would make
      ansible.builtin.assert:
        that:
          - installed is changed
          - restart_scp is changed and restart_scp.installed == false and restart_scp.server is none
          - "restart_scp.msg is search('^check mode: the hierarchy has no service connection point yet')"
          - restart_server is changed and restart_server.installed == false and restart_server.server == 'scp01.contoso.com'
          - "restart_server.msg is search('^check mode: SMS_DMP_DOWNLOADER is not on scp01.contoso.com')"
          - restart_server.restarted_components == 'SMS_DMP_DOWNLOADER'
          - start_stop.results[0] is not changed and start_stop.results[0].installed == false
          - start_stop.results[1] is changed and start_stop.results[1].installed == false
          - log_scp is not changed and log_scp.installed == false and log_scp.entries == []
          - "log_scp.msg is search('^check mode: the hierarchy has no service connection point yet')"
          - log_server is not changed and log_server.installed == false and log_server.entries == []
          - log_server.msg is search('scp01.contoso.com has no dmpdownloader.log yet')
"""


def test_component_and_log_info_after_a_predicted_install(tmp_path: Path) -> None:
    with Lab("standalone-primary", scale=120) as lab:
        proc = run_playbook(lab, tmp_path, PREDICTED, "--check")
        assert_ok(proc)
        assert mutating(lab.calls()) == []
        assert lab.state()["scp"]["configured"] is None
        assert_no_secret(lab, proc)
