# -*- coding: utf-8 -*-
# Copyright: Contributors to the configmgr.scp collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of configmgr.scp.site_updates: list the site's updates; with check=true, check for updates through
the online SCP and wait for the downloader's result."""

from __future__ import annotations

from typing import Any

from ansible_collections.configmgr.scp.plugins.plugin_utils import _validate as check
from ansible_collections.configmgr.scp.plugins.plugin_utils._action import ConfigMgrAction, TaskContext, to_plain
from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp import (
    UPDATES_READS,
    ScpHost,
    diagnose,
    execute_update_check,
    failure_message,
    needs_thread,
    new_updates,
    plan_site_updates,
    update_view,
)


class ActionModule(ConfigMgrAction):
    MODULE = "site_updates"

    def check_args(self, args: dict[str, Any]) -> None:
        check.positive(args.get("wait_timeout"), "wait_timeout")

    def execute(self, ctx: TaskContext, args: dict[str, Any]) -> dict[str, Any]:
        provider = ctx.site_provider()
        state = provider.read_state(include=UPDATES_READS)
        host = None
        thread = None
        if needs_thread(args["check"], state) and state.scp is not None:
            host = ScpHost(ctx.session(ctx.other_host(state.scp.server)), check_mode=ctx.check_mode)
            thread = host.thread_state()
        plan = plan_site_updates(state, args["check"], args["wait_timeout"], ctx.check_mode, thread)
        result: dict[str, Any] = {
            "changed": plan.changed,
            "server": plan.server,
            "mode": plan.mode,
            "updates": [update_view(u) for u in state.updates],
        }
        if plan.failure:
            return {**result, "changed": False, "failed": True, "msg": plan.failure}
        if not plan.steps:
            return result
        result["check"] = {"triggered": False, "result": None, "steps": [s.to_dict() for s in plan.steps]}
        if ctx.check_mode or host is None or plan.server is None:
            return {**result, "msg": plan.msg}
        run = execute_update_check(plan, provider, host, ctx.progress)
        after = provider.read_state(include=UPDATES_READS)
        result.update(
            updates=[update_view(u) for u in after.updates],
            updates_before=result["updates"],
            new_updates=new_updates(state.updates, after.updates),
            check={
                "triggered": True,
                "result": run.result,
                "since": run.since.isoformat(),
                "waited": round(run.waited, 1),
                "log_path": run.log_path,
                "state_messages": run.outcome.state_messages,
                "log": [e.to_dict() for e in run.outcome.entries],
            },
        )
        if run.result == "synced":
            return result
        ctx.progress(f"the check did not sync: probing the endpoints and TLS 1.2 on {plan.server}")
        findings = diagnose(host, plan.server, after.site_system(plan.server))
        result.update(
            failed=True,
            diagnosis=[to_plain(f) for f in findings],
            msg=failure_message(plan.server, run.outcome, run.waited, findings),
        )
        return result
