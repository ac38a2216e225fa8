"""PSDrive and location cmdlets (Microsoft.PowerShell.Management)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from tests.lab.ps.binder import BoundArgs
from tests.lab.ps.builtins.common import drive_obj, has_wildcard, path_info, path_not_found, resolve_path, wildcard
from tests.lab.ps.context import CallContext, PSDrive
from tests.lab.ps.convert import LabObject
from tests.lab.ps.paths import DRIVE_NOT_FOUND
from tests.lab.ps.spec import CM_MODULE, P, cmdlet
from tests.lab.wsman.backend import TerminatingError

BUILTIN_PROVIDERS = ("Alias", "Environment", "FileSystem", "Function", "Registry", "Variable", "Certificate", "WSMan")


def _drive_info(drive: PSDrive) -> LabObject:
    obj = drive_obj(drive)
    assert obj is not None
    if drive.provider == "CMSite":
        obj.type_names.insert(0, "Microsoft.ConfigurationManagement.PowerShell.Provider.CMDriveInfo")
        obj.props.update({"SiteCode": drive.name, "SiteServer": drive.root})
    return obj


def _no_drive(ctx: CallContext, name: str, error_id: str) -> None:
    ctx.write_error(
        ctx.error(
            f"Cannot find drive. A drive with the name '{name}' does not exist.",
            "ObjectNotFound",
            error_id,
            DRIVE_NOT_FOUND,
            target=name,
        )
    )


@cmdlet(
    "Get-PSDrive",
    default_set="Name",
    params=[
        P("Name", "string[]", sets={"Name": {"position": 0, "pipeline": True}}),
        P("LiteralName", "string[]", sets={"LiteralName": {"mandatory": True, "position": 0}}),
        P("Scope", "string"),
        P("PSProvider", "string[]"),
        P("UseTransaction", "switch", aliases=("usetx",)),
    ],
)
def get_psdrive(ctx: CallContext, args: BoundArgs) -> Iterator[Any]:
    providers = [p.lower() for p in args.get("PSProvider") or []]
    drives = [d for d in ctx.state.drives.values() if not providers or d.provider.lower() in providers]
    for name in args.get("Name") or args.get("LiteralName") or ["*"]:
        literal = "LiteralName" in args or not has_wildcard(name)
        hits = [d for d in drives if (d.name.lower() == name.lower() if literal else wildcard(name, d.name))]
        if not hits and literal:
            # FQID observed as GetDriveNoMatchingDrive (inferred from memory of 5.1 output).
            _no_drive(ctx, name, "GetDriveNoMatchingDrive")
        for drive in sorted(hits, key=lambda d: d.name.lower()):
            yield _drive_info(drive)


@cmdlet(
    "New-PSDrive",
    should_process=True,
    params=[
        P("Name", "string", mandatory=True, position=0),
        P("PSProvider", "string", mandatory=True, position=1),
        P("Root", "string", mandatory=True, position=2),
        P("Description", "string"),
        P("Scope", "string"),
        P("Persist", "switch"),
        P("Credential", "pscredential"),
        P("UseTransaction", "switch", aliases=("usetx",)),
    ],
)
def new_psdrive(ctx: CallContext, args: BoundArgs) -> Iterator[Any]:
    name, provider = args["Name"], args["PSProvider"].rsplit("\\", 1)[-1]
    available = list(BUILTIN_PROVIDERS) + (["CMSite"] if CM_MODULE in ctx.state.imported_modules else [])
    canonical = next((p for p in available if p.lower() == provider.lower()), None)
    if canonical is None:
        ctx.write_error(
            ctx.error(
                f"Cannot find a provider with the name '{provider}'.",
                "ObjectNotFound",
                "ProviderNotFound",
                "System.Management.Automation.ProviderNotFoundException",
                target=provider,
            )
        )
        return
    if name in ctx.state.drives:
        ctx.write_error(
            ctx.error(
                f"A drive with the name '{name}' already exists.",
                "ResourceExists",
                "DriveAlreadyExists",
                "System.Management.Automation.SessionStateException",
                target=name,
            )
        )
        return
    if ctx.whatif:
        return
    drive = PSDrive(name, canonical, args["Root"], args.get("Description") or "")
    hook = getattr(ctx.world, "connect_site_drive", None)
    if canonical == "CMSite" and hook is not None:
        hook(ctx, name, args["Root"])  # validates the SMS Provider; raises TerminatingError when it cannot connect
    ctx.state.drives[name] = drive
    yield _drive_info(drive)


@cmdlet(
    "Remove-PSDrive",
    default_set="Name",
    should_process=True,
    params=[
        P("Name", "string[]", sets={"Name": {"mandatory": True, "position": 0}}),
        P("LiteralName", "string[]", sets={"LiteralName": {"mandatory": True, "position": 0}}),
        P("PSProvider", "string[]"),
        P("Scope", "string"),
        P("Force", "switch"),
        P("UseTransaction", "switch", aliases=("usetx",)),
    ],
)
def remove_psdrive(ctx: CallContext, args: BoundArgs) -> None:
    for name in args.get("Name") or args.get("LiteralName"):
        hits = (
            [d for d in ctx.state.drives.values() if wildcard(name, d.name)]
            if has_wildcard(name)
            else [d for d in ctx.state.drives.values() if d.name.lower() == name.lower()]
        )
        if not hits:
            _no_drive(ctx, name, "DriveNotFound")
        for drive in hits:
            if not ctx.whatif:
                del ctx.state.drives[drive.name]


def _exists(ctx: CallContext, path: str) -> str | None:
    """The location string for ``path`` if it names an existing container, else None (error written)."""
    resolved = resolve_path(ctx, path)
    drive = resolved.drive
    if resolved.provider == "FileSystem":
        ok = ctx.host.files.is_dir(resolved.provider_path)
    elif resolved.provider == "Registry":
        ok = ctx.host.registry.get_key(resolved.provider_path) is not None
    else:
        ok = True
    if not ok:
        path_not_found(ctx, resolved.display)
        return None
    if drive is None:
        return resolved.provider_path
    if resolved.provider == "FileSystem":
        return ctx.host.files.canonical(resolved.provider_path) or resolved.provider_path
    return resolved.display


@cmdlet(
    "Set-Location",
    default_set="Path",
    params=[
        P("Path", "string", sets={"Path": {"position": 0, "pipeline": True}}),
        P("LiteralPath", "string", aliases=("PSPath",), sets={"LiteralPath": {"mandatory": True}}),
        P("PassThru", "switch"),
        P("StackName", "string", sets={"Stack": {}}),
        P("UseTransaction", "switch", aliases=("usetx",)),
    ],
)
def set_location(ctx: CallContext, args: BoundArgs) -> Iterator[Any]:
    target = args.get("Path") or args.get("LiteralPath") or "~"
    if target == "~":
        target = f"C:\\Users\\{ctx.user.split(chr(92))[-1]}"
    try:
        location = _exists(ctx, target)
    except TerminatingError as exc:  # a missing drive is a non-terminating error for Set-Location
        ctx.write_error(exc.spec)
        return
    if location is None:
        return
    ctx.state.location = location
    if args.get("PassThru"):
        yield path_info(ctx, location)


@cmdlet(
    "Get-Location",
    default_set="Location",
    params=[
        P("PSProvider", "string[]", sets={"Location": {}}),
        P("PSDrive", "string[]", sets={"Location": {}}),
        P("Stack", "switch", sets={"Stack": {}}),
        P("StackName", "string[]", sets={"Stack": {}}),
        P("UseTransaction", "switch", aliases=("usetx",)),
    ],
)
def get_location(ctx: CallContext, args: BoundArgs) -> Any:
    del args
    return path_info(ctx, ctx.state.location)
