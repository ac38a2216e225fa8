"""Get-FileHash, Copy-Item and Move-Item over the file system, local paths and UNC shares (builtins/unc.py)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from tests.lab.ps.binder import BoundArgs
from tests.lab.ps.builtins.common import path_not_found, resolve_path
from tests.lab.ps.builtins.items import FILTERS, path_params
from tests.lab.ps.builtins.unc import IO_EXCEPTION, Place, place
from tests.lab.ps.context import CallContext
from tests.lab.ps.convert import LabObject
from tests.lab.ps.spec import P, cmdlet
from tests.lab.windows.files import parent_of

HASH_TYPE = "Microsoft.PowerShell.Commands.FileHashInfo"


def _place(ctx: CallContext, path: str) -> Place | None:
    """A FileSystem path (drive-qualified, relative or UNC) -> where it is; None (an error written) for another
    provider."""
    where = resolve_path(ctx, path)
    if where.provider != "FileSystem":
        path_not_found(ctx, path)
        return None
    return place(ctx, where.provider_path, ctx.spec.name)


@cmdlet(
    "Get-FileHash",
    default_set="Path",
    params=[
        P("Path", "string[]", sets={"Path": {"mandatory": True, "position": 0, "pipeline": True}}),
        P("LiteralPath", "string[]", aliases=("PSPath",), sets={"LiteralPath": {"mandatory": True}}),
        P(
            "Algorithm",
            "string",
            values=("SHA1", "SHA256", "SHA384", "SHA512", "MACTripleDES", "MD5", "RIPEMD160"),
        ),
    ],
)
def get_file_hash(ctx: CallContext, args: BoundArgs) -> Iterator[Any]:
    """SHA256 only (the default, and all the collection uses); a missing file is a non-terminating error."""
    algorithm = (args.get("Algorithm") or "SHA256").upper()
    if algorithm != "SHA256":
        raise NotImplementedError(f"the lab hashes SHA256 only, not {algorithm}")
    for path in args.get("Path") or args.get("LiteralPath"):
        where = _place(ctx, path)
        if where is None:
            continue
        if not where.files.exists(where.path) or where.files.is_dir(where.path):
            path_not_found(ctx, where.shown)
            continue
        shown = where.shown if where.shown.startswith("\\\\") else where.files.canonical(where.path) or where.shown
        yield LabObject(
            [HASH_TYPE, "System.Object"],
            {"Algorithm": "SHA256", "Hash": where.files.sha256(where.path), "Path": shown},
            None,
        )


def _io_error(ctx: CallContext, message: str, error_id: str, target: str) -> None:
    ctx.write_error(ctx.error(message, "WriteError", error_id, IO_EXCEPTION, target=target))


def _copy_file(ctx: CallContext, source: Place, dest: Place, force: bool) -> bool:
    if dest.files.is_dir(dest.path):
        dest = Place(dest.files, f"{dest.path.rstrip(chr(92))}\\{source.path.rsplit(chr(92), 1)[-1]}", dest.shown)
    parent = parent_of(dest.path)
    if parent and not dest.files.is_dir(parent):
        _io_error(ctx, f"Could not find a part of the path '{dest.shown}'.", "System.IO.IOException", dest.shown)
        return False
    if dest.files.exists(dest.path) and not force:
        _io_error(ctx, f"The file '{dest.shown}' already exists.", "System.IO.IOException", dest.shown)
        return False
    if not ctx.whatif:
        dest.files.write_bytes(dest.path, source.files.read_bytes(source.path))
    return True


@cmdlet(
    "Copy-Item",
    default_set="Path",
    should_process=True,
    params=path_params()
    + [
        P("Destination", "string", position=1),
        P("Container", "switch"),
        P("Force", "switch"),
        P("Recurse", "switch"),
        P("PassThru", "switch"),
    ]
    + FILTERS,
)
def copy_item(ctx: CallContext, args: BoundArgs) -> Iterator[Any]:
    """Files only (the lab's callers copy file by file): into an existing folder, or to a file path whose folder
    exists (Copy-Item does not create it); an existing file is replaced with -Force."""
    dest = _place(ctx, args.get("Destination") or ctx.state.location)
    if dest is None:
        return iter(())
    for path in args.get("Path") or args.get("LiteralPath"):
        source = _place(ctx, path)
        if source is None:
            continue
        if not source.files.exists(source.path):
            path_not_found(ctx, source.shown)
            continue
        if source.files.is_dir(source.path):
            raise NotImplementedError("the lab's Copy-Item copies files, not folders")
        _copy_file(ctx, source, dest, bool(args.get("Force")))
    return iter(())


@cmdlet(
    "Move-Item",
    default_set="Path",
    should_process=True,
    params=path_params()
    + [P("Destination", "string", position=1), P("Force", "switch"), P("PassThru", "switch")]
    + FILTERS,
)
def move_item(ctx: CallContext, args: BoundArgs) -> Iterator[Any]:
    """A rename on one file system; an existing destination is replaced with -Force (a file), else an error."""
    dest = _place(ctx, args.get("Destination") or ctx.state.location)
    if dest is None:
        return iter(())
    for path in args.get("Path") or args.get("LiteralPath"):
        source = _place(ctx, path)
        if source is None:
            continue
        if not source.files.exists(source.path):
            path_not_found(ctx, source.shown)
            continue
        if source.files is not dest.files:
            raise NotImplementedError("the lab's Move-Item renames within one file system")
        if dest.files.exists(dest.path):
            if not args.get("Force") or dest.files.is_dir(dest.path):
                _io_error(
                    ctx, "Cannot create a file when that file already exists.", "MoveFileInfoItemIOError", dest.shown
                )
                continue
            if not ctx.whatif:
                dest.files.remove(dest.path)
        if not ctx.whatif:
            dest.files.move(source.path, dest.path)
    return iter(())
