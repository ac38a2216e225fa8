"""UNC paths (\\\\server\\share\\rest): the share's host, its file system and the local path; the second-hop rule.

A share is a folder of a host's file system (tests/lab/windows/files.py `FileSystem.shares`). A session reaches a share
of *another* host with the credentials of its logon: a logon that did not delegate them (NTLM, Basic, certificates,
Kerberos without a forwarded TGT) reaches it as ANONYMOUS, and the share refuses it "Access is denied" (inferred, as
for a CMSite drive rooted at another machine: tests/lab/world/world.py). A share of the session's own host is a
loopback and needs no delegation (inferred).
"""

from __future__ import annotations

from dataclasses import dataclass

from tests.lab.ps.context import CallContext
from tests.lab.ps.errors import fail
from tests.lab.windows.files import FileSystem, normalize
from tests.lab.wsman.backend import TerminatingError

ACCESS_DENIED = "Access is denied."
UNAUTHORIZED = "System.UnauthorizedAccessException"
IO_EXCEPTION = "System.IO.IOException"


@dataclass(frozen=True)
class Place:
    files: FileSystem
    path: str  # the path in `files` ("D:\\shares\\packs\\x")
    shown: str  # the path as the caller wrote it (normalized; a UNC path stays UNC)


def is_unc(path: str) -> bool:
    return path.replace("/", "\\").startswith("\\\\")


def _unc_parts(path: str) -> tuple[str, str, str]:
    parts = [p for p in path.replace("/", "\\").split("\\") if p and p != "."]
    if len(parts) < 2:
        raise ValueError(path)
    return parts[0], parts[1], "\\".join(parts[2:])


def unc_shown(path: str) -> str:
    server, share, rest = _unc_parts(path)
    return f"\\\\{server}\\{share}" + (f"\\{rest}" if rest else "")


def place(ctx: CallContext, path: str, activity: str) -> Place:
    """Where `path` (a provider path of the FileSystem provider, or a UNC path) is; raises the error Windows gives
    for an unknown share or a second hop without delegated credentials."""
    if not is_unc(path):
        return Place(ctx.host.files, normalize(path), normalize(path))
    try:
        server, share, rest = _unc_parts(path)
    except ValueError:
        raise _network_path(path, activity) from None
    host = ctx.world.host(server) if ctx.world is not None else None
    folder = host.files.shares.get(share.lower()) if host is not None else None
    if host is None or folder is None:
        raise _network_path(path, activity)
    if host is not ctx.host and not ctx.delegated:
        raise fail(ACCESS_DENIED, "PermissionDenied", "UnauthorizedAccess", UNAUTHORIZED, activity, unc_shown(path))
    local = normalize(f"{folder}\\{rest}") if rest else folder
    return Place(host.files, local, unc_shown(path))


def _network_path(path: str, activity: str) -> TerminatingError:
    return fail(
        "The network path was not found.", "ObjectNotFound", "NetworkPathNotFound", IO_EXCEPTION, activity, path
    )
