"""The lab's ServiceConnectionTool.exe (tests/lab/world/sct.py), started with Start-Process as a real site would, and
the cmdlets it needs (Start-Process binding and argument joining, Get-FileHash, VersionInfo)."""

from __future__ import annotations

import hashlib
import subprocess
from typing import Any

import pytest

from tests.lab.ps.builtins.process import split_command_line
from tests.lab.ps.runtime import PSRuntime
from tests.lab.selftest.test_cm_cmdlets import ADMIN, run, world_of
from tests.lab.world.model import OfferedUpdate, Site, SiteUpdate
from tests.lab.world.sct import CD_LATEST_TOOL, LOG, MANIFEST, hierarchy_id
from tests.lab.world.world import World
from tests.lab.wsman.backend import TerminatingError

CM01 = "cm01.contoso.com"
TOOL = f"C:\\Program Files\\Microsoft Configuration Manager\\{CD_LATEST_TOOL}"
COPY = "C:\\Tools\\Service Connection Tool"
GUID_2603 = "8a0f2c51-3d47-4b8e-9b61-0c2d4e6f8a10"


def site(world: World) -> Site:
    found = world.hierarchy.site("PS1")
    assert found is not None
    return found


def set_offline(world: World, value: int) -> None:
    scp = world.hierarchy.scp()
    prop = scp.prop("OfflineMode") if scp is not None else None
    assert prop is not None
    prop.value = value


def start(world: World, host: str, folder: str, argv: list[str], user: str = ADMIN) -> tuple[int, str]:
    """Run the tool with the command line quoted as the collection quotes it; (exit code, the log it left)."""
    rt = PSRuntime(world, world.require_host(host), user, "ntlm")
    out = run(
        rt,
        "Start-Process",
        ("FilePath", f"{folder}\\ServiceConnectionTool.exe"),
        ("ArgumentList", [subprocess.list2cmdline(argv)]),
        ("Wait", True),
        ("PassThru", True),
        ("NoNewWindow", True),
    ).output
    return out[0]["ExitCode"], world.require_host(host).files.read(f"{folder}\\{LOG}")


@pytest.mark.parametrize(
    "argv",
    [
        ["-prepare", "-usagedatadest", "C:\\Usage Data\\UsageData.cab"],
        ["a b", 'say "hi"', "C:\\ends with\\", "C:\\x\\\\", "", "plain"],
    ],
)
def test_command_line_round_trips_windows_quoting(argv: list[str]) -> None:
    assert split_command_line(subprocess.list2cmdline(argv)) == argv


def test_start_process_joins_argument_list_unquoted_like_windows_powershell() -> None:
    # two elements, one with a space: 5.1 joins them with a space, so the path splits in two for the tool
    world = world_of("offline-servicing")
    rt = PSRuntime(world, world.require_host(CM01), ADMIN, "ntlm")
    out = run(
        rt,
        "Start-Process",
        ("FilePath", f"{TOOL}\\ServiceConnectionTool.exe"),
        ("ArgumentList", ["-prepare", "-usagedatadest", "C:\\Usage Data\\u.cab"]),
        ("Wait", True),
        ("PassThru", True),
    ).output
    assert out[0]["ExitCode"] == 1
    assert "unknown argument 'Data\\\\u.cab'" in world.require_host(CM01).files.read(f"{TOOL}\\{LOG}")


def test_prepare_writes_the_cab_and_replaces_its_log() -> None:
    world = world_of("offline-servicing")
    code, log = start(world, CM01, TOOL, ["-prepare", "-usagedatadest", "C:\\Usage Data\\UsageData.cab"])
    assert code == 0, log
    cab = world.require_host(CM01).files.read("C:\\Usage Data\\UsageData.cab")
    assert hierarchy_id(world) in cab
    code, second = start(world, CM01, TOOL, ["-export", "-dest", "C:\\Usage Data\\usage.csv"])
    assert code == 0 and "-prepare" not in second, "the log is replaced on each run"


def test_version_info_and_file_hash() -> None:
    world = world_of("offline-servicing")
    rt = PSRuntime(world, world.require_host(CM01), ADMIN, "ntlm")
    item = run(rt, "Get-Item", ("LiteralPath", [f"{TOOL}\\ServiceConnectionTool.exe"])).output[0]
    assert item["VersionInfo"]["FileVersion"] == site(world).version
    text = world.require_host(CM01).files.read(f"{TOOL}\\ServiceConnectionTool.exe.config")
    found = run(rt, "Get-FileHash", ("LiteralPath", [f"{TOOL}\\ServiceConnectionTool.exe.config"]),
                ("Algorithm", "SHA256")).output[0]  # fmt: skip
    assert found["Hash"].lower() == hashlib.sha256(text.encode()).hexdigest()


def failure(world: World, host: str, folder: str, argv: list[str], user: str = ADMIN) -> tuple[int, str]:
    code, log = start(world, host, folder, argv, user)
    assert code != 0, log
    return code, log


def test_failures_wrong_mode_admin_version_missing_file() -> None:
    prepare = ["-prepare", "-usagedatadest", "C:\\u.cab"]
    world = world_of("offline-servicing")
    set_offline(world, 0)
    assert "online mode" in failure(world, CM01, TOOL, prepare)[1]

    world = world_of("offline-servicing")
    world.require_host(CM01).admins.clear()
    assert "is not a local administrator" in failure(world, CM01, TOOL, prepare)[1]

    world = world_of("offline-servicing")
    site(world).version = "5.00.9140.1000"
    assert "does not match the site's version" in failure(world, CM01, TOOL, prepare)[1]

    world = world_of("offline-servicing")
    world.require_host(CM01).files.remove(f"{TOOL}\\ServiceConnectionTool.Core.dll")
    assert "ServiceConnectionTool.Core.dll" in failure(world, CM01, TOOL, prepare)[1]
    assert not world.require_host(CM01).files.exists("C:\\u.cab")


def carry(world: World, source: str, src_host: str, dest: str, dest_host: str) -> None:
    """The USB stick: copy a file or a folder's files between hosts."""
    a, b = world.require_host(src_host).files, world.require_host(dest_host).files
    if a.is_dir(source):
        for info in a.list(source):
            b.write(f"{dest}\\{info.name}", a.read(info.full_name))
    else:
        b.write(dest, a.read(source))


def round_trip(world: World, connect_host: str, extra: list[str]) -> tuple[int, str]:
    assert start(world, CM01, TOOL, ["-prepare", "-usagedatadest", "C:\\USB\\UsageData.cab"])[0] == 0
    carry(world, "C:\\USB\\UsageData.cab", CM01, "C:\\USB\\UsageData.cab", connect_host)
    return start(world, connect_host, COPY, ["-connect", "-usagedatasrc", "C:\\USB", "-updatepackdest",
                                             "C:\\USB\\Update Packs", *extra])  # fmt: skip


def test_connect_then_import_adds_the_updates_once() -> None:
    world = world_of("offline-servicing")
    code, log = round_trip(world, "inet01.contoso.com", [])
    assert code == 0, log
    assert "UnauthorizedAccessException" in log and "extractmanifestcab" in log  # the documented harmless error
    inet = world.require_host("inet01.contoso.com").files
    assert inet.exists(f"C:\\USB\\Update Packs\\{MANIFEST}") and inet.exists("C:\\ConfigMgrSetup.log")
    carry(world, "C:\\USB\\Update Packs", "inet01.contoso.com", "C:\\Packs", CM01)
    before = len(world.hierarchy.updates)
    code, log = start(world, CM01, TOOL, ["-import", "-updatepacksrc", "C:\\Packs"])
    assert code == 0 and "1 update(s) added" in log, log
    assert [u.name for u in world.hierarchy.updates[before:]] == ["Configuration Manager 2509"]
    code, log = start(world, CM01, TOOL, ["-import", "-updatepacksrc", "C:\\Packs"])
    assert code == 0 and "0 update(s) added" in log and len(world.hierarchy.updates) == before + 1


@pytest.mark.parametrize(
    ("switch", "names"),
    [
        ("-downloadall", 4),
        ("-downloadhotfix", 1),
        ("-downloadsiteversion", 3),
    ],
)
def test_download_switches(switch: str, names: int) -> None:
    world = world_of("offline-servicing")
    assert round_trip(world, "inet01.contoso.com", [switch])[0] == 0
    packs = world.require_host("inet01.contoso.com").files.list("C:\\USB\\Update Packs")
    assert len([p for p in packs if p.name.endswith(".cab")]) == names


@pytest.mark.parametrize(
    ("proxy", "text"),
    [
        (None, "unable to connect to the remote server"),
        ("refuse.contoso.com:8080", "refused the request"),
        ("nowhere.example.com:8080", "unable to connect to the proxy server"),
    ],
)
def test_connect_without_internet_or_through_a_refusing_proxy_fails(proxy: str | None, text: str) -> None:
    world = world_of("offline-servicing")
    extra = ["-proxyserveruri", proxy] if proxy else []
    code, log = round_trip(world, "dmz01.contoso.com", extra)
    assert code == 3 and text in log, log


def test_connect_through_the_proxy_works() -> None:
    world = world_of("offline-servicing")
    assert round_trip(world, "dmz01.contoso.com", ["-proxyserveruri", "proxy.contoso.com:8080"])[0] == 0


def test_import_of_packs_from_another_hierarchy_fails() -> None:
    world = world_of("offline-servicing")
    host = world.require_host(CM01).files
    host.write(
        f"C:\\Foreign\\{MANIFEST}", "LAB-ENC\r\nhierarchies=00000000-0000-0000-0000-000000000001\r\nupdates=\r\n"
    )
    code, log = failure(world, CM01, TOOL, ["-import", "-updatepacksrc", "C:\\Foreign"])
    assert code == 4 and "not downloaded for this hierarchy" in log


def test_start_process_of_a_missing_file_is_a_terminating_error() -> None:
    world = world_of("offline-servicing")
    rt = PSRuntime(world, world.require_host(CM01), ADMIN, "ntlm")
    with pytest.raises(TerminatingError) as info:
        run(rt, "Start-Process", ("FilePath", "C:\\nothing.exe"), ("Wait", True))
    spec: Any = info.value.spec
    assert "cannot find the file" in spec.message


def test_connect_takes_what_the_service_offers_when_the_scenario_says() -> None:
    # scenario service_updates (the online sync's offer) replace the built-in catalogue, for offline servicing too
    world = world_of("offline-servicing")
    world.hierarchy.offered.append(OfferedUpdate(SiteUpdate("Configuration Manager 2603", GUID_2603, "5.00.9150.1000")))
    assert round_trip(world, "inet01.contoso.com", [])[0] == 0
    packs = world.require_host("inet01.contoso.com").files.list("C:\\USB\\Update Packs")
    assert sorted(p.name for p in packs) == sorted([f"{GUID_2603}.cab", MANIFEST])
    carry(world, "C:\\USB\\Update Packs", "inet01.contoso.com", "C:\\Packs", CM01)
    assert start(world, CM01, TOOL, ["-import", "-updatepacksrc", "C:\\Packs"])[0] == 0
    assert world.hierarchy.updates[-1].name == "Configuration Manager 2603"
