"""Site expansion: a new CAS above a standalone primary [OFFICIAL requirements]."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tests.lab.world.model import MODE_EXPANSION, MODE_NORMAL, SCP_ROLE, SITE_CAS, SITE_PRIMARY, Site
from tests.lab.world.scenario import setup_site_server

if TYPE_CHECKING:
    from tests.lab.world.world import World


class ExpansionError(Exception):
    """Setup refuses to expand the site."""


def start_expansion(world: World, code: str, server: str, name: str) -> Site:
    hier = world.hierarchy
    primary = hier.top_site()
    if primary is None or primary.type != SITE_PRIMARY or primary.reporting_site_code:
        raise ExpansionError("There is no stand-alone primary site to expand.")
    if hier.site(code) is not None:
        raise ExpansionError(f"The site code {code.upper()} is already in use.")
    # [OFFICIAL] "Before you expand the site, uninstall ... Service connection point"; a pending de-install counts.
    if hier.find_roles(SCP_ROLE) or any(k[1] == SCP_ROLE.lower() for k in world.sitecomp.installed):
        raise ExpansionError(
            "The service connection point is installed on the stand-alone primary site. "
            "First uninstall it from the stand-alone primary site, then reinstall it at the "
            "central administration site after the expansion."
        )  # inferred wording
    cas_host, primary_host = world.host(server), world.host(primary.server)
    if cas_host is None:
        raise ExpansionError(f"The server {server} is not reachable.")
    # [OFFICIAL] the new CAS computer account must be an Administrator on the standalone primary.
    if primary_host is not None and cas_host.computer_account.lower() not in primary_host.admins:
        raise ExpansionError(
            f"The computer account {cas_host.computer_account} must be a member of the local "
            f"Administrators group on {primary.server}."
        )  # inferred wording
    cas = Site(
        code=code.upper(),
        name=name,
        type=SITE_CAS,
        server=cas_host.fqdn.lower(),
        provider=cas_host.fqdn.lower(),
        install_dir=primary.install_dir,
        version=primary.version,
        build=primary.build,
        mode=MODE_EXPANSION,
    )
    hier.sites[cas.code] = cas
    primary.reporting_site_code = cas.code
    primary.mode = MODE_EXPANSION
    setup_site_server(world, cas)
    if primary_host is not None:
        cas_host.admins.add(primary_host.computer_account.lower())
    hier.bump()
    world.event("expansion_started", cas=cas.code, primary=primary.code)

    def finish() -> None:
        with world.lock:
            cas.mode = MODE_NORMAL
            primary.mode = MODE_NORMAL
            hier.bump()
            world.event("expansion_completed", cas=cas.code, primary=primary.code)

    world.clock.schedule(world.expansion_seconds, finish)
    return cas
