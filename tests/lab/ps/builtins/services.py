"""Service cmdlets; outputs mirror a deserialized System.ServiceProcess.ServiceController."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from tests.lab.ps.binder import BoundArgs
from tests.lab.ps.builtins.common import has_wildcard, wildcard
from tests.lab.ps.context import CallContext
from tests.lab.ps.convert import LabEnum, LabObject
from tests.lab.ps.spec import P, cmdlet
from tests.lab.windows.host import Service, ServiceError

SERVICE_EXC = "Microsoft.PowerShell.Commands.ServiceCommandException"
STATUS = {
    "Stopped": 1,
    "StartPending": 2,
    "StopPending": 3,
    "Running": 4,
    "ContinuePending": 5,
    "PausePending": 6,
    "Paused": 7,
}
START_MODE = {"Boot": 0, "System": 1, "Automatic": 2, "Manual": 3, "Disabled": 4}


def service_obj(service: Service) -> LabObject:
    props = {
        "Name": service.name,
        "RequiredServices": [],
        "CanPauseAndContinue": False,
        "CanShutdown": False,
        "CanStop": service.status == "Running",
        "DisplayName": service.display_name,
        "DependentServices": [],
        "MachineName": ".",
        "ServiceName": service.name,
        "ServicesDependedOn": [],
        "ServiceType": LabEnum("System.ServiceProcess.ServiceType", "Win32OwnProcess", 16),
        "StartType": LabEnum(
            "System.ServiceProcess.ServiceStartMode", service.start_type, START_MODE.get(service.start_type, 3)
        ),
        "Status": LabEnum(
            "System.ServiceProcess.ServiceControllerStatus", service.status, STATUS.get(service.status, 1)
        ),
    }
    return LabObject(
        [
            "System.ServiceProcess.ServiceController",
            "System.ComponentModel.Component",
            "System.MarshalByRefObject",
            "System.Object",
        ],
        props,
        "System.ServiceProcess.ServiceController",
        adapted=True,
    )


def _select(ctx: CallContext, args: BoundArgs) -> Iterator[Service]:
    """Services named by -Name / -DisplayName / -InputObject; missing literal names give the standard errors."""
    services = sorted(ctx.host.services.values(), key=lambda s: s.name.lower())
    if "InputObject" in args:
        for obj in args["InputObject"]:
            name = obj.get("Name") if isinstance(obj, LabObject) else str(obj)
            service = ctx.host.services.get(str(name).lower())
            if service is not None:
                yield service
        return
    by_display = "DisplayName" in args
    for pattern in args.get("DisplayName") if by_display else (args.get("Name") or ["*"]):
        hits = [
            s
            for s in services
            if wildcard(pattern, s.display_name if by_display else s.name)
            or (not by_display and wildcard(pattern, s.display_name))
        ]
        if not hits and not has_wildcard(pattern):
            what, error_id = (
                ("display name", "NoServiceFoundForGivenDisplayName")
                if by_display
                else ("service name", "NoServiceFoundForGivenName")
            )
            ctx.write_error(
                ctx.error(
                    f"Cannot find any service with {what} '{pattern}'.",
                    "ObjectNotFound",
                    error_id,
                    SERVICE_EXC,
                    target=pattern,
                )
            )
        yield from hits


def _selection_params(mandatory_name: bool) -> list[P]:
    return [
        P(
            "Name",
            "string[]",
            aliases=("ServiceName",),
            sets={"Default": {"position": 0, "pipeline": True, "mandatory": mandatory_name}},
        ),
        P("DisplayName", "string[]", sets={"DisplayName": {"mandatory": True}}),
        P(
            "InputObject",
            "object[]",
            sets={"InputObject": {"position": 0, "pipeline": True, "mandatory": mandatory_name}},
        ),
        P("Include", "string[]"),
        P("Exclude", "string[]"),
    ]


@cmdlet(
    "Get-Service",
    default_set="Default",
    params=_selection_params(False)
    + [
        P("ComputerName", "string[]", aliases=("Cn",)),
        P("DependentServices", "switch", aliases=("DS",)),
        P("RequiredServices", "switch", aliases=("SDO", "ServicesDependedOn")),
    ],
)
def get_service(ctx: CallContext, args: BoundArgs) -> Iterator[Any]:
    for service in _select(ctx, args):
        yield service_obj(service)


def _control(
    ctx: CallContext, args: BoundArgs, action: Callable[[Service], None], verb: str, error_id: str, category: str
) -> Iterator[Any]:
    for service in _select(ctx, args):
        if not ctx.whatif:
            try:
                action(service)
            except ServiceError:
                label = f"{service.display_name} ({service.name})"
                detail = (
                    f"Cannot {verb} service {service.name} on computer '.'."
                    if verb == "start"
                    else f"Cannot {verb} {service.name} service on computer '.'."
                )
                ctx.write_error(
                    ctx.error(
                        f"Service '{label}' cannot be {verb.replace('stop', 'stopp')}ed due to the following "
                        f"error: {detail}",
                        category,
                        error_id,
                        SERVICE_EXC,
                        target=service.name,
                    )
                )
                continue
        if args.get("PassThru"):
            yield service_obj(service)


@cmdlet(
    "Start-Service",
    default_set="Default",
    should_process=True,
    params=_selection_params(True) + [P("PassThru", "switch")],
)
def start_service(ctx: CallContext, args: BoundArgs) -> Iterator[Any]:
    yield from _control(ctx, args, Service.start, "start", "CouldNotStartService", "OpenError")


@cmdlet(
    "Stop-Service",
    default_set="Default",
    should_process=True,
    params=_selection_params(True) + [P("Force", "switch"), P("NoWait", "switch"), P("PassThru", "switch")],
)
def stop_service(ctx: CallContext, args: BoundArgs) -> Iterator[Any]:
    yield from _control(ctx, args, Service.stop, "stop", "CouldNotStopService", "CloseError")


@cmdlet(
    "Restart-Service",
    default_set="Default",
    should_process=True,
    params=_selection_params(True) + [P("Force", "switch"), P("PassThru", "switch")],
)
def restart_service(ctx: CallContext, args: BoundArgs) -> Iterator[Any]:
    yield from _control(ctx, args, Service.restart, "stop", "CouldNotStopService", "CloseError")
