"""What the provider's read script (scripts.READ_STATE) is asked for, and how its output is split.

Each read returns only the properties the library parses (the models' from_obj in model.py, topology.py, views.py);
`raw` asks for every property of the SCP and the site systems (service_connection_point_info's `raw`)."""

from __future__ import annotations

from typing import Any

from .constants import INTENT_VALUES, VERIFIED_VALUE

TAG = "cmscp:"
# read_state's names -> the script's group names (the registry read holds more records than the intent)
SCRIPT_READS = {"intent": "records"}
PROPERTIES: dict[str, tuple[str, ...]] = {
    "location": ("Machine", "SiteCode", "ProviderForLocalSite"),
    "sites": ("SiteCode", "SiteName", "Type", "ReportingSiteCode", "ServerName", "InstallDir", "Version", "Mode"),
    "scp": ("NetworkOSPath", "SiteCode", "RoleName", "Props"),
    "site_systems": ("NetworkOSPath", "SiteCode", "RoleName", "Props"),
    "usage": ("PropertyName", "Value", "TelemetryLevel", "Props"),
    "aad": ("Name", "AppName", "TenantName", "TenantID", "ClientID", "AppType", "SecretKeyExpiry"),
    "updates": ("Name", "State", "FullVersion", "PackageGuid"),
    "roles": ("NetworkOSPath", "RoleName", "SiteCode"),
    "site_servers": ("NetworkOSPath", "RoleName", "SiteCode"),
    "records": INTENT_VALUES + (VERIFIED_VALUE,),
    "components": ("ComponentName", "MachineName", "SiteCode", "State", "Status"),
}
RAW_READS = ("scp", "site_systems")


def read_properties(reads: list[str], raw: bool = False, discover: bool = False) -> dict[str, list[str]]:
    """The script's -Properties for `reads` (and the provider rows when it discovers): read -> property names ('*' for
    the raw reads when `raw`)."""
    wanted = set(reads) | ({"location"} if discover else set())
    return {
        name: ["*"] if raw and name in RAW_READS else list(names)
        for name, names in PROPERTIES.items()
        if name in wanted
    }


def split_tags(output: list[Any]) -> dict[str, list[Any]]:
    """The script's output by group: a string starting with 'cmscp:' opens the group it names (every read returns
    objects, so no datum is such a string); anything before the first tag is dropped."""
    groups: dict[str, list[Any]] = {}
    current: list[Any] | None = None
    for item in output or []:
        if isinstance(item, str) and item.startswith(TAG):
            current = groups.setdefault(item[len(TAG) :], [])
        elif current is not None:
            current.append(item)
    return groups
