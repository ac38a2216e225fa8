"""The pure decisions of configmgr.scp.service_connection_tool: the request's rules, the host and folder of a phase,
the command line, the checks before a run, the import record, and what a failed run says."""

from __future__ import annotations

import subprocess
from datetime import datetime, timezone
from typing import Any

import pytest

from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp import (
    ToolRequest,
    log_errors,
    log_view,
    phase_host,
    plan_tool,
    tool_failure_message,
    tool_folder,
    tool_site,
    updates_changed,
)
from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.configmgr.model import (
    Hierarchy,
    ProviderState,
    ScpInfo,
    Site,
    SiteUpdate,
)
from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.decide.service_connection_tool import (
    FolderReading,
    ToolSite,
    paths_to_check,
    tool_arguments,
)
from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.errors import InvalidOption, PlanRefused
from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.logs import LogEntry

CM01, INET = "cm01.contoso.com", "inet01.contoso.com"
CD = "C:\\CM\\cd.latest\\SMSSETUP\\TOOLS\\ServiceConnectionTool"
SITE = ToolSite("PS1", CM01, "C:\\CM", "5.00.9132.1000", CM01)
FILES = {"ServiceConnectionTool.exe": 10, "ServiceConnectionTool.exe.config": 5, "A.dll": 3}
ADMIN = "CONTOSO\\cmadmin"
OK = FolderReading(dict(FILES), "5.0.9132.1000", ((ADMIN, "User"),))


def state(mode: str | None = "Offline", scp: bool = True) -> ProviderState:
    site = Site("PS1", "Primary", 2, None, CM01, "C:\\CM", "5.00.9132.1000", 0)
    return ProviderState("PS1", CM01, "5.0", Hierarchy([site]), ScpInfo(CM01, "PS1", mode) if scp else None, [])


@pytest.mark.parametrize(
    ("args", "option", "text"),
    [
        ({"phase": "prepare"}, "usage_data_dest", "is required with phase=prepare"),
        ({"phase": "export"}, "dest", "is required with phase=export"),
        ({"phase": "connect", "usage_data_src": "C:\\U", "update_pack_dest": "C:\\P"}, "connect_host", "required"),
        ({"phase": "import"}, "update_pack_src", "is required"),
        ({"phase": "import", "update_pack_src": "C:\\P", "dest": "C:\\x.csv"}, "dest", "does not apply"),
        ({"phase": "prepare", "usage_data_dest": "C:\\u.cab", "download": "all"}, "download", "does not apply"),
        ({"phase": "prepare", "usage_data_dest": "u.cab"}, "usage_data_dest", "absolute Windows path"),
        ({"phase": "prepare", "usage_data_dest": 'C:\\"x.cab'}, "usage_data_dest", "absolute Windows path"),
        ({"phase": "prepare", "usage_data_dest": "C:\\a\\..\\x.cab"}, "usage_data_dest", "'..'"),
        ({"phase": "prepare", "usage_data_dest": "C:\\x?.cab"}, "usage_data_dest", "wildcards"),
        ({"phase": "import", "update_pack_src": "C:\\P", "tool_path": "relative"}, "tool_path", "absolute"),
        ({"phase": "fetch"}, "phase", "must be one of"),
        (
            {
                "phase": "connect",
                "usage_data_src": "C:\\U",
                "update_pack_dest": "C:\\P",
                "connect_host": INET,
                "proxy_server_uri": "-downloadall",
            },
            "proxy_server_uri",
            "host name",
        ),
        (
            {
                "phase": "connect",
                "usage_data_src": "C:\\U",
                "update_pack_dest": "C:\\P",
                "connect_host": INET,
                "proxy_server_uri": "proxy.contoso.com:8080",
                "proxy_username": "-import",
            },
            "proxy_username",
            "must not start with '-'",
        ),
        (
            {
                "phase": "connect",
                "usage_data_src": "C:\\U",
                "update_pack_dest": "C:\\P",
                "connect_host": INET,
                "proxy_username": "u",
            },
            "proxy_username",
            "needs proxy_server_uri",
        ),
    ],
)
def test_request_refuses(args: dict[str, Any], option: str, text: str) -> None:
    with pytest.raises(InvalidOption) as info:
        ToolRequest(**args)
    assert info.value.option == option and text in str(info.value)


@pytest.mark.parametrize(
    ("request_args", "argv"),
    [
        ({"phase": "prepare", "usage_data_dest": "D:\\USB\\UsageData.cab"},
         ["-prepare", "-usagedatadest", "D:\\USB\\UsageData.cab"]),
        ({"phase": "export", "dest": "D:\\USB\\usagedata.csv"}, ["-export", "-dest", "D:\\USB\\usagedata.csv"]),
        ({"phase": "import", "update_pack_src": "D:\\USB\\UpdatePacks"},
         ["-import", "-updatepacksrc", "D:\\USB\\UpdatePacks"]),
        ({"phase": "connect", "usage_data_src": "D:\\USB", "update_pack_dest": "D:\\USB\\UpdatePacks",
          "connect_host": INET},
         ["-connect", "-usagedatasrc", "D:\\USB", "-updatepackdest", "D:\\USB\\UpdatePacks"]),
        ({"phase": "connect", "usage_data_src": "D:\\USB\\Usagedata.cab", "update_pack_dest": "D:\\USB\\UpdatePacks",
          "connect_host": INET, "download": "siteversion", "proxy_server_uri": "itproxy.contoso.com",
          "proxy_username": "jqpublic"},
         ["-connect", "-usagedatasrc", "D:\\USB\\Usagedata.cab", "-updatepackdest", "D:\\USB\\UpdatePacks",
          "-downloadsiteversion", "-proxyserveruri", "itproxy.contoso.com", "-proxyusername", "jqpublic"]),
        ({"phase": "connect", "usage_data_src": "D:\\U", "update_pack_dest": "D:\\P", "connect_host": INET,
          "download": "all"}, ["-connect", "-usagedatasrc", "D:\\U", "-updatepackdest", "D:\\P", "-downloadall"]),
        ({"phase": "connect", "usage_data_src": "D:\\U", "update_pack_dest": "D:\\P", "connect_host": INET,
          "download": "hotfix"}, ["-connect", "-usagedatasrc", "D:\\U", "-updatepackdest", "D:\\P", "-downloadhotfix"]),
    ],
)  # fmt: skip
def test_arguments_are_the_documented_switches(request_args: dict[str, Any], argv: list[str]) -> None:
    assert tool_arguments(ToolRequest(**request_args)) == argv


def test_command_line_quotes_paths_with_spaces() -> None:
    plan = plan_tool(ToolRequest("prepare", usage_data_dest="C:\\USB Drive\\u.cab"), SITE, CM01, CD, OK, None, ADMIN)
    assert plan.line == '-prepare -usagedatadest "C:\\USB Drive\\u.cab"'
    assert plan.line == subprocess.list2cmdline(list(plan.argv))


@pytest.mark.parametrize(
    ("mode", "scp", "text"),
    [("Online", True, "is in online mode"), (None, True, "an unknown mode"), ("Offline", False, "has no service")],
)
def test_site_refuses_without_an_offline_scp(mode: str | None, scp: bool, text: str) -> None:
    with pytest.raises(PlanRefused) as info:
        tool_site(state(mode, scp))
    assert text in str(info.value) and "mode=offline" in str(info.value)


def test_site_host_and_folder() -> None:
    site = tool_site(state())
    assert site == ToolSite("PS1", CM01, "C:\\CM", "5.00.9132.1000", CM01)
    prepare = ToolRequest("prepare", usage_data_dest="C:\\u.cab")
    connect = ToolRequest("connect", usage_data_src="C:\\U", update_pack_dest="C:\\P", connect_host=INET)
    assert phase_host(prepare, site) == CM01 and phase_host(connect, site) == INET
    assert tool_folder(prepare, CM01, site) == CD
    with pytest.raises(InvalidOption) as info:
        tool_folder(connect, INET, site)
    assert info.value.option == "tool_path" and INET in str(info.value) and CD in str(info.value)
    given = ToolRequest("connect", usage_data_src="C:\\U", update_pack_dest="C:\\P", connect_host=INET,
                        tool_path="D:\\Tool\\")  # fmt: skip
    assert tool_folder(given, INET, site) == "D:\\Tool"
    remote_scp = ToolSite("PS1", CM01, "C:\\CM", "5.00.9132.1000", "scp01.contoso.com")
    with pytest.raises(InvalidOption):
        tool_folder(prepare, "scp01.contoso.com", remote_scp)


PREPARE = ToolRequest("prepare", usage_data_dest="C:\\USB\\u.cab")
IMPORT = ToolRequest("import", update_pack_src="C:\\Packs")
CONNECT = ToolRequest("connect", usage_data_src="C:\\U", update_pack_dest="C:\\P", connect_host=INET)


@pytest.mark.parametrize(
    ("request_", "reading", "reference", "user", "problem", "warning"),
    [
        (PREPARE, OK, None, ADMIN, None, None),
        (PREPARE, FolderReading({}, None), None, ADMIN, "ServiceConnectionTool.exe is not in", None),
        (PREPARE, FolderReading(dict(FILES), "5.0.9140.1000", OK.admins), None, ADMIN, "version 5.0.9140.1000", None),
        (PREPARE, FolderReading(dict(FILES), None, OK.admins), None, ADMIN, None, "could not be read: not compared"),
        (PREPARE, FolderReading(dict(FILES), "5.0.9132.1000", (("CONTOSO\\other", "User"),)), None, ADMIN,
         "is not a local Administrator", None),
        (PREPARE, FolderReading(dict(FILES), "5.0.9132.1000", (("CONTOSO\\Domain Admins", "Group"),)), None, ADMIN,
         None, "it may be a member through CONTOSO\\Domain Admins"),
        (PREPARE, OK, None, "cmadmin@contoso.com", None, "was not checked"),
        (PREPARE, FolderReading(dict(FILES), "5.0.9132.1000", OK.admins, ("C:\\USB",)), None, ADMIN,
         "C:\\USB does not exist on cm01.contoso.com: create the folder first", None),
        # a copy on the connect host: compared with CD.Latest, the log written there is not a file of the tool
        (CONNECT, FolderReading({"ServiceConnectionTool.exe": 10}, "5.0.9132.1000"),
         FolderReading({**FILES, "ServiceConnectionTool.log": 9}, "5.0.9132.1000"), None, "lacks A.dll, "
         "ServiceConnectionTool.exe.config", None),
        (CONNECT, FolderReading(dict(FILES), "5.0.9132.1000"),
         FolderReading({**FILES, "ServiceConnectionTool.log": 9}, "5.0.9132.1000"), None, None, None),
        (CONNECT, FolderReading(dict(FILES), "5.0.9132.1000"), FolderReading({}, None), None, None,
         "could not be read: the files"),
        # the connect host's account is not checked against the SCP's Administrators
        (CONNECT, FolderReading(dict(FILES), "5.0.9132.1000"), None, "CONTOSO\\other", None, None),
    ],
)  # fmt: skip
def test_checks(
    request_: ToolRequest,
    reading: FolderReading,
    reference: FolderReading | None,
    user: str | None,
    problem: str | None,
    warning: str | None,
) -> None:
    host = INET if request_.phase == "connect" else CM01
    plan = plan_tool(request_, SITE, host, CD, reading, reference, user)
    if problem is None:
        assert plan.problems == () and plan.run and plan.changed
    else:
        assert not plan.run and not plan.changed and any(problem in p for p in plan.problems), plan.problems
    if warning is None:
        assert plan.warnings == ()
    else:
        assert any(warning in w for w in plan.warnings), plan.warnings


@pytest.mark.parametrize(
    ("digest", "recorded", "run"),
    [("AB", None, True), ("AB", "AB", False), ("AB", "CD", True), (None, None, True)],
)
def test_an_import_recorded_for_the_same_manifest_changes_nothing(
    digest: str | None, recorded: str | None, run: bool
) -> None:
    reading = FolderReading(dict(FILES), "5.0.9132.1000", OK.admins, (), digest, recorded)
    plan = plan_tool(IMPORT, SITE, CM01, CD, reading, None, ADMIN)
    assert plan.run is run and plan.changed is run
    assert (plan.msg is not None and "imported already" in plan.msg) is (not run)


def test_paths_to_check() -> None:
    assert paths_to_check(PREPARE) == [("C:\\USB", "Container")]
    assert paths_to_check(ToolRequest("prepare", usage_data_dest="C:\\u.cab")) == [("C:\\", "Container")]
    assert paths_to_check(IMPORT) == [("C:\\Packs\\ConfigMgr.Update.Manifest.ENC", "Leaf")]
    same = ToolRequest("connect", usage_data_src="C:\\USB", update_pack_dest="C:\\USB\\Packs", connect_host=INET)
    assert paths_to_check(same) == [("C:\\USB", "Any")], "an input that is the output's folder is checked once"


def entry(message: str, severity: str) -> LogEntry:
    return LogEntry(
        message, datetime(2026, 11, 2, tzinfo=timezone.utc), "ServiceConnectionTool", 1, severity, "cmtrace", 1
    )


def test_log_errors_leave_out_the_documented_harmless_error_and_failures_name_what_to_do() -> None:
    harmless = entry("ERROR: System.UnauthorizedAccessException: Access to the path 'D:\\x\\extractmanifestcab\\a.sql'"
                     " is denied.", "error")  # fmt: skip
    entries = [entry("started", "info"), harmless, entry("ERROR: unable to connect", "error")]
    assert log_errors(entries) == ["ERROR: unable to connect"]
    view = log_view(entries, 2)
    assert [v["known_harmless"] for v in view] == [True, False] and log_view(entries, 0) == []
    plan = plan_tool(CONNECT, SITE, INET, "C:\\T", FolderReading(dict(FILES), "5.0.9132.1000"), None, None)
    assert tool_failure_message(plan, 0, []) is None
    text = tool_failure_message(plan, 3, log_errors(entries))
    assert text is not None and f"-connect on {INET} exited with code 3" in text and "proxy_server_uri" in text
    plan = plan_tool(IMPORT, SITE, CM01, CD, OK, None, ADMIN)
    text = tool_failure_message(plan, 4, [])
    assert text is not None and "no error in ServiceConnectionTool.log" in text and "phase=prepare" in text


def test_an_scp_stranded_at_a_child_site_is_refused_before_any_run() -> None:
    cas = Site("CAS", "Central", 4, None, "cas01.contoso.com", "C:\\CM", "5.00.9132.1000", 0)
    child = Site("PR1", "Child", 2, "CAS", "pri01.contoso.com", "C:\\CM", "5.00.9132.1000", 0)
    stranded = ProviderState(
        "CAS", "cas01.contoso.com", "5.0", Hierarchy([cas, child]), ScpInfo("scp02.contoso.com", "PR1", "Offline"), []
    )
    with pytest.raises(PlanRefused) as info:
        tool_site(stranded)
    text = str(info.value)
    assert "scp02.contoso.com" in text and "site PR1" in text and "top-tier site CAS" in text and "allow_move" in text


def test_an_scp_on_an_ha_site_server_runs_with_microsofts_rule_as_a_warning() -> None:
    ha = state()
    ha.site_roles = [
        {"NetworkOSPath": f"\\\\{server}", "RoleName": "SMS Site Server", "SiteCode": "PS1"}
        for server in (CM01, "cm02.contoso.com")
    ]
    site = tool_site(ha)
    assert site.ha_servers == (CM01, "cm02.contoso.com")
    plan = plan_tool(PREPARE, site, CM01, CD, OK, None, ADMIN)
    assert plan.run and plan.problems == ()
    assert any("high availability" in w and "allow_move" in w for w in plan.warnings), plan.warnings
    single = state()
    single.site_roles = [{"NetworkOSPath": f"\\\\{CM01}", "RoleName": "SMS Site Server", "SiteCode": "PS1"}]
    assert plan_tool(PREPARE, tool_site(single), CM01, CD, OK, None, ADMIN).warnings == ()


def test_a_failed_import_is_a_change_when_the_sites_updates_moved() -> None:
    before, after, same = state(), state(), state()
    before.updates = same.updates = [SiteUpdate("CM 2509", 262146, package_guid="A")]
    after.updates = [SiteUpdate("CM 2509", 262146, package_guid="A"), SiteUpdate("Hotfix", 262146, package_guid="B")]
    assert updates_changed(before, after) and not updates_changed(before, same)
