"""Run a ToolPlan: read the tool's folder and the checks' evidence on a host, start ServiceConnectionTool.exe, read its
log right after it (the tool replaces it on each run), hash what it wrote, and record an import on the SCP host."""

from __future__ import annotations

from typing import Any

from ..configmgr.constants import ADMINISTRATORS_SID, STATE_KEY
from ..decide.service_connection_tool import (
    IMPORT_RECORD,
    MANIFEST,
    TOOL_EXE,
    TOOL_LOG,
    FolderReading,
    ToolOutcome,
    ToolPlan,
    ToolRequest,
    paths_to_check,
)
from ..errors import CheckModeViolation, ConfigMgrError
from ..logs import parse_log
from ..pipeline import SWITCH, Command, Pipeline
from ..session import Session

HASH = "SHA256"


class ToolHost:
    """ServiceConnectionTool.exe on one host (the SCP's server, or the connect host)."""

    def __init__(self, session: Session, check_mode: bool = False) -> None:
        self.session = session
        self.check_mode = check_mode

    @property
    def host(self) -> str:
        return self.session.host

    def read_folder(
        self, folder: str, request: ToolRequest | None = None, admins: bool = False, record: bool = False
    ) -> FolderReading:
        """One pipeline: the folder's files, the exe's FileVersion and, with `request`, the paths the phase needs, the
        local Administrators (`admins`), the manifest's SHA-256 and the recorded import (`record`)."""
        pipe = Pipeline(operation=f"read the service connection tool in {folder}")
        pipe.add(
            "Get-ChildItem",
            ("LiteralPath", [folder]),
            ("File", SWITCH),
            error_action="SilentlyContinue",
            pipe_to=[Command("Select-Object", [("Property", ["Name", "Length"])])],
            label="list the tool's folder",
        )
        pipe.add(
            "Get-Item",
            ("LiteralPath", [f"{folder}\\{TOOL_EXE}"]),
            error_action="SilentlyContinue",
            pipe_to=[
                Command("Select-Object", [("ExpandProperty", "VersionInfo")]),
                Command("Select-Object", [("Property", ["FileVersion", "ProductVersion"])]),
            ],
            label=f"read the version of {TOOL_EXE}",
        )
        checks = paths_to_check(request) if request is not None else []
        for path, kind in checks:
            pipe.add("Test-Path", ("LiteralPath", [path]), ("PathType", kind), label=f"look for {path}")
        if admins:
            pipe.add(
                "Get-LocalGroupMember",
                ("SID", ADMINISTRATORS_SID),
                error_action="SilentlyContinue",
                pipe_to=[Command("Select-Object", [("Property", ["Name", "ObjectClass"])])],
                label="read the local Administrators",
            )
        manifest = f"{request.update_pack_src}\\{MANIFEST}" if request is not None and request.update_pack_src else None
        if record and manifest:
            pipe.add("Get-FileHash", ("LiteralPath", [manifest]), ("Algorithm", HASH), error_action="SilentlyContinue")
            pipe.add("Get-ItemProperty", ("Path", STATE_KEY), error_action="SilentlyContinue", label="read the records")
        res = self.session.run(pipe, idempotent=True)
        files = {str(o.get("Name")): int(o.get("Length") or 0) for o in res[0].output if isinstance(o, dict)}
        version = res[1].first.get("FileVersion") if isinstance(res[1].first, dict) else None
        index = 2
        missing = []
        for path, _kind in checks:
            if res[index].first is not True:
                missing.append(path)
            index += 1
        members: tuple[tuple[str, str], ...] = ()
        if admins:
            members = tuple(
                (str(o.get("Name") or ""), str(o.get("ObjectClass") or ""))
                for o in res[index].output
                if isinstance(o, dict)
            )
            index += 1
        digest = recorded = None
        if record and manifest:
            found = res[index].first
            digest = str(found.get("Hash")).upper() if isinstance(found, dict) and found.get("Hash") else None
            values = res[index + 1].first
            recorded = (
                str(values.get(IMPORT_RECORD)).upper()
                if isinstance(values, dict) and values.get(IMPORT_RECORD)
                else None
            )
        return FolderReading(files, str(version) if version else None, members, tuple(missing), digest, recorded)

    def run(self, plan: ToolPlan, timeout: float | None = None) -> ToolOutcome:
        """Start the tool and wait for it (Start-Process -Wait -PassThru, its ExitCode), then in the same round trip
        read its log and list what it wrote; hash those files in a second one."""
        operation = f"run {TOOL_EXE} -{plan.request.phase}"
        if self.check_mode:
            raise CheckModeViolation(f"{operation} in check mode", self.host, operation)
        pipe = Pipeline(operation=operation)
        pipe.add(
            "Start-Process",
            ("FilePath", f"{plan.folder}\\{TOOL_EXE}"),
            ("ArgumentList", [plan.line]),
            ("WorkingDirectory", plan.folder),
            ("NoNewWindow", SWITCH),
            ("Wait", SWITCH),
            ("PassThru", SWITCH),
            pipe_to=[Command("Select-Object", [("Property", ["ExitCode"])])],
            label=f"run {TOOL_EXE}",
        )
        pipe.add(
            "Get-Content",
            ("LiteralPath", [f"{plan.folder}\\{TOOL_LOG}"]),
            ("Raw", SWITCH),
            error_action="SilentlyContinue",
            label=f"read {TOOL_LOG}",
        )
        output = plan.request.output
        if output:
            pipe.add(
                "Get-ChildItem",
                ("LiteralPath", [output]),
                ("Recurse", SWITCH),
                ("File", SWITCH),
                error_action="SilentlyContinue",
                pipe_to=[Command("Select-Object", [("Property", ["FullName", "Name", "Length"])])],
                label=f"list what the tool wrote to {output}",
            )
        res = self.session.run(pipe, timeout=timeout)
        first = res[0].first
        code = _int(first.get("ExitCode")) if isinstance(first, dict) else None
        text = res[1].first if isinstance(res[1].first, str) else "\n".join(str(o) for o in res[1].output)
        written = [o for o in res[2].output if isinstance(o, dict)] if output else []
        try:
            hashes = self._hashes(written)
        except ConfigMgrError as err:
            err.changed = True  # the tool has run: a failed read after it is not "unchanged"
            raise
        return ToolOutcome(code, hashes, parse_log(text or "", source=TOOL_LOG))

    def _hashes(self, written: list[dict[str, Any]]) -> list[dict[str, Any]]:
        if not written:
            return []
        pipe = Pipeline(operation="hash the files the service connection tool wrote")
        paths = [str(o.get("FullName")) for o in written]
        pipe.add("Get-FileHash", ("LiteralPath", paths), ("Algorithm", HASH), error_action="SilentlyContinue")
        hashes = {
            str(o.get("Path")).lower(): str(o.get("Hash")).lower()
            for o in self.session.run(pipe, idempotent=True)[0].output
            if isinstance(o, dict)
        }
        return [
            {
                "path": str(o.get("FullName")),
                "name": str(o.get("Name")),
                "size": _int(o.get("Length")),
                "sha256": hashes.get(str(o.get("FullName")).lower()),
            }
            for o in written
        ]

    def record_import(self, digest: str) -> None:
        """The collection's record of an import (the manifest's SHA-256), so that the same packs are not imported again."""
        operation = "record the imported update packs"
        if self.check_mode:
            raise CheckModeViolation(f"{operation} in check mode", self.host, operation)
        pipe = Pipeline(operation=operation)
        pipe.add("New-Item", ("Path", STATE_KEY), error_action="SilentlyContinue")  # exists already: fine
        pipe.add("Set-ItemProperty", ("Path", STATE_KEY), ("Name", IMPORT_RECORD), ("Value", digest))
        try:
            self.session.run(pipe)
        except ConfigMgrError as err:
            # called after a successful import: the site changed even though the record may be missing, and the next
            # run then starts the import again (an import of packs already imported)
            err.changed = True
            raise


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
