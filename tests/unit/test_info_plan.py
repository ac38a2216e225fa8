"""plan_info / scp_view: what service_connection_point_info reads on the SCP host and how the SCP is returned."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp import (
    plan_info,
    read_scp_host,
    scp_view,
    site_system_views,
)
from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.configmgr.model import (
    Hierarchy,
    ProviderState,
    ScpInfo,
    Site,
    SiteSystemServer,
    ThreadState,
)
from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.decide.info import MODE_LOG_LINES, ScpHostView
from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.errors import CommandFailed, HostUnreachable
from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.logs import parse_log

SCP01 = "scp01.contoso.com"
CAS = Site("CAS", "Central", 4, None, "cas01.contoso.com", "C:\\CM", "5.0", 0)
RUNNING = ThreadState("10.0.0.5", "SMS_DMP_DOWNLOADER", True, "Running", "None")
STOPPED = ThreadState("10.0.0.5", "SMS_DMP_DOWNLOADER", True, "Stopped", "None")
ABSENT = ThreadState("10.0.0.5", "SMS_DMP_DOWNLOADER", False)
T0 = datetime(2026, 11, 2, 9, 0, tzinfo=timezone.utc)
LOG = parse_log(
    "Download manifest.cab~~  $$<SMS_DMP_DOWNLOADER><11-02-2026 09:00:00.000+000><thread=7 (0x7)>\n"
    "Heartbeat~~  $$<SMS_DMP_DOWNLOADER><11-02-2026 09:00:01.000+000><thread=7 (0x7)>"
)


def role(server: str, name: str, site: str = "CAS") -> dict[str, Any]:
    return {"NetworkOSPath": f"\\\\{server.upper()}", "RoleName": name, "SiteCode": site}


def state(scp: bool = True) -> ProviderState:
    info = ScpInfo(SCP01, "CAS", "Offline") if scp else None
    return ProviderState(
        "CAS",
        "cas01.contoso.com",
        "5.0",
        Hierarchy([CAS]),
        info,
        [SiteSystemServer(SCP01, "CAS"), SiteSystemServer("cas01.contoso.com", "CAS")],
        site_roles=[
            role(SCP01, "SMS Site System"),
            role(SCP01, "SMS Dmp Connector"),
            role(SCP01, "SMS Distribution Point", site="PR1"),
        ],
    )


@pytest.mark.parametrize(
    "scp,thread,log_tail,steps,lines",
    [
        (False, True, 10, [], None),
        (True, False, 0, [], None),
        (True, True, 0, ["read_thread", "read_downloader_log"], MODE_LOG_LINES),
        (True, False, 1000, ["read_thread", "read_downloader_log"], 1000),
    ],
)
def test_plan_info(scp, thread, log_tail, steps, lines):
    plan = plan_info(state(scp), thread, log_tail)
    assert [s.action for s in plan.steps] == steps and not any(s.mutates for s in plan.steps)
    if lines:
        assert plan.steps[1].lines == lines


VIEWS = [
    # id, seen on the SCP host, log_tail, installed, effective mode, log lines
    ("not-read", None, 0, None, None, None),
    ("not-installed", ScpHostView(ABSENT), 0, False, None, None),
    ("log-unreadable", ScpHostView(RUNNING, T0, None), 5, True, None, None),
    ("running-with-start", ScpHostView(RUNNING, T0 - timedelta(minutes=1), tuple(LOG)), 0, True, "Online", None),
    ("running-without-start", ScpHostView(RUNNING, None, tuple(LOG)), 1, True, "unknown", 1),
    ("stopped-has-no-effective-mode", ScpHostView(STOPPED, T0, tuple(LOG)), 5, True, None, 2),
]


@pytest.mark.parametrize("case", VIEWS, ids=[c[0] for c in VIEWS])
def test_scp_view(case):
    _id, seen, log_tail, installed, mode, log_lines = case
    scp = scp_view(state(), plan_info(state(), True, log_tail), seen)
    assert scp["configured_mode"] == scp["mode"] == "Offline" and scp["installed"] is installed
    assert scp["effective_mode"] == mode and (scp["effective_mode_evidence"] is None) is (mode is None)
    assert ("log" in scp) is (log_lines is not None) and len(scp.get("log", [])) == (log_lines or 0)
    assert scp["site_system"]["roles"] == ["SMS Dmp Connector", "SMS Site System"]
    if seen is not None:
        assert scp["thread"]["host"] == SCP01  # the FQDN, not the address the session used


def test_no_scp_and_the_site_systems():
    assert scp_view(state(False), plan_info(state(False))) is None
    assert {s["server"]: s["roles"] for s in site_system_views(state())} == {
        SCP01: ["SMS Dmp Connector", "SMS Site System"],
        "cas01.contoso.com": [],
    }


class Host:
    host = SCP01

    def __init__(self, thread: ThreadState, error: Exception | None = None) -> None:
        self.thread, self.error, self.calls = thread, error, []

    def thread_state_and_start(self) -> tuple[ThreadState, datetime | None]:
        self.calls.append("thread")
        return self.thread, T0

    def read_log(self, tail: int = 500, **kwargs: Any) -> list:
        self.calls.append(("log", tail))
        if self.error:
            raise self.error
        return list(LOG)


@pytest.mark.parametrize(
    "thread,error,calls,entries",
    [
        (RUNNING, None, ["thread", ("log", MODE_LOG_LINES)], 2),
        (ABSENT, None, ["thread"], None),
        (RUNNING, CommandFailed("denied", SCP01, "Get-Content"), ["thread", ("log", MODE_LOG_LINES)], None),
    ],
)
def test_read_scp_host(thread, error, calls, entries):
    host = Host(thread, error)
    seen = read_scp_host(plan_info(state(), True, 0), host, progress=lambda text: None)
    assert host.calls == calls and seen.started_at == T0
    assert (seen.entries is None) if entries is None else len(seen.entries) == entries


def test_an_unreachable_scp_host_fails_the_read():
    with pytest.raises(HostUnreachable):
        read_scp_host(plan_info(state(), True, 0), Host(RUNNING, HostUnreachable("gone", SCP01)))
    assert read_scp_host(plan_info(state(), False, 0), None) is None
