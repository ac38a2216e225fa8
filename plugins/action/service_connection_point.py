# -*- coding: utf-8 -*-
# Copyright: Contributors to the configmgr.scp collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of configmgr.scp.service_connection_point: install, move, reconfigure or remove the SCP."""

from __future__ import annotations

from typing import Any

from ansible_collections.configmgr.scp.plugins.plugin_utils import _validate as check
from ansible_collections.configmgr.scp.plugins.plugin_utils._action import ConfigMgrAction, TaskContext, to_plain
from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp import (
    ExecutionResult,
    Plan,
    ScpHost,
    converge_scp,
    desired_scp,
    mode_changed,
    pending_after,
)


class ActionModule(ConfigMgrAction):
    MODULE = "service_connection_point"

    def check_args(self, args: dict[str, Any]) -> None:
        args["server"] = check.fqdn(args.get("server"))
        args["site_code"] = check.site_code(args.get("site_code"))
        check.positive(args.get("wait_timeout"), "wait_timeout")
        # state=present needs server, and the rules between the site_system settings, are the argument spec's
        # (required_if, SITE_SYSTEM_RULES). By hand: what state=absent refuses, since it depends on a value (the
        # spec's rules only ask for options to be given or not, and state has a default).
        if args["state"] == "absent":
            for name in ("mode", "site_system", "allow_move"):
                if args.get(name):
                    raise ValueError(f"{name} cannot be used with state=absent")
        if args.get("site_system"):
            check.site_system_settings(args["site_system"], "site_system.")

    def execute(self, ctx: TaskContext, args: dict[str, Any]) -> dict[str, Any]:
        provider = ctx.site_provider()
        desired = desired_scp(args)

        def scp_host(fqdn: str) -> ScpHost:
            return ScpHost(ctx.session(ctx.other_host(fqdn)), check_mode=ctx.check_mode)

        ctx.progress("reading the hierarchy and the service connection point")
        run = converge_scp(
            provider,
            desired,
            scp_host,
            check_mode=ctx.check_mode,
            wait_timeout=args["wait_timeout"],
            progress=ctx.progress,
        )
        return _result(ctx, run.plan, run.warnings, run.outcome)


def _result(ctx: TaskContext, plan: Plan, warnings: list[str], outcome: ExecutionResult | None) -> dict[str, Any]:
    """The module result: the plan, and what the site reads after it ran (check mode: the plan's prediction)."""
    before = to_plain(plan.before)
    result: dict[str, Any] = {
        "changed": plan.changed,
        "plan": plan.to_list(),
        "before": before,
        "restart_required": plan.restart_required,
        "moved_from": plan.moved_from,
        "drift": plan.drift,
    }
    if warnings:
        result["warnings"] = warnings
    if outcome is not None:
        result["elapsed"] = round(outcome.seconds, 1)
    after = to_plain(outcome.after if outcome is not None else plan.predicted_after)
    result.update(
        after=after, pending=pending_after(plan, ran=outcome is not None), mode_changed=mode_changed(before, after)
    )
    if ctx.diff:
        result["diff"] = {"before": before or {}, "after": after or {}}
    return result
