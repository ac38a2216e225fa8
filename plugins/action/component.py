# -*- coding: utf-8 -*-
# Copyright: Contributors to the configmgr.scp collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of configmgr.scp.component: start, stop or restart an SMS_EXECUTIVE thread on a site system."""
from __future__ import annotations

import dataclasses
from typing import Any

from ansible_collections.configmgr.scp.plugins.plugin_utils import _validate as check
from ansible_collections.configmgr.scp.plugins.plugin_utils._action import ConfigMgrAction, TaskContext, to_plain
from ansible_collections.configmgr.scp.plugins.plugin_utils._scp import scp_server
from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.configmgr.model import ThreadState
from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.configmgr.scphost import THREAD_NAME_CHARS, ScpHost


def predicted(before: ThreadState, state: str) -> ThreadState:
    """What check mode reports as `after`."""
    if state == "stopped":
        return dataclasses.replace(before, current_state="Stopped", requested_operation="None")
    return dataclasses.replace(before, current_state="Running", requested_operation="None")


class ActionModule(ConfigMgrAction):
    MODULE = "component"

    def check_args(self, args: dict[str, Any]) -> None:
        if not args["name"] or not set(args["name"]) <= THREAD_NAME_CHARS:
            raise ValueError("name must be a component name such as SMS_DMP_DOWNLOADER (letters, digits, _), got %r"
                             % args["name"])
        args["name"] = args["name"].upper()
        args["server"] = check.fqdn(args.get("server"))
        check.positive(args.get("timeout"), "timeout")
        if args["method"] == "service" and args["state"] != "restarted":
            raise ValueError("method=service restarts SMS_EXECUTIVE and applies only to state=restarted")
        if not args["fallback"] and args["method"] == "service":
            raise ValueError("fallback=false applies to method=thread; method=service always restarts SMS_EXECUTIVE")

    def execute(self, ctx: TaskContext, args: dict[str, Any]) -> dict[str, Any]:
        server = args["server"] or scp_server(ctx)
        target = ctx.other_host(server)
        host = ScpHost(ctx.session(target), check_mode=ctx.check_mode)
        name, state = args["name"], args["state"]
        before = host.thread_state(name)
        if not before.present:
            msg = "%s: the %s thread is not installed; is the role on this server?" % (target.describe(), name)
            if ctx.check_mode:
                # in a check-mode run an earlier task may only have predicted the install: report, do not fail
                return {"changed": state != "stopped", "server": server, "name": name, "before": _state(before, server),
                        "after": _state(before, server), "method": "none", "elapsed": 0.0,
                        "warnings": [msg + " (check mode: nothing to compare with)"]}
            return {"failed": True, "changed": False, "server": server, "msg": msg}
        result: dict[str, Any] = {"server": server, "name": name}
        if ctx.check_mode:
            unchanged = (state == "started" and before.running) or (state == "stopped" and before.stopped)
            after, changed, method, seconds = (before if unchanged else predicted(before, state)), not unchanged, \
                ("none" if unchanged else args["method"] if state == "restarted" else "thread"), 0.0
        else:
            def say(text: str) -> None:
                ctx.progress(text)

            ctx.progress("%s %s on %s" % ({"started": "starting", "stopped": "stopping"}.get(state, "restarting"), name, server))
            if state == "restarted":
                change = host.restart_thread(name, timeout=args["timeout"], method=args["method"],
                                             fallback=args["fallback"], progress=say)
            else:
                change = host.set_thread(name, state, timeout=args["timeout"], progress=say)
            after, changed, method, seconds = change.after, change.changed, change.method, change.seconds
        result.update(changed=changed, method=method, elapsed=round(seconds, 1),
                      before=_state(before, server), after=_state(after, server))
        if ctx.diff:
            result["diff"] = {"before": result["before"], "after": result["after"]}
        return result


def _state(state: ThreadState, server: str) -> dict[str, Any]:
    data = to_plain(state)
    data["host"] = server           # the library names the address it connected to; users know the FQDN
    return data
