"""plan_transfer: which files of a source tree are copied to the destination, which are already there, and where a
copy through the controller resumes. Pure: it gets what the hosts answered and returns a typed plan."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..files.paths import path_key
from ..steps import PlanStep

METHODS = ("controller", "share")
PARTIAL_SUFFIX = ".cmscp-partial"  # a file being copied through the controller, renamed when its hash is verified
MIN_CHUNK = 64 * 1024
MAX_CHUNK = 16 * 1024 * 1024  # a chunk is one pipeline each way; pypsrp holds its serialized form in memory


@dataclass(frozen=True)
class SourceFile:
    rel: str  # the path below the source folder ("sub\\a.cab"); a single file: its name
    path: str  # the full path on the source host
    size: int
    sha256: str  # upper-case hex (Get-FileHash)

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.rel, "size": self.size, "sha256": self.sha256}


@dataclass(frozen=True)
class Present:
    """A file at the destination (or on the share): its size and hash."""

    size: int
    sha256: str | None


@dataclass(frozen=True)
class CopyFile(PlanStep):
    action = "copy_file"
    mutates = True
    file: SourceFile = field(default=SourceFile("", "", 0, ""))
    dest_path: str = ""
    resume_from: int = 0  # the size of a partial file left by an interrupted copy (its prefix is verified first)

    @property
    def expects(self) -> dict[str, Any]:
        return {"path": self.dest_path, "size": self.file.size, "sha256": self.file.sha256}


@dataclass(frozen=True)
class TransferPlan:
    copies: tuple[CopyFile, ...]
    skipped: tuple[SourceFile, ...]  # already at the destination with the same size and SHA-256
    files: tuple[SourceFile, ...]


def dest_path(dest: str, rel: str, tree: bool) -> str:
    """A folder's files go below `dest`; a single file is copied to `dest` itself."""
    return f"{dest.rstrip(chr(92))}\\{rel}" if tree else dest


def check_chunk_size(chunk_size: int) -> int:
    if not MIN_CHUNK <= chunk_size <= MAX_CHUNK:
        raise ValueError(f"chunk_size must be between {MIN_CHUNK} and {MAX_CHUNK} bytes, not {chunk_size}")
    return chunk_size


def plan_transfer(
    files: list[SourceFile],
    dest: str,
    tree: bool,
    present: dict[str, Present],
    partials: dict[str, int] | None = None,
) -> TransferPlan:
    """`present`: the destination's files by path_key; `partials`: the sizes of partial files by the path_key of
    the file they become. A file whose size and hash match is skipped; a partial file no
    longer than the source is a resume candidate."""
    partials = partials or {}
    copies: list[CopyFile] = []
    skipped: list[SourceFile] = []
    for item in sorted(files, key=lambda f: f.rel.lower()):
        target = dest_path(dest, item.rel, tree)
        there = present.get(path_key(target))
        if there is not None and there.size == item.size and (there.sha256 or "").upper() == item.sha256.upper():
            skipped.append(item)
            continue
        partial = partials.get(path_key(target), 0)
        resume = partial if 0 < partial <= item.size else 0
        copies.append(
            CopyFile(
                f"copy {item.rel} ({item.size} bytes) to {target}", file=item, dest_path=target, resume_from=resume
            )
        )
    return TransferPlan(tuple(copies), tuple(skipped), tuple(sorted(files, key=lambda f: f.rel.lower())))


def resume_offset(resume_from: int, source_prefix: str | None, dest_prefix: str | None) -> int:
    """Where the copy of one file starts: after the partial file's prefix when both hosts hash it the same."""
    if resume_from and source_prefix and dest_prefix and source_prefix.upper() == dest_prefix.upper():
        return resume_from
    return 0


def transfer_diff(plan: TransferPlan) -> dict[str, Any]:
    return {
        "before": {"files": sorted(f.rel for f in plan.skipped)},
        "after": {"files": sorted(f.rel for f in plan.files)},
        "prepared": "".join(f"+ {c.file.rel} ({c.file.size} bytes)\n" for c in plan.copies),
    }
