#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Contributors to the configmgr.scp collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

DOCUMENTATION = r"""
module: site_system_server
short_description: Create, configure or remove a Configuration Manager site system server
version_added: 0.1.0
description:
  - Manages a site system server (C(New-CMSiteSystemServer), C(Set-CMSiteSystemServer), C(Remove-CMSiteSystemServer))
    through the SMS Provider the task connects to.
  - Only the settings given are compared and set; others stay as they are.
  - Removal fails while the server still has roles other than the base site system roles.
author:
  - configmgr.scp contributors (@configmgr-scp)
options:
  state:
    description: Whether the server is a site system.
    type: str
    default: present
    choices: [present, absent]
  server:
    description: FQDN of the server.
    type: str
    required: true
  site_code:
    description: Site of the server. Default is the server's current site, else the site of the SMS Provider.
    type: str
extends_documentation_fragment:
  - configmgr.scp.site_system
  - configmgr.scp.sms_provider
  - configmgr.scp.connection
  - configmgr.scp.attributes
  - configmgr.scp.attributes.CHANGES
"""

EXAMPLES = r"""
- name: Make scp02 a site system that reaches the internet through the proxy
  configmgr.scp.site_system_server:
    server: scp02.contoso.com
    use_site_server_account: true
    proxy_server: proxy.contoso.com
    proxy_port: 8080

- name: Remove scp01 (fails while it still has roles)
  configmgr.scp.site_system_server:
    server: scp01.contoso.com
    state: absent
"""

RETURN = r"""
sms_provider:
  description:
    - FQDN of the SMS Provider machine the task used (discovered, or given as O(sms_provider)). Pass it to a later
      task as O(sms_provider), with RV(sms_provider_site_code), and that task skips the discovery round trip.
  returned: when the task read the SMS Provider
  type: str
  sample: cm01.contoso.com
sms_provider_site_code:
  description: Site code of RV(sms_provider). Pass it to a later task as O(sms_provider_site_code).
  returned: when the task read the SMS Provider
  type: str
  sample: CAS
before:
  description: The site system server before the task, null when it was not one.
  returned: success
  type: dict
  sample: {"server": "scp01.contoso.com", "site_code": "PS1", "proxy_enabled": true, "proxy_server": "proxy.contoso.com",
           "proxy_port": 8080, "proxy_account": null, "public_fqdn": null, "account_name": null,
           "use_site_server_account": true, "roles": []}
after:
  description: The site system server after the task (predicted in check mode), null when removed.
  returned: success
  type: dict
changes:
  description: Names of the settings that changed (or would change).
  returned: success
  type: list
  elements: str
  sample: [proxy_port]
"""

from ansible_collections.configmgr.scp.plugins.module_utils._documented_only import run_documented_only


def main() -> None:
    run_documented_only("site_system_server")


if __name__ == "__main__":
    main()
