"""A small case-insensitive Windows file system; LastWriteTime comes from the simulated clock."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


class _Clock(Protocol):
    def now(self) -> datetime: ...


@dataclass
class FileInfo:
    name: str
    full_name: str
    length: int
    last_write_time: datetime
    is_dir: bool


@dataclass
class _Entry:
    full_name: str
    is_dir: bool
    text: str
    mtime: datetime


def normalize(path: str) -> str:
    """``c:/a//b\\`` -> ``c:\\a\\b``; a drive root keeps its backslash (``C:\\``)."""
    text = path.replace("/", "\\")
    if "::" in text:  # Microsoft.PowerShell.Core\FileSystem::C:\x
        text = text.split("::", 1)[1]
    drive, _unused, rest = text.partition(":")
    parts = [p for p in rest.split("\\") if p and p != "."]
    out: list[str] = []
    for part in parts:
        if part == "..":
            if out:
                out.pop()
        else:
            out.append(part)
    return f"{drive.upper()}:\\" + "\\".join(out)


def parent_of(path: str) -> str | None:
    norm = normalize(path)
    if norm.endswith(":\\"):
        return None
    head = norm.rsplit("\\", 1)[0]
    return head + "\\" if head.endswith(":") else head


class FileSystem:
    def __init__(self, clock: _Clock, drives: tuple[str, ...] = ("C",)) -> None:
        self.clock = clock
        self._entries: dict[str, _Entry] = {}
        for drive in drives:
            root = f"{drive.upper()}:\\"
            self._entries[root.lower()] = _Entry(root, True, "", clock.now())

    def _get(self, path: str) -> _Entry | None:
        return self._entries.get(normalize(path).lower())

    def exists(self, path: str) -> bool:
        return self._get(path) is not None

    def is_dir(self, path: str) -> bool:
        entry = self._get(path)
        return bool(entry and entry.is_dir)

    def canonical(self, path: str) -> str | None:
        """The stored spelling of ``path``."""
        entry = self._get(path)
        return entry.full_name if entry else None

    def read(self, path: str) -> str:
        entry = self._get(path)
        if entry is None or entry.is_dir:
            raise FileNotFoundError(path)
        return entry.text

    def write(self, path: str, text: str) -> None:
        """Create or replace a file; missing parent folders are created (lab setup convenience)."""
        norm = normalize(path)
        entry = self._entries.get(norm.lower())
        if entry is not None and entry.is_dir:
            raise IsADirectoryError(path)
        parent = parent_of(norm)
        if parent:
            self.mkdir(parent)
        self._entries[norm.lower()] = _Entry(entry.full_name if entry else norm, False, text, self.clock.now())

    def append(self, path: str, text: str) -> None:
        entry = self._get(path)
        self.write(path, (entry.text if entry and not entry.is_dir else "") + text)

    def mkdir(self, path: str) -> None:
        norm = normalize(path)
        entry = self._entries.get(norm.lower())
        if entry is not None:
            if not entry.is_dir:
                raise FileExistsError(path)
            return
        parent = parent_of(norm)
        if parent:
            self.mkdir(parent)
        self._entries[norm.lower()] = _Entry(norm, True, "", self.clock.now())

    def remove(self, path: str) -> None:
        """Remove a file or a folder with everything in it."""
        norm = normalize(path).lower()
        if norm not in self._entries:
            raise FileNotFoundError(path)
        prefix = norm.rstrip("\\") + "\\"
        for key in [k for k in self._entries if k == norm or k.startswith(prefix)]:
            del self._entries[key]

    def mtime(self, path: str) -> datetime:
        entry = self._get(path)
        if entry is None:
            raise FileNotFoundError(path)
        return entry.mtime

    def info(self, path: str) -> FileInfo | None:
        entry = self._get(path)
        return self._info(entry) if entry else None

    def list(self, directory: str) -> list[FileInfo]:
        norm = normalize(directory)
        if not self.is_dir(norm):
            raise NotADirectoryError(directory)
        out = [
            self._info(e)
            for k, e in self._entries.items()
            if k != norm.lower() and (parent_of(k) or "").lower() == norm.lower()
        ]
        return sorted(out, key=lambda i: (not i.is_dir, i.name.lower()))

    @staticmethod
    def _info(entry: _Entry) -> FileInfo:
        name = (
            entry.full_name.rstrip("\\").rsplit("\\", 1)[-1] if not entry.full_name.endswith(":\\") else entry.full_name
        )
        size = 0 if entry.is_dir else len(entry.text.encode("utf-8"))
        return FileInfo(name, entry.full_name, size, entry.mtime, entry.is_dir)
