"""Item and item-property cmdlets over the registry, file system and Env: drive."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from tests.lab.ps.binder import BoundArgs
from tests.lab.ps.builtins.common import (
    PS_ARGUMENT,
    file_obj,
    has_wildcard,
    path_not_found,
    ps_props,
    reg_coerce,
    reg_drive,
    reg_key_obj,
    reg_value_kind,
    resolve_path,
    wildcard,
)
from tests.lab.ps.builtins.unc import place
from tests.lab.ps.context import CallContext
from tests.lab.ps.convert import CUSTOM_OBJECT, LabObject
from tests.lab.ps.paths import Resolved
from tests.lab.ps.spec import P, cmdlet
from tests.lab.windows.registry import RegKey
from tests.lab.wsman.backend import TerminatingError

REG_KINDS = ("String", "ExpandString", "Binary", "DWord", "MultiString", "QWord", "Unknown", "None")


def path_params(pipeline: bool = True, position: int = 0, mandatory: bool = True) -> list[P]:
    return [
        P("Path", "string[]", sets={"Path": {"mandatory": mandatory, "position": position, "pipeline": pipeline}}),
        P("LiteralPath", "string[]", aliases=("PSPath",), sets={"LiteralPath": {"mandatory": True}}),
    ]


FILTERS = [
    P("Filter", "string"),
    P("Include", "string[]"),
    P("Exclude", "string[]"),
    P("Credential", "pscredential"),
    P("UseTransaction", "switch", aliases=("usetx",)),
]


def _paths(ctx: CallContext, args: BoundArgs) -> Iterator[Resolved]:
    for path in args.get("Path") or args.get("LiteralPath") or [ctx.state.location]:
        try:
            yield resolve_path(ctx, path)
        except TerminatingError as exc:  # missing drive: non-terminating for item cmdlets
            ctx.write_error(exc.spec)


def _key(ctx: CallContext, where: Resolved) -> RegKey | None:
    key = ctx.host.registry.get_key(where.provider_path)
    if key is None:
        path_not_found(ctx, where.display)
    return key


@cmdlet(
    "Test-Path",
    default_set="Path",
    params=path_params()
    + [
        P(
            "PathType",
            "enum",
            aliases=("Type",),
            values=("Any", "Container", "Leaf"),
            type_name="Microsoft.PowerShell.Commands.TestPathType",
        ),
        P("IsValid", "switch"),
        P("OlderThan", "datetime"),
        P("NewerThan", "datetime"),
    ]
    + FILTERS,
)
def test_path(ctx: CallContext, args: BoundArgs) -> Iterator[bool]:
    kind = args.get("PathType", "Any")
    for path in args.get("Path") or args.get("LiteralPath"):
        try:
            where = resolve_path(ctx, path)
        except TerminatingError:
            yield False
            continue
        container, leaf = _probe(ctx, where)
        yield {"Any": container or leaf, "Container": container, "Leaf": leaf}[kind]


def _probe(ctx: CallContext, where: Resolved) -> tuple[bool, bool]:
    """(is an existing container, is an existing leaf)."""
    if where.provider == "Registry":
        return ctx.host.registry.get_key(where.provider_path) is not None, False
    if where.provider == "FileSystem":
        try:
            found = place(ctx, where.provider_path, ctx.spec.name)
        except TerminatingError:  # an unknown share, a second hop: Test-Path says False
            return False, False
        files = found.files
        return files.is_dir(found.path), files.exists(found.path) and not files.is_dir(found.path)
    if where.provider == "Environment":
        return where.provider_path == "", where.provider_path != "" and ctx.host.getenv(where.provider_path) is not None
    return where.provider_path == "", where.provider_path != ""


def _env_obj(name: str, value: str) -> LabObject:
    return LabObject(
        ["System.Collections.DictionaryEntry", "System.ValueType", "System.Object"],
        {"Name": name, "Key": name, "Value": value},
        "System.Collections.DictionaryEntry",
    )


@cmdlet(
    "Get-Item", default_set="Path", params=path_params() + [P("Force", "switch"), P("Stream", "string[]")] + FILTERS
)
def get_item(ctx: CallContext, args: BoundArgs) -> Iterator[Any]:
    for where in _paths(ctx, args):
        if where.provider == "Registry":
            key = _key(ctx, where)
            if key is not None:
                yield reg_key_obj(ctx, key)
        elif where.provider == "FileSystem":
            obj = file_obj(ctx, where.provider_path)
            if obj is None:
                path_not_found(ctx, where.provider_path)
            else:
                yield obj
        elif where.provider == "Environment":
            value = ctx.host.getenv(where.provider_path)
            if value is None:
                path_not_found(ctx, where.display)
            else:
                yield _env_obj(ctx.host.env.canonical(where.provider_path) or where.provider_path, value)


@cmdlet(
    "Get-ChildItem",
    default_set="Items",
    params=[
        P("Path", "string[]", sets={"Items": {"position": 0, "pipeline": True}}),
        P("LiteralPath", "string[]", aliases=("PSPath",), sets={"LiteralItems": {"mandatory": True}}),
        P("Filter", "string", position=1),
        P("Include", "string[]"),
        P("Exclude", "string[]"),
        P("Recurse", "switch", aliases=("s",)),
        P("Depth", "uint32"),
        P("Force", "switch"),
        P("Name", "switch"),
        P("File", "switch"),
        P("Directory", "switch", aliases=("ad", "d")),
        P("Hidden", "switch"),
        P("ReadOnly", "switch"),
        P("System", "switch"),
        P("Attributes", "string"),
        P("UseTransaction", "switch", aliases=("usetx",)),
    ],
)
def get_child_item(ctx: CallContext, args: BoundArgs) -> Iterator[Any]:
    pattern = args.get("Filter") or "*"
    for where in _paths(ctx, args):
        if where.provider == "Registry":
            yield from _reg_children(ctx, where, pattern, bool(args.get("Recurse")))
        elif where.provider == "FileSystem":
            if not ctx.host.files.exists(where.provider_path):
                path_not_found(ctx, where.provider_path)
                continue
            yield from _file_children(ctx, where.provider_path, pattern, args)
        elif where.provider == "Environment":
            for name, value in sorted(ctx.host.env.items(), key=lambda kv: kv[0].lower()):
                if wildcard(pattern, name):
                    yield _env_obj(name, value)


def _reg_children(ctx: CallContext, where: Resolved, pattern: str, recurse: bool) -> Iterator[Any]:
    key = _key(ctx, where)
    pending = [key] if key is not None else []
    while pending:
        current = pending.pop(0)
        for child in current.children.values():
            if wildcard(pattern, child.name):
                yield reg_key_obj(ctx, child)
            if recurse:
                pending.append(child)


def _file_children(ctx: CallContext, path: str, pattern: str, args: BoundArgs) -> Iterator[Any]:
    files = ctx.host.files
    if not files.is_dir(path):
        yield file_obj(ctx, path)
        return
    for info in files.list(path):
        wanted = not (args.get("File") and info.is_dir) and not (args.get("Directory") and not info.is_dir)
        if wanted and wildcard(pattern, info.name):
            yield info.name if args.get("Name") else file_obj(ctx, info.full_name)
        if info.is_dir and args.get("Recurse"):
            yield from _file_children(ctx, info.full_name, pattern, args)


def _property_missing(ctx: CallContext, name: str, key: RegKey) -> None:
    ctx.write_error(
        ctx.error(
            f"Property {name} does not exist at path {key.path}.",
            "InvalidArgument",
            PS_ARGUMENT,
            PS_ARGUMENT,
            target=name,
        )
    )


def _values_obj(ctx: CallContext, key: RegKey, names: list[str] | None) -> LabObject | None:
    props: dict[str, Any] = {}
    for value_name, (value, _kind) in key.values.items():
        if names is None or any(wildcard(n, value_name or "(default)") for n in names):
            props[value_name or "(default)"] = value
    if names is not None:
        for n in names:
            if not has_wildcard(n) and n.lower() not in (p.lower() for p in props):
                _property_missing(ctx, n, key)
        if not props:
            return None
    props.update(ps_props("Registry", key.path, reg_drive(ctx, key.path)))
    return LabObject(list(CUSTOM_OBJECT), props, None)


@cmdlet(
    "Get-ItemProperty",
    default_set="Path",
    params=path_params() + [P("Name", "string[]", aliases=("PSProperty",), position=1)] + FILTERS,
)
def get_item_property(ctx: CallContext, args: BoundArgs) -> Iterator[Any]:
    for where in _paths(ctx, args):
        if where.provider == "Registry":
            key = _key(ctx, where)
            obj = _values_obj(ctx, key, args.get("Name")) if key is not None else None
            if obj is not None:
                yield obj
        elif where.provider == "FileSystem":
            obj = file_obj(ctx, where.provider_path)
            if obj is None:
                path_not_found(ctx, where.provider_path)
            else:
                yield obj


@cmdlet(
    "Get-ItemPropertyValue",
    default_set="Path",
    params=[
        P("Path", "string[]", sets={"Path": {"position": 0, "pipeline": True}}),
        P("LiteralPath", "string[]", aliases=("PSPath",), sets={"LiteralPath": {"mandatory": True}}),
        P("Name", "string[]", aliases=("PSProperty",), mandatory=True, position=1),
    ]
    + FILTERS,
)
def get_item_property_value(ctx: CallContext, args: BoundArgs) -> Iterator[Any]:
    for where in _paths(ctx, args):
        if where.provider != "Registry":
            continue
        key = _key(ctx, where)
        if key is None:
            continue
        for name in args["Name"]:
            hit = key.values.get("" if name == "(default)" else name)
            if hit is None:
                _property_missing(ctx, name, key)
            else:
                yield hit[0]


def _write_value(ctx: CallContext, where: Resolved, name: str, value: Any, kind: str | None) -> RegKey | None:
    key = _key(ctx, where)
    if key is None:
        return None
    existing = key.values.get(name)
    kind = reg_value_kind(value, kind or (existing[1] if existing else None))
    if not ctx.whatif:
        ctx.host.registry.set_value(key.path, "" if name == "(default)" else name, reg_coerce(value, kind), kind)
    return key


@cmdlet(
    "Set-ItemProperty",
    default_set="propertyValuePathSet",
    should_process=True,
    params=[
        P("Path", "string[]", sets={"propertyValuePathSet": {"mandatory": True, "position": 0, "pipeline": True}}),
        P("LiteralPath", "string[]", aliases=("PSPath",), sets={"propertyValueLiteralPathSet": {"mandatory": True}}),
        P("Name", "string", aliases=("PSProperty",), mandatory=True, position=1),
        P("Value", "object", position=2, pipeline=True),
        P("Type", "enum", values=REG_KINDS, type_name="Microsoft.Win32.RegistryValueKind"),
        P("PassThru", "switch"),
        P("Force", "switch"),
    ]
    + FILTERS,
)
def set_item_property(ctx: CallContext, args: BoundArgs) -> Iterator[Any]:
    for where in _paths(ctx, args):
        if where.provider != "Registry":
            continue
        key = _write_value(ctx, where, args["Name"], args.get("Value"), args.get("Type"))
        if key is not None and args.get("PassThru"):
            obj = _values_obj(ctx, key, [args["Name"]])
            if obj is not None:
                yield obj


@cmdlet(
    "New-ItemProperty",
    default_set="Path",
    should_process=True,
    params=path_params(pipeline=True)
    + [
        P("Name", "string", aliases=("PSProperty",), mandatory=True),
        P("PropertyType", "string", aliases=("Type",)),
        P("Value", "object"),
        P("Force", "switch"),
    ]
    + FILTERS,
)
def new_item_property(ctx: CallContext, args: BoundArgs) -> Iterator[Any]:
    for where in _paths(ctx, args):
        if where.provider != "Registry":
            continue
        key = ctx.host.registry.get_key(where.provider_path)
        if key is not None and args["Name"] in key.values and not args.get("Force"):
            ctx.write_error(
                ctx.error(
                    "The property already exists.",
                    "ResourceExists",
                    "System.IO.IOException",
                    "System.IO.IOException",
                    target=where.display,
                )
            )
            continue
        kind = args.get("PropertyType")
        canonical = next((k for k in REG_KINDS if kind and k.lower() == kind.lower()), None)
        key = _write_value(ctx, where, args["Name"], args.get("Value"), canonical)
        if key is not None:
            obj = _values_obj(ctx, key, [args["Name"]])
            if obj is not None:
                yield obj


@cmdlet(
    "Remove-Item",
    default_set="Path",
    should_process=True,
    params=path_params(pipeline=True)
    + [P("Recurse", "switch"), P("Force", "switch"), P("Stream", "string[]")]
    + FILTERS,
)
def remove_item(ctx: CallContext, args: BoundArgs) -> Iterator[Any]:
    """Deletes files, folders (a non-empty one needs -Recurse) and registry keys; a missing item is a non-terminating
    error (PathNotFound), as in PowerShell."""
    for where in _paths(ctx, args):
        if where.provider == "Registry":
            if _key(ctx, where) is not None and not ctx.whatif:
                ctx.host.registry.delete_key(where.provider_path, recurse=bool(args.get("Recurse")))
            continue
        if where.provider != "FileSystem":
            continue
        files = ctx.host.files
        if not files.exists(where.provider_path):
            path_not_found(ctx, where.provider_path)
            continue
        if files.is_dir(where.provider_path) and files.list(where.provider_path) and not args.get("Recurse"):
            ctx.write_error(
                ctx.error(
                    f"The item at {where.provider_path} has children and the Recurse parameter was not specified.",
                    "WriteError",
                    "DirectoryNotEmpty",
                    "System.IO.IOException",
                    target=where.provider_path,
                )
            )
            continue
        if not ctx.whatif:
            files.remove(where.provider_path)
    return iter(())


@cmdlet(
    "Remove-ItemProperty",
    default_set="Path",
    should_process=True,
    params=path_params(pipeline=True)
    + [P("Name", "string[]", aliases=("PSProperty",), mandatory=True, position=1), P("Force", "switch")]
    + FILTERS,
)
def remove_item_property(ctx: CallContext, args: BoundArgs) -> Iterator[Any]:
    """Deletes registry values; a value that does not exist is a non-terminating error, as in PowerShell."""
    for where in _paths(ctx, args):
        if where.provider != "Registry":
            continue
        key = _key(ctx, where)
        if key is None:
            continue
        for name in args["Name"]:
            if name not in key.values:
                ctx.write_error(
                    ctx.error(
                        f"Property {name} does not exist at path {where.display}.",
                        "InvalidArgument",
                        "System.Management.Automation.PSArgumentException",
                        "System.Management.Automation.PSArgumentException",
                        target=name,
                    )
                )
            elif not ctx.whatif:
                ctx.host.registry.delete_value(key.path, name)
    return iter(())


@cmdlet(
    "New-Item",
    default_set="pathSet",
    should_process=True,
    params=[
        P("Path", "string[]", sets={"pathSet": {"mandatory": True, "position": 0}, "nameSet": {"position": 0}}),
        P("Name", "string", sets={"nameSet": {"mandatory": True}}),
        P("ItemType", "string", aliases=("Type",)),
        P("Value", "object", aliases=("Target",), pipeline=True),
        P("Force", "switch"),
        P("Credential", "pscredential"),
        P("UseTransaction", "switch", aliases=("usetx",)),
    ],
)
def new_item(ctx: CallContext, args: BoundArgs) -> Iterator[Any]:
    for path in args.get("Path") or [ctx.state.location]:
        if args.get("Name"):
            path = f"{path.rstrip(chr(92))}\\{args['Name']}"
        where = resolve_path(ctx, path)
        if where.provider == "Registry":
            if ctx.host.registry.get_key(where.provider_path) is not None and not args.get("Force"):
                ctx.write_error(
                    ctx.error(
                        "A key at this path already exists.",
                        "ResourceExists",
                        "System.IO.IOException",
                        "System.IO.IOException",
                        target=where.display,
                    )
                )
                continue
            if not ctx.whatif:
                yield reg_key_obj(ctx, ctx.host.registry.create_key(where.provider_path))
        elif where.provider == "FileSystem":
            found = place(ctx, where.provider_path, ctx.spec.name)
            files = found.files
            is_folder = (args.get("ItemType") or "File").lower() == "directory"
            # New-Item -ItemType Directory -Force on an existing folder returns it (FileSystemProvider.CreateDirectory)
            if files.exists(found.path) and not (args.get("Force") and (is_folder or not files.is_dir(found.path))):
                ctx.write_error(
                    ctx.error(
                        f"The file '{found.shown}' already exists.",
                        "WriteError",
                        "NewItemIOError",
                        "System.IO.IOException",
                        target=found.shown,
                    )
                )
                continue
            if ctx.whatif:
                continue
            if is_folder:
                files.mkdir(found.path)
            else:
                files.write(found.path, "" if args.get("Value") is None else str(args.get("Value")))
            if files is ctx.host.files:
                yield file_obj(ctx, found.path)
