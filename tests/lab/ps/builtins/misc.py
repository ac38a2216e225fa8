"""Get-Date, Get-CimInstance, Select-Object, Where-Object, Write-Output."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from tests.lab.ps.binder import BoundArgs
from tests.lab.ps.builtins.common import PS_ARGUMENT, has_wildcard, wildcard
from tests.lab.ps.context import CallContext
from tests.lab.ps.convert import CUSTOM_OBJECT, LabObject
from tests.lab.ps.spec import P, cmdlet

CIM = "Microsoft.Management.Infrastructure.CimInstance"
CIM_EXC = "Microsoft.Management.Infrastructure.CimException"
NET_FORMAT = [("yyyy", "%Y"), ("MM", "%m"), ("dd", "%d"), ("HH", "%H"), ("mm", "%M"), ("ss", "%S"), ("fff", "%f")]


def _format(value: datetime, fmt: str) -> str:
    if fmt in ("o", "O"):
        return value.strftime("%Y-%m-%dT%H:%M:%S.%f") + "0" + value.strftime("%z")[:3] + ":" + value.strftime("%z")[3:]
    if fmt == "s":
        return value.strftime("%Y-%m-%dT%H:%M:%S")
    out = fmt
    for net, py in NET_FORMAT:
        out = out.replace(net, py)
    text = value.strftime(out)
    return text.replace(value.strftime("%f"), value.strftime("%f")[:3]) if "%f" in out else text


@cmdlet(
    "Get-Date",
    default_set="net",
    params=[
        P("Date", "datetime", aliases=("LastWriteTime",), position=0, pipeline=True),
        P("Year", "int32"),
        P("Month", "int32"),
        P("Day", "int32"),
        P("Hour", "int32"),
        P("Minute", "int32"),
        P("Second", "int32"),
        P("Millisecond", "int32"),
        P(
            "DisplayHint",
            "enum",
            values=("Date", "Time", "DateTime"),
            type_name="Microsoft.PowerShell.Commands.DisplayHintType",
        ),
        P("Format", "string", sets={"net": {}}),
        P("UFormat", "string", sets={"UFormat": {"mandatory": True}}),
    ],
)
def get_date(ctx: CallContext, args: BoundArgs) -> Any:
    value = args.get("Date") or ctx.host.clock.now()
    for part in ("Year", "Month", "Day", "Hour", "Minute", "Second"):
        if part in args:
            value = value.replace(**{part.lower(): args[part]})
    if args.get("Format"):
        return _format(value, args["Format"])
    if args.get("UFormat"):
        return value.strftime(args["UFormat"])
    return value


def _cim(class_name: str, props: dict[str, Any], namespace: str = "root/cimv2") -> LabObject:
    return LabObject(
        [f"{CIM}#{namespace}/{class_name}", f"{CIM}#{class_name}", CIM, "System.Object"],
        props,
        class_name,
        adapted=True,
    )


def _builtin_instances(ctx: CallContext, class_name: str) -> list[LabObject] | None:
    host = ctx.host
    if class_name.lower() == "win32_computersystem":
        return [
            _cim(
                "Win32_ComputerSystem",
                {
                    "Name": host.netbios,
                    "Domain": host.dns_domain or "WORKGROUP",
                    "PartOfDomain": bool(host.dns_domain),
                    "DNSHostName": host.netbios.lower(),
                    "Manufacturer": "Microsoft Corporation",
                    "Model": "Virtual Machine",
                },
            )
        ]
    if class_name.lower() == "win32_operatingsystem":
        return [
            _cim(
                "Win32_OperatingSystem",
                {
                    "Caption": host.os_caption,
                    "Version": "10.0.20348",
                    "BuildNumber": "20348",
                    "CSName": host.netbios,
                    "LastBootUpTime": host.last_boot,
                    "LocalDateTime": host.clock.now(),
                    "OSArchitecture": "64-bit",
                },
            )
        ]
    return None


def _filter(objs: list[LabObject], text: str | None) -> list[LabObject]:
    """WQL filters of the form ``A = 'x' AND B = 2``; enough for the lab."""
    if not text:
        return objs
    clauses = [c.strip() for c in re.split(r"\s+and\s+", text, flags=re.I)]
    conds = []
    for clause in clauses:
        match = re.fullmatch(r"(\w+)\s*=\s*(?:'([^']*)'|\"([^\"]*)\"|(\S+))", clause)
        if match:
            conds.append((match.group(1), next(g for g in match.groups()[1:] if g is not None)))
    return [o for o in objs if all(str(o.get(k)).lower() == v.lower() for k, v in conds)]


@cmdlet(
    "Get-CimInstance",
    default_set="ClassNameComputerSet",
    impl_type="Microsoft.Management.Infrastructure.CimCmdlets.GetCimInstanceCommand",
    params=[
        P("ClassName", "string", sets={"ClassNameComputerSet": {"mandatory": True, "position": 0}}),
        P("Query", "string", sets={"QueryComputerSet": {"mandatory": True}}),
        P(
            "InputObject",
            "object",
            aliases=("CimInstance",),
            sets={"CimInstanceComputerSet": {"mandatory": True, "pipeline": True}},
        ),
        P("Namespace", "string"),
        P("Filter", "string"),
        P("Property", "string[]", aliases=("SelectProperties",)),
        P("ComputerName", "string[]", aliases=("CN", "ServerName")),
        P("KeyOnly", "switch"),
        P("Shallow", "switch"),
        P("OperationTimeoutSec", "uint32", aliases=("OT",)),
        P("QueryDialect", "string"),
        P("CimSession", "object[]"),
    ],
)
def get_cim_instance(ctx: CallContext, args: BoundArgs) -> Iterator[Any]:
    namespace = (args.get("Namespace") or "root\\cimv2").replace("/", "\\")
    class_name, where = args.get("ClassName"), args.get("Filter")
    if args.get("Query"):
        match = re.match(r"\s*select\s+.+?\s+from\s+(\w+)(?:\s+where\s+(.+))?$", args["Query"], re.I)
        class_name, where = (match.group(1), match.group(2)) if match else (args["Query"], None)
    hook = getattr(ctx.world, "cim_instances", None)
    found = hook(ctx, namespace, class_name) if hook is not None else None
    if found is None and namespace.lower() == "root\\cimv2":
        found = _builtin_instances(ctx, str(class_name))
    if found is None:
        code, text = (
            ("0x80041010", "Invalid class ")
            if namespace.lower() == "root\\cimv2"
            else ("0x8004100e", "Invalid namespace ")
        )
        ctx.write_error(ctx.error(text, "MetadataError", f"HRESULT {code}", CIM_EXC, target=class_name))
        return
    yield from _filter(list(found), where)


def _prop(obj: Any, name: str) -> tuple[bool, Any]:
    if isinstance(obj, LabObject):
        for key, value in obj.props.items():
            if key.lower() == name.lower():
                return True, value
        return False, None
    if isinstance(obj, dict):
        return next(((True, v) for k, v in obj.items() if str(k).lower() == name.lower()), (False, None))
    if isinstance(obj, str) and name.lower() == "length":
        return True, len(obj)
    return False, None


def _names(obj: Any, patterns: list[Any]) -> list[tuple[str, Any]]:
    out: list[tuple[str, Any]] = []
    for pattern in patterns:
        if isinstance(pattern, dict):  # @{Name='x'; Expression='Prop'} (string expressions only)
            label = next((v for k, v in pattern.items() if str(k).lower() in ("name", "n", "label", "l")), None)
            expr = next((v for k, v in pattern.items() if str(k).lower() in ("expression", "e")), None)
            out.append((str(label or expr), _prop(obj, str(expr))[1]))
            continue
        keys = list(obj.props) if isinstance(obj, LabObject) else list(obj) if isinstance(obj, dict) else []
        if has_wildcard(str(pattern)):
            out += [(k, _prop(obj, k)[1]) for k in keys if wildcard(str(pattern), k)]
        else:
            out.append((str(pattern), _prop(obj, str(pattern))[1]))
    return out


@cmdlet(
    "Select-Object",
    default_set="DefaultParameter",
    process_each=False,
    params=[
        P("InputObject", "object", pipeline=True),
        P("Property", "object[]", position=0, sets={"DefaultParameter": {}, "SkipLastParameter": {}}),
        P("ExcludeProperty", "string[]", sets={"DefaultParameter": {}, "SkipLastParameter": {}}),
        P("ExpandProperty", "string", sets={"DefaultParameter": {}, "SkipLastParameter": {}}),
        P("Unique", "switch"),
        P("Last", "int32", sets={"DefaultParameter": {}}),
        P("First", "int32", sets={"DefaultParameter": {}}),
        P("Skip", "int32", sets={"DefaultParameter": {}}),
        P("SkipLast", "int32", sets={"SkipLastParameter": {}}),
        P("Wait", "switch", sets={"DefaultParameter": {}, "IndexParameter": {}}),
        P("Index", "int32[]", sets={"IndexParameter": {}}),
    ],
)
def select_object(ctx: CallContext, args: BoundArgs) -> Iterator[Any]:
    items = list(ctx.input) if ctx.input else ([args["InputObject"]] if "InputObject" in args else [])
    items = items[args.get("Skip", 0) :]
    if "First" in args:
        items = items[: args["First"]]
    if "Last" in args:
        items = items[len(items) - args["Last"] :] if args["Last"] else []
    for obj in items:
        if args.get("Property"):
            props = dict(_names(obj, args["Property"]))
            names = (
                ["Selected." + t for t in obj.type_names[:1]] if isinstance(obj, LabObject) and obj.type_names else []
            )
            obj = LabObject(names + list(CUSTOM_OBJECT), props, None)
        if args.get("ExpandProperty"):
            found, value = _prop(obj, args["ExpandProperty"])
            if not found:
                ctx.write_error(
                    ctx.error(
                        f'Property "{args["ExpandProperty"]}" cannot be found.',
                        "InvalidArgument",
                        "ExpandPropertyNotFound",
                        PS_ARGUMENT,
                        target=obj,
                    )
                )
                continue
            yield from (value if isinstance(value, list) else [value])
            continue
        yield obj


# Where-Object's simplified syntax (PowerShell 3.0+): -Property <name> [-Value <object>] and one operator switch, each
# operator its own parameter set (EqualSet is the default). Only -EQ and -In are modelled; -FilterScript (a script
# block) is not: the lab runs no script text. Comparisons are case-insensitive, as PowerShell's for strings.
_WHERE_SETS = {"EqualSet": "EQ", "InSet": "In"}


@cmdlet(
    "Where-Object",
    default_set="EqualSet",
    process_each=False,
    params=[
        P("InputObject", "object", pipeline=True),
        P("Property", "string", position=0, sets={s: {"mandatory": True} for s in _WHERE_SETS}),
        P("Value", "object", position=1, sets={s: {} for s in _WHERE_SETS}),
        P("EQ", "switch", aliases=("IEQ",), sets={"EqualSet": {}}),
        P("In", "switch", aliases=("IIn",), sets={"InSet": {"mandatory": True}}),
    ],
)
def where_object(ctx: CallContext, args: BoundArgs) -> Iterator[Any]:
    items = list(ctx.input) if ctx.input else ([args["InputObject"]] if "InputObject" in args else [])
    wanted = args.get("Value")
    for obj in items:
        found, value = _prop(obj, args["Property"])
        if not found:
            continue
        if args.get("In"):
            choices = wanted if isinstance(wanted, list) else [] if wanted is None else [wanted]
            if any(str(value).lower() == str(c).lower() for c in choices):
                yield obj
        elif str(value).lower() == str(wanted).lower():
            yield obj


@cmdlet(
    "Write-Output",
    process_each=False,
    params=[P("InputObject", "object[]", mandatory=True, position=0, pipeline=True), P("NoEnumerate", "switch")],
)
def write_output(ctx: CallContext, args: BoundArgs) -> Iterator[Any]:
    if "InputObject" in args:
        if args.get("NoEnumerate"):
            yield [args["InputObject"]]
        else:
            yield from args["InputObject"]
    else:
        yield from ctx.input
