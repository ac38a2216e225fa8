# -*- coding: utf-8 -*-
# Copyright: Contributors to the configmgr.scp collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of configmgr.scp.log_info: read and parse a ConfigMgr log from the host that writes it."""
from __future__ import annotations

import ntpath
from typing import Any, Optional

from ansible_collections.configmgr.scp.plugins.plugin_utils import _validate as check
from ansible_collections.configmgr.scp.plugins.plugin_utils._action import ConfigMgrAction, TaskContext
from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.configmgr.provider import read_log_files
from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.configmgr.scphost import ScpHost
from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.errors import ConfigMgrError
from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.logs import filter_entries

# log name -> (file name, where it is written, component whose TraceFilename locates it)
LOGS = {
    "dmpdownloader": ("dmpdownloader.log", "scp", "SMS_DMP_DOWNLOADER"),
    "dmpuploader": ("dmpuploader.log", "scp", "SMS_DMP_UPLOADER"),
    "srvboot": ("SrvBoot.log", "scp", None),
    "sitecomp": ("sitecomp.log", "site_server", None),
    "hman": ("hman.log", "site_server", None),
}
REMOTE_LOG_DIR = "C:\\SMS\\Logs"     # inferred: where a remote site system without tracing keys keeps its logs
READ_LINES = 5000                    # lines read before filtering: enough for `since` over a busy day


class ActionModule(ConfigMgrAction):
    MODULE = "log_info"

    def check_args(self, args: dict[str, Any]) -> None:
        args["server"] = check.fqdn(args.get("server"))
        check.positive(args.get("tail"), "tail")
        args["since_time"] = check.since(args.get("since"))
        check.regex(args.get("match"))

    def execute(self, ctx: TaskContext, args: dict[str, Any]) -> dict[str, Any]:
        file_name, where, component = LOGS[args["name"]]
        provider = ctx.site_provider(check_mode=True)
        state = provider.read_state(include=("sites", "scp"))
        if args["server"]:
            server = args["server"]
        elif where == "scp":
            if state.scp is None and ctx.check_mode:
                return self._not_installed(None, None, file_name, "the hierarchy has no service connection point yet")
            if state.scp is None:
                raise ConfigMgrError("the hierarchy has no service connection point; give server to read %s" % file_name,
                                     ctx.target.describe(), "find the log")
            server = state.scp.server
        else:
            site = state.hierarchy.site(state.scp.site_code if state.scp else state.site_code) or state.hierarchy.top_tier
            if site is None or not site.server:
                raise ConfigMgrError("cannot tell which site server writes %s; give server" % file_name,
                                     ctx.target.describe(), "find the log")
            server = site.server
        path, located = self._path(ctx, state, server, file_name, component)
        session = ctx.session(ctx.other_host(server))
        read = max(READ_LINES if args["since_time"] else args["tail"], args["tail"])
        ctx.progress("reading %s on %s" % (path, server))
        entries = read_log_files(session, path, read)
        if ctx.check_mode and where == "scp" and not located and not entries:
            return self._not_installed(server, path, file_name, "%s has no %s yet" % (server, file_name))
        kept = filter_entries(entries, since=args["since_time"], severity=args.get("severity"), match=args.get("match"),
                              tail=args["tail"])
        return {"changed": False, "server": server, "path": path, "entries": [e.to_dict() for e in kept],
                "read": len(entries)}

    @staticmethod
    def _not_installed(server: Optional[str], path: Optional[str], file_name: str, why: str) -> dict[str, Any]:
        """The check-mode result when the SCP's log is not there yet: the service connection point is not installed,
        or an earlier task of this check-mode run only predicted its install."""
        return {"changed": False, "server": server, "path": path, "entries": [], "read": 0, "installed": False,
                "msg": "check mode: %s (the service connection point is not installed, or an earlier task only predicted "
                       "its install); nothing to read until it writes %s" % (why, file_name)}

    @staticmethod
    def _path(ctx: TaskContext, state: Any, server: str, file_name: str, component: Optional[str]) -> tuple[str, bool]:
        """The log's path on `server`, and whether it was located (False: the default folder, no tracing key)."""
        for site in state.hierarchy.sites:
            if site.server and site.server.lower() == server.lower() and site.install_dir:
                return ntpath.join(site.install_dir, "Logs", file_name), True
        host = ScpHost(ctx.session(ctx.other_host(server)), check_mode=True)
        found = host.log_path(component or "SMS_DMP_DOWNLOADER")
        if not found and component:
            found = host.log_path("SMS_DMP_DOWNLOADER")      # the uploader logs next to the downloader
        folder = ntpath.dirname(found) if found else REMOTE_LOG_DIR
        return ntpath.join(folder, file_name), bool(found)
