"""ServiceConnectionTool.exe as the lab simulates it (a program Start-Process runs, tests/lab/ps/builtins/process.py).

Documented [OFFICIAL, memdocs use-the-service-connection-tool.md]: the switches and which need which,
the folder under CD.Latest\\SMSSETUP\\TOOLS\\ServiceConnectionTool, "all of these files must be in the same folder",
the tool matching the site's version, the SCP offline, local Administrator on the SCP, ServiceConnectionTool.log next
to the tool and replaced each run, ConfigMgrSetup.log at the root of the system drive during connect, the harmless
UnauthorizedAccessException about extractmanifestcab during connect, ConfigMgr.Update.Manifest.ENC in the downloaded
data, the download switches' selection, several usage data files from different hierarchies in one connect.

Inferred (docs/lab.md lists them): the file names besides the .exe, the FileVersion the exe carries (the site's
version), the exit codes, the log's line format and wordings, the content of the cab / CSV / packs (text naming the
hierarchy), the pack folder's layout besides the manifest, the hierarchy id, the catalogue of updates, that the tool
creates missing output folders, that an import of packs already imported adds nothing and exits 0; for a run killed
part way (fault "kill_program"): its exit code, that its log keeps the lines written so far, and what it had written
(half the cab or CSV, the first pack without the manifest, the first update imported).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from tests.lab.ps.builtins.process import ProgramRun, program_text, register_program
from tests.lab.windows.network import proxy_key
from tests.lab.world.logs import ERROR, INFO, WARNING, format_cmtrace
from tests.lab.world.model import UPDATE_APPLICABILITY_SUCCESS, SiteUpdate

if TYPE_CHECKING:
    from tests.lab.windows.host import WindowsHost
    from tests.lab.world.world import World

TOOL = "ServiceConnectionTool"
TOOL_EXE = "ServiceConnectionTool.exe"
CD_LATEST_TOOL = "cd.latest\\SMSSETUP\\TOOLS\\ServiceConnectionTool"  # under the site's install dir [OFFICIAL]
# inferred: the files of the folder (the exe is documented, the others are the lab's)
TOOL_FILES = (
    TOOL_EXE,
    "ServiceConnectionTool.exe.config",
    "ServiceConnectionTool.Core.dll",
    "Microsoft.ConfigurationManager.UpdateManifest.dll",
)
LOG = "ServiceConnectionTool.log"  # [OFFICIAL] next to the tool, replaced each run
SETUP_LOG = "C:\\ConfigMgrSetup.log"  # [OFFICIAL] "at the root of the system drive" during connect
MANIFEST = "ConfigMgr.Update.Manifest.ENC"  # [OFFICIAL] in the downloaded data
ENDPOINTS = (
    "go.microsoft.com",
    "download.microsoft.com",
)  # [OFFICIAL]; which ones the tool uses: inferred

# inferred exit codes
EXIT_OK, EXIT_USAGE, EXIT_PREREQ, EXIT_NETWORK, EXIT_DATA = 0, 1, 2, 3, 4
EXIT_KILLED = 1  # inferred: what a process ended by TerminateProcess (taskkill /f) exits with
MODES = {
    "-prepare": ("-usagedatadest",),
    "-export": ("-dest",),
    "-connect": ("-usagedatasrc", "-updatepackdest"),
    "-import": ("-updatepacksrc",),
}
VALUED = {
    "-usagedatadest",
    "-dest",
    "-usagedatasrc",
    "-updatepackdest",
    "-updatepacksrc",
    "-proxyserveruri",
    "-proxyusername",
}
FLAGS = {"-downloadall", "-downloadhotfix", "-downloadsiteversion"}


@dataclass(frozen=True)
class CatalogUpdate:
    name: str
    guid: str
    version: str
    hotfix: bool = False


# inferred: what "Microsoft" offers in the lab (the site's default version is 5.00.9132.1000)
CATALOG = (
    CatalogUpdate("Configuration Manager 2409", "3c1a7a3e-0e4f-4c57-9a38-5b1c2d3e4f01", "5.00.9130.1000"),
    CatalogUpdate("Configuration Manager 2503", "3c1a7a3e-0e4f-4c57-9a38-5b1c2d3e4f02", "5.00.9135.1000"),
    CatalogUpdate("Configuration Manager 2509", "3c1a7a3e-0e4f-4c57-9a38-5b1c2d3e4f03", "5.00.9140.1000"),
    CatalogUpdate(
        "Hotfix for Configuration Manager 2403", "3c1a7a3e-0e4f-4c57-9a38-5b1c2d3e4f04", "5.00.9132.1005", hotfix=True
    ),
)


def catalog(world: World) -> tuple[CatalogUpdate, ...]:
    """What the Microsoft service offers now: the scenario's `service_updates` (the online sync's offer, released by
    now; "hotfix" in the name makes one a hotfix, inferred) when it has any, else CATALOG."""
    now = world.clock.now()
    offered = [o.update for o in world.hierarchy.offered if o.released is None or o.released <= now]
    if not offered:
        return CATALOG
    return tuple(CatalogUpdate(u.name, u.package_guid, u.full_version, "hotfix" in u.name.lower()) for u in offered)


def install_tool(host: WindowsHost, folder: str, version: str) -> None:
    """The ServiceConnectionTool folder with every file; the exe carries `version` as its FileVersion (lab setup)."""
    for name in TOOL_FILES:
        text = program_text(TOOL, version) if name == TOOL_EXE else f"lab file {name} {version}\r\n"
        host.files.write(f"{folder}\\{name}", text)


def hierarchy_id(world: World) -> str:
    """inferred: an id of the hierarchy that its usage data and the packs made for it carry."""
    top = world.hierarchy.top_site()
    return str(uuid.uuid5(uuid.NAMESPACE_DNS, f"{top.code if top else ''}.{top.server if top else ''}"))


def _version(text: str) -> tuple[int, ...]:
    try:
        return tuple(int(p) for p in text.split("."))
    except ValueError:
        return ()


class _Log:
    def __init__(self, host: WindowsHost, path: str) -> None:
        self.host, self.path = host, path
        self.lines: list[str] = []

    def __call__(self, message: str, severity: int = INFO) -> None:
        self.lines.append(format_cmtrace(message, TOOL, self.host.clock.now(), severity))

    def save(self) -> None:
        self.host.files.write(self.path, "\r\n".join(self.lines) + "\r\n")  # replaced on each run


def _options(argv: list[str]) -> tuple[dict[str, str | bool], str | None]:
    """Switches -> values; the error text for a command line the tool refuses."""
    found: dict[str, str | bool] = {}
    i = 0
    while i < len(argv):
        name = argv[i].lower()
        if name in MODES or name in FLAGS:
            found[name] = True
        elif name in VALUED:
            if i + 1 >= len(argv) or argv[i + 1].startswith("-"):
                return found, f"the switch {argv[i]} needs a value"
            found[name] = argv[i + 1]
            i += 1
        else:
            return found, f"unknown argument {argv[i]!r}"
        i += 1
    modes = [m for m in MODES if m in found]
    if len(modes) != 1:
        return found, "give exactly one of -prepare, -export, -connect, -import"
    missing = [s for s in MODES[modes[0]] if s not in found]
    if missing:
        return found, f"{modes[0]} needs {', '.join(missing)}"
    return found, None


@register_program(TOOL)
def run_tool(run: ProgramRun) -> int:
    ctx, host, world = run.ctx, run.ctx.host, run.ctx.world
    folder = run.path.rsplit("\\", 1)[0]
    log = _Log(host, f"{folder}\\{LOG}")
    try:
        return _run(run, world, host, folder, log)
    finally:
        log.save()
        world.event("service_connection_tool", host=host.fqdn, argv=list(run.argv), user=ctx.user)


def _run(run: ProgramRun, world: World, host: WindowsHost, folder: str, log: _Log) -> int:
    log(f"ServiceConnectionTool version {run.version} started: {' '.join(run.argv)}")
    missing = [n for n in TOOL_FILES if not host.files.exists(f"{folder}\\{n}")]
    if missing:
        log(f"ERROR: a file of the tool is missing from {folder}: {', '.join(missing)}", ERROR)
        return EXIT_PREREQ
    options, problem = _options(run.argv)
    if problem:
        log(
            f"ERROR: {problem}. Usage: -prepare -usagedatadest <file> | -export -dest <file> | -connect "
            "-usagedatasrc <path> -updatepackdest <folder> | -import -updatepacksrc <folder>",
            ERROR,
        )
        return EXIT_USAGE
    if "-connect" in options:
        return _connect(world, host, options, log, run.killed)
    return _on_scp(run, world, host, options, log)


def _on_scp(run: ProgramRun, world: World, host: WindowsHost, options: dict[str, str | bool], log: _Log) -> int:
    scp = world.hierarchy.scp()
    top = world.hierarchy.top_site()
    if scp is None or scp.fqdn != host.fqdn:
        log(f"ERROR: {host.fqdn} does not host the service connection point", ERROR)
        return EXIT_PREREQ
    offline = scp.prop("OfflineMode")
    if not (offline and offline.value):
        log("ERROR: the service connection point is in online mode; the tool needs offline mode", ERROR)
        return EXIT_PREREQ
    if not host.is_admin(run.ctx.user):
        log(f"ERROR: {run.ctx.user} is not a local administrator of {host.fqdn}", ERROR)
        return EXIT_PREREQ
    site_version = top.version if top else ""
    if _version(run.version)[:3] != _version(site_version)[:3]:
        log(f"ERROR: the tool's version {run.version} does not match the site's version {site_version}", ERROR)
        return EXIT_PREREQ
    when = host.clock.now()
    if "-prepare" in options:
        dest = str(options["-usagedatadest"])
        text = _usage_text(world, site_version, when)
        if run.killed:
            host.files.write(dest, text[: len(text) // 2])
            return EXIT_KILLED
        host.files.write(dest, text)
        log(f"Usage data exported to {dest}")
        return EXIT_OK
    if "-export" in options:
        dest = str(options["-dest"])
        header = "HierarchyId,SiteCode,Version,Exported\r\n"
        if run.killed:
            host.files.write(dest, header)
            return EXIT_KILLED
        host.files.write(
            dest, f"{header}{hierarchy_id(world)},{top.code if top else ''},{site_version},{when.isoformat()}\r\n"
        )
        log(f"Usage data exported to CSV {dest}")
        return EXIT_OK
    return _import(world, host, str(options["-updatepacksrc"]), log, run.killed)


def _usage_text(world: World, version: str, when: datetime) -> str:
    return (
        f"LAB-CAB usage data\r\nhierarchy={hierarchy_id(world)}\r\nversion={version}\r\ncreated={when.isoformat()}\r\n"
    )


def _field(text: str, name: str) -> str:
    return next((line.split("=", 1)[1].strip() for line in text.splitlines() if line.startswith(f"{name}=")), "")


def _connect(world: World, host: WindowsHost, options: dict[str, str | bool], log: _Log, killed: bool = False) -> int:
    source = str(options["-usagedatasrc"])
    files = host.files
    if files.is_dir(source):
        cabs = [i.full_name for i in files.list(source) if not i.is_dir and i.name.lower().endswith(".cab")]
    else:
        cabs = [source] if files.exists(source) else []
    if not cabs:
        log(f"ERROR: no usage data file at {source}", ERROR)
        return EXIT_DATA
    usage = [(files.read(c), c) for c in cabs]
    if any(not text.startswith("LAB-CAB") for text, _c in usage):
        log(f"ERROR: {source} holds a file that is not usage data of the tool", ERROR)
        return EXIT_DATA
    proxy = options.get("-proxyserveruri")
    reached = _reach(host, str(proxy) if isinstance(proxy, str) else None)
    if reached is not None:
        log(f"ERROR: {reached}", ERROR)
        return EXIT_NETWORK
    hierarchies = sorted({_field(t, "hierarchy") for t, _c in usage})
    versions = [_version(_field(t, "version")) for t, _c in usage]
    wanted = _select(options, min(versions) if versions else (), catalog(world))
    dest = str(options["-updatepackdest"])
    files.write(SETUP_LOG, f"SetupDL.exe downloading redistributables for {len(wanted)} update(s)\r\n")
    for update in wanted:
        files.write(f"{dest}\\{update.guid}.cab", f"LAB-PACK {update.name} {update.version}\r\n")
        log(f"Downloaded {update.name} ({update.version})")
        if killed:
            return EXIT_KILLED  # one pack written, no manifest
    files.write(
        f"{dest}\\{MANIFEST}",
        "LAB-ENC\r\n" + f"hierarchies={','.join(hierarchies)}\r\n" + f"updates={','.join(u.guid for u in wanted)}\r\n",
    )
    # [OFFICIAL] the known harmless error of a connect (its path here is the lab's)
    log(
        "ERROR: System.UnauthorizedAccessException: Access to the path "
        f"'{dest}\\extractmanifestcab\\{wanted[0].guid if wanted else 'none'}\\update.sql' is denied.",
        ERROR,
    )
    log(f"Update packs for {len(hierarchies)} hierarchy(ies) written to {dest}")
    return EXIT_OK


def _reach(host: WindowsHost, proxy: str | None) -> str | None:
    """Why the tool cannot reach Microsoft from `host` (directly, or through the proxy), else None."""
    network = host.network
    if proxy is None:
        blocked = [e for e in ENDPOINTS if not network.reach(e, 443)]
        return f"unable to connect to the remote server {blocked[0]}" if blocked else None
    key = proxy_key(proxy)
    name = key.split(":", 1)[0]
    known = next((k for k in network.proxies if proxy_key(k) == key or proxy_key(k).split(":", 1)[0] == key), None)
    if not network.reach(name, 0) or known is None:
        return f"unable to connect to the proxy server {proxy}"
    refused = [e for e in ENDPOINTS if not network.reach(e, 443, proxy=known)]
    return f"the proxy server {proxy} refused the request to {refused[0]} (502 Bad Gateway)" if refused else None


def _select(
    options: dict[str, str | bool], site: tuple[int, ...], offer: tuple[CatalogUpdate, ...]
) -> list[CatalogUpdate]:
    """[OFFICIAL] default: the latest update that applies to the site's version, no hotfix; -downloadall: everything;
    -downloadhotfix: every hotfix; -downloadsiteversion: updates and hotfixes later than the site's version."""
    if options.get("-downloadall"):
        return list(offer)
    if options.get("-downloadhotfix"):
        return [u for u in offer if u.hotfix]
    later = [u for u in offer if _version(u.version) > site]
    if options.get("-downloadsiteversion"):
        return later
    updates = [u for u in later if not u.hotfix]
    return [max(updates, key=lambda u: _version(u.version))] if updates else []


def _import(world: World, host: WindowsHost, source: str, log: _Log, killed: bool = False) -> int:
    manifest = f"{source}\\{MANIFEST}"
    if not host.files.exists(manifest):
        log(f"ERROR: {MANIFEST} was not found in {source}", ERROR)
        return EXIT_DATA
    text = host.files.read(manifest)
    if hierarchy_id(world) not in _field(text, "hierarchies").split(","):
        log(
            f"ERROR: the update packs in {source} were not downloaded for this hierarchy ({hierarchy_id(world)})", ERROR
        )
        return EXIT_DATA
    known = {u.package_guid.lower() for u in world.hierarchy.updates}
    added: list[SiteUpdate] = []
    for guid in filter(None, _field(text, "updates").split(",")):
        update = next((u for u in catalog(world) if u.guid == guid), None)
        if update is None or not host.files.exists(f"{source}\\{guid}.cab"):
            log(f"ERROR: the update pack {guid}.cab is missing from {source}", ERROR)
            return EXIT_DATA
        if guid.lower() in known:
            log(f"{update.name} was imported before: nothing to do", WARNING)
            continue
        imported = SiteUpdate(update.name, update.guid, update.version, UPDATE_APPLICABILITY_SUCCESS)
        world.hierarchy.updates.append(imported)
        added.append(imported)
        log(f"Imported {update.name} ({update.version})")
        if killed:
            return EXIT_KILLED  # the first update is in the site; the downloader is not told
    log(f"Import finished: {len(added)} update(s) added")
    world.dmp.offline_import(host, added)
    return EXIT_OK


def install_from_scenario(world: World, spec: dict[str, object]) -> None:
    """Scenario key `service_connection_tool` (scenarios/README.md): the folder under CD.Latest on the top-tier site
    server (`cd_latest`), and copies on other hosts (`copies`: fqdn -> folder), each with the top-tier site's
    version."""
    top = world.hierarchy.top_site()
    if top is None:
        return
    server = world.host(top.server)
    if spec.get("cd_latest", True) and server is not None:
        install_tool(server, f"{top.install_dir}\\{CD_LATEST_TOOL}", top.version)
    copies = spec.get("copies") or {}
    for fqdn, folder in copies.items() if isinstance(copies, dict) else []:
        target = world.host(str(fqdn))
        if target is not None:
            install_tool(target, str(folder), top.version)
