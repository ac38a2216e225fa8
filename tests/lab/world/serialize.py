"""JSON views of the hierarchy and hosts, for GET /state."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tests.lab.windows.host import WindowsHost
from tests.lab.world import paths
from tests.lab.world.model import TELEMETRY_LEVELS, Hierarchy

if TYPE_CHECKING:
    from tests.lab.world.world import World


def hierarchy_json(hier: Hierarchy) -> dict[str, Any]:
    return {
        "sites": {
            code: {
                "name": s.name,
                "type": s.type,
                "reporting_site_code": s.reporting_site_code,
                "server": s.server,
                "provider": s.provider,
                "providers": list(s.providers),
                "passive_server": s.passive_server or None,
                "install_dir": s.install_dir,
                "version": s.version,
                "build": s.build,
                "mode": s.mode,
                "status": s.status,
            }
            for code, s in hier.sites.items()
        },
        "site_systems": [
            {
                "fqdn": s.fqdn,
                "site_code": s.site_code,
                "use_site_server_account": s.use_site_server_account,
                "account": s.account,
                "proxy": s.proxy,
                "proxy_account": s.proxy_account,
                "public_fqdn": s.public_fqdn,
                "fdm": s.fdm,
            }
            for s in hier.servers
        ],
        "roles": [{"server": r.fqdn, **r.to_json()} for r in hier.roles],
        "telemetry_level": TELEMETRY_LEVELS.get(hier.settings.telemetry_level, hier.settings.telemetry_level),
        "aad_apps": [
            {
                "name": a.name,
                "tenant_id": a.tenant_id,
                "client_id": a.client_id,
                "secret_key_expiry": a.secret_key_expiry.isoformat(),
            }
            for a in hier.aad_apps
        ],
        "accounts": [a.user_name for a in hier.accounts],
        "updates": [{"name": u.name, "state": u.state, "installing": u.installing} for u in hier.updates],
        "full_admins": sorted(hier.full_admins),
        "serial": hier.serial,
        "status_messages": [
            {
                "site": m.site_code,
                "component": m.component,
                "machine": m.machine,
                "id": m.message_id,
                "severity": m.severity,
                "time": m.time.isoformat(),
            }
            for m in hier.status_messages[-100:]
        ],
    }


def host_json(world: World, host: WindowsHost) -> dict[str, Any]:
    threads = {}
    for component in world.executive.components(host):
        key = paths.thread_key(component)
        op = host.registry.get_value(key, "Requested Operation")
        threads[component] = {"state": world.executive.state(host, component), "requested": op[0] if op else None}
    logs = []
    folder = world.log_dir(host)
    for candidate in (folder, "C:\\SMS\\Logs"):
        if host.files.is_dir(candidate):
            logs += [f"{i.full_name} ({i.length})" for i in host.files.list(candidate) if not i.is_dir]
    return {
        "fqdn": host.fqdn,
        "admins": sorted(host.admins),
        "services": {s.name: s.status for s in host.services.values()},
        "modules": sorted(m.name for m in host.modules.values()),
        "threads": threads,
        "roles_installed": host.registry.subkeys(paths.SERVER_ROLE_KEY),
        "logs": sorted(logs),
    }
