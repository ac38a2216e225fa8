"""Read-mostly cmdlets: site, components, hierarchy setting, Entra apps, accounts, updates, status messages."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timezone
from fnmatch import fnmatchcase
from typing import Any

from tests.lab.ps.spec import P, cmdlet
from tests.lab.world.cm_cmdlets.common import impl, name_matches, require_admin, resolve_site, whatif_ok
from tests.lab.world.cm_cmdlets.objects import (
    aad_app_object,
    account_object,
    component_object,
    hierarchy_setting_object,
    site_object,
    status_object,
    update_object,
)
from tests.lab.world.model import SCP_ROLE, EmbeddedProperty

TELEMETRY = {"Basic": 1, "Enhanced": 2, "Full": 3}


def _like(pattern: str | None, value: str) -> bool:
    return not pattern or fnmatchcase(value.lower(), pattern.lower())


@cmdlet(
    "Get-CMSite",
    module="ConfigurationManager",
    impl_type=impl("Get-CMSite"),
    params=[
        P("Name", "string", aliases=("SiteName",)),
        P("SiteCode", "string", position=0),
    ],
)
def get_site(ctx: Any, args: Any) -> Iterator[Any]:
    """Every site of the hierarchy, through the SMS Provider of any site.

    [OFFICIAL] the cmdlet overview: "returns information about the site you're currently connected to and any child
    sites"; database-replication: "All sites share the same information", global data replicates to all sites.
    inferred: site definitions are global data, so a child primary's provider lists its parent CAS and the sibling
    primaries too (each SMS_Site with its ReportingSiteCode), not only its own subtree.
    """
    for site in ctx.world.hierarchy.sites.values():
        if _like(args.get("SiteCode"), site.code) and _like(args.get("Name"), site.name):
            yield site_object(site)


@cmdlet(
    "Get-CMSiteComponent",
    module="ConfigurationManager",
    impl_type=impl("Get-CMSiteComponent"),
    params=[
        P("ComponentName", "string"),
        P("SiteCode", "string"),
        P("SiteSystemServerName", "string"),
    ],
)
def get_site_component(ctx: Any, args: Any) -> Iterator[Any]:
    hier = ctx.world.hierarchy
    site = resolve_site(ctx, args, "Get-CMSiteComponent")
    comps: list[tuple[str, str, str, list[EmbeddedProperty]]] = [
        (site.server, "SMS_SITE_COMPONENT_MANAGER", "SMS_SITE_COMPONENT_MANAGER|SMS Site Server", []),
        (site.server, "SMS_HIERARCHY_MANAGER", "SMS_HIERARCHY_MANAGER|SMS Site Server", []),
    ]
    for role in hier.find_roles(SCP_ROLE):
        if role.site_code == site.code:
            # [COMMUNITY, single source] ItemName and the two embedded properties
            comps.append(
                (
                    role.fqdn,
                    "SMS_DMP_DOWNLOADER",
                    "SMS_DMP_DOWNLOADER|SMS Dmp Connector",
                    [EmbeddedProperty("EasySetupDownloadInterval", 1440), EmbeddedProperty("SyncNow", 0)],
                )
            )
    for fqdn, comp, item, props in comps:
        if _like(args.get("ComponentName"), comp) and name_matches(args.get("SiteSystemServerName"), fqdn):
            yield component_object(site.code, comp, fqdn, item, props)


@cmdlet(
    "Get-CMHierarchySetting",
    module="ConfigurationManager",
    impl_type=impl("Get-CMHierarchySetting"),
    params=[
        P("SiteCode", "string"),
    ],
)
def get_hierarchy_setting(ctx: Any, args: Any) -> Iterator[Any]:
    site = resolve_site(ctx, args, "Get-CMHierarchySetting")
    yield hierarchy_setting_object(ctx.world.hierarchy, site)


@cmdlet(
    "Set-CMHierarchySetting",
    module="ConfigurationManager",
    should_process=True,
    impl_type=impl("Set-CMHierarchySetting"),
    params=[
        P(
            "TelemetryLevel",
            "enum",
            aliases=("DiagnosticLevel",),
            values=tuple(TELEMETRY),
            type_name="Microsoft.ConfigurationManagement.Cmdlets.HS.Commands.TelemetryLevelType",
        ),  # inferred type name
        P("PassThru", "switch"),
    ],
)
def set_hierarchy_setting(ctx: Any, args: Any) -> Iterator[Any]:
    name = "Set-CMHierarchySetting"
    require_admin(ctx, name)  # [OFFICIAL] needs Modify on Site
    if "TelemetryLevel" in args and whatif_ok(ctx, args, "Set", "TelemetryLevel"):
        ctx.world.hierarchy.settings.telemetry_level = TELEMETRY[args["TelemetryLevel"]]
        ctx.world.hierarchy.bump()
    if args.get("PassThru"):
        yield hierarchy_setting_object(ctx.world.hierarchy, resolve_site(ctx, args, name))


@cmdlet(
    "Get-CMAADApplication",
    module="ConfigurationManager",
    impl_type=impl("Get-CMAADApplication"),
    params=[
        P("AppName", "string"),
        P("AppType", "enum", values=("ServerApplication", "ClientApplication")),
        P("ClientId", "string"),
        P("TenantId", "string"),
        P("TenantName", "string"),
    ],
)
def get_aad_app(ctx: Any, args: Any) -> Iterator[Any]:
    for app in ctx.world.hierarchy.aad_apps:
        if (
            _like(args.get("AppName"), app.name)
            and _like(args.get("ClientId"), app.client_id)
            and _like(args.get("TenantId"), app.tenant_id)
            and _like(args.get("TenantName"), app.tenant_name)
            and args.get("AppType", app.app_type) == app.app_type
        ):
            yield aad_app_object(app)


@cmdlet(
    "Get-CMAccount",
    module="ConfigurationManager",
    impl_type=impl("Get-CMAccount"),
    params=[
        P("UserName", "string", aliases=("Name",), position=0),
        P("SiteCode", "string"),
    ],
)
def get_account(ctx: Any, args: Any) -> Iterator[Any]:
    for acct in ctx.world.hierarchy.accounts:
        if _like(args.get("UserName"), acct.user_name) and _like(args.get("SiteCode"), acct.site_code):
            yield account_object(acct)


@cmdlet(
    "Get-CMSiteUpdate",
    module="ConfigurationManager",
    impl_type=impl("Get-CMSiteUpdate"),
    params=[
        P("Fast", "switch"),
        P("Name", "string"),
    ],
)
def get_site_update(ctx: Any, args: Any) -> Iterator[Any]:
    if not args.get("Fast"):
        # [OFFICIAL] a warning without -Fast; inferred wording
        ctx.write_warning(
            "The cmdlet 'Get-CMSiteUpdate' may be slow because it retrieves lazy properties. "
            "Use -Fast to skip them, or set $CMPSSuppressFastNotUsedCheck = $true to hide this warning."
        )
    for update in ctx.world.hierarchy.updates:
        if _like(args.get("Name"), update.name):
            yield update_object(update)


@cmdlet(
    "Invoke-CMSiteUpdateCheck",
    module="ConfigurationManager",
    should_process=True,
    impl_type=impl("Invoke-CMSiteUpdateCheck"),
)
def invoke_update_check(ctx: Any, args: Any) -> Iterator[Any]:
    """inferred: asks the SCP's downloader for a cycle soon; no output."""
    require_admin(ctx, "Invoke-CMSiteUpdateCheck")
    world = ctx.world
    role = world.hierarchy.scp()
    host = world.host(role.fqdn) if role else None
    if host is not None and whatif_ok(ctx, args, "Invoke", "Site update check"):
        world.dmp.request_sync(host)
    return iter(())


STATUS_MESSAGE_PARAMS = [
    P("ComponentName", "string", aliases=("Component",)),
    P("ComputerName", "string", aliases=("MachineName",)),
    P("SiteCode", "string"),
    P("Severity", "enum", values=("All", "Error", "Warning", "Information")),
    P("StartTime", "datetime", aliases=("ViewingPeriod",), mandatory=True),
]


@cmdlet(
    "Get-CMComponentStatusMessage",
    module="ConfigurationManager",
    impl_type=impl("Get-CMComponentStatusMessage"),
    params=STATUS_MESSAGE_PARAMS,
)
def get_status_messages(ctx: Any, args: Any) -> Iterator[Any]:
    start = args["StartTime"]
    if start.tzinfo is None:
        start = start.replace(tzinfo=timezone.utc)
    severity = args.get("Severity", "All")
    # [OFFICIAL] database-replication: status messages are site data, "only viewable at the CAS and at the primary
    # site where the data originates". inferred: the connected site sees its own and its descendants' messages.
    visible = {s.code for s in ctx.world.hierarchy.subtree(ctx.site_code)} if ctx.site_code else None
    for msg in ctx.world.hierarchy.status_messages:
        if visible is not None and msg.site_code and msg.site_code.upper() not in visible:
            continue
        if (
            msg.time >= start
            and _like(args.get("ComponentName"), msg.component)
            and name_matches(args.get("ComputerName"), msg.machine)
            and _like(args.get("SiteCode"), msg.site_code)
            and severity in ("All", msg.severity)
        ):
            yield status_object(msg)
