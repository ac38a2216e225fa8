# -*- coding: utf-8 -*-
# Copyright: Contributors to the configmgr.scp collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""FOR INTERNAL COLLECTION USE ONLY.

Small reads shared by several action plugins.
"""
from __future__ import annotations

import re
from typing import Any, Optional

from ansible_collections.configmgr.scp.plugins.plugin_utils._action import TaskContext
from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.configmgr.provider import SiteProvider
from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.errors import ConfigMgrError
from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.logs import LogEntry

# The downloader logs its mode when the thread starts; the last such line is the mode it actually uses.
_MODE_LINE = re.compile(r"\b(online|offline)\s+mode\b", re.I)


def scp_server(ctx: TaskContext, provider: Optional[SiteProvider] = None) -> str:
    """The FQDN of the server that hosts the service connection point (read through the SMS Provider)."""
    provider = provider or SiteProvider(ctx.session(), check_mode=ctx.check_mode)
    state = provider.read_state(include=("sites", "scp"))
    if state.scp is None:
        raise ConfigMgrError("the hierarchy has no service connection point; give server explicitly",
                             ctx.target.describe(), "find the service connection point")
    return state.scp.server


def effective_mode(entries: list[LogEntry]) -> Optional[str]:
    """Online/Offline from the last "... online|offline mode" line of dmpdownloader.log, or None."""
    for entry in reversed(entries):
        match = _MODE_LINE.search(entry.message or "")
        if match:
            return match.group(1).capitalize()
    return None


def entry_dict(entry: LogEntry) -> dict[str, Any]:
    return {"time": entry.time.isoformat() if entry.time else None, "severity": entry.severity,
            "component": entry.component, "thread": entry.thread, "message": entry.message,
            "source": entry.source, "line_number": entry.line_number, "format": entry.format}
