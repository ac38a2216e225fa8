"""*-CMSiteSystemServer, Get-CMSiteRole, Remove-CMSiteRole [OFFICIAL syntax, facts 1.6-1.7]."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from tests.lab.ps.spec import IRESULT_OBJECT, P, cmdlet
from tests.lab.world.cm_cmdlets.common import (
    error,
    impl,
    name_matches,
    not_found,
    prop,
    require_admin,
    resolve_site,
    scope_sites,
    server_of,
    should_process,
    whatif_ok,
)
from tests.lab.world.cm_cmdlets.objects import role_object, site_system_object
from tests.lab.world.cm_cmdlets.scp import remove_role
from tests.lab.world.model import SITE_SYSTEM_ROLE, SiteSystemServer

NAME_ALIASES = ("Name", "ServerName")
SETTINGS = [
    P("AccountName", "string"),
    P("EnableProxy", "bool"),
    P("FdmOperation", "bool"),
    P("ProxyAccessAccount", "object", type_name=IRESULT_OBJECT),  # [OFFICIAL] <IResultObject>: live objects only
    P("ProxyServerName", "string"),
    P("ProxyServerPort", "uint32"),
    P("PublicFqdn", "string"),
    P("UseSiteServerAccount", "switch"),
]


def _apply(name: str, srv: SiteSystemServer, args: Any) -> None:
    if args.get("EnableProxy") is True and not (
        (args.get("ProxyServerName") or srv.proxy_server) and (args.get("ProxyServerPort") or srv.proxy_port)
    ):
        # [OFFICIAL] -EnableProxy $true needs the proxy server name and port; inferred wording. The docs also
        # list -ProxyAccessAccount, but an anonymous proxy (the computer account) is supported, so it is optional here.
        raise error(
            name,
            "EnableProxy requires ProxyServerName and ProxyServerPort.",
            "InvalidArgument",
            "System.ArgumentException",
            "ProxyServerRequired",
        )
    if "AccountName" in args:
        srv.account, srv.use_site_server_account = args["AccountName"], False
    if args.get("UseSiteServerAccount"):
        srv.account, srv.use_site_server_account = "", True
    if args.get("EnableProxy") is False:
        srv.proxy_server, srv.proxy_port, srv.proxy_account = "", 0, ""
    if "ProxyServerName" in args:
        srv.proxy_server = args["ProxyServerName"]
    if "ProxyServerPort" in args:
        srv.proxy_port = int(args["ProxyServerPort"])
    if "ProxyAccessAccount" in args:
        srv.proxy_account = str(prop(args["ProxyAccessAccount"], "UserName") or args["ProxyAccessAccount"])
    if "PublicFqdn" in args:
        srv.public_fqdn = args["PublicFqdn"]
    if "FdmOperation" in args:
        srv.fdm = bool(args["FdmOperation"])


def _lookup(ctx: Any, args: Any, name: str) -> SiteSystemServer:
    if "InputObject" in args:
        fqdn = server_of(args["InputObject"]) or ""
        code = prop(args["InputObject"], "SiteCode")
    else:
        fqdn, code = args["SiteSystemServerName"], resolve_site(ctx, args, name).code
    srv = next(
        (
            s
            for s in ctx.world.hierarchy.servers
            if name_matches(fqdn, s.fqdn, literal=True) and (not code or s.site_code == str(code).upper())
        ),
        None,
    )
    if srv is None:
        raise not_found(name, fqdn)
    return srv


@cmdlet(
    "Get-CMSiteSystemServer",
    module="ConfigurationManager",
    default_set="SearchByName",
    impl_type=impl("Get-CMSiteSystemServer"),
    params=[
        P("AllSite", "switch", aliases=("AllSites",)),
        P("SiteCode", "string", sets={"SearchByName": {}}),
        P("SiteSystemServerName", "string", aliases=NAME_ALIASES, sets={"SearchByName": {"position": 0}}),
        P("InputObject", "object", sets={"SearchByValue": {"mandatory": True}}, pipeline=True),
    ],
)
def get_site_system(ctx: Any, args: Any) -> Iterator[Any]:
    name = "Get-CMSiteSystemServer"
    hier = ctx.world.hierarchy
    if "InputObject" in args:
        pattern, literal = server_of(args["InputObject"]), True
    else:
        pattern, literal = args.get("SiteSystemServerName"), bool(args.get("DisableWildcardHandling"))
    codes = {s.code for s in scope_sites(ctx, args, name)}
    for srv in hier.servers:
        if srv.site_code in codes and name_matches(pattern, srv.fqdn, literal):
            yield site_system_object(hier, srv)


@cmdlet(
    "New-CMSiteSystemServer",
    module="ConfigurationManager",
    should_process=True,
    impl_type=impl("New-CMSiteSystemServer"),
    params=[
        *SETTINGS,
        P("SiteCode", "string"),
        P("SiteSystemServerName", "string", aliases=("ServerName", "Name"), mandatory=True, position=0),
    ],
)
def new_site_system(ctx: Any, args: Any) -> Iterator[Any]:
    name = "New-CMSiteSystemServer"
    hier = ctx.world.hierarchy
    site = resolve_site(ctx, args, name)
    require_admin(ctx, name)
    fqdn = args["SiteSystemServerName"].lower()
    if hier.server(fqdn, site.code) is not None:
        # inferred wording
        raise error(
            name,
            f"The site system server {fqdn} already exists in site {site.code}.",
            "ResourceExists",
            "System.ArgumentException",
            "SiteSystemExists",
            fqdn,
        )
    srv = SiteSystemServer(fqdn, site.code)
    _apply(name, srv, args)
    if not whatif_ok(ctx, args, "New", fqdn):
        return
    hier.servers.append(srv)
    hier.bump()
    yield site_system_object(hier, srv)


@cmdlet(
    "Set-CMSiteSystemServer",
    module="ConfigurationManager",
    default_set="SearchByValueMandatory",
    should_process=True,
    impl_type=impl("Set-CMSiteSystemServer"),
    params=[
        *SETTINGS,
        P("PassThru", "switch"),
        P("SiteCode", "string", sets={"SearchByNameMandatory": {}}),
        P(
            "SiteSystemServerName",
            "string",
            aliases=NAME_ALIASES,
            sets={"SearchByNameMandatory": {"mandatory": True, "position": 0}},
        ),
        P(
            "InputObject",
            "object",
            aliases=("SiteSystem", "SiteSystemServer"),
            sets={"SearchByValueMandatory": {"mandatory": True}},
            pipeline=True,
        ),
    ],
)
def set_site_system(ctx: Any, args: Any) -> Iterator[Any]:
    name = "Set-CMSiteSystemServer"
    srv = _lookup(ctx, args, name)
    require_admin(ctx, name)
    if whatif_ok(ctx, args, "Set", srv.fqdn):
        _apply(name, srv, args)
        ctx.world.hierarchy.bump()
    if args.get("PassThru"):
        yield site_system_object(ctx.world.hierarchy, srv)


@cmdlet(
    "Remove-CMSiteSystemServer",
    module="ConfigurationManager",
    default_set="SearchByValue",
    should_process=True,
    impl_type=impl("Remove-CMSiteSystemServer"),
    params=[
        P("Force", "switch"),
        P("SiteCode", "string", sets={"SearchByName": {}}),
        P(
            "SiteSystemServerName",
            "string",
            aliases=NAME_ALIASES,
            sets={"SearchByName": {"mandatory": True, "position": 0}},
        ),
        P(
            "InputObject",
            "object",
            aliases=("SiteSystem", "SiteSystemServer"),
            sets={"SearchByValue": {"mandatory": True}},
            pipeline=True,
        ),
    ],
)
def remove_site_system(ctx: Any, args: Any) -> Iterator[Any]:
    name = "Remove-CMSiteSystemServer"
    hier = ctx.world.hierarchy
    srv = _lookup(ctx, args, name)
    require_admin(ctx, name)
    others = hier.roles_on(srv.fqdn, srv.site_code)
    if others:
        # [OFFICIAL] fails while other roles remain; inferred wording
        raise error(
            name,
            f"The site system server {srv.fqdn} has other site system roles "
            f"({', '.join(sorted({r.role_name for r in others}))}). Remove them first.",
            "InvalidOperation",
            "System.InvalidOperationException",
            "SiteSystemHasRoles",
            srv.fqdn,
        )
    if should_process(ctx, args, name, "Remove", srv.fqdn):
        hier.servers.remove(srv)
        hier.bump()
    return iter(())


@cmdlet(
    "Get-CMSiteRole",
    module="ConfigurationManager",
    impl_type=impl("Get-CMSiteRole"),
    params=[
        P("AllSite", "switch", aliases=("AllSites",)),
        P("RoleName", "string"),
        P("SiteCode", "string"),
        P("SiteSystemServerName", "string", aliases=NAME_ALIASES, position=0),
    ],
)
def get_site_role(ctx: Any, args: Any) -> Iterator[Any]:
    name = "Get-CMSiteRole"
    hier = ctx.world.hierarchy
    codes = {s.code for s in scope_sites(ctx, args, name)}
    pattern, literal = args.get("SiteSystemServerName"), bool(args.get("DisableWildcardHandling"))
    want = (args.get("RoleName") or "").lower()
    out = [
        site_system_object(hier, s)
        for s in hier.servers
        if (not want or want == SITE_SYSTEM_ROLE.lower())
        and s.site_code in codes
        and name_matches(pattern, s.fqdn, literal)
    ]
    out += [
        role_object(r)
        for r in hier.roles
        if (not want or r.role_name.lower() == want) and r.site_code in codes and name_matches(pattern, r.fqdn, literal)
    ]
    return iter(out)


REMOVE_SITE_ROLE_PARAMS = [
    P("Force", "switch"),
    P("RoleName", "string", mandatory=True),
    P("SiteCode", "string"),
    P("SiteSystemServerName", "string", aliases=NAME_ALIASES, mandatory=True),
]


@cmdlet(
    "Remove-CMSiteRole",
    module="ConfigurationManager",
    should_process=True,
    impl_type=impl("Remove-CMSiteRole"),
    params=REMOVE_SITE_ROLE_PARAMS,
)
def remove_site_role(ctx: Any, args: Any) -> Iterator[Any]:
    name = "Remove-CMSiteRole"
    hier = ctx.world.hierarchy
    site = resolve_site(ctx, args, name)
    role = next(
        (
            r
            for r in hier.roles_on(args["SiteSystemServerName"], site.code)
            if r.role_name.lower() == args["RoleName"].lower()
        ),
        None,
    )
    if role is None:
        srv = hier.server(args["SiteSystemServerName"], site.code)
        if srv is None or args["RoleName"].lower() != SITE_SYSTEM_ROLE.lower():
            raise not_found(name, args["SiteSystemServerName"])
        raise error(
            name,
            "Use Remove-CMSiteSystemServer to remove the site system role.",
            "InvalidOperation",
            "System.InvalidOperationException",
            "UseRemoveSiteSystemServer",
        )  # inferred
    require_admin(ctx, name)
    if should_process(ctx, args, name, "Remove", f"{role.role_name} on {role.fqdn}"):
        remove_role(ctx.world, role)
    return iter(())
