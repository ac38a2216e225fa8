#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Contributors to the configmgr.scp collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

DOCUMENTATION = r"""
module: service_connection_point
short_description: Install, move, reconfigure or remove the Configuration Manager service connection point
version_added: 0.1.0
description:
  - Manages the service connection point (SCP, role C(SMS Dmp Connector)) of a Configuration Manager hierarchy
    through the SMS Provider the task connects to.
  - Reads the hierarchy once, plans the ordered steps (create the site system server, add, change mode, move,
    remove, wait) and runs them. Returns the plan in every mode.
  - The SCP can only be installed at the top-tier site (the CAS, or a stand-alone primary site); one per hierarchy.
  - Every change (install, mode change, move, removal, site system settings) goes through the SMS Provider of the
    top-tier site; through a child primary's provider it is refused with a message naming the top-tier site and its
    server. Reading (a run with nothing to change) works through any provider.
  - The task may target the top-tier site server or its SMS Provider. When the provider is another server (a remote
    SMS Provider), the module finds it in C(root\SMS) (C(SMS_ProviderLocation)) on the site server and connects to it
    directly, with its inventory variables when it is in the inventory, else with the task host's.
  - The desired state is the effective one. A role that is configured but not installed yet (an earlier run gave up
    waiting) is waited for again, and a role removed from the site but still installed on O(server) is waited for
    until it is gone; RV(pending) says which. Install and removal completion is read where it is written, in the thread
    key on the SCP server and in C(sitecomp.log) on the site server of the site that owns the role (a child site's
    server for an SCP stranded there).
  - A mode change is recorded on the SCP host (registry value C(DownloaderPendingMode) under
    C(HKLM:\SOFTWARE\configmgr.scp)) before it is made, and the record is cleared when M(configmgr.scp.component)
    has restarted the downloader. A run that stopped in between, or a downloader thread left stopped, is reported by
    the next run as RV(drift) with RV(restart_required=true), so the role's handler restarts it.
  - A move is recorded on the SMS Provider host (C(Intent*) values under C(HKLM:\SOFTWARE\configmgr.scp)) before the
    old SCP is removed. When a run stops after the removal, the next run installs the SCP in the recorded mode, and
    the record is cleared when the move is verified.
  - A changing run takes a lease on the SMS Provider host (the file C(C:\ProgramData\configmgr.scp\hierarchy.lease),
    created only if it does not exist), reads the state and plans again, and releases the lease at the end. Another
    job that finds a live lease fails, naming its owner and expiry. A lease left by a killed job is broken after its
    expiry (twice O(wait_timeout) plus 600 seconds).
  - The SCP is never planned on a site server configured for high availability (active or passive), since Microsoft
    says not to host it on either server of an HA pair. The module reads the site roles to tell; that an HA pair shows
    as a second C(SMS Site Server) role at the site (or a role whose name says passive) is this collection's reading,
    not documented by Microsoft.
  - A mode change takes effect only after C(SMS_DMP_DOWNLOADER) restarts on the SCP server; the module returns
    RV(restart_required) so a handler can call M(configmgr.scp.component) with O(configmgr.scp.component#module:state=restarted).
author:
  - configmgr.scp contributors (@configmgr-scp)
options:
  state:
    description:
      - V(present) installs the SCP on O(server) (or changes its mode); V(absent) removes it.
    type: str
    default: present
    choices: [present, absent]
  server:
    description:
      - FQDN of the server that hosts (or must host) the SCP. Required with O(state=present).
      - With O(state=absent) and no O(server), the SCP is removed wherever it is (also at a child site, where it does
        not belong); with O(server), only from that server, and the task also waits for a removal that an earlier run
        started on that server to finish.
    type: str
  site_code:
    description:
      - Site of the SCP. Default is the top-tier site. Any other site is refused with a message naming the top-tier site.
    type: str
  mode:
    description:
      - V(online) or V(offline). Default is V(online) on a first install and the current mode otherwise, also when
        the SCP moves to another server.
    type: str
    choices: [online, offline]
  allow_move:
    description:
      - When the SCP is installed on another server, move it (remove there, wait, install on O(server)).
      - When false, that case fails with a message naming the server that has it.
    type: bool
    default: false
  wait:
    description:
      - Wait until the role is installed (C(SMS_DMP_DOWNLOADER) runs) or removed on the SCP server.
      - A move always waits for the removal.
    type: bool
    default: true
  wait_timeout:
    description:
      - Seconds to wait for an install or removal to finish on the SCP server.
    type: int
    default: 900
extends_documentation_fragment:
  - configmgr.scp.site_system.SUBOPTIONS
  - configmgr.scp.sms_provider
  - configmgr.scp.connection
  - configmgr.scp.attributes
  - configmgr.scp.attributes.CHANGES
seealso:
  - module: configmgr.scp.service_connection_point_info
  - module: configmgr.scp.component
  - module: configmgr.scp.preflight
  - name: About the service connection point
    description: Microsoft documentation.
    link: https://learn.microsoft.com/intune/configmgr/core/servers/deploy/configure/about-the-service-connection-point
"""

EXAMPLES = r"""
- name: Install the SCP online on scp01 at the top-tier site
  configmgr.scp.service_connection_point:
    server: scp01.contoso.com
    mode: online

- name: Switch to offline mode and restart the downloader through the role's handler
  configmgr.scp.service_connection_point:
    server: scp01.contoso.com
    mode: offline
  notify: Restart SMS_DMP_DOWNLOADER

- name: Move the SCP to scp02, creating the site system with a proxy
  configmgr.scp.service_connection_point:
    server: scp02.contoso.com
    allow_move: true
    site_system:
      use_site_server_account: true
      proxy_server: proxy.contoso.com
      proxy_port: 8080

- name: Remove the SCP (before a site expansion)
  configmgr.scp.service_connection_point:
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
  description: The SCP before the task, or null when there was none.
  returned: always
  type: dict
  sample: {"server": "cm01.contoso.com", "site_code": "PS1", "mode": "Online"}
after:
  description:
    - The SCP after the task, or null when there is none. In check mode, the predicted state.
  returned: always
  type: dict
  sample: {"server": "scp01.contoso.com", "site_code": "PS1", "mode": "Offline"}
plan:
  description: The ordered steps, also in check mode. Empty when nothing has to change.
  returned: always
  type: list
  elements: dict
  contains:
    action:
      description:
        - Step id (ensure_site_system, add_scp, set_mode, remove_scp, wait_removed, wait_installed, verify,
          record_intent, clear_intent).
      type: str
    description:
      description: What the step does, naming server and site.
      type: str
    mutates:
      description: Whether the step changes the site.
      type: bool
    expects:
      description: What is true after the step.
      type: dict
  sample: [{"action": "set_mode", "description": "set the service connection point on scp01.contoso.com to Offline mode",
            "mutates": true, "expects": {"mode": "Offline"}}]
mode_changed:
  description:
    - Whether the configured mode of the SCP changed (or would change in check mode), also across a move.
  returned: always
  type: bool
restart_required:
  description:
    - True when the configured mode changed and C(SMS_DMP_DOWNLOADER) must restart for it to take effect, or when
      RV(drift) says that an earlier change has not been applied by a restart yet.
  returned: always
  type: bool
moved_from:
  description: The server the SCP was moved away from, else null.
  returned: always
  type: str
  sample: cm01.contoso.com
drift:
  description:
    - Why the downloader does not run the configured mode although the site is configured as asked, else null.
      Either a mode change that no restart has applied yet (an earlier run stopped before its handler ran), or the
      C(SMS_DMP_DOWNLOADER) thread stopped. RV(restart_required) is true then.
  returned: always
  type: str
  sample: Offline mode was set and no restart of SMS_DMP_DOWNLOADER has applied it yet
pending:
  description:
    - What is configured but not in effect yet when the task ends, else null. V(install) - the role is configured on
      O(server) but its C(SMS_DMP_DOWNLOADER) thread key does not exist yet (with O(wait=false), or in check mode);
      V(removal) - removed from the site but still installed on O(server).
    - With O(wait=true) the task waits instead and fails when the wait gives up, so running it again finishes it.
  returned: always
  type: str
  sample: install
elapsed:
  description: Seconds the changes took, waits included.
  returned: when changes were made
  type: float
"""

from ansible_collections.configmgr.scp.plugins.module_utils._documented_only import run_documented_only


def main() -> None:
    run_documented_only("service_connection_point")


if __name__ == "__main__":
    main()
