# -*- coding: utf-8 -*-
# Copyright: Contributors to the configmgr.scp collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of configmgr.scp.component: start, stop or restart an SMS_EXECUTIVE thread on a site system."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from ansible_collections.configmgr.scp.plugins.plugin_utils import _validate as check
from ansible_collections.configmgr.scp.plugins.plugin_utils._action import ConfigMgrAction, TaskContext, error_result
from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp import (
    COMPONENT_READS,
    ComponentOutcome,
    ComponentPlan,
    ComponentRequest,
    ConfigMgrError,
    ScpHost,
    component_server,
    execute_component,
    failure_after_restart,
    plan_component,
    restarts_downloader,
    reverify_after_restart,
    stops_downloader,
    thread_view,
)


class ActionModule(ConfigMgrAction):
    MODULE = "component"

    def check_args(self, args: dict[str, Any]) -> None:
        # Types and choices are the argument spec's. By hand: the formats and the range, and two rules on values
        # (an argument spec's rules only ask for options to be given or not, whatever their value).
        args["name"] = check.thread_name(args["name"])
        args["server"] = check.fqdn(args.get("server"))
        check.positive(args.get("timeout"), "timeout")
        if args["method"] == "service" and args["state"] != "restarted":
            raise ValueError("method=service restarts SMS_EXECUTIVE and applies only to state=restarted")
        if not args["fallback"] and args["method"] == "service":
            raise ValueError("fallback=false applies to method=thread; method=service always restarts SMS_EXECUTIVE")

    def execute(self, ctx: TaskContext, args: dict[str, Any]) -> dict[str, Any]:
        request = ComponentRequest(
            name=args["name"],
            state=args["state"],
            server=args["server"],
            method=args["method"],
            fallback=args["fallback"],
            timeout=args["timeout"],
        )
        # the SMS Provider is read only to find the SCP's server
        state = None if request.server else ctx.site_provider().read_state(include=COMPONENT_READS)
        server = component_server(request, state, ctx.check_mode)
        target = ctx.other_host(server) if server else None
        host = ScpHost(ctx.session(target), check_mode=ctx.check_mode) if target else None
        before = host.thread_state(request.name) if host else None
        plan = plan_component(request, server, before, ctx.check_mode, where=target.describe() if target else None)
        if plan.failure:
            return {"failed": True, "changed": False, "server": server, "msg": plan.failure}
        if ctx.check_mode or host is None or not plan.steps:
            return _result(ctx, plan, plan.predicted)
        if stops_downloader(plan):
            # the SCP is no longer verified once its downloader stops: the next service_connection_point run must
            # read its server (decide.scp.verified_running); the record is on the SMS Provider host of this task
            ctx.site_provider().forget_verified()
        try:
            outcome = execute_component(plan, host, ctx.progress)
        except ConfigMgrError as err:
            failure = failure_after_restart(plan, err.steps_run)
            if failure is None:
                raise
            result = error_result(err, ctx)
            result.update(restarted_components=failure.restarted_components, warnings=list(failure.warnings))
            return result
        if restarts_downloader(plan) and server:
            # the handler's restart applied the configured mode: the SCP is verified again (decide.scp)
            warning = reverify_after_restart(ctx.site_provider(), server, outcome.after)
            if warning:
                outcome = replace(outcome, warnings=outcome.warnings + (warning,))
        return _result(ctx, plan, outcome)


def _result(ctx: TaskContext, plan: ComponentPlan, outcome: ComponentOutcome) -> dict[str, Any]:
    server = plan.server or ""
    result: dict[str, Any] = {"changed": outcome.changed, "server": plan.server, "name": plan.request.name}
    if not plan.installed:
        result["installed"] = False
    result.update(
        before=thread_view(plan.before, server) if plan.before is not None else None,
        after=thread_view(outcome.after, server) if outcome.after is not None else None,
        method=outcome.method,
        elapsed=round(outcome.seconds, 1),
        restarted_components=outcome.restarted_components,
        confirmed_running_at=outcome.confirmed_running_at,
    )
    if plan.msg:
        result["msg"] = plan.msg
    if outcome.warnings:
        result["warnings"] = list(outcome.warnings)
    if ctx.diff and plan.installed:
        result["diff"] = {"before": result["before"], "after": result["after"]}
    return result
