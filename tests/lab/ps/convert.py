"""Values between the lab's plain Python world and psrpcore objects."""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass, field
from typing import Any, cast

from psrpcore.types import (
    PSCredential,
    PSDouble,
    PSEnumBase,
    PSNoteProperty,
    PSObject,
    PSSecureString,
    PSType,
    add_note_property,
)


@dataclass
class LabObject:
    """An output object: ``type_names`` most-derived first, ``props`` in display order.

    ``adapted=True`` sends the props as .NET (adapted) properties, as Windows does for real .NET types;
    otherwise they are note properties (a PSCustomObject).

    ``deserialized=True``: the object came from a client (its wire type names had the ``Deserialized.`` prefix,
    which ``type_names`` no longer carries, so ordinary type matching works). It is a property bag: the binder
    refuses it for a parameter typed with a live .NET type (spec.P.live_type), as PowerShell does. Objects the
    lab's own cmdlets create are live (False).
    """

    type_names: list[str]
    props: dict[str, Any] = field(default_factory=dict)
    to_string: str | None = None
    adapted: bool = False
    deserialized: bool = field(default=False, compare=False)

    @property
    def ps_type_name(self) -> str:
        """The first type name as PowerShell shows it (``Deserialized.`` prefix for a property bag)."""
        first = self.type_names[0] if self.type_names else "System.Management.Automation.PSCustomObject"
        return f"{DESERIALIZED}{first}" if self.deserialized else first

    def __getitem__(self, name: str) -> Any:
        for key, value in self.props.items():
            if key.lower() == name.lower():
                return value
        raise KeyError(name)

    def get(self, name: str, default: Any = None) -> Any:
        try:
            return self[name]
        except KeyError:
            return default

    def __str__(self) -> str:
        return self.to_string if self.to_string is not None else (self.type_names[0] if self.type_names else "")


@dataclass(frozen=True)
class LabEnum:
    """A .NET enum value; serialized like Windows does (I32 + type names + ToString = member name)."""

    type_name: str
    name: str
    value: int

    def __str__(self) -> str:
        return self.name


@dataclass
class Credential:
    """A PSCredential parameter value after binding."""

    username: str
    password: str

    def __repr__(self) -> str:
        return f"Credential({self.username!r}, '********')"


CUSTOM_OBJECT = ["System.Management.Automation.PSCustomObject", "System.Object"]
DESERIALIZED = "Deserialized."
_ENUM_CLASSES: dict[tuple[str, str, int], type[PSEnumBase]] = {}


def _enum_class(name: str, members: dict[str, int]) -> type[PSEnumBase]:
    """A PSEnumBase subclass made at run time: Enum's functional API, which mypy types only for literal arguments,
    hence the cast of what EnumMeta.__call__ returns (type[Enum])."""
    return cast("type[PSEnumBase]", enum.EnumMeta.__call__(PSEnumBase, name, members))


def _enum_value(value: LabEnum) -> Any:
    key = (value.type_name, value.name, value.value)
    cls = _ENUM_CLASSES.get(key)
    if cls is None:
        # rehydrate=False: an in-process pypsrp client must see what it would see from Windows, not this class.
        cls = PSType([value.type_name], rehydrate=False)(
            _enum_class(value.type_name.rsplit(".", 1)[-1], {value.name: value.value})
        )
        _ENUM_CLASSES[key] = cls
    return cls[value.name]


def to_ps(value: Any) -> Any:
    """Lab value -> something psrpcore serializes the way Windows would."""
    if value is None or isinstance(value, (bool, str, int, bytes, dt.datetime, dt.timedelta, PSObject)):
        return value
    if isinstance(value, float):
        return PSDouble(value)  # psrpcore would send a bare float as Single
    if isinstance(value, LabEnum):
        return _enum_value(value)
    if isinstance(value, LabObject):
        obj = PSObject()
        # Every .NET object derives from System.Object and Windows lists it last; clients fall back on it.
        names = list(value.type_names)
        if not names or names[-1] != "System.Object":
            names.append("System.Object")
        obj.PSObject.type_names = names
        for name, prop in value.props.items():
            if value.adapted:
                obj.PSObject.adapted_properties.append(PSNoteProperty(name, to_ps(prop)))
            else:
                add_note_property(obj, name, to_ps(prop))
        if value.to_string is not None:  # None: psrpcore's default (its setter takes a str)
            obj.PSObject.to_string = value.to_string
        return obj
    if isinstance(value, (list, tuple, set)):
        return [to_ps(v) for v in value]
    if isinstance(value, dict):
        return {k: to_ps(v) for k, v in value.items()}
    if isinstance(value, Credential):
        return PSCredential(UserName=value.username, Password=PSSecureString(value.password))
    return str(value)


def _props(obj: PSObject) -> dict[str, Any]:
    meta = obj.PSObject
    out: dict[str, Any] = {}
    for prop in list(meta.adapted_properties) + list(meta.extended_properties):
        out[prop.name] = from_ps(prop.get_value(obj))
    return out


def from_ps(value: Any) -> Any:
    """Incoming psrpcore value -> plain Python (LabObject for complex objects; secure strings decrypted)."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, PSSecureString):
        return str(value.decrypt())
    if isinstance(value, PSCredential):
        password = value.Password
        return Credential(
            str(value.UserName), str(password.decrypt()) if isinstance(password, PSSecureString) else str(password)
        )
    if isinstance(value, str):
        return str(value)
    if isinstance(value, int) and not isinstance(value, PSObject):
        return value
    if isinstance(value, PSObject) and isinstance(value, int):
        text = value.PSObject.to_string
        names = [t.removeprefix("Deserialized.") for t in value.PSObject.type_names]
        if text is not None and "System.Enum" in names:
            return LabEnum(names[0], str(text), int(value))
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, dt.datetime):
        return dt.datetime(
            value.year,
            value.month,
            value.day,
            value.hour,
            value.minute,
            value.second,
            value.microsecond,
            tzinfo=value.tzinfo,
        )
    if isinstance(value, dt.timedelta):
        return dt.timedelta(seconds=value.total_seconds())
    if isinstance(value, bytes):
        return bytes(value)
    if isinstance(value, dict):
        return {from_ps(k): from_ps(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [from_ps(v) for v in value]
    if isinstance(value, PSObject):
        wire = list(value.PSObject.type_names)
        return LabObject(
            [_undeserialized(t) for t in wire],
            _props(value),
            value.PSObject.to_string,
            deserialized=any(t.startswith(DESERIALIZED) for t in wire),
        )
    return value


def _undeserialized(type_name: str) -> str:
    while type_name.startswith(DESERIALIZED):  # a bag sent back and forth may carry the prefix more than once
        type_name = type_name[len(DESERIALIZED) :]
    return type_name
