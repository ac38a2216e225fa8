# -*- coding: utf-8 -*-
# Copyright: Contributors to the configmgr.scp collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of configmgr.scp.log_info: read and parse a ConfigMgr log from the host that writes it."""

from __future__ import annotations

from typing import Any

from ansible_collections.configmgr.scp.plugins.plugin_utils import _validate as check
from ansible_collections.configmgr.scp.plugins.plugin_utils._action import ConfigMgrAction, TaskContext
from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp import (
    LOG_READS,
    LogQuery,
    ScpHost,
    execute_log_read,
    plan_log_read,
)


class ActionModule(ConfigMgrAction):
    MODULE = "log_info"

    def check_args(self, args: dict[str, Any]) -> None:
        args["server"] = check.fqdn(args.get("server"))
        check.positive(args.get("tail"), "tail")
        args["since_time"] = check.since(args.get("since"))
        check.regex(args.get("match"))

    def execute(self, ctx: TaskContext, args: dict[str, Any]) -> dict[str, Any]:
        query = LogQuery(
            name=args["name"],
            server=args["server"],
            tail=args["tail"],
            since=args["since_time"],
            severity=args.get("severity"),
            match=args.get("match"),
        )
        state = ctx.site_provider(check_mode=True).read_state(include=LOG_READS)  # never changes anything
        plan = plan_log_read(state, query, ctx.check_mode)
        host = ScpHost(ctx.session(ctx.other_host(plan.server)), check_mode=True) if plan.server else None
        outcome = execute_log_read(plan, host, ctx.check_mode, ctx.progress)
        result: dict[str, Any] = {
            "changed": False,
            "server": outcome.server,
            "path": outcome.path,
            "entries": [e.to_dict() for e in outcome.entries],
            "read": outcome.read,
        }
        if outcome.installed is not None:
            result.update(installed=outcome.installed, msg=outcome.msg)
        return result
