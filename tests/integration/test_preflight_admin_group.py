"""preflight with fail_on=error against a planned server whose site server computer account is not listed in the
local Administrators, but a domain group is: the account may be an Administrator through that group, so the check
warns (with the evidence) and the play goes on, as the demo and move playbooks need."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.integration.runner import assert_no_secret, assert_ok, mutating, run_playbook
from tests.lab.lab import Lab, load_scenario

pytestmark = pytest.mark.timeout(300)

PLAY = """---
- name: Preflight against a server that has CONTOSO\\\\Domain Admins but not CM01$ in its Administrators
  hosts: top_tier_site_server
  gather_facts: false
  tasks:
    - name: Check scp01, failing on errors only (as the demo and move playbooks do)
      configmgr.scp.preflight:
        server: scp01.contoso.com
        fail_on: error
      register: pre

    - name: The admin check warns with the groups that might contain the account; nothing failed
      ansible.builtin.assert:
        that:
          - pre is not failed
          - pre.failed_checks == []
          - "'site_server_admin' in pre.warning_checks"
          - pre_admin.status == 'warn'
          - pre_admin.evidence.not_listed == ['cm01$']
          - pre_admin.evidence.groups | map('lower') | list == ['contoso\\\\domain admins']
          - pre_admin.evidence.administrators | length == 2
          - "'cm01$' in pre_admin.message"
        fail_msg: "{{ pre_admin | to_json }}"
      vars:
        pre_admin: "{{ pre.checks | selectattr('id', 'equalto', 'site_server_admin') | first }}"
"""


def scenario() -> dict:
    data = load_scenario("standalone-primary")
    hosts = [dict(h, site_server_admin=False) if h["fqdn"] == "scp01.contoso.com" else h for h in data["hosts"]]
    return dict(data, name="preflight-admin-through-group", hosts=hosts)


def test_preflight_warns_and_does_not_fail_when_a_group_may_hold_the_account(tmp_path: Path) -> None:
    with Lab(scenario(), scale=120) as lab:
        admins = lab.state()["hosts"]["scp01.contoso.com"]["admins"]
        assert "contoso\\cm01$" not in [a.lower() for a in admins] and "contoso\\domain admins" in admins
        proc = run_playbook(lab, tmp_path, PLAY)
        assert_ok(proc)
        assert_no_secret(lab, proc)
        assert mutating(lab.calls()) == []
