"""Shared rules of the ConfigMgr cmdlets: site resolution, RBA, ShouldProcess, lookups, errors."""

from __future__ import annotations

from fnmatch import fnmatchcase
from typing import Any

from tests.lab.ps.errors import cm_error
from tests.lab.world.model import Site
from tests.lab.wsman.backend import TerminatingError

HS = "Microsoft.ConfigurationManagement.PowerShell.Cmdlets.HS."  # inferred: impl type namespace (contract example)
ITEM_NOT_FOUND = "System.Management.Automation.ItemNotFoundException"
INVALID_OP = "System.InvalidOperationException"
NO_OBJECT = "No object corresponds to the specified parameters."  # inferred wording


def impl(name: str) -> str:
    """``Add-CMServiceConnectionPoint`` -> ``...Cmdlets.HS.AddServiceConnectionPoint``."""
    verb, _unused, noun = name.partition("-")
    return HS + verb + noun.replace("CM", "", 1)


def error(
    name: str,
    message: str,
    category: str = "InvalidOperation",
    exception_type: str = INVALID_OP,
    error_id: str | None = None,
    target: Any = None,
) -> TerminatingError:
    return cm_error(
        name, impl(name), message, category=category, exception_type=exception_type, error_id=error_id, target=target
    )


def not_found(name: str, target: Any = None, message: str = NO_OBJECT) -> TerminatingError:
    return error(name, message, "ObjectNotFound", ITEM_NOT_FOUND, "ItemNotFound", target)


def resolve_site(ctx: Any, args: Any, name: str) -> Site:
    code = args.get("SiteCode") or ctx.site_code
    site = ctx.world.hierarchy.site(code)
    if site is None:
        # inferred wording
        raise error(
            name,
            f"The site code '{code}' is not valid in this hierarchy.",
            "InvalidArgument",
            "System.ArgumentException",
            "InvalidSiteCode",
            code,
        )
    return site


def require_admin(ctx: Any, name: str) -> None:
    """[OFFICIAL] Full (or Infrastructure) Administrator is the safe requirement; the lab models Full only."""
    if str(ctx.user).lower() not in ctx.world.hierarchy.full_admins:
        raise error(
            name,
            "The current user doesn't have permission to perform this operation. Access is denied.",
            "PermissionDenied",
            "System.UnauthorizedAccessException",
            "UnauthorizedAccess",
        )  # inferred wording and ID


def whatif_ok(ctx: Any, args: Any, action: str, target: str) -> bool:
    """False (after the "What if:" message) under -WhatIf; for cmdlets whose ShouldProcess does not prompt."""
    if ctx.whatif or args.get("WhatIf"):
        ctx.write_verbose(f'What if: Performing the operation "{action}" on target "{target}".')
        return False
    return True


def should_process(ctx: Any, args: Any, name: str, action: str, target: str) -> bool:
    """False under -WhatIf; raises in a remote session when the cmdlet would prompt (no -Force, no -Confirm:$false).

    inferred: ConfigMgr Remove-* cmdlets prompt without -Force; a PSRP session without a host UI can't answer, and
    PowerShell fails the call with a HostException.
    """
    if not whatif_ok(ctx, args, action, target):
        return False
    if args.get("Force") or ("Confirm" in args and not args["Confirm"]):
        return True
    raise error(
        name,
        "A command that prompts the user failed because the host program or the command type does not "
        "support user interaction. The host was attempting to request confirmation with the following message: "
        f'Are you sure you want to perform this action?\r\nPerforming the operation "{action}" on target '
        f'"{target}".',
        "NotImplemented",
        "System.Management.Automation.Host.HostException",
        "HostFunctionNotImplemented",
    )


def name_matches(pattern: str | None, fqdn: str, literal: bool = False) -> bool:
    """Site system names: FQDN or NetBIOS, case-insensitive, wildcards unless -DisableWildcardHandling."""
    if not pattern:
        return True
    pat, full, short = pattern.lower(), fqdn.lower(), fqdn.split(".")[0].lower()
    if literal or not any(c in pat for c in "*?["):
        return pat in (full, short)
    return fnmatchcase(full, pat) or fnmatchcase(short, pat)


def prop(obj: Any, name: str) -> Any:
    """A property of an input object (LabObject, dict or attribute-style)."""
    if obj is None:
        return None
    getter = getattr(obj, "get", None)
    if callable(getter):
        return getter(name)
    return getattr(obj, name, None)


def server_of(obj: Any) -> str | None:
    """The server FQDN an SMS_SCI_SysResUse-like input object refers to."""
    path = prop(obj, "NetworkOSPath")
    if path:
        return str(path).strip("\\")
    for key in ("ServerName", "Name", "SiteSystemServerName"):
        value = prop(obj, key)
        if value:
            return str(value)
    return None


def scope_sites(ctx: Any, args: Any, name: str) -> list[Site]:
    """-AllSite: every site; else -SiteCode or the drive's site."""
    if args.get("AllSite"):
        return list(ctx.world.hierarchy.sites.values())
    return [resolve_site(ctx, args, name)]
