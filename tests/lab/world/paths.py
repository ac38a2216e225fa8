"""Registry paths, service and component names of a ConfigMgr site system."""

from __future__ import annotations

SMS_KEY = "HKLM:\\SOFTWARE\\Microsoft\\SMS"
THREADS_KEY = SMS_KEY + "\\Components\\SMS_EXECUTIVE\\Threads"  # [OFFICIAL] Service Manager mechanism
SERVER_ROLE_KEY = SMS_KEY + "\\Operations Management\\SMS Server Role"  # inferred from the SUP sitecomp line
TRACING_KEY = SMS_KEY + "\\Tracing"  # [OFFICIAL]
SETUP_KEY = SMS_KEY + "\\Setup"  # [OFFICIAL] Full Version; [COMMUNITY] Installation Directory
DMP_COMPONENT_KEY = SMS_KEY + "\\COMPONENTS\\SMS_DMP_DOWNLOADER"  # [COMMUNITY] LastSyncedTime (memlabs)
DOTNET_KEY = "HKLM:\\SOFTWARE\\Microsoft\\.NETFramework\\v4.0.30319"  # [OFFICIAL] TLS 1.2 values
DOTNET_WOW_KEY = "HKLM:\\SOFTWARE\\WOW6432Node\\Microsoft\\.NETFramework\\v4.0.30319"

EXECUTIVE_SERVICE = "SMS_EXECUTIVE"  # [OFFICIAL usage, exact short name UNVERIFIED]
SITE_COMP_SERVICE = "SMS_SITE_COMPONENT_MANAGER"
DMP_DOWNLOADER = "SMS_DMP_DOWNLOADER"  # [OFFICIAL]
DMP_UPLOADER = "SMS_DMP_UPLOADER"  # inferred: the uploader's thread name
REMOTE_INSTALL_DIR = "C:\\SMS"  # inferred: where a remote site system's files go


def thread_key(component: str) -> str:
    return f"{THREADS_KEY}\\{component}"


def tracing_key(component: str) -> str:
    return f"{TRACING_KEY}\\{component}"


def role_key(role_name: str) -> str:
    return f"{SERVER_ROLE_KEY}\\{role_name}"
