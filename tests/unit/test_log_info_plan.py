"""The log table and plan_log_read: which server writes which log, where its file is, what check mode says before
the SCP has written it."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import pytest

from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp import LOGS, LogQuery, execute_log_read, plan_log_read
from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.configmgr.model import (
    Hierarchy,
    ProviderState,
    ScpInfo,
    Site,
)
from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.decide.log_info import (
    READ_LINES,
    REMOTE_LOG_DIR,
    located_log_path,
)
from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.errors import ConfigMgrError, InvalidOption
from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.logs import parse_log

CAS = Site("CAS", "Central", 4, None, "cas01.contoso.com", "D:\\CM", "5.0", 0)
PR1 = Site("PR1", "Primary", 2, "CAS", "pri01.contoso.com", "C:\\CM", "5.0", 0)
SCP01 = "scp01.contoso.com"


def state(scp: ScpInfo | None = None, site: str = "CAS", sites: tuple = (CAS, PR1)) -> ProviderState:
    return ProviderState(site, "cas01.contoso.com", "5.0", Hierarchy(list(sites)), scp, [])


AT_CAS = ScpInfo(SCP01, "CAS", "Online")
ON_SITE_SERVER = ScpInfo("cas01.contoso.com", "CAS", "Online")
STRANDED = ScpInfo("scp02.contoso.com", "PR1", "Online")


def test_the_log_table():
    assert {n: (s.file_name, s.where, s.component) for n, s in LOGS.items()} == {
        "dmpdownloader": ("dmpdownloader.log", "scp", "SMS_DMP_DOWNLOADER"),
        "dmpuploader": ("dmpuploader.log", "scp", "SMS_DMP_UPLOADER"),
        "srvboot": ("SrvBoot.log", "scp", None),
        "sitecomp": ("sitecomp.log", "site_server", None),
        "hman": ("hman.log", "site_server", None),
    }


CASES = [
    # id, state, query, server, known path (None: located on the host), components probed
    ("downloader-remote-scp", state(AT_CAS), LogQuery("dmpdownloader"), SCP01, None, ("SMS_DMP_DOWNLOADER",)),
    (
        "uploader-falls-back-to-downloader",
        state(AT_CAS),
        LogQuery("dmpuploader"),
        SCP01,
        None,
        ("SMS_DMP_UPLOADER", "SMS_DMP_DOWNLOADER"),
    ),
    ("srvboot", state(AT_CAS), LogQuery("srvboot"), SCP01, None, ("SMS_DMP_DOWNLOADER",)),
    (
        "downloader-on-site-server",
        state(ON_SITE_SERVER),
        LogQuery("dmpdownloader"),
        "cas01.contoso.com",
        "D:\\CM\\Logs\\dmpdownloader.log",
        (),
    ),
    (
        "sitecomp-of-the-scps-site",
        state(STRANDED),
        LogQuery("sitecomp"),
        "pri01.contoso.com",
        "C:\\CM\\Logs\\sitecomp.log",
        (),
    ),
    ("sitecomp-without-scp", state(), LogQuery("sitecomp"), "cas01.contoso.com", "D:\\CM\\Logs\\sitecomp.log", ()),
    (
        "hman-of-an-unknown-provider-site",
        state(site="ZZZ"),
        LogQuery("hman"),
        "cas01.contoso.com",
        "D:\\CM\\Logs\\hman.log",
        (),
    ),
    (
        "given-server",
        state(AT_CAS),
        LogQuery("sitecomp", server="pri01.contoso.com"),
        "pri01.contoso.com",
        "C:\\CM\\Logs\\sitecomp.log",
        (),
    ),
    (
        "given-other-server",
        state(),
        LogQuery("hman", server="mp01.contoso.com"),
        "mp01.contoso.com",
        None,
        ("SMS_DMP_DOWNLOADER",),
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_plan_log_read(case):
    _id, current, query, server, path, components = case
    plan = plan_log_read(current, query)
    assert plan.server == server and plan.missing is None
    assert [s.action for s in plan.steps] == (["read_log"] if path else ["locate_log", "read_log"])
    assert plan.steps[-1].path == path and all(not s.mutates for s in plan.steps)
    if not path:
        assert plan.steps[0].components == components


@pytest.mark.parametrize(
    "tail,since,lines",
    [
        (50, None, 50),
        (50, datetime(2026, 1, 1, tzinfo=timezone.utc), READ_LINES),
        (9000, datetime(2026, 1, 1, tzinfo=timezone.utc), 9000),
    ],
)
def test_lines_read_before_filtering(tail, since, lines):
    assert plan_log_read(state(AT_CAS), LogQuery("dmpdownloader", tail=tail, since=since)).steps[-1].lines == lines


REFUSED = [
    (
        "no-scp-for-real",
        state(),
        LogQuery("dmpdownloader"),
        False,
        ConfigMgrError,
        "give server to read dmpdownloader.log",
    ),
    (
        "no-site-server",
        state(sites=()),
        LogQuery("sitecomp"),
        False,
        ConfigMgrError,
        "which site server writes sitecomp.log",
    ),
    ("unknown-log", state(), LogQuery("smsprov"), False, InvalidOption, "must be one of"),
]


@pytest.mark.parametrize("case", REFUSED, ids=[c[0] for c in REFUSED])
def test_plan_log_read_refuses(case):
    _id, current, query, check_mode, error, text = case
    with pytest.raises(error, match=text):
        plan_log_read(current, query, check_mode)


def test_check_mode_without_an_scp_reads_nothing():
    plan = plan_log_read(state(), LogQuery("dmpuploader"), check_mode=True)
    assert plan.server is None and plan.steps == ()
    outcome = execute_log_read(plan, None, check_mode=True)
    assert (outcome.server, outcome.path, outcome.entries, outcome.read, outcome.installed) == (
        None,
        None,
        (),
        0,
        False,
    )
    assert outcome.msg.startswith("check mode: the hierarchy has no service connection point yet")
    assert outcome.msg.endswith("nothing to read until it writes dmpuploader.log")


@pytest.mark.parametrize(
    "trace,path,located",
    [
        ("E:\\SMS\\Logs\\dmpdownloader.log", "E:\\SMS\\Logs\\SrvBoot.log", True),
        (None, REMOTE_LOG_DIR + "\\SrvBoot.log", False),
    ],
)
def test_located_log_path(trace, path, located):
    assert located_log_path("SrvBoot.log", trace) == (path, located)


class Host:
    host = SCP01

    def __init__(self, traces: dict[str, str], text: str = "") -> None:
        self.traces, self.text, self.calls = traces, text, []

    def log_path(self, component: str) -> str | None:
        self.calls.append(("locate", component))
        return self.traces.get(component)

    def read_log(self, path: str, tail: int = 500, **kwargs: Any) -> list:
        self.calls.append(("read", path, tail))
        return parse_log(self.text)


LINE = "Download manifest.cab~~  $$<SMS_DMP_DOWNLOADER><11-02-2026 09:00:00.000+000><thread=7 (0x7)>"
OUTCOMES = [
    # id, traces, log text, check mode, path, installed, read
    (
        "uploader-by-its-own-key",
        {"SMS_DMP_UPLOADER": "F:\\L\\dmpuploader.log"},
        LINE,
        False,
        "F:\\L\\dmpuploader.log",
        None,
        1,
    ),
    (
        "uploader-next-to-downloader",
        {"SMS_DMP_DOWNLOADER": "E:\\SMS\\Logs\\dmpdownloader.log"},
        "",
        False,
        "E:\\SMS\\Logs\\dmpuploader.log",
        None,
        0,
    ),
    ("nowhere-for-real", {}, "", False, REMOTE_LOG_DIR + "\\dmpuploader.log", None, 0),
    ("nowhere-in-check-mode", {}, "", True, REMOTE_LOG_DIR + "\\dmpuploader.log", False, 0),
    ("default-folder-with-lines-in-check-mode", {}, LINE, True, REMOTE_LOG_DIR + "\\dmpuploader.log", None, 1),
]


@pytest.mark.parametrize("case", OUTCOMES, ids=[c[0] for c in OUTCOMES])
def test_execute_log_read(case):
    _id, traces, text, check_mode, path, installed, read = case
    host = Host(traces, text)
    outcome = execute_log_read(plan_log_read(state(AT_CAS), LogQuery("dmpuploader", tail=20)), host, check_mode)
    assert (outcome.path, outcome.installed, outcome.read) == (path, installed, read)
    assert host.calls[-1] == ("read", path, 20)
    if installed is False:
        assert outcome.msg.startswith("check mode: scp01.contoso.com has no dmpuploader.log yet")
