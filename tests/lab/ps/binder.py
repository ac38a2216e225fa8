"""PowerShell's parameter binder, reduced to what structured (API) invocations exercise.

Name matching follows MergedCommandParameterMetadata.GetMatchingParameter (PowerShell/PowerShell):
exact name or alias first, then unique prefix over names and aliases, and when a prefix is ambiguous a
single cmdlet-declared match wins over common parameters. Messages: ParameterBinderStrings.resx.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from psrpcore.types import PSCredential, PSSecureString

from tests.lab.ps.convert import Credential, LabObject, from_ps
from tests.lab.ps.errors import PBE, fail
from tests.lab.ps.spec import CmdletSpec, P
from tests.lab.wsman.backend import TerminatingError

PBVE = "System.Management.Automation.ParameterBindingValidationException"
# An explicit $null argument (`-Name $null`, a splatted key whose value is $null). A plain None in ``parameters``
# means a bare parameter (no argument), as in the PSRP command metadata.
NULL = type("NullArgument", (), {"__repr__": lambda self: "$null"})()
INT_RANGES = {"int32": (-(2**31), 2**31 - 1), "uint32": (0, 2**32 - 1), "int64": (-(2**63), 2**63 - 1)}
INT_NAMES = {"int32": "Int32", "uint32": "UInt32", "int64": "Int64"}


@dataclass
class BoundArgs:
    set_name: str
    values: dict[str, Any] = field(default_factory=dict)  # canonical parameter name -> converted value

    def _key(self, name: str) -> str | None:
        return next((k for k in self.values if k.lower() == name.lower()), None)

    def __getitem__(self, name: str) -> Any:
        key = self._key(name)
        if key is None:
            raise KeyError(name)
        return self.values[key]

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self._key(name) is not None

    def __iter__(self) -> Iterator[str]:
        return iter(self.values)

    def get(self, name: str, default: Any = None) -> Any:
        key = self._key(name)
        return self.values[key] if key is not None else default

    def items(self) -> list[tuple[str, Any]]:
        return list(self.values.items())


class _Binding:
    """State of one bind() call."""

    def __init__(self, spec: CmdletSpec) -> None:
        self.spec = spec
        self.bound: dict[str, Any] = {}
        self.params: dict[str, P] = {}
        self.candidates: list[str] = list(spec.sets)

    def error(self, error_id: str, message: str, category: str = "InvalidArgument", exc: str = PBE) -> TerminatingError:
        return fail(message, category, self.spec.fqid(error_id), exc, activity=self.spec.name)

    def match(self, name: str) -> P:
        low = name.lower()
        for p in self.spec.params:
            if low == p.name.lower() or low in (a.lower() for a in p.aliases):
                return p
        hits: list[P] = []
        for p in self.spec.params:
            if p.name.lower().startswith(low) and p not in hits:
                hits.append(p)
        for p in self.spec.params:
            if any(a.lower().startswith(low) for a in p.aliases) and p not in hits:
                hits.append(p)
        if len(hits) > 1:
            declared = [p for p in hits if not p.common]
            if len(declared) == 1:
                return declared[0]
            names = "".join(f" -{p.name}" for p in hits)
            raise self.error(
                "AmbiguousParameter",
                f"Parameter cannot be processed because the parameter name '{name}' is "
                f"ambiguous. Possible matches include:{names}.",
            )
        if not hits:
            raise self.error(
                "NamedParameterNotFound", f"A parameter cannot be found that matches parameter name '{name}'."
            )
        return hits[0]

    def narrow(self, p: P) -> None:
        if p.sets is None:
            return
        left = [s for s in self.candidates if s in p.sets]
        if not left:
            raise self.ambiguous_set()
        self.candidates = left

    def ambiguous_set(self) -> TerminatingError:
        # 5.1 text; PowerShell 7 appends "One or few of the parameters ..." (ParameterBinderStrings.resx).
        return self.error(
            "AmbiguousParameterSet", "Parameter set cannot be resolved using the specified named parameters."
        )

    def add(self, p: P, raw: Any, bare: bool = False) -> None:
        if p.name in self.bound:
            raise self.error(
                "ParameterAlreadyBound",
                f"Cannot bind parameter because parameter '{p.name}' is specified more "
                "than once. To provide multiple values to parameters that can accept multiple values, use the "
                'array syntax. For example, "-parameter value1,value2,value3".',
            )
        self.bound[p.name] = self.convert(p, raw, bare)
        self.params[p.name] = p
        self.narrow(p)

    # -- conversion ---------------------------------------------------------------------------------------------
    def convert(self, p: P, raw: Any, bare: bool = False) -> Any:
        if p.type == "switch":
            return True if bare or raw is None else self.to_bool(p, raw)
        if raw is None:
            if bare:
                raise self.error(
                    "MissingArgument",
                    f"Missing an argument for parameter '{p.name}'. Specify a parameter of "
                    f"type '{p.net_type}' and try again.",
                )
            if any(p.mandatory_in(s) for s in self.spec.sets):
                raise self.error(
                    "ParameterArgumentValidationErrorNullNotAllowed",
                    f"Cannot bind argument to parameter '{p.name}' because it is null.",
                    "InvalidData",
                    PBVE,
                )
            return None
        if p.type in ("securestring", "pscredential"):
            return self.to_secret(p, raw)
        value = from_ps(raw)
        kind = p.type
        if kind == "byte[]":
            return self.to_bytes(p, value)
        if kind.endswith("[]"):
            items = value if isinstance(value, list) else [value]
            return [self.scalar(p, kind[:-2], v) for v in items]
        if isinstance(value, list) and kind not in ("object", "string"):
            if len(value) != 1:
                raise self.cannot_convert(
                    p, f'Cannot convert the "System.Object[]" value of type "System.Object[]" to type "{p.net_type}".'
                )
            value = value[0]
        return self.scalar(p, kind, value)

    def to_bytes(self, p: P, value: Any) -> bytes:
        """byte[]: a byte array as sent (CLIXML <BA>), or a list of integers 0..255."""
        if isinstance(value, (bytes, bytearray)):
            return bytes(value)
        items = value if isinstance(value, list) else [value]
        if all(isinstance(v, int) and not isinstance(v, bool) and 0 <= v <= 255 for v in items):
            return bytes(items)
        raise self.cannot_convert(p, f'Cannot convert the "{_text(value)}" value to type "System.Byte[]".')

    def cannot_convert(self, p: P, detail: str) -> TerminatingError:
        return self.error("CannotConvertArgumentNoMessage", f"Cannot bind parameter '{p.name}'. {detail}")

    def conv_failed(self, p: P, value: Any, net_type: str, why: str) -> TerminatingError:
        return self.cannot_convert(p, f'Cannot convert value "{_text(value)}" to type "{net_type}". Error: "{why}"')

    def scalar(self, p: P, kind: str, value: Any) -> Any:
        if kind == "object":
            return self.require_live(p, value) if p.live_type else value
        if kind == "string":
            text = " ".join(_text(v) for v in value) if isinstance(value, list) else _text(value)
            return self.validate_set(p, text) if p.values else text
        if kind in INT_RANGES:
            return self.to_int(p, kind, value)
        if kind == "bool":
            return self.to_bool(p, value)
        if kind == "enum":
            return self.to_enum(p, value)
        if kind == "datetime":
            return self.to_datetime(p, value)
        if kind == "timespan":
            return self.to_timespan(p, value)
        if kind == "hashtable":
            if not isinstance(value, dict):
                raise self.cannot_convert(
                    p,
                    f'Cannot convert the "{_text(value)}" value of type '
                    f'"{_net_of(value)}" to type "System.Collections.Hashtable".',
                )
            return value
        return _text(value)  # uri, scriptblock

    def require_live(self, p: P, value: Any) -> Any:
        """A live-typed parameter takes only a live object of that type. A Deserialized.* property bag (what a client
        sends back after reading an object over remoting) is not converted to the live type: PowerShell fails with
        ExtendedTypeSystem's InvalidCastException text inside CannotConvertArgumentNoMessage, as for any value that
        is not of the type (remoting serialization: live objects come back as property bags)."""
        want = p.live_type or ""
        if isinstance(value, LabObject) and not value.deserialized and want in value.type_names:
            return value
        raise self.cannot_convert(
            p, f'Cannot convert the "{_text(value)}" value of type "{_type_of(value)}" to type "{want}".'
        )

    def validate_set(self, p: P, value: str) -> str:
        if p.values and value.lower() not in (v.lower() for v in p.values):
            raise self.error(
                "ParameterArgumentValidationError",
                f"Cannot validate argument on parameter '{p.name}'. The argument \"{value}\" does not belong to "
                f'the set "{",".join(p.values)}" specified by the ValidateSet attribute. Supply an argument '
                "that is in the set and then try the command again.",
                "InvalidData",
                PBVE,
            )
        return value

    def to_int(self, p: P, kind: str, value: Any) -> int:
        low, high = INT_RANGES[kind]
        net = f"System.{INT_NAMES[kind]}"
        if isinstance(value, bool):
            number = int(value)
        elif isinstance(value, int):
            number = value
        elif isinstance(value, float) and value.is_integer():
            number = int(value)
        else:
            text = _text(value).strip()
            if not re.fullmatch(r"[+-]?\d+", text):
                raise self.conv_failed(p, value, net, "Input string was not in a correct format.")
            number = int(text)
        if not low <= number <= high:
            raise self.conv_failed(p, value, net, f"Value was either too large or too small for an {INT_NAMES[kind]}.")
        return number

    def to_bool(self, p: P, value: Any) -> bool:
        if isinstance(value, (bool, int)):
            return bool(value)
        text = _text(value).strip().lower()
        if text in ("true", "$true", "1"):
            return True
        if text in ("false", "$false", "0"):
            return False
        raise self.cannot_convert(
            p,
            f'Cannot convert value "{_net_of(value)}" to type "System.Boolean". '
            "Boolean parameters accept only Boolean values and numbers, such as $True, $False, 1 or 0.",
        )

    def to_enum(self, p: P, value: Any) -> str:
        text = _text(value).strip()
        for v in p.values or ():
            if v.lower() == text.lower():
                return v
        if isinstance(value, int) and not isinstance(value, bool) and p.values and 0 <= value < len(p.values):
            return p.values[value]
        if p.type_name is None:  # a string with a set of values: ValidateSet
            return self.validate_set(p, text)
        # .NET Framework's Enum.Parse text; 5.1 puts a CRLF before the list.
        names = ", ".join(p.values or ())
        raise self.conv_failed(
            p,
            text,
            p.net_type,
            f"Unable to match the identifier name {text} to a valid enumerator "
            f"name. Specify one of the following enumerator names and try again:\r\n{names}",
        )

    def to_datetime(self, p: P, value: Any) -> dt.datetime:
        if isinstance(value, dt.datetime):
            return value
        text = _text(value).strip()
        try:
            return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            raise self.conv_failed(
                p, value, "System.DateTime", "String was not recognized as a valid DateTime."
            ) from None

    def to_timespan(self, p: P, value: Any) -> dt.timedelta:
        if isinstance(value, dt.timedelta):
            return value
        if isinstance(value, int) and not isinstance(value, bool):
            return dt.timedelta(microseconds=value / 10)  # an Int64 becomes ticks
        match = re.fullmatch(r"(?:(\d+)\.)?(\d+):(\d+)(?::(\d+))?", _text(value).strip())
        if not match:
            raise self.conv_failed(p, value, "System.TimeSpan", "String was not recognized as a valid TimeSpan.")
        days, hours, minutes, seconds = (int(g or 0) for g in match.groups())
        return dt.timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)

    def to_secret(self, p: P, raw: Any) -> Any:
        if p.type == "securestring" and isinstance(raw, PSSecureString):
            return str(raw.decrypt())
        if p.type == "pscredential":
            if isinstance(raw, (PSCredential, Credential)):
                return from_ps(raw)
            obj = from_ps(raw)
            if isinstance(obj, LabObject) and obj.get("UserName") is not None:
                return Credential(str(obj.get("UserName")), str(obj.get("Password") or ""))
        value = from_ps(raw)
        raise self.cannot_convert(
            p, f'Cannot convert the "{_text(value)}" value of type "{_net_of(value)}" to type "{p.net_type}".'
        )

    # -- positional and parameter-set resolution ----------------------------------------------------------------
    def bind_positional(self, args: list[Any]) -> None:
        positions: dict[int, list[P]] = {}
        for p in self.spec.params:
            if p.name in self.bound or p.type == "switch":
                continue
            for s in self.candidates:
                pos = p.position_in(s) if p.in_set(s) else None
                if pos is not None and p not in positions.setdefault(pos, []):
                    positions[pos].append(p)
        index = 0
        for pos in sorted(positions):
            if index >= len(args):
                break
            fits = [
                p
                for p in positions[pos]
                if p.name not in self.bound and any(p.in_set(s) and p.position_in(s) == pos for s in self.candidates)
            ]
            if not fits:
                continue
            preferred = [
                p
                for p in fits
                if self.spec.default_set
                and p.in_set(self.spec.default_set)
                and self.spec.default_set in self.candidates
            ]
            chosen = (preferred or fits)[0]
            self.add(chosen, args[index])
            if chosen.sets is not None:
                self.candidates = [s for s in self.candidates if chosen.position_in(s) == pos and chosen.in_set(s)]
            index += 1
        if index < len(args):
            raise self.error(
                "PositionalParameterNotFound",
                f"A positional parameter cannot be found that accepts argument '{_text(from_ps(args[index]))}'.",
            )

    def missing(self, set_name: str, has_input: bool) -> list[str]:
        return [
            p.name
            for p in self.spec.params
            if p.in_set(set_name)
            and p.mandatory_in(set_name)
            and p.name not in self.bound
            and not (has_input and p.pipeline_in(set_name))
        ]

    def choose_set(self, has_input: bool, sample: Any = None) -> str:
        cands = list(self.candidates)
        if has_input and not any(self.params[n].pipeline for n in self.bound):
            with_pipe = [
                s
                for s in cands
                if any(p.pipeline_in(s) and p.in_set(s) and p.name not in self.bound for p in self.spec.params)
            ]
            cands = with_pipe or cands
            # Like PowerShell's first pipeline pass (no type coercion): an object goes to an object parameter.
            want_object = isinstance(sample, (LabObject, dict))
            typed = [
                s
                for s in cands
                if any(
                    p.pipeline_in(s)
                    and p.in_set(s)
                    and p.name not in self.bound
                    and p.type.startswith("object") == want_object
                    for p in self.spec.params
                )
            ]
            cands = typed or cands
        if len(cands) == 1:
            return cands[0]
        satisfied = [s for s in cands if not self.missing(s, has_input)]
        if len(satisfied) == 1:
            return satisfied[0]
        default = self.spec.default_set
        if default in (satisfied or cands):
            return default
        raise self.ambiguous_set()


def bind(
    spec: CmdletSpec, parameters: list[tuple[str | None, Any]], has_input: bool = False, sample: Any = None
) -> BoundArgs:
    """Bind ``parameters`` (name None = positional, value None = bare) or raise TerminatingError.

    ``has_input``: pipeline input exists (pipeline parameters count as supplied); ``sample``: the first input object.
    """
    state = _Binding(spec)
    positional: list[Any] = []
    for name, value in parameters:
        if name is None:
            positional.append(value)
            continue
        text = str(name).lstrip("-").rstrip(":")
        if value is NULL:
            state.add(state.match(text), None)
        else:
            state.add(state.match(text), value, bare=value is None)
    state.bind_positional(positional)
    set_name = state.choose_set(has_input, sample)
    missing = state.missing(set_name, has_input)
    if missing:
        names = "".join(f" {n}" for n in missing)
        raise state.error(
            "MissingMandatoryParameter",
            f"Cannot process command because of one or more missing mandatory parameters:{names}.",
        )
    return BoundArgs(set_name, dict(state.bound))


def pipeline_param(spec: CmdletSpec, args: BoundArgs) -> P | None:
    """The parameter that takes pipeline input in the chosen set, unless it was bound by name."""
    for p in spec.params:
        if p.in_set(args.set_name) and p.pipeline_in(args.set_name) and p.name not in args:
            return p
    return None


def bind_input(spec: CmdletSpec, args: BoundArgs, p: P, obj: Any) -> BoundArgs:
    """A copy of ``args`` with pipeline object ``obj`` bound to ``p`` (converted like a named argument)."""
    state = _Binding(spec)
    values = dict(args.values)
    values[p.name] = state.convert(p, obj)
    return BoundArgs(args.set_name, values)


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "True" if value else "False"
    if isinstance(value, list):
        return "System.Object[]"
    if value is None:
        return ""
    return str(value)


def _type_of(value: Any) -> str:
    """The type PowerShell names in a conversion error: an object's first type name (``Deserialized.`` kept)."""
    if isinstance(value, LabObject):
        return value.ps_type_name
    if isinstance(value, list):
        return "System.Object[]"
    if isinstance(value, dict):
        return "System.Collections.Hashtable"
    return _net_of(value)


def _net_of(value: Any) -> str:
    if isinstance(value, bool):
        return "System.Boolean"
    if isinstance(value, int):
        return "System.Int32"
    if isinstance(value, str):
        return "System.String"
    if isinstance(value, LabObject) and value.type_names:
        return value.type_names[0]
    return "System.Object"
