"""Cmdlet declarations: ``@cmdlet(...)`` with ``P(...)`` parameters, registered in a global table."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

ALL_SETS = "__AllParameterSets"
CM_MODULE = "configurationmanager"
ACTION_PREFERENCE = ("SilentlyContinue", "Stop", "Continue", "Inquire", "Ignore", "Suspend", "Break")
ACTION_PREFERENCE_TYPE = "System.Management.Automation.ActionPreference"

# ConfigMgr's result object interface (-InputObject, -ProxyAccessAccount <IResultObject> in the cmdlet reference).
IRESULT_OBJECT = "Microsoft.ConfigurationManagement.ManagementProvider.IResultObject"

# .NET type names, for conversion error messages.
NET_TYPES = {
    "string": "System.String",
    "string[]": "System.String[]",
    "int32": "System.Int32",
    "uint32": "System.UInt32",
    "int64": "System.Int64",
    "bool": "System.Boolean",
    "switch": "System.Management.Automation.SwitchParameter",
    "datetime": "System.DateTime",
    "timespan": "System.TimeSpan",
    "securestring": "System.Security.SecureString",
    "pscredential": "System.Management.Automation.PSCredential",
    "object": "System.Object",
    "object[]": "System.Object[]",
    "hashtable": "System.Collections.Hashtable",
    "scriptblock": "System.Management.Automation.ScriptBlock",
    "uri": "System.Uri",
    "enum": "System.String",
    "int32[]": "System.Int32[]",
    "byte[]": "System.Byte[]",
}


@dataclass(frozen=True)
class P:
    """One parameter. ``sets`` maps set name -> {"mandatory", "position", "pipeline"}; None = every set.

    ``type="enum"`` with ``values`` converts like a .NET enum (``type_name`` names the enum type);
    ``type="string"`` with ``values`` validates like ``[ValidateSet()]``.
    ``type="object"`` (or ``"object[]"``) with ``type_name`` is a parameter typed with a live .NET type
    (``type_name=IRESULT_OBJECT``): it takes only live objects of that type, never a ``Deserialized.*`` property
    bag from a client (PowerShell does not rehydrate those; see ``live_type``).
    """

    name: str
    type: str
    aliases: tuple[str, ...] = ()
    sets: dict[str, dict[str, Any]] | None = None
    mandatory: bool = False
    position: int | None = None
    values: tuple[str, ...] | None = None
    pipeline: bool = False
    secret: bool = False
    type_name: str | None = None
    common: bool = False

    def __post_init__(self) -> None:
        if self.type not in NET_TYPES:
            raise ValueError(f"parameter {self.name}: unknown type {self.type!r}")
        if self.values is not None:
            object.__setattr__(self, "values", tuple(self.values))

    @property
    def net_type(self) -> str:
        return self.type_name or NET_TYPES[self.type]

    @property
    def live_type(self) -> str | None:
        """The live .NET type an object parameter requires (None: any object, System.Object)."""
        if self.type in ("object", "object[]") and self.type_name:
            return self.type_name.removesuffix("[]")
        return None

    @property
    def is_secret(self) -> bool:
        return self.secret or self.type in ("securestring", "pscredential")

    def in_set(self, set_name: str) -> bool:
        return self.sets is None or set_name in self.sets

    def _opt(self, set_name: str, key: str, default: Any) -> Any:
        if self.sets is None or set_name not in self.sets:
            return default
        return self.sets[set_name].get(key, default)

    def mandatory_in(self, set_name: str) -> bool:
        return bool(self._opt(set_name, "mandatory", self.mandatory))

    def position_in(self, set_name: str) -> int | None:
        return self._opt(set_name, "position", self.position)

    def pipeline_in(self, set_name: str) -> bool:
        return bool(self._opt(set_name, "pipeline", self.pipeline))


def _common_params(should_process: bool, module: str | None) -> list[P]:
    def pref(name: str, alias: str) -> P:
        return P(
            name, "enum", aliases=(alias,), values=ACTION_PREFERENCE, type_name=ACTION_PREFERENCE_TYPE, common=True
        )

    params = [
        P("Verbose", "switch", aliases=("vb",), common=True),
        P("Debug", "switch", aliases=("db",), common=True),
        pref("ErrorAction", "ea"),
        pref("WarningAction", "wa"),
        pref("InformationAction", "infa"),
        P("ErrorVariable", "string", aliases=("ev",), common=True),
        P("WarningVariable", "string", aliases=("wv",), common=True),
        P("InformationVariable", "string", aliases=("iv",), common=True),
        P("OutVariable", "string", aliases=("ov",), common=True),
        P("OutBuffer", "int32", aliases=("ob",), common=True),
        P("PipelineVariable", "string", aliases=("pv",), common=True),
        # ProgressAction is PowerShell 7.4+, kept because the brief asks for it; 5.1 would reject it.
        pref("ProgressAction", "proga"),
    ]
    if should_process:
        params += [
            P("WhatIf", "switch", aliases=("wi",), common=True),
            P("Confirm", "switch", aliases=("cf",), common=True),
        ]
    if module is not None and module.lower() == CM_MODULE:
        params += [P("DisableWildcardHandling", "switch"), P("ForceWildcardHandling", "switch")]
    return params


@dataclass
class CmdletSpec:
    name: str
    func: Callable[..., Any]
    params: list[P]
    module: str | None = None
    default_set: str | None = None
    impl_type: str = ""
    should_process: bool = False
    process_each: bool = True  # call once per pipeline input object with the pipeline parameter bound
    sets: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.impl_type:
            verb, _unused, noun = self.name.partition("-")
            self.impl_type = f"Microsoft.PowerShell.Commands.{verb}{noun.replace('-', '')}Command"
        declared: list[str] = []
        for p in self.params:
            for s in p.sets or ():
                if s not in declared:
                    declared.append(s)
        # A default set that no parameter names (Get-Module's "Loaded") still exists in PowerShell.
        if self.default_set and declared and self.default_set not in declared:
            declared.insert(0, self.default_set)
        self.sets = declared or [ALL_SETS]
        if self.default_set is None:
            self.default_set = self.sets[0] if len(self.sets) == 1 else None
        seen: set[str] = set()
        for p in self.params:
            for n in (p.name, *p.aliases):
                if n.lower() in seen:
                    raise ValueError(f"{self.name}: parameter name {n} defined twice")
                seen.add(n.lower())

    def fqid(self, error_id: str) -> str:
        return f"{error_id},{self.impl_type}"

    def param(self, name: str) -> P | None:
        return next((p for p in self.params if p.name.lower() == name.lower()), None)


class CmdletTable:
    """Cmdlets by case-insensitive name; module cmdlets are visible only once their module is imported."""

    def __init__(self) -> None:
        self._specs: dict[str, CmdletSpec] = {}

    def register(self, spec: CmdletSpec) -> None:
        self._specs[spec.name.lower()] = spec  # re-registering replaces (tests re-declare freely)

    def unregister(self, name: str) -> None:
        self._specs.pop(name.lower(), None)

    def lookup(self, name: str, imported_modules: Iterable[str] = ()) -> CmdletSpec | None:
        spec = self._specs.get(name.lower())
        if spec is None:
            return None
        if spec.module is not None and spec.module.lower() not in {m.lower() for m in imported_modules}:
            return None
        return spec

    def module_cmdlets(self, module: str) -> list[CmdletSpec]:
        return [s for s in self._specs.values() if s.module and s.module.lower() == module.lower()]

    def names(self) -> list[str]:
        return sorted(s.name for s in self._specs.values())


TABLE = CmdletTable()


def cmdlet(
    name: str,
    *,
    params: Iterable[P] = (),
    module: str | None = None,
    default_set: str | None = None,
    impl_type: str = "",
    should_process: bool = False,
    process_each: bool = True,
    table: CmdletTable | None = None,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Declare a cmdlet; the function gets ``(ctx: CallContext, args: BoundArgs)`` and returns/yields outputs."""

    def wrap(func: Callable[..., Any]) -> Callable[..., Any]:
        spec = CmdletSpec(
            name,
            func,
            list(params) + _common_params(should_process, module),
            module,
            default_set,
            impl_type,
            should_process,
            process_each,
        )
        (table or TABLE).register(spec)
        func.spec = spec  # type: ignore[attr-defined]
        return func

    return wrap
