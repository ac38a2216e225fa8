"""WS-Management actions of one endpoint (simulated host): the shell registry and one method per action."""

from __future__ import annotations

import base64
import threading
import uuid
from dataclasses import dataclass, field
from xml.etree import ElementTree as ET

from tests.lab.wsman import soap, trace
from tests.lab.wsman.backend import Backend
from tests.lab.wsman.shell import Shell
from tests.lab.wsman.soap import NS, WSManRequest, q


@dataclass
class Caller:
    user: str
    auth: str  # "basic", "ntlm", "negotiate", "credssp", "certificate"
    client_ip: str
    address: str  # the endpoint URL the client used
    delegated: bool = False  # the logon carried credentials for a second hop (tests/lab/wsman/auth.py)


class AnswerLost(Exception):
    """An injected "receive" fault: the request was handled (the answer is computed and its data taken from the
    outbox) but the answer must not reach the client. `kind`: "lost_receive" (hold past the client's read timeout,
    then close) or "drop_after" (close at once)."""

    def __init__(self, kind: str, action: str) -> None:
        super().__init__(kind)
        self.kind = kind
        self.action = action


ANSWER_FAULTS = ("lost_receive", "drop_after")


@dataclass
class Outcome:
    action: str  # response wsa:Action
    body: list[ET.Element] = field(default_factory=list)
    psrp_in: list[str] = field(default_factory=list)
    psrp_out: list[str] = field(default_factory=list)


class Dispatcher:
    def __init__(self, backend: Backend, endpoint: str, max_poll: float) -> None:
        self.backend = backend
        self.endpoint = endpoint
        self.max_poll = max_poll
        self._shells: dict[str, Shell] = {}
        self._lock = threading.Lock()

    def handle(self, req: WSManRequest, caller: Caller) -> Outcome:
        handler = getattr(self, f"_do_{req.short_action.lower()}", None)
        if handler is None:
            raise soap.action_not_supported(req.action)
        return handler(req, caller)

    def _shell(self, req: WSManRequest) -> Shell:
        shell_id = req.selectors.get("ShellId", "")
        with self._lock:
            shell = self._shells.get(shell_id.upper())
        if shell is None:
            raise soap.unknown_shell(shell_id)
        return shell

    @staticmethod
    def _body(req: WSManRequest, prefix: str, name: str) -> ET.Element:
        if req.body is None or req.body.tag != q(prefix, name):
            raise soap.WSManFault(
                0x80338043, "w:SchemaValidationError", f"The request body has no {prefix}:{name}.", value="s:Sender"
            )
        return req.body

    # -- actions -------------------------------------------------------------------------------------------------
    def _do_create(self, req: WSManRequest, caller: Caller) -> Outcome:
        node = self._body(req, "rsp", "Shell")
        shell_id = (node.attrib.get("ShellId") or str(uuid.uuid4())).upper()
        creation = node.find("pwsh:creationXml", NS)
        configuration = req.resource_uri.rstrip("/").rsplit("/", 1)[-1]
        runspace = self.backend.open_runspace(self.endpoint, caller.user, caller.auth, configuration, caller.delegated)
        shell = Shell(
            shell_id,
            req.resource_uri,
            caller.user,
            runspace,
            fault=lambda stage, detail: self.backend.fault(self.endpoint, stage, detail),
        )
        data = base64.b64decode(creation.text or "") if creation is not None else b""
        try:
            names = shell.feed(data) if data else []
        except Exception:
            shell.close()
            raise
        with self._lock:
            self._shells[shell_id] = shell
        body = [
            soap.resource_created(caller.address, req.resource_uri, shell_id),
            soap.shell_element(shell_id, req.resource_uri, caller.user, caller.client_ip),
        ]
        return Outcome(req.action + "Response", body, names)

    def _do_command(self, req: WSManRequest, caller: Caller) -> Outcome:
        shell = self._shell(req)
        node = self._body(req, "rsp", "CommandLine")
        command_id = (node.attrib.get("CommandId") or str(uuid.uuid4())).upper()
        args = node.find("rsp:Arguments", NS)
        names = shell.create_command(command_id, base64.b64decode(args.text or "") if args is not None else b"")
        response = soap.simple("rsp", "CommandResponse")
        response.append(soap.simple("rsp", "CommandId", command_id))
        return Outcome(req.action + "Response", [response], names)

    def _do_send(self, req: WSManRequest, caller: Caller) -> Outcome:
        shell = self._shell(req)
        names: list[str] = []
        for stream in self._body(req, "rsp", "Send").findall("rsp:Stream", NS):
            data = base64.b64decode(stream.text or "")
            if data:
                names += shell.feed(data, stream.attrib.get("Name", "stdin"), stream.attrib.get("CommandId"))
        return Outcome(req.action + "Response", [soap.simple("rsp", "SendResponse")], names)

    def _do_receive(self, req: WSManRequest, caller: Caller) -> Outcome:
        shell = self._shell(req)
        desired = self._body(req, "rsp", "Receive").find("rsp:DesiredStream", NS)
        command_id = desired.attrib.get("CommandId") if desired is not None else None
        timeout = min(req.operation_timeout, self.max_poll)
        names = shell.command_names(command_id)
        chunks, state = shell.receive(command_id, timeout, req.max_envelope_size)
        if command_id and chunks and state == "Done":
            # This answer carries the end of the pipeline (it has run): an injected fault may lose it.
            kind = self.backend.fault(self.endpoint, "receive", names)
            if kind in ANSWER_FAULTS:
                raise AnswerLost(kind, req.short_action)
        out = [name for chunk in chunks for name in trace.message_types(chunk)] if trace.enabled() else []
        return Outcome(
            req.action + "Response", [soap.receive_response(command_id, Shell.b64(chunks), state)], psrp_out=out
        )

    def _do_signal(self, req: WSManRequest, caller: Caller) -> Outcome:
        shell = self._shell(req)
        node = self._body(req, "rsp", "Signal")
        code = node.find("rsp:Code", NS)
        shell.signal(node.attrib.get("CommandId"), (code.text or "") if code is not None else "")
        return Outcome(
            req.action + "Response",
            [soap.simple("rsp", "SignalResponse")],
            [f"Signal:{(code.text or '').rsplit('/', 1)[-1]}" if code is not None else "Signal"],
        )

    def _do_delete(self, req: WSManRequest, caller: Caller) -> Outcome:
        shell = self._shell(req)
        with self._lock:
            self._shells.pop(shell.shell_id, None)
        shell.close()
        return Outcome(req.action + "Response")

    def _do_get(self, req: WSManRequest, caller: Caller) -> Outcome:
        shell = self._shell(req)
        return Outcome(
            req.action + "Response",
            [soap.shell_element(shell.shell_id, shell.resource_uri, shell.owner, caller.client_ip)],
        )

    def close_all(self) -> None:
        with self._lock:
            shells = list(self._shells.values())
            self._shells.clear()
        for shell in shells:
            shell.close()

    @property
    def shell_count(self) -> int:
        with self._lock:
            return len(self._shells)
