"""PSRP glue on psrpcore: one Shell per runspace pool (WSMan shell), one worker thread per pipeline.

psrpcore is not thread-safe, so every call into it happens under ``Shell.lock``; ``Shell.cond`` wakes long-polling
Receives. psrpcore has a single send buffer for all targets, so it is drained after every operation into
per-target outboxes (None = the pool, else the pipeline id) and each Receive is served from its own outbox.
"""

from __future__ import annotations

import base64
import logging
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from psrpcore import (
    CreatePipelineEvent,
    EndOfPipelineInputEvent,
    GetAvailableRunspacesEvent,
    PipelineInputEvent,
    PSRPPayload,
    ResetRunspaceStateEvent,
    ServerPipeline,
    SetMaxRunspacesEvent,
    SetMinRunspacesEvent,
    StreamType,
)
from psrpcore.types import PSInvocationState, RunspacePoolState

from tests.lab.ps import scripts as constant_scripts
from tests.lab.wsman import compat, soap
from tests.lab.wsman.backend import (
    Command,
    ErrorSpec,
    PipelineRequest,
    PipelineStopped,
    Runspace,
    TerminatingError,
    joined_names,
)
from tests.lab.wsman.records import error_record

log = logging.getLogger(__name__)

FRAGMENT_SIZE = 32 * 1024  # server-side fragment size, like Windows' 32 KiB
ENVELOPE_SKELETON = 2048  # bytes of a ReceiveResponse besides the base64 payload
_TERMINAL = (PSInvocationState.Completed, PSInvocationState.Failed, PSInvocationState.Stopped)


@dataclass
class _Run:
    """One pipeline: its psrpcore object, the input collected so far and its lifecycle flags."""

    pipeline: ServerPipeline
    command_id: str
    input: list[Any] = field(default_factory=list)
    started: bool = False
    cancelled: bool = False
    thread: threading.Thread | None = None
    request: PipelineRequest | None = None
    hung: bool = False  # injected "hang": never runs, its Receives time out until Stop/Terminate

    @property
    def names(self) -> str:
        """The pipeline's command names, joined for Backend.fault; a constant script counts as the cmdlets it runs, so
        a fault aimed at a cmdlet hits the pipeline whether the cmdlet comes structured or inside a script."""
        if self.request is None:
            return ""
        names: list[str] = []
        for command in self.request.commands:
            script = constant_scripts.lookup(command.name) if command.is_script else None
            names += [call.cmdlet for call in script.calls()] if script is not None else [command.name]
        return joined_names(names)

    @property
    def finished(self) -> bool:
        return self.pipeline.state in _TERMINAL


class _Writer:
    """PipelineWriter handed to Runspace.invoke; every write goes through the shell lock."""

    def __init__(self, shell: Shell, run: _Run) -> None:
        self._shell = shell
        self._run = run

    @property
    def stopped(self) -> bool:
        return self._run.cancelled or self._run.pipeline.state != PSInvocationState.Running

    def _emit(self, write: Callable[[ServerPipeline], None]) -> None:
        with self._shell.lock:
            if self.stopped:
                raise PipelineStopped()
            write(self._run.pipeline)
            self._shell.drain()

    def write_output(self, obj: Any) -> None:
        self._emit(lambda p: p.write_output(obj))

    def write_error(self, record: ErrorSpec) -> None:
        rec = error_record(record)
        self._emit(
            lambda p: p.write_error(
                exception=rec.Exception,
                category_info=rec.CategoryInfo,
                target_object=rec.TargetObject,
                fully_qualified_error_id=rec.FullyQualifiedErrorId,
            )
        )

    def write_warning(self, message: str) -> None:
        self._emit(lambda p: p.write_warning(message))

    def write_verbose(self, message: str) -> None:
        self._emit(lambda p: p.write_verbose(message))


FaultHook = Callable[[str, str], "str | None"]  # (stage, detail) -> fault kind or None (Backend.fault of this endpoint)


class Shell:
    """A runspace pool as a WSMan shell. `fault` (optional) is asked, outside the shell lock, before a pipeline
    runs ("pipeline" stage: "hang")."""

    def __init__(
        self, shell_id: str, resource_uri: str, owner: str, runspace: Runspace, fault: FaultHook | None = None
    ) -> None:
        self.shell_id = shell_id
        self.resource_uri = resource_uri
        self.owner = owner
        self.runspace = runspace
        self._fault = fault
        self._to_launch: list[_Run] = []
        self.lock = threading.RLock()
        self.cond = threading.Condition(self.lock)
        self.pool = compat.LabRunspacePool()
        self.closed = False
        self._outboxes: dict[uuid.UUID | None, deque[bytes]] = {None: deque()}
        self._runs: dict[uuid.UUID, _Run] = {}

    # -- incoming data -------------------------------------------------------------------------------------------
    def feed(self, data: bytes, stream: str = "stdin", command_id: str | None = None) -> list[str]:
        """Give client data to psrpcore and act on the events; returns the PSRP message type names (for the tracer)."""
        stream_type = StreamType.prompt_response if stream == "pr" else StreamType.default
        pid = uuid.UUID(command_id) if command_id else None
        names: list[str] = []
        with self.lock:
            self._check_open()
            try:
                self.pool.receive_data(PSRPPayload(data, stream_type, pid))
                while (event := self.pool.next_event()) is not None:
                    names.append(type(event).__name__.removesuffix("Event"))
                    self._on_event(event)
            except soap.WSManFault:
                raise
            except Exception as exc:  # psrpcore rejected the data: tell the client with a SOAP fault, never a bare 500
                log.debug("psrpcore failed on incoming data", exc_info=True)
                raise soap.internal_error(f"The PowerShell plugin failed to process the data: {exc}") from exc
            finally:
                self.drain()
        self._launch()
        return names

    def create_command(self, command_id: str, data: bytes) -> list[str]:
        """Command: the CommandId is the PSRP pipeline id; the pipeline must exist before its CreatePipeline arrives."""
        pid = uuid.UUID(command_id)
        with self.lock:
            self._check_open()
            if pid not in self._runs:
                self._runs[pid] = _Run(ServerPipeline(self.pool, pid), command_id)
                self._outboxes[pid] = deque()
        return self.feed(data, "stdin", command_id)

    def _on_event(self, event: Any) -> None:
        if isinstance(event, CreatePipelineEvent):
            run = self._runs[event.pipeline_id]
            if event.pipeline.no_input:
                self._start(run)
        elif isinstance(event, PipelineInputEvent):
            self._runs[event.pipeline_id].input.append(event.data)
        elif isinstance(event, EndOfPipelineInputEvent):
            pending = self._runs.get(event.pipeline_id)
            if pending is not None and not pending.started:
                self._start(pending)
        elif isinstance(event, (SetMaxRunspacesEvent, SetMinRunspacesEvent, ResetRunspaceStateEvent)):
            self.pool.runspace_availability_response(event.ci, True)
        elif isinstance(event, GetAvailableRunspacesEvent):
            busy = sum(1 for r in self._runs.values() if r.started and not r.finished)
            self.pool.runspace_availability_response(event.ci, max(self.pool.max_runspaces - busy, 0))

    # -- pipelines -----------------------------------------------------------------------------------------------
    def _start(self, run: _Run) -> None:
        """Mark the pipeline running (caller holds the lock); its worker starts in _launch, after the lock is released
        (the fault hook takes the world's lock, which a running cmdlet holds while it writes through this shell)."""
        run.started = True
        compat.mark_running(run.pipeline)
        metadata = run.pipeline.metadata
        if metadata is None:  # psrpcore sets it from the CreatePipeline message that made this run
            raise RuntimeError(f"pipeline {run.pipeline.pipeline_id} started without its CreatePipeline metadata")
        run.request = PipelineRequest(
            commands=[
                Command(c.command_text, c.is_script, list(c.parameters), c.end_of_statement) for c in metadata.commands
            ],
            input=run.input,
        )
        self._to_launch.append(run)

    def _launch(self) -> None:
        with self.lock:
            runs, self._to_launch = self._to_launch, []
        for run in runs:
            if self._fault is not None and self._fault("pipeline", run.names) == "hang":
                # Injected: the pipeline is Running and never answers (a hung WMI call); Stop/Terminate/Delete end it.
                run.hung = True
                continue
            with self.lock:
                if run.cancelled or run.pipeline.state != PSInvocationState.Running:
                    continue
                run.thread = threading.Thread(
                    target=self._work, args=(run, run.request), name=f"pipeline-{run.command_id}", daemon=True
                )
                run.thread.start()

    def command_names(self, command_id: str | None) -> str:
        """The joined command names of a pipeline ("" for the pool or an unknown command)."""
        if not command_id:
            return ""
        with self.lock:
            run = self._runs.get(uuid.UUID(command_id))
            return run.names if run is not None else ""

    def _work(self, run: _Run, request: PipelineRequest) -> None:
        failure: ErrorSpec | None = None
        try:
            self.runspace.invoke(request, _Writer(self, run))
        except PipelineStopped:
            pass
        except TerminatingError as exc:
            failure = exc.spec
        except Exception as exc:  # a bug in the backend still ends the pipeline the way Windows reports a crash
            log.exception("Runspace.invoke raised")
            failure = ErrorSpec(
                message=str(exc) or type(exc).__name__,
                category="NotSpecified",
                fqid="System.Management.Automation.RuntimeException",
            )
        with self.lock:
            if run.cancelled or run.pipeline.state != PSInvocationState.Running:
                return
            if failure is None:
                run.pipeline.complete()
            else:
                compat.fail_pipeline(run.pipeline, error_record(failure))
            self.drain()

    def signal(self, command_id: str | None, code: str) -> None:
        """ctrl_c stops the pipeline (client stops reading); Terminate releases it."""
        if not command_id:
            return
        pid = uuid.UUID(command_id)
        with self.lock:
            run = self._runs.get(pid)
            if run is None:
                return
            if code.endswith("ctrl_c"):
                if run.pipeline.state == PSInvocationState.Running:
                    run.pipeline.stop()
                    self.drain()
            else:
                self._release(run)
            self.cond.notify_all()

    def _release(self, run: _Run) -> None:
        run.cancelled = True
        if run.pipeline.state in (PSInvocationState.Running, PSInvocationState.Stopping):
            compat.set_pipeline_state(run.pipeline, PSInvocationState.Stopped, emit=False)
        run.pipeline.close()
        pid = run.pipeline.pipeline_id
        self._runs.pop(pid, None)
        self._outboxes.pop(pid, None)

    # -- outgoing data -------------------------------------------------------------------------------------------
    def drain(self) -> None:
        """Move psrpcore's send buffer into the per-target outboxes (caller holds the lock)."""
        while (payload := self.pool.data_to_send(FRAGMENT_SIZE)) is not None:
            box = self._outboxes.get(payload.pipeline_id)
            if box is not None:  # None: a released pipeline, the client will not read it any more
                box.append(payload.data)
        self.cond.notify_all()

    def receive(self, command_id: str | None, timeout: float, max_envelope_size: int) -> tuple[list[bytes], str | None]:
        """Long-poll: (payload chunks, CommandState) once there is data or the pipeline is done, else TimedOut."""
        pid = uuid.UUID(command_id) if command_id else None
        budget = max((max_envelope_size - ENVELOPE_SKELETON) * 3 // 4, FRAGMENT_SIZE + 21)
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                self._check_open()
                box = self._outboxes.get(pid)
                run = self._runs.get(pid) if pid else None
                if box is None:
                    raise soap.internal_error(f"The command {command_id} was not found in shell {self.shell_id}.")
                if box:
                    chunks: list[bytes] = []
                    size = 0
                    while box and (not chunks or size + len(box[0]) <= budget):
                        size += len(box[0])
                        chunks.append(box.popleft())
                    return chunks, self._state(run, box)
                if run is not None and run.finished:
                    return [], "Done"
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise soap.timed_out()
                self.cond.wait(remaining)

    @staticmethod
    def _state(run: _Run | None, box: deque[bytes]) -> str | None:
        if run is None:
            return None
        return "Done" if run.finished and not box else "Running"

    # -- lifecycle -----------------------------------------------------------------------------------------------
    def _check_open(self) -> None:
        if self.closed:
            raise soap.unknown_shell(self.shell_id)

    def close(self, join_timeout: float = 2.0) -> None:
        """Delete: stop every pipeline, close the pool and the runspace; wakes any long-polling Receive."""
        with self.lock:
            if self.closed:
                return
            self.closed = True
            runs = list(self._runs.values())
            for run in runs:
                self._release(run)
            if self.pool.state == RunspacePoolState.Opened:
                self.pool.close()
            self.cond.notify_all()
        for run in runs:
            if run.thread is not None and run.thread is not threading.current_thread():
                run.thread.join(join_timeout)
        self.runspace.close()

    @staticmethod
    def b64(chunks: list[bytes]) -> list[str]:
        return [base64.b64encode(c).decode() for c in chunks]
