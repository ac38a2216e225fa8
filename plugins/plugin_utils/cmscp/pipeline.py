"""Structured pipelines: cmdlets with named parameters, grouped in statements. Never script text."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Optional

# A cmdlet or function name: Verb-Noun, or a module-qualified name. Anything else is refused so that no
# text can ever be run as a script through the command name.
_COMMAND_NAME = re.compile(r"^(?:[A-Za-z][\w.]*\\)?[A-Za-z]+-[A-Za-z][\w]*$")
_PARAM_NAME = re.compile(r"^[A-Za-z][\w]*$")
SWITCH = object()   # parameter value meaning "switch present" (sent with no value)
ERROR_ACTIONS = ("Stop", "SilentlyContinue", "Ignore", "Continue")


@dataclass
class Command:
    """One cmdlet with its named parameters, in order."""

    name: str
    parameters: list[tuple[str, Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not _COMMAND_NAME.match(self.name):
            raise ValueError("not a cmdlet name: %r" % self.name)
        for pname, _value in self.parameters:
            if not _PARAM_NAME.match(pname):
                raise ValueError("not a parameter name: %r" % pname)

    def param(self, name: str, value: Any = SWITCH) -> "Command":
        if not _PARAM_NAME.match(name):
            raise ValueError("not a parameter name: %r" % name)
        self.parameters.append((name, value))
        return self

    def has(self, name: str) -> bool:
        return any(p.lower() == name.lower() for p, _v in self.parameters)

    def describe(self) -> str:
        """Human text for messages: cmdlet and parameter names, no values (values may be secrets)."""
        names = " ".join("-%s" % p for p, _v in self.parameters if p != "ErrorAction")
        return ("%s %s" % (self.name, names)).strip()


@dataclass
class Statement:
    """Commands piped together. `error_action` is added to every command that does not set its own."""

    commands: list[Command]
    error_action: str = "Stop"
    label: Optional[str] = None         # what the statement reads, for messages ("read the SCP")
    quiet: bool = False                 # cannot write output (Set-Location without -PassThru): may share a segment

    def __post_init__(self) -> None:
        if not self.commands:
            raise ValueError("a statement needs at least one command")
        if self.error_action not in ERROR_ACTIONS:
            raise ValueError("bad error action %r" % self.error_action)

    def describe(self) -> str:
        return " | ".join(c.describe() for c in self.commands)

    @property
    def names(self) -> set[str]:
        return {c.name.lower() for c in self.commands}


@dataclass
class Pipeline:
    """Several statements run in one round trip; results come back split per statement."""

    statements: list[Statement] = field(default_factory=list)
    operation: str = "run PowerShell"     # what the caller is doing, for error messages

    def add(self, name: str, *params: tuple[str, Any], error_action: str = "Stop", label: Optional[str] = None,
            pipe_to: Optional[list[Command]] = None, quiet: bool = False) -> int:
        """Append a statement of one command (optionally piped to more); returns its index. `quiet`: the
        statement cannot write output, so no marker is needed to tell its output from a neighbour's."""
        commands = [Command(name, list(params))] + list(pipe_to or [])
        self.statements.append(Statement(commands, error_action=error_action, label=label, quiet=quiet))
        return len(self.statements) - 1

    def add_statement(self, statement: Statement) -> int:
        self.statements.append(statement)
        return len(self.statements) - 1

    def extend(self, other: "Pipeline") -> int:
        """Append another pipeline's statements; returns the index of its first statement."""
        start = len(self.statements)
        self.statements.extend(other.statements)
        return start

    def __len__(self) -> int:
        return len(self.statements)


def segments(statements: list[Statement]) -> list[list[int]]:
    """Statement indexes grouped by the output segment they share (the session sends a marker between segments).
    A segment holds at most one statement that can write output, so every output object has one owner, and no
    cmdlet twice, so a terminating error names its statement through its command name."""
    groups: list[list[int]] = []
    names: set[str] = set()
    loud = False
    for index, statement in enumerate(statements):
        joins = bool(groups) and (statement.quiet or not loud) and not names & statement.names
        if not joins:
            groups.append([])
            names, loud = set(), False
        groups[-1].append(index)
        names |= statement.names
        loud = loud or not statement.quiet
    return groups


def segment_starts(statements: list[Statement]) -> list[bool]:
    """True for each statement that opens a new segment (a marker goes before it unless it is the first)."""
    starts = [False] * len(statements)
    for group in segments(statements):
        starts[group[0]] = True
    return starts


def cmd(name: str, **params: Any) -> Command:
    """Shortcut: cmd("Get-CMSite", SiteCode="PS1"). Pass SWITCH for a switch parameter."""
    return Command(name, list(params.items()))
