"""Dataclasses of the ConfigMgr domain, plus parsers from the cmdlets' output (plain dicts)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from ..errors import InvalidOption
from .constants import (
    OFFLINE_MODE_PROPERTY,
    SCP_MODES,
    SITE_MODE_EXPANSION,
    SITE_TYPES,
    TELEMETRY_LEVELS,
    UPDATE_INSTALLING_STATES,
    VERIFIED_VALUE,
)


def normalise_mode(mode: str) -> str:
    """ "online"/"OFFLINE"/... -> "Online" | "Offline"; InvalidOption otherwise. The one definition (the provider,
    the planner and the action plugins use it)."""
    for known in SCP_MODES:
        if str(mode).lower() == known.lower():
            return known
    raise InvalidOption("mode", f"must be online or offline, got {mode!r}")


def server_from_path(path: str | None) -> str | None:
    """NetworkOSPath `\\\\server.fqdn` -> `server.fqdn` (lower case: FQDNs compare case-insensitively)."""
    if not path:
        return None
    return str(path).strip().lstrip("\\").rstrip("\\").lower() or None


def embedded(props: Any, name: str) -> dict[str, Any] | None:
    """Find an SMS_EmbeddedProperty by PropertyName (case-sensitive, as WMI stores it)."""
    for prop in props or []:
        if isinstance(prop, dict) and prop.get("PropertyName") == name:
            return prop
    return None


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


@dataclass
class Site:
    site_code: str
    site_name: str | None
    type: int
    parent: str | None
    server: str | None
    install_dir: str | None
    version: str | None
    mode: int | None

    @property
    def type_name(self) -> str:
        return SITE_TYPES.get(self.type, "Unknown")

    @property
    def expansion_in_progress(self) -> bool:
        return self.mode == SITE_MODE_EXPANSION

    @classmethod
    def from_obj(cls, obj: dict[str, Any]) -> Site:
        return cls(
            site_code=str(obj.get("SiteCode") or "").upper(),
            site_name=obj.get("SiteName"),
            type=_int(obj.get("Type")) or 0,
            parent=(obj.get("ReportingSiteCode") or None),
            server=(str(obj["ServerName"]).lower() if obj.get("ServerName") else None),
            install_dir=obj.get("InstallDir"),
            version=obj.get("Version"),
            mode=_int(obj.get("Mode")),
        )

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["type_name"] = self.type_name
        return data


@dataclass
class Hierarchy:
    sites: list[Site]

    def site(self, code: str | None) -> Site | None:
        for site in self.sites:
            if code and site.site_code == code.upper():
                return site
        return None

    @property
    def top_tier(self) -> Site | None:
        """The CAS if there is one, else the primary site without a parent."""
        for site in self.sites:
            if site.type == 4:
                return site
        for site in self.sites:
            if site.type == 2 and not site.parent:
                return site
        return None

    @property
    def is_standalone(self) -> bool:
        top = self.top_tier
        return top is not None and top.type == 2

    @property
    def expansion_in_progress(self) -> bool:
        return any(site.expansion_in_progress for site in self.sites)

    def to_dict(self) -> dict[str, Any]:
        top = self.top_tier
        return {
            "sites": [s.to_dict() for s in self.sites],
            "top_tier_site_code": top.site_code if top else None,
            "standalone": self.is_standalone,
        }


@dataclass(frozen=True)
class TopTierCheck:
    """Whether a site is the top-tier site; when not, `message` says where to go and `top_tier_site` names it."""

    ok: bool
    message: str
    top_tier_site: str | None
    child_of: str | None = None  # set when the provider only sees a child primary: its parent


def check_site_is_top_tier(hierarchy: Hierarchy, target: str) -> TopTierCheck:
    """The one top-tier rule (planner and prerequisite checks). Site definitions are shared across the hierarchy
    (memdocs database-replication; whether every provider lists every site is UNVERIFIED, docs/lab.md), so a child's
    provider normally lists the CAS; when a provider lists only its own site, the child's ReportingSiteCode is
    named as the top-tier site."""
    top = hierarchy.top_tier
    site = hierarchy.site(target)
    if site is None and target and not any(s.parent == target.upper() for s in hierarchy.sites):
        # a provider that does not list the CAS still names it as the child's parent: that one exists
        above = top.site_code if top else next((s.parent for s in hierarchy.sites if s.parent), None)
        where = f" (site server {top.server})" if top else ""
        sites = ", ".join(s.site_code for s in hierarchy.sites) or "none"
        top_tier = f"; the top-tier site is {above}{where}" if above else ""
        return TopTierCheck(
            False,
            f"site {target} does not exist in this hierarchy (sites: {sites}){top_tier}",
            above,
        )
    if top is None and site is not None and site.parent:
        return TopTierCheck(
            False,
            f"site {target} is a child {site.type_name.lower()} site that reports to {site.parent}: install the service connection "
            f"point at the top-tier site {site.parent}, through its SMS Provider",
            site.parent,
            site.parent,
        )
    if top is None:
        return TopTierCheck(False, "no top-tier site found in the hierarchy (no CAS and no stand-alone primary)", None)
    if target != top.site_code:
        return TopTierCheck(
            False,
            f"site {target} is not the top-tier site: the service connection point can only be installed "
            f"at the top-tier site {top.site_code} ({top.type_name}, site server {top.server})",
            top.site_code,
        )
    kind = "stand-alone primary site" if hierarchy.is_standalone else "central administration site"
    return TopTierCheck(True, f"site {target} is the top-tier site ({kind})", top.site_code)


@dataclass
class ScpInfo:
    server: str
    site_code: str
    mode: str | None  # Online | Offline | None when OfflineMode is missing
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def from_obj(cls, obj: dict[str, Any]) -> ScpInfo:
        prop = embedded(obj.get("Props"), OFFLINE_MODE_PROPERTY)
        mode = None
        if prop is not None:
            value = _int(prop.get("Value"))
            mode = {0: "Online", 1: "Offline"}.get(value) if value is not None else None
        return cls(
            server=server_from_path(obj.get("NetworkOSPath")) or "",
            site_code=str(obj.get("SiteCode") or "").upper(),
            mode=mode,
            raw=dict(obj),
        )

    def to_dict(self) -> dict[str, Any]:
        return {"server": self.server, "site_code": self.site_code, "mode": self.mode}


@dataclass
class SiteSystemServer:
    server: str
    site_code: str
    public_fqdn: str | None = None
    use_site_server_account: bool | None = None
    account_name: str | None = None
    proxy_enabled: bool = False
    proxy_server: str | None = None
    proxy_port: int | None = None
    proxy_account: str | None = None
    roles: list[str] = field(default_factory=list)
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def from_obj(cls, obj: dict[str, Any]) -> SiteSystemServer:
        props = obj.get("Props")

        def value(name: str) -> Any:
            prop = embedded(props, name)
            return None if prop is None else prop.get("Value")

        def text(name: str) -> str | None:
            prop = embedded(props, name)
            return (prop.get("Value1") or None) if prop is not None else None

        machine = value("UseMachineAccount")
        return cls(
            server=server_from_path(obj.get("NetworkOSPath")) or "",
            site_code=str(obj.get("SiteCode") or "").upper(),
            public_fqdn=text("Server Remote Public Name"),
            use_site_server_account=None if machine is None else bool(_int(machine)),
            account_name=text("UserName"),
            proxy_enabled=bool(_int(value("UseProxy"))),
            proxy_server=text("ProxyName"),
            proxy_port=_int(value("ProxyServerPort")),
            proxy_account=text("ProxyUserName"),
            raw=dict(obj),
        )

    @property
    def has_installation_account(self) -> bool:
        return bool(self.account_name) and not self.use_site_server_account

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("raw")
        return data


@dataclass
class AadApp:
    name: str | None
    tenant: str | None
    client_id: str | None
    app_type: str | None
    secret_expiry: datetime | None

    @classmethod
    def from_obj(cls, obj: dict[str, Any]) -> AadApp:
        expiry = obj.get("SecretKeyExpiry")
        return cls(
            name=obj.get("Name") or obj.get("AppName"),
            tenant=obj.get("TenantName") or obj.get("TenantID"),
            client_id=obj.get("ClientID"),
            app_type=obj.get("AppType") and str(obj.get("AppType")),
            secret_expiry=expiry if isinstance(expiry, datetime) else None,
        )

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["secret_expiry"] = self.secret_expiry.isoformat() if self.secret_expiry else None
        return data


@dataclass
class SiteUpdate:
    name: str
    state: int | None
    version: str | None = None  # FullVersion of SMS_CM_UpdatePackages
    package_guid: str | None = None

    @property
    def installing(self) -> bool:
        return self.state in UPDATE_INSTALLING_STATES


def telemetry_level(items: list[Any]) -> str | None:
    """Find TelemetryLevel in Get-CMHierarchySetting output (flat property, SCProperty rows, or embedded Props)."""
    for item in items:
        if not isinstance(item, dict):
            continue
        if item.get("PropertyName") == "TelemetryLevel":
            return _level(item.get("Value"))
        if item.get("TelemetryLevel") is not None:  # Select-Object gives every asked property, maybe $null
            return _level(item["TelemetryLevel"])
        prop = embedded(item.get("Props"), "TelemetryLevel")
        if prop is not None:
            return _level(prop.get("Value"))
    return None


def _level(value: Any) -> str | None:
    number = _int(value)
    if number is not None:
        return TELEMETRY_LEVELS.get(number)
    return str(value) if value else None


@dataclass(frozen=True)
class Intent:
    """A move recorded on the SMS Provider host before its first destructive step (the collection's record)."""

    operation: str  # move
    source: str | None
    target: str | None
    site_code: str | None
    mode: str | None

    @classmethod
    def from_obj(cls, obj: Any) -> Intent | None:
        if not isinstance(obj, dict) or not obj.get("IntentOperation"):
            return None
        mode = obj.get("IntentMode")
        return cls(
            str(obj["IntentOperation"]),
            _lower(obj.get("IntentSource")),
            _lower(obj.get("IntentTarget")),
            str(obj.get("IntentSiteCode") or "").upper() or None,
            normalise_mode(str(mode)) if mode else None,
        )

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Verified:
    """The SCP whose effective state a run read on its server (the collection's record on the SMS Provider host)."""

    server: str
    site_code: str
    mode: str

    @classmethod
    def from_obj(cls, obj: Any) -> Verified | None:
        text = obj.get(VERIFIED_VALUE) if isinstance(obj, dict) else None
        parts = str(text).split("|") if text else []
        if len(parts) != 3 or not all(parts):
            return None
        return cls(parts[0].lower(), parts[1].upper(), normalise_mode(parts[2]))

    @classmethod
    def of(cls, scp: ScpInfo) -> Verified | None:
        return cls(scp.server.lower(), scp.site_code.upper(), scp.mode) if scp.server and scp.mode else None

    def matches(self, scp: ScpInfo | None) -> bool:
        return scp is not None and Verified.of(scp) == self

    def to_text(self) -> str:
        return f"{self.server}|{self.site_code}|{self.mode}"


def _lower(value: Any) -> str | None:
    return str(value).lower() if value else None


@dataclass
class ProviderState:
    """Everything one read of the SMS Provider returns."""

    site_code: str
    provider: str
    module_version: str | None
    hierarchy: Hierarchy
    scp: ScpInfo | None
    site_systems: list[SiteSystemServer]
    usage_data_level: str | None = None
    aad_apps: list[AadApp] = field(default_factory=list)
    updates: list[SiteUpdate] = field(default_factory=list)
    scps: list[ScpInfo] = field(default_factory=list)  # normally zero or one
    site_roles: list[dict[str, Any]] | None = None  # Get-CMSiteRole -AllSite rows when read ("roles"; "site_servers")
    intent: Intent | None = None  # an unfinished move recorded on the provider host
    verified: Verified | None = None  # the SCP a run found effective (provider host record)
    components: list[dict[str, Any]] | None = None  # SMS_ComponentSummarizer rows, only when read

    @property
    def updates_in_progress(self) -> list[str]:
        return [u.name for u in self.updates if u.installing]

    def site_system(self, server: str) -> SiteSystemServer | None:
        for system in self.site_systems:
            if system.server == server.lower():
                return system
        return None

    def to_dict(self) -> dict[str, Any]:
        return {
            "site_code": self.site_code,
            "provider": self.provider,
            "module_version": self.module_version,
            "hierarchy": self.hierarchy.to_dict(),
            "scp": self.scp.to_dict() if self.scp else None,
            "site_systems": [s.to_dict() for s in self.site_systems],
            "usage_data_level": self.usage_data_level,
            "aad_apps": [a.to_dict() for a in self.aad_apps],
            "updates_in_progress": self.updates_in_progress,
        }


@dataclass
class ThreadState:
    host: str
    name: str
    present: bool
    current_state: str | None = None  # Running | Stopped | Stopping | ...
    requested_operation: str | None = None  # None | Stop | Start
    startup_type: str | None = None
    service_status: str | None = None  # SMS_EXECUTIVE service status
    pending_mode: str | None = None  # a mode set but not yet applied by a restart (the collection's record)

    @property
    def needs_restart(self) -> bool:
        """Drift to repair: a mode change no restart has applied yet, or a thread left stopped (or stopping)."""
        state = (self.current_state or "").lower()
        return self.present and (
            self.pending_mode is not None
            or state in ("stopped", "stopping")
            or (self.requested_operation or "").lower() == "stop"
        )

    @property
    def running(self) -> bool:
        return self.present and (self.current_state or "").lower() == "running"

    @property
    def stopped(self) -> bool:
        return self.present and (self.current_state or "").lower() == "stopped"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class ThreadChange:
    before: ThreadState
    after: ThreadState
    method: str  # thread | service | none
    seconds: float
    changed: bool


@dataclass
class SiteSystemSpec:
    """Desired settings of a site system server (New-/Set-CMSiteSystemServer)."""

    server: str
    site_code: str | None = None
    account_name: str | None = None
    use_site_server_account: bool = False
    proxy_server: str | None = None
    proxy_port: int | None = None
    proxy_account: str | None = None
    public_fqdn: str | None = None

    def differences(self, current: SiteSystemServer | None) -> dict[str, Any]:
        """Settings that must change (all of them when the server does not exist)."""
        wanted: dict[str, Any] = {}
        if self.account_name:
            wanted["account_name"] = self.account_name
        if self.use_site_server_account:
            wanted["use_site_server_account"] = True
        if self.proxy_server:
            wanted.update(proxy_enabled=True, proxy_server=self.proxy_server.lower(), proxy_port=self.proxy_port)
            if self.proxy_account:
                wanted["proxy_account"] = self.proxy_account
        if self.public_fqdn:
            wanted["public_fqdn"] = self.public_fqdn.lower()
        if current is None:
            return wanted
        diff = {}
        for key, value in wanted.items():
            have = getattr(current, key)
            if isinstance(have, str) and isinstance(value, str):
                same = have.lower() == value.lower()
            else:
                same = have == value
            if not same:
                diff[key] = value
        return diff
