# -*- coding: utf-8 -*-
# Copyright: Contributors to the configmgr.scp collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of configmgr.scp.preflight: prerequisite checks for a planned SCP server. Never changes anything."""

from __future__ import annotations

from typing import Any

from ansible_collections.configmgr.scp.plugins.plugin_utils import _validate as check
from ansible_collections.configmgr.scp.plugins.plugin_utils._action import (
    ConfigMgrAction,
    TaskContext,
    describe_error,
    to_plain,
)
from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp import (
    HostUnreachable,
    ScpHost,
    normalise_mode,
    preflight_verdict,
    run_prerequisites,
)


class ActionModule(ConfigMgrAction):
    MODULE = "preflight"

    def check_args(self, args: dict[str, Any]) -> None:
        args["server"] = check.fqdn(args.get("server"))
        args["site_code"] = check.site_code(args.get("site_code"))

    def execute(self, ctx: TaskContext, args: dict[str, Any]) -> dict[str, Any]:
        provider = ctx.site_provider(check_mode=True)  # read-only by construction
        server = args["server"]
        scp_host: ScpHost | None = None
        warnings = []
        session = ctx.session(ctx.other_host(server))
        try:
            session.open()  # an unreachable server only skips its local checks
            scp_host = ScpHost(session, check_mode=True)
        except HostUnreachable as err:
            warnings.append(f"cannot reach {server}, its local checks are skipped: {describe_error(err)}")
        ctx.progress(f"running the prerequisite checks for {server}")
        results = run_prerequisites(
            provider,
            server,
            scp_host,
            site_code=args["site_code"],
            mode=normalise_mode(args["mode"]) if args.get("mode") else None,
            allow_move=args["allow_move"],
        )
        verdict = preflight_verdict(server, results, args["fail_on"])
        result: dict[str, Any] = {
            "changed": False,
            "server": server,
            "status": verdict.status,
            "checks": [to_plain(r) for r in results],
            "failed_checks": list(verdict.failed_checks),
            "warning_checks": list(verdict.warning_checks),
        }
        if warnings:
            result["warnings"] = warnings
        if verdict.failure:
            result.update(failed=True, msg=verdict.failure)
        return result
