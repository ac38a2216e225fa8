"""Get-Content."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from tests.lab.ps.binder import BoundArgs
from tests.lab.ps.builtins.common import path_not_found, resolve_path
from tests.lab.ps.builtins.items import FILTERS, path_params
from tests.lab.ps.context import CallContext
from tests.lab.ps.spec import P, cmdlet
from tests.lab.wsman.backend import TerminatingError

ENCODINGS = (
    "Unknown",
    "String",
    "Unicode",
    "Byte",
    "BigEndianUnicode",
    "UTF8",
    "UTF7",
    "UTF32",
    "Ascii",
    "Default",
    "Oem",
    "BigEndianUTF32",
)


@cmdlet(
    "Get-Content",
    default_set="Path",
    params=path_params()
    + [
        P("ReadCount", "int64"),
        P("TotalCount", "int64", aliases=("First", "Head")),
        P("Tail", "int32", aliases=("Last",)),
        P("Delimiter", "string"),
        P("Wait", "switch"),
        P("Raw", "switch"),
        P("Force", "switch"),
        P("Stream", "string"),
        P(
            "Encoding",
            "enum",
            values=ENCODINGS,
            type_name="Microsoft.PowerShell.Commands.FileSystemCmdletProviderEncoding",
        ),
    ]
    + FILTERS,
)
def get_content(ctx: CallContext, args: BoundArgs) -> Iterator[Any]:
    for path in args.get("Path") or args.get("LiteralPath"):
        try:
            where = resolve_path(ctx, path)
        except TerminatingError as exc:
            ctx.write_error(exc.spec)
            continue
        if where.provider == "Environment":
            value = ctx.host.getenv(where.provider_path)
            if value is None:
                path_not_found(ctx, where.display)
            else:
                yield value
            continue
        files = ctx.host.files
        if where.provider != "FileSystem" or not files.exists(where.provider_path) or files.is_dir(where.provider_path):
            path_not_found(ctx, where.provider_path)
            continue
        text = files.read(where.provider_path)
        if args.get("Raw"):
            yield text
            continue
        lines = text.splitlines()
        if "TotalCount" in args and args["TotalCount"] >= 0:
            lines = lines[: args["TotalCount"]]
        if "Tail" in args and args["Tail"] >= 0:
            lines = lines[len(lines) - args["Tail"] :] if args["Tail"] else []
        yield from lines
