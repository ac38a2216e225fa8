"""Run a TransferPlan: through the controller (chunks read on the source host and written on the destination, one
chunk in memory at a time, hashed on both hosts and by the controller), or through a share both hosts reach."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..decide.file_transfer import (
    PARTIAL_SUFFIX,
    CopyFile,
    Present,
    SourceFile,
    TransferPlan,
    dest_path,
    plan_transfer,
    resume_offset,
)
from ..errors import CommandFailed, ConfigMgrError
from ..files.paths import path_key
from ..files.remote import RemoteFiles, parent

SECOND_HOP = (
    "{host} reached the share {share} from its WinRM session, a second hop, and was refused: the logon did not "
    "delegate credentials. Use auth=credssp, or Kerberos with negotiate_delegate=true (delegation allowed for the "
    "account), for {host}; or use method=controller."
)


@dataclass
class TransferOutcome:
    plan: TransferPlan
    copied: list[str] = field(default_factory=list)
    resumed: dict[str, int] = field(default_factory=dict)  # file -> the verified offset it resumed at
    bytes_copied: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.copied)


def read_source(src: RemoteFiles, root: str) -> tuple[bool, list[SourceFile]]:
    tree, listed = src.tree(root)
    sums = src.hashes([f.path for _rel, f in listed])
    files = []
    for rel, item in listed:
        digest = sums.get(path_key(item.path))
        if digest is None:
            raise ConfigMgrError(f"Get-FileHash gave no hash of {item.path}", src.host, "hash the source files")
        files.append(SourceFile(rel, item.path, item.size, digest))
    return tree, files


def read_present(
    dest: RemoteFiles, wanted: dict[str, int], extra: tuple[str, ...] = ()
) -> tuple[dict[str, Present], dict[str, int]]:
    """(the files of `wanted` (path -> the source's size) at the destination, by path_key; the sizes of `extra`
    paths, by path_key), in two round trips. Only files of the source's size are hashed (another size is a copy
    anyway, and hashing a large file costs the host a full read)."""
    sizes = dest.sizes(list(wanted) + list(extra))
    same = [p for p, size in wanted.items() if sizes.get(path_key(p)) == size]
    sums = dest.hashes(same)
    keys = {path_key(p) for p in wanted}
    present = {key: Present(size, sums.get(key)) for key, size in sizes.items() if key in keys}
    return present, {key: size for key, size in sizes.items() if key not in keys}


def plan_controller(src: RemoteFiles, dest: RemoteFiles, root: str, target: str) -> TransferPlan:
    tree, files = read_source(src, root)
    wanted = {dest_path(target, f.rel, tree): f.size for f in files}
    present, partials = read_present(dest, wanted, tuple(p + PARTIAL_SUFFIX for p in wanted))
    resumable = {k[: -len(PARTIAL_SUFFIX)]: v for k, v in partials.items() if k.endswith(PARTIAL_SUFFIX)}
    return plan_transfer(files, target, tree, present, resumable)


def execute_controller(
    plan: TransferPlan,
    src: RemoteFiles,
    dest: RemoteFiles,
    chunk_size: int,
    progress: Callable[[str], None] | None = None,
) -> TransferOutcome:
    outcome = TransferOutcome(plan)
    dest.make_folders([parent(c.dest_path) for c in plan.copies])
    for step in plan.copies:
        _copy_one(step, src, dest, chunk_size, outcome, progress)
    return outcome


def _copy_one(
    step: CopyFile,
    src: RemoteFiles,
    dest: RemoteFiles,
    chunk_size: int,
    outcome: TransferOutcome,
    progress: Callable[[str], None] | None,
) -> None:
    item, partial = step.file, step.dest_path + PARTIAL_SUFFIX
    offset = 0
    if step.resume_from:
        offset = resume_offset(
            step.resume_from, src.prefix_hash(item.path, step.resume_from), dest.prefix_hash(partial, step.resume_from)
        )
    if offset:
        outcome.resumed[item.rel] = offset
    running = hashlib.sha256()  # the controller's hash of what it sent (from `offset` on)
    position = offset
    if item.size == 0:
        dest.empty_file(partial)  # pypsrp cannot read back an empty byte[] (<BA />): nothing to read anyway
    while position < item.size:
        chunk = src.read_chunk(item.path, position, min(chunk_size, item.size - position))
        if not chunk:
            raise ConfigMgrError(
                f"{item.path} ended at {position} bytes, {item.size} were listed: it changed during the copy",
                src.host,
                f"copy {item.rel}",
            )
        running.update(chunk)
        length = dest.write_chunk(partial, position, chunk)
        position += len(chunk)
        outcome.bytes_copied += len(chunk)
        del chunk  # one chunk in memory at a time
        if length != position:
            raise ConfigMgrError(f"{partial} is {length} bytes after writing up to {position}", dest.host, "write")
        if progress:
            progress(f"{item.rel}: {position}/{item.size} bytes")
    written = dest.hashes([partial]).get(path_key(partial))
    sent = running.hexdigest().upper() if offset == 0 else None
    if written != item.sha256.upper() or (sent is not None and sent != item.sha256.upper()):
        dest.remove(partial)  # a corrupt partial file must not be resumed
        raise _mismatch(item, src.host, dest.host, item.sha256, written, sent)
    dest.move(partial, step.dest_path)
    outcome.copied.append(item.rel)


def _mismatch(
    item: SourceFile, src_host: str, dest_host: str, source: str, written: str | None, sent: str | None
) -> ConfigMgrError:
    seen = f", the controller sent {sent}" if sent else ""
    err = ConfigMgrError(
        f"SHA-256 mismatch copying {item.rel}: {src_host} has {source}, {dest_host} wrote {written}{seen}; "
        "the partial file was removed, run the task again to copy it anew",
        dest_host,
        f"verify {item.rel}",
    )
    return err


# -- through a share ------------------------------------------------------------------------------------------------
def plan_share(
    src: RemoteFiles, dest: RemoteFiles, root: str, target: str, share: str
) -> tuple[TransferPlan, TransferPlan]:
    """(source -> share, share -> destination): each skips what is already there with the same size and hash."""
    tree, files = read_source(src, root)
    staged = [SourceFile(f.rel, dest_path(share, f.rel, True), f.size, f.sha256) for f in files]
    on_share = _guard_hop(lambda: src.hashes([s.path for s in staged]), src.host, share)
    present = {
        path_key(s.path): Present(s.size, on_share[path_key(s.path)]) for s in staged if path_key(s.path) in on_share
    }
    to_share = plan_transfer(files, share, True, present)
    wanted = {dest_path(target, f.rel, tree): f.size for f in files}
    to_dest = plan_transfer(staged, target, tree, read_present(dest, wanted)[0])
    return to_share, to_dest


def execute_share(
    to_share: TransferPlan,
    to_dest: TransferPlan,
    src: RemoteFiles,
    dest: RemoteFiles,
    share: str,
    progress: Callable[[str], None] | None = None,
) -> TransferOutcome:
    outcome = TransferOutcome(to_dest)
    _guard_hop(lambda: _copy_all(to_share, src, progress), src.host, share)
    copied = _guard_hop(lambda: _copy_all(to_dest, dest, progress), dest.host, share)
    sums = dest.hashes([c.dest_path for c in to_dest.copies])
    for step in to_dest.copies:
        written = sums.get(path_key(step.dest_path))
        if written != step.file.sha256.upper():
            raise _mismatch(step.file, src.host, dest.host, step.file.sha256, written, None)
    outcome.copied = copied
    outcome.bytes_copied = sum(c.file.size for c in to_dest.copies)
    return outcome


def _copy_all(plan: TransferPlan, host: RemoteFiles, progress: Callable[[str], None] | None) -> list[str]:
    host.make_folders([parent(c.dest_path) for c in plan.copies])
    for step in plan.copies:
        if progress:
            progress(step.description)
        host.copy(step.file.path, step.dest_path)
    return [c.file.rel for c in plan.copies]


def _guard_hop(call: Callable[[], Any], host: str, share: str) -> Any:
    try:
        return call()
    except CommandFailed as err:
        if "access is denied" in str(err).lower():
            refused = ConfigMgrError(SECOND_HOP.format(host=host, share=share), host, "reach the share")
            refused.explains_second_hop = True
            raise refused from err
        raise
