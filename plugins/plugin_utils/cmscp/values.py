"""Turn pypsrp's deserialized objects into plain Python values.

PSObject -> PSDict (a dict of its properties, with .type_names), enum -> its name, DateTime -> aware datetime,
lists/dicts recursively. pypsrp returns DateTime values as their round-trip text, so strings in exactly that
shape are parsed back (a plain string property never has that exact form in the ConfigMgr objects we read).
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from queue import Queue
from typing import Any

_DOTNET_DATETIME = re.compile(r"^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,7}))?(Z|[+-]\d{2}:\d{2})?$")

ERROR_CATEGORIES = (
    "NotSpecified",
    "OpenError",
    "CloseError",
    "DeviceError",
    "DeadlockDetected",
    "InvalidArgument",
    "InvalidData",
    "InvalidOperation",
    "InvalidResult",
    "InvalidType",
    "MetadataError",
    "NotImplemented",
    "NotInstalled",
    "ObjectNotFound",
    "OperationStopped",
    "OperationTimeout",
    "SyntaxError",
    "ParserError",
    "PermissionDenied",
    "ResourceBusy",
    "ResourceExists",
    "ResourceUnavailable",
    "ReadError",
    "WriteError",
    "FromStdErr",
    "SecurityError",
    "ProtocolError",
    "ConnectionError",
    "AuthenticationError",
    "LimitsExceeded",
    "QuotaExceeded",
    "NotEnabled",
)


class PSDict(dict[str, Any]):
    """The properties of a PSObject; `type_names` keeps its .NET type names (most specific first)."""

    type_names: tuple[str, ...] = ()
    raw: Any = None  # the pypsrp object, so it can be passed back as a parameter value

    def __init__(self, *args: Any, type_names: tuple[str, ...] = (), raw: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.type_names = tuple(type_names)
        self.raw = raw


def parse_datetime(text: str) -> datetime | None:
    """Parse .NET round-trip DateTime text; no offset (DateTimeKind Unspecified) is taken as UTC."""
    m = _DOTNET_DATETIME.match(text)
    if not m:
        return None
    year, month, day, hour, minute, second = (int(x) for x in m.groups()[:6])
    micro = int((m.group(7) or "0").ljust(6, "0")[:6])
    zone = m.group(8)
    if not zone or zone == "Z":
        tz = timezone.utc
    else:
        sign = 1 if zone[0] == "+" else -1
        tz = timezone(sign * timedelta(hours=int(zone[1:3]), minutes=int(zone[4:6])))
    try:
        return datetime(year, month, day, hour, minute, second, micro, tzinfo=tz)
    except ValueError:
        return None


def to_python(value: Any, _depth: int = 0) -> Any:
    """Convert one deserialized value (recursively)."""
    if _depth > 40:  # cyclic references (Ref ids) cannot go deeper than this in real data
        return str(value)
    if value is None or isinstance(value, (bool, int, float)):
        return value
    if isinstance(value, str):
        parsed = parse_datetime(value)
        return parsed if parsed is not None else value
    if isinstance(value, bytes):
        return value
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, dict):
        return {to_python(k, _depth + 1): to_python(v, _depth + 1) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_python(v, _depth + 1) for v in value]
    if isinstance(value, Queue):
        return [to_python(v, _depth + 1) for v in list(value.queue)]
    return _complex_to_python(value, _depth)


def _complex_to_python(value: Any, depth: int) -> Any:
    types = list(getattr(value, "types", None) or getattr(value, "_types", None) or [])
    if "System.Enum" in types:
        text = getattr(value, "to_string", None) or getattr(value, "_to_string", None)
        if text:
            return str(text)
        sets = getattr(value, "property_sets", None) or [getattr(value, "value", None)]
        return sets[0]
    adapted = getattr(value, "adapted_properties", None)
    extended = getattr(value, "extended_properties", None)
    if isinstance(adapted, dict) or isinstance(extended, dict):
        props = PSDict(type_names=tuple(types), raw=value)
        for source in (adapted or {}, extended or {}):
            for key, item in source.items():
                props[str(key)] = to_python(item, depth + 1)
        if props:
            return props
        sets = getattr(value, "property_sets", None) or []
        if sets:
            return to_python(sets[0], depth + 1)
        text = getattr(value, "to_string", None)
        return str(text) if text is not None else props
    text = getattr(value, "_to_string", None)
    return str(text) if text is not None else repr(value)


@dataclass
class ErrorInfo:
    """The parts of a PowerShell ErrorRecord that we report."""

    message: str
    category: str
    fully_qualified_error_id: str
    target: Any
    command: str | None
    script_position: str | None
    reason: str | None = None


def error_info(record: Any) -> ErrorInfo:
    """ErrorRecord (pypsrp ErrorRecord / ErrorRecordMessage) -> ErrorInfo."""
    message = _record_message(record)
    category_number = getattr(record, "category", None)
    if isinstance(category_number, int) and 0 <= category_number < len(ERROR_CATEGORIES):
        category = ERROR_CATEGORIES[category_number]
    else:
        category = str(category_number) if category_number is not None else "NotSpecified"
    target = getattr(record, "target_name", None)
    if not target:
        target_obj = getattr(record, "target_object", None)
        target = to_python(target_obj) if target_obj is not None else None
    command = (
        getattr(record, "invocation_name", None)
        or getattr(record, "command_name", None)
        or getattr(record, "activity", None)
    )
    return ErrorInfo(
        message=message,
        category=category,
        fully_qualified_error_id=str(getattr(record, "fq_error", None) or ""),
        target=target,
        command=command,
        script_position=getattr(record, "invocation_position_message", None),
        reason=getattr(record, "reason", None),
    )


def _record_message(record: Any) -> str:
    details = getattr(record, "details_message", None)
    if details:
        return str(details)
    exc = getattr(record, "exception", None)
    if exc is not None:
        for props in (getattr(exc, "adapted_properties", None), getattr(exc, "extended_properties", None)):
            if isinstance(props, dict) and props.get("Message"):
                return str(props["Message"])
    text = getattr(record, "_to_string", None)
    if text:
        return str(text)
    return str(getattr(record, "message", None) or "unknown error")
