"""configmgr.scp.site_system_server: which settings change, which accounts must exist first, and when a site system
server may be removed. Also the site system settings of configmgr.scp.service_connection_point (site_system_spec)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from ..configmgr.constants import SITE_SYSTEM_ROLE
from ..configmgr.model import ProviderState, SiteSystemServer, SiteSystemSpec, server_from_path
from ..errors import ConfigMgrError, InvalidOption, PlanRefused
from ..planner import EnsureSiteSystem
from ..steps import PlanStep

SITE_SYSTEM_FIELDS = (
    "account_name",
    "use_site_server_account",
    "proxy_server",
    "proxy_port",
    "proxy_account",
    "public_fqdn",
)
# Roles every site system server has, which go with the server itself: the site system role that
# Get-CMSiteSystemServer returns (SMS_SCI_SysResUse "SMS Site System") and "SMS Component
# Server" (in Get-CMSiteRole's documented role list; that it comes and goes with every site system is inferred).
# Remove-CMSiteSystemServer: "If the server has other site system roles besides the site system role, this cmdlet
# fails" [OFFICIAL cmdlet reference], so any other role refuses the removal before the cmdlet runs.
BASE_ROLES = frozenset((SITE_SYSTEM_ROLE.lower(), "sms component server"))


def site_system_reads(state: str) -> tuple[str, ...]:
    """What plan_site_system needs read: the sites and site systems, and for a removal the role rows
    (Get-CMSiteRole -AllSite in the same pipeline)."""
    return ("sites", "site_systems") + (("roles",) if state == "absent" else ())


@dataclass(frozen=True)
class DesiredSiteSystem:
    server: str  # FQDN
    state: str = "present"  # present | absent
    site_code: str | None = None  # default: the server's site, else the provider's
    settings: Mapping[str, Any] = field(default_factory=dict)  # the site system options (only those set count)

    def __post_init__(self) -> None:
        if self.state not in ("present", "absent"):
            raise InvalidOption("state", f"must be present or absent, got {self.state!r}")
        # the settings only: the module's other options (the connection's, a password among them) never get in here
        object.__setattr__(self, "settings", {k: self.settings.get(k) for k in SITE_SYSTEM_FIELDS})
        object.__setattr__(self, "server", self.server.lower())
        if self.site_code:
            object.__setattr__(self, "site_code", self.site_code.upper())


@dataclass(frozen=True)
class AccountLookup:
    """A ConfigMgr account that must exist before New-/Set-CMSiteSystemServer runs (Get-CMAccount -UserName)."""

    option: str  # account_name | proxy_account
    user_name: str
    found: bool | None = None  # None: not looked up


@dataclass(frozen=True)
class RemoveSiteSystem(PlanStep):
    action: ClassVar[str] = "remove_site_system"
    mutates: ClassVar[bool] = True
    server: str
    site_code: str

    @property
    def expects(self) -> dict[str, Any]:
        return {"site_system": None}


@dataclass(frozen=True)
class SiteSystemPlan:
    before: dict[str, Any] | None  # the site system server as read, None when it is not one
    after: dict[str, Any] | None  # predicted
    changes: tuple[str, ...] = ()  # names of the settings that change, sorted
    steps: tuple[PlanStep, ...] = ()
    current: SiteSystemServer | None = None  # passed to ensure_site_system_server: no second read

    @property
    def changed(self) -> bool:
        return any(step.mutates for step in self.steps)


def site_system_spec(
    server: str | None, options: Mapping[str, Any] | None, site_code: str | None = None
) -> SiteSystemSpec | None:
    """The desired site system settings from module options (top level or the `site_system` suboptions)."""
    if not options or not server:
        return None
    return SiteSystemSpec(
        server=server,
        site_code=site_code,
        account_name=options.get("account_name"),
        use_site_server_account=bool(options.get("use_site_server_account")),
        proxy_server=options.get("proxy_server"),
        proxy_port=options.get("proxy_port"),
        proxy_account=options.get("proxy_account"),
        public_fqdn=options.get("public_fqdn"),
    )


def set_fields(options: Mapping[str, Any]) -> frozenset[str]:
    """The settings the user gave (a false use_site_server_account is the default, not a wish)."""
    given = {name for name in SITE_SYSTEM_FIELDS if options.get(name) not in (None, "", False)}
    if "proxy_server" in given:
        given.add("proxy_enabled")
    return frozenset(given)


def changed_settings(
    spec: SiteSystemSpec, current: SiteSystemServer | None, options: Mapping[str, Any]
) -> dict[str, Any]:
    """Differences between `spec` and `current`, limited to the settings the user set: a setting left out
    keeps whatever the server has and never makes the task report a change."""
    given = set_fields(options)
    return {key: value for key, value in spec.differences(current).items() if key in given}


def predicted(spec: SiteSystemSpec, current: SiteSystemServer | None, changes: Mapping[str, Any]) -> dict[str, Any]:
    """The site system server after the change, as check mode reports it."""
    base = current.to_dict() if current is not None else {"server": spec.server, "site_code": spec.site_code}
    base.update(changes)
    return base


def accounts_to_check(state: ProviderState, desired: DesiredSiteSystem, check_mode: bool) -> tuple[AccountLookup, ...]:
    """The accounts to look up before a change (none when nothing changes): the installation account, which the cmdlet
    passes on by name whenever it runs, and in check mode the proxy account too (for real SiteProvider reads that one
    itself right before the change, as the constant script needs it)."""
    if desired.state == "absent":
        return ()
    current, spec, changes = _draft(state, desired)
    if current is not None and not changes:
        return ()
    wanted = []
    if spec.account_name and not spec.use_site_server_account:
        wanted.append(AccountLookup("account_name", spec.account_name))
    if check_mode and spec.proxy_server and spec.proxy_account:
        wanted.append(AccountLookup("proxy_account", spec.proxy_account))
    return tuple(wanted)


def plan_site_system(
    state: ProviderState, desired: DesiredSiteSystem, accounts: Sequence[AccountLookup] = ()
) -> SiteSystemPlan:
    """Create, configure or remove the site system server. `accounts` are accounts_to_check's lookups, answered
    (read_accounts): one that was not found refuses the change. PlanRefused names what to do first."""
    if desired.state == "absent":
        return _plan_removal(state, desired)
    current, spec, changes = _draft(state, desired)
    before = current.to_dict() if current is not None else None
    if current is not None and not changes:
        return SiteSystemPlan(before, before, current=current)
    for lookup in accounts:
        if lookup.found is False:
            hint = " (or use_site_server_account=true)" if lookup.option == "account_name" else ""
            raise PlanRefused(
                f"{lookup.option} {lookup.user_name} is not a ConfigMgr account; add it under Administration > Security > Accounts "
                f"first{hint}",
                state.provider,
                f"check the accounts of the site system server {desired.server}",
            )
    if current is None:
        text = f"create the site system server {desired.server} in site {spec.site_code}"
    else:
        text = f"configure the site system server {desired.server} ({', '.join(sorted(changes))})"
    return SiteSystemPlan(
        before, predicted(spec, current, changes), tuple(sorted(changes)), (EnsureSiteSystem(text, spec=spec),), current
    )


def _draft(
    state: ProviderState, desired: DesiredSiteSystem
) -> tuple[SiteSystemServer | None, SiteSystemSpec, dict[str, Any]]:
    """The current server, the desired spec (its site: the given one, else the server's, else the provider's) and the
    settings that differ. A server of another site is refused: it is changed or removed at its own site."""
    current = state.site_system(desired.server)
    if current is not None and desired.site_code and current.site_code != desired.site_code:
        raise PlanRefused(
            f"{desired.server} is a site system of site {current.site_code}, not {desired.site_code}; remove it there first",
            state.provider,
            "configure the site system server",
        )
    site_code = desired.site_code or (current.site_code if current is not None else state.site_code)
    spec = site_system_spec(desired.server, desired.settings, site_code) or SiteSystemSpec(desired.server, site_code)
    return current, spec, changed_settings(spec, current, desired.settings)


def _plan_removal(state: ProviderState, desired: DesiredSiteSystem) -> SiteSystemPlan:
    current = state.site_system(desired.server)
    if current is None:
        return SiteSystemPlan(None, None)
    if state.site_roles is None:
        raise ConfigMgrError(
            'the site system roles were not read (read_state needs "roles" for a removal)', state.provider, "plan"
        )
    roles = {
        str(row.get("RoleName"))
        for row in state.site_roles
        if server_from_path(row.get("NetworkOSPath")) == current.server and row.get("RoleName")
    }
    remaining = sorted(r for r in roles if r.lower() not in BASE_ROLES)
    if remaining:
        raise PlanRefused(
            f"{current.server} still has site system roles ({', '.join(remaining)}); remove them first (for the service connection point: "
            "configmgr.scp.service_connection_point state=absent)",
            state.provider,
            "remove the site system server",
        )
    return SiteSystemPlan(
        current.to_dict(),
        None,
        (),
        (
            RemoveSiteSystem(
                f"remove the site system server {current.server}", server=current.server, site_code=current.site_code
            ),
        ),
        current,
    )
