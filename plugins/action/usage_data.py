# -*- coding: utf-8 -*-
# Copyright: Contributors to the configmgr.scp collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of configmgr.scp.usage_data: the hierarchy's diagnostic (usage) data level."""
from __future__ import annotations

from typing import Any

from ansible_collections.configmgr.scp.plugins.plugin_utils._action import ConfigMgrAction, TaskContext
from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.configmgr.model import ProviderState
from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.errors import ConfigMgrError, PlanRefused


def refuse_below_top_tier(ctx: TaskContext, state: ProviderState) -> None:
    """The level is a hierarchy-wide setting of the top-tier site. Through a child primary's provider the top tier
    is named; should that provider not list the CAS (top_tier None), the child's parent is named instead."""
    top = state.hierarchy.top_tier
    if top is not None and state.site_code == top.site_code:
        return
    site = state.hierarchy.site(state.site_code)
    if top is not None:
        where = "the top-tier site is %s on %s" % (top.site_code, top.server)
    elif site is not None and site.parent:
        where = "its parent, the top-tier site, is %s" % site.parent
    else:
        where = "the top-tier site is not visible from here"
    raise PlanRefused("the usage data level is a hierarchy setting of the top-tier site; %s is site %s and %s: run the "
                      "task against the SMS Provider of that site" % (ctx.target.name, state.site_code, where),
                      ctx.target.describe(), "set the usage data level")


class ActionModule(ConfigMgrAction):
    MODULE = "usage_data"

    def execute(self, ctx: TaskContext, args: dict[str, Any]) -> dict[str, Any]:
        provider = ctx.site_provider()
        state = provider.read_state(include=("sites", "usage"))
        refuse_below_top_tier(ctx, state)
        wanted = args["level"].capitalize()
        before = state.usage_data_level
        if before is None:
            raise ConfigMgrError("could not read the current usage data level (Get-CMHierarchySetting returned no "
                                 "TelemetryLevel for site %s); check that the account may read the hierarchy settings"
                                 % state.site_code,
                                 ctx.target.describe(), "read the usage data level")
        changed = before.lower() != wanted.lower()
        if changed and not ctx.check_mode:
            ctx.progress("setting the usage data level to %s (was %s)" % (wanted, before))
            provider.set_usage_data_level(wanted)
            ctx.mutated("set the usage data level to %s" % wanted)
            after = provider.read_state(include=("sites", "usage")).usage_data_level
        else:
            after = wanted
        result: dict[str, Any] = {"changed": changed, "before": before, "after": after, "level": after}
        if ctx.diff:
            result["diff"] = {"before": {"usage_data_level": before}, "after": {"usage_data_level": after}}
        return result
