# -*- coding: utf-8 -*-
# Copyright: Contributors to the configmgr.scp collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The checks of the configmgr.scp.scp role's variables that its argument_specs cannot express: the modules' own
format rules (plugin_utils/_validate.py) named by the role's variables, and the role's combinations. Run by the
configmgr.scp.scp_role_input action, which reads the variables itself: a Jinja expression or a templated dict of
them was compiled again in every worker, once per host, the largest controller cost of a no-op role run
(docs/performance.md)."""

from __future__ import annotations

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


# the role's variables these checks read (roles/scp/meta/argument_specs.yml documents them)
ROLE_VARIABLES = (
    "scp_state",
    "scp_server",
    "scp_site_code",
    "scp_mode",
    "scp_sms_provider",
    "scp_sms_provider_site_code",
    "scp_wait_timeout",
    "scp_restart_timeout",
)


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
