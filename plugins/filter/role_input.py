# -*- coding: utf-8 -*-
# Copyright: Contributors to the configmgr.scp collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The checks of the configmgr.scp.scp role's variables that its argument_specs cannot express, in Python: the
modules' own format rules (plugin_utils/_validate.py) with the role's variable names, and the role's combinations.
A filter, not a Jinja expression, because the expression was compiled again in every worker, once per host: the
largest controller cost of a no-op role run (docs/performance.md)."""

from __future__ import annotations

DOCUMENTATION = r"""
name: scp_role_input_errors
author: Contributors to the configmgr.scp collection
version_added: 1.0.0
short_description: The input errors of the configmgr.scp.scp role's variables
description:
  - Checks what the role's argument_specs cannot express (formats, ranges, combinations) with the same rules as the
    modules, and returns one message per problem, each naming the variable. An empty list means the input is good.
  - Used by the role's first task; not meant for playbooks.
positional: _input
options:
  _input:
    description: The role's variables, by name (C(scp_state), C(scp_server), C(scp_site_code), C(scp_mode),
      C(scp_sms_provider), C(scp_sms_provider_site_code), C(scp_wait_timeout), C(scp_restart_timeout)).
    type: dict
    required: true
"""

EXAMPLES = r"""
- name: Check the role's variables
  ansible.builtin.assert:
    that: errors | length == 0
    fail_msg: "{{ errors | join('; ') }}"
  vars:
    errors: "{{ {'scp_state': 'present', 'scp_server': 'scp01'} | configmgr.scp.scp_role_input_errors }}"
"""

RETURN = r"""
_value:
  description: One message per problem, naming the variable and the reason; empty when the input is good.
  type: list
  elements: str
"""

import json
import re
from collections.abc import Callable, Mapping
from typing import Any

from ansible_collections.configmgr.scp.plugins.plugin_utils import _validate as check

_WHOLE_NUMBER = re.compile(r"^\s*[+-]?[0-9]+\s*$")
SHOWN = 60  # characters of a bad value repeated in a message


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _shown(value: Any) -> str:
    text = str(value)
    return json.dumps(text if len(text) <= SHOWN else text[:SHOWN] + "...")


def _format(name: str, value: str, rule: Callable[[str | None, str], str | None]) -> str | None:
    try:
        rule(value, name)
    except ValueError as err:
        return str(err)
    return None


def scp_role_input_errors(values: Mapping[str, Any]) -> list[str]:
    """One message per problem of the role's variables (none: the input is good)."""
    errors: list[str | None] = []
    state = _text(values.get("scp_state")) or "present"
    server, mode = _text(values.get("scp_server")), _text(values.get("scp_mode"))
    provider, provider_site = _text(values.get("scp_sms_provider")), _text(values.get("scp_sms_provider_site_code"))
    if state == "present" and not server:
        errors.append(
            "scp_server is required with scp_state=present: the FQDN of the server that hosts the service "
            "connection point"
        )
    for name, rule in (
        ("scp_server", check.fqdn),
        ("scp_site_code", check.site_code),
        ("scp_sms_provider", check.fqdn),
        ("scp_sms_provider_site_code", check.site_code),
    ):
        value = _text(values.get(name))
        if value:
            errors.append(_format(name, value, rule))
    if bool(provider) != bool(provider_site):
        errors.append("scp_sms_provider and scp_sms_provider_site_code go together: give both or neither")
    if state == "absent" and mode:
        errors.append(f"scp_mode cannot be used with scp_state=absent, got {_shown(mode)}")
    for name in ("scp_wait_timeout", "scp_restart_timeout"):
        seconds = str(values.get(name))
        if not _WHOLE_NUMBER.match(seconds) or int(seconds) <= 0:
            errors.append(f"{name} must be a whole number of seconds greater than 0, got {_shown(seconds)}")
    return [e for e in errors if e]


class FilterModule:
    """configmgr.scp's filters."""

    def filters(self) -> dict[str, Callable[..., Any]]:
        return {"scp_role_input_errors": scp_role_input_errors}
