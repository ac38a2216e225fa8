"""ErrorSpec (backend contract) -> psrpcore ErrorRecord."""

from __future__ import annotations

from psrpcore.types import ErrorCategory, ErrorCategoryInfo, ErrorRecord, NETException

from tests.lab.wsman.backend import ErrorSpec

# Base types Windows lists after the concrete exception type.
_BASES = {
    "System.Management.Automation": ["System.Management.Automation.RuntimeException", "System.SystemException"],
}


def exception_of(spec: ErrorSpec) -> NETException:
    exc = NETException(Message=spec.message, HResult=-2146233087)
    names = [spec.exception_type]
    for prefix, bases in _BASES.items():
        if spec.exception_type.startswith(prefix):
            names.extend(b for b in bases if b not in names)
    names.extend(n for n in ("System.Exception", "System.Object") if n not in names)
    exc.PSObject.type_names = names
    return exc


def category_info(spec: ErrorSpec) -> ErrorCategoryInfo:
    category = ErrorCategory.__members__.get(spec.category, ErrorCategory.NotSpecified)
    target_name = None if spec.target is None else str(spec.target)
    target_type = None if spec.target is None else _ps_type_name(spec.target)
    return ErrorCategoryInfo(
        Category=category,
        Activity=spec.activity,
        Reason=spec.reason or spec.exception_type.rsplit(".", 1)[-1],
        TargetName=target_name,
        TargetType=target_type,
    )


def _ps_type_name(value: object) -> str:
    names = getattr(getattr(value, "PSObject", None), "type_names", None)
    if names:
        return str(names[0]).rsplit(".", 1)[-1]
    return {str: "String", int: "Int32", bool: "Boolean", float: "Double"}.get(type(value), type(value).__name__)


def error_record(spec: ErrorSpec) -> ErrorRecord:
    return ErrorRecord(
        Exception=exception_of(spec),
        CategoryInfo=category_info(spec),
        TargetObject=spec.target,
        FullyQualifiedErrorId=spec.fqid,
    )
