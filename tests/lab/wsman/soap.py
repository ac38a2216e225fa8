"""WS-Management SOAP: parse requests, build responses and faults shaped as Windows sends them."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from xml.etree import ElementTree as ET

NS = {
    "s": "http://www.w3.org/2003/05/soap-envelope",
    "wsa": "http://schemas.xmlsoap.org/ws/2004/08/addressing",
    "wsman": "http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd",
    "wsmv": "http://schemas.microsoft.com/wbem/wsman/1/wsman.xsd",
    "rsp": "http://schemas.microsoft.com/wbem/wsman/1/windows/shell",
    "wst": "http://schemas.xmlsoap.org/ws/2004/09/transfer",
    "wsmanfault": "http://schemas.microsoft.com/wbem/wsman/1/wsmanfault",
    "pwsh": "http://schemas.microsoft.com/powershell",
    "xml": "http://www.w3.org/XML/1998/namespace",
}
for _prefix, _uri in NS.items():
    if _prefix != "xml":
        ET.register_namespace(_prefix, _uri)

ACTION_PREFIXES = (
    "http://schemas.xmlsoap.org/ws/2004/09/transfer/",
    "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/",
    "http://schemas.xmlsoap.org/ws/2004/09/enumeration/",
)
FAULT_ACTION = "http://schemas.dmtf.org/wbem/wsman/1/wsman/fault"
ADDRESSING_FAULT_ACTION = "http://schemas.xmlsoap.org/ws/2004/08/addressing/fault"
ANONYMOUS = "http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous"
COMMAND_STATE = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/CommandState/"
SHELL_URI = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell"

# Windows error codes the client cares about.
ERROR_TIMED_OUT = 0x80338029  # w:TimedOut, PowerShell.poll_invoke retries on it
ERROR_UNKNOWN_SHELL = 0x8033805B  # w:InvalidSelectors, is_alive() reads it as "closed"
ERROR_ACTION_NOT_SUPPORTED = 0x80338006
ERROR_INTERNAL = 0x80004005  # E_FAIL

_TIMEOUT_RE = re.compile(r"^PT(?:(\d+)H)?(?:(\d+)M)?(?:([\d.]+)S)?$")


class WSManFault(Exception):
    """A fault to return to the client as HTTP 500 with a wsmanfault:WSManFault detail."""

    def __init__(
        self, code: int, subcode: str, message: str, value: str = "s:Receiver", action: str = FAULT_ACTION
    ) -> None:
        super().__init__(message)
        self.code = code
        self.subcode = subcode
        self.message = message
        self.value = value
        self.action = action


def timed_out() -> WSManFault:
    return WSManFault(
        ERROR_TIMED_OUT,
        "w:TimedOut",
        "The WS-Management service cannot complete the operation within the time specified in OperationTimeout.  ",
    )


def unknown_shell(shell_id: str) -> WSManFault:
    return WSManFault(
        ERROR_UNKNOWN_SHELL,
        "w:InvalidSelectors",
        f"The request for the Windows Remote Shell with ShellId {shell_id} failed because the shell was not found on the server. "
        "Possible causes are: the specified ShellId is incorrect or the shell no longer exists on the server. "
        "Provide the correct ShellId or create a new shell and retry the operation. ",
        value="s:Sender",
    )


def action_not_supported(action: str) -> WSManFault:
    return WSManFault(
        ERROR_ACTION_NOT_SUPPORTED,
        "a:ActionNotSupported",
        f"The WS-Management service cannot process the request. The action {action} is not supported by the service. ",
        value="s:Sender",
        action=ADDRESSING_FAULT_ACTION,
    )


def internal_error(message: str) -> WSManFault:
    return WSManFault(ERROR_INTERNAL, "w:InternalError", message)


def parse_timeout(text: str | None, default: float = 60.0) -> float:
    """Seconds of an xs:duration such as ``PT20S`` or ``PT20.000S``."""
    match = _TIMEOUT_RE.match((text or "").strip())
    if not match:
        return default
    hours, minutes, seconds = match.groups()
    return int(hours or 0) * 3600 + int(minutes or 0) * 60 + float(seconds or 0)


@dataclass
class WSManRequest:
    action: str
    message_id: str
    resource_uri: str
    operation_timeout: float
    max_envelope_size: int
    selectors: dict[str, str] = field(default_factory=dict)
    options: dict[str, str] = field(default_factory=dict)
    body: ET.Element | None = None

    @property
    def short_action(self) -> str:
        for prefix in ACTION_PREFIXES:
            if self.action.startswith(prefix):
                return self.action[len(prefix) :]
        return self.action.rsplit("/", 1)[-1] or "unknown"


def _text(root: ET.Element, path: str) -> str | None:
    node = root.find(path, NS)
    return node.text if node is not None else None


def parse_request(data: bytes) -> WSManRequest:
    root = ET.fromstring(data)
    header = root.find("s:Header", NS)
    if header is None:
        raise ValueError("SOAP envelope without a header")
    selectors = {
        sel.attrib.get("Name", ""): sel.text or "" for sel in header.findall("wsman:SelectorSet/wsman:Selector", NS)
    }
    options = {opt.attrib.get("Name", ""): opt.text or "" for opt in header.findall("wsman:OptionSet/wsman:Option", NS)}
    body = root.find("s:Body", NS)
    return WSManRequest(
        action=(_text(header, "wsa:Action") or "").strip(),
        message_id=(_text(header, "wsa:MessageID") or "").strip(),
        resource_uri=(_text(header, "wsman:ResourceURI") or "").strip(),
        operation_timeout=parse_timeout(_text(header, "wsman:OperationTimeout")),
        max_envelope_size=int(_text(header, "wsman:MaxEnvelopeSize") or 153600),
        selectors=selectors,
        options=options,
        body=body[0] if body is not None and len(body) else None,
    )


def q(prefix: str, name: str) -> str:
    """Clark notation of a prefixed name."""
    return f"{{{NS[prefix]}}}{name}"


def envelope(action: str, relates_to: str, body: list[ET.Element] | None = None) -> bytes:
    env = ET.Element(q("s", "Envelope"))
    header = ET.SubElement(env, q("s", "Header"))
    ET.SubElement(header, q("wsa", "Action")).text = action
    ET.SubElement(header, q("wsa", "MessageID")).text = f"uuid:{str(uuid.uuid4()).upper()}"
    ET.SubElement(header, q("wsa", "To")).text = ANONYMOUS
    ET.SubElement(header, q("wsa", "RelatesTo")).text = relates_to
    body_el = ET.SubElement(env, q("s", "Body"))
    for child in body or []:
        body_el.append(child)
    return ET.tostring(env, encoding="utf-8", xml_declaration=False)


def fault_envelope(fault: WSManFault, relates_to: str, machine: str) -> bytes:
    node = ET.Element(q("s", "Fault"))
    code = ET.SubElement(node, q("s", "Code"))
    ET.SubElement(code, q("s", "Value")).text = fault.value
    sub = ET.SubElement(code, q("s", "Subcode"))
    ET.SubElement(sub, q("s", "Value")).text = fault.subcode
    reason = ET.SubElement(node, q("s", "Reason"))
    ET.SubElement(reason, q("s", "Text"), {q("xml", "lang"): "en-US"}).text = fault.message
    detail = ET.SubElement(node, q("s", "Detail"))
    wsman_fault = ET.SubElement(detail, q("wsmanfault", "WSManFault"), {"Code": str(fault.code), "Machine": machine})
    ET.SubElement(wsman_fault, q("wsmanfault", "Message")).text = fault.message
    return envelope(fault.action, relates_to, [node])


def shell_element(shell_id: str, resource_uri: str, owner: str, client_ip: str) -> ET.Element:
    """rsp:Shell as Windows returns it in CreateResponse and GetResponse."""
    shell = ET.Element(q("rsp", "Shell"))
    fields = [
        ("ShellId", shell_id),
        ("Name", "WinRM1"),
        ("ResourceUri", resource_uri),
        ("Owner", owner),
        ("ClientIP", client_ip),
        ("IdleTimeOut", "PT7200.000S"),
        ("InputStreams", "stdin pr"),
        ("OutputStreams", "stdout"),
        ("MaxIdleTimeOut", "PT2147483.647S"),
        ("Locale", "en-US"),
        ("DataLocale", "en-US"),
        ("CompressionMode", "NoCompression"),
        ("ProfileLoaded", "Yes"),
        ("Encoding", "UTF8"),
        ("BufferMode", "Block"),
        ("State", "Connected"),
        ("ShellRunTime", "P0DT0H0M0S"),
        ("ShellInactivity", "P0DT0H0M0S"),
    ]
    for name, value in fields:
        ET.SubElement(shell, q("rsp", name)).text = value
    return shell


def resource_created(address: str, resource_uri: str, shell_id: str) -> ET.Element:
    node = ET.Element(q("wst", "ResourceCreated"))
    ET.SubElement(node, q("wsa", "Address")).text = address
    params = ET.SubElement(node, q("wsa", "ReferenceParameters"))
    ET.SubElement(params, q("wsman", "ResourceURI")).text = resource_uri
    selectors = ET.SubElement(params, q("wsman", "SelectorSet"))
    ET.SubElement(selectors, q("wsman", "Selector"), {"Name": "ShellId"}).text = shell_id
    return node


def receive_response(command_id: str | None, chunks: list[str], state: str | None) -> ET.Element:
    """chunks: base64 texts, one rsp:Stream each; state: CommandState suffix ("Done", "Running") or None."""
    node = ET.Element(q("rsp", "ReceiveResponse"))
    attrs = {"Name": "stdout"}
    if command_id:
        attrs["CommandId"] = command_id
    for chunk in chunks:
        ET.SubElement(node, q("rsp", "Stream"), attrs).text = chunk
    if command_id and state:
        cs = ET.SubElement(node, q("rsp", "CommandState"), {"CommandId": command_id, "State": COMMAND_STATE + state})
        if state == "Done":
            ET.SubElement(cs, q("rsp", "ExitCode")).text = "0"
    return node


def simple(prefix: str, name: str, text: str | None = None) -> ET.Element:
    node = ET.Element(q(prefix, name))
    if text is not None:
        node.text = text
    return node
