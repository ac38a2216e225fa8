# -*- coding: utf-8 -*-
# Copyright: Contributors to the configmgr.scp collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of configmgr.scp.site_system_server: create, configure or remove a site system server."""

from __future__ import annotations

from typing import Any

from ansible_collections.configmgr.scp.plugins.module_utils._argspec import SITE_SYSTEM_OPTIONS
from ansible_collections.configmgr.scp.plugins.plugin_utils import _validate as check
from ansible_collections.configmgr.scp.plugins.plugin_utils._action import ConfigMgrAction, TaskContext
from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp import (
    DesiredSiteSystem,
    accounts_to_check,
    execute_site_system,
    plan_site_system,
    read_accounts,
    site_system_reads,
)


class ActionModule(ConfigMgrAction):
    MODULE = "site_system_server"

    def check_args(self, args: dict[str, Any]) -> None:
        args["server"] = check.fqdn(args.get("server"))
        args["site_code"] = check.site_code(args.get("site_code"))
        # The rules between the settings are the argument spec's (SITE_SYSTEM_RULES). By hand: what state=absent
        # refuses, since it depends on a value (use_site_server_account has a default), and each setting's format.
        if args["state"] == "absent":
            extra = [n for n in SITE_SYSTEM_OPTIONS if args.get(n) not in (None, "", False)]
            if extra:
                raise ValueError(f"state=absent takes no settings, got {', '.join(extra)}")
        check.site_system_settings(args)

    def execute(self, ctx: TaskContext, args: dict[str, Any]) -> dict[str, Any]:
        provider = ctx.site_provider()
        desired = DesiredSiteSystem(
            server=args["server"], state=args["state"], site_code=args["site_code"], settings=args
        )
        state = provider.read_state(include=site_system_reads(desired.state))
        accounts = read_accounts(provider, accounts_to_check(state, desired, ctx.check_mode), desired.server)
        plan = plan_site_system(state, desired, accounts)
        after = plan.after if ctx.check_mode else execute_site_system(plan, provider, ctx.progress)
        result: dict[str, Any] = {
            "changed": plan.changed,
            "before": plan.before,
            "after": after,
            "changes": list(plan.changes),
        }
        if ctx.diff:
            result["diff"] = {"before": plan.before or {}, "after": after or {}}
        return result
