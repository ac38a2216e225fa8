"""Which machine plays which part in one operation: the SMS Provider we talk to, the site server of each site, the
SCP host and the high-availability partners. Pure: built from one ProviderState, no I/O.

Why it matters (each is a place where evidence lives, docs/architecture.md "Topology"):
- the SMS Provider answers the cmdlets; it may be a server of its own (remote provider) [OFFICIAL: the SMS Provider
  can be installed on a server other than the site server, memdocs plan-for-the-sms-provider];
- Site Component Manager writes sitecomp.log on the site server of the site that owns the role
  (<InstallDir>\\Logs on that site server) [OFFICIAL log-files reference]; for an SCP at a child site that is the
  child's site server, not the top-tier one;
- the SCP host holds the SMS_EXECUTIVE thread key of SMS_DMP_DOWNLOADER [COMMUNITY: memlabs polls it];
- "Don't host the service connection point role on either site server configured for high availability"
  [OFFICIAL: memdocs site-server-high-availability];
- every change at the top-tier site goes through the top-tier site's SMS Provider (check_top_tier).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..errors import PlanRefused
from .constants import SITE_SERVER_ROLE
from .model import ProviderState, TopTierCheck, server_from_path


def same_machine(a: str | None, b: str | None) -> bool:
    """FQDN or NetBIOS names of one machine, case-insensitive (`cm01` is `cm01.contoso.com`)."""
    if not a or not b:
        return False
    a, b = a.lower().strip("\\"), b.lower().strip("\\")
    if a == b:
        return True
    if "." in a and "." in b:
        return False
    return a.split(".")[0] == b.split(".")[0]


def ha_site_servers(state: ProviderState) -> dict[str, list[str]]:
    """Site code -> every server holding a site server role at that site, for sites with more than one (an HA pair:
    active + passive). A role name containing "passive" also counts: the passive role's exact RoleName is not
    documented (inferred; only the full "roles" read has such rows). Needs the role rows (read_state with "roles", or
    "site_servers": the "SMS Site Server" rows only); empty when they were not read."""
    by_site: dict[str, list[str]] = {}
    passive: dict[str, list[str]] = {}
    for row in state.site_roles or []:
        name = server_from_path(row.get("NetworkOSPath")) or ""
        role = str(row.get("RoleName") or "")
        code = str(row.get("SiteCode") or "").upper()
        if not name:
            continue
        if role == SITE_SERVER_ROLE:
            by_site.setdefault(code, [])
            if name not in by_site[code]:
                by_site[code].append(name)
        elif "passive" in role.lower():
            passive.setdefault(code, []).append(name)
    pairs: dict[str, list[str]] = {}
    for code in sorted(set(by_site) | set(passive)):
        servers = list(by_site.get(code, []))
        servers += [s for s in passive.get(code, []) if s not in servers]
        if len(servers) > 1 or passive.get(code):
            site = state.hierarchy.site(code)
            if site is not None and site.server and site.server not in servers:
                servers.insert(0, site.server)
            pairs[code] = servers
    return pairs


@dataclass(frozen=True)
class Topology:
    provider: str  # the SMS Provider machine the cmdlets run on
    provider_site: str  # the site whose provider that is
    top_tier_site: str | None
    site_servers: dict[str, str] = field(default_factory=dict)  # site code -> site server FQDN
    ha: dict[str, list[str]] = field(default_factory=dict)  # site code -> HA site servers
    scp_server: str | None = None
    scp_site: str | None = None
    roles_read: bool = False

    @classmethod
    def from_state(cls, state: ProviderState) -> Topology:
        top = state.hierarchy.top_tier
        return cls(
            provider=(state.provider or "").lower(),
            provider_site=(state.site_code or "").upper(),
            top_tier_site=top.site_code if top else None,
            site_servers={s.site_code: s.server for s in state.hierarchy.sites if s.server},
            ha=ha_site_servers(state),
            scp_server=state.scp.server if state.scp else None,
            scp_site=state.scp.site_code if state.scp else None,
            roles_read=state.site_roles is not None,
        )

    def site_server(self, site_code: str | None) -> str | None:
        """The site server of `site_code`: where its sitecomp.log is written."""
        return self.site_servers.get((site_code or "").upper())

    def provider_is_site_server(self, site_code: str | None = None) -> bool:
        return same_machine(self.provider, self.site_server(site_code or self.provider_site))

    def ha_partner(self, server: str) -> tuple[str, list[str]] | None:
        """(site code, HA servers) when `server` is one of a site's high-availability site servers."""
        for code, servers in self.ha.items():
            if any(same_machine(server, s) for s in servers):
                return code, servers
        return None

    def at_top_tier(self) -> bool:
        """Whether the SMS Provider we talk to is the top-tier site's."""
        return bool(self.top_tier_site) and self.provider_site == self.top_tier_site

    def to_dict(self) -> dict[str, Any]:
        return {
            "provider": self.provider,
            "provider_site": self.provider_site,
            "top_tier_site": self.top_tier_site,
            "site_servers": dict(self.site_servers),
            "high_availability": {k: list(v) for k, v in self.ha.items()},
            "scp_server": self.scp_server,
            "scp_site": self.scp_site,
        }


def check_top_tier(state: ProviderState, what: str) -> TopTierCheck:
    """The one top-tier rule of every change: `what` (e.g. "set the usage data level") goes through the SMS Provider of
    the top-tier site. Used by plan_scp for each changing plan and by plan_usage_data; `message` names the provider's
    site, the top-tier site and its server.

    Why: the SCP "can only be installed at the top-tier site of your hierarchy, which is a central administration site
    (CAS) or stand-alone primary site" [OFFICIAL memdocs about-the-service-connection-point], and
    a stranded SCP at a child site is removed or moved from the top tier too (inferred from the CAS managing its child
    sites); the usage data level is hierarchy-wide, Set-CMHierarchySetting has no -SiteCode [OFFICIAL,
    cmdlet reference]. A child primary's provider normally lists the CAS (site definitions are shared across the hierarchy,
    memdocs database-replication; that every provider lists every site is UNVERIFIED, docs/lab.md); when it lists only
    its own site, its parent (ReportingSiteCode) is named: a primary with a parent is the child of a CAS [OFFICIAL,
    memdocs design-a-hierarchy-of-sites]. `model.check_site_is_top_tier(hierarchy, site)` is the narrower question whether one site is the
    top-tier site (the SCP's own site, the top_tier_site prerequisite)."""
    topology = Topology.from_state(state)
    here = topology.provider_site
    if topology.at_top_tier():
        return TopTierCheck(True, f"site {here} is the top-tier site", here)
    top = topology.top_tier_site
    site = state.hierarchy.site(here)
    parent = site.parent if site is not None and top is None else None
    if top is not None:
        why = f"site {here} is not the top-tier site" if here else "the SMS Provider's site is not known"
        server = topology.site_server(top)
        where = f"the top-tier site {top}" + (f" (site server {server})" if server else "")
    elif parent and site is not None:
        why = f"site {here} is a child {site.type_name.lower()} site; its parent, the top-tier site, is {parent}"
        where = f"the top-tier site {parent}"
    else:
        why = "no top-tier site is visible from here (no CAS and no stand-alone primary in Get-CMSite)"
        where = "the top-tier site"
    return TopTierCheck(
        False,
        f"cannot {what} through the SMS Provider of site {here or 'unknown'} ({topology.provider or 'unknown'}): {why}. "
        f"Run the task against the SMS Provider of {where}",
        top or parent,
        parent,
    )


def require_top_tier(state: ProviderState, what: str) -> None:
    """check_top_tier, raised: PlanRefused naming the SMS Provider host when `what` may not go through it."""
    verdict = check_top_tier(state, what)
    if not verdict.ok:
        raise PlanRefused(verdict.message, state.provider, "plan")
