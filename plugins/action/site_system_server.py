# -*- coding: utf-8 -*-
# Copyright: Contributors to the configmgr.scp collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of configmgr.scp.site_system_server: create, configure or remove a site system server."""
from __future__ import annotations

from typing import Any

from ansible_collections.configmgr.scp.plugins.module_utils._argspec import SITE_SYSTEM_OPTIONS
from ansible_collections.configmgr.scp.plugins.plugin_utils import _validate as check
from ansible_collections.configmgr.scp.plugins.plugin_utils._action import ConfigMgrAction, TaskContext, to_plain
from ansible_collections.configmgr.scp.plugins.plugin_utils._scp import changed_settings, site_system_spec
from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.configmgr.model import SiteSystemServer, SiteSystemSpec
from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.configmgr.provider import SiteProvider
from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.errors import PlanRefused
from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.pipeline import Pipeline

# Roles every site system has; they go away with the server itself.
BASE_ROLES = frozenset(("sms site system", "sms component server"))


def predicted(spec: SiteSystemSpec, current: Any, changes: dict[str, Any]) -> dict[str, Any]:
    base = to_plain(current) if current is not None else {"server": spec.server, "site_code": spec.site_code}
    base.update(changes)
    return base


class ActionModule(ConfigMgrAction):
    MODULE = "site_system_server"

    def check_args(self, args: dict[str, Any]) -> None:
        args["server"] = check.fqdn(args.get("server"))
        args["site_code"] = check.site_code(args.get("site_code"))
        # The rules between the settings are the argument spec's (SITE_SYSTEM_RULES). By hand: what state=absent
        # refuses, since it depends on a value (use_site_server_account has a default), and each setting's format.
        if args["state"] == "absent":
            extra = [n for n in SITE_SYSTEM_OPTIONS if args.get(n) not in (None, "", False)]
            if extra:
                raise ValueError("state=absent takes no settings, got %s" % ", ".join(extra))
        check.site_system_settings(args)

    def execute(self, ctx: TaskContext, args: dict[str, Any]) -> dict[str, Any]:
        provider = ctx.site_provider()
        server = args["server"]
        state = provider.read_state(include=("sites", "site_systems"))
        current = state.site_system(server)
        before = to_plain(current) if current is not None else None
        if args["state"] == "absent":
            return self._absent(ctx, provider, current, before)
        spec = site_system_spec(server, args, args["site_code"] or (current.site_code if current else state.site_code))
        if current is not None and args["site_code"] and current.site_code != args["site_code"]:
            raise PlanRefused("%s is a site system of site %s, not %s; remove it there first" % (server, current.site_code,
                              args["site_code"]), ctx.target.describe(), "configure the site system server")
        changes = changed_settings(spec, current, args)
        changed = current is None or bool(changes)
        if changed:
            self._check_accounts(ctx, provider, spec, server)
        if changed and not ctx.check_mode:
            ctx.progress("%s the site system server %s" % ("creating" if current is None else "configuring", server))
            provider.ensure_site_system_server(spec, current, known=True)
            ctx.mutated("%s the site system server %s" % ("create" if current is None else "configure", server))
            found = provider.read_state(include=("sites", "site_systems")).site_system(server)
            after = to_plain(found) if found is not None else None
        else:
            after = predicted(spec, current, changes) if changed else before
        return self._result(ctx, changed, before, after, sorted(changes))

    @staticmethod
    def _check_accounts(ctx: TaskContext, provider: SiteProvider, spec: SiteSystemSpec, server: str) -> None:
        """Refuse, before New-/Set-CMSiteSystemServer runs, an account that is no ConfigMgr account (Get-CMAccount
        -UserName, one read): the installation account, which the cmdlet passes on by name whenever it runs, and in
        check mode the proxy account too (for real the library reads that one itself right before the change)."""
        wanted = []
        if spec.account_name and not spec.use_site_server_account:
            wanted.append(("account_name", spec.account_name))
        if ctx.check_mode and spec.proxy_server and spec.proxy_account:
            wanted.append(("proxy_account", spec.proxy_account))
        if not wanted:
            return
        operation = "check the accounts of the site system server %s" % server
        pipe = Pipeline(operation=operation)
        for option, user_name in wanted:
            pipe.add("Get-CMAccount", ("UserName", user_name), label="find the %s %s" % (option, user_name))
        result = provider.run(pipe, idempotent=True)
        for index, (option, user_name) in enumerate(wanted):
            rows = [o for o in result[index].output if isinstance(o, dict)]
            if not any(str(o.get("UserName") or "").lower() == user_name.lower() for o in rows):
                hint = " (or use_site_server_account=true)" if option == "account_name" else ""
                raise PlanRefused("%s %s is not a ConfigMgr account; add it under Administration > Security > Accounts "
                                  "first%s" % (option, user_name, hint), ctx.target.describe(), operation)

    def _absent(self, ctx: TaskContext, provider: SiteProvider, current: SiteSystemServer, before: Any) -> dict[str, Any]:
        if current is None:
            return self._result(ctx, False, None, None, [])
        roles = [str(r.get("RoleName")) for r in provider.site_roles(current.server) if r.get("RoleName")]
        remaining = sorted({r for r in roles if r.lower() not in BASE_ROLES})
        if remaining:
            raise PlanRefused("%s still has site system roles (%s); remove them first (for the service connection point: "
                              "configmgr.scp.service_connection_point state=absent)" % (current.server, ", ".join(remaining)),
                              ctx.target.describe(), "remove the site system server")
        if not ctx.check_mode:
            ctx.progress("removing the site system server %s" % current.server)
            provider.remove_site_system_server(current.server, current.site_code)
            ctx.mutated("remove the site system server %s" % current.server)
        return self._result(ctx, True, before, None, [])

    @staticmethod
    def _result(ctx: TaskContext, changed: bool, before: Any, after: Any, changes: list[str]) -> dict[str, Any]:
        result: dict[str, Any] = {"changed": changed, "before": before, "after": after, "changes": changes}
        if ctx.diff:
            result["diff"] = {"before": before or {}, "after": after or {}}
        return result
