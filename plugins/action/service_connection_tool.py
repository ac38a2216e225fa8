# -*- coding: utf-8 -*-
# Copyright: Contributors to the configmgr.scp collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of configmgr.scp.service_connection_tool: one phase of ServiceConnectionTool.exe on the right host."""

from __future__ import annotations

from typing import Any

from ansible_collections.configmgr.scp.plugins.plugin_utils import _validate as check
from ansible_collections.configmgr.scp.plugins.plugin_utils._action import ConfigMgrAction, TaskContext
from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp import (
    IMPORT_READS,
    TOOL_READS,
    ToolHost,
    ToolRequest,
    cd_latest_folder,
    log_errors,
    log_view,
    phase_host,
    plan_tool,
    tool_failure_message,
    tool_folder,
    tool_site,
    updates_changed,
)

PROXY_PASSWORD_WARNING = (
    "proxy_username is passed as -proxyusername; how the tool then gets the proxy password is not documented, and a "
    "prompt cannot be answered over remoting (the run would wait until timeout)"
)


class ActionModule(ConfigMgrAction):
    MODULE = "service_connection_tool"

    def check_args(self, args: dict[str, Any]) -> None:
        args["connect_host"] = check.fqdn(args.get("connect_host"), "connect_host")
        check.positive(args.get("timeout"), "timeout")
        if args["log_lines"] < 0:
            raise ValueError(f"log_lines must be 0 or more, got {args['log_lines']}")
        # the paths, and which options go with which phase: the request refuses the rest (InvalidOption)
        args["request"] = ToolRequest(
            phase=args["phase"],
            usage_data_dest=args.get("usage_data_dest"),
            dest=args.get("dest"),
            usage_data_src=args.get("usage_data_src"),
            update_pack_dest=args.get("update_pack_dest"),
            update_pack_src=args.get("update_pack_src"),
            download=args["download"],
            proxy_server_uri=args.get("proxy_server_uri"),
            proxy_username=args.get("proxy_username"),
            tool_path=args.get("tool_path"),
            connect_host=args.get("connect_host"),
        )

    def execute(self, ctx: TaskContext, args: dict[str, Any]) -> dict[str, Any]:
        request: ToolRequest = args["request"]
        # the top-tier site (version, install dir, site server) and the SCP (server, mode), from the SMS Provider
        state = ctx.site_provider().read_state(include=IMPORT_READS if request.phase == "import" else TOOL_READS)
        site = tool_site(state)
        host = phase_host(request, site)
        folder = tool_folder(request, host, site)
        target = ctx.other_host(host)
        session = ctx.session(target)
        tool = ToolHost(session, check_mode=ctx.check_mode)
        reading = tool.read_folder(folder, request, admins=request.phase != "connect", record=request.phase == "import")
        reference = None
        cd_latest = cd_latest_folder(site)
        if cd_latest and (host.lower() != site.server.lower() or folder.lower() != cd_latest.lower()):
            # a copy: compare its files with the site's own folder (CD.Latest on the site server)
            reference = ToolHost(ctx.session(ctx.other_host(site.server))).read_folder(cd_latest)
        plan = plan_tool(request, site, host, folder, reading, reference, session.options.username)
        result: dict[str, Any] = {
            "changed": plan.changed,
            "phase": request.phase,
            "host": host,
            "tool_path": folder,
            "command_line": plan.line,
        }
        warnings = list(plan.warnings) + ([PROXY_PASSWORD_WARNING] if request.proxy_username else [])
        if warnings:
            result["warnings"] = warnings
        if plan.problems:
            # found before the tool ran: nothing was started or written
            result.update(failed=True, changed=False, problems=list(plan.problems), msg="; ".join(plan.problems))
            return result
        if not plan.run:
            result["msg"] = plan.msg
            return result
        if ctx.check_mode:
            result["msg"] = f"check mode: {plan.folder}\\ServiceConnectionTool.exe {plan.line} would run on {host}"
            return result
        ctx.progress(f"running ServiceConnectionTool.exe -{request.phase} on {target.describe()}")
        outcome = tool.run(plan, timeout=args["timeout"])
        errors = log_errors(outcome.log)
        result.update(
            exit_code=outcome.exit_code,
            files=outcome.files,
            log=log_view(outcome.log, args["log_lines"]),
            log_errors=errors,
        )
        failure = tool_failure_message(plan, outcome.exit_code, errors)
        if failure:
            # the tool refused or failed; the files it left (if any) are reported. An import stopped part way may have
            # imported some packs: the site's updates are read again, and a difference is a change
            changed = bool(outcome.files)
            if request.phase == "import":
                changed = changed or updates_changed(state, ctx.site_provider().read_state(include=("updates",)))
            result.update(failed=True, changed=changed, msg=failure)
            return result
        if request.phase == "import" and reading.manifest_sha256:
            tool.record_import(reading.manifest_sha256)
        return result
