"""Statements that load the ConfigurationManager module and enter the CMSite drive, and their checks.

The bootstrap is prepended to the first pipeline of a runspace so that bootstrap + reads are one round trip.
Statement order (indexes are relative to the bootstrap's first statement):
  0 Get-Item Env:SMS_ADMIN_UI_PATH   (SilentlyContinue: only needed when import by name fails)
  1 Import-Module ConfigurationManager -PassThru (by name, or by path on the fallback trip; the module
                                       object it returns carries the version to check)
  2 New-PSDrive <SiteCode> CMSite     (SilentlyContinue: the drive usually exists after import)
  3 Set-Location <SiteCode>:
"""

from __future__ import annotations

import ntpath
import re
from typing import Any

from ..errors import BootstrapFailed, CommandFailed
from ..pipeline import SWITCH, Pipeline
from ..session import PipelineResult
from .constants import ADMIN_UI_ENV, MIN_MODULE_VERSION, MODULE_FILE, MODULE_NAME

BOOTSTRAP_LENGTH = 4
SITE_CODE = re.compile(r"^[A-Za-z0-9]{3}$")
IMPORT, DRIVE, LOCATION = 1, 2, 3
VERSION = IMPORT  # -PassThru saves a Get-Module statement (and its marker) in every first round trip


def bootstrap_pipeline(site_code: str, provider: str, operation: str, module: str = MODULE_NAME) -> Pipeline:
    pipe = Pipeline(operation=operation)
    pipe.add(
        "Get-Item", ("Path", f"Env:{ADMIN_UI_ENV}"), error_action="SilentlyContinue", label="read SMS_ADMIN_UI_PATH"
    )
    pipe.add("Import-Module", ("Name", module), ("PassThru", SWITCH), label="import the ConfigurationManager module")
    pipe.add(
        "New-PSDrive",
        ("Name", site_code),
        ("PSProvider", "CMSite"),
        ("Root", provider),
        error_action="SilentlyContinue",
        label="create the CMSite drive",
    )
    # quiet: Set-Location writes nothing, so it shares New-PSDrive's output segment (one marker less per first trip)
    pipe.add("Set-Location", ("Path", f"{site_code}:"), label="enter the CMSite drive", quiet=True)
    return pipe


def module_path_from_env(result_or_items: Any) -> str | None:
    """Module path next to the console binaries: <parent of SMS_ADMIN_UI_PATH>\\ConfigurationManager.psd1."""
    items = result_or_items if isinstance(result_or_items, list) else [result_or_items]
    for item in items:
        value = item.get("Value") if isinstance(item, dict) else item
        if value:
            return ntpath.join(ntpath.dirname(str(value).rstrip("\\")), MODULE_FILE)
    return None


def parse_version(value: Any) -> tuple[int, ...] | None:
    if isinstance(value, dict):
        parts = [value.get(k) for k in ("Major", "Minor", "Build", "Revision")]
        numbers = [int(p) for p in parts if isinstance(p, int) and p >= 0]
        return tuple(numbers) or None
    match = re.match(r"^\s*(\d+(?:\.\d+)*)", str(value or ""))
    return tuple(int(x) for x in match.group(1).split(".")) if match else None


def check_bootstrap(result: PipelineResult, start: int, host: str, site_code: str, provider: str) -> str:
    """Version check on the Import-Module -PassThru output; returns the module version text."""
    return check_bootstrap_output(result[start + VERSION].output, host)


def check_bootstrap_output(modules: list[Any], host: str) -> str:
    """Version check on the module objects Import-Module -PassThru returned; returns the module version text."""
    modules = [m for m in modules if m is not None]
    if not modules:
        raise BootstrapFailed(
            "the ConfigurationManager module is not loaded after Import-Module",
            host,
            "Import-Module -PassThru",
            operation="check the ConfigurationManager module",
        )
    raw = modules[0].get("Version") if isinstance(modules[0], dict) else None
    version = parse_version(raw)
    text = ".".join(str(x) for x in version) if version else str(raw)
    if version is None or version[:2] < MIN_MODULE_VERSION:
        raise BootstrapFailed(
            f"ConfigurationManager module version {text} is older than {MIN_MODULE_VERSION[0]}.{MIN_MODULE_VERSION[1]}; upgrade the console on {host}",
            host,
            "Import-Module -PassThru",
            operation="check the ConfigurationManager module",
        )
    return text


def explain_failure(
    err: CommandFailed,
    start: int,
    host: str,
    site_code: str,
    provider: str,
    index: int | None = None,
    second_hop: bool = False,
) -> CommandFailed:
    """Turn a failure inside the bootstrap statements (or the read script's bootstrap: `index` says which step) into a
    BootstrapFailed with its own message. `second_hop`: the drive's root is another machine than `host`."""
    if index is None:
        index = (err.statement_index or 0) - start
    if index == IMPORT:
        text = (
            f"cannot import the ConfigurationManager module: {err.error_message}. Install the Configuration Manager console "
            f"(module 5.1902 or later) on {host}, or connect to the SMS Provider host"
        )
        operation = "import the ConfigurationManager module"
    elif index in (DRIVE, LOCATION):
        text = (
            f"cannot open the CMSite drive {site_code}: on SMS Provider {provider}: {err.error_message}. Check site_code, that {provider} is the SMS Provider, "
            "and that the account is a ConfigMgr administrator"
        )
        if second_hop and err.category == "PermissionDenied":
            # Windows: a WinRM session passes no credentials on to a third machine unless the logon delegated them
            text += (
                f". {provider} is reached from the session on {host}, a second hop: "
                "it carries the account's credentials only with auth=credssp, or with Kerberos and "
                "negotiate_delegate=true for an account whose tickets may be forwarded; or use "
                f"sms_provider_route=direct to connect to {provider} itself"
            )
        operation = "enter the CMSite drive"
    else:
        return err
    failed = BootstrapFailed(
        text,
        host,
        err.command,
        category=err.category,
        fully_qualified_error_id=err.fully_qualified_error_id,
        target=err.target,
        script_position=err.script_position,
        operation=operation,
        statement_index=err.statement_index,
        partial=err.partial,
        cmdlet=err.cmdlet,
        output=err.output,
    )
    failed.explains_second_hop = second_hop and err.category == "PermissionDenied" and index in (DRIVE, LOCATION)
    return failed
