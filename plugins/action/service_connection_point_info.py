# -*- coding: utf-8 -*-
# Copyright: Contributors to the configmgr.scp collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of configmgr.scp.service_connection_point_info: hierarchy, SCP, thread state, log tail."""

from __future__ import annotations

from typing import Any

from ansible_collections.configmgr.scp.plugins.plugin_utils._action import (
    ConfigMgrAction,
    TaskContext,
    raw_plain,
    to_plain,
)
from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp import (
    INFO_READS,
    ScpHost,
    plan_info,
    read_scp_host,
    scp_view,
    site_system_views,
)


class ActionModule(ConfigMgrAction):
    MODULE = "service_connection_point_info"

    def check_args(self, args: dict[str, Any]) -> None:
        if args["log_tail"] < 0:
            raise ValueError(f"log_tail must be 0 (no log) or a positive number of lines, got {args['log_tail']!r}")

    def execute(self, ctx: TaskContext, args: dict[str, Any]) -> dict[str, Any]:
        state = ctx.site_provider(check_mode=True).read_state(include=INFO_READS, raw=args["raw"])  # changes nothing
        plan = plan_info(state, thread=args["thread"], log_tail=args["log_tail"])
        host = (
            ScpHost(ctx.session(ctx.other_host(plan.server)), check_mode=True) if plan.steps and plan.server else None
        )
        seen = read_scp_host(plan, host, ctx.progress)
        top = state.hierarchy.top_tier
        result: dict[str, Any] = {
            "changed": False,
            "site_code": state.site_code,
            "provider": state.provider,
            "module_version": state.module_version,
            "hierarchy": to_plain(state.hierarchy),
            "top_tier_site_code": top.site_code if top else None,
            "scp": scp_view(state, plan, seen),
            "site_systems": site_system_views(state),
            "usage_data_level": state.usage_data_level,
            "updates_in_progress": list(state.updates_in_progress),
            "intent": to_plain(state.intent),
        }
        if args["raw"]:
            result["raw"] = {
                "scp": raw_plain(state.scp) if state.scp else None,
                "site_systems": [raw_plain(s) for s in state.site_systems],
            }
        return result
