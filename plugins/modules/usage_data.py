#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Contributors to the configmgr.scp collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

DOCUMENTATION = r"""
module: usage_data
short_description: Set the diagnostic (usage) data level of a Configuration Manager hierarchy
version_added: 0.1.0
description:
  - Sets the hierarchy setting C(TelemetryLevel) (Basic, Enhanced, Full) that the service connection point uploads.
  - "It is a hierarchy setting: the task must connect to the SMS Provider of the top-tier site; otherwise it fails
    naming the top-tier site and its server. Through a child primary's SMS Provider the task fails naming the
    top-tier site (or, when that provider does not list it, the child's parent site)."
  - When the current level cannot be read the task fails rather than reporting a change on every run.
author:
  - configmgr.scp contributors (@configmgr-scp)
options:
  level:
    description: Diagnostic data level.
    type: str
    required: true
    choices: [basic, enhanced, full]
extends_documentation_fragment:
  - configmgr.scp.sms_provider
  - configmgr.scp.connection
  - configmgr.scp.attributes
  - configmgr.scp.attributes.CHANGES
"""

EXAMPLES = r"""
- name: Send enhanced diagnostic data
  configmgr.scp.usage_data:
    level: enhanced
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
  description: Level before the task.
  returned: success
  type: str
  sample: Full
after:
  description: Level after the task (predicted in check mode).
  returned: success
  type: str
  sample: Enhanced
level:
  description: Same as RV(after).
  returned: success
  type: str
"""

from ansible_collections.configmgr.scp.plugins.module_utils._documented_only import run_documented_only


def main() -> None:
    run_documented_only("usage_data")


if __name__ == "__main__":
    main()
