"""Scenario data (parsed YAML) -> World. The schema is documented in scenarios/README.md."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

from tests.lab.windows.host import WindowsHost
from tests.lab.windows.network import Network
from tests.lab.world import paths
from tests.lab.world.clock import Clock
from tests.lab.world.logs import DEFAULT_MAX_SIZE, LogSettings
from tests.lab.world.model import (
    COMPONENT_SERVER_ROLE,
    DOCUMENTED_MODES,
    MODE_NORMAL,
    PROVIDER_ROLE,
    SCP_ROLE,
    SITE_CAS,
    SITE_PRIMARY,
    SITE_SECONDARY,
    SITE_SERVER_ROLE,
    UPDATE_APPLICABILITY_SUCCESS,
    UPDATE_INSTALL_IN_PROGRESS,
    UPDATE_INSTALL_SUCCESS,
    AadApp,
    Account,
    Hierarchy,
    OfferedUpdate,
    Role,
    Site,
    SiteSystemServer,
    SiteUpdate,
    scp_props,
)
from tests.lab.world.sct import install_from_scenario
from tests.lab.world.sitecomp import apply_install

if TYPE_CHECKING:
    from tests.lab.world.world import World

SITE_TYPES = {"secondary": SITE_SECONDARY, "primary": SITE_PRIMARY, "cas": SITE_CAS}
TELEMETRY = {"basic": 1, "enhanced": 2, "full": 3}
UPDATE_STATES = {
    "available": UPDATE_APPLICABILITY_SUCCESS,
    "installing": UPDATE_INSTALL_IN_PROGRESS,
    "installed": UPDATE_INSTALL_SUCCESS,
}
CONSOLE_DIR = "C:\\Program Files (x86)\\Microsoft Endpoint Manager\\AdminConsole"  # [OFFICIAL] default path
CM_MODULE_VERSION = "5.2509.1101.1000"  # inferred: a plausible module version (>= 5.1902)
SITE_SERVER_THREADS = ("SMS_HIERARCHY_MANAGER", "SMS_DISTRIBUTION_MANAGER", "SMS_STATUS_MANAGER")


def scenario_start(data: dict[str, Any]) -> datetime | None:
    """The pinned start of the simulated clock (``clock: {start: ISO-8601}``), or None: start at UTC now."""
    start = (data.get("clock") or {}).get("start")
    if start is None:
        return None
    when = start if isinstance(start, datetime) else datetime.fromisoformat(str(start).replace("Z", "+00:00"))
    return when if when.tzinfo is not None else when.replace(tzinfo=timezone.utc)


def build_world(cls: type[World], data: dict[str, Any], clock: Clock) -> World:
    pinned = scenario_start(data)
    if pinned is not None:
        clock.pin(pinned)
    logs = data.get("logs") or {}
    world = cls(clock, Hierarchy(), LogSettings(logs.get("formats"), int(logs.get("max_size", DEFAULT_MAX_SIZE))))
    domain = (data.get("domain") or {}).get("netbios", "CONTOSO")
    hier = world.hierarchy
    users = data.get("users") or []
    for user in users:
        if user.get("full_admin"):
            hier.full_admins.add(user["name"].lower())
    for spec in data.get("hosts") or []:
        world.add_host(_make_host(spec, clock, domain, users))
    for spec in data.get("sites") or []:
        site = _make_site(spec)
        hier.sites[site.code] = site
    for site in hier.sites.values():
        setup_site_server(world, site)
    for spec in data.get("site_systems") or []:
        _add_site_system(world, spec)
    _grant_site_server_admin(world, data.get("hosts") or [])
    settings = data.get("hierarchy") or {}
    level = settings.get("telemetry_level", "Enhanced")
    hier.settings.telemetry_level = TELEMETRY[level.lower()] if isinstance(level, str) else int(level)
    for spec in data.get("aad_apps") or []:
        hier.aad_apps.append(_make_aad_app(spec, clock))
    for spec in data.get("accounts") or []:
        hier.accounts.append(Account(spec["user"], spec.get("site", ""), spec.get("purpose", "")))
    for spec in data.get("updates") or []:
        state = spec.get("state", "available")
        hier.updates.append(
            SiteUpdate(
                spec["name"],
                spec.get("guid", "00000000-0000-0000-0000-000000000000"),
                spec.get("version", ""),
                UPDATE_STATES[state.lower()] if isinstance(state, str) else int(state),
            )
        )
    for spec in data.get("service_updates") or []:
        released = spec.get("released_after")  # seconds after the clock's start
        hier.offered.append(
            OfferedUpdate(
                SiteUpdate(
                    spec["name"], spec.get("guid", "00000000-0000-0000-0000-000000000000"), spec.get("version", "")
                ),
                clock.start + timedelta(seconds=float(released)) if released is not None else None,
            )
        )
    for spec in data.get("roles") or []:
        _add_role(world, spec)
    if data.get("service_connection_tool") is not None:
        install_from_scenario(world, data["service_connection_tool"] or {})
    return world


def _make_host(spec: dict[str, Any], clock: Clock, domain: str, users: list[dict[str, Any]]) -> WindowsHost:
    host = WindowsHost(spec["fqdn"].lower(), clock, domain=spec.get("domain", domain))
    logon = {n.lower() for n in spec.get("logon", [])}
    for user in users:
        if not logon or user["name"].lower() in logon:
            host.accounts[user["name"].lower()] = user["password"]
    host.admins.update(a.lower() for a in spec.get("admins", []))
    net = spec.get("network") or {}
    host.network = Network(
        list(net.get("direct", ["*"])),
        {k: list(v) for k, v in (net.get("proxies") or {}).items()},
        list(net.get("blocked_ports", [])),
    )
    tls = 1 if spec.get("tls12", True) else 0
    for key in (paths.DOTNET_KEY, paths.DOTNET_WOW_KEY):
        host.registry.set_value(key, "SystemDefaultTlsVersions", tls, "DWord")
        host.registry.set_value(key, "SchUseStrongCrypto", tls, "DWord")
    if spec.get("console"):
        install_console(host)
    return host


def install_console(host: WindowsHost) -> None:
    """The admin console's PowerShell module [OFFICIAL paths and SMS_ADMIN_UI_PATH]."""
    bin_dir = CONSOLE_DIR + "\\bin"
    host.add_module("ConfigurationManager", CM_MODULE_VERSION, bin_dir + "\\ConfigurationManager.psd1")
    host.env["SMS_ADMIN_UI_PATH"] = bin_dir + "\\i386"
    module_path = host.env.get("PSModulePath", "")
    if bin_dir.lower() not in module_path.lower():
        host.env["PSModulePath"] = f"{module_path};{bin_dir}" if module_path else bin_dir  # [OFFICIAL] 2111+


def _make_site(spec: dict[str, Any]) -> Site:
    site_type = spec.get("type", "primary")
    providers = _names(spec.get("provider")) + _names(spec.get("providers"))
    if not providers:
        providers = [spec["server"]]
    site = Site(
        code=spec["code"].upper(),
        name=spec.get("name", spec["code"]),
        type=SITE_TYPES[site_type.lower()] if isinstance(site_type, str) else int(site_type),
        server=spec["server"],
        provider=providers[0],
        providers=providers,
        reporting_site_code=(spec.get("parent") or "").upper(),
        passive_server=spec.get("passive_server") or "",
    )
    for attr in ("install_dir", "version", "build", "mode", "status"):
        if attr in spec:
            setattr(site, attr, spec[attr])
    if site.mode != MODE_NORMAL and site.mode not in DOCUMENTED_MODES:
        raise ValueError(
            f"site {site.code}: mode {site.mode} is not a documented SMS_Site.Mode value "
            f"({', '.join(map(str, DOCUMENTED_MODES))}) nor {MODE_NORMAL} (normal, inferred)"
        )
    if site.passive_server and site.type == SITE_SECONDARY:
        # [OFFICIAL] "A site server in passive mode isn't supported at a secondary site."
        raise ValueError(f"site {site.code}: a site server in passive mode isn't supported at a secondary site")
    if site.passive_server:
        # [OFFICIAL] site-server-high-availability: "When you add the site server in passive mode, setup installs an
        # instance of the SMS Provider on this server."
        site.add_provider(site.passive_server)
    return site


def _names(value: Any) -> list[str]:
    """A scenario value that is one FQDN or a list of them."""
    if not value:
        return []
    return [str(v).lower() for v in (value if isinstance(value, (list, tuple)) else [value])]


def setup_site_server(world: World, site: Site) -> None:
    """Site control roles, registry, services and folders of a site server (active and passive) and its SMS Providers."""
    hier = world.hierarchy
    wanted = [(SITE_SERVER_ROLE, site.server), (COMPONENT_SERVER_ROLE, site.server)]
    if site.passive_server:
        # [COMMUNITY] memlabs InstallPassiveSiteServer.ps1 finds an installed passive site server with
        # Get-CMSiteRole -SiteSystemServerName <passive> -RoleName "SMS Site Server". inferred: same RoleName, no
        # passive marker the lab could show (none is documented), and no SMS Component Server role.
        wanted.append((SITE_SERVER_ROLE, site.passive_server))
    wanted += [(PROVIDER_ROLE, fqdn) for fqdn in site.providers]
    for role_name, fqdn in wanted:
        if not any(r.role_name == role_name and r.fqdn == fqdn and r.site_code == site.code for r in hier.roles):
            hier.roles.append(Role(role_name, fqdn, site.code, hier.role_type_for(fqdn, site.code)))
    for fqdn in dict.fromkeys([site.server, *site.providers, *site.site_servers]):
        if hier.server(fqdn, site.code) is None:
            hier.servers.append(SiteSystemServer(fqdn, site.code))
    _setup_server_host(world, site, site.server, console=True)
    if site.passive_server:
        # [OFFICIAL] "The Configuration Manager console doesn't automatically install on the site server in passive
        # mode" and "All Configuration Manager site server components are in standby ... The Windows services are still
        # running." inferred: the components are installed like on the active server (the lab has no standby state).
        _setup_server_host(world, site, site.passive_server, console=False)


def _setup_server_host(world: World, site: Site, fqdn: str, console: bool) -> None:
    host = world.host(fqdn)
    if host is None:
        return
    host.registry.set_value(paths.SETUP_KEY, "Full Version", site.version)
    host.registry.set_value(paths.SETUP_KEY, "Installation Directory", site.install_dir)
    for name, display in (
        (paths.EXECUTIVE_SERVICE, "SMS Executive"),
        (paths.SITE_COMP_SERVICE, "SMS Site Component Manager"),
        ("CONFIGURATION_MANAGER_UPDATE", "CONFIGURATION_MANAGER_UPDATE"),
    ):
        if name.lower() not in host.services:
            host.add_service(name, display)
    world.executive.attach_service(host)
    for thread in SITE_SERVER_THREADS:
        world.executive.install(host, thread, f"{site.install_dir}\\bin\\x64\\{thread.lower()}.dll", notify=False)
    host.files.mkdir(site.logs_dir)
    if console and "configurationmanager" not in host.modules:
        install_console(host)


def _add_site_system(world: World, spec: dict[str, Any]) -> None:
    proxy = spec.get("proxy") or {}
    account = spec.get("account") or ""
    srv = SiteSystemServer(
        spec["fqdn"].lower(),
        spec["site"].upper(),
        use_site_server_account=not account,
        account=account,
        proxy_server=proxy.get("server", ""),
        proxy_port=int(proxy.get("port", 0)),
        proxy_account=proxy.get("account", ""),
        public_fqdn=spec.get("public_fqdn", ""),
        fdm=bool(spec.get("fdm", False)),
    )
    existing = world.hierarchy.server(srv.fqdn, srv.site_code)
    if existing is not None:
        world.hierarchy.servers.remove(existing)
    world.hierarchy.servers.append(srv)


def _grant_site_server_admin(world: World, host_specs: list[dict[str, Any]]) -> None:
    """[OFFICIAL] site server computer accounts are local admins on their site systems, unless a host opts out.

    With HA [OFFICIAL, site-server-high-availability]: the passive server's computer account is a local admin on the
    active site server (a prerequisite) and, like the active one, on the site's remote site systems.
    """
    opt_out = {h["fqdn"].lower() for h in host_specs if h.get("site_server_admin") is False}
    for srv in world.hierarchy.servers:
        site = world.hierarchy.site(srv.site_code)
        target = world.host(srv.fqdn)
        if site is None or target is None or srv.fqdn in opt_out:
            continue
        for fqdn in site.site_servers:
            server_host = world.host(fqdn)
            if server_host is not None:
                target.admins.add(server_host.computer_account.lower())


def _make_aad_app(spec: dict[str, Any], clock: Clock) -> AadApp:
    expiry = spec.get("secret_expiry")
    if expiry is None:
        when = clock.now() + timedelta(days=int(spec.get("secret_expiry_days", 365)))
    elif isinstance(expiry, datetime):
        when = expiry
    else:
        when = datetime.fromisoformat(str(expiry).replace("Z", "+00:00"))
    return AadApp(
        spec["name"],
        spec["tenant_id"],
        spec.get("tenant_name", ""),
        spec["client_id"],
        when,
        spec.get("app_type", "ServerApplication"),
    )


def _add_role(world: World, spec: dict[str, Any]) -> None:
    hier = world.hierarchy
    name, fqdn, code = spec["role"], spec["server"].lower(), spec["site"].upper()
    if name != SCP_ROLE:
        hier.roles.append(Role(name, fqdn, code, hier.role_type_for(fqdn, code)))
        return
    offline = str(spec.get("mode", "online")).lower() == "offline"
    hier.roles.append(Role(SCP_ROLE, fqdn, code, hier.role_type_for(fqdn, code), scp_props(offline)))
    site, target = hier.site(code), world.host(fqdn)
    if spec.get("installed", True) and site is not None and target is not None:
        world.sitecomp.installed[(fqdn, SCP_ROLE.lower())] = code
        apply_install(world, target, site, SCP_ROLE)
    else:
        world.sitecomp.request_cycle()
