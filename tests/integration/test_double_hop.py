"""ansible-playbook with sms_provider_route=task_host against the site server of the remote-provider lab: the
ConfigMgr cmdlets run in cm01's session with the CMSite drive rooted at prov01, a second hop. With CredSSP, and with
Kerberos and negotiate_delegate, the SCP is installed that way (check, apply, verify, idempotent); with NTLM the task
fails saying why and changes nothing. Delegation is asserted on the server side (the lab's logon records)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.integration.runner import assert_no_secret, assert_ok, mutating, output, recap, run_playbook
from tests.lab.lab import Lab

pytestmark = pytest.mark.timeout(300)

CM01, PROV01, SCP01 = "cm01.contoso.com", "prov01.contoso.com", "scp01.contoso.com"

INSTALL = """---
- name: Install the SCP through the site server's session (the SMS Provider is prov01)
  hosts: top_tier_site_server
  gather_facts: false
  module_defaults:
    group/configmgr.scp.scp:
      sms_provider_route: task_host
      negotiate_delegate: true
  tasks:
    - name: Predict
      configmgr.scp.service_connection_point:
        server: scp01.contoso.com
        mode: online
      check_mode: true
      register: predicted

    - name: Install
      configmgr.scp.service_connection_point:
        server: scp01.contoso.com
        mode: online
      register: installed

    - name: Verify
      configmgr.scp.service_connection_point_info:
      register: info

    - name: Again, nothing to change
      configmgr.scp.service_connection_point:
        server: scp01.contoso.com
        mode: online
      register: again

    - name: What the tasks saw
      ansible.builtin.assert:
        that:
          - predicted is changed
          - installed is changed
          - info.scp.server == 'scp01.contoso.com'
          - info.scp.installed
          - info.sms_provider == 'prov01.contoso.com'
          - again is not changed
"""

READ = """---
- name: Read through the site server's session
  hosts: top_tier_site_server
  gather_facts: false
  tasks:
    - name: Read the hierarchy
      configmgr.scp.service_connection_point_info:
        sms_provider_route: task_host
"""


def _provider_calls_ran_on_cm01(lab: Lab) -> None:
    cm_calls = [c for c in lab.calls() if str(c.get("cmdlet", "")).lower().startswith(("get-cm", "add-cm", "new-cm"))]
    assert cm_calls and {c["host"] for c in cm_calls} == {CM01}, {c["host"] for c in cm_calls}
    assert PROV01 not in {x["host"] for x in lab.logons()}


@pytest.mark.parametrize("auth", ["credssp", "kerberos"])
def test_the_scp_is_installed_through_a_delegated_second_hop(tmp_path: Path, auth: str) -> None:
    with Lab("remote-provider", scale=120, auth=auth) as lab:
        proc = run_playbook(lab, tmp_path, INSTALL)
        assert_ok(proc, changed=2)  # the check-mode prediction and the install
        assert_no_secret(lab, proc)
        _provider_calls_ran_on_cm01(lab)
        configured = lab.state()["scp"]["configured"]
        assert configured and configured["server"].lower() == SCP01 and configured["mode"].lower() == "online", (
            configured
        )
        cm01_logons = [x for x in lab.logons() if x["host"] == CM01]
        assert cm01_logons and all(x["delegated"] for x in cm01_logons), cm01_logons


def test_without_delegation_the_second_hop_fails_saying_why(tmp_path: Path) -> None:
    with Lab("remote-provider", scale=120, auth="ntlm") as lab:
        proc = run_playbook(lab, tmp_path, READ)
        assert proc.returncode != 0 and recap(proc)[CM01]["failed"] == 1, output(proc)
        assert "Access is denied" in proc.stdout, output(proc)
        assert f"{PROV01} is reached from the session on {CM01}, a second hop" in proc.stdout, output(proc)
        assert "sms_provider_route=direct" in proc.stdout, output(proc)
        assert mutating(lab.calls()) == []
        assert_no_secret(lab, proc)
