#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Contributors to the configmgr.scp collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

DOCUMENTATION = r"""
module: service_connection_point_info
short_description: Read the Configuration Manager hierarchy and its service connection point
version_added: 0.1.0
description:
  - Returns the sites of the hierarchy (types, parents, the top-tier site), the service connection point (server,
    site, configured and effective mode, install state, thread state) and optionally the tail of its log.
  - The configured mode is what the site database holds; the effective mode is what the running
    C(SMS_DMP_DOWNLOADER) announced in C(dmpdownloader.log) when it last started. They differ until the thread restarts.
author:
  - configmgr.scp contributors (@configmgr-scp)
options:
  thread:
    description: Also read the C(SMS_DMP_DOWNLOADER) thread state and effective mode on the SCP server.
    type: bool
    default: true
  log_tail:
    description: Return this many last entries of C(dmpdownloader.log) from the SCP server; V(0) returns none.
    type: int
    default: 0
extends_documentation_fragment:
  - configmgr.scp.connection
  - configmgr.scp.attributes
  - configmgr.scp.attributes.READ_ONLY
seealso:
  - module: configmgr.scp.service_connection_point
  - module: configmgr.scp.log_info
"""

EXAMPLES = r"""
- name: Read the SCP
  configmgr.scp.service_connection_point_info:
  register: scp_info

- name: Show configured and effective mode
  ansible.builtin.debug:
    msg: "{{ scp_info.scp.configured_mode }} / {{ scp_info.scp.effective_mode }}"
"""

RETURN = r"""
ansible_facts:
  description:
    - C(configmgr_scp_provider) caches what the module discovered about the host the task connects to (C(host), its
      inventory name; C(address); C(site_code); C(provider), the SMS Provider machine). Later tasks of this collection
      for the same host and address read it and skip the discovery round trip. After moving the SMS Provider clear it
      (C(meta) V(clear_facts)).
  returned: when the task read the SMS Provider
  type: dict
  contains:
    configmgr_scp_provider:
      description: Inventory host, address, site code and SMS Provider machine.
      type: dict
      sample: {"host": "cm01.contoso.com", "address": "cm01.contoso.com", "site_code": "CAS", "provider": "cm01.contoso.com"}
site_code:
  description: Site code of the SMS Provider the task connected to.
  returned: success
  type: str
  sample: PS1
provider:
  description: Inventory name of the SMS Provider host.
  returned: success
  type: str
module_version:
  description: Version of the ConfigurationManager PowerShell module.
  returned: success
  type: str
top_tier_site_code:
  description: The top-tier site (CAS, or the stand-alone primary site).
  returned: success
  type: str
  sample: CAS
hierarchy:
  description: The sites.
  returned: success
  type: dict
  contains:
    sites:
      description: One entry per site with site_code, site_name, type, type_name, parent, server, install_dir, version, mode.
      type: list
      elements: dict
    top_tier_site_code:
      description: The top-tier site.
      type: str
    standalone:
      description: Whether the top-tier site is a stand-alone primary site.
      type: bool
scp:
  description: The service connection point, or null when the hierarchy has none.
  returned: success
  type: dict
  contains:
    server:
      description: FQDN of the SCP server.
      type: str
    site_code:
      description: Site of the SCP.
      type: str
    mode:
      description: Configured mode (Online or Offline); same as RV(scp.configured_mode).
      type: str
    configured_mode:
      description: Mode stored in the site database (C(OfflineMode) property of the role).
      type: str
    effective_mode:
      description:
        - Mode the running downloader uses, read from the last line of C(dmpdownloader.log) on the SCP server that
          names it (the downloader logs its mode when it starts), C(Online) or C(Offline).
        - V(unknown) when the log says nothing recognisable (for example rotated since the last start); null when the
          thread is not running or the log was not read.
      type: str
    installed:
      description: Whether the role's thread exists on the server (install finished); null when not read.
      type: bool
    thread:
      description: State of C(SMS_DMP_DOWNLOADER), as returned by M(configmgr.scp.component); null when not read.
      type: dict
    site_system:
      description: The site system server of the SCP (proxy, accounts, public FQDN, roles).
      type: dict
    log:
      description: The last O(log_tail) entries of C(dmpdownloader.log) (time, severity, component, thread, message, source).
      type: list
      elements: dict
      returned: when O(log_tail) > 0
site_systems:
  description: All site system servers (server, site_code, proxy, account, public FQDN).
  returned: success
  type: list
  elements: dict
usage_data_level:
  description: Diagnostic (usage) data level of the hierarchy.
  returned: success
  type: str
  sample: Enhanced
updates_in_progress:
  description: Names of Configuration Manager updates that are installing.
  returned: success
  type: list
  elements: str
raw:
  description:
    - The objects as the cmdlets returned them (C(Get-CMServiceConnectionPoint), C(Get-CMSiteSystemServer)),
      beside the normalised keys above. RV(scp.server) is C(NetworkOSPath) without the leading backslashes,
      RV(scp.configured_mode) is the C(OfflineMode) embedded property (0 Online, 1 Offline).
  returned: success
  type: dict
"""

from ansible_collections.configmgr.scp.plugins.module_utils._documented_only import run_documented_only


def main() -> None:
    run_documented_only("service_connection_point_info")


if __name__ == "__main__":
    main()
