"""The lab's model of the library's file-transfer scripts (plugins/plugin_utils/cmscp/files/scripts.py).

Their bodies use .NET streams, outside the line grammar of tests/lab/ps/scripts.py, so the lab does not interpret
them: it knows each exact text (a copy; tests/unit/test_transfer_scripts.py keeps both equal), binds the param block
with the binder like any script, records the call, consumes faults like a cmdlet (`fail_cmdlet`, and `corrupt_chunk`:
one byte of the next chunk written is flipped, as a bad disk or a broken relay would) and runs a Python function
doing what the text does (System.IO.File semantics as documented: FileMode.Create truncates, Open of a missing file
is FileNotFoundException). Paths go through the same UNC rule as the file cmdlets (tests/lab/ps/builtins/unc.py).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from tests.lab.ps.binder import BoundArgs
from tests.lab.ps.builtins.unc import Place, place
from tests.lab.ps.context import CallContext
from tests.lab.ps.errors import fail

READ_CHUNK = """[CmdletBinding()]
param(
    [Parameter(Mandatory = $true)] [string] $Path,
    [Parameter(Mandatory = $true)] [int64] $Offset,
    [Parameter(Mandatory = $true)] [int32] $Length
)
$ErrorActionPreference = 'Stop'
$stream = [System.IO.File]::Open($Path, [System.IO.FileMode]::Open, [System.IO.FileAccess]::Read, [System.IO.FileShare]::Read)
try {
    $null = $stream.Seek($Offset, [System.IO.SeekOrigin]::Begin)
    $buffer = New-Object -TypeName byte[] -ArgumentList $Length
    $read = 0
    while ($read -lt $Length) {
        $got = $stream.Read($buffer, $read, $Length - $read)
        if ($got -eq 0) { break }
        $read += $got
    }
} finally {
    $stream.Dispose()
}
if ($read -lt $Length) { [System.Array]::Resize([ref]$buffer, $read) }
Write-Output -InputObject $buffer -NoEnumerate
"""

WRITE_CHUNK = """[CmdletBinding()]
param(
    [Parameter(Mandatory = $true)] [string] $Path,
    [Parameter(Mandatory = $true)] [int64] $Offset,
    [Parameter(Mandatory = $true)] [byte[]] $Data
)
$ErrorActionPreference = 'Stop'
$mode = [System.IO.FileMode]::OpenOrCreate
if ($Offset -eq 0) { $mode = [System.IO.FileMode]::Create }
$stream = [System.IO.File]::Open($Path, $mode, [System.IO.FileAccess]::Write, [System.IO.FileShare]::None)
try {
    if ($stream.Length -lt $Offset) { throw 'The chunk starts past the end of the partial file.' }
    $stream.SetLength($Offset)
    $null = $stream.Seek($Offset, [System.IO.SeekOrigin]::Begin)
    $stream.Write($Data, 0, $Data.Length)
    $stream.Length
} finally {
    $stream.Dispose()
}
"""

HASH_PREFIX = """[CmdletBinding()]
param(
    [Parameter(Mandatory = $true)] [string] $Path,
    [Parameter(Mandatory = $true)] [int64] $Length
)
$ErrorActionPreference = 'Stop'
$sha = [System.Security.Cryptography.SHA256]::Create()
$stream = [System.IO.File]::Open($Path, [System.IO.FileMode]::Open, [System.IO.FileAccess]::Read, [System.IO.FileShare]::Read)
try {
    $buffer = New-Object -TypeName byte[] -ArgumentList 1048576
    $left = $Length
    while ($left -gt 0) {
        $got = $stream.Read($buffer, 0, [int][System.Math]::Min([int64]$buffer.Length, $left))
        if ($got -eq 0) { break }
        $null = $sha.TransformBlock($buffer, 0, $got, $null, 0)
        $left -= $got
    }
    $null = $sha.TransformFinalBlock($buffer, 0, 0)
    [System.BitConverter]::ToString($sha.Hash).Replace('-', '')
} finally {
    $stream.Dispose()
    $sha.Dispose()
}
"""

CHUNK_PAST_END = "The chunk starts past the end of the partial file."
FILE_NOT_FOUND = "System.IO.FileNotFoundException"
METHOD_INVOCATION = "MethodInvocationException"  # a .NET method's exception inside a script, as PowerShell wraps it


@dataclass(frozen=True)
class NativeScript:
    name: str
    text: str
    run: Callable[[CallContext, BoundArgs], Iterator[Any]]


def _source(ctx: CallContext, path: str) -> Place:
    where = place(ctx, path, ctx.spec.name)
    if not where.files.exists(where.path) or where.files.is_dir(where.path):
        raise fail(
            f'Exception calling "Open" with "4" argument(s): "Could not find file \'{where.shown}\'."',
            "NotSpecified",
            METHOD_INVOCATION,
            FILE_NOT_FOUND,
            None,
            where.shown,
        )
    return where


def read_chunk(ctx: CallContext, args: BoundArgs) -> Iterator[Any]:
    where = _source(ctx, args["Path"])
    yield where.files.read_bytes(where.path, int(args["Offset"]), int(args["Length"]))


def write_chunk(ctx: CallContext, args: BoundArgs) -> Iterator[Any]:
    where = place(ctx, args["Path"], ctx.spec.name)
    parent = where.path.rsplit("\\", 1)[0]
    if not where.files.is_dir(parent if not parent.endswith(":") else parent + "\\"):
        raise fail(
            f'Exception calling "Open" with "4" argument(s): "Could not find a part of the path \'{where.shown}\'."',
            "NotSpecified",
            METHOD_INVOCATION,
            "System.IO.DirectoryNotFoundException",
            None,
            where.shown,
        )
    offset, data = int(args["Offset"]), bytes(args["Data"])
    if offset == 0:
        where.files.write_bytes(where.path, b"")
    elif not where.files.exists(where.path):
        where.files.write_bytes(where.path, b"")
    if where.files.size(where.path) < offset:
        raise fail(CHUNK_PAST_END, "OperationStopped", CHUNK_PAST_END, "System.Management.Automation.RuntimeException")
    faults = getattr(ctx.world, "faults", None)
    if data and faults is not None and faults.take("transfer", ctx.host.fqdn, ctx.spec.name) == "corrupt_chunk":
        data = bytes([data[0] ^ 0xFF]) + data[1:]
    where.files.truncate(where.path, offset)
    where.files.write_bytes(where.path, data, offset=offset)
    yield where.files.size(where.path)


def hash_prefix(ctx: CallContext, args: BoundArgs) -> Iterator[Any]:
    where = _source(ctx, args["Path"])
    length = max(0, int(args["Length"]))
    yield where.files.sha256(where.path, length) if length else hashlib.sha256(b"").hexdigest().upper()


NATIVE: dict[str, NativeScript] = {
    s.text: s
    for s in (
        NativeScript("Read-FileChunk", READ_CHUNK, read_chunk),
        NativeScript("Write-FileChunk", WRITE_CHUNK, write_chunk),
        NativeScript("Get-FilePrefixHash", HASH_PREFIX, hash_prefix),
    )
}
