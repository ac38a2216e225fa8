"""Helpers shared by the built-in cmdlets: provider items, PS* properties, standard errors."""

from __future__ import annotations

from fnmatch import fnmatchcase
from typing import Any

from tests.lab.ps.context import PROVIDERS, CallContext, PSDrive
from tests.lab.ps.convert import LabObject
from tests.lab.ps.paths import Resolved, resolve
from tests.lab.windows.registry import RegKey

ITEM_NOT_FOUND = "System.Management.Automation.ItemNotFoundException"
PS_ARGUMENT = "System.Management.Automation.PSArgumentException"


def wildcard(pattern: str, text: str) -> bool:
    return fnmatchcase(text.lower(), pattern.lower())


def has_wildcard(text: str) -> bool:
    return any(c in text for c in "*?[")


def resolve_path(ctx: CallContext, path: str) -> Resolved:
    return resolve(ctx.state, path, ctx.spec.fqid("DriveNotFound"), ctx.spec.name)


def path_not_found(ctx: CallContext, path: str) -> None:
    """Write the non-terminating "Cannot find path" error every item cmdlet gives."""
    ctx.write_error(
        ctx.error(
            f"Cannot find path '{path}' because it does not exist.",
            "ObjectNotFound",
            "PathNotFound",
            ITEM_NOT_FOUND,
            target=path,
        )
    )


def drive_obj(drive: PSDrive | None) -> LabObject | None:
    if drive is None:
        return None
    return LabObject(
        ["System.Management.Automation.PSDriveInfo", "System.Object"],
        {"Name": drive.name, "Provider": drive.provider_full, "Root": drive.root, "Description": drive.description},
        drive.name,
    )


def provider_obj(provider: str) -> LabObject:
    full = PROVIDERS.get(provider, provider)
    return LabObject(
        ["System.Management.Automation.ProviderInfo", "System.Object"],
        {"Name": provider, "ModuleName": full.split("\\")[0]},
        full,
    )


def ps_props(provider: str, provider_path: str, drive: PSDrive | None) -> dict[str, Any]:
    """PSPath/PSParentPath/PSChildName/PSDrive/PSProvider as the provider adds them."""
    full = PROVIDERS.get(provider, provider)
    parent, _unused, child = provider_path.rstrip("\\").rpartition("\\")
    if provider == "FileSystem" and parent.endswith(":"):
        parent += "\\"
    return {
        "PSPath": f"{full}::{provider_path}",
        "PSParentPath": f"{full}::{parent}" if parent else "",
        "PSChildName": child or provider_path,
        "PSDrive": drive_obj(drive),
        "PSProvider": provider_obj(provider),
    }


def reg_drive(ctx: CallContext, key_path: str) -> PSDrive | None:
    hive = key_path.split("\\", 1)[0].lower()
    return next((d for d in ctx.state.drives.values() if d.provider == "Registry" and d.root.lower() == hive), None)


def reg_key_obj(ctx: CallContext, key: RegKey) -> LabObject:
    props: dict[str, Any] = {
        "Name": key.path,
        "Property": [n or "(default)" for n in key.values],
        "SubKeyCount": len(key.children),
        "ValueCount": len(key.values),
        "View": "Default",
    }
    props.update(ps_props("Registry", key.path, reg_drive(ctx, key.path)))
    props["PSIsContainer"] = True
    return LabObject(["Microsoft.Win32.RegistryKey", "System.MarshalByRefObject", "System.Object"], props, key.path)


def file_obj(ctx: CallContext, full_name: str) -> LabObject | None:
    info = ctx.host.files.info(full_name)
    if info is None:
        return None
    drive = ctx.state.drives.get(info.full_name[0])
    kind = "System.IO.DirectoryInfo" if info.is_dir else "System.IO.FileInfo"
    props: dict[str, Any] = {
        "Name": info.name,
        "FullName": info.full_name,
        "LastWriteTime": info.last_write_time,
        "LastWriteTimeUtc": info.last_write_time,
        "Exists": True,
        "Mode": "d-----" if info.is_dir else "-a----",
    }
    if not info.is_dir:
        props["Length"] = info.length
        props["DirectoryName"] = info.full_name.rsplit("\\", 1)[0]
        # a program the lab simulates carries its FileVersion (every real FileInfo has a VersionInfo; only these
        # need one here)
        from tests.lab.ps.builtins.process import program_header, version_info  # noqa: PLC0415  (cycle)

        # only the head of an .exe is read: listings of large trees (file_transfer) stay cheap
        head = ctx.host.files.read_bytes(info.full_name, 0, 200) if info.name.lower().endswith(".exe") else b""
        header = program_header(head.decode("utf-8", "replace"))
        if header is not None:
            props["VersionInfo"] = version_info(info.full_name, header[1])
    props.update(ps_props("FileSystem", info.full_name, drive))
    props["PSIsContainer"] = info.is_dir
    return LabObject(
        [kind, "System.IO.FileSystemInfo", "System.MarshalByRefObject", "System.Object"],
        props,
        info.name,
        adapted=False,
    )


def path_info(ctx: CallContext, location: str) -> LabObject:
    drive = ctx.state.location_drive
    provider = drive.provider if drive else "FileSystem"
    provider_path = resolve_path(ctx, location).provider_path if drive else location
    return LabObject(
        ["System.Management.Automation.PathInfo", "System.Object"],
        {
            "Drive": drive_obj(drive),
            "Provider": provider_obj(provider),
            "ProviderPath": provider_path,
            "Path": location,
        },
        location,
    )


def reg_value_kind(value: Any, kind: str | None) -> str:
    """The kind Set-ItemProperty/New-ItemProperty give a value when -Type is not used."""
    if kind:
        return kind
    if isinstance(value, bool) or isinstance(value, int):
        return "DWord" if -(2**31) <= int(value) < 2**32 else "QWord"
    if isinstance(value, list):
        return "MultiString"
    if isinstance(value, bytes):
        return "Binary"
    return "String"


def reg_coerce(value: Any, kind: str) -> Any:
    if kind in ("DWord", "QWord"):
        return int(str(value), 0) if isinstance(value, str) else int(value)
    if kind == "MultiString":
        return [str(v) for v in value] if isinstance(value, list) else [str(value)]
    if kind == "Binary":
        return bytes(value) if isinstance(value, (bytes, list)) else bytes(str(value), "utf-8")
    return "" if value is None else str(value)
