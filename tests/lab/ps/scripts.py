"""The constant scripts the lab runs, and a strict interpreter for their small grammar.

The lab refuses script text (AddScript) except these exact texts: the library's constant scripts
(plugins/plugin_utils/cmscp/configmgr/scripts.py; the lab imports nothing from plugins/, so this is a copy, and
tests/unit/test_scripts.py keeps both equal). Every cmdlet inside is run by the runtime exactly like a structured
call: same table lookup, same binder (parameter sets, types, mandatory, aliases; a splatted hashtable becomes named
parameters), same call log entry. Only objects the lab created inside the run (``$account``) are live; a value that
came from the client is whatever from_ps made of it (a Deserialized.* bag stays one).

Grammar, one construct per line (anything else makes the import fail; the texts are constants):

    [CmdletBinding()]
    param(
        [Parameter(Mandatory = $true)] [hashtable|string] $Name,      (last one without the comma)
    )
    $ErrorActionPreference = 'Stop'
    $var = Verb-Noun -Param $var ...
    if ($null -eq $var) { throw 'constant text' }
    Verb-Noun @var -Param $var ...
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from tests.lab.ps.binder import NULL
from tests.lab.ps.spec import P, CmdletSpec, _common_params

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

_NAME = r"[A-Za-z][A-Za-z0-9]*"
_CMDLET = r"[A-Za-z]+-[A-Za-z][A-Za-z0-9]*"
_QUOTED = r"'([^']*)'"
_PARAM_LINE = re.compile(r"\[Parameter\(Mandatory = \$true\)\] \[(hashtable|string)\] \$(" + _NAME + r")(,?)")
_PREFERENCE = re.compile(r"\$ErrorActionPreference = " + _QUOTED)
_ASSIGN = re.compile(r"\$(" + _NAME + r") = (" + _CMDLET + r".*)")
_THROW_IF_NULL = re.compile(r"if \(\$null -eq \$(" + _NAME + r")\) \{ throw " + _QUOTED + r" \}")
_CALL = re.compile(r"(" + _CMDLET + r")((?: (?:@" + _NAME + r"|-" + _NAME + r" \$" + _NAME + r"))*)")
_ARG = re.compile(r" (?:@(" + _NAME + r")|-(" + _NAME + r") \$(" + _NAME + r"))")
PREFERENCES = ("SilentlyContinue", "Stop", "Continue", "Ignore")


@dataclass(frozen=True)
class Call:
    cmdlet: str
    args: tuple[tuple[str | None, str], ...]      # (parameter name, variable); name None = splat the variable


@dataclass(frozen=True)
class Step:
    kind: str                          # "preference" | "call" | "throw_if_null"
    variable: str | None = None        # call: assigned to; throw_if_null: tested
    call: Call | None = None
    text: str | None = None            # preference value / thrown message


class ScriptParamSpec(CmdletSpec):
    """The param block as a spec for the runtime's binder ([CmdletBinding()]: common parameters too)."""

    def fqid(self, error_id: str) -> str:
        return error_id             # inferred: a binding error of a script (no cmdlet type to append)


@dataclass(frozen=True)
class ConstantScript:
    name: str                          # how the call log and messages name it
    text: str
    spec: CmdletSpec                   # its param block, bound by binder.bind like a cmdlet's
    steps: tuple[Step, ...]


def parse(name: str, text: str) -> ConstantScript:
    """The constant script `text` -> ConstantScript. Raises ValueError on anything outside the grammar."""
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
        params.append(P(match.group(2), match.group(1), mandatory=True))
        if not match.group(3) and lines[index].strip() != ")":
            raise ValueError(f"{name}: missing comma after ${match.group(2)}")
    known = {p.name.lower() for p in params}
    steps: list[Step] = []
    for line in lines[index:]:
        if not line:
            continue
        if (match := _PREFERENCE.fullmatch(line)) is not None:
            if match.group(1) not in PREFERENCES:
                raise ValueError(f"{name}: bad preference {match.group(1)!r}")
            steps.append(Step("preference", text=match.group(1)))
        elif (match := _THROW_IF_NULL.fullmatch(line)) is not None:
            _known(name, known, match.group(1))
            steps.append(Step("throw_if_null", variable=match.group(1), text=match.group(2)))
        elif (match := _ASSIGN.fullmatch(line)) is not None:
            steps.append(Step("call", variable=match.group(1), call=_call(name, known, match.group(2))))
            known.add(match.group(1).lower())
        else:
            steps.append(Step("call", call=_call(name, known, line)))
    spec = ScriptParamSpec(name, lambda ctx, args: None, params + _common_params(False, None), impl_type=name)
    return ConstantScript(name, text, spec, tuple(steps))


def _call(name: str, known: set[str], text: str) -> Call:
    match = _CALL.fullmatch(text)
    if match is None:
        raise ValueError(f"{name}: not a cmdlet call of the grammar: {text!r}")
    args = []
    for splat, pname, var in _ARG.findall(match.group(2)):
        _known(name, known, splat or var)
        args.append((None, splat) if splat else (pname, var))
    return Call(match.group(1), tuple(args))


def _known(name: str, known: set[str], variable: str) -> None:
    if variable.lower() not in known:
        raise ValueError(f"{name}: ${variable} is used before it is set")


SCRIPTS: dict[str, ConstantScript] = {
    s.text: s for s in (parse("New-CMSiteSystemServerWithProxyAccount", NEW_SITE_SYSTEM_SERVER_WITH_PROXY_ACCOUNT),
                        parse("Set-CMSiteSystemServerWithProxyAccount", SET_SITE_SYSTEM_SERVER_WITH_PROXY_ACCOUNT))}


def lookup(text: str) -> ConstantScript | None:
    """The registered constant script whose text is exactly `text`, else None (the runtime refuses it)."""
    return SCRIPTS.get(text)


def arguments(call: Call, variables: dict[str, Any]) -> list[tuple[str | None, Any]]:
    """The named parameters of one inner call: a splatted hashtable gives one per key, in order. A $null value is
    an explicit null argument (binder.NULL), not a bare parameter."""
    params: list[tuple[str | None, Any]] = []
    for pname, var in call.args:
        value = variables.get(var.lower())
        if pname is None:
            if not isinstance(value, dict):
                raise TypeError(f"@{var} is not a hashtable")     # the runtime turns it into a terminating error
            params += [(str(k), NULL if v is None else v) for k, v in value.items()]
        else:
            params.append((pname, NULL if value is None else value))
    return params
