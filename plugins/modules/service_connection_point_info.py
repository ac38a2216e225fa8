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
  - The configured mode is what the site database holds; the effective mode is the mode the running
    C(SMS_DMP_DOWNLOADER) uses, which differs from the configured mode until the thread restarts. The downloader logs
    no line that names its mode, so the effective mode is derived from the C(dmpdownloader.log) lines Microsoft
    documents (see RV(scp.effective_mode)); it is often V(unknown).
  - The roles of the SCP's site system server (and of every site system) are read with C(Get-CMSiteRole -AllSite) in
    the same pipeline as the other reads.
notes:
  - The start of C(SMS_DMP_DOWNLOADER) is read from the SCP server (where M(configmgr.scp.component) records it), not
    from a fact, so it is known across plays, jobs and controllers. A start this collection did not make (the console,
    a restart of C(SMS_EXECUTIVE) or of the server, a reinstall of the role) is not recorded; the record then names an
    earlier start, and lines logged between the two count as the running thread's. Restart the thread with
    M(configmgr.scp.component) before reading when that may have happened.
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
  raw:
    description:
      - Also return RV(raw), the SCP and site system objects with every property the cmdlets gave. Without it the
        SMS Provider returns only the properties the module reads, which keeps the call small.
    type: bool
    default: false
extends_documentation_fragment:
  - configmgr.scp.sms_provider
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
    msg: "{{ scp_info.scp.configured_mode }} / {{ scp_info.scp.effective_mode }} ({{ scp_info.scp.effective_mode_evidence.reason | default('') }})"

- name: Restart the downloader; then the effective mode can be tied to the running thread
  configmgr.scp.component:
    state: restarted

- name: Read the SCP again
  configmgr.scp.service_connection_point_info:
  register: scp_info
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
site_code:
  description: Site code of the SMS Provider the task connected to.
  returned: success
  type: str
  sample: PS1
provider:
  description:
    - The SMS Provider machine the cmdlets ran on (the one C(SMS_ProviderLocation) names; with a remote provider not the
      task's host).
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
        - Mode the running C(SMS_DMP_DOWNLOADER) uses, V(Online) or V(unknown), derived from documented
          C(dmpdownloader.log) lines only. No documented line names the mode, so the module never reads one.
        - V(Online) when a documented online-sync line (the update manifest download from the Microsoft cloud service,
          C(Easysetup fwlink to download the manifest), C(Get manifest.cab url), C(Download manifest.cab),
          C(Redirected to URL https://...), C(The flighting request url is ...), as the Microsoft support article
          "Understand and troubleshoot Updates and Servicing" shows them) was logged at or after the thread's last
          start. In offline mode the SCP does not connect to the cloud service, so such a line shows online mode.
        - The thread's last start is known when M(configmgr.scp.component) started or restarted it, in this job or an
          earlier one. It records the SCP server's time on that server (registry value
          C(ThreadStarted_SMS_DMP_DOWNLOADER) under C(HKLM:\SOFTWARE\configmgr.scp)), which this module reads with
          the thread state. Otherwise no line can be tied to the running thread and the result is V(unknown).
        - Never V(Offline), because no documented line shows offline mode (C(Successfully Dropped the state message 4) is
          also logged after a service connection tool import, in either mode), so offline mode is V(unknown).
        - Null when the thread is not running or the log was not read. RV(scp.effective_mode_evidence) shows why.
      type: str
    effective_mode_evidence:
      description:
        - What RV(scp.effective_mode) was derived from; null when it was not derived.
      type: dict
      contains:
        reason:
          description: Why the mode is V(Online) or V(unknown).
          type: str
        thread_started_at:
          description:
            - The thread's last start used, or null when not known. It is the record C(ThreadStarted_SMS_DMP_DOWNLOADER)
              under C(HKLM:\SOFTWARE\configmgr.scp) on the SCP server, the SCP server's clock in ISO 8601 (UTC), as
              M(configmgr.scp.component) wrote it (its C(confirmed_running_at)).
          type: str
        online_sync_lines:
          description: The last documented online-sync lines at or after that start (time, message, source).
          type: list
          elements: dict
        latest_online_sync_line:
          description: The latest documented online-sync line in the lines read, whenever it was logged; null if none.
          type: dict
        documented_lines:
          description:
            - The last documented lines seen (online-sync lines and C(Hasn't synced recently.), C(Generating state
              message), C(Successfully Dropped the state message) lines, which do not decide).
          type: list
          elements: dict
        lines_read:
          description: Number of timed log entries read.
          type: int
    installed:
      description: Whether the role's thread exists on the server (install finished); null when not read.
      type: bool
    thread:
      description: State of C(SMS_DMP_DOWNLOADER), as returned by M(configmgr.scp.component); null when not read.
      type: dict
    site_system:
      description:
        - The site system server of the SCP (proxy, accounts, public FQDN, roles).
        - C(roles) lists the C(RoleName) of every role of that server at its site as C(Get-CMSiteRole -AllSite)
          returns them, for example V(SMS Site System), V(SMS Dmp Connector) (the SCP), V(SMS Site Server).
      type: dict
    log:
      description: The last O(log_tail) entries of C(dmpdownloader.log) (time, severity, component, thread, message, source).
      type: list
      elements: dict
      returned: when O(log_tail) > 0
site_systems:
  description: All site system servers (server, site_code, proxy, account, public FQDN, roles as in RV(scp.site_system)).
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
intent:
  description:
    - A move of the SCP that M(configmgr.scp.service_connection_point) recorded on the SMS Provider host before
      removing the old SCP, and that has not been verified yet (the run stopped); null otherwise. Running the move
      again finishes it in the recorded mode.
    - This is the collection's own record (registry values under C(HKLM:\SOFTWARE\configmgr.scp) on the SMS Provider
      host), not Configuration Manager data.
  returned: success
  type: dict
  sample: {"operation": "move", "source": "scp01.contoso.com", "target": "scp02.contoso.com", "site_code": "PS1",
           "mode": "Offline"}
raw:
  description:
    - The objects as the cmdlets returned them (C(Get-CMServiceConnectionPoint), C(Get-CMSiteSystemServer)),
      beside the normalised keys above. RV(scp.server) is C(NetworkOSPath) without the leading backslashes,
      RV(scp.configured_mode) is the C(OfflineMode) embedded property (0 Online, 1 Offline).
  returned: when O(raw=true)
  type: dict
"""

from ansible_collections.configmgr.scp.plugins.module_utils._documented_only import run_documented_only


def main() -> None:
    run_documented_only("service_connection_point_info")


if __name__ == "__main__":
    main()
