# -*- coding: utf-8 -*-
# Copyright: Contributors to the configmgr.scp collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of configmgr.scp.usage_data: the hierarchy's diagnostic (usage) data level."""
from __future__ import annotations

from typing import Any

from ansible_collections.configmgr.scp.plugins.plugin_utils._action import ConfigMgrAction, TaskContext
from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.configmgr.provider import SiteProvider
from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.errors import PlanRefused


class ActionModule(ConfigMgrAction):
    MODULE = "usage_data"

    def execute(self, ctx: TaskContext, args: dict[str, Any]) -> dict[str, Any]:
        provider = SiteProvider(ctx.session(), check_mode=ctx.check_mode)
        state = provider.read_state(include=("sites", "usage"))
        top = state.hierarchy.top_tier
        if top is not None and state.site_code != top.site_code:
            raise PlanRefused("the usage data level is a hierarchy setting of the top-tier site; %s is site %s, the "
                              "top-tier site is %s on %s: run the task against that server"
                              % (ctx.target.name, state.site_code, top.site_code, top.server), ctx.target.describe(),
                              "set the usage data level")
        wanted = args["level"].capitalize()
        before = state.usage_data_level
        changed = (before or "").lower() != wanted.lower()
        if changed and not ctx.check_mode:
            ctx.progress("setting the usage data level to %s (was %s)" % (wanted, before))
            provider.set_usage_data_level(wanted)
            after = provider.read_state(include=("sites", "usage")).usage_data_level
        else:
            after = wanted
        result: dict[str, Any] = {"changed": changed, "before": before, "after": after, "level": after}
        if ctx.diff:
            result["diff"] = {"before": {"usage_data_level": before}, "after": {"usage_data_level": after}}
        return result
