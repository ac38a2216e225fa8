r"""A small case-insensitive Windows file system; LastWriteTime comes from the simulated clock.

Two views of one content: the text API (`read`/`write`/`append`, what the lab's logs and settings use) and the bytes
API (`read_bytes`/`write_bytes`/`append_bytes`/`truncate`/`size`/`sha256`, what file transfers use). A file holds
either a `str` or a `bytearray` (a file written as text becomes bytes, UTF-8 without a BOM, on its first bytes
write), so a text-only file costs what it did and a few hundred MiB of bytes cost one bytearray each. Shares
(`shares`: name -> folder of this file system) are what `\\<this host>\<name>` reaches; tests/lab/ps/builtins/unc.py
resolves UNC paths (and refuses a second hop) on top of this.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
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
    data: bytearray | None = field(default=None, repr=False)  # the content once written as bytes (then text is "")

    def content(self) -> bytes | bytearray:
        return self.data if self.data is not None else self.text.encode("utf-8")

    def as_bytes(self) -> bytearray:
        """The content as one mutable bytearray (a text file is converted once, UTF-8)."""
        if self.data is None:
            self.data, self.text = bytearray(self.text.encode("utf-8")), ""
        return self.data


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
        self.shares: dict[str, str] = {}  # lower-case share name -> the folder it exposes (share())
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
        return entry.text if entry.data is None else entry.data.decode("utf-8", errors="replace")

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
        if entry is not None and entry.data is not None:
            self.append_bytes(path, text.encode("utf-8"))
            return
        self.write(path, (entry.text if entry and not entry.is_dir else "") + text)

    # -- bytes ------------------------------------------------------------------------------------------------------
    def _file(self, path: str) -> _Entry:
        entry = self._get(path)
        if entry is None:
            raise FileNotFoundError(path)
        if entry.is_dir:
            raise IsADirectoryError(path)
        return entry

    def read_bytes(self, path: str, offset: int = 0, length: int | None = None) -> bytes:
        """`length` bytes from `offset` (fewer at the end of the file; none past it); the whole file by default."""
        content = self._file(path).content()
        end = len(content) if length is None else min(len(content), offset + length)
        return bytes(content[offset:end]) if offset < end else b""

    def write_bytes(self, path: str, data: bytes | bytearray, offset: int | None = None) -> None:
        """Without `offset`: create or replace the file with `data`. With it: write `data` there in an existing or
        new file, extending it; an offset past the end is refused (no holes: the callers write in order)."""
        if offset is None:
            self.write(path, "")
            entry = self._file(path)
            entry.data = bytearray(data)
            return
        if not self.exists(path):
            self.write(path, "")
        entry = self._file(path)
        content = entry.as_bytes()
        if offset < 0 or offset > len(content):
            raise ValueError(f"offset {offset} is outside {path} ({len(content)} bytes)")
        content[offset : offset + len(data)] = data
        entry.mtime = self.clock.now()

    def append_bytes(self, path: str, data: bytes | bytearray) -> None:
        self.write_bytes(path, data, offset=self.size(path) if self.exists(path) else 0)

    def truncate(self, path: str, size: int) -> None:
        entry = self._file(path)
        del entry.as_bytes()[size:]
        entry.mtime = self.clock.now()

    def size(self, path: str) -> int:
        entry = self._file(path)
        return len(entry.data) if entry.data is not None else len(entry.text.encode("utf-8"))

    def sha256(self, path: str, length: int | None = None) -> str:
        """Upper-case hex SHA-256 (Get-FileHash's spelling) of the file, or of its first `length` bytes."""
        content = self._file(path).content()
        view = memoryview(content)[: len(content) if length is None else length]
        return hashlib.sha256(view).hexdigest().upper()

    def share(self, name: str, folder: str) -> str:
        """Expose `folder` (created when missing) as the share `name` of this host."""
        self.mkdir(folder)
        self.shares[name.lower()] = normalize(folder)
        return self.shares[name.lower()]

    def move(self, source: str, dest: str) -> None:
        """Rename a file or a folder (with everything in it); `dest` must not exist, its parent is created."""
        src_norm, dest_norm = normalize(source), normalize(dest)
        if self._get(src_norm) is None:
            raise FileNotFoundError(source)
        if self._get(dest_norm) is not None:
            raise FileExistsError(dest)
        parent = parent_of(dest_norm)
        if parent:
            self.mkdir(parent)
        low = src_norm.lower()
        prefix = low.rstrip("\\") + "\\"
        for key in [k for k in self._entries if k == low or k.startswith(prefix)]:
            entry = self._entries.pop(key)
            entry.full_name = dest_norm + entry.full_name[len(src_norm) :]
            self._entries[entry.full_name.lower()] = entry

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
        size = 0 if entry.is_dir else len(entry.data) if entry.data is not None else len(entry.text.encode("utf-8"))
        return FileInfo(name, entry.full_name, size, entry.mtime, entry.is_dir)
