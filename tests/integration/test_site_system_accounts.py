"""site_system_server checks that the installation account is a ConfigMgr account (Get-CMAccount -UserName) before
New-/Set-CMSiteSystemServer uses it, in check mode too; a known account is set."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.integration.runner import assert_ok, mutating, run_playbook
from tests.lab.lab import Lab

pytestmark = pytest.mark.timeout(300)

ACCOUNTS = """---
- name: Installation accounts of a site system server
  hosts: top_tier_site_server
  gather_facts: false
  tasks:
    - name: An installation account that is no ConfigMgr account, in check mode and for real
      configmgr.scp.site_system_server:
        server: scp01.contoso.com
        account_name: CONTOSO\\svc-missing
      check_mode: "{{ item }}"
      loop: [true, false]
      register: missing
      ignore_errors: true

    - name: A proxy account that is no ConfigMgr account, in check mode
      configmgr.scp.site_system_server:
        server: scp01.contoso.com
        proxy_server: proxy.contoso.com
        proxy_port: 8080
        proxy_account: CONTOSO\\svc-noproxy
      check_mode: true
      register: missing_proxy
      ignore_errors: true

    - name: Refused before any change, naming the option and the account
      ansible.builtin.assert:
        that:
          - missing.results | rejectattr('failed') | list == []
          - missing.results | selectattr('changed') | list == []
          - "missing.results | map(attribute='msg') | select('search', 'account_name CONTOSO.svc-missing is not a ConfigMgr account') | list | length == 2"
          - missing_proxy is failed and missing_proxy.msg is search('proxy_account CONTOSO.svc-noproxy is not a ConfigMgr account')

    - name: A ConfigMgr account as the installation account
      configmgr.scp.site_system_server:
        server: scp01.contoso.com
        account_name: CONTOSO\\svc-cmproxy
      register: known

    - name: It is set
      ansible.builtin.assert:
        that:
          - known is changed
          - known.changes == ['account_name']
"""


def test_the_installation_account_must_be_a_configmgr_account(tmp_path: Path) -> None:
    with Lab("standalone-primary", scale=120) as lab:
        proc = run_playbook(lab, tmp_path, ACCOUNTS)
        assert_ok(proc)
        sets = [c for c in lab.calls() if c["cmdlet"] in ("New-CMSiteSystemServer", "Set-CMSiteSystemServer")]
        assert [c["parameters"].get("AccountName") for c in sets] == ["CONTOSO\\svc-cmproxy"], mutating(lab.calls())
        scp01 = next(s for s in lab.state()["hierarchy"]["site_systems"] if s["fqdn"] == "scp01.contoso.com")
        assert scp01["account"] == "CONTOSO\\svc-cmproxy"
        accounts = [c for c in lab.calls() if c["cmdlet"] == "Get-CMAccount"]
        assert {c["parameters"].get("UserName") for c in accounts} == {
            "CONTOSO\\svc-missing",
            "CONTOSO\\svc-noproxy",
            "CONTOSO\\svc-cmproxy",
        }
