"""configmgr.scp.service_connection_tool: which host runs a phase of ServiceConnectionTool.exe, where the tool is, what
must hold before it runs, its command line, and what a run's log and exit code say.

Facts [OFFICIAL] (memdocs core/servers/manage/use-the-service-connection-tool.md, core/support/tools.md): prepare,
export and import run on the SCP's server, connect on an internet-connected computer; the tool is in
CD.Latest\\SMSSETUP\\TOOLS\\ServiceConnectionTool on the site server, must match the site's version and keeps all its
files in one folder; the SCP must be in offline mode; the account needs local administrator on the SCP;
ServiceConnectionTool.log is next to the tool and replaced on each run; the downloaded data holds
ConfigMgr.Update.Manifest.ENC (SupportArticles understand-troubleshoot-updates-servicing.md); an
UnauthorizedAccessException about extractmanifestcab during connect can be ignored.
Not documented, so decided here: the tool's version is compared as the first three parts of the exe's FileVersion with
the site's Version (major.minor.build); the files the folder must hold are those of the site's own CD.Latest copy.
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass, field, replace
from typing import Any

from ..configmgr.model import ProviderState
from ..configmgr.topology import ha_site_servers, same_machine
from ..errors import InvalidOption, PlanRefused
from ..logs import LogEntry

PHASES = ("prepare", "export", "connect", "import")
SCP_PHASES = ("prepare", "export", "import")  # [OFFICIAL] run on the service connection point
DOWNLOADS = ("default", "all", "hotfix", "siteversion")
TOOL_EXE = "ServiceConnectionTool.exe"
TOOL_LOG = "ServiceConnectionTool.log"
MANIFEST = "ConfigMgr.Update.Manifest.ENC"
CD_LATEST_TOOL = "cd.latest\\SMSSETUP\\TOOLS\\ServiceConnectionTool"  # under the site's install directory
TOOL_READS = ("sites", "scp", "site_servers")  # site_servers: the HA site servers (a warning)
# The import phase also reads the site's updates before it runs: an import that fails (the tool's exit code) may have
# imported some packs before it stopped, so the updates are read again and compared (updates_changed).
IMPORT_READS = TOOL_READS + ("updates",)
IMPORT_RECORD = "ServiceConnectionToolImport"  # the collection's record on the SCP host (STATE_KEY): manifest SHA-256
# a drive path (C:\x) or a UNC path (\\server\share\x); no quote, wildcard or control character
_PATH = re.compile(r'^(?:[A-Za-z]:\\|\\\\[^\\/:*?"<>|\s][^\\/:*?"<>|]*\\[^\\/:*?"<>|]+)[^/:*?"<>|\x00-\x1f]*$')
# a value that starts with "-" would read as a switch of the tool: a proxy is a host name (or URL) with an optional port,
# a user name has no leading "-", quote or control character
_PROXY = re.compile(r"^(?:https?://)?[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?(?::\d{1,5})?/?$")
_USER = re.compile(r'^[^-"\x00-\x1f\s][^"\x00-\x1f]{0,103}$')
_DOWNLOAD_SWITCH = {"all": "-downloadall", "hotfix": "-downloadhotfix", "siteversion": "-downloadsiteversion"}
_NEEDS = {
    "prepare": ("usage_data_dest",),
    "export": ("dest",),
    "connect": ("usage_data_src", "update_pack_dest", "connect_host"),
    "import": ("update_pack_src",),
}
_PATH_OPTIONS = ("usage_data_dest", "dest", "usage_data_src", "update_pack_dest", "update_pack_src", "tool_path")
_CONNECT_ONLY = ("usage_data_src", "update_pack_dest", "connect_host", "proxy_server_uri", "proxy_username")


def check_path(value: str | None, option: str) -> str | None:
    """An absolute Windows path, without trailing backslash (C:\\ stays); InvalidOption otherwise."""
    if value is None:
        return None
    if not _PATH.match(value) or ".." in value.split("\\"):
        raise InvalidOption(
            option,
            f"must be an absolute Windows path (C:\\folder or \\\\server\\share\\folder) "
            f"without quotes, wildcards or '..', got {value!r}",
        )
    return value if re.fullmatch(r"[A-Za-z]:\\", value) else value.rstrip("\\")


@dataclass(frozen=True)
class ToolRequest:
    phase: str
    usage_data_dest: str | None = None
    dest: str | None = None
    usage_data_src: str | None = None
    update_pack_dest: str | None = None
    update_pack_src: str | None = None
    download: str = "default"
    proxy_server_uri: str | None = None
    proxy_username: str | None = None
    tool_path: str | None = None
    connect_host: str | None = None

    def __post_init__(self) -> None:
        if self.phase not in PHASES:
            raise InvalidOption("phase", f"must be one of {', '.join(PHASES)}, got {self.phase!r}")
        if self.download not in DOWNLOADS:
            raise InvalidOption("download", f"must be one of {', '.join(DOWNLOADS)}, got {self.download!r}")
        for name in _PATH_OPTIONS:
            object.__setattr__(self, name, check_path(getattr(self, name), name))  # no trailing backslash
        for name in _NEEDS[self.phase]:
            if not getattr(self, name):
                raise InvalidOption(name, f"is required with phase={self.phase}")
        given = [n for n in _PATH_OPTIONS + _CONNECT_ONLY if getattr(self, n) and n != "tool_path"]
        wrong = [
            n for n in given if n not in _NEEDS[self.phase] and not (self.phase == "connect" and n.startswith("proxy"))
        ]
        if self.download != "default" and self.phase != "connect":
            wrong.append("download")
        if wrong:
            raise InvalidOption(wrong[0], f"does not apply to phase={self.phase}")
        if self.proxy_server_uri is not None and not _PROXY.match(self.proxy_server_uri):
            raise InvalidOption(
                "proxy_server_uri", f"must be a host name, optionally with :port, got {self.proxy_server_uri!r}"
            )
        if self.proxy_username is not None and not _USER.match(self.proxy_username):
            raise InvalidOption("proxy_username", "must not start with '-' or hold quotes or control characters")
        if self.proxy_username and not self.proxy_server_uri:
            raise InvalidOption("proxy_username", "needs proxy_server_uri")

    @property
    def output(self) -> str | None:
        """What the phase writes: the usage data cab, the CSV, the update pack folder (import writes to the site)."""
        return {"prepare": self.usage_data_dest, "export": self.dest, "connect": self.update_pack_dest}.get(self.phase)


def tool_arguments(request: ToolRequest) -> list[str]:
    """The documented switches of the phase, each value one argument."""
    match request.phase:
        case "prepare":
            argv = ["-prepare", "-usagedatadest", str(request.usage_data_dest)]
        case "export":
            argv = ["-export", "-dest", str(request.dest)]
        case "connect":
            argv = [
                "-connect",
                "-usagedatasrc",
                str(request.usage_data_src),
                "-updatepackdest",
                str(request.update_pack_dest),
            ]
            if request.download in _DOWNLOAD_SWITCH:
                argv.append(_DOWNLOAD_SWITCH[request.download])
            if request.proxy_server_uri:
                argv += ["-proxyserveruri", request.proxy_server_uri]
            if request.proxy_username:
                argv += ["-proxyusername", request.proxy_username]
        case _:
            argv = ["-import", "-updatepacksrc", str(request.update_pack_src)]
    return argv


def command_line(argv: list[str]) -> str:
    """The arguments as one command line, quoted by the Microsoft C runtime's rules (a value with a space in double
    quotes, backslashes before a quote doubled): Windows PowerShell 5.1's Start-Process joins -ArgumentList's elements
    with spaces and quotes nothing, so the line is passed as its only element (docs/architecture.md)."""
    return subprocess.list2cmdline(argv)


@dataclass(frozen=True)
class ToolSite:
    """What the task's SMS Provider says of the top-tier site and its SCP."""

    site_code: str
    server: str  # the top-tier site server, which holds CD.Latest
    install_dir: str | None
    version: str | None
    scp_server: str
    ha_servers: tuple[str, ...] = ()  # the top-tier site's site servers in high availability (active and passive)


def tool_site(state: ProviderState) -> ToolSite:
    """The top-tier site and its SCP; PlanRefused when the SCP is missing or not in offline mode ([OFFICIAL]
    prerequisite: "configured for Offline, on-demand connection")."""
    top = state.hierarchy.top_tier
    where = state.provider or "the SMS Provider"
    if top is None or not top.server:
        raise PlanRefused("the top-tier site and its site server cannot be read", where, "find the site")
    scp = state.scp
    if scp is None:
        raise PlanRefused(
            "the hierarchy has no service connection point: the tool needs one in offline mode "
            "(configmgr.scp.service_connection_point mode=offline)",
            where,
            "check the service connection tool's prerequisites",
        )
    if scp.mode != "Offline":
        raise PlanRefused(
            f"the service connection point on {scp.server} is in {(scp.mode or 'an unknown').lower()} mode: the tool needs "
            f"offline mode (configmgr.scp.service_connection_point mode=offline)",
            where,
            "check the service connection tool's prerequisites",
        )
    if scp.site_code and scp.site_code != top.site_code:
        # [OFFICIAL] the SCP is a hierarchy-wide role of the top-tier site (docs/topologies.md): refused before any run
        raise PlanRefused(
            f"the service connection point on {scp.server} belongs to site {scp.site_code}, not to the top-tier site "
            f"{top.site_code} ({top.server}): move it to site {top.site_code} first "
            "(configmgr.scp.service_connection_point with allow_move: true, mode=offline), then run the tool",
            where,
            "check the service connection tool's prerequisites",
        )
    ha = tuple(ha_site_servers(state).get(top.site_code, ()))
    return ToolSite(top.site_code, top.server, top.install_dir, top.version, scp.server, ha)


def phase_host(request: ToolRequest, site: ToolSite) -> str:
    return str(request.connect_host) if request.phase == "connect" else site.scp_server


def cd_latest_folder(site: ToolSite) -> str | None:
    return f"{site.install_dir.rstrip(chr(92))}\\{CD_LATEST_TOOL}" if site.install_dir else None


def tool_folder(request: ToolRequest, host: str, site: ToolSite) -> str:
    """tool_path, else CD.Latest when the phase runs on the top-tier site server; else the folder must be copied."""
    if request.tool_path:
        return request.tool_path
    folder = cd_latest_folder(site)
    if host.lower() == site.server.lower() and folder:
        return folder
    raise InvalidOption(
        "tool_path",
        f"is required: phase={request.phase} runs on {host}, and the tool's folder is under CD.Latest on the site "
        f"server {site.server} ({folder or CD_LATEST_TOOL}); copy the whole folder to {host} and give its path",
    )


@dataclass(frozen=True)
class FolderReading:
    """What the inspection pipeline read on a host."""

    files: dict[str, int]  # file name -> size, of the tool's folder
    version: str | None  # ServiceConnectionTool.exe FileVersion
    admins: tuple[tuple[str, str], ...] = ()  # (name, object class) of the local Administrators
    missing_paths: tuple[str, ...] = ()  # inputs / output parents that are not there
    manifest_sha256: str | None = None
    recorded_import: str | None = None


@dataclass(frozen=True)
class ToolPlan:
    request: ToolRequest
    host: str
    folder: str
    argv: tuple[str, ...]
    line: str
    run: bool  # False: nothing to do (an import already done)
    changed: bool  # what the run changes (check mode predicts it)
    problems: tuple[str, ...] = ()  # a check that fails: the tool is not started
    warnings: tuple[str, ...] = ()
    msg: str | None = None


def _version(text: str | None) -> tuple[int, ...] | None:
    parts = re.findall(r"\d+", text or "")
    return tuple(int(p) for p in parts[:3]) if len(parts) >= 3 else None


def _admin(user: str | None, admins: tuple[tuple[str, str], ...], host: str) -> tuple[list[str], list[str]]:
    """([problem], [warning]) for the account being a local Administrator of the SCP host ([OFFICIAL] prerequisite)."""
    if not user or "\\" not in user or "@" in user:
        return [], [
            f"whether {user or 'the account'} is a local Administrator of {host} was not checked (it is "
            "compared with the DOMAIN\\name members of the group)"
        ]
    names = {name.lower() for name, _kind in admins}
    if user.lower() in names:
        return [], []
    groups = sorted(name for name, kind in admins if kind.lower() == "group")
    if groups:
        return [], [
            f"{user} is not listed in the local Administrators of {host}; it may be a member through "
            f"{', '.join(groups)} (not read here)"
        ]
    return [
        f"{user} is not a local Administrator of {host} (the tool needs local administrator rights on the service "
        f"connection point): add it to the Administrators group of {host}, or connect as an account that is"
    ], []


def check_tool(
    request: ToolRequest,
    site: ToolSite,
    host: str,
    folder: str,
    reading: FolderReading,
    reference: FolderReading | None,
    user: str | None,
) -> tuple[list[str], list[str]]:
    """(problems, warnings) found before the tool runs."""
    problems: list[str] = []
    warnings: list[str] = []
    names = {n.lower() for n in reading.files}
    if TOOL_EXE.lower() not in names:
        problems.append(f"{TOOL_EXE} is not in {folder} on {host}: give tool_path, the folder holding the tool")
        return problems, warnings
    if reference is not None and reference.files:
        # the tool's own log is written there by each run, it is not one of its files
        missing = sorted(n for n in reference.files if n.lower() not in names and not n.lower().endswith(".log"))
        if missing:
            problems.append(
                f"the tool's folder {folder} on {host} lacks {', '.join(missing)} (all the files of "
                f"{CD_LATEST_TOOL} on {site.server} must be in the same folder): copy the whole folder"
            )
    elif reference is not None:
        warnings.append(
            f"the tool's folder under CD.Latest on {site.server} could not be read: the files of {folder} "
            "were not compared with it"
        )
    tool, wanted = _version(reading.version), _version(site.version)
    if tool is None or wanted is None:
        warnings.append(
            f"the version of {TOOL_EXE} ({reading.version or 'unknown'}) or of site {site.site_code} "
            f"({site.version or 'unknown'}) could not be read: not compared"
        )
    elif tool != wanted:
        problems.append(
            f"{TOOL_EXE} in {folder} on {host} is version {reading.version}, site {site.site_code} is "
            f"{site.version}: use the tool from CD.Latest of this site (the tool must match the site's "
            "version)"
        )
    if request.phase in SCP_PHASES and any(same_machine(host, s) for s in site.ha_servers):
        warnings.append(
            f"the service connection point is on {host}, a site server configured for high availability: Microsoft "
            "says not to host it on either HA site server; remove it and install it on another site system server "
            "(configmgr.scp.service_connection_point allow_move: true)"
        )
    if request.phase in SCP_PHASES:
        more, notes = _admin(user, reading.admins, host)
        problems += more
        warnings += notes
    for path in reading.missing_paths:
        problems.append(f"{path} does not exist on {host}: {_what(request, path)}")
    return problems, warnings


def _what(request: ToolRequest, path: str) -> str:
    if path == request.usage_data_src:
        return "usage_data_src must be the usage data file (or its folder) that phase=prepare wrote, copied here"
    if request.update_pack_src and path.startswith(request.update_pack_src):
        return f"update_pack_src must be the folder that phase=connect filled, copied here with its {MANIFEST}"
    return "create the folder first (the file is written into it)"


def paths_to_check(request: ToolRequest) -> list[tuple[str, str]]:
    """(path, Test-Path -PathType) that must exist before the run: inputs, and the folder an output goes into."""
    found: list[tuple[str, str]] = []
    if request.usage_data_src:
        found.append((request.usage_data_src, "Any"))
    if request.update_pack_src:
        found.append((f"{request.update_pack_src}\\{MANIFEST}", "Leaf"))
    output = request.output
    if output and "\\" in output.rstrip("\\"):
        parent = output.rsplit("\\", 1)[0]
        found.append((parent + "\\" if parent.endswith(":") else parent, "Container"))
    unique: dict[str, tuple[str, str]] = {}
    for path, kind in found:
        unique.setdefault(path.lower(), (path, kind))  # an input that is also an output's folder is checked once
    return list(unique.values())


def plan_tool(
    request: ToolRequest,
    site: ToolSite,
    host: str,
    folder: str,
    reading: FolderReading,
    reference: FolderReading | None,
    user: str | None,
) -> ToolPlan:
    problems, warnings = check_tool(request, site, host, folder, reading, reference, user)
    argv = tool_arguments(request)
    plan = ToolPlan(request, host, folder, tuple(argv), command_line(argv), True, True, warnings=tuple(warnings))
    if problems:
        return replace(plan, run=False, changed=False, problems=tuple(problems))
    if request.phase == "import" and reading.manifest_sha256 and reading.recorded_import == reading.manifest_sha256:
        return replace(
            plan,
            run=False,
            changed=False,
            msg=f"the update packs in {request.update_pack_src} were imported already (their {MANIFEST} has the "
            f"SHA-256 this collection recorded on {host} after that import): nothing to do",
        )
    return plan


# -- after the run ---------------------------------------------------------------------------------------------------
def known_harmless(entry: LogEntry) -> bool:
    """[OFFICIAL] "System.UnauthorizedAccessException ... extractmanifestcab ... You can safely ignore this error"."""
    text = entry.message.lower()
    return "unauthorizedaccessexception" in text and "extractmanifestcab" in text


def log_view(entries: list[LogEntry], lines: int) -> list[dict[str, Any]]:
    return [
        {
            "time": e.time.isoformat() if e.time else None,
            "severity": e.severity,
            "message": e.message,
            "known_harmless": known_harmless(e),
        }
        for e in entries[-lines:]
        if lines > 0
    ]


def log_errors(entries: list[LogEntry]) -> list[str]:
    return [e.message for e in entries if e.severity == "error" and not known_harmless(e)]


_HINTS = {
    "connect": "check that {host} reaches Microsoft's internet endpoints for updates and servicing (HTTPS 443), or "
    "give proxy_server_uri; a proxy must allow those endpoints",
    "import": "update_pack_src must be the folder a connect run filled from this hierarchy's usage data (phase=prepare "
    "on this service connection point)",
}


def tool_failure_message(plan: ToolPlan, exit_code: int | None, errors: list[str]) -> str | None:
    """Why a run failed (exit code other than 0), naming host, phase and what to do; None when it succeeded."""
    if exit_code == 0:
        return None
    said = "; ".join(errors[-3:]) if errors else f"no error in {TOOL_LOG}"
    hint = _HINTS.get(plan.request.phase, "see the log lines returned")
    return f"{TOOL_EXE} -{plan.request.phase} on {plan.host} exited with code {exit_code}: {said}. " + hint.format(
        host=plan.host
    )


@dataclass(frozen=True)
class ToolOutcome:
    exit_code: int | None
    files: list[dict[str, Any]] = field(default_factory=list)  # name, path, size, sha256
    log: list[LogEntry] = field(default_factory=list)
    recorded: bool = False


def update_keys(state: ProviderState) -> frozenset[tuple[str, int | None]]:
    """The site's updates as (package GUID or name, state): what an import adds or moves on."""
    return frozenset(((u.package_guid or u.name).lower(), u.state) for u in state.updates)


def updates_changed(before: ProviderState, after: ProviderState) -> bool:
    """Whether the site's updates differ between two reads (an import added or changed one)."""
    return update_keys(before) != update_keys(after)
