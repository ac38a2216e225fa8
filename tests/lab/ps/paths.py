"""PowerShell path resolution: drive-qualified, provider-qualified and relative paths."""

from __future__ import annotations

from dataclasses import dataclass

from tests.lab.ps.context import PROVIDERS, PSDrive, RunspaceState
from tests.lab.ps.errors import fail
from tests.lab.wsman.backend import TerminatingError

DRIVE_NOT_FOUND = "System.Management.Automation.DriveNotFoundException"


@dataclass
class Resolved:
    provider: str  # short provider name
    drive: PSDrive | None
    provider_path: str  # "C:\\x", "HKEY_LOCAL_MACHINE\\SOFTWARE\\x", env var name, CM path
    ps_path: str  # "Microsoft.PowerShell.Core\\Registry::HKEY_LOCAL_MACHINE\\SOFTWARE\\x"
    display: str  # drive-qualified form "HKLM:\\SOFTWARE\\x"


def _join(base: str, rel: str) -> str:
    parts = [p for p in base.replace("/", "\\").split("\\") if p]
    for part in rel.replace("/", "\\").split("\\"):
        if part in ("", "."):
            continue
        if part == "..":
            if len(parts) > 1:
                parts.pop()
        else:
            parts.append(part)
    return "\\".join(parts)


def drive_not_found(name: str, spec_fqid: str, activity: str) -> TerminatingError:
    return fail(
        f"Cannot find drive. A drive with the name '{name}' does not exist.",
        "ObjectNotFound",
        spec_fqid,
        DRIVE_NOT_FOUND,
        activity,
        target=name,
    )


def resolve(state: RunspaceState, path: str, fqid: str, activity: str) -> Resolved:
    """Resolve ``path``; ``fqid`` (e.g. ``spec.fqid("DriveNotFound")``) is used when the drive does not exist."""
    text = path.replace("/", "\\")
    if text.startswith("\\\\"):  # UNC: the FileSystem provider; builtins/unc.py finds the share
        return _make("FileSystem", None, text)
    if "::" in text:
        provider_part, rest = text.split("::", 1)
        provider = provider_part.rsplit("\\", 1)[-1]
        provider = next((p for p in PROVIDERS if p.lower() == provider.lower()), provider)
        return _make(provider, None, rest.rstrip("\\") or rest)
    if ":" in text.split("\\", 1)[0]:
        name, rest = text.split(":", 1)
    else:
        current = state.location
        name, base = current.split(":", 1) if ":" in current else ("", current)
        rest = "\\" + _join(base, text) if not text.startswith("\\") else text
    drive = state.drives.get(name)
    if drive is None:
        raise drive_not_found(name, fqid, activity)
    inner = _join("", rest)
    if drive.provider == "FileSystem":
        return _make("FileSystem", drive, f"{drive.root.rstrip(chr(92))}\\{inner}" if inner else drive.root)
    if drive.provider == "Registry":
        return _make("Registry", drive, f"{drive.root}\\{inner}" if inner else drive.root)
    return _make(drive.provider, drive, inner)


def _make(provider: str, drive: PSDrive | None, provider_path: str) -> Resolved:
    full = PROVIDERS.get(provider, provider)
    display = provider_path
    if drive is not None and provider == "Registry":
        tail = provider_path[len(drive.root) :].lstrip("\\")
        display = f"{drive.name}:\\{tail}"
    elif drive is not None and provider not in ("FileSystem",):
        display = f"{drive.name}:\\{provider_path}" if provider_path else f"{drive.name}:\\"
    return Resolved(provider, drive, provider_path, f"{full}::{provider_path}", display)
