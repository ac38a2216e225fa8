# -*- coding: utf-8 -*-
# Copyright: Contributors to the configmgr.scp collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of configmgr.scp.file_transfer: copy a file or a folder tree from one Windows host to another."""

from __future__ import annotations

from typing import Any

from ansible_collections.configmgr.scp.plugins.plugin_utils._action import ConfigMgrAction, TaskContext
from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp import (
    RemoteFiles,
    check_chunk_size,
    execute_controller,
    execute_share,
    plan_controller,
    plan_share,
    transfer_diff,
)


class ActionModule(ConfigMgrAction):
    MODULE = "file_transfer"

    def check_args(self, args: dict[str, Any]) -> None:
        check_chunk_size(args["chunk_size"])
        for name in ("src", "dest", "share"):
            if args.get(name) is not None and not str(args[name]).strip():
                raise ValueError(f"{name} must not be empty")
        if args.get("share") and not str(args["share"]).replace("/", "\\").startswith("\\\\"):
            raise ValueError("share must be a UNC path (\\\\server\\share\\folder)")

    def execute(self, ctx: TaskContext, args: dict[str, Any]) -> dict[str, Any]:
        # plain values: Ansible's tagged str/int subclasses are not what pypsrp serializes
        args = {k: (int(v) if k == "chunk_size" else str(v) if isinstance(v, str) else v) for k, v in args.items()}
        src = RemoteFiles(ctx.session(ctx.other_host(args["src_host"]) if args.get("src_host") else None))
        dest = RemoteFiles(ctx.session(ctx.other_host(args["dest_host"]) if args.get("dest_host") else None))
        if args["method"] == "share":
            to_share, plan = plan_share(src, dest, args["src"], args["dest"], args["share"])
            pending = bool(to_share.copies or plan.copies)
        else:
            to_share, plan = None, plan_controller(src, dest, args["src"], args["dest"])
            pending = bool(plan.copies)
        result: dict[str, Any] = {
            "changed": pending,
            "method": args["method"],
            "files": [f.to_dict() for f in plan.files],
            "copied": [c.file.rel for c in plan.copies],
            "unchanged": [f.rel for f in plan.skipped],
            "resumed": {},
            "bytes_copied": 0,
        }
        if ctx.diff:
            result["diff"] = transfer_diff(plan)
        if ctx.check_mode or not pending:
            return result
        if to_share is not None:
            outcome = execute_share(to_share, plan, src, dest, args["share"], ctx.progress)
            result["staged"] = [c.file.rel for c in to_share.copies]
        else:
            outcome = execute_controller(plan, src, dest, args["chunk_size"], ctx.progress)
        result.update(copied=outcome.copied, resumed=outcome.resumed, bytes_copied=outcome.bytes_copied)
        result["changed"] = pending
        return result
