#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Contributors to the configmgr.scp collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

DOCUMENTATION = r"""
module: preflight
short_description: Check the prerequisites for a Configuration Manager service connection point server
version_added: 0.1.0
description:
  - Runs the prerequisite checks for hosting the service connection point on O(server), through the SMS Provider
    the task connects to and a session to O(server).
  - "Checks: top-tier site, one SCP per hierarchy, high-availability (passive site server) placement, local
    administrator rights of the site server computer account or the installation account, internet endpoints
    (direct or through the site system proxy), .NET TLS 1.2 settings, usage data level, Azure AD app secrets."
  - Each check is V(pass), V(warn) or V(fail) with evidence and a documentation link. Never changes anything.
  - "C(site_server_admin) reads the direct members of the local Administrators of O(server) (C(Get-LocalGroupMember));
    it does not expand groups. The site server computer account (or the configured installation account) listed there
    passes. When it is not listed but a group is (a domain group such as C(CONTOSO\\Domain Admins), a well-known group,
    or a member whose kind is not returned), the account may be an Administrator through that group: the check warns
    and names those groups in its evidence (C(groups)) with C(administrators) and C(not_listed). It fails only when the
    absence is proven: the list was read and holds no such account and no group. An empty list (not readable) warns."
  - When O(server) cannot be reached, its local checks are reported as warnings.
author:
  - configmgr.scp contributors (@configmgr-scp)
options:
  server:
    description: FQDN of the planned SCP server.
    type: str
    required: true
  site_code:
    description: Planned site of the SCP. Default is the site of the SMS Provider.
    type: str
  mode:
    description: Planned mode; internet checks fail in V(online) mode and only warn in V(offline) mode. Default is the current mode, else V(online).
    type: str
    choices: [online, offline]
  allow_move:
    description: An existing SCP on another server is expected (a move) and only warns.
    type: bool
    default: false
  fail_on:
    description:
      - V(error) fails the task when a check fails; V(warning) also when a check warns; V(never) only reports.
    type: str
    default: error
    choices: [error, warning, never]
extends_documentation_fragment:
  - configmgr.scp.sms_provider
  - configmgr.scp.connection
  - configmgr.scp.attributes
  - configmgr.scp.attributes.READ_ONLY
"""

EXAMPLES = r"""
- name: Check scp01 before installing the SCP there
  configmgr.scp.preflight:
    server: scp01.contoso.com
    fail_on: error
  register: preflight

- name: Report only
  configmgr.scp.preflight:
    server: scp02.contoso.com
    allow_move: true
    fail_on: never
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
  description: The planned SCP server.
  returned: success
  type: str
  sample: scp01.contoso.com
status:
  description: The worst status of all checks (pass, warn, fail).
  returned: always
  type: str
  sample: warn
checks:
  description: One entry per check.
  returned: always
  type: list
  elements: dict
  contains:
    id:
      description: Check id (top_tier_site, single_scp, ha_placement, site_server_admin, internet_endpoints, tls12, usage_data_level, aad_secret_expiry).
      type: str
    status:
      description: pass, warn or fail.
      type: str
    message:
      description: What was found, naming host and object.
      type: str
    evidence:
      description: The values the decision was based on.
      type: dict
    reference:
      description: Documentation link.
      type: str
failed_checks:
  description: Ids of the failed checks.
  returned: always
  type: list
  elements: str
warning_checks:
  description: Ids of the checks that warned.
  returned: always
  type: list
  elements: str
"""

from ansible_collections.configmgr.scp.plugins.module_utils._documented_only import run_documented_only


def main() -> None:
    run_documented_only("preflight")


if __name__ == "__main__":
    main()
