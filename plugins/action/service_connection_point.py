# -*- coding: utf-8 -*-
# Copyright: Contributors to the configmgr.scp collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of configmgr.scp.service_connection_point: install, move, reconfigure or remove the SCP."""
from __future__ import annotations

from typing import Any

from ansible_collections.configmgr.scp.plugins.plugin_utils import _validate as check
from ansible_collections.configmgr.scp.plugins.plugin_utils._action import ConfigMgrAction, TaskContext, to_plain
from ansible_collections.configmgr.scp.plugins.plugin_utils._scp import site_system_spec
from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.configmgr.lease import HierarchyLease
from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.configmgr.provider import READS
from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.configmgr.scphost import ScpHost
from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.executor import execute_plan, observe_hosts
from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.planner import DesiredScp, Plan, Wait, plan_scp


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
                    raise ValueError("%s cannot be used with state=absent" % name)
        if args.get("site_system"):
            check.site_system_settings(args["site_system"], "site_system.")

    def execute(self, ctx: TaskContext, args: dict[str, Any]) -> dict[str, Any]:
        provider = ctx.site_provider()
        ctx.progress("reading the hierarchy and the service connection point")
        current = provider.read_state(include=READS + ("roles",))      # roles: the HA rule needs them
        desired = DesiredScp(state=args["state"], server=args["server"], site_code=args["site_code"],
                             mode=args.get("mode") or None, allow_move=args["allow_move"],     # DesiredScp parses it
                             site_system=site_system_spec(args["server"], args.get("site_system"), args["site_code"]),
                             wait=args["wait"])

        def scp_host(fqdn: str) -> ScpHost:
            return ScpHost(ctx.session(ctx.other_host(fqdn)), check_mode=ctx.check_mode)

        installed, warnings = observe_hosts(current, desired, scp_host)
        plan = plan_scp(current, desired, installed)
        lease = None
        if plan.changed and not ctx.check_mode:
            # one changing job per hierarchy: take the lease, then read and plan again under it (another job may
            # have changed the site since the first read)
            lease = HierarchyLease(provider.session, ttl=2 * args["wait_timeout"] + 600)
            lease.take(progress=ctx.progress)
            try:
                current = provider.read_state(include=READS + ("roles",))
                installed, warnings = observe_hosts(current, desired, scp_host)
                plan = plan_scp(current, desired, installed)
            except BaseException:
                lease.release()
                raise
        try:
            return self._apply(ctx, args, provider, plan, warnings, scp_host)
        finally:
            if lease is not None:
                lease.release()

    @staticmethod
    def _apply(ctx: TaskContext, args: dict[str, Any], provider: Any, plan: Plan, warnings: list[str],
               scp_host: Any) -> dict[str, Any]:
        before = to_plain(plan.before)
        result: dict[str, Any] = {"changed": plan.changed, "plan": plan.to_list(), "before": before,
                                  "restart_required": plan.restart_required, "moved_from": plan.moved_from,
                                  "drift": plan.drift}
        if warnings:
            result["warnings"] = warnings
        if plan.steps and not ctx.check_mode:
            outcome = execute_plan(plan, provider, scp_host, wait_timeout=args["wait_timeout"],
                                   progress=lambda step, text: ctx.progress(text))
            after = to_plain(outcome.after)
            result["elapsed"] = round(outcome.seconds, 1)
            pending = None if any(isinstance(s, Wait) for s in plan.steps) else plan.pending
        else:
            after = to_plain(plan.predicted_after)
            pending = plan.pending
        result["after"] = after
        result["pending"] = pending
        result["mode_changed"] = bool(before and after and before.get("mode") != after.get("mode"))
        if ctx.diff:
            result["diff"] = {"before": before or {}, "after": after or {}}
        return result
