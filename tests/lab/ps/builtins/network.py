"""Test-NetConnection, Invoke-WebRequest, Get-LocalGroupMember."""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlparse

from tests.lab.ps.binder import BoundArgs
from tests.lab.ps.context import CallContext
from tests.lab.ps.convert import LabObject
from tests.lab.ps.errors import fail
from tests.lab.ps.spec import P, cmdlet

COMMON_PORTS = {"HTTP": 80, "RDP": 3389, "SMB": 445, "WINRM": 5985}
ADMINISTRATORS_SID = "S-1-5-32-544"


def _address(name: str) -> str:
    crc = zlib.crc32(name.lower().encode())
    return f"10.{crc >> 16 & 255}.{crc >> 8 & 255}.{crc & 255 or 1}"


@cmdlet(
    "Test-NetConnection",
    default_set="CommonTCPPort",
    impl_type="Test-NetConnection",
    params=[
        P("ComputerName", "string", aliases=("RemoteAddress", "cn"), position=0, pipeline=True),
        P(
            "CommonTCPPort",
            "enum",
            values=tuple(COMMON_PORTS),
            aliases=("TCP",),
            sets={"CommonTCPPort": {"position": 1}},
        ),
        P("Port", "int32", aliases=("RemotePort",), sets={"RemotePort": {"mandatory": True}}),
        P("TraceRoute", "switch", sets={"ICMP": {}}),
        P("Hops", "int32", sets={"ICMP": {}}),
        P("DiagnoseRouting", "switch", sets={"NetRouteDiagnostics": {"mandatory": True}}),
        P("InformationLevel", "enum", values=("Quiet", "Detailed")),
    ],
)
def test_net_connection(ctx: CallContext, args: BoundArgs) -> Any:
    name = args.get("ComputerName") or "internetbeacon.msedge.net"
    port = args.get("Port") or COMMON_PORTS.get(args.get("CommonTCPPort") or "", 0)
    ok = ctx.host.network.reach(name, port or 0)
    if not ok:
        ctx.write_warning(
            f"TCP connect to ({_address(name)} : {port}) failed"
            if port
            else f"Ping to {name} failed with status: TimedOut"
        )
    if args.get("InformationLevel") == "Quiet":
        return ok
    props: dict[str, Any] = {
        "ComputerName": name,
        "RemoteAddress": _address(name),
        "InterfaceAlias": "Ethernet",
        "SourceAddress": _address(ctx.host.fqdn),
        "PingSucceeded": ok,
    }
    if port:
        props.update({"RemotePort": port, "TcpTestSucceeded": ok})
    return LabObject(["TestNetConnectionResult", "System.Object"], props, "TestNetConnectionResult")


@cmdlet(
    "Invoke-WebRequest",
    params=[
        P("Uri", "uri", mandatory=True, position=0),
        P(
            "Method",
            "enum",
            type_name="Microsoft.PowerShell.Commands.WebRequestMethod",
            values=("Default", "Get", "Head", "Post", "Put", "Delete", "Trace", "Options", "Merge", "Patch"),
        ),
        P("UseBasicParsing", "switch"),
        P("WebSession", "object"),
        P("SessionVariable", "string", aliases=("SV",)),
        P("Credential", "pscredential"),
        P("UseDefaultCredentials", "switch"),
        P("CertificateThumbprint", "string"),
        P("Certificate", "object"),
        P("UserAgent", "string"),
        P("DisableKeepAlive", "switch"),
        P("TimeoutSec", "int32"),
        P("Headers", "hashtable"),
        P("MaximumRedirection", "int32"),
        P("Proxy", "uri"),
        P("ProxyCredential", "pscredential"),
        P("ProxyUseDefaultCredentials", "switch"),
        P("Body", "object", pipeline=True),
        P("ContentType", "string"),
        P("TransferEncoding", "string"),
        P("InFile", "string"),
        P("OutFile", "string"),
        P("PassThru", "switch"),
    ],
)
def invoke_web_request(ctx: CallContext, args: BoundArgs) -> Any:
    url = urlparse(args["Uri"])
    hostname = url.hostname or args["Uri"]
    port = url.port or (80 if url.scheme == "http" else 443)
    network = ctx.host.network
    proxy = args.get("Proxy") or getattr(network, "default_proxy", None)
    message = None
    if proxy is not None and not network.reach(
        urlparse(proxy if "://" in proxy else f"http://{proxy}").hostname or proxy, 0
    ):
        message = "Unable to connect to the remote server"
    elif proxy is not None and not network.reach(hostname, port, proxy=proxy):
        message = "The remote server returned an error: (502) Bad Gateway."
    elif proxy is None and not network.reach(hostname, port):
        message = "Unable to connect to the remote server"
    if message is not None:
        raise fail(
            message,
            "InvalidOperation",
            ctx.spec.fqid("WebCmdletWebResponseException"),
            "System.Net.WebException",
            ctx.spec.name,
            target=args["Uri"],
        )
    kind = "BasicHtmlWebResponseObject" if args.get("UseBasicParsing") else "HtmlWebResponseObject"
    return LabObject(
        [f"Microsoft.PowerShell.Commands.{kind}", "Microsoft.PowerShell.Commands.WebResponseObject", "System.Object"],
        {
            "StatusCode": 200,
            "StatusDescription": "OK",
            "Content": "",
            "RawContent": "HTTP/1.1 200 OK\r\n\r\n",
            "Headers": {},
            "RawContentLength": 0,
        },
        "",
    )


def _principal(ctx: CallContext, account: str) -> LabObject:
    domain, _unused, name = account.partition("\\")
    domain = domain.upper()
    source = "Local" if domain == ctx.host.netbios else "ActiveDirectory"
    sid = f"S-1-5-21-{zlib.crc32(domain.encode())}-{zlib.crc32(name.encode())}"
    kind = "Group" if "admins" in name.lower() or name.lower().endswith(" admins") else "User"
    return LabObject(
        [
            "Microsoft.PowerShell.Commands.LocalPrincipal",
            "Microsoft.PowerShell.Commands.LocalPrincipal",
            "System.Object",
        ],
        {"Name": f"{domain}\\{name}", "SID": sid, "PrincipalSource": source, "ObjectClass": kind},
        f"{domain}\\{name}",
    )


@cmdlet(
    "Get-LocalGroupMember",
    default_set="Default",
    params=[
        P("Group", "object", sets={"Group": {"mandatory": True, "position": 0, "pipeline": True}}),
        P("Name", "string", sets={"Default": {"mandatory": True, "position": 0}}),
        P("SID", "string", sets={"SecurityIdentifier": {"mandatory": True}}),
        P("Member", "string", position=1),
    ],
)
def get_local_group_member(ctx: CallContext, args: BoundArgs) -> Iterator[Any]:
    group = (
        args.get("Name")
        or args.get("SID")
        or (args["Group"].get("Name") if isinstance(args.get("Group"), LabObject) else str(args.get("Group")))
    )
    if str(group).lower() not in ("administrators", ADMINISTRATORS_SID.lower()):
        ctx.write_error(
            ctx.error(
                f"Group {group} was not found.",
                "ObjectNotFound",
                "GroupNotFound",
                "Microsoft.PowerShell.Commands.GroupNotFoundException",
                target=group,
            )
        )
        return
    member = args.get("Member")
    for account in sorted(ctx.host.admins):
        obj = _principal(ctx, account)
        if member is None or member.lower() in (obj["Name"].lower(), account.split("\\")[-1]):
            yield obj
