#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Contributors to the configmgr.scp collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

DOCUMENTATION = r"""
module: site_updates
short_description: List the Configuration Manager site updates and check for updates through an online SCP
version_added: 1.0.0
description:
  - Lists the site's updates (C(Get-CMSiteUpdate -Fast) through the SMS Provider the task connects to) with name,
    version, the C(CM_UpdatePackages) state as code and name, and what that state means.
  - With O(check=true), triggers a check for updates (C(Invoke-CMSiteUpdateCheck), the console's B(Check for updates))
    and waits up to O(wait_timeout) seconds until C(dmpdownloader.log) on the server that hosts the service connection
    point shows the check's result. The log is read from the SCP host's clock before the trigger on, and each poll
    reads only the lines written since the last one. It returns what the downloader logged and the updates after the
    check.
  - The check succeeds when the log shows C(Successfully Dropped the state message 4), the line Microsoft's
    updates-and-servicing troubleshooting guide shows for state message 4 (MANIFEST_DOWNLOADED). An error line
    after the trigger, before that line, is taken as a failed check (our reading, as no documented line announces a
    failed check).
  - When the check fails or logs no result in time, the task fails and runs the endpoint and TLS 1.2 checks of
    M(configmgr.scp.preflight) on the SCP host (through the proxy of its site system), and says in its message and in
    RV(diagnosis) which of them fail (an endpoint not reachable directly or through the proxy, the .NET TLS 1.2
    settings), or that they pass.
  - A check is refused, before anything is triggered, when there is no SCP, when the SCP is in offline mode (it does
    not connect to the service; import updates with the service connection tool, C(configmgr.scp.service_connection_tool)),
    when C(SMS_DMP_DOWNLOADER) does not run on the SCP host, or when a mode change has not been applied by a restart
    of that thread yet.
notes:
  - What RV(updates[].status) calls V(available) (C(APPLICABILITY_SUCCESS), 327682) and V(ready_to_install)
    (C(DOWNLOAD_SUCCESS), 262146) is our reading of Microsoft's state names, not a documented mapping; the codes that
    mean V(installing) are an unverified list (the prerequisite-check and install ranges).
  - Sources are listed in the collection's docs/modules.md (section site_updates).
author:
  - configmgr.scp contributors (@configmgr-scp)
options:
  check:
    description:
      - Trigger a check for updates and wait for the downloader's result. Without it the module only lists the updates
        and changes nothing.
    type: bool
    default: false
  wait_timeout:
    description: Seconds to wait, after the trigger, for the result in C(dmpdownloader.log).
    type: int
    default: 600
extends_documentation_fragment:
  - configmgr.scp.sms_provider
  - configmgr.scp.connection
  - configmgr.scp.attributes
attributes:
  check_mode:
    description: Lists the updates; with O(check=true) triggers nothing and returns C(changed=true) for the check it would trigger.
    support: full
  diff_mode:
    description: Returns no diff.
    support: none
seealso:
  - module: configmgr.scp.preflight
  - module: configmgr.scp.service_connection_point_info
"""

EXAMPLES = r"""
- name: List the site updates
  configmgr.scp.site_updates:
  register: site_updates

- name: Prove that the online SCP reaches the service
  configmgr.scp.site_updates:
    check: true
    wait_timeout: 900
  register: update_check
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
server:
  description: The server that hosts the service connection point; null without one.
  returned: always
  type: str
  sample: scp01.contoso.com
mode:
  description: The SCP's configured mode, V(Online) or V(Offline); null without an SCP.
  returned: always
  type: str
  sample: Online
updates:
  description: The site's updates (after the check, when one ran).
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: Name of the update.
      type: str
      sample: Configuration Manager 2509
    version:
      description: Its full version.
      type: str
      sample: 5.00.9140.1000
    package_guid:
      description: Its package GUID.
      type: str
    state_code:
      description: C(CM_UpdatePackages.State).
      type: int
      sample: 327682
    state:
      description: Microsoft's name of that state when it is one of the documented codes, else null.
      type: str
      sample: APPLICABILITY_SUCCESS
    status:
      description: V(available), V(downloading), V(ready_to_install), V(installing), V(installed), V(download_failed) or V(unknown).
      type: str
    applicable:
      description: V(available), V(downloading), V(ready_to_install) or V(installing).
      type: bool
    downloading:
      description: The update is downloading.
      type: bool
    ready_to_install:
      description: The update is downloaded and ready to install.
      type: bool
    installing:
      description: The update is being installed (its prerequisite check included).
      type: bool
    installed:
      description: The update is installed.
      type: bool
updates_before:
  description: The updates before the check, in the form of RV(updates).
  returned: when a check ran
  type: list
  elements: dict
new_updates:
  description: Names of the updates listed after the check and not before.
  returned: when a check ran
  type: list
  elements: str
check:
  description: The check for updates.
  returned: with O(check=true), unless refused
  type: dict
  contains:
    triggered:
      description: Whether Invoke-CMSiteUpdateCheck ran (false in check mode).
      type: bool
    result:
      description: V(synced), V(failed) or V(timeout); null in check mode.
      type: str
    since:
      description: The SCP host's time before the trigger (ISO 8601); the log was read from then on.
      type: str
    waited:
      description: Seconds waited after the trigger.
      type: float
    log_path:
      description: The downloader's log on the SCP host.
      type: str
    state_messages:
      description: Numbers of the state messages the downloader dropped after the trigger (4 is MANIFEST_DOWNLOADED).
      type: list
      elements: int
    log:
      description: The dmpdownloader.log entries written after the trigger, as M(configmgr.scp.log_info) returns entries.
      type: list
      elements: dict
    steps:
      description: The planned steps (check mode).
      type: list
      elements: dict
diagnosis:
  description:
    - When the check did not sync, the C(internet_endpoints) and C(tls12) checks of M(configmgr.scp.preflight) run on
      the SCP host, in the form of the C(checks) that module returns.
  returned: when the check failed or timed out
  type: list
  elements: dict
"""

from ansible_collections.configmgr.scp.plugins.module_utils._documented_only import run_documented_only


def main() -> None:
    run_documented_only("site_updates")


if __name__ == "__main__":
    main()
