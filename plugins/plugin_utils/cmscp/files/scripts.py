"""The constant scripts of file transfers: read a chunk, write a chunk, hash a prefix.

No cmdlet reads or writes a byte range at an offset, so these three use .NET streams (System.IO.File, as
ansible.windows' win_copy and pypsrp's Client.copy/fetch do). Every input is a parameter; the chunk travels as a
byte[] both ways (CLIXML `<BA>`: base64 of the raw bytes, the smallest pypsrp serialization of binary data: a
base64 string would be the same size plus the string's own escaping, an object[] of bytes about 12 times more).
The lab (tests/lab/ps/native_scripts.py) holds a copy of each text and a Python model of what it does; a unit test
keeps the copies equal.
"""

from __future__ import annotations

from ..pipeline import ScriptSpec, register_script

# Written out in full (no formatting): what is here is byte for byte what is sent.
# The bytes [Offset, Offset + Length) of Path (fewer at the end of the file), written as one byte[].
READ_CHUNK_TEXT = """[CmdletBinding()]
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

# Data written at Offset of Path (a new file at offset 0; the file cut to Offset first, so a re-sent chunk replaces
# what a lost answer left); writes the file's new length. An offset past the end is refused (no holes).
WRITE_CHUNK_TEXT = """[CmdletBinding()]
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

# The upper-case hex SHA-256 of the first Length bytes of Path (Get-FileHash's spelling): the verified prefix of a
# partial file, compared with the same prefix of the source before a copy resumes.
HASH_PREFIX_TEXT = """[CmdletBinding()]
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

READ_CHUNK = register_script(
    ScriptSpec(
        "Read-FileChunk",
        READ_CHUNK_TEXT,
        parameters=("Path", "Offset", "Length"),
        mandatory=("Path", "Offset", "Length"),
    )
)
WRITE_CHUNK = register_script(
    ScriptSpec(
        "Write-FileChunk", WRITE_CHUNK_TEXT, parameters=("Path", "Offset", "Data"), mandatory=("Path", "Offset", "Data")
    )
)
HASH_PREFIX = register_script(
    ScriptSpec("Get-FilePrefixHash", HASH_PREFIX_TEXT, parameters=("Path", "Length"), mandatory=("Path", "Length"))
)
