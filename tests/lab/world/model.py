"""The ConfigMgr hierarchy as plain data: sites, site system servers, roles (site control), settings.

Facts come from Microsoft's documentation (memdocs, the cmdlet reference); anything they do not say is marked
``# inferred:``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

# SMS_Site.Type [OFFICIAL]
SITE_SECONDARY, SITE_PRIMARY, SITE_CAS = 1, 2, 4
# SMS_Site.Mode [OFFICIAL] (SMS_Site class reference): 1 replication maintenance, 2 recovery in progress, 3 upgrade in
# progress, 4 evaluation expired, 5 site expansion in progress, 6/7 interop modes. No documented value means "normal".
# inferred: 0 (the UInt32 default, none of the documented states) for a site in none of those states.
MODE_NORMAL, MODE_EXPANSION = 0, 5
DOCUMENTED_MODES = {
    1: "Replication maintenance",
    2: "Recovery in progress",
    3: "Upgrade in progress",
    4: "Evaluation has expired",
    5: "Site expansion in progress",
    6: "Interop mode (primary sites not upgraded)",
    7: "Interop mode (secondary sites not upgraded)",
}
# SMS_SCI_SysResUse.Type [OFFICIAL]: 1 secondary site server, 2 primary site server, 4 CAS site server, 8 not colocated
ROLE_TYPE_NOT_COLOCATED = 8

SCP_ROLE = "SMS Dmp Connector"  # [OFFICIAL] RoleName of the SCP
SITE_SYSTEM_ROLE = "SMS Site System"  # [OFFICIAL]
SITE_SERVER_ROLE = "SMS Site Server"  # [OFFICIAL]
PROVIDER_ROLE = "SMS Provider"  # [OFFICIAL]
COMPONENT_SERVER_ROLE = "SMS Component Server"  # [OFFICIAL]

TELEMETRY_LEVELS = {1: "Basic", 2: "Enhanced", 3: "Full"}  # [COMMUNITY] SMS_SCI_SCProperty TelemetryLevel values

# CM_UpdatePackages.State [OFFICIAL for the codes listed in the facts]; the in-progress codes are inferred.
UPDATE_DOWNLOAD_IN_PROGRESS = 262145
UPDATE_DOWNLOAD_SUCCESS = 262146
UPDATE_APPLICABILITY_SUCCESS = 327682
UPDATE_INSTALL_SUCCESS = 196612
UPDATE_INSTALL_IN_PROGRESS = 196609  # inferred: not in the facts file
UPDATE_PREREQ_IN_PROGRESS = 131073  # inferred: not in the facts file
INSTALLING_STATES = frozenset({UPDATE_INSTALL_IN_PROGRESS, UPDATE_PREREQ_IN_PROGRESS})


@dataclass
class EmbeddedProperty:
    """SMS_EmbeddedProperty [OFFICIAL]: PropertyName (case sensitive), Value (UInt32), Value1, Value2."""

    name: str
    value: int = 0
    value1: str = ""
    value2: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"PropertyName": self.name, "Value": self.value, "Value1": self.value1, "Value2": self.value2}


@dataclass
class Site:
    code: str
    name: str
    type: int  # SITE_SECONDARY / SITE_PRIMARY / SITE_CAS
    server: str  # site server FQDN (the site server in active mode)
    provider: str  # the first (primary) SMS Provider host FQDN; always providers[0]
    reporting_site_code: str = ""  # parent site; empty = standalone primary or CAS
    install_dir: str = "C:\\Program Files\\Microsoft Configuration Manager"
    version: str = "5.00.9132.1000"
    build: int = 9132
    mode: int = MODE_NORMAL
    status: int = 1  # SMS_Site.Status 1 = ACTIVE [OFFICIAL]
    providers: list[str] = field(default_factory=list)  # every SMS Provider host of the site, provider first
    passive_server: str = ""  # site server in passive mode (HA) [OFFICIAL feature], "" = none

    def __post_init__(self) -> None:
        self.server = self.server.lower()
        self.provider = self.provider.lower()
        self.passive_server = self.passive_server.lower()
        rest = [p.lower() for p in self.providers if p.lower() != self.provider]
        self.providers = [self.provider] + list(dict.fromkeys(rest))

    @property
    def logs_dir(self) -> str:
        return self.install_dir + "\\Logs"  # [OFFICIAL] <InstallDir>\Logs

    @property
    def site_servers(self) -> list[str]:
        """The active site server, then the passive one (HA) when there is one."""
        return [self.server] + ([self.passive_server] if self.passive_server else [])

    def is_site_server(self, fqdn: str) -> bool:
        """Active or passive site server of this site."""
        return _same_host(fqdn, *self.site_servers)

    def is_provider(self, fqdn: str) -> bool:
        return _same_host(fqdn, *self.providers)

    def add_provider(self, fqdn: str) -> None:
        if not self.is_provider(fqdn):
            self.providers.append(fqdn.lower())


def _same_host(name: str, *fqdns: str) -> bool:
    """``name`` (FQDN or NetBIOS, any case) names one of ``fqdns``."""
    key = (name or "").strip().strip("\\").lower()
    return bool(key) and any(key in (f.lower(), f.split(".")[0].lower()) for f in fqdns if f)


@dataclass
class SiteSystemServer:
    """The ``SMS Site System`` role of one server; props per ConfigMgrCBDsc [COMMUNITY]."""

    fqdn: str
    site_code: str
    use_site_server_account: bool = True
    account: str = ""  # site system installation account (domain\user)
    proxy_server: str = ""
    proxy_port: int = 0
    proxy_account: str = ""
    public_fqdn: str = ""
    fdm: bool = False

    @property
    def proxy(self) -> str | None:
        return f"{self.proxy_server}:{self.proxy_port}" if self.proxy_server else None

    def props(self) -> list[EmbeddedProperty]:
        return [
            EmbeddedProperty("Server Remote Public Name", 0, self.public_fqdn),
            EmbeddedProperty("FDMOperation", int(self.fdm)),
            EmbeddedProperty("UseMachineAccount", int(self.use_site_server_account)),
            EmbeddedProperty("UserName", 0, self.account),
            EmbeddedProperty("UseProxy", int(bool(self.proxy_server))),
            EmbeddedProperty("ProxyName", 0, self.proxy_server),
            EmbeddedProperty("ProxyServerPort", self.proxy_port),
            EmbeddedProperty("ProxyUserName", 0, self.proxy_account),
            EmbeddedProperty("AnonymousProxyAccess", int(not self.proxy_account)),
        ]


def nal_path(fqdn: str, site_code: str) -> str:
    """[OFFICIAL] ``["Display=\\\\FQDN\\"]MSWNET:["SMS_SITE=CODE"]\\\\FQDN\\``."""
    return f'["Display=\\\\{fqdn}\\"]MSWNET:["SMS_SITE={site_code}"]\\\\{fqdn}\\'


@dataclass
class Role:
    """One SMS_SCI_SysResUse instance (site control data)."""

    role_name: str
    fqdn: str
    site_code: str
    type: int
    props: list[EmbeddedProperty] = field(default_factory=list)

    @property
    def nal_path(self) -> str:
        return nal_path(self.fqdn, self.site_code)

    @property
    def network_os_path(self) -> str:
        return "\\\\" + self.fqdn  # [COMMUNITY] \\FQDN

    def prop(self, name: str) -> EmbeddedProperty | None:
        return next((p for p in self.props if p.name == name), None)

    def to_json(self) -> dict[str, Any]:
        return {
            "RoleName": self.role_name,
            "NetworkOSPath": self.network_os_path,
            "SiteCode": self.site_code,
            "Type": self.type,
            "Props": [p.to_json() for p in self.props],
        }


def scp_props(offline: bool) -> list[EmbeddedProperty]:
    # [COMMUNITY] OfflineMode 0 = Online, 1 = Offline.
    # inferred: the second property (name and value); it is listed first with Value 0 on purpose, so that
    # readers that test `.Props.Value -eq 0` without filtering by PropertyName see "Online" even when offline.
    return [EmbeddedProperty("DisableConnectivityCheck", 0), EmbeddedProperty("OfflineMode", int(offline))]


@dataclass
class HierarchySettings:
    telemetry_level: int = 2  # [OFFICIAL] default Enhanced


@dataclass
class AadApp:
    name: str
    tenant_id: str
    tenant_name: str
    client_id: str
    secret_key_expiry: datetime
    app_type: str = "ServerApplication"


@dataclass
class Account:
    user_name: str  # domain\user [OFFICIAL format for Get-CMAccount]
    site_code: str
    purpose: str = ""


@dataclass
class SiteUpdate:
    name: str
    package_guid: str
    full_version: str
    state: int = UPDATE_APPLICABILITY_SUCCESS

    @property
    def installing(self) -> bool:
        return self.state in INSTALLING_STATES


@dataclass
class OfferedUpdate:
    """An update the Microsoft cloud service offers from `released` on (scenario `service_updates`)."""

    update: SiteUpdate
    released: datetime | None = None  # None: from the start


@dataclass
class StatusMessage:
    site_code: str
    component: str
    machine: str
    message_id: int
    severity: str  # Information / Warning / Error
    time: datetime
    text: str = ""


@dataclass
class Hierarchy:
    sites: dict[str, Site] = field(default_factory=dict)  # upper-case site code -> Site
    servers: list[SiteSystemServer] = field(default_factory=list)
    roles: list[Role] = field(default_factory=list)  # everything but "SMS Site System"
    settings: HierarchySettings = field(default_factory=HierarchySettings)
    aad_apps: list[AadApp] = field(default_factory=list)
    accounts: list[Account] = field(default_factory=list)
    updates: list[SiteUpdate] = field(default_factory=list)
    # what the Microsoft cloud service offers (scenario `service_updates`): an online sync lists the ones the site has
    # not yet (inferred: available, then downloading, then downloaded)
    offered: list[OfferedUpdate] = field(default_factory=list)
    status_messages: list[StatusMessage] = field(default_factory=list)
    full_admins: set[str] = field(default_factory=set)  # lower-cased domain\user with Full Administrator
    serial: int = 1  # site control file serial number

    def site(self, code: str | None) -> Site | None:
        return self.sites.get((code or "").upper())

    def subtree(self, code: str | None) -> list[Site]:
        """The site ``code`` and every site below it (children, their children ...)."""
        root = self.site(code)
        if root is None:
            return []
        found, queue = [root], [root.code]
        while queue:
            parent = queue.pop()
            for site in self.sites.values():
                if site.reporting_site_code == parent and site not in found:
                    found.append(site)
                    queue.append(site.code)
        return found

    def sites_of_server(self, fqdn: str) -> list[Site]:
        """Sites whose active or passive site server is ``fqdn``."""
        return [s for s in self.sites.values() if s.is_site_server(fqdn)]

    def sites_of_provider(self, fqdn: str) -> list[Site]:
        """Sites that have an SMS Provider on ``fqdn``."""
        return [s for s in self.sites.values() if s.is_provider(fqdn)]

    def provider_site(self, root: str) -> tuple[Site, str] | None:
        """(site, provider FQDN) for a CMSite drive root naming one of the site's SMS Providers."""
        for site in self.sites.values():
            for fqdn in site.providers:
                if _same_host(root, fqdn):
                    return site, fqdn
        return None

    def top_site(self) -> Site | None:
        """The top-tier site: the CAS, else the standalone primary (no parent)."""
        tops = [s for s in self.sites.values() if not s.reporting_site_code and s.type in (SITE_CAS, SITE_PRIMARY)]
        tops.sort(key=lambda s: -s.type)
        return tops[0] if tops else None

    def server(self, fqdn: str, site_code: str | None = None) -> SiteSystemServer | None:
        for srv in self.servers:
            if srv.fqdn.lower() == fqdn.lower() and (site_code is None or srv.site_code.upper() == site_code.upper()):
                return srv
        return None

    def roles_on(self, fqdn: str, site_code: str | None = None) -> list[Role]:
        return [
            r
            for r in self.roles
            if r.fqdn.lower() == fqdn.lower() and (site_code is None or r.site_code.upper() == site_code.upper())
        ]

    def find_roles(self, role_name: str) -> list[Role]:
        return [r for r in self.roles if r.role_name.lower() == role_name.lower()]

    def scp(self) -> Role | None:
        found = self.find_roles(SCP_ROLE)
        return found[0] if found else None

    def role_type_for(self, fqdn: str, site_code: str) -> int:
        site = self.site(site_code)
        if site and site.is_site_server(fqdn):
            # 1/2/4 match SMS_Site.Type when colocated on the site server [OFFICIAL]; inferred: the passive site
            # server counts as a site server here too.
            return site.type
        return ROLE_TYPE_NOT_COLOCATED

    def bump(self) -> int:
        self.serial += 1
        return self.serial
