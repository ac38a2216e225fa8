"""PSRuntime driven directly with a recording writer (no network)."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

import pytest
from psrpcore import PSRemotingCrypto
from psrpcore.types import PSSecureString
from psrpcore.types._serializer import deserialize, serialize

from tests.lab.ps.convert import LabObject, from_ps
from tests.lab.ps.runtime import PSRuntime
from tests.lab.ps.spec import P, cmdlet
from tests.lab.windows.host import WindowsHost
from tests.lab.world.clock import Clock
from tests.lab.wsman.backend import Command, ErrorSpec, PipelineRequest, TerminatingError


@dataclass
class Faults:
    pending: list[tuple[str, str, str | None]] = field(default_factory=list)  # (stage, host, cmdlet)

    def take(self, stage: str, host: str, cmdlet: str | None = None) -> str | None:
        if (stage, host, cmdlet) in self.pending:
            self.pending.remove((stage, host, cmdlet))
            return "fail_cmdlet"
        return None


class World:
    """Stand-in for tests/lab/world's World: just what the runtime touches."""

    def __init__(self) -> None:
        self.clock = Clock()
        self.lock = threading.RLock()
        self.faults = Faults()
        self.calls: list[dict[str, Any]] = []
        self.hosts = {"scp01.contoso.com": WindowsHost("scp01.contoso.com", self.clock)}
        self.drives: list[tuple[str, str]] = []

    def host(self, name: str) -> WindowsHost | None:
        return self.hosts.get(name.lower())

    def record_call(self, host, user, cmdlet, parameters, outcome) -> None:
        self.calls.append({"host": host, "user": user, "cmdlet": cmdlet, "parameters": parameters, "outcome": outcome})

    def connect_site_drive(self, _ctx, name, root) -> None:
        if root.lower() != "cas01.contoso.com":
            raise TerminatingError(ErrorSpec("No SMS Provider", "ConnectionError", "ProviderFail,Lab"))
        self.drives.append((name, root))


# No session key was exchanged: serializing a SecureString through it raises MissingCipherError.
_NO_KEY = PSRemotingCrypto()


class Writer:
    def __init__(self) -> None:
        self.output: list[Any] = []
        self.errors: list[ErrorSpec] = []
        self.warnings: list[str] = []
        self.verbose: list[str] = []

    def write_output(self, obj: Any) -> None:
        # Through CLIXML and back, as the transport and a client would see it.
        self.output.append(from_ps(deserialize(serialize(obj, _NO_KEY), _NO_KEY)))

    def write_error(self, record: ErrorSpec) -> None:
        self.errors.append(record)

    def write_warning(self, message: str) -> None:
        self.warnings.append(message)

    def write_verbose(self, message: str) -> None:
        self.verbose.append(message)

    @property
    def stopped(self) -> bool:
        return False


@cmdlet("Get-LabDummy", module="LabDummy", params=[P("Name", "string", position=0), P("Secret", "securestring")])
def _dummy(_ctx, args):
    yield f"dummy:{args.get('Name')}"


@cmdlet("Get-CMLabThing", module="ConfigurationManager", impl_type="Lab.GetThing", params=[P("Name", "string")])
def _cm_thing(ctx, _args):
    yield ctx.site_code


@pytest.fixture()
def env():
    world = World()
    host = world.hosts["scp01.contoso.com"]
    host.add_module("LabDummy")
    host.add_module(
        "ConfigurationManager",
        "5.2203.1063.1000",
        "C:\\Program Files (x86)\\Microsoft Configuration Manager\\AdminConsole\\bin\\ConfigurationManager.psd1",
    )
    host.add_service("SMS_EXECUTIVE", "SMS Agent Host")
    host.registry.set_value("HKLM:\\SOFTWARE\\Lab", "Mode", 1, "DWord")
    host.admins.add("contoso\\cas01$")
    return world, host, PSRuntime(world, host, "CONTOSO\\ansible", "ntlm")


def cmd(name: str, *params: tuple[str | None, Any], end: bool = False, script: bool = False) -> Command:
    return Command(name, script, list(params), end)


def run(rt: PSRuntime, *commands: Command, data: list[Any] | None = None) -> Writer:
    writer = Writer()
    rt.invoke(PipelineRequest(list(commands), data or []), writer)
    return writer


def fails(rt: PSRuntime, *commands: Command) -> ErrorSpec:
    with pytest.raises(TerminatingError) as info:
        run(rt, *commands)
    return info.value.spec


def test_unknown_cmdlet_and_module_gating(env):
    world, _unused, rt = env
    spec = fails(rt, cmd("Get-LabDummy"))
    assert spec.fqid == "CommandNotFoundException" and spec.category == "ObjectNotFound"
    assert spec.message.startswith("The term 'Get-LabDummy' is not recognized as the name of a cmdlet")
    out = run(
        rt,
        cmd("Import-Module", ("Name", "labdummy"), end=True),
        cmd("get-labdummy", (None, "x"), ("Secret", PSSecureString("pw"))),
    )
    assert out.output == ["dummy:x"]
    assert world.calls[-1]["parameters"] == {"Name": "x", "Secret": "********"}
    assert [c["outcome"] for c in world.calls] == ["failed: CommandNotFoundException", "ok", "ok"]


def test_import_module_by_path_and_not_found(env):
    _unused, _unused, rt = env
    out = run(
        rt,
        cmd(
            "Import-Module",
            (
                None,
                "C:\\Program Files (x86)\\Microsoft Configuration Manager\\AdminConsole\\bin\\"
                "..\\bin\\ConfigurationManager.psd1",
            ),
            ("PassThru", None),
        ),
    )
    assert out.output[0].type_names[0] == "System.Management.Automation.PSModuleInfo"
    out = run(rt, cmd("Import-Module", ("Name", "Nope")))
    assert out.errors[0].fqid == "Modules_ModuleNotFound,Microsoft.PowerShell.Commands.ImportModuleCommand"
    assert out.errors[0].message == (
        "The specified module 'Nope' was not loaded because no valid module file was found in any module directory."
    )
    assert fails(rt, cmd("Import-Module", ("Name", "Nope"), ("ErrorAction", "Stop"))).fqid.startswith(
        "Modules_ModuleNotFound"
    )
    assert run(rt, cmd("Import-Module", ("Name", "Nope"), ("ea", "SilentlyContinue"))).errors == []


def test_cm_drive_flow(env):
    world, _unused, rt = env
    assert fails(rt, cmd("Get-CMLabThing")).fqid == "CommandNotFoundException"
    out = run(rt, cmd("New-PSDrive", ("Name", "PS1"), ("PSProvider", "CMSite"), ("Root", "cas01")))
    assert out.errors[0].fqid == "ProviderNotFound,Microsoft.PowerShell.Commands.NewPSDriveCommand"
    run(rt, cmd("Import-Module", (None, "ConfigurationManager")))
    spec = fails(rt, cmd("Get-CMLabThing"))
    assert (spec.fqid, spec.category) == ("System.InvalidOperationException,Lab.GetThing", "NotSpecified")
    assert (
        fails(rt, cmd("New-PSDrive", (None, "PS1"), (None, "CMSite"), (None, "bad.contoso.com"))).fqid
        == "ProviderFail,Lab"
    )
    out = run(
        rt,
        cmd("New-PSDrive", (None, "PS1"), (None, "CMSite"), (None, "cas01.contoso.com"), end=True),
        cmd("Set-Location", (None, "PS1:"), end=True),
        cmd("Get-CMLabThing", end=True),
        cmd("Get-Location"),
    )
    assert world.drives == [("PS1", "cas01.contoso.com")]
    assert out.output[1:] == ["PS1", out.output[2]] and str(out.output[2]) == "PS1:\\"
    assert out.output[0]["SiteServer"] == "cas01.contoso.com"
    out = run(rt, cmd("Get-PSDrive", ("Name", "XX")))
    assert out.errors[0].fqid == "GetDriveNoMatchingDrive,Microsoft.PowerShell.Commands.GetPSDriveCommand"


def test_terminating_error_stops_later_statements(env):
    world, _unused, rt = env
    with pytest.raises(TerminatingError):
        run(rt, cmd("Get-Date", end=True), cmd("Get-Service", ("Nme", "x"), end=True), cmd("Get-Date"))
    assert [c["cmdlet"] for c in world.calls] == ["Get-Date", "Get-Service"]


def test_scripts_refused(env):
    world, _unused, rt = env
    spec = fails(rt, cmd("Get-Service | Stop-Service", script=True))
    assert (spec.category, spec.fqid) == ("PermissionDenied", "ScriptsRefused,Lab")
    assert "structured cmdlet calls only" in spec.message
    assert world.calls[-1]["outcome"] == "failed: ScriptsRefused,Lab"


def test_fault_injection(env):
    world, _unused, rt = env
    world.faults.pending.append(("invoke", "scp01.contoso.com", "Get-Date"))
    assert fails(rt, cmd("Get-Date")).fqid == "InjectedFault,Lab"
    assert run(rt, cmd("Get-Date")).output == [world.clock.now()]


def test_piping_and_select_object(env):
    _unused, host, rt = env
    host.add_service("WinRM", "Windows Remote Management (WS-Management)", "Stopped")
    out = run(rt, cmd("Get-Service", ("Name", "SMS_EXECUTIVE")), cmd("Select-Object", ("ExpandProperty", "Status")))
    assert str(out.output[0]) == "Running"
    out = run(
        rt,
        cmd("Get-Service", ("Name", "winrm")),
        cmd("Start-Service", ("PassThru", None)),
        cmd("Select-Object", ("Property", ["Name", "Status"])),
    )
    assert out.output[0]["Name"] == "WinRM" and str(out.output[0]["Status"]) == "Running"
    assert out.output[0].type_names[0] == "Selected.System.ServiceProcess.ServiceController"
    out = run(rt, cmd("Write-Output", ("InputObject", [3, 1, 2])), cmd("Select-Object", ("First", 2)))
    assert out.output == [3, 1]
    out = run(rt, cmd("Select-Object", ("Last", 1)), data=["a", "b"])
    assert out.output == ["b"]


def test_measure_object_counts_and_measures(env):
    _unused, host, rt = env
    host.files.write("C:\\Logs\\a.log", "one\r\n\r\ntwo\r\nthree\r\n")
    out = run(rt, cmd("Get-Content", ("LiteralPath", "C:\\Logs\\a.log")), cmd("Measure-Object"))
    info = out.output[0]
    assert info.type_names[0] == "Microsoft.PowerShell.Commands.GenericMeasureInfo"
    assert info["Count"] == 4 and info["Sum"] is None and info["Property"] is None  # the empty line is an object
    out = run(
        rt,
        cmd("Get-Content", ("LiteralPath", "C:\\Logs\\missing.log"), ("ErrorAction", "SilentlyContinue")),
        cmd("Measure-Object"),
    )
    assert out.output[0]["Count"] == 0
    out = run(
        rt, cmd("Write-Output", ("InputObject", [3, 1, 2])), cmd("Measure-Object", ("Sum", None), ("Maximum", None))
    )
    info = out.output[0]
    assert (info["Count"], info["Sum"], info["Maximum"], info["Minimum"]) == (3, 6, 3, None)
    out = run(
        rt,
        cmd("Write-Output", ("InputObject", ["ab", "c"])),
        cmd("Measure-Object", ("Property", ["Length"]), ("Average", None)),
    )
    assert (out.output[0]["Count"], out.output[0]["Average"], out.output[0]["Property"]) == (2, 1.5, "Length")
    error = fails(rt, cmd("Write-Output", ("InputObject", ["a"])), cmd("Measure-Object", ("Line", None)))
    assert error.fqid.startswith("NamedParameterNotFound")  # TextMeasure is not simulated


def test_services_errors(env):
    _unused, _unused, rt = env
    out = run(rt, cmd("Get-Service", ("Name", "Nope")))
    err = out.errors[0]
    assert (err.fqid, err.category, err.message) == (
        "NoServiceFoundForGivenName,Microsoft.PowerShell.Commands.GetServiceCommand",
        "ObjectNotFound",
        "Cannot find any service with service name 'Nope'.",
    )
    assert err.exception_type == "Microsoft.PowerShell.Commands.ServiceCommandException"
    assert fails(rt, cmd("Stop-Service", ("Name", "Nope"), ("ErrorAction", "Stop"))).fqid.endswith("StopServiceCommand")
    out = run(rt, cmd("Stop-Service", ("Name", "SMS_EXECUTIVE"), ("WhatIf", None)))
    assert out.output == [] and rt.host.services["sms_executive"].status == "Running"


def test_registry_cmdlets(env):
    _unused, host, rt = env
    out = run(rt, cmd("Get-ItemProperty", ("Path", "HKLM:\\SOFTWARE\\Lab")))
    obj = out.output[0]
    assert isinstance(obj, LabObject) and obj["Mode"] == 1
    assert obj["PSPath"] == "Microsoft.PowerShell.Core\\Registry::HKEY_LOCAL_MACHINE\\SOFTWARE\\Lab"
    assert obj["PSChildName"] == "Lab" and str(obj["PSDrive"]) == "HKLM"
    run(rt, cmd("Set-ItemProperty", ("Path", "HKLM:\\SOFTWARE\\Lab"), ("Name", "Mode"), ("Value", "0")))
    assert host.registry.get_value("HKLM:\\SOFTWARE\\Lab", "Mode") == (0, "DWord")
    out = run(rt, cmd("Get-ItemPropertyValue", (None, "HKLM:\\SOFTWARE\\Lab"), (None, "Missing")))
    assert out.errors[0].message == "Property Missing does not exist at path HKEY_LOCAL_MACHINE\\SOFTWARE\\Lab."
    out = run(
        rt,
        cmd("Test-Path", (None, "HKLM:\\SOFTWARE\\Lab"), end=True),
        cmd("Test-Path", (None, "HKLM:\\SOFTWARE\\Nope"), end=True),
        cmd("Test-Path", (None, "Q:\\x"), end=True),
        cmd("Test-Path", ("Path", "Env:\\COMPUTERNAME"), ("PathType", "leaf")),
    )
    assert out.output == [True, False, False, True]
    out = run(rt, cmd("Get-ItemProperty", ("Path", "HKLM:\\SOFTWARE\\Nope")))
    assert out.errors[0].fqid == "PathNotFound,Microsoft.PowerShell.Commands.GetItemPropertyCommand"
    assert out.errors[0].message == "Cannot find path 'HKLM:\\SOFTWARE\\Nope' because it does not exist."
    run(rt, cmd("New-Item", ("Path", "HKLM:\\SOFTWARE\\Lab\\Sub")))
    assert [o.to_string for o in run(rt, cmd("Get-ChildItem", (None, "HKLM:\\SOFTWARE\\Lab"))).output] == [
        "HKEY_LOCAL_MACHINE\\SOFTWARE\\Lab\\Sub"
    ]


def test_files_and_network(env):
    _unused, host, rt = env
    host.files.write("C:\\Logs\\a.log", "1\r\n2\r\n3\r\n")
    assert run(rt, cmd("Get-Content", ("Path", "C:\\Logs\\a.log"), ("Tail", 2))).output == ["2", "3"]
    assert run(
        rt, cmd("Set-Location", (None, "C:\\Logs"), end=True), cmd("Get-Content", (None, "a.log"), ("Raw", None))
    ).output == ["1\r\n2\r\n3\r\n"]
    host.network.direct = ["*.contoso.com"]
    host.network.proxies = {"proxy.contoso.com:8080": ["*.microsoft.com"]}
    out = run(
        rt,
        cmd("Test-NetConnection", ("ComputerName", "go.microsoft.com"), ("Port", 443), ("InformationLevel", "Quiet")),
    )
    assert out.output == [False] and out.warnings
    spec = fails(rt, cmd("Invoke-WebRequest", ("Uri", "https://go.microsoft.com/"), ("UseBasicParsing", None)))
    assert spec.fqid == "WebCmdletWebResponseException,Microsoft.PowerShell.Commands.InvokeWebRequestCommand"
    out = run(
        rt, cmd("Invoke-WebRequest", ("Uri", "https://go.microsoft.com/"), ("Proxy", "http://proxy.contoso.com:8080"))
    )
    assert out.output[0]["StatusCode"] == 200
    members = run(rt, cmd("Get-LocalGroupMember", ("SID", "S-1-5-32-544"))).output
    assert [m["Name"] for m in members] == ["CONTOSO\\cas01$"]
    cs = run(rt, cmd("Get-CimInstance", ("ClassName", "Win32_ComputerSystem"))).output[0]
    assert (cs["Name"], cs["Domain"], cs["PartOfDomain"]) == ("SCP01", "contoso.com", True)
