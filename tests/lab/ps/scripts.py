"""The constant scripts the lab runs, and a strict interpreter for their small grammar.

The lab refuses script text (AddScript) except these exact texts: the library's constant scripts
(plugins/plugin_utils/cmscp/configmgr/scripts.py; the lab imports nothing from plugins/, so this is a copy, and
tests/unit/test_scripts.py keeps both equal). Every cmdlet inside is run by the runtime exactly like a structured
call: same table lookup, same binder (parameter sets, types, mandatory, aliases; a splatted hashtable becomes named
parameters), same call log entry. Only objects the lab created inside the run (``$account``) are live; a value that
came from the client is whatever from_ps made of it (a Deserialized.* bag stays one).

The file-transfer scripts (.NET streams) are outside this grammar: the lab binds their param block the same way and
runs a Python model of each instead of their text (tests/lab/ps/native_scripts.py, `NATIVE_SCRIPTS`).

Grammar, one construct per line (anything else makes the import fail; the texts are constants):

    [CmdletBinding()]
    param(
        [Parameter(Mandatory = $true|$false)] [hashtable|string|string[]|switch] $Name,   (last one without the comma)
    )
    $ErrorActionPreference = 'Stop'
    'constant text'                              (written to the output)
    $var                                         (its value written to the output, a list one object at a time)
    $var = <pipeline> | 'text' | $var.Name | $var + 'text' | 'text' + $var
    <pipeline>                                   (its output written to the output)
    if (<condition>) {                           ... lines ... then a line '}'
    if (<condition>) { return }   /   if (<condition>) { throw 'constant text' }
      <condition>: $var | -not $var | $null -eq $var | $var -contains 'text'
    <pipeline>: Verb-Noun <arguments> [| Verb-Noun <arguments> ...], arguments: -Name $var, -Name $var.Key,
      -Name 'text'[, 'text' ...], -Name 123, -Name (a switch), @var (a splatted hashtable); a pipeline may start
      with $var (its value piped in)

Semantics taken from PowerShell (about_If, about_Return, about_Operators, about_Splatting): a condition is true when
its value is not $null, not '' and not an empty list; -contains compares case-insensitively; `return` ends the
script; a variable holds $null, the one object or the list a pipeline wrote; `$var.Key` of a hashtable or object
is that entry or property ($null when absent). Scopes are not modelled (the library's scripts run in their own
scope, `use_local_scope`; the CMSite drive is made -Scope Global): inferred that nothing here depends on them.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tests.lab.ps.binder import NULL
from tests.lab.ps.native_scripts import NATIVE
from tests.lab.ps.spec import CmdletSpec, P, _common_params

# Copies of the library's constants (tests/unit/test_scripts.py compares them with the library's).
NEW_SITE_SYSTEM_SERVER_WITH_PROXY_ACCOUNT = """[CmdletBinding()]
param(
    [Parameter(Mandatory = $true)] [hashtable] $Parameters,
    [Parameter(Mandatory = $true)] [string] $ProxyUserName
)
$ErrorActionPreference = 'Stop'
$account = Get-CMAccount -UserName $ProxyUserName
if ($null -eq $account) { throw 'Get-CMAccount found no account with the proxy user name.' }
New-CMSiteSystemServer @Parameters -ProxyAccessAccount $account
"""

SET_SITE_SYSTEM_SERVER_WITH_PROXY_ACCOUNT = """[CmdletBinding()]
param(
    [Parameter(Mandatory = $true)] [hashtable] $Parameters,
    [Parameter(Mandatory = $true)] [string] $ProxyUserName
)
$ErrorActionPreference = 'Stop'
$account = Get-CMAccount -UserName $ProxyUserName
if ($null -eq $account) { throw 'Get-CMAccount found no account with the proxy user name.' }
Set-CMSiteSystemServer @Parameters -ProxyAccessAccount $account
"""


READ_SITE_STATE = """[CmdletBinding()]
param(
    [Parameter(Mandatory = $true)] [string[]] $Read,
    [Parameter(Mandatory = $true)] [hashtable] $Properties,
    [Parameter(Mandatory = $true)] [string] $Module,
    [Parameter(Mandatory = $false)] [string] $SiteCode,
    [Parameter(Mandatory = $false)] [string] $Provider,
    [Parameter(Mandatory = $false)] [string[]] $HostNames,
    [Parameter(Mandatory = $false)] [switch] $Bootstrapped
)
$ErrorActionPreference = 'Stop'
if (-not $SiteCode) {
    'cmscp:location'
    $location = Get-CimInstance -Namespace 'root\\SMS' -ClassName 'SMS_ProviderLocation' | Select-Object -Property $Properties.location
    $location
    $local = $location | Where-Object -Property 'Machine' -Value $HostNames -In | Select-Object -First 1
    if (-not $local) { return }
    $SiteCode = $local.SiteCode
    $Provider = $local.Machine
}
if (-not $Bootstrapped) {
    'cmscp:ui'
    Get-Item -Path 'Env:SMS_ADMIN_UI_PATH' -ErrorAction 'SilentlyContinue' | Select-Object -Property 'Value'
    'cmscp:module'
    Import-Module -Name $Module -PassThru | Select-Object -Property 'Name', 'Version'
    $drive = New-PSDrive -Name $SiteCode -PSProvider 'CMSite' -Root $Provider -Scope 'Global' -ErrorAction 'SilentlyContinue'
    $path = $SiteCode + ':'
    Set-Location -Path $path
}
'cmscp:site'
$SiteCode
$Provider
if ($Read -contains 'sites') {
    'cmscp:sites'
    Get-CMSite | Select-Object -Property $Properties.sites
}
if ($Read -contains 'scp') {
    'cmscp:scp'
    Get-CMServiceConnectionPoint -AllSite | Select-Object -Property $Properties.scp
}
if ($Read -contains 'site_systems') {
    'cmscp:site_systems'
    Get-CMSiteSystemServer -AllSite | Select-Object -Property $Properties.site_systems
}
if ($Read -contains 'usage') {
    'cmscp:usage'
    Get-CMHierarchySetting | Select-Object -Property $Properties.usage
}
if ($Read -contains 'aad') {
    'cmscp:aad'
    Get-CMAADApplication | Select-Object -Property $Properties.aad
}
if ($Read -contains 'updates') {
    'cmscp:updates'
    Get-CMSiteUpdate -Fast | Select-Object -Property $Properties.updates
}
if ($Read -contains 'roles') {
    'cmscp:roles'
    Get-CMSiteRole -AllSite | Select-Object -Property $Properties.roles
}
if ($Read -contains 'site_servers') {
    'cmscp:site_servers'
    Get-CMSiteRole -AllSite -RoleName 'SMS Site Server' | Select-Object -Property $Properties.site_servers
}
if ($Read -contains 'records') {
    'cmscp:records'
    Get-ItemProperty -Path 'HKLM:\\SOFTWARE\\configmgr.scp' -ErrorAction 'SilentlyContinue' | Select-Object -Property $Properties.records
}
if ($Read -contains 'components') {
    'cmscp:components'
    $namespace = 'root\\SMS\\site_' + $SiteCode
    $filter = 'TallyInterval = ''0001128000100008'' AND ComponentName = ''SMS_DMP_DOWNLOADER'''
    Get-CimInstance -Namespace $namespace -ClassName 'SMS_ComponentSummarizer' -Filter $filter | Select-Object -Property $Properties.components
}
"""

_NAME = r"[A-Za-z_][A-Za-z0-9_]*"
_CMDLET = re.compile(r"[A-Za-z]+-[A-Za-z][A-Za-z0-9]*")
_PARAM_LINE = re.compile(
    r"\[Parameter\(Mandatory = \$(true|false)\)\] \[(hashtable|string|string\[\]|switch|int32|int64|byte\[\])\] "
    r"\$(" + _NAME + r")(,?)"
)
_PREFERENCE = re.compile(r"\$ErrorActionPreference = '([^']*)'")
_ASSIGN = re.compile(r"\$(" + _NAME + r") = (.+)")
_IF_OPEN = re.compile(r"if \((.+)\) \{")
_IF_LINE = re.compile(r"if \((.+)\) \{ (return|throw '([^']*)') \}")
_VAR = re.compile(r"\$(" + _NAME + r")")
_MEMBER = re.compile(r"\$(" + _NAME + r")\.(" + _NAME + r")")
_CONCAT = re.compile(r"(?:\$(" + _NAME + r") \+ '((?:[^']|'')*)'|'((?:[^']|'')*)' \+ \$(" + _NAME + r"))")
_LITERAL = re.compile(r"'((?:[^']|'')*)'")
_COND_VAR = re.compile(r"(-not )?\$(" + _NAME + r")")
_COND_NULL = re.compile(r"\$null -eq \$(" + _NAME + r")")
_COND_CONTAINS = re.compile(r"\$(" + _NAME + r") -contains '([^']*)'")
_TOKEN = re.compile(r"'(?:[^']|'')*'|[^\s,']+|,")
PREFERENCES = ("SilentlyContinue", "Stop", "Continue", "Ignore")
SWITCH_ARG = object()  # an argument that is a bare switch (-PassThru)


@dataclass(frozen=True)
class Value:
    """An argument or assigned value: a variable, a variable's member, a literal (or list of them), a concatenation."""

    kind: str  # "var" | "member" | "literal" | "list" | "int" | "concat" | "switch"
    name: str | None = None  # variable
    key: str | None = None  # member name
    text: tuple[str, ...] = ()  # literal(s); concat: the literal part
    literal_first: bool = False  # concat: 'text' + $var


@dataclass(frozen=True)
class Call:
    cmdlet: str
    args: tuple[tuple[str | None, Value], ...]  # (parameter name, value); name None = splat the variable


@dataclass(frozen=True)
class Cond:
    kind: str  # "truthy" | "not" | "null" | "contains"
    name: str
    text: str | None = None


@dataclass(frozen=True)
class Step:
    kind: str  # "preference" | "emit" | "emit_var" | "assign" | "pipeline" | "if" | "return" | "throw"
    variable: str | None = None  # assign: the target; emit_var: the variable
    calls: tuple[Call, ...] = ()  # pipeline (or an assigned pipeline)
    value: Value | None = None  # assign of a value that is not a pipeline
    text: str | None = None  # preference value / emitted literal / thrown message
    cond: Cond | None = None
    body: tuple[Step, ...] = ()
    source: str | None = None  # pipeline: the variable piped into its first call ($var | Verb-Noun ...)

    @property
    def call(self) -> Call | None:
        """The first call of the statement (the older one-call scripts have one)."""
        return self.calls[0] if self.calls else None


class ScriptParamSpec(CmdletSpec):
    """The param block as a spec for the runtime's binder ([CmdletBinding()]: common parameters too)."""

    def fqid(self, error_id: str) -> str:
        return error_id  # inferred: a binding error of a script (no cmdlet type to append)


@dataclass(frozen=True)
class ConstantScript:
    name: str  # how the call log and messages name it
    text: str
    spec: CmdletSpec  # its param block, bound by binder.bind like a cmdlet's
    steps: tuple[Step, ...]
    native: Callable[..., Any] | None = None  # a script the lab models in Python (tests/lab/ps/native_scripts.py)

    def calls(self) -> list[Call]:
        """Every inner call, in text order (if blocks included)."""
        out: list[Call] = []

        def walk(steps: tuple[Step, ...]) -> None:
            for step in steps:
                out.extend(step.calls)
                walk(step.body)

        walk(self.steps)
        return out


def _unquote(text: str) -> str:
    return text.replace("''", "'")


def parse(name: str, text: str) -> ConstantScript:
    """The constant script `text` -> ConstantScript. Raises ValueError on anything outside the grammar."""
    params, lines, index = _param_block(name, text)
    known = {p.name.lower() for p in params}
    steps, index = _block(name, lines, index, known, top=True)
    spec = ScriptParamSpec(name, lambda ctx, args: None, params + _common_params(False, None), impl_type=name)
    return ConstantScript(name, text, spec, tuple(steps))


def parse_native(name: str, text: str, run: Callable[..., Any]) -> ConstantScript:
    """A script whose body the lab does not interpret: its param block bound by the binder, then `run(ctx, args)`."""
    params, _lines, _index = _param_block(name, text)
    spec = ScriptParamSpec(name, lambda ctx, args: None, params + _common_params(False, None), impl_type=name)
    return ConstantScript(name, text, spec, (), native=run)


def _param_block(name: str, text: str) -> tuple[list[P], list[str], int]:
    lines = text.splitlines()
    if not lines or lines[0] != "[CmdletBinding()]" or lines[1:2] != ["param("]:
        raise ValueError(f"{name}: expected '[CmdletBinding()]' then 'param('")
    params: list[P] = []
    index = 2
    while True:
        line = lines[index].strip()
        index += 1
        if line == ")":
            break
        match = _PARAM_LINE.fullmatch(line)
        if match is None:
            raise ValueError(f"{name}: bad param line {line!r}")
        params.append(P(match.group(3), match.group(2), mandatory=match.group(1) == "true"))
        if not match.group(4) and lines[index].strip() != ")":
            raise ValueError(f"{name}: missing comma after ${match.group(3)}")
    return params, lines, index


def _block(name: str, lines: list[str], index: int, known: set[str], top: bool) -> tuple[list[Step], int]:
    steps: list[Step] = []
    while index < len(lines):
        raw = lines[index]
        line = raw.strip()
        index += 1
        if not line:
            continue
        if line == "}":
            if top:
                raise ValueError(f"{name}: '}}' without an if")
            return steps, index
        if (match := _PREFERENCE.fullmatch(line)) is not None:
            if match.group(1) not in PREFERENCES:
                raise ValueError(f"{name}: bad preference {match.group(1)!r}")
            steps.append(Step("preference", text=match.group(1)))
        elif (match := _IF_LINE.fullmatch(line)) is not None:
            cond = _cond(name, known, match.group(1))
            inner = Step("return") if match.group(2) == "return" else Step("throw", text=match.group(3))
            steps.append(Step("if", cond=cond, body=(inner,)))
        elif (match := _IF_OPEN.fullmatch(line)) is not None:
            cond = _cond(name, known, match.group(1))
            body, index = _block(name, lines, index, known, top=False)
            steps.append(Step("if", cond=cond, body=tuple(body)))
        elif (match := _LITERAL.fullmatch(line)) is not None:
            steps.append(Step("emit", text=_unquote(match.group(1))))
        elif (match := _VAR.fullmatch(line)) is not None:
            _known(name, known, match.group(1))
            steps.append(Step("emit_var", variable=match.group(1)))
        elif (match := _ASSIGN.fullmatch(line)) is not None:
            target, expr = match.group(1), match.group(2)
            steps.append(_assignment(name, known, target, expr))
            known.add(target.lower())
        else:
            source, calls = _pipeline(name, known, line)
            steps.append(Step("pipeline", calls=calls, source=source))
    if not top:
        raise ValueError(f"{name}: an if block is not closed")
    return steps, index


def _assignment(name: str, known: set[str], target: str, expr: str) -> Step:
    if (match := _LITERAL.fullmatch(expr)) is not None:
        return Step("assign", variable=target, value=Value("literal", text=(_unquote(match.group(1)),)))
    if (match := _MEMBER.fullmatch(expr)) is not None:
        _known(name, known, match.group(1))
        return Step("assign", variable=target, value=Value("member", match.group(1), match.group(2)))
    if (match := _CONCAT.fullmatch(expr)) is not None:
        var = match.group(1) or match.group(4)
        _known(name, known, var)
        literal = match.group(2) if match.group(1) else match.group(3)
        return Step(
            "assign",
            variable=target,
            value=Value("concat", var, text=(_unquote(literal),), literal_first=match.group(1) is None),
        )
    source, calls = _pipeline(name, known, expr)
    return Step("assign", variable=target, calls=calls, source=source)


def _cond(name: str, known: set[str], text: str) -> Cond:
    if (match := _COND_NULL.fullmatch(text)) is not None:
        _known(name, known, match.group(1))
        return Cond("null", match.group(1))
    if (match := _COND_CONTAINS.fullmatch(text)) is not None:
        _known(name, known, match.group(1))
        return Cond("contains", match.group(1), match.group(2))
    if (match := _COND_VAR.fullmatch(text)) is not None:
        _known(name, known, match.group(2))
        return Cond("not" if match.group(1) else "truthy", match.group(2))
    raise ValueError(f"{name}: a condition outside the grammar: {text!r}")


def _pipeline(name: str, known: set[str], text: str) -> tuple[str | None, tuple[Call, ...]]:
    parts = _split_pipes(text)
    source = None
    if len(parts) > 1 and (match := _VAR.fullmatch(parts[0])) is not None:
        _known(name, known, match.group(1))
        source, parts = match.group(1), parts[1:]
    return source, tuple(_call(name, known, part) for part in parts)


def _split_pipes(text: str) -> list[str]:
    parts, current, quoted = [], "", False
    for char in text:
        if char == "'":
            quoted = not quoted
        if char == "|" and not quoted:
            parts.append(current.strip())
            current = ""
        else:
            current += char
    parts.append(current.strip())
    return parts


def _call(name: str, known: set[str], text: str) -> Call:
    tokens = _TOKEN.findall(text)
    if not tokens or not _CMDLET.fullmatch(tokens[0]):
        raise ValueError(f"{name}: not a cmdlet call of the grammar: {text!r}")
    args: list[tuple[str | None, Value]] = []
    rest = tokens[1:]
    while rest:
        token = rest.pop(0)
        if token.startswith("@") and re.fullmatch("@" + _NAME, token):
            _known(name, known, token[1:])
            args.append((None, Value("var", token[1:])))
            continue
        if not re.fullmatch("-" + _NAME, token):
            raise ValueError(f"{name}: not an argument of the grammar: {token!r} in {text!r}")
        pname = token[1:]
        if not rest or rest[0].startswith("-") or rest[0].startswith("@"):
            args.append((pname, Value("switch")))
            continue
        value = rest.pop(0)
        if (match := _MEMBER.fullmatch(value)) is not None:
            _known(name, known, match.group(1))
            args.append((pname, Value("member", match.group(1), match.group(2))))
        elif (match := _VAR.fullmatch(value)) is not None:
            _known(name, known, match.group(1))
            args.append((pname, Value("var", match.group(1))))
        elif (match := _LITERAL.fullmatch(value)) is not None:
            items = [_unquote(match.group(1))]
            while len(rest) >= 2 and rest[0] == "," and (more := _LITERAL.fullmatch(rest[1])) is not None:
                items.append(_unquote(more.group(1)))
                rest = rest[2:]
            args.append(
                (pname, Value("list", text=tuple(items)) if len(items) > 1 else Value("literal", text=tuple(items)))
            )
        elif re.fullmatch(r"[0-9]+", value):
            args.append((pname, Value("int", text=(value,))))
        else:
            raise ValueError(f"{name}: not an argument value of the grammar: {value!r} in {text!r}")
    return Call(tokens[0], tuple(args))


def _known(name: str, known: set[str], variable: str) -> None:
    if variable.lower() not in known:
        raise ValueError(f"{name}: ${variable} is used before it is set")


SCRIPTS: dict[str, ConstantScript] = {
    s.text: s
    for s in (
        parse("New-CMSiteSystemServerWithProxyAccount", NEW_SITE_SYSTEM_SERVER_WITH_PROXY_ACCOUNT),
        parse("Set-CMSiteSystemServerWithProxyAccount", SET_SITE_SYSTEM_SERVER_WITH_PROXY_ACCOUNT),
        parse("Read-CMSiteState", READ_SITE_STATE),
    )
}
# The file-transfer scripts, which the lab models in Python (tests/lab/ps/native_scripts.py).
NATIVE_SCRIPTS: dict[str, ConstantScript] = {s.text: parse_native(s.name, s.text, s.run) for s in NATIVE.values()}


def lookup(text: str) -> ConstantScript | None:
    """The registered constant script whose text is exactly `text`, else None (the runtime refuses it)."""
    return SCRIPTS.get(text) or NATIVE_SCRIPTS.get(text)


def member(value: Any, key: str) -> Any:
    """`$var.Key`: a hashtable's entry or an object's property, case-insensitive; $null when absent."""
    props = value.props if hasattr(value, "props") else value if isinstance(value, dict) else None
    if not isinstance(props, dict):
        return None
    return next((v for k, v in props.items() if str(k).lower() == key.lower()), None)


def evaluate(value: Value, variables: dict[str, Any]) -> Any:
    if value.kind == "var":
        return variables.get(str(value.name).lower())
    if value.kind == "member":
        return member(variables.get(str(value.name).lower()), str(value.key))
    if value.kind == "literal":
        return value.text[0]
    if value.kind == "list":
        return list(value.text)
    if value.kind == "int":
        return int(value.text[0])
    if value.kind == "concat":
        other = variables.get(str(value.name).lower())
        other_text = "" if other is None else str(other)
        return value.text[0] + other_text if value.literal_first else other_text + value.text[0]
    raise ValueError(value.kind)


def truthy(value: Any) -> bool:
    """PowerShell's conversion to bool for the values a script holds ($null, '', an empty list: false)."""
    if value is None or value is False:
        return False
    if isinstance(value, (list, tuple)):
        return any(truthy(v) for v in value) if len(value) == 1 else bool(value)
    if isinstance(value, str):
        return value != ""
    return True


def condition(cond: Cond, variables: dict[str, Any]) -> bool:
    value = variables.get(cond.name.lower())
    if cond.kind == "null":
        return value is None
    if cond.kind == "contains":
        items = value if isinstance(value, list) else [] if value is None else [value]
        return any(str(i).lower() == str(cond.text).lower() for i in items)
    return truthy(value) if cond.kind == "truthy" else not truthy(value)


def arguments(call: Call, variables: dict[str, Any]) -> list[tuple[str | None, Any]]:
    """The named parameters of one inner call: a splatted hashtable gives one per key, in order. A $null value is
    an explicit null argument (binder.NULL), not a bare parameter; a switch is a bare parameter (None)."""
    params: list[tuple[str | None, Any]] = []
    for pname, value in call.args:
        if pname is None:
            table = variables.get(str(value.name).lower())
            if not isinstance(table, dict):
                raise TypeError(f"@{value.name} is not a hashtable")  # the runtime turns it into a terminating error
            params += [(str(k), NULL if v is None else v) for k, v in table.items()]
        elif value.kind == "switch":
            params.append((pname, None))
        else:
            result = evaluate(value, variables)
            params.append((pname, NULL if result is None else result))
    return params
