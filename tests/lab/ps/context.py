"""Runspace state and the context a cmdlet function runs with."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tests.lab.ps.spec import CmdletSpec
from tests.lab.windows.cidict import CIDict
from tests.lab.windows.host import ModuleInfo, WindowsHost
from tests.lab.wsman.backend import ErrorSpec

PROVIDERS = {
    "FileSystem": "Microsoft.PowerShell.Core\\FileSystem",
    "Registry": "Microsoft.PowerShell.Core\\Registry",
    "Environment": "Microsoft.PowerShell.Core\\Environment",
    "Alias": "Microsoft.PowerShell.Core\\Alias",
    "Function": "Microsoft.PowerShell.Core\\Function",
    "Variable": "Microsoft.PowerShell.Core\\Variable",
    "Certificate": "Microsoft.PowerShell.Security\\Certificate",
    "WSMan": "Microsoft.WSMan.Management\\WSMan",
    "CMSite": "AdminUI.PS.Provider\\CMSite",
}


@dataclass
class PSDrive:
    name: str
    provider: str  # short provider name: "FileSystem", "Registry", "CMSite", ...
    root: str
    description: str = ""

    @property
    def provider_full(self) -> str:
        return PROVIDERS.get(self.provider, self.provider)


def default_drives() -> CIDict:
    drives = [
        PSDrive("Alias", "Alias", ""),
        PSDrive("C", "FileSystem", "C:\\"),
        PSDrive("Cert", "Certificate", "\\"),
        PSDrive("Env", "Environment", ""),
        PSDrive("Function", "Function", ""),
        PSDrive("HKCU", "Registry", "HKEY_CURRENT_USER"),
        PSDrive("HKLM", "Registry", "HKEY_LOCAL_MACHINE"),
        PSDrive("Variable", "Variable", ""),
        PSDrive("WSMan", "WSMan", ""),
    ]
    return CIDict({d.name: d for d in drives})


@dataclass
class RunspaceState:
    location: str  # "C:\\Users\\x\\Documents", "PS1:\\", "HKLM:\\SOFTWARE"
    imported_modules: dict[str, ModuleInfo] = field(default_factory=dict)  # lower-case name -> ModuleInfo
    drives: CIDict = field(default_factory=default_drives)  # name -> PSDrive

    @property
    def location_drive(self) -> PSDrive | None:
        name = self.location.split(":", 1)[0] if ":" in self.location else ""
        return self.drives.get(name)


@dataclass
class CallContext:
    host: WindowsHost
    world: Any
    state: RunspaceState
    user: str
    auth: str
    spec: CmdletSpec
    input: list[Any] = field(default_factory=list)
    whatif: bool = False
    error_action: str = "Continue"
    warning_action: str = "Continue"
    verbose: bool = False
    sink_error: Callable[[ErrorSpec], None] = lambda record: None
    sink_warning: Callable[[str], None] = lambda message: None
    sink_verbose: Callable[[str], None] = lambda message: None
    errors: list[ErrorSpec] = field(default_factory=list)  # non-terminating errors this call wrote
    delegated: bool = False  # the session's logon carried credentials for a second hop (tests/lab/wsman/auth.py)

    @property
    def site_code(self) -> str | None:
        drive = self.state.location_drive
        return drive.name if drive is not None and drive.provider == "CMSite" else None

    def error(self, message: str, category: str, error_id: str, exception_type: str, target: Any = None) -> ErrorSpec:
        """An ErrorSpec for this cmdlet: FQID ``<error_id>,<impl_type>``, activity = cmdlet name."""
        return ErrorSpec(
            message=message,
            category=category,
            fqid=self.spec.fqid(error_id),
            exception_type=exception_type,
            target=target,
            activity=self.spec.name,
            reason=exception_type.rsplit(".", 1)[-1],
        )

    def write_error(self, record: ErrorSpec) -> None:
        """A non-terminating error; the runtime applies -ErrorAction (Stop makes it terminating)."""
        if record.activity is None:
            record.activity = self.spec.name
        self.errors.append(record)
        self.sink_error(record)

    def write_warning(self, message: str) -> None:
        if self.warning_action not in ("SilentlyContinue", "Ignore"):
            self.sink_warning(message)

    def write_verbose(self, message: str) -> None:
        if self.verbose:
            self.sink_verbose(message)
