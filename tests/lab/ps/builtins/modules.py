"""Import-Module and Get-Module (Microsoft.PowerShell.Core)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from tests.lab.ps.binder import BoundArgs
from tests.lab.ps.builtins.common import has_wildcard, wildcard
from tests.lab.ps.context import CallContext
from tests.lab.ps.convert import LabObject
from tests.lab.ps.spec import P, cmdlet
from tests.lab.windows.files import normalize
from tests.lab.windows.host import ModuleInfo

FILE_NOT_FOUND = "System.IO.FileNotFoundException"


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(p) for p in text.split(".") if p.isdigit())


def module_obj(info: ModuleInfo) -> LabObject:
    base = info.path.rsplit("\\", 1)[0] if "\\" in info.path else ""
    return LabObject(
        ["System.Management.Automation.PSModuleInfo", "System.Object"],
        {
            "Name": info.name,
            "Version": info.version,
            "Path": info.path,
            "ModuleBase": base,
            "ModuleType": "Manifest",
            "Description": info.description,
        },
        info.name,
    )


def _find(ctx: CallContext, name: str) -> ModuleInfo | None:
    if "\\" in name or "/" in name or name.lower().endswith((".psd1", ".psm1", ".dll")):
        wanted = normalize(name).lower()
        for info in ctx.host.modules.values():
            path = normalize(info.path).lower()
            if wanted in (path, path.rsplit("\\", 1)[0]) and ctx.host.files.exists(info.path):
                return info
        return None
    return ctx.host.modules.get(name.lower())


@cmdlet(
    "Import-Module",
    default_set="Name",
    params=[
        P("Name", "string[]", sets={"Name": {"mandatory": True, "position": 0, "pipeline": True}}),
        P("ModuleInfo", "object[]", sets={"ModuleInfo": {"mandatory": True, "position": 0, "pipeline": True}}),
        P("Global", "switch"),
        P("Prefix", "string"),
        P("Function", "string[]"),
        P("Cmdlet", "string[]"),
        P("Variable", "string[]"),
        P("Alias", "string[]"),
        P("Force", "switch"),
        P("PassThru", "switch"),
        P("AsCustomObject", "switch"),
        P("MinimumVersion", "string", aliases=("Version",), sets={"Name": {}}),
        P("MaximumVersion", "string", sets={"Name": {}}),
        P("RequiredVersion", "string", sets={"Name": {}}),
        P("ArgumentList", "object[]", aliases=("Args",)),
        P("DisableNameChecking", "switch"),
        P("NoClobber", "switch", aliases=("NoOverwrite",)),
        P("Scope", "string", values=("Local", "Global")),
    ],
)
def import_module(ctx: CallContext, args: BoundArgs) -> Iterator[Any]:
    names = args.get("Name") or [m.get("Name") for m in args.get("ModuleInfo") or [] if isinstance(m, LabObject)]
    for name in names:
        info = _find(ctx, str(name))
        wanted = args.get("RequiredVersion") or args.get("MinimumVersion")
        if (
            info is not None
            and wanted
            and (
                _version(info.version) < _version(wanted)
                or ("RequiredVersion" in args and _version(info.version) != _version(wanted))
            )
        ):
            ctx.write_error(
                ctx.error(
                    f"The specified module '{name}' with version '{wanted}' was not loaded because no valid "
                    "module file was found in any module directory.",
                    "ResourceUnavailable",
                    "Modules_ModuleWithVersionNotFound",
                    FILE_NOT_FOUND,
                    target=name,
                )
            )
            continue
        if info is None:
            ctx.write_error(
                ctx.error(
                    f"The specified module '{name}' was not loaded because no valid module file was found "
                    "in any module directory.",
                    "ResourceUnavailable",
                    "Modules_ModuleNotFound",
                    FILE_NOT_FOUND,
                    target=name,
                )
            )
            continue
        first_time = info.name.lower() not in ctx.state.imported_modules
        ctx.state.imported_modules[info.name.lower()] = info
        hook = getattr(ctx.world, "on_module_imported", None)
        if hook is not None and (first_time or args.get("Force")):
            hook(ctx, info)  # e.g. ConfigurationManager creates the CMSite drive of its last site
        if args.get("PassThru"):
            yield module_obj(info)


@cmdlet(
    "Get-Module",
    default_set="Loaded",
    params=[
        P("Name", "string[]", position=0, pipeline=True),
        P("All", "switch"),
        P("ListAvailable", "switch", sets={"Available": {"mandatory": True}}),
        P("Refresh", "switch", sets={"Available": {}}),
    ],
)
def get_module(ctx: CallContext, args: BoundArgs) -> Iterator[Any]:
    pool = ctx.host.modules if args.get("ListAvailable") else ctx.state.imported_modules
    patterns = args.get("Name") or ["*"]
    for info in sorted(pool.values(), key=lambda m: m.name.lower()):
        if any(wildcard(p, info.name) if has_wildcard(p) else p.lower() == info.name.lower() for p in patterns):
            yield module_obj(info)
