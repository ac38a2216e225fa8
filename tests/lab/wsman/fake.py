"""A tiny Backend for the transport's self-tests and benchmark: a handful of fake cmdlets, no PowerShell semantics."""

from __future__ import annotations

import shlex
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from psrpcore.types import PSCustomObject

from tests.lab.wsman.backend import (
    NAMES_SEPARATOR,
    Command,
    ErrorSpec,
    PipelineRequest,
    PipelineWriter,
    TerminatingError,
)

DOMAIN = "LAB"
ACCOUNTS = {"lab": "labpass", "nobody": "nopass"}  # nobody can log on but is not authorized
AUTHORIZED = {"lab\\lab"}


@dataclass
class FaultRule:
    endpoint: str | None
    stage: str
    kind: str
    detail: str | None = None
    count: int = 1


def _params(cmd: Command) -> dict[str, Any]:
    return {str(name).lower(): value for name, value in cmd.parameters if name is not None}


class FakeRunspace:
    """Commands: Get-Thing, Fail-Thing, Error-Thing, Warn-Thing, Slow-Thing, Big-Thing, Echo-Thing; plus the
    Invoke-Expression/Out-String pair that pypsrp's Client.execute_ps sends."""

    def __init__(self, backend: FakeBackend, endpoint: str, user: str) -> None:
        self.backend = backend
        self.endpoint = endpoint
        self.user = user
        self.closed = False

    def invoke(self, request: PipelineRequest, writer: PipelineWriter) -> None:
        self.backend.calls.append((self.endpoint, self.user, [c.name for c in request.commands]))
        items: list[Any] = list(request.input)
        statement: list[Any] = []
        for cmd in request.commands:
            items = self._run(cmd, items, writer)
            if cmd.end_of_statement:
                statement.extend(items)
                items = []
        for obj in statement + items:
            writer.write_output(obj)

    def _run(self, cmd: Command, items: list[Any], writer: PipelineWriter) -> list[Any]:
        name = cmd.name.strip()
        params = _params(cmd)
        if cmd.is_script or name.lower() == "invoke-expression":
            text = name if cmd.is_script else str(params.get("command", ""))
            words = shlex.split(text)
            if not words:
                return []
            args: list[tuple[str | None, Any]] = []
            for i, word in enumerate(words[1:], 1):
                if word.startswith("-"):
                    args.append(
                        (word[1:], words[i + 1] if i + 1 < len(words) and not words[i + 1].startswith("-") else None)
                    )
            return self._run(Command(words[0], parameters=args), items, writer)
        handler = getattr(self, "_cmd_" + name.lower().replace("-", "_"), None)
        if handler is None:
            raise TerminatingError(
                ErrorSpec(
                    message=f"The term '{name}' is not recognized as the name of a cmdlet, function, script file, or operable program.",
                    category="ObjectNotFound",
                    fqid="CommandNotFoundException",
                    exception_type="System.Management.Automation.CommandNotFoundException",
                    target=name,
                )
            )
        return handler(params, items, writer)

    @staticmethod
    def _cmd_get_thing(params: dict[str, Any], items: list[Any], writer: PipelineWriter) -> list[Any]:
        count = int(params.get("count", 1))
        name = str(params.get("name", "thing"))
        return [PSCustomObject(PSTypeName="Lab.Thing", Name=name, Index=i) for i in range(count)]

    @staticmethod
    def _cmd_fail_thing(params: dict[str, Any], items: list[Any], writer: PipelineWriter) -> list[Any]:
        writer.write_output("before failure")
        raise TerminatingError(
            ErrorSpec(
                message=str(params.get("message", "Thing failed")),
                category="InvalidOperation",
                fqid="ThingFailed,Fail-Thing",
                exception_type="System.InvalidOperationException",
                target="thing",
                activity="Fail-Thing",
                reason="InvalidOperationException",
            )
        )

    @staticmethod
    def _cmd_error_thing(params: dict[str, Any], items: list[Any], writer: PipelineWriter) -> list[Any]:
        writer.write_error(
            ErrorSpec(
                message="Thing not found",
                category="ObjectNotFound",
                fqid="ThingNotFound,Error-Thing",
                exception_type="System.Management.Automation.ItemNotFoundException",
                target="missing",
                activity="Error-Thing",
            )
        )
        return ["after error"]

    @staticmethod
    def _cmd_warn_thing(params: dict[str, Any], items: list[Any], writer: PipelineWriter) -> list[Any]:
        writer.write_warning("thing is odd")
        writer.write_verbose("looking at thing")
        return ["warned"]

    @staticmethod
    def _cmd_slow_thing(params: dict[str, Any], items: list[Any], writer: PipelineWriter) -> list[Any]:
        deadline = time.monotonic() + float(params.get("seconds", 1))
        while time.monotonic() < deadline:
            if writer.stopped:
                return []
            time.sleep(0.02)
        return ["slow done"]

    @staticmethod
    def _cmd_big_thing(params: dict[str, Any], items: list[Any], writer: PipelineWriter) -> list[Any]:
        size = int(params.get("size", 3 * 1024 * 1024))
        chunk = 64 * 1024
        for i in range(0, size, chunk):
            writer.write_output(chr(ord("a") + (i // chunk) % 26) * min(chunk, size - i))
        return []

    @staticmethod
    def _cmd_echo_thing(params: dict[str, Any], items: list[Any], writer: PipelineWriter) -> list[Any]:
        if "value" in params:
            value = params["value"]
            return [len(value) if params.get("length") is not None or "length" in params else value]
        return list(items)

    @staticmethod
    def _cmd_out_string(params: dict[str, Any], items: list[Any], writer: PipelineWriter) -> list[Any]:
        return [getattr(i, "Name", None) or str(i) for i in items]

    def close(self) -> None:
        self.closed = True


@dataclass
class FakeBackend:
    """Backend with one domain account, fault rules and a request log."""

    requests: list[tuple[str, str, int, int, int]] = field(default_factory=list)
    logons: list[tuple[str, str, str, str]] = field(default_factory=list)  # (endpoint, user, method, mechanism)
    delegated: list[bool] = field(default_factory=list)  # per logon: credentials for a second hop
    calls: list[tuple[str, str, list[str]]] = field(default_factory=list)
    faults: list[FaultRule] = field(default_factory=list)
    runspaces: list[FakeRunspace] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def check_password(self, endpoint: str, user: str, password: str) -> str | None:
        name = user.split("\\")[-1].split("@")[0].lower()
        return f"{DOMAIN}\\{name}" if ACCOUNTS.get(name) == password else None

    def ntlm_accounts(self) -> list[tuple[str, str, str]]:
        return [(DOMAIN, user, pw) for user, pw in ACCOUNTS.items()] + [("", user, pw) for user, pw in ACCOUNTS.items()]

    def authorize(self, endpoint: str, user: str) -> bool:
        name = user.split("\\")[-1].lower()
        return f"{DOMAIN.lower()}\\{name}" in AUTHORIZED

    def map_certificate(self, endpoint: str, subject_cn: str, upn: str | None) -> str | None:
        return f"{DOMAIN}\\{subject_cn}" if subject_cn.lower() in ACCOUNTS else None

    def open_runspace(
        self, endpoint: str, user: str, auth: str, configuration_name: str, delegated: bool = False
    ) -> FakeRunspace:
        runspace = FakeRunspace(self, endpoint, user)
        with self.lock:
            self.runspaces.append(runspace)
        return runspace

    def add_fault(
        self, stage: str, kind: str, endpoint: str | None = None, detail: str | None = None, count: int = 1
    ) -> None:
        with self.lock:
            self.faults.append(FaultRule(endpoint, stage, kind, detail, count))

    def fault(self, endpoint: str, stage: str, detail: str = "") -> str | None:
        with self.lock:
            for rule in self.faults:
                if (
                    rule.stage == stage
                    and rule.endpoint in (None, endpoint)
                    and (rule.detail is None or rule.detail in detail.split(NAMES_SEPARATOR))
                ):
                    rule.count -= 1
                    if rule.count <= 0:
                        self.faults.remove(rule)
                    return rule.kind
        return None

    def record_request(self, endpoint: str, action: str, bytes_in: int, bytes_out: int, status: int) -> None:
        with self.lock:
            self.requests.append((endpoint, action, bytes_in, bytes_out, status))

    def record_logon(self, endpoint: str, user: str, method: str, mechanism: str, delegated: bool = False) -> None:
        with self.lock:
            self.logons.append((endpoint, user, method, mechanism))
            self.delegated.append(delegated)
