# -*- coding: utf-8 -*-
# Copyright: Contributors to the configmgr.scp collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""FOR INTERNAL COLLECTION USE ONLY.

Small reads and builders shared by several action plugins.
"""
from __future__ import annotations

import re
from datetime import datetime, timezone
from typing import Any, Iterable, Mapping, Optional

from ansible_collections.configmgr.scp.plugins.plugin_utils._action import TaskContext
from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.configmgr.model import SiteSystemSpec
from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.configmgr.provider import SiteProvider
from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.errors import ConfigMgrError
from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.logs import LogEntry
from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.pipeline import Pipeline

UNKNOWN_MODE = "unknown"
ONLINE = "Online"

# -- effective mode: what DMPDownloader.log documents -------------------------------------------------------------
# No documented DMPDownloader.log line names the mode ("online mode" / "offline mode"): the mode is derived from the
# lines Microsoft documents instead. [OFFICIAL] SupportArticles "Understand and troubleshoot Updates and Servicing"
# (support/mem/configmgr/setup-migrate-backup-recovery/understand-troubleshoot-updates-servicing.md), "Step 1:
# DMPDownloader: Sync", shows the lines an *online* service connection point logs when it downloads the update
# manifest from Microsoft; memdocs "About the service connection point" says that in offline mode the SCP "doesn't
# connect to the Microsoft cloud service". A manifest download line written by the running thread therefore shows it
# runs online. These are the decisive lines (message text after the trailing "~~" is stripped):
ONLINE_SYNC_LINES = (
    re.compile(r"^Easysetup fwlink to download the manifest\b", re.I),
    re.compile(r"^Get manifest\.cab (url|from download center)", re.I),
    re.compile(r"^The flighting request url is https?://", re.I),
    re.compile(r"^Download manifest\.cab\b", re.I),
    re.compile(r"^Redirected to URL https?://", re.I),     # manifest, flighting service, Admin UI content downloads
    re.compile(r"^manifest\.cab \(http response\) size is\b", re.I),
)
# Documented lines that are reported but decide nothing: "Successfully Dropped the state message 4" is also what the
# downloader logs after a service connection tool import in offline mode (same article, "For the SCP configured to
# Offline mode"), and the others are not shown to need the cloud service.
CONSIDERED_LINES = (
    re.compile(r"^Hasn't synced recently\.", re.I),
    re.compile(r"^Generating state message: \d+ for package\b", re.I),
    re.compile(r"^Successfully Dropped the state message \d+", re.I),
)
# No documented line shows offline mode: the downloader is never reported Offline from its log (only unknown).
NO_OFFLINE_LINE = "no documented DMPDownloader.log line shows offline mode"
EVIDENCE_LINES = 5
SITE_SYSTEM_FIELDS = ("account_name", "use_site_server_account", "proxy_server", "proxy_port", "proxy_account", "public_fqdn")


def scp_server(ctx: TaskContext, provider: Optional[SiteProvider] = None) -> str:
    """The FQDN of the server that hosts the service connection point (read through the SMS Provider)."""
    provider = provider or ctx.site_provider()
    state = provider.read_state(include=("sites", "scp"))
    if state.scp is None:
        raise ConfigMgrError("the hierarchy has no service connection point; give server explicitly",
                             ctx.target.describe(), "find the service connection point")
    return state.scp.server


def effective_mode(entries: list[LogEntry], started_at: Optional[datetime] = None) -> str:
    """`Online` or `unknown` (see effective_mode_evidence)."""
    return str(effective_mode_evidence(entries, started_at)["mode"])


def effective_mode_evidence(entries: Iterable[LogEntry], started_at: Optional[datetime] = None) -> dict[str, Any]:
    """The mode the running SMS_DMP_DOWNLOADER uses, from documented DMPDownloader.log lines only.

    `started_at` is a time at or after the thread's last start, on the SCP host's clock (what configmgr.scp.component
    records on the SCP host when it starts or restarts the thread: ScpHost.record_thread_start, read back by
    ScpHost.thread_state_and_start). Online: a documented manifest download line (ONLINE_SYNC_LINES)
    at or after `started_at`. Otherwise `unknown`: without `started_at` a line cannot be told apart from one written
    before the last restart, and no documented line shows offline mode. The evidence says what was considered."""
    if started_at is not None and started_at.tzinfo is None:
        started_at = started_at.replace(tzinfo=timezone.utc)
    timed = [e for e in entries if e.time is not None]
    online = [e for e in timed if _matches(ONLINE_SYNC_LINES, e.message)]
    other = [e for e in timed if _matches(CONSIDERED_LINES, e.message)]
    after = [e for e in online if started_at is not None and e.time is not None and e.time >= started_at]
    if after:
        mode, reason = ONLINE, ("a documented online-sync line (manifest download from the Microsoft cloud service) was "
                                "logged after the thread's start")
    elif started_at is None:
        mode, reason = UNKNOWN_MODE, ("the thread's last start is not known (configmgr.scp.component records it on the "
                                      "SCP host when it starts or restarts the thread), so no log line can be tied to the "
                                      "running thread; " + NO_OFFLINE_LINE)
    elif online:
        mode, reason = UNKNOWN_MODE, ("the documented online-sync lines all precede the thread's start, and " + NO_OFFLINE_LINE)
    else:
        mode, reason = UNKNOWN_MODE, ("no documented online-sync line since the thread's start (the downloader syncs "
                                      "every 24 hours in online mode), and " + NO_OFFLINE_LINE)
    considered = sorted(online + other, key=lambda e: (e.time, e.line_number))
    return {
        "mode": mode,
        "reason": reason,
        "thread_started_at": started_at.isoformat() if started_at is not None else None,
        "online_sync_lines": [_line(e) for e in after[-EVIDENCE_LINES:]],
        "latest_online_sync_line": _line(online[-1]) if online else None,
        "documented_lines": [_line(e) for e in considered[-EVIDENCE_LINES:]],
        "lines_read": len(timed),
    }


def _matches(patterns: Iterable["re.Pattern[str]"], message: Optional[str]) -> bool:
    text = (message or "").strip()
    return any(p.search(text) for p in patterns)


def _line(entry: LogEntry) -> dict[str, Any]:
    return {"time": entry.time.isoformat() if entry.time else None, "message": entry.message, "source": entry.source}


def host_time(session: Any) -> Optional[datetime]:
    """The host's clock (Get-Date), the clock its log lines are written with; None when it returns no time."""
    pipe = Pipeline(operation="read the time on %s" % getattr(session, "host", "the host"))
    pipe.add("Get-Date", label="read the time")
    value = session.run(pipe, idempotent=True)[0].first
    if not isinstance(value, datetime):
        return None
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def site_system_spec(server: Optional[str], options: Optional[Mapping[str, Any]],
                     site_code: Optional[str] = None) -> Optional[SiteSystemSpec]:
    """The desired site system settings from module options (top level or the `site_system` suboptions)."""
    if not options or not server:
        return None
    return SiteSystemSpec(server=server, site_code=site_code, account_name=options.get("account_name"),
                          use_site_server_account=bool(options.get("use_site_server_account")),
                          proxy_server=options.get("proxy_server"), proxy_port=options.get("proxy_port"),
                          proxy_account=options.get("proxy_account"), public_fqdn=options.get("public_fqdn"))


def set_fields(options: Mapping[str, Any]) -> frozenset[str]:
    """The settings the user gave (a false use_site_server_account is the default, not a wish)."""
    given = {name for name in SITE_SYSTEM_FIELDS if options.get(name) not in (None, "", False)}
    if "proxy_server" in given:
        given.add("proxy_enabled")
    return frozenset(given)


def changed_settings(spec: SiteSystemSpec, current: Any, options: Mapping[str, Any]) -> dict[str, Any]:
    """Differences between `spec` and `current`, limited to the settings the user set: a setting left out
    keeps whatever the server has and never makes the task report a change."""
    given = set_fields(options)
    return {key: value for key, value in spec.differences(current).items() if key in given}
