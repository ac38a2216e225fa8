# -*- coding: utf-8 -*-
# Copyright: Contributors to the configmgr.scp collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of configmgr.scp.service_connection_point_info: hierarchy, SCP, thread state, log tail."""
from __future__ import annotations

from typing import Any

from ansible_collections.configmgr.scp.plugins.plugin_utils._action import ConfigMgrAction, TaskContext, raw_plain, to_plain
from ansible_collections.configmgr.scp.plugins.plugin_utils._scp import effective_mode_evidence
from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.configmgr.model import server_from_path
from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.configmgr.provider import OPTIONAL_READS, READS
from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.configmgr.scphost import ScpHost
from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.errors import ConfigMgrError, HostUnreachable

MODE_LOG_LINES = 300


def roles_by_server(rows: Any) -> dict[tuple[str, str], list[str]]:
    """(server, site code) -> sorted role names, from Get-CMSiteRole -AllSite rows (SMS_SCI_SysResUse: NetworkOSPath,
    RoleName, SiteCode). SiteSystemServer.roles is left empty by the library's Get-CMSiteSystemServer read, which
    returns only the "SMS Site System" object of each server."""
    found: dict[tuple[str, str], set[str]] = {}
    for row in rows or []:
        if not isinstance(row, dict):
            continue
        server, role = server_from_path(row.get("NetworkOSPath")), row.get("RoleName")
        if server and role:
            found.setdefault((server, str(row.get("SiteCode") or "").upper()), set()).add(str(role))
    return {key: sorted(names) for key, names in found.items()}


def site_system_dict(system: Any, roles: dict[tuple[str, str], list[str]]) -> dict[str, Any]:
    """A site system server as returned, with its roles filled from the role rows."""
    data = to_plain(system)
    data["roles"] = roles.get((system.server.lower(), (system.site_code or "").upper()), list(data.get("roles") or []))
    return data


class ActionModule(ConfigMgrAction):
    MODULE = "service_connection_point_info"

    def check_args(self, args: dict[str, Any]) -> None:
        if args["log_tail"] < 0:
            raise ValueError("log_tail must be 0 (no log) or a positive number of lines, got %r" % args["log_tail"])

    def execute(self, ctx: TaskContext, args: dict[str, Any]) -> dict[str, Any]:
        provider = ctx.site_provider(check_mode=True)      # never changes anything
        state = provider.read_state(include=READS + OPTIONAL_READS)    # + Get-CMSiteRole -AllSite, same pipeline
        roles = roles_by_server(state.site_roles)
        scp = None
        if state.scp is not None:
            system = state.site_system(state.scp.server)
            scp = {"server": state.scp.server, "site_code": state.scp.site_code,
                   "mode": state.scp.mode, "configured_mode": state.scp.mode, "effective_mode": None,
                   "effective_mode_evidence": None, "installed": None, "thread": None,
                   "site_system": site_system_dict(system, roles) if system else None}
            if args["thread"] or args["log_tail"]:
                self._scp_host_details(ctx, scp, args["log_tail"])
        top = state.hierarchy.top_tier
        return {
            "changed": False,
            "site_code": state.site_code,
            "provider": state.provider,
            "module_version": state.module_version,
            "hierarchy": to_plain(state.hierarchy),
            "top_tier_site_code": top.site_code if top else None,
            "scp": scp,
            "site_systems": [site_system_dict(s, roles) for s in state.site_systems],
            "usage_data_level": state.usage_data_level,
            "updates_in_progress": list(state.updates_in_progress),
            "intent": to_plain(state.intent),
            "raw": {"scp": raw_plain(state.scp) if state.scp else None,
                    "site_systems": [raw_plain(s) for s in state.site_systems]},
        }

    @staticmethod
    def _scp_host_details(ctx: TaskContext, scp: dict[str, Any], log_tail: int) -> None:
        host = ScpHost(ctx.session(ctx.other_host(scp["server"])), check_mode=True)
        # the start configmgr.scp.component recorded on the SCP host comes with the thread state (same pipeline)
        thread, started_at = host.thread_state_and_start()
        data = to_plain(thread)
        data["host"] = scp["server"]
        scp["thread"] = data
        scp["installed"] = thread.present
        if not thread.present:
            return
        try:
            entries = host.read_log(tail=max(log_tail, MODE_LOG_LINES))
        except ConfigMgrError as err:
            if isinstance(err, HostUnreachable):
                raise
            ctx.progress("cannot read dmpdownloader.log on %s: %s" % (scp["server"], err))
            return
        if thread.running:
            evidence = effective_mode_evidence(entries, started_at)
            scp["effective_mode"] = evidence.pop("mode")
            scp["effective_mode_evidence"] = evidence
        if log_tail:
            scp["log"] = [e.to_dict() for e in entries[-log_tail:]]
