"""Output objects shaped like deserialized ConfigMgr IResultObjects.

inferred: the type-name chain below IResultObject#<class> and the extra SmsProviderObjectPath/ObjectClass properties.
"""

from __future__ import annotations

from typing import Any

from tests.lab.ps.convert import LabObject
from tests.lab.world.model import (
    SITE_SYSTEM_ROLE,
    AadApp,
    Account,
    EmbeddedProperty,
    Hierarchy,
    Role,
    Site,
    SiteSystemServer,
    SiteUpdate,
    StatusMessage,
    nal_path,
)

WQL = "Microsoft.ConfigurationManagement.ManagementProvider.WqlQueryEngine"
SEVERITY_CODES = {
    "Information": 1073741824,
    "Warning": -2147483648,
    "Error": -1073741824,
}  # inferred: SMS_StatusMessage


def result_object(wmi_class: str, props: dict[str, Any], key: str = "") -> LabObject:
    type_names = [
        f"IResultObject#{wmi_class}",
        f"{WQL}.WqlResultObject",
        f"{WQL}.WqlResultObjectBase",
        "Microsoft.ConfigurationManagement.ManagementProvider.IResultObject",
        "System.Object",
    ]
    path = f"{wmi_class}.{key}" if key else wmi_class
    return LabObject(
        type_names,
        {"SmsProviderObjectPath": path, "ObjectClass": wmi_class, **props},
        to_string=f"instance of {wmi_class}",
    )


def embedded(prop: EmbeddedProperty) -> LabObject:
    return result_object(
        "SMS_EmbeddedProperty",
        {"PropertyName": prop.name, "Value": prop.value, "Value1": prop.value1, "Value2": prop.value2},
    )


def sys_res_use(role_name: str, fqdn: str, site_code: str, role_type: int, props: list[EmbeddedProperty]) -> LabObject:
    nal = nal_path(fqdn, site_code)
    return result_object(
        "SMS_SCI_SysResUse",
        {
            "FileType": 2,
            "ItemName": f"{nal},{role_name}",
            "ItemType": "System Resource Usage",  # inferred values
            "NALPath": nal,
            "NALType": "Windows NT Server",
            "NetworkOSPath": "\\\\" + fqdn,
            "PropLists": [],
            "Props": [embedded(p) for p in props],
            "RoleCount": 0,
            "RoleName": role_name,
            "ServiceWindows": [],
            "SiteCode": site_code,
            "SslState": 0,
            "Type": role_type,
        },
        key=f'FileType=2,ItemName="{nal},{role_name}",ItemType="System Resource Usage",SiteCode="{site_code}"',
    )


def role_object(role: Role) -> LabObject:
    return sys_res_use(role.role_name, role.fqdn, role.site_code, role.type, role.props)


def site_system_object(hier: Hierarchy, srv: SiteSystemServer) -> LabObject:
    return sys_res_use(
        SITE_SYSTEM_ROLE, srv.fqdn, srv.site_code, hier.role_type_for(srv.fqdn, srv.site_code), srv.props()
    )


def site_object(site: Site) -> LabObject:
    return result_object(
        "SMS_Site",
        {
            "BuildNumber": site.build,
            "InstallDir": site.install_dir,
            "Mode": site.mode,
            "ReportingSiteCode": site.reporting_site_code,
            "ServerName": site.server.upper(),
            "SiteCode": site.code,
            "SiteName": site.name,
            "Status": site.status,
            "Type": site.type,
            "Version": site.version,
        },
        key=f'SiteCode="{site.code}"',
    )


def hierarchy_setting_object(hier: Hierarchy, site: Site) -> LabObject:
    # [OFFICIAL] output IResultObject#SMS_SCI_SiteDefinition; [COMMUNITY] TelemetryLevel as an embedded property
    # (SMS_SCI_SCProperty in ConfigMgrCBDsc). inferred: carrying it in Props of this object.
    props = [EmbeddedProperty("TelemetryLevel", hier.settings.telemetry_level)]
    return result_object(
        "SMS_SCI_SiteDefinition",
        {
            "SiteCode": site.code,
            "SiteName": site.name,
            "SiteType": site.type,
            "ParentSiteCode": site.reporting_site_code,
            "SiteServerName": site.server.upper(),
            "Props": [embedded(p) for p in props],
        },
        key=f'SiteCode="{site.code}"',
    )


def aad_app_object(app: AadApp) -> LabObject:
    # inferred: property names besides the documented class (SecretKeyExpiry is UNVERIFIED in the facts).
    return result_object(
        "SMS_AAD_Application_Ex",
        {
            "Name": app.name,
            "ClientID": app.client_id,
            "TenantID": app.tenant_id,
            "TenantName": app.tenant_name,
            "IsClientApp": app.app_type == "ClientApplication",
            "SecretKeyExpiry": app.secret_key_expiry,
        },
    )


def account_object(acct: Account) -> LabObject:
    return result_object(
        "SMS_SCI_Reserved",
        {
            "UserName": acct.user_name,
            "SiteCode": acct.site_code,
            "ItemName": f"{acct.user_name}|{acct.site_code}",
            "ItemType": "User",
            "Purpose": acct.purpose,
        },
    )  # inferred: ItemName/ItemType/Purpose


def update_object(update: SiteUpdate) -> LabObject:
    return result_object(
        "SMS_CM_UpdatePackages",
        {
            "Name": update.name,
            "PackageGuid": update.package_guid,
            "FullVersion": update.full_version,
            "State": update.state,
            "UpdateType": 0,
        },
        key=f'PackageGuid="{update.package_guid}"',
    )


def status_object(msg: StatusMessage) -> LabObject:
    return result_object(
        "SMS_StatusMessage",
        {
            "Component": msg.component,
            "MachineName": msg.machine,
            "MessageID": msg.message_id,
            "Severity": SEVERITY_CODES.get(msg.severity, 0),
            "SiteCode": msg.site_code,
            "Time": msg.time,
            "InsString1": msg.text,
        },
    )


def component_object(
    site_code: str, component: str, fqdn: str, item_name: str, props: list[EmbeddedProperty]
) -> LabObject:
    return result_object(
        "SMS_SCI_Component",
        {
            "ComponentName": component,
            "FileType": 2,
            "ItemName": item_name,
            "ItemType": "Component",
            "SiteCode": site_code,
            "Name": fqdn.upper(),
            "Props": [embedded(p) for p in props],
            "PropLists": [],
        },
    )
