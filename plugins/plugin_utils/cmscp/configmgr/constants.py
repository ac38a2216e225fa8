"""Fixed ConfigMgr names, paths and lists (sources: Microsoft's documentation, cited beside each)."""

from __future__ import annotations

MODULE_NAME = "ConfigurationManager"
MODULE_FILE = "ConfigurationManager.psd1"
MIN_MODULE_VERSION = (5, 1902)
ADMIN_UI_ENV = "SMS_ADMIN_UI_PATH"
PROVIDER_NAMESPACE = "root\\SMS"
PROVIDER_CLASS = "SMS_ProviderLocation"

SCP_ROLE = "SMS Dmp Connector"
SITE_SYSTEM_ROLE = "SMS Site System"
SITE_SERVER_ROLE = "SMS Site Server"

SITE_TYPES = {1: "Secondary", 2: "Primary", 4: "CAS"}
SITE_MODE_EXPANSION = 5
SCP_MODES = ("Online", "Offline")
OFFLINE_MODE_PROPERTY = "OfflineMode"  # embedded property: 0 Online, 1 Offline
TELEMETRY_LEVELS = {1: "Basic", 2: "Enhanced", 3: "Full"}

# CM_UpdatePackages.State values that mean an update is being installed (the
# prerequisite-check and install ranges 0x2xxxx/0x3xxxx, success/failure codes excluded). UNVERIFIED list.
UPDATE_INSTALLING_STATES = frozenset((131073, 131074, 196609, 196610, 196611, 196613))

EXECUTIVE_SERVICE = "SMS_EXECUTIVE"
DOWNLOADER_THREAD = "SMS_DMP_DOWNLOADER"
THREADS_KEY = "HKLM:\\SOFTWARE\\Microsoft\\SMS\\Components\\SMS_EXECUTIVE\\Threads"
TRACING_KEY = "HKLM:\\SOFTWARE\\Microsoft\\SMS\\Tracing"
REQUESTED_OPERATION = "Requested Operation"
# The collection's own record, one registry key per host (not ConfigMgr's): on the SCP host the mode a restart must
# still apply (written before Set-CMServiceConnectionPoint, cleared when the downloader has started again); on the
# SMS Provider host the intent of a move (written before the old SCP is removed, cleared when the move is verified),
# so that an interrupted run is finished by running it again.
STATE_KEY = "HKLM:\\SOFTWARE\\configmgr.scp"
PENDING_MODE_VALUE = "DownloaderPendingMode"
INTENT_VALUES = ("IntentOperation", "IntentSource", "IntentTarget", "IntentSiteCode", "IntentMode")
# On the SMS Provider host: "<server>|<site code>|<mode>" of the SCP whose effective state (installed, downloader
# running, no mode waiting for a restart) a run read on its server; removed before any change of the SCP.
VERIFIED_VALUE = "VerifiedScp"
# SMS_ComponentSummarizer ([OFFICIAL] class; "Queries must include a TallyInterval value"; the
# value for "since the site was installed" is community code's, jonasatgit/scriptrepo): State 1 = STARTED.
SUMMARIZER_STARTED = 1
CURRENT_STATE = "Current State"
NET_FRAMEWORK_KEYS = (
    "HKLM:\\SOFTWARE\\Microsoft\\.NETFramework\\v4.0.30319",
    "HKLM:\\SOFTWARE\\Wow6432Node\\Microsoft\\.NETFramework\\v4.0.30319",
)
ADMINISTRATORS_SID = "S-1-5-32-544"

# sitecomp.log lines that mark a finished role bootstrap on a server.
BOOTSTRAP_DONE_MARKERS = ("Bootstrap operation successful", "Bootstrap operations completed")
# On the site server itself there is no bootstrap service: the local install ends with this line.
LOCAL_INSTALL_MARKERS = ("All files installed",)

# Hosts the SCP needs for updates and servicing, probed by the preflight (TCP 443 / HTTPS HEAD). Source: Microsoft's
# "Internet access requirements", section "Updates and servicing": MicrosoftDocs/memdocs
# intune/configmgr/core/plan-design/network/internet-endpoints.md, published as DOC_ENDPOINTS with ms.date 2026-06-08
# (the version with the 2603 management-point section; the repository copy of the same list still reads ms.date
# 04/08/2022, the older memdocs/configmgr/... path had sccmconnected-a01). Usage data has no list of its own:
# the SCP "submits this information when it checks for updates" (.../diagnostics/how-diagnostics-and-usage-data-is-
# collected.md), so the same hosts apply. aka.ms and go.microsoft.com: URL forwarders the page says to "always allow".
# Not probed: the wildcards *.akamaiedge.net, *.akamaitechnologies.com, *.manage.microsoft.com (this one holds the
# uploader's sccm.manage.microsoft.com) and *-umwatsonc.events.data.microsoft.com; configmgrbits.azureedge.net, still
# listed but "Starting March 2025 ... migrates to configmgrbits.cdn.manage.microsoft.com. No action is required if
# *.manage.microsoft.com traffic is already allowed", so a firewall that follows the page may block it.
# sccmconnected-a01.cloudapp.net is no longer on the page.
SCP_ENDPOINTS = (
    "aka.ms",
    "go.microsoft.com",
    "download.microsoft.com",
    "download.windowsupdate.com",
    "download.visualstudio.microsoft.com",
    "definitionupdates.microsoft.com",
    "configmgrbits.cdn.manage.microsoft.com",
    "cmbitsstore.blob.core.windows.net",
    "ceuswatcab01.blob.core.windows.net",
    "ceuswatcab02.blob.core.windows.net",
    "eaus2watcab01.blob.core.windows.net",
    "eaus2watcab02.blob.core.windows.net",
    "weus2watcab01.blob.core.windows.net",
    "weus2watcab02.blob.core.windows.net",
    "umwatsonc.events.data.microsoft.com",
)
DOC_SCP = (
    "https://learn.microsoft.com/intune/configmgr/core/servers/deploy/configure/about-the-service-connection-point"
)
DOC_ENDPOINTS = "https://learn.microsoft.com/intune/configmgr/core/plan-design/network/internet-endpoints"
DOC_HA = "https://learn.microsoft.com/intune/configmgr/core/servers/deploy/configure/site-server-high-availability"
DOC_TLS = (
    "https://learn.microsoft.com/troubleshoot/mem/configmgr/setup-migrate-backup-recovery/"
    "service-connection-tool-not-download-updates"
)
