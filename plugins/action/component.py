# -*- coding: utf-8 -*-
# Copyright: Contributors to the configmgr.scp collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of configmgr.scp.component: start, stop or restart an SMS_EXECUTIVE thread on a site system."""
from __future__ import annotations

import dataclasses
from typing import Any, Optional

from ansible_collections.configmgr.scp.plugins.plugin_utils import _validate as check
from ansible_collections.configmgr.scp.plugins.plugin_utils._action import ConfigMgrAction, TaskContext, error_result, to_plain
from ansible_collections.configmgr.scp.plugins.plugin_utils._scp import host_time, scp_server
from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.configmgr.constants import EXECUTIVE_SERVICE
from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.configmgr.model import ThreadState
from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.configmgr.scphost import ScpHost
from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.errors import ConfigMgrError, HostUnreachable

ALL_COMPONENTS = "all"           # restarted_components when SMS_EXECUTIVE itself was restarted
NO_COMPONENT = "none"


def predicted(before: ThreadState, state: str) -> ThreadState:
    """What check mode reports as `after`."""
    if state == "stopped":
        return dataclasses.replace(before, current_state="Stopped", requested_operation="None")
    return dataclasses.replace(before, current_state="Running", requested_operation="None")


def service_warning(server: str, name: str, why: str, check_mode: bool = False) -> str:
    """The warning for an SMS_EXECUTIVE service restart: it restarts every component of the server, not only `name`."""
    return ("%s: %s the %s service on %s, which %s every Configuration Manager component on that host, not only %s"
            % (server, "would restart" if check_mode else "restarted", EXECUTIVE_SERVICE, server,
               "restarts" if check_mode else "restarted", name)) + (" (%s)" % why if why else "")


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
        name, state = args["name"], args["state"]
        server = args["server"] or self._scp_server(ctx)
        if server is None:
            return not_installed(None, name, state, "the hierarchy has no service connection point yet, so no server "
                                 "runs %s" % name)
        target = ctx.other_host(server)
        host = ScpHost(ctx.session(target), check_mode=ctx.check_mode)
        before = host.thread_state(name)
        if not before.present:
            if ctx.check_mode:
                result = not_installed(server, name, state, "%s is not on %s yet" % (name, target.describe()))
                result.update(before=_state(before, server), after=_state(before, server))
                return result
            msg = "%s: the %s thread is not installed; is the role on this server?" % (target.describe(), name)
            return {"failed": True, "changed": False, "server": server, "msg": msg}
        result: dict[str, Any] = {"server": server, "name": name}
        warnings: list[str] = []
        running_at: Optional[str] = None
        if ctx.check_mode:
            unchanged = (state == "started" and before.running) or (state == "stopped" and before.stopped)
            after, changed, method, seconds = (before if unchanged else predicted(before, state)), not unchanged, \
                ("none" if unchanged else args["method"] if state == "restarted" else "thread"), 0.0
            if method == "service":
                warnings.append(service_warning(server, name, "method=service", check_mode=True))
        else:
            def say(text: str) -> None:
                ctx.progress(text)

            ctx.progress("%s %s on %s" % ({"started": "starting", "stopped": "stopping"}.get(state, "restarting"), name, server))
            try:
                if state == "restarted":
                    change = host.restart_thread(name, timeout=args["timeout"], method=args["method"],
                                                 fallback=args["fallback"], progress=say)
                else:
                    change = host.set_thread(name, state, timeout=args["timeout"], progress=say)
            except ConfigMgrError as err:
                if _start_requested(err) and not isinstance(err, HostUnreachable):
                    _forget(ctx, host, server, name)      # it may start at a time nobody records: no stale start
                failed = self._failed_after_service_restart(err, ctx, server, name)
                if failed is None:
                    raise
                return failed
            after, changed, method, seconds = change.after, change.changed, change.method, change.seconds
            if method == "service":
                why = "method=service" if args["method"] == "service" else \
                    "fallback: the thread did not stop or start within the timeout, or its registry write failed"
                warnings.append(service_warning(server, name, why))
            if changed and after.running:
                running_at = self._record_start(ctx, host, warnings, server, name, every_thread=method == "service")
            elif changed and state == "stopped":
                self._forget_start(ctx, host, warnings, server, name)
        result.update(changed=changed, method=method, elapsed=round(seconds, 1),
                      before=_state(before, server), after=_state(after, server),
                      restarted_components=_restarted(method, name, state, changed), confirmed_running_at=running_at)
        if warnings:
            result["warnings"] = warnings
        if ctx.diff:
            result["diff"] = {"before": result["before"], "after": result["after"]}
        return result

    @staticmethod
    def _scp_server(ctx: TaskContext) -> Optional[str]:
        """The SCP's server; None in check mode when the hierarchy has none (an earlier task may only have predicted
        the install). For real a missing SCP fails the task (scp_server)."""
        if not ctx.check_mode:
            return scp_server(ctx)
        state = ctx.site_provider().read_state(include=("sites", "scp"))
        return state.scp.server if state.scp is not None else None

    @staticmethod
    def _failed_after_service_restart(err: ConfigMgrError, ctx: TaskContext, server: str, name: str) -> Optional[dict]:
        """A failure after SMS_EXECUTIVE was restarted (the wait for Running timed out): the failed result says that
        every component of the server was restarted. None for other failures (reported as usual)."""
        steps = getattr(err, "steps_run", None) or []
        if not any((s.get("action") if isinstance(s, dict) else getattr(s, "action", None)) == "restart_service" for s in steps):
            return None
        result = error_result(err, ctx)
        result["restarted_components"] = ALL_COMPONENTS
        result["warnings"] = [service_warning(server, name, "then the task failed")]
        return result

    @staticmethod
    def _record_start(ctx: TaskContext, host: ScpHost, warnings: list[str], server: str, name: str,
                      every_thread: bool = False) -> Optional[str]:
        """Read the SCP host's clock now that the thread runs again and record it on that host (registry value
        ThreadStarted_<name> under HKLM:\\SOFTWARE\\configmgr.scp): log lines at or after it were written by this run
        of the thread (service_connection_point_info reads the record for the effective mode, in any later job).
        The change is done either way: not knowing the start only costs the effective mode, so a failure here is a
        warning, and an older record is removed so that it is not taken for this start."""
        session = getattr(host, "session", None)
        if session is None:
            return None
        try:
            when = host_time(session)
        except ConfigMgrError as err:
            ctx.progress("cannot read the time on %s: %s" % (server, err))
            when = None
        if when is not None:
            try:
                return host.record_thread_start(name, when, every_thread=every_thread)
            except ConfigMgrError as err:
                why = "cannot record the start of %s on %s (%s)" % (name, server, err)
        else:
            why = "cannot read the time on %s" % server
        _forget(ctx, host, server, name)
        warnings.append("%s: %s; service_connection_point_info cannot tie dmpdownloader.log lines to the running "
                        "thread until the next start this collection records" % (server, why))
        return None

    @staticmethod
    def _forget_start(ctx: TaskContext, host: ScpHost, warnings: list[str], server: str, name: str) -> None:
        """The thread was stopped: its recorded start is not the last start of a running thread any more."""
        if not _forget(ctx, host, server, name):
            warnings.append("%s: cannot remove the recorded start of %s; a later start that this collection does not "
                            "make would be taken for the recorded one" % (server, name))


def _start_requested(err: ConfigMgrError) -> bool:
    """Whether the failed change had asked the thread to start (or restarted SMS_EXECUTIVE) before it failed: the
    thread may then run from a start nobody recorded. After a Stop request alone it runs from its recorded start or
    stays stopped (and a stopped thread has no effective mode)."""
    steps = getattr(err, "steps_run", None) or []
    return any((s.get("action") if isinstance(s, dict) else getattr(s, "action", None)) in ("request_start", "restart_service")
               for s in steps)


def _forget(ctx: TaskContext, host: ScpHost, server: str, name: str) -> bool:
    """Remove the recorded start of `name` (best effort: False when the write failed)."""
    try:
        host.forget_thread_start(name)
    except ConfigMgrError as err:
        ctx.progress("cannot remove the recorded start of %s on %s: %s" % (name, server, err))
        return False
    return True


def not_installed(server: Optional[str], name: str, state: str, why: str) -> dict[str, Any]:
    """The check-mode result when the thread is not there yet: the service connection point is not installed, or an
    earlier task of this check-mode run only predicted its install. `changed` is what a real run would report after
    that install, which waits until the thread runs: a restart or a stop changes it, a start does not."""
    changed = state != "started"
    return {"changed": changed, "server": server, "name": name, "installed": False, "before": None, "after": None,
            "method": "none", "elapsed": 0.0, "restarted_components": name if state == "restarted" else NO_COMPONENT,
            "confirmed_running_at": None,
            "msg": "check mode: %s (the service connection point is not installed, or an earlier task only predicted "
                   "its install); after the install %s runs, so a real run would %s it" % (
                       why, name, {"started": "leave", "stopped": "stop"}.get(state, "restart"))}


def _restarted(method: str, name: str, state: str, changed: bool) -> str:
    if method == "service":
        return ALL_COMPONENTS
    if state == "restarted" and changed:
        return name
    return NO_COMPONENT


def _state(state: ThreadState, server: str) -> dict[str, Any]:
    data = to_plain(state)
    data["host"] = server           # the library names the address it connected to; users know the FQDN
    return data
