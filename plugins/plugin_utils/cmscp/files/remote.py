"""RemoteFiles: the file operations of one host's Session. Structured cmdlets, and the constant chunk scripts
(files/scripts.py) for byte ranges; values only ever as parameters."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..errors import ConfigMgrError
from ..pipeline import SWITCH, Command, Pipeline
from ..session import Session
from .paths import path_key
from .scripts import HASH_PREFIX, READ_CHUNK, WRITE_CHUNK


@dataclass(frozen=True)
class Listed:
    path: str
    size: int


def _leaf(path: str) -> str:
    return path.rstrip("\\").rsplit("\\", 1)[-1]


class RemoteFiles:
    def __init__(self, session: Session) -> None:
        self.session = session

    @property
    def host(self) -> str:
        return str(self.session.display_name)

    def tree(self, root: str) -> tuple[bool, list[tuple[str, Listed]]]:
        """(root is a folder, [(path below root, file)]): the files of a folder, recursively, or the file itself."""
        pipe = Pipeline(operation=f"list {root}")
        pipe.add(
            "Get-Item",
            ("LiteralPath", root),
            error_action="SilentlyContinue",
            pipe_to=[Command("Select-Object", [("Property", ["FullName", "PSIsContainer"])])],
        )
        pipe.add(
            "Get-ChildItem",
            ("LiteralPath", root),
            ("Recurse", SWITCH),
            ("File", SWITCH),
            error_action="SilentlyContinue",
            pipe_to=[Command("Select-Object", [("Property", ["FullName", "Length"])])],
        )
        result = self.session.run(pipe, idempotent=True)
        item = result[0].first
        if not isinstance(item, dict):
            raise ConfigMgrError(f"{root} does not exist", self.host, "list the files to copy")
        folder = bool(item.get("PSIsContainer"))
        base = str(item.get("FullName") or root).rstrip("\\")
        out: list[tuple[str, Listed]] = []
        for row in result[1].output:
            if not isinstance(row, dict) or row.get("FullName") is None:
                continue
            full = str(row["FullName"])
            inside = folder and path_key(full).startswith(path_key(base) + "\\")
            rel = full[len(base.rstrip(chr(92))) + 1 :] if inside else _leaf(full)
            out.append((rel, Listed(full, int(row.get("Length") or 0))))
        return folder, out

    def sizes(self, paths: list[str]) -> dict[str, int]:
        """path_key -> length of the files that exist."""
        if not paths:
            return {}
        pipe = Pipeline(operation="read file sizes")
        pipe.add(
            "Get-Item",
            ("LiteralPath", list(paths)),
            error_action="SilentlyContinue",
            pipe_to=[Command("Select-Object", [("Property", ["FullName", "Length", "PSIsContainer"])])],
        )
        rows = self.session.run(pipe, idempotent=True)[0].output
        return {
            path_key(r["FullName"]): int(r.get("Length") or 0)
            for r in rows
            if isinstance(r, dict) and r.get("FullName") and not r.get("PSIsContainer")
        }

    def hashes(self, paths: list[str]) -> dict[str, str]:
        """path_key -> upper-case SHA-256 (Get-FileHash) of the files that exist."""
        if not paths:
            return {}
        pipe = Pipeline(operation="hash files")
        pipe.add("Get-FileHash", ("LiteralPath", list(paths)), ("Algorithm", "SHA256"), error_action="SilentlyContinue")
        rows = self.session.run(pipe, idempotent=True)[0].output
        return {path_key(r["Path"]): str(r["Hash"]).upper() for r in rows if isinstance(r, dict) and r.get("Path")}

    def read_chunk(self, path: str, offset: int, length: int) -> bytes:
        pipe = Pipeline(operation=f"read {path} at {offset}")
        pipe.add_script(READ_CHUNK.text, ("Path", path), ("Offset", offset), ("Length", length))
        data = self.session.run(pipe, idempotent=True)[0].first
        if isinstance(data, (bytes, bytearray)):
            return bytes(data)
        if data is None:
            return b""
        raise ConfigMgrError(f"reading {path} returned {type(data).__name__}, not bytes", self.host, "read a chunk")

    def write_chunk(self, path: str, offset: int, data: bytes) -> int:
        """Write `data` at `offset` (the file cut there first); the file's new length. Idempotent by construction
        (the same chunk at the same offset gives the same file), so a lost answer is retried."""
        pipe = Pipeline(operation=f"write {path} at {offset}")
        pipe.add_script(WRITE_CHUNK.text, ("Path", path), ("Offset", offset), ("Data", data))
        return int(self.session.run(pipe, idempotent=True)[0].first or 0)

    def empty_file(self, path: str) -> None:
        pipe = Pipeline(operation=f"create the empty file {path}")
        pipe.add("New-Item", ("Path", path), ("ItemType", "File"), ("Force", SWITCH))
        self.session.run(pipe, idempotent=True)

    def prefix_hash(self, path: str, length: int) -> str:
        pipe = Pipeline(operation=f"hash the first {length} bytes of {path}")
        pipe.add_script(HASH_PREFIX.text, ("Path", path), ("Length", length))
        return str(self.session.run(pipe, idempotent=True)[0].first or "").upper()

    def make_folders(self, folders: list[str]) -> None:
        if not folders:
            return
        pipe = Pipeline(operation="create folders")
        pipe.add("New-Item", ("Path", sorted(set(folders))), ("ItemType", "Directory"), ("Force", SWITCH))
        self.session.run(pipe, idempotent=True)

    def move(self, source: str, dest: str) -> None:
        pipe = Pipeline(operation=f"rename {source} to {dest}")
        pipe.add("Move-Item", ("LiteralPath", source), ("Destination", dest), ("Force", SWITCH))
        self.session.run(pipe)

    def remove(self, path: str) -> None:
        pipe = Pipeline(operation=f"remove {path}")
        pipe.add("Remove-Item", ("LiteralPath", path), ("Force", SWITCH), error_action="SilentlyContinue")
        self.session.run(pipe, idempotent=True)

    def copy(self, source: str, dest: str) -> None:
        pipe = Pipeline(operation=f"copy {source} to {dest}")
        pipe.add("Copy-Item", ("LiteralPath", source), ("Destination", dest), ("Force", SWITCH))
        self.session.run(pipe, idempotent=True)


def parent(path: str) -> str:
    head = path.rstrip("\\").rsplit("\\", 1)[0]
    return head + "\\" if head.endswith(":") else head


def first(value: Any) -> Any:
    return value[0] if isinstance(value, list) and value else value
