"""Start-Process, for the programs the lab simulates (Get-FileHash is in filecopy.py).

A lab "program" is a file whose text starts with PROGRAM_HEADER (``MZ lab program: <name>; FileVersion=<v>``):
Start-Process runs the function registered under <name> (register_program), with the arguments split as a Windows
program's C runtime splits its command line. Windows PowerShell 5.1's Start-Process joins -ArgumentList's elements with
one space and quotes nothing (MicrosoftDocs/PowerShell-Docs issue 7701: "joined with a single space ... no quoting is
applied"), so the lab joins them the same way and splits the result: an unquoted path with spaces arrives as several
arguments, as it would on Windows.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from tests.lab.ps.binder import BoundArgs
from tests.lab.ps.builtins.common import resolve_path
from tests.lab.ps.context import CallContext
from tests.lab.ps.convert import LabObject
from tests.lab.ps.errors import fail
from tests.lab.ps.spec import P, cmdlet

PROGRAM_HEADER = "MZ lab program: "


@dataclass
class ProgramRun:
    """What a simulated program sees: the calling runspace's host, world and user, its own path and arguments."""

    ctx: CallContext
    path: str  # the program file, as stored
    argv: list[str]  # arguments after the program name
    version: str  # FileVersion from the header
    killed: bool = False  # fault "kill_program": the process is ended part way (what it did by then is the program's)


Program = Callable[[ProgramRun], int]  # returns the exit code
PROGRAMS: dict[str, Program] = {}


def register_program(name: str) -> Callable[[Program], Program]:
    def wrap(func: Program) -> Program:
        PROGRAMS[name.lower()] = func
        return func

    return wrap


def program_text(name: str, version: str) -> str:
    """The text of a lab program file (lab setup)."""
    return f"{PROGRAM_HEADER}{name}; FileVersion={version}\r\n"


def program_header(text: str) -> tuple[str, str] | None:
    """(name, FileVersion) of a lab program file's text, else None."""
    if not text.startswith(PROGRAM_HEADER):
        return None
    first = text[len(PROGRAM_HEADER) :].splitlines()[0]
    name, _sep, rest = first.partition(";")
    version = rest.strip().removeprefix("FileVersion=") if rest else ""
    return name.strip(), version


def split_command_line(line: str) -> list[str]:
    """A command line split as the Microsoft C runtime does (CommandLineToArgvW for the arguments): whitespace
    separates, double quotes group, 2n backslashes before a quote are n backslashes and the quote toggles, 2n+1 are n
    and a literal quote; backslashes elsewhere are literal."""
    args: list[str] = []
    current: list[str] = []
    in_arg = quoted = False
    i = 0
    while i < len(line):
        char = line[i]
        if char == "\\":
            count = 0
            while i < len(line) and line[i] == "\\":
                count += 1
                i += 1
            if i < len(line) and line[i] == '"':
                current.append("\\" * (count // 2))
                if count % 2:
                    current.append('"')
                    i += 1
            else:
                current.append("\\" * count)
            in_arg = True
            continue
        if char == '"':
            quoted = not quoted
            in_arg = True
        elif char in " \t" and not quoted:
            if in_arg:
                args.append("".join(current))
                current, in_arg = [], False
        else:
            current.append(char)
            in_arg = True
        i += 1
    if in_arg:
        args.append("".join(current))
    return args


def version_info(path: str, version: str) -> LabObject:
    return LabObject(
        ["System.Diagnostics.FileVersionInfo", "System.Object"],
        {"FileName": path, "FileVersion": version, "ProductVersion": version},
        f"File: {path}",
        adapted=True,
    )


@cmdlet(
    "Start-Process",
    default_set="Default",
    params=[
        P("FilePath", "string", aliases=("PSPath",), mandatory=True, position=0),
        P("ArgumentList", "string[]", aliases=("Args",), position=1),
        P("Credential", "pscredential", aliases=("RunAs",), sets={"Default": {}}),
        P("WorkingDirectory", "string"),
        P("LoadUserProfile", "switch", aliases=("Lup",), sets={"Default": {}}),
        P("NoNewWindow", "switch", aliases=("nnw",), sets={"Default": {}}),
        P("PassThru", "switch"),
        P("RedirectStandardError", "string", aliases=("RSE",), sets={"Default": {}}),
        P("RedirectStandardInput", "string", aliases=("RSI",), sets={"Default": {}}),
        P("RedirectStandardOutput", "string", aliases=("RSO",), sets={"Default": {}}),
        P("Verb", "string", sets={"UseShellExecute": {}}),
        P(
            "WindowStyle",
            "enum",
            values=("Normal", "Hidden", "Minimized", "Maximized"),
            type_name="System.Diagnostics.ProcessWindowStyle",
        ),
        P("Wait", "switch"),
        P("UseNewEnvironment", "switch", sets={"Default": {}}),
    ],
)
def start_process(ctx: CallContext, args: BoundArgs) -> Iterator[Any]:
    path = resolve_path(ctx, args["FilePath"]).provider_path
    files = ctx.host.files
    if not files.exists(path) or files.is_dir(path):
        raise fail(
            "This command cannot be run due to the error: The system cannot find the file specified.",
            "InvalidOperation",
            ctx.spec.fqid("InvalidOperationException"),
            "System.InvalidOperationException",
            ctx.spec.name,
        )
    header = program_header(files.read(path))
    program = PROGRAMS.get(header[0].lower()) if header else None
    if header is None or program is None:
        raise fail(
            "This command cannot be run due to the error: The specified executable is not a valid application for "
            "this OS platform.",
            "InvalidOperation",
            ctx.spec.fqid("InvalidOperationException"),
            "System.InvalidOperationException",
            ctx.spec.name,
        )
    line = " ".join(args.get("ArgumentList") or [])  # 5.1: joined with spaces, nothing quoted
    faults = getattr(ctx.world, "faults", None)
    killed = faults is not None and faults.take("program", ctx.host.fqdn, header[0]) == "kill_program"
    code = program(ProgramRun(ctx, files.canonical(path) or path, split_command_line(line), header[1], killed))
    if args.get("PassThru"):
        name = (files.canonical(path) or path).rsplit("\\", 1)[-1].rsplit(".", 1)[0]
        # without -Wait a real process would still run; the lab's programs finish before Start-Process returns
        yield LabObject(
            ["System.Diagnostics.Process", "System.ComponentModel.Component", "System.Object"],
            {
                "ProcessName": name,
                "Id": 4000 + zlib.crc32(path.lower().encode()) % 1000,
                "HasExited": True,
                "ExitCode": code,
            },
            f"System.Diagnostics.Process ({name})",
            adapted=True,
        )
