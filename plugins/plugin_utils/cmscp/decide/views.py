"""How library objects appear in module results, where the modules add to them (the host name users know, the roles
of a site system)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..configmgr.model import SiteSystemServer, ThreadState, server_from_path


def thread_view(state: ThreadState, server: str) -> dict[str, Any]:
    """A thread state as returned: `host` is the FQDN the task named (the library names the address it connected to)."""
    data = state.to_dict()
    data["host"] = server
    return data


def roles_by_server(rows: Iterable[Any] | None) -> dict[tuple[str, str], list[str]]:
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


def site_system_view(system: SiteSystemServer, roles: dict[tuple[str, str], list[str]]) -> dict[str, Any]:
    """A site system server as returned, with its roles filled from the role rows."""
    data = system.to_dict()
    data["roles"] = roles.get((system.server.lower(), (system.site_code or "").upper()), list(data.get("roles") or []))
    return data
