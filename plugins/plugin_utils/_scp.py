# -*- coding: utf-8 -*-
# Copyright: Contributors to the configmgr.scp collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""FOR INTERNAL COLLECTION USE ONLY.

Small reads and builders shared by several action plugins.
"""
from __future__ import annotations

import re
from typing import Any, Mapping, Optional

from ansible_collections.configmgr.scp.plugins.plugin_utils._action import TaskContext
from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.configmgr.model import SiteSystemSpec
from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.configmgr.provider import SiteProvider, normalise_mode
from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.errors import ConfigMgrError
from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.logs import LogEntry

# The downloader logs its mode when the thread starts; the last such line is the mode it actually uses.
_MODE_LINE = re.compile(r"\b(online|offline)\s+mode\b", re.I)
UNKNOWN_MODE = "unknown"
SITE_SYSTEM_FIELDS = ("account_name", "use_site_server_account", "proxy_server", "proxy_port", "proxy_account", "public_fqdn")


def scp_server(ctx: TaskContext, provider: Optional[SiteProvider] = None) -> str:
    """The FQDN of the server that hosts the service connection point (read through the SMS Provider)."""
    provider = provider or ctx.site_provider()
    state = provider.read_state(include=("sites", "scp"))
    if state.scp is None:
        raise ConfigMgrError("the hierarchy has no service connection point; give server explicitly",
                             ctx.target.describe(), "find the service connection point")
    return state.scp.server


def effective_mode(entries: list[LogEntry]) -> str:
    """Online/Offline from the last "... online|offline mode" line of dmpdownloader.log, else `unknown`."""
    for entry in reversed(entries):
        match = _MODE_LINE.search(entry.message or "")
        if match:
            return normalise_mode(match.group(1))
    return UNKNOWN_MODE


def site_system_spec(server: Optional[str], options: Optional[Mapping[str, Any]],
                     site_code: Optional[str] = None) -> Optional[SiteSystemSpec]:
    """The desired site system settings from module options (top level or the `site_system` suboptions)."""
    if not options or not server:
        return None
    return SiteSystemSpec(server=server, site_code=site_code, account_name=options.get("account_name"),
                          use_site_server_account=bool(options.get("use_site_server_account")),
                          proxy_server=options.get("proxy_server"), proxy_port=options.get("proxy_port"),
                          proxy_account=options.get("proxy_account"), public_fqdn=options.get("public_fqdn"))


def set_fields(options: Mapping[str, Any]) -> frozenset[str]:
    """The settings the user gave (a false use_site_server_account is the default, not a wish)."""
    given = {name for name in SITE_SYSTEM_FIELDS if options.get(name) not in (None, "", False)}
    if "proxy_server" in given:
        given.add("proxy_enabled")
    return frozenset(given)


def changed_settings(spec: SiteSystemSpec, current: Any, options: Mapping[str, Any]) -> dict[str, Any]:
    """Differences between `spec` and `current`, limited to the settings the user set: a setting left out
    keeps whatever the server has and never makes the task report a change."""
    given = set_fields(options)
    return {key: value for key, value in spec.differences(current).items() if key in given}
