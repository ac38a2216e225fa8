# -*- coding: utf-8 -*-
# Copyright: Contributors to the configmgr.scp collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of configmgr.scp.usage_data: the hierarchy's diagnostic (usage) data level."""

from __future__ import annotations

from typing import Any

from ansible_collections.configmgr.scp.plugins.plugin_utils._action import ConfigMgrAction, TaskContext
from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp import (
    USAGE_READS,
    execute_usage_data,
    plan_usage_data,
)


class ActionModule(ConfigMgrAction):
    MODULE = "usage_data"

    def execute(self, ctx: TaskContext, args: dict[str, Any]) -> dict[str, Any]:
        provider = ctx.site_provider()
        plan = plan_usage_data(provider.read_state(include=USAGE_READS), args["level"])
        after = plan.after if ctx.check_mode else execute_usage_data(plan, provider, ctx.progress)
        result: dict[str, Any] = {"changed": plan.changed, "before": plan.before, "after": after, "level": after}
        if ctx.diff:
            result["diff"] = {"before": {"usage_data_level": plan.before}, "after": {"usage_data_level": after}}
        return result
