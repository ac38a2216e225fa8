"""One simulated Windows server: accounts, registry, services, files, modules, network."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from tests.lab.windows.cidict import CIDict
from tests.lab.windows.files import FileSystem
from tests.lab.windows.network import Network
from tests.lab.windows.registry import Registry
from tests.lab.world.clock import Clock


class ServiceError(Exception):
    """Raised by a service listener to make a start/stop fail (the cmdlet reports it)."""


@dataclass
class Service:
    name: str
    display_name: str
    status: str = "Running"  # Running | Stopped | StartPending | StopPending | Paused
    start_type: str = "Automatic"  # Automatic | Manual | Disabled
    listeners: list[Callable[[Service, str], None]] = field(default_factory=list)

    def _fire(self, action: str) -> None:
        for listener in list(self.listeners):
            listener(self, action)

    def start(self) -> None:
        if self.status == "Running":
            return
        if self.start_type == "Disabled":
            raise ServiceError(f"service {self.name} is disabled")
        self._fire("start")
        self.status = "Running"

    def stop(self) -> None:
        if self.status == "Stopped":
            return
        self._fire("stop")
        self.status = "Stopped"

    def restart(self) -> None:
        self.stop()
        self.start()


@dataclass
class ModuleInfo:
    name: str
    version: str = "1.0"
    path: str = ""  # the .psd1 (or .psm1) file
    description: str = ""


@dataclass
class WindowsHost:
    fqdn: str
    clock: Clock
    domain: str = "CONTOSO"
    accounts: dict[str, str] = field(default_factory=dict)  # lower "domain\\user" -> password
    admins: set[str] = field(default_factory=set)  # lower "domain\\name"
    services: dict[str, Service] = field(default_factory=dict)  # lower name -> Service
    modules: dict[str, ModuleInfo] = field(default_factory=dict)
    network: Network = field(default_factory=Network)
    os_caption: str = "Microsoft Windows Server 2022 Standard"
    last_boot: datetime | None = None
    registry: Registry = field(default_factory=Registry)
    env: CIDict = field(default_factory=CIDict)
    files: FileSystem = field(init=False)

    def __post_init__(self) -> None:
        self.files = FileSystem(self.clock)
        if self.last_boot is None:
            self.last_boot = self.clock.now()
        defaults = {
            "COMPUTERNAME": self.netbios,
            "USERDOMAIN": self.domain,
            "SystemRoot": "C:\\Windows",
            "ProgramFiles": "C:\\Program Files",
            "ProgramFiles(x86)": "C:\\Program Files (x86)",
            "TEMP": "C:\\Windows\\TEMP",
            "windir": "C:\\Windows",
            "PSModulePath": "C:\\Program Files\\WindowsPowerShell\\Modules;C:\\Windows\\system32\\WindowsPowerShell\\v1.0\\Modules",
        }
        for name, value in defaults.items():
            self.env.setdefault(name, value)

    @property
    def netbios(self) -> str:
        return self.fqdn.split(".", 1)[0].upper()

    @property
    def dns_domain(self) -> str:
        return self.fqdn.split(".", 1)[1] if "." in self.fqdn else ""

    @property
    def computer_account(self) -> str:
        return f"{self.domain}\\{self.netbios}$"

    def getenv(self, name: str, default: str | None = None) -> str | None:
        return self.env.get(name, default)

    def add_service(
        self, name: str, display_name: str | None = None, status: str = "Running", start_type: str = "Automatic"
    ) -> Service:
        service = Service(name, display_name or name, status, start_type)
        self.services[name.lower()] = service
        return service

    def add_module(self, name: str, version: str = "1.0", path: str = "") -> ModuleInfo:
        """Register a module and create its manifest file so path-based Import-Module finds it."""
        path = path or f"C:\\Program Files\\WindowsPowerShell\\Modules\\{name}\\{name}.psd1"
        self.files.write(path, f"@{{ ModuleVersion = '{version}' }}\r\n")
        info = ModuleInfo(name, version, path)
        self.modules[name.lower()] = info
        return info

    def is_admin(self, user: str) -> bool:
        return user.lower() in self.admins
