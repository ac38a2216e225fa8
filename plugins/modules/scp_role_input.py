#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Contributors to the configmgr.scp collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

DOCUMENTATION = r"""
module: scp_role_input
short_description: Check the variables of the configmgr.scp.scp role
version_added: 1.0.0
description:
  - Checks what the role's argument_specs cannot express (formats, ranges, combinations) with the same rules as the
    modules, before the role changes anything, and fails with one message per problem, each naming the variable.
  - Reads the role's variables (C(scp_state), C(scp_server), C(scp_site_code), C(scp_mode), C(scp_sms_provider),
    C(scp_sms_provider_site_code), C(scp_wait_timeout), C(scp_restart_timeout)) from the task's variables, as
    M(ansible.builtin.validate_argument_spec) does for a role; it takes no options.
  - The first task of the configmgr.scp.scp role; not meant for playbooks. Runs on the controller and connects to
    no host.
author:
  - configmgr.scp contributors (@configmgr-scp)
options: {}
attributes:
  action:
    description: Runs as an action plugin on the controller.
    support: full
  async:
    description: Async is not supported.
    support: none
  bypass_host_loop:
    description: Runs once per inventory host.
    support: none
  check_mode:
    description: Reads variables only; runs the same in check mode.
    support: full
  diff_mode:
    description: Returns no diff; nothing changes.
    support: none
  platform:
    description: Runs on the controller only.
    support: full
    platforms: all
"""

EXAMPLES = r"""
- name: Check the role's variables (the role's own first task)
  configmgr.scp.scp_role_input:
  vars:
    scp_state: present
    scp_server: scp01.contoso.com
"""

RETURN = r"""
msg:
  description: The problems found, each naming the variable, after C(configmgr.scp.scp:); or that the input is valid.
  returned: always
  type: str
  sample: "configmgr.scp.scp: scp_server is required with scp_state=present: the FQDN of the server that hosts the service connection point"
"""
