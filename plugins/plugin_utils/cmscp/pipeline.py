"""Structured pipelines: cmdlets with named parameters, grouped in statements. The only script text ever sent is
one of the registered constant scripts (`ScriptSpec`, `register_script`), whose inputs are parameters too."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, ClassVar

# A cmdlet or function name: Verb-Noun, or a module-qualified name. Anything else is refused so that no
# text can ever be run as a script through the command name.
_COMMAND_NAME = re.compile(r"^(?:[A-Za-z][\w.]*\\)?[A-Za-z]+-[A-Za-z][\w]*$")
_PARAM_NAME = re.compile(r"^[A-Za-z][\w]*$")
SWITCH = object()  # parameter value meaning "switch present" (sent with no value)
ERROR_ACTIONS = ("Stop", "SilentlyContinue", "Ignore", "Continue")


@dataclass
class Command:
    """One cmdlet with its named parameters, in order."""

    name: str
    parameters: list[tuple[str, Any]] = field(default_factory=list)
    is_script: ClassVar[bool] = False  # True only for ScriptCommand

    def __post_init__(self) -> None:
        if not _COMMAND_NAME.match(self.name):
            raise ValueError(f"not a cmdlet name: {self.name!r}")
        for pname, _value in self.parameters:
            if not _PARAM_NAME.match(pname):
                raise ValueError(f"not a parameter name: {pname!r}")

    def param(self, name: str, value: Any = SWITCH) -> Command:
        if not _PARAM_NAME.match(name):
            raise ValueError(f"not a parameter name: {name!r}")
        self.parameters.append((name, value))
        return self

    def has(self, name: str) -> bool:
        return any(p.lower() == name.lower() for p, _v in self.parameters)

    @property
    def cmdlets(self) -> set[str]:
        """Lower-case names of the cmdlets this command runs (an error record names one of them)."""
        return {self.name.lower()}

    def describe(self) -> str:
        """Human text for messages: cmdlet and parameter names, no values (values may be secrets)."""
        names = " ".join(f"-{p}" for p, _v in self.parameters if p != "ErrorAction")
        return (f"{self.name} {names}").strip()


@dataclass(frozen=True)
class ScriptSpec:
    """A constant script the library may send (pypsrp add_script + add_parameter). Its text is a module constant
    with a param block; every input is one of `parameters` (no value is ever formatted into the text). `splats` are
    the hashtable parameters the script splats onto a cmdlet: their keys become parameter names, so they are checked
    like parameter names. `cmdlets` are the cmdlets the script runs, for segments and error attribution."""

    name: str
    text: str
    parameters: tuple[str, ...]
    mandatory: tuple[str, ...] = ()
    splats: tuple[str, ...] = ()
    cmdlets: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not _COMMAND_NAME.match(self.name):
            raise ValueError(f"a script needs a Verb-Noun style name: {self.name!r}")
        for pname in self.parameters:
            if not _PARAM_NAME.match(pname):
                raise ValueError(f"not a parameter name: {pname!r}")
        if not set(self.mandatory) <= set(self.parameters) or not set(self.splats) <= set(self.parameters):
            raise ValueError(f"script {self.name}: mandatory and splatted parameters must be declared")
        for name in self.cmdlets:
            if not _COMMAND_NAME.match(name):
                raise ValueError(f"not a cmdlet name: {name!r}")


# The registered constant scripts, by exact text. Filled at import time by the modules that define them
# (configmgr/scripts.py); nothing else may register (user values never reach register_script).
_SCRIPTS: dict[str, ScriptSpec] = {}


def register_script(spec: ScriptSpec) -> ScriptSpec:
    """Register a module-constant script; returns it. Registering the same text twice must give the same spec."""
    known = _SCRIPTS.get(spec.text)
    if known is not None and known != spec:
        raise ValueError(f"script text registered twice with different specs: {known.name} / {spec.name}")
    _SCRIPTS[spec.text] = spec
    return spec


def registered_script(text: str) -> ScriptSpec | None:
    """The registered spec whose text is exactly `text`, else None."""
    return _SCRIPTS.get(text) if isinstance(text, str) else None


def splat(parameters: list[tuple[str, Any]]) -> dict[str, Any]:
    """Named parameters -> the hashtable a constant script splats (`Cmdlet @Parameters`): SWITCH becomes $true."""
    table: dict[str, Any] = {}
    for pname, value in parameters:
        if not _PARAM_NAME.match(pname):
            raise ValueError(f"not a parameter name: {pname!r}")
        if pname.lower() in (k.lower() for k in table):
            raise ValueError(f"parameter {pname} given twice")
        table[pname] = True if value is SWITCH else value
    return table


@dataclass
class ScriptCommand(Command):
    """A registered constant script (`text`) with named parameters: ScriptCommand(name="", parameters=[...],
    text=CONSTANT); `name` becomes the spec's name. Any other text is refused here, and again by the session
    before sending (session.check_scripts)."""

    text: str = ""
    is_script: ClassVar[bool] = True

    def __post_init__(self) -> None:
        spec = registered_script(self.text)
        if spec is None:
            raise ValueError(
                f"refused: script text that is not a registered constant script ({len(self.text or '')} characters)"
            )
        self.name = spec.name
        names = [p.lower() for p, _v in self.parameters]
        declared = {p.lower(): p for p in spec.parameters}
        for pname, value in self.parameters:
            if pname.lower() not in declared:
                raise ValueError(f"script {spec.name} has no parameter {pname!r}")
            if value is SWITCH:
                raise ValueError(f"script {spec.name}: parameter {pname} needs a value")
            if pname.lower() in (s.lower() for s in spec.splats):
                if not isinstance(value, dict):
                    raise ValueError(f"script {spec.name}: parameter {pname} must be a hashtable (dict)")
                splat(list(value.items()))  # keys are parameter names of the splatted cmdlet
        if len(set(names)) != len(names):
            raise ValueError(f"script {spec.name}: a parameter is given twice")
        missing = [m for m in spec.mandatory if m.lower() not in names]
        if missing:
            raise ValueError(f"script {spec.name}: missing mandatory parameter(s) {', '.join(missing)}")

    @property
    def spec(self) -> ScriptSpec:
        spec = registered_script(self.text)
        if spec is None:
            raise ValueError("refused: script text that is not a registered constant script")
        return spec

    @property
    def cmdlets(self) -> set[str]:
        return {c.lower() for c in self.spec.cmdlets}

    def param(self, name: str, value: Any = SWITCH) -> Command:
        raise ValueError("the parameters of a script command are fixed when it is built")

    def describe(self) -> str:
        names = " ".join(f"-{p}" for p, _v in self.parameters)
        return (f"script {self.name} ({', '.join(self.spec.cmdlets)}) {names}").strip()


@dataclass
class Statement:
    """Commands piped together. `error_action` is added to every command that does not set its own."""

    commands: list[Command]
    error_action: str = "Stop"
    label: str | None = None  # what the statement reads, for messages ("read the SCP")
    quiet: bool = False  # cannot write output (Set-Location without -PassThru): may share a segment

    def __post_init__(self) -> None:
        if not self.commands:
            raise ValueError("a statement needs at least one command")
        if self.error_action not in ERROR_ACTIONS:
            raise ValueError(f"bad error action {self.error_action!r}")
        if self.is_script:
            # A constant script stops on its first error itself ($ErrorActionPreference = 'Stop' inside) and is sent
            # alone: nothing is piped into or out of it.
            if len(self.commands) != 1 or self.error_action != "Stop" or self.quiet:
                raise ValueError("a script statement is one script command with error_action Stop")

    def describe(self) -> str:
        return " | ".join(c.describe() for c in self.commands)

    @property
    def is_script(self) -> bool:
        return any(c.is_script for c in self.commands)

    @property
    def names(self) -> set[str]:
        """Lower-case names of every cmdlet the statement runs (a script's inner cmdlets included)."""
        names: set[str] = set()
        for command in self.commands:
            names |= command.cmdlets
        return names


@dataclass
class Pipeline:
    """Several statements run in one round trip; results come back split per statement."""

    statements: list[Statement] = field(default_factory=list)
    operation: str = "run PowerShell"  # what the caller is doing, for error messages

    def add(
        self,
        name: str,
        *params: tuple[str, Any],
        error_action: str = "Stop",
        label: str | None = None,
        pipe_to: list[Command] | None = None,
        quiet: bool = False,
    ) -> int:
        """Append a statement of one command (optionally piped to more); returns its index. `quiet`: the
        statement cannot write output, so no marker is needed to tell its output from a neighbour's."""
        commands = [Command(name, list(params))] + list(pipe_to or [])
        self.statements.append(Statement(commands, error_action=error_action, label=label, quiet=quiet))
        return len(self.statements) - 1

    def add_script(self, text: str, *params: tuple[str, Any], label: str | None = None) -> int:
        """Append a statement running the registered constant script `text` with named `params`; returns its index.
        Any text that is not a registered constant is refused (ValueError)."""
        command = ScriptCommand(name="", parameters=list(params), text=text)
        self.statements.append(Statement([command], label=label))
        return len(self.statements) - 1

    def add_statement(self, statement: Statement) -> int:
        self.statements.append(statement)
        return len(self.statements) - 1

    def extend(self, other: Pipeline) -> int:
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


def check_scripts(statements: list[Statement]) -> None:
    """Refuse (ValueError) any script command whose text is not a registered constant script: the last check
    before anything is sent, whatever built the statement."""
    for statement in statements:
        for command in statement.commands:
            if not getattr(command, "is_script", False):
                continue
            if not isinstance(command, ScriptCommand) or registered_script(command.text) is None:
                raise ValueError("refused: script text that is not a registered constant script")
