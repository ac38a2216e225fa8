"""PSRuntime: one runspace (PSRP runspace pool) on one simulated host; runs structured pipelines."""

from __future__ import annotations

import contextlib
import types
from collections.abc import Iterable
from typing import Any

import tests.lab.ps.builtins  # noqa: F401  pylint: disable=unused-import  # registers the built-in cmdlets
from tests.lab.ps import scripts
from tests.lab.ps.binder import NULL, BoundArgs, bind, bind_input, pipeline_param
from tests.lab.ps.context import CallContext, RunspaceState
from tests.lab.ps.convert import LabObject, from_ps, to_ps
from tests.lab.ps.errors import command_not_found, fail, not_on_cm_drive
from tests.lab.ps.spec import CM_MODULE, TABLE, CmdletSpec, CmdletTable
from tests.lab.windows.host import WindowsHost
from tests.lab.wsman.backend import (
    Command,
    ErrorSpec,
    PipelineRequest,
    PipelineStopped,
    PipelineWriter,
    TerminatingError,
)

REDACTED = "********"
SCRIPTS_REFUSED = (
    "The lab accepts structured cmdlet calls only (AddCommand/AddParameter); script text (AddScript) is refused."
)
# inferred: PowerShell's RuntimeException for `throw 'text'` (category OperationStopped, FQID = the text).
THROW_EXCEPTION = "System.Management.Automation.RuntimeException"


def split_statements(commands: list[Command]) -> list[list[Command]]:
    statements: list[list[Command]] = [[]]
    for command in commands:
        statements[-1].append(command)
        if command.end_of_statement:
            statements.append([])
    return [s for s in statements if s]


def _redact_raw(name: str | None, value: Any, spec: CmdletSpec | None) -> Any:
    if value is NULL:
        return None
    param = spec.param(name) if spec is not None and name else None
    if param is not None and param.is_secret:
        return REDACTED
    return REDACTED if type(value).__name__ in ("PSSecureString", "PSCredential") else from_ps(value)


class PSRuntime:
    """Implements the transport's Runspace protocol for one (host, user) session."""

    def __init__(
        self,
        world: Any,
        host: WindowsHost,
        user: str,
        auth: str = "basic",
        table: CmdletTable = TABLE,
        delegated: bool = False,
    ) -> None:
        self.world = world
        self.host = host
        self.user = user
        self.auth = auth
        self.delegated = delegated  # the logon carried credentials for a second hop
        self.table = table
        short = user.split("\\")[-1].split("@")[0]
        self.state = RunspaceState(location=f"C:\\Users\\{short}\\Documents")

    def close(self) -> None:
        self.state.imported_modules.clear()

    # -- Runspace protocol --------------------------------------------------------------------------------------
    def invoke(self, request: PipelineRequest, writer: PipelineWriter) -> None:
        """Run the statements in order. A terminating error fails the whole invocation and later statements do not run:
        PowerShell.Invoke() with AddStatement() stops at the first terminating error (inferred from how the API
        surfaces the exception; not measured against Windows)."""
        pipeline_input = [from_ps(v) for v in request.input]
        for index, statement in enumerate(split_statements(request.commands)):
            if len(statement) > 1 and any(c.is_script for c in statement):
                # inferred: the lab runs a constant script only alone in its statement (nothing piped in or out)
                script = next(c for c in statement if c.is_script)
                self._record(script.name[:80], {}, "failed: ScriptsRefused,Lab")
                raise fail(
                    SCRIPTS_REFUSED,
                    "PermissionDenied",
                    "ScriptsRefused,Lab",
                    "System.Management.Automation.RuntimeException",
                    activity=None,
                    target=script.name[:200],
                )
            data: list[Any] = pipeline_input if index == 0 else []
            for position, command in enumerate(statement):
                if writer.stopped:
                    raise PipelineStopped()
                last = position == len(statement) - 1
                sink: list[Any] = []
                self.run_command(
                    command, data, writer, (lambda obj: writer.write_output(to_ps(obj))) if last else sink.append
                )
                data = sink

    # -- one command --------------------------------------------------------------------------------------------
    def run_command(
        self, command: Command, data: list[Any], writer: PipelineWriter, emit: Any, preference: str = "Continue"
    ) -> None:
        """Run one command. `preference`: the caller's $ErrorActionPreference (a constant script's), used when the
        command has no -ErrorAction of its own."""
        if command.is_script:
            script = scripts.lookup(command.name)
            if script is None or data:
                self._record(command.name[:80], {}, "failed: ScriptsRefused,Lab")
                raise fail(
                    SCRIPTS_REFUSED,
                    "PermissionDenied",
                    "ScriptsRefused,Lab",
                    "System.Management.Automation.RuntimeException",
                    activity=None,
                    target=command.name[:200],
                )
            self.run_script(script, command, writer, emit)
            return
        spec = self.table.lookup(command.name, self.state.imported_modules)
        raw_params = {(n if n else f"#{i}"): _redact_raw(n, v, spec) for i, (n, v) in enumerate(command.parameters)}
        if spec is None:
            error = command_not_found(command.name)
            self._record(command.name, raw_params, f"failed: {error.spec.fqid}")
            raise error
        try:
            args = bind(spec, command.parameters, has_input=bool(data), sample=data[0] if data else None)
        except TerminatingError as exc:
            self._record(spec.name, raw_params, f"failed: {exc.spec.fqid}")
            raise
        params = {k: (REDACTED if (p := spec.param(k)) is not None and p.is_secret else v) for k, v in args.items()}
        ctx = self._context(spec, args, data, writer, preference)
        try:
            with self._lock():
                if self._take_fault(spec.name) == "fail_cmdlet":
                    raise fail(
                        f"Injected fault: {spec.name} failed on {self.host.fqdn}.",
                        "NotSpecified",
                        "InjectedFault,Lab",
                        "System.Management.Automation.RuntimeException",
                        activity=spec.name,
                    )
                if spec.module is not None and spec.module.lower() == CM_MODULE and ctx.site_code is None:
                    raise not_on_cm_drive(spec.name, spec.impl_type)
                self._execute(spec, ctx, args, data, emit)
        except TerminatingError as exc:
            self._record(spec.name, params, f"failed: {exc.spec.fqid}")
            raise
        outcome = f"error: {ctx.errors[0].fqid}" if ctx.errors else "ok"
        self._record(spec.name, params, outcome)

    # -- a registered constant script -----------------------------------------------------------------------------
    def run_script(self, script: scripts.ConstantScript, command: Command, writer: PipelineWriter, emit: Any) -> None:
        """Bind the script's param block with the binder, then run its steps: every inner cmdlet through run_command
        (lookup, binder, call log, faults, -ErrorAction from the script's $ErrorActionPreference). Output of a call
        that is not assigned goes to the script's output; an assignment keeps $null, the object, or a list."""
        raw_params = {
            (n if n else f"#{i}"): _redact_raw(n, v, script.spec) for i, (n, v) in enumerate(command.parameters)
        }
        try:
            args = bind(script.spec, command.parameters)
        except TerminatingError as exc:
            self._record(script.name, raw_params, f"failed: {exc.spec.fqid}")
            raise
        if script.native is not None:
            self._run_native(script, args, writer, emit)
            return
        variables: dict[str, Any] = {k.lower(): v for k, v in args.items()}
        preference = [str(args.get("ErrorAction", "Continue"))]
        self._run_steps(script, raw_params, script.steps, variables, preference, writer, emit)

    def _run_native(self, script: scripts.ConstantScript, args: BoundArgs, writer: Any, emit: Any) -> None:
        """A script the lab models in Python (tests/lab/ps/native_scripts.py): faults and the call log as a cmdlet's;
        byte[] parameters are logged by their length only."""
        params = {k: (f"<{len(v)} bytes>" if isinstance(v, (bytes, bytearray)) else v) for k, v in args.items()}
        ctx = self._context(script.spec, args, [], writer)
        try:
            with self._lock():
                if self._take_fault(script.name) == "fail_cmdlet":
                    raise fail(
                        f"Injected fault: {script.name} failed on {self.host.fqdn}.",
                        "NotSpecified",
                        "InjectedFault,Lab",
                        "System.Management.Automation.RuntimeException",
                        activity=script.name,
                    )
                assert script.native is not None
                _drain(script.native(ctx, args), emit)
        except TerminatingError as exc:
            self._record(script.name, params, f"failed: {exc.spec.fqid}")
            raise
        self._record(script.name, params, "ok")

    def _run_steps(
        self,
        script: scripts.ConstantScript,
        raw_params: dict[str, Any],
        steps: tuple[Any, ...],
        variables: dict[str, Any],
        preference: list[str],
        writer: PipelineWriter,
        emit: Any,
    ) -> bool:
        """Run `steps`; False once a `return` ran (the script ends). `preference` is a one-item list (shared)."""
        for step in steps:
            if writer.stopped:
                raise PipelineStopped()
            if step.kind == "preference":
                preference[0] = str(step.text)
            elif step.kind == "emit":
                emit(step.text)
            elif step.kind == "emit_var":
                value = variables.get(str(step.variable).lower())
                for obj in value if isinstance(value, list) else [] if value is None else [value]:
                    emit(obj)
            elif step.kind == "return":
                return False
            elif step.kind == "throw":
                self._record(script.name, raw_params, f"failed: {step.text}")
                raise fail(
                    str(step.text), "OperationStopped", str(step.text), THROW_EXCEPTION, activity=None, target=step.text
                )
            elif step.kind == "if":
                assert step.cond is not None
                if scripts.condition(step.cond, variables) and not self._run_steps(
                    script, raw_params, step.body, variables, preference, writer, emit
                ):
                    return False
            elif step.kind == "assign" and step.value is not None:
                variables[str(step.variable).lower()] = scripts.evaluate(step.value, variables)
            else:  # a pipeline, assigned or written to the output
                sink: list[Any] = []
                self._run_pipeline(
                    script, raw_params, step, variables, preference[0], writer, sink.append if step.variable else emit
                )
                if step.variable:
                    variables[step.variable.lower()] = None if not sink else sink[0] if len(sink) == 1 else list(sink)
        return True

    def _run_pipeline(
        self,
        script: scripts.ConstantScript,
        raw_params: dict[str, Any],
        step: Any,
        variables: dict[str, Any],
        preference: str,
        writer: PipelineWriter,
        emit: Any,
    ) -> None:
        """Each call through run_command (lookup, binder, call log, faults), the output of one the input of the next."""
        data: list[Any] = []
        if step.source is not None:
            value = variables.get(step.source.lower())
            data = list(value) if isinstance(value, list) else [] if value is None else [value]
            if not data:
                # PowerShell pipes a $null variable as one $null object; the lab runs nothing instead, which gives the
                # same result for the library's pipelines (a Where-Object on a property of $null matches nothing)
                return
        for position, call in enumerate(step.calls):
            try:
                params = scripts.arguments(call, variables)
            except TypeError as exc:
                self._record(script.name, raw_params, "failed: CannotSplat,Lab")
                raise fail(str(exc), "InvalidArgument", "CannotSplat,Lab", THROW_EXCEPTION) from None
            sink: list[Any] = []
            last = position == len(step.calls) - 1
            inner = Command(call.cmdlet, False, params, True)
            self.run_command(inner, data, writer, emit if last else sink.append, preference=preference)
            data = sink

    def _context(
        self, spec: CmdletSpec, args: BoundArgs, data: list[Any], writer: PipelineWriter, preference: str = "Continue"
    ) -> CallContext:
        error_action = args.get("ErrorAction", preference)

        def on_error(record: ErrorSpec) -> None:
            if error_action == "Stop":
                # ActionPreferenceStopException: over remoting the failed pipeline carries the original record.
                raise TerminatingError(record)
            if error_action not in ("SilentlyContinue", "Ignore"):
                writer.write_error(record)

        return CallContext(
            self.host,
            self.world,
            self.state,
            self.user,
            self.auth,
            spec,
            list(data),
            delegated=self.delegated,
            whatif=bool(args.get("WhatIf", False)),
            error_action=error_action,
            warning_action=args.get("WarningAction", "Continue"),
            verbose=bool(args.get("Verbose", False)),
            sink_error=on_error,
            sink_warning=writer.write_warning,
            sink_verbose=writer.write_verbose,
        )

    @staticmethod
    def _execute(spec: CmdletSpec, ctx: CallContext, args: BoundArgs, data: list[Any], emit: Any) -> None:
        target = pipeline_param(spec, args) if data and spec.process_each else None
        if target is None:
            _drain(spec.func(ctx, args), emit)
            return
        for obj in data:  # one ProcessRecord per input object
            ctx.input = [obj]
            _drain(spec.func(ctx, bind_input(spec, args, target, obj)), emit)

    def _lock(self) -> Any:
        lock = getattr(self.world, "lock", None)
        return lock if lock is not None else contextlib.nullcontext()

    def _take_fault(self, cmdlet_name: str) -> str | None:
        faults = getattr(self.world, "faults", None)
        return faults.take("invoke", self.host.fqdn, cmdlet_name) if faults is not None else None

    def _record(self, cmdlet_name: str, parameters: dict[str, Any], outcome: str) -> None:
        recorder = getattr(self.world, "record_call", None)
        if recorder is not None:
            recorder(host=self.host.fqdn, user=self.user, cmdlet=cmdlet_name, parameters=parameters, outcome=outcome)


def _drain(result: Any, emit: Any) -> None:
    if result is None:
        return
    if isinstance(result, (types.GeneratorType, list, tuple)) or (
        isinstance(result, Iterable) and not isinstance(result, (str, bytes, dict, LabObject))
    ):
        for obj in result:
            emit(obj)
    else:
        emit(result)
