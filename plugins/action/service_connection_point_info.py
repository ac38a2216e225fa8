# -*- coding: utf-8 -*-
# Copyright: Contributors to the configmgr.scp collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of configmgr.scp.service_connection_point_info: hierarchy, SCP, thread state, log tail."""
from __future__ import annotations

from typing import Any

from ansible_collections.configmgr.scp.plugins.plugin_utils._action import ConfigMgrAction, TaskContext, raw_plain, to_plain
from ansible_collections.configmgr.scp.plugins.plugin_utils._scp import effective_mode
from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.configmgr.scphost import ScpHost
from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.errors import ConfigMgrError, HostUnreachable

MODE_LOG_LINES = 300


class ActionModule(ConfigMgrAction):
    MODULE = "service_connection_point_info"

    def check_args(self, args: dict[str, Any]) -> None:
        if args["log_tail"] < 0:
            raise ValueError("log_tail must be 0 (no log) or a positive number of lines, got %r" % args["log_tail"])

    def execute(self, ctx: TaskContext, args: dict[str, Any]) -> dict[str, Any]:
        provider = ctx.site_provider(check_mode=True)      # never changes anything
        state = provider.read_state()
        scp = None
        if state.scp is not None:
            system = state.site_system(state.scp.server)
            scp = {"server": state.scp.server, "site_code": state.scp.site_code,
                   "mode": state.scp.mode, "configured_mode": state.scp.mode, "effective_mode": None,
                   "installed": None, "thread": None, "site_system": to_plain(system) if system else None}
            if args["thread"] or args["log_tail"]:
                self._scp_host_details(ctx, scp, args["log_tail"])
        top = state.hierarchy.top_tier
        return {
            "changed": False,
            "site_code": state.site_code,
            "provider": ctx.target.name,
            "module_version": state.module_version,
            "hierarchy": to_plain(state.hierarchy),
            "top_tier_site_code": top.site_code if top else None,
            "scp": scp,
            "site_systems": [to_plain(s) for s in state.site_systems],
            "usage_data_level": state.usage_data_level,
            "updates_in_progress": list(state.updates_in_progress),
            "raw": {"scp": raw_plain(state.scp) if state.scp else None,
                    "site_systems": [raw_plain(s) for s in state.site_systems]},
        }

    @staticmethod
    def _scp_host_details(ctx: TaskContext, scp: dict[str, Any], log_tail: int) -> None:
        host = ScpHost(ctx.session(ctx.other_host(scp["server"])), check_mode=True)
        thread = host.thread_state()
        data = to_plain(thread)
        data["host"] = scp["server"]
        scp["thread"] = data
        scp["installed"] = thread.present
        if not thread.present:
            return
        try:
            entries = host.read_log(tail=max(log_tail, MODE_LOG_LINES))
        except ConfigMgrError as err:
            if isinstance(err, HostUnreachable):
                raise
            ctx.progress("cannot read dmpdownloader.log on %s: %s" % (scp["server"], err))
            return
        scp["effective_mode"] = effective_mode(entries) if thread.running else None
        if log_tail:
            scp["log"] = [e.to_dict() for e in entries[-log_tail:]]
