"""*-CMServiceConnectionPoint [OFFICIAL syntax, facts 1.1-1.4]."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from tests.lab.ps.spec import P, cmdlet
from tests.lab.world.cm_cmdlets.common import (
    INVALID_OP,
    error,
    impl,
    name_matches,
    not_found,
    require_admin,
    resolve_site,
    scope_sites,
    server_of,
    should_process,
    whatif_ok,
)
from tests.lab.world.cm_cmdlets.objects import role_object
from tests.lab.world.model import SCP_ROLE, Role, scp_props

MODE: dict[str, Any] = dict(
    type="enum",
    values=("Online", "Offline"),
    type_name="Microsoft.ConfigurationManagement.Cmdlets.HS.Commands.ServiceConnectionPointMode",
)  # inferred type name
NAME_ALIASES = ("Name", "ServerName")


def _find_scp(ctx: Any, site_code: str, server: str) -> Role | None:
    return next(
        (
            r
            for r in ctx.world.hierarchy.find_roles(SCP_ROLE)
            if r.site_code == site_code and name_matches(server, r.fqdn, literal=True)
        ),
        None,
    )


def _target(ctx: Any, args: Any, name: str) -> tuple[str, str]:
    """(site code, server) from -InputObject or -SiteCode/-SiteSystemServerName."""
    if "InputObject" in args:
        server = server_of(args["InputObject"])
        code = args["InputObject"].get("SiteCode") if hasattr(args["InputObject"], "get") else None
        if not server:
            raise error(
                name,
                "The input object is not a site system object.",
                "InvalidArgument",
                "System.ArgumentException",
                "InvalidInputObject",
            )  # inferred wording
        site = ctx.world.hierarchy.site(code) or resolve_site(ctx, args, name)
        return site.code, server
    return resolve_site(ctx, args, name).code, args["SiteSystemServerName"]


@cmdlet(
    "Get-CMServiceConnectionPoint",
    module="ConfigurationManager",
    default_set="SearchByName",
    impl_type=impl("Get-CMServiceConnectionPoint"),
    params=[
        P("AllSite", "switch", aliases=("AllSites",)),
        P("SiteCode", "string", sets={"SearchByName": {}}),
        P("SiteSystemServerName", "string", aliases=NAME_ALIASES, sets={"SearchByName": {"position": 0}}),
        P("InputObject", "object", sets={"SearchByValue": {"mandatory": True}}, pipeline=True),
    ],
)
def get_scp(ctx: Any, args: Any) -> Iterator[Any]:
    name = "Get-CMServiceConnectionPoint"
    if "InputObject" in args:
        pattern, literal = server_of(args["InputObject"]), True
    else:
        pattern, literal = args.get("SiteSystemServerName"), bool(args.get("DisableWildcardHandling"))
    codes = {s.code for s in scope_sites(ctx, args, name)}
    for role in ctx.world.hierarchy.find_roles(SCP_ROLE):
        if role.site_code in codes and name_matches(pattern, role.fqdn, literal):
            yield role_object(role)


@cmdlet(
    "Add-CMServiceConnectionPoint",
    module="ConfigurationManager",
    default_set="ByValue",
    should_process=True,
    impl_type=impl("Add-CMServiceConnectionPoint"),
    params=[
        P("Mode", mandatory=True, **MODE),
        P("SiteCode", "string", sets={"ByName": {}}),
        P("SiteSystemServerName", "string", aliases=NAME_ALIASES, sets={"ByName": {"mandatory": True, "position": 0}}),
        P("InputObject", "object", aliases=("SiteServer",), sets={"ByValue": {"mandatory": True}}, pipeline=True),
    ],
)
def add_scp(ctx: Any, args: Any) -> Iterator[Any]:
    name = "Add-CMServiceConnectionPoint"
    world = ctx.world
    hier = world.hierarchy
    code, server = _target(ctx, args, name)
    site = hier.site(code)
    srv = hier.server(server, code)
    if srv is None:
        # inferred: the role needs an existing site system server of that site (New-CMSiteSystemServer first).
        raise not_found(name, server)
    require_admin(ctx, name)
    top = hier.top_site()
    if top is None or top.code != site.code:
        # [OFFICIAL] rule; inferred wording
        raise error(
            name,
            f"The service connection point can only be installed at the top-tier site of the hierarchy "
            f"(central administration site or stand-alone primary site). Site {site.code} is not the top-tier site.",
            "InvalidOperation",
            INVALID_OP,
            "InvalidSiteForRole",
            code,
        )
    existing = hier.scp()
    if existing is not None:
        # [OFFICIAL] single instance per hierarchy; inferred wording
        raise error(
            name,
            f"A service connection point already exists in this hierarchy on {existing.fqdn} "
            f"(site {existing.site_code}). Each hierarchy supports a single instance of this role.",
            "ResourceExists",
            INVALID_OP,
            "RoleAlreadyExists",
            server,
        )
    if not whatif_ok(ctx, args, "Add", srv.fqdn):
        return
    role = Role(
        SCP_ROLE, srv.fqdn, site.code, hier.role_type_for(srv.fqdn, site.code), scp_props(args["Mode"] == "Offline")
    )
    hier.roles.append(role)
    hier.bump()
    world.sitecomp.request_cycle()
    yield role_object(role)


@cmdlet(
    "Set-CMServiceConnectionPoint",
    module="ConfigurationManager",
    default_set="ByValue",
    should_process=True,
    impl_type=impl("Set-CMServiceConnectionPoint"),
    params=[
        P("Mode", **MODE),
        P("PassThru", "switch"),
        P("SiteCode", "string", sets={"ByName": {}}),
        P("SiteSystemServerName", "string", aliases=NAME_ALIASES, sets={"ByName": {"mandatory": True, "position": 0}}),
        P(
            "InputObject",
            "object",
            aliases=("ServiceConnectionPoint",),
            sets={"ByValue": {"mandatory": True}},
            pipeline=True,
        ),
    ],
)
def set_scp(ctx: Any, args: Any) -> Iterator[Any]:
    name = "Set-CMServiceConnectionPoint"
    code, server = _target(ctx, args, name)
    role = _find_scp(ctx, code, server)
    if role is None:
        raise not_found(name, server)
    require_admin(ctx, name)
    if "Mode" in args and whatif_ok(ctx, args, "Set", role.fqdn):
        # Site control only: SMS_DMP_DOWNLOADER keeps its effective mode until it restarts [OFFICIAL].
        role.props = [
            p if p.name != "OfflineMode" else type(p)("OfflineMode", int(args["Mode"] == "Offline")) for p in role.props
        ]
        ctx.world.hierarchy.bump()
    if args.get("PassThru"):
        yield role_object(role)


@cmdlet(
    "Remove-CMServiceConnectionPoint",
    module="ConfigurationManager",
    default_set="SearchByValueMandatory",
    should_process=True,
    impl_type=impl("Remove-CMServiceConnectionPoint"),
    params=[
        P("Force", "switch"),
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
            aliases=("ReportingServicePoint",),
            sets={"SearchByValueMandatory": {"mandatory": True}},
            pipeline=True,
        ),
    ],
)
def remove_scp(ctx: Any, args: Any) -> Iterator[Any]:
    name = "Remove-CMServiceConnectionPoint"
    code, server = _target(ctx, args, name)
    role = _find_scp(ctx, code, server)
    if role is None:
        raise not_found(name, server)
    require_admin(ctx, name)
    if should_process(ctx, args, name, "Remove", f"{SCP_ROLE} on {role.fqdn}"):
        remove_role(ctx.world, role)
    return iter(())


def remove_role(world: Any, role: Role) -> None:
    """Site control loses the role at once; Site Component Manager de-installs it on its next cycle."""
    world.hierarchy.roles.remove(role)
    world.hierarchy.bump()
    world.sitecomp.request_cycle()
