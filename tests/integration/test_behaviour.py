"""Cross-module behaviour run for real against the lab: failures after a change, a dead second host, AWX-style
credentials, a child primary's provider, the SMS Provider passed from one task to the next, roles left on a server, check mode.

One lab per test, as few ansible-playbook runs as possible: each playbook asserts on the registered results
(errors are ignored and checked), the test then checks the lab's own view (/state, /calls).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.integration.runner import assert_no_secret, assert_ok, mutating, output, recap, run_playbook
from tests.lab.lab import Lab

pytestmark = pytest.mark.timeout(300)

CACHED_THEN_FAILED_INSTALL = """---
- name: The SMS Provider passed on, then changes that fail half-way
  hosts: cm01.contoso.com
  gather_facts: false
  tasks:
    - name: First module task (discovers the SMS Provider)
      configmgr.scp.service_connection_point_info:
        thread: false
      register: first

    - name: Call log before the second task
      ansible.builtin.uri:
        url: "{{ lab_control_url }}/calls"
      delegate_to: localhost
      register: calls_before

    - name: Second module task on the same host, given what the first one used
      configmgr.scp.usage_data:
        level: enhanced
        sms_provider: "{{ first.sms_provider }}"
        sms_provider_site_code: "{{ first.sms_provider_site_code }}"
      register: second

    - name: Call log after the second task
      ansible.builtin.uri:
        url: "{{ lab_control_url }}/calls"
      delegate_to: localhost
      register: calls_after

    - name: The second task skipped the discovery the first one made, and neither returned a fact
      vars:
        locations: "{{ calls_before.json | selectattr('cmdlet', 'equalto', 'Get-CimInstance') | map(attribute='parameters')
                       | map('string') | select('search', 'SMS_ProviderLocation') | list }}"
        later: "{{ calls_after.json[calls_before.json | length:] }}"
      ansible.builtin.assert:
        that:
          - locations | length >= 1
          - later | length > 0
          - later | selectattr('cmdlet', 'equalto', 'Get-CimInstance') | list | length == 0
          - first.sms_provider_site_code == 'PS1'
          - first.sms_provider | lower == 'cm01.contoso.com'
          - first.ansible_facts is not defined
          - second.sms_provider_site_code == 'PS1'
          - second.sms_provider | lower == 'cm01.contoso.com'
          - second.ansible_facts is not defined
          - second is not changed

    - name: Install the SCP on scp01, whose role installation keeps failing
      configmgr.scp.service_connection_point:
        server: scp01.contoso.com
        wait_timeout: 6
      register: install
      ignore_errors: true

    - name: Remove scp01 while it holds the SCP role
      configmgr.scp.site_system_server:
        server: scp01.contoso.com
        state: absent
      register: remove_server
      ignore_errors: true

    - name: The timeout after the Add is a change; the removal names the remaining role
      ansible.builtin.assert:
        that:
          - install is failed
          - install is changed
          - install is not unreachable
          - install.steps_run | map(attribute='action') | list == ['add_scp']
          - install.msg is search('not installed')
          - remove_server is failed
          - remove_server is not changed
          - remove_server.msg is search('scp01.contoso.com')
          - remove_server.msg is search('SMS Dmp Connector')
"""


def test_provider_passed_on_wait_timeout_after_add_and_roles_left(tmp_path: Path) -> None:
    with Lab("standalone-primary", scale=120) as lab:
        for _try in range(6):  # sitecomp retries every 600 lab s (5 s here): every try within wait_timeout fails
            lab.add_fault("install_fail", host="scp01.contoso.com")
        proc = run_playbook(lab, tmp_path, CACHED_THEN_FAILED_INSTALL)
        assert_ok(proc)
        changes = mutating(lab.calls())
        assert changes.count("Add-CMServiceConnectionPoint") == 1, changes
        assert "Remove-CMSiteSystemServer" not in changes, "the removal was refused before any change"
        state = lab.state()
        assert state["scp"]["configured"]["server"] == "scp01.contoso.com"
        assert any(s["fqdn"] == "scp01.contoso.com" for s in state["hierarchy"]["site_systems"])
        assert_no_secret(lab, proc)
        timeout = next(
            line for line in proc.stdout.splitlines() if "Action failed:" in line and "not installed" in line
        )
        assert "scp01.contoso.com" in timeout, "the wait timeout names the SCP server, not the address it polled"


CHECK_MODE_RUN = """---
- name: Every kind of change, in check mode
  hosts: cm01.contoso.com
  gather_facts: false
  tasks:
    - name: Usage data level
      configmgr.scp.usage_data:
        level: full
      register: usage

    - name: A new site system server
      configmgr.scp.site_system_server:
        server: mp02.contoso.com
        proxy_server: proxy.contoso.com
        proxy_port: 8080
      register: new_server

    - name: A changed site system server
      configmgr.scp.site_system_server:
        server: scp01.contoso.com
        proxy_server: proxy.contoso.com
        proxy_port: 3128
      register: changed_server

    - name: Stop the downloader
      configmgr.scp.component:
        state: stopped
      register: stop

    - name: Restart the downloader through the service
      configmgr.scp.component:
        state: restarted
        method: service
      register: restart

    - name: Read everything
      configmgr.scp.service_connection_point_info:
        log_tail: 5
      register: info

    - name: Each change was predicted
      ansible.builtin.assert:
        that:
          - usage is changed and usage.after == 'Full'
          - new_server is changed and new_server.before is none
          - changed_server is changed and changed_server.changes == ['proxy_port']
          - stop is changed and stop.after.current_state == 'Stopped'
          - restart is changed
          - info is not changed and info.scp.server == 'cm01.contoso.com'
"""

STUCK_THREAD = """---
- name: A thread that does not stop
  hosts: cm01.contoso.com
  gather_facts: false
  tasks:
    - name: Restart the downloader without the service fallback
      configmgr.scp.component:
        state: restarted
        fallback: false
        timeout: 4
      register: stuck
      ignore_errors: true

    - name: Failed after the stop request, so changed
      ansible.builtin.assert:
        that:
          - stuck is failed
          - stuck is changed
          - stuck is not unreachable
          - stuck.msg is search('SMS_DMP_DOWNLOADER')
          - stuck.steps_run | map(attribute='action') | list == ['request_stop']
"""


def test_check_mode_makes_no_changing_call_and_a_stuck_thread_fails_changed(tmp_path: Path) -> None:
    with Lab("standalone-with-scp", scale=120) as lab:
        before = lab.state()
        check = run_playbook(lab, tmp_path, CHECK_MODE_RUN, "--check")
        assert_ok(check)
        assert recap(check)["cm01.contoso.com"]["changed"] == 5, output(check)
        calls = lab.calls()
        assert {c["cmdlet"] for c in calls} >= {"Get-CMSiteSystemServer", "Get-ItemProperty"}, (
            "the run read through the lab"
        )
        assert mutating(calls) == [], mutating(calls)
        after = lab.state()
        assert after["hierarchy"] == before["hierarchy"]
        for key in ("configured", "installed_on", "thread_state", "effective_mode"):  # not dmp: its syncs go on
            assert after["scp"][key] == before["scp"][key], key

        lab.clear_log()
        lab.add_fault("thread_stuck", host="cm01.contoso.com")
        stuck = run_playbook(lab, tmp_path, STUCK_THREAD)
        assert_ok(stuck)
        writes = [(c["cmdlet"], str(c["parameters"])) for c in lab.calls() if mutating([c])]
        assert len(writes) == 1 and writes[0][0] == "Set-ItemProperty" and "Stop" in writes[0][1], writes
        assert "Restart-Service" not in {c["cmdlet"] for c in lab.calls()}, "fallback=false never restarts the service"
        assert lab.state()["scp"]["thread_state"] == "Running"
        assert_no_secret(lab, check, stuck)


HIERARCHY_RUN = """---
- name: The CAS, reached AWX style, with its SCP server's WinRM dead
  hosts: cas01.contoso.com
  gather_facts: false
  tasks:
    - name: Read the SCP with its thread
      configmgr.scp.service_connection_point_info:
        connection_timeout: 3
      register: info_dead
      ignore_errors: true

    - name: Start the downloader on the SCP server
      configmgr.scp.component:
        state: started
        connection_timeout: 3
      register: component_dead
      ignore_errors: true

    - name: The CAS is still in the play
      configmgr.scp.service_connection_point_info:
        thread: false
      register: info_ok

    - name: Failed (not unreachable) naming scp01; the -u user and connection password worked
      ansible.builtin.assert:
        that:
          - info_dead is failed and info_dead is not unreachable
          - info_dead.msg is search('scp01.contoso.com')
          - component_dead is failed and component_dead is not unreachable
          - component_dead is not changed
          - component_dead.msg is search('scp01.contoso.com')
          - info_ok is not failed
          - info_ok.site_code == 'CAS'
          - info_ok.scp.server == 'scp01.contoso.com'

- name: A child primary's provider
  hosts: pri01.contoso.com
  gather_facts: false
  tasks:
    - name: Set the usage data level through pri01
      configmgr.scp.usage_data:
        level: full
      register: usage
      ignore_errors: true

    - name: Refused, naming the CAS
      ansible.builtin.assert:
        that:
          - usage is failed and usage is not changed
          - usage.msg is search('CAS')
          - usage.msg is search('pri01.contoso.com')
"""


def awx_style_cas_dead_scp(data: dict[str, Any]) -> None:
    hosts = data["all"]["hosts"]
    del hosts["cas01.contoso.com"]["ansible_user"], hosts["cas01.contoso.com"]["ansible_password"]
    hosts["scp01.contoso.com"]["ansible_port"] = 1  # nothing listens there


def test_dead_scp_server_awx_credentials_and_child_primary(tmp_path: Path) -> None:
    with Lab("hierarchy", scale=120) as lab:
        user, password = lab.admin_account()
        password_file = tmp_path / "connection-password"
        password_file.write_text(password + "\n", encoding="utf-8")
        telemetry = lab.state()["hierarchy"]["telemetry_level"]
        proc = run_playbook(
            lab,
            tmp_path,
            HIERARCHY_RUN,
            "-u",
            user,
            "--connection-password-file",
            str(password_file),
            edit=awx_style_cas_dead_scp,
        )
        assert_ok(proc)
        hosts = recap(proc)
        assert hosts["cas01.contoso.com"]["ok"] >= 2 and hosts["pri01.contoso.com"]["ok"] >= 2, output(proc)
        calls = lab.calls()
        assert {c["user"].lower() for c in calls if c["host"] == "cas01.contoso.com"} == {user.lower()}
        assert not [c for c in calls if c["host"] == "scp01.contoso.com"], "scp01 was never reached"
        assert mutating(calls) == []
        assert lab.state()["hierarchy"]["telemetry_level"] == telemetry
        assert_no_secret(lab, proc)
