"""configmgr.scp.site_updates through ansible-playbook against the lab: the list, a check for updates that syncs
(check mode, the check, the updates after it, a second run), and each reason a check cannot sync, with the reason the
task gives (offline mode, blocked endpoints, a proxy that refuses, TLS 1.2 off)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.integration.runner import assert_no_secret, assert_ok, mutating, run_playbook
from tests.lab.lab import Lab, load_scenario
from tests.lab.world import paths

pytestmark = pytest.mark.timeout(300)

CM01 = "cm01.contoso.com"
NEW = "Configuration Manager 2603"


def scenario() -> dict[str, Any]:
    """standalone-with-scp (online SCP on cm01, through the proxy), and a new update the service offers from 60 lab
    seconds on: after the downloader's first cycle, so only a check finds it."""
    data = load_scenario("standalone-with-scp")
    data["service_updates"] = [
        {"name": NEW, "guid": "0a1b2c3d-0000-4000-8000-000000002603", "version": "5.00.9150.1000", "released_after": 60}
    ]
    return data


SYNC_PLAY = """---
- name: List, check in check mode, check, re-run
  hosts: cm01.contoso.com
  gather_facts: false
  tasks:
    - name: List the site updates
      configmgr.scp.site_updates:
      register: listed

    - name: The list changes nothing and shows the known update
      ansible.builtin.assert:
        that:
          - listed is not changed
          - listed is not failed
          - listed.server == 'cm01.contoso.com'
          - listed.mode == 'Online'
          - listed.check is not defined
          - listed.updates | map(attribute='name') | list == ['Configuration Manager 2509']
          - listed.updates[0].status == 'available'
          - listed.updates[0].state == 'APPLICABILITY_SUCCESS'
          - listed.updates[0].state_code == 327682
          - listed.updates[0].version == '5.00.9140.1000'
          - listed.updates[0].applicable

    - name: Check in check mode
      configmgr.scp.site_updates:
        check: true
      check_mode: true
      register: predicted

    - name: Check mode predicts the check and triggers nothing
      ansible.builtin.assert:
        that:
          - predicted is changed
          - predicted is not failed
          - not predicted.check.triggered
          - predicted.check.result is none
          - predicted.check.steps | map(attribute='action') | list == ['trigger_update_check', 'wait_for_downloader']
          - "'would trigger a check for updates on cm01.contoso.com' in predicted.msg"

    - name: Calls so far
      ansible.builtin.uri:
        url: "{{ lab_control_url }}/calls"
      delegate_to: localhost
      register: calls_before

    - name: Check for updates
      configmgr.scp.site_updates:
        check: true
        wait_timeout: 120
      register: checked

    - name: The check synced and found the new update
      ansible.builtin.assert:
        that:
          - checked is changed
          - checked is not failed
          - checked.check.triggered
          - checked.check.result == 'synced'
          - 4 in checked.check.state_messages
          - 6 in checked.check.state_messages
          - checked.check.log | selectattr('message', 'search', 'Successfully Dropped the state message 4') | list | length == 1
          - checked.check.log | map(attribute='time') | min >= checked.check.since
          - checked.new_updates == ['Configuration Manager 2603']
          - checked.updates_before | map(attribute='name') | list == ['Configuration Manager 2509']
          - (checked.updates | selectattr('name', 'equalto', 'Configuration Manager 2603') | first).applicable
          - checked.diagnosis is not defined
          - calls_before.json | selectattr('cmdlet', 'equalto', 'Invoke-CMSiteUpdateCheck') | list | length == 0

    - name: Let the new update download (lab clock)
      ansible.builtin.uri:
        url: "{{ lab_control_url }}/advance"
        method: POST
        body_format: json
        body: {seconds: 120}
      delegate_to: localhost

    - name: List again
      configmgr.scp.site_updates:
      register: verified

    - name: The new update is downloaded
      ansible.builtin.assert:
        that:
          - verified is not changed
          - (verified.updates | selectattr('name', 'equalto', 'Configuration Manager 2603') | first).status == 'ready_to_install'
          - (verified.updates | selectattr('name', 'equalto', 'Configuration Manager 2603') | first).ready_to_install

    - name: Check again
      configmgr.scp.site_updates:
        check: true
        wait_timeout: 120
      register: again

    - name: A second check syncs again and finds nothing new
      ansible.builtin.assert:
        that:
          - again is changed
          - again.check.result == 'synced'
          - again.new_updates == []
"""


def test_list_and_a_check_that_syncs(tmp_path: Path) -> None:
    with Lab(scenario(), scale=120) as lab:
        proc = run_playbook(lab, tmp_path, SYNC_PLAY)
        assert_ok(proc)
        assert mutating(lab.calls()).count("Invoke-CMSiteUpdateCheck") == 2, "check mode triggered nothing"
        assert_no_secret(lab, proc)


FAIL_PLAY = """---
- name: A check that cannot sync
  hosts: cm01.contoso.com
  gather_facts: false
  tasks:
    - name: Check for updates
      configmgr.scp.site_updates:
        check: true
        wait_timeout: 60
      register: checked
      ignore_errors: true

    - name: The task fails and says why
      ansible.builtin.assert:
        that:
          - checked is failed
          - checked is changed == expect_changed
          - expect_msg in checked.msg
          - checked.updates | map(attribute='name') | list == ['Configuration Manager 2509']
        fail_msg: "{{ checked | to_json }}"

    - name: The failing probes are returned
      ansible.builtin.assert:
        that:
          - checked.check.result == 'failed'
          - checked.new_updates == []
          - checked.diagnosis | map(attribute='id') | list == ['internet_endpoints', 'tls12']
          - (checked.diagnosis | selectattr('id', 'equalto', expect_check) | first).status == 'fail'
          - (checked.diagnosis | rejectattr('id', 'equalto', expect_check) | first).status == 'pass'
          - checked.check.log | selectattr('severity', 'equalto', 'error') | list | length >= 1
        fail_msg: "{{ checked | to_json }}"
      when: expect_check != ''
"""


def _offline(lab: Lab) -> None:
    role = lab.world.hierarchy.scp()
    prop = role.prop("OfflineMode") if role else None
    assert prop is not None
    prop.value = 1


def _blocked(lab: Lab) -> None:
    lab.world.require_host(CM01).network.blocked_ports.append("go.microsoft.com:443")


def _proxy_refuses(lab: Lab) -> None:
    lab.world.require_host(CM01).network.proxies["proxy.contoso.com:8080"] = ["*.contoso.com"]


def _tls12_off(lab: Lab) -> None:
    lab.world.require_host(CM01).registry.set_value(paths.DOTNET_KEY, "SchUseStrongCrypto", 0, "DWord")


# case -> (edit, changed, text of the message, the failing diagnosis check or '')
FAILURES: dict[str, tuple[Callable[[Lab], None], bool, str, str]] = {
    "offline": (_offline, False, "is in offline mode", ""),
    "endpoints_blocked": (_blocked, True, "internet_endpoints: 1 endpoint(s) not reachable", "internet_endpoints"),
    "proxy_refuses": (
        _proxy_refuses,
        True,
        "(directly or through http://proxy.contoso.com:8080)",
        "internet_endpoints",
    ),
    "tls12_off": (_tls12_off, True, "tls12: .NET TLS 1.2 settings missing", "tls12"),
}


@pytest.mark.parametrize("case", list(FAILURES))
def test_a_check_that_cannot_sync_says_why(tmp_path: Path, case: str) -> None:
    edit, changed, msg, check = FAILURES[case]
    with Lab(scenario(), scale=120) as lab:
        with lab.world.lock:
            edit(lab)
        extra = {"expect_msg": msg, "expect_check": check, "expect_changed": changed}
        proc = run_playbook(lab, tmp_path, FAIL_PLAY, "-e", json.dumps(extra))
        assert_ok(proc)
        assert mutating(lab.calls()).count("Invoke-CMSiteUpdateCheck") == (1 if changed else 0)
        assert_no_secret(lab, proc)
