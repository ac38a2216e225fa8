"""ScpHost: the SMS_EXECUTIVE thread, its service and its logs on the server that hosts the SCP.

Stop/Start protocol: set `Requested Operation` = Stop, wait for `Current State` = Stopped and
`Requested Operation` = None, set it to Start, wait for Running. Fallback: restart the SMS_EXECUTIVE service.
Restarting the service also stops every other component of the site system: refusing it while an update is
installing (ProviderState.updates_in_progress) is the caller's business, this class does not read the site.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timezone
from typing import Any

from ..errors import CheckModeViolation, CommandFailed, ConfigMgrError, InvalidOption, WaitTimeout
from ..logs import LogEntry
from ..pipeline import SWITCH, Pipeline
from ..session import Session
from .constants import (
    CURRENT_STATE,
    DOWNLOADER_THREAD,
    EXECUTIVE_SERVICE,
    PENDING_MODE_VALUE,
    REQUESTED_OPERATION,
    STATE_KEY,
    THREADS_KEY,
    TRACING_KEY,
)
from .model import ThreadChange, ThreadState
from .provider import read_log_files

Progress = Callable[[str], None]
Finished = Callable[[], bool]
THREAD_NAME = re.compile(r"^[A-Za-z0-9_]+$")  # the one rule for component / thread names (public)
THREAD_NAME_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_")  # same rule, as a set
# The collection's record of a thread's last start (by configmgr.scp.component), beside DownloaderPendingMode under
# STATE_KEY on the host: the value ThreadStarted_<thread name>, an ISO 8601 UTC string of the host's clock once the
# thread ran again, e.g. ThreadStarted_SMS_DMP_DOWNLOADER = "2026-11-02T09:05:07.123000+00:00".
THREAD_STARTED_PREFIX = "ThreadStarted_"


def check_thread_name(name: str) -> str:
    """The name when it matches THREAD_NAME (it becomes part of a registry path); InvalidOption otherwise."""
    if not isinstance(name, str) or not THREAD_NAME.match(name):
        raise InvalidOption("name", f"a component name is letters, digits and underscores, got {name!r}")
    return name


_check_name = check_thread_name


def thread_started_value(name: str) -> str:
    """The registry value (under STATE_KEY) that records when the collection last started thread `name`."""
    return THREAD_STARTED_PREFIX + check_thread_name(name).upper()


def parse_thread_start(value: object) -> datetime | None:
    """A recorded start as an aware UTC datetime; None for a missing or malformed record (it then counts as unknown).
    The session returns the ISO 8601 string already parsed (cmscp.values turns round-trip DateTime text back into a
    datetime), so both forms are accepted."""
    if isinstance(value, datetime):
        when = value
    elif isinstance(value, str) and value.strip():
        try:
            when = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            return None
    else:
        return None
    return (when if when.tzinfo else when.replace(tzinfo=timezone.utc)).astimezone(timezone.utc)


def _reached(state: ThreadState, want: str) -> bool:
    return (
        state.present
        and (state.current_state or "").lower() == want.lower()
        and (state.requested_operation or "None").lower() == "none"
    )


def _step(action: str, description: str) -> dict[str, str]:
    return {"action": action, "description": description}


class ScpHost:
    """Operations on one site system (normally the SCP server) through its own Session."""

    def __init__(
        self,
        session: Session,
        check_mode: bool = False,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        poll_interval: float = 2.0,
    ) -> None:
        self.session = session
        self.check_mode = check_mode
        self._sleep = sleep
        self._clock = clock
        self.poll_interval = poll_interval
        self._recorded_starts: list[str] = []  # ThreadStarted_* values seen by the last thread state read

    @property
    def host(self) -> str:
        """The session's display name (the inventory name when known), read when needed: never the bare address
        when the session knows a name."""
        return str(getattr(self.session, "display_name", None) or self.session.host)

    def _mutate(self, operation: str) -> None:
        if self.check_mode:
            raise CheckModeViolation("refused in check mode: this call would change the host", self.host, operation)

    # -- reads ------------------------------------------------------------------------------------------
    def thread_state(self, name: str = DOWNLOADER_THREAD) -> ThreadState:
        return self._read_thread(name)[0]

    def thread_state_and_start(self, name: str = DOWNLOADER_THREAD) -> tuple[ThreadState, datetime | None]:
        """The thread state and the start the collection recorded for it (ThreadStarted_<name>, None when there is
        none), from the same pipeline as thread_state: the record is in the key that pipeline reads already."""
        state, record = self._read_thread(name)
        return state, parse_thread_start(record.get(thread_started_value(name)))

    def _read_thread(self, name: str) -> tuple[ThreadState, dict[str, Any]]:
        pipe = Pipeline(operation=f"read the {_check_name(name)} thread state")
        pipe.add("Get-ItemProperty", ("Path", f"{THREADS_KEY}\\{name}"), error_action="SilentlyContinue")
        pipe.add("Get-Service", ("Name", EXECUTIVE_SERVICE), error_action="SilentlyContinue")
        pipe.add(
            "Get-ItemProperty", ("Path", STATE_KEY), error_action="SilentlyContinue", label="read the pending mode"
        )
        result = self.session.run(pipe, idempotent=True)
        values = result[0].first if isinstance(result[0].first, dict) else None
        service = result[1].first if isinstance(result[1].first, dict) else None
        record = result[2].first if isinstance(result[2].first, dict) else {}
        self._recorded_starts = sorted(str(k) for k in record if str(k).startswith(THREAD_STARTED_PREFIX))
        status = str(service.get("Status")) if service and service.get("Status") is not None else None
        pending = _text(record.get(PENDING_MODE_VALUE)) if name == DOWNLOADER_THREAD else None
        if values is None:
            return ThreadState(self.host, name, present=False, service_status=status, pending_mode=pending), record
        return ThreadState(
            self.host,
            name,
            present=True,
            current_state=_text(values.get(CURRENT_STATE)),
            requested_operation=_text(values.get(REQUESTED_OPERATION)),
            startup_type=_text(values.get("Startup Type")),
            service_status=status,
            pending_mode=pending,
        ), record

    # -- the collection's record of a mode change no restart has applied yet -------------------------------
    def mark_pending_mode(self, mode: str) -> None:
        """Before Set-CMServiceConnectionPoint: remember on this host that the downloader must restart to apply
        `mode`, so that a run stopped between the change and the restart is finished by the next run."""
        operation = f"record that SMS_DMP_DOWNLOADER must restart for {mode} mode"
        self._mutate(operation)
        pipe = Pipeline(operation=operation)
        pipe.add("New-Item", ("Path", STATE_KEY), error_action="SilentlyContinue")  # exists already: fine
        pipe.add("Set-ItemProperty", ("Path", STATE_KEY), ("Name", PENDING_MODE_VALUE), ("Value", mode))
        self.session.run(pipe)

    def clear_pending_mode(self) -> None:
        """After the downloader started again (it read the configured mode then)."""
        operation = "clear the pending SMS_DMP_DOWNLOADER restart"
        self._mutate(operation)
        pipe = Pipeline(operation=operation)
        pipe.add(
            "Remove-ItemProperty", ("Path", STATE_KEY), ("Name", [PENDING_MODE_VALUE]), error_action="SilentlyContinue"
        )
        self.session.run(pipe)

    # -- the collection's record of a thread's last start (configmgr.scp.component) ---------------------------
    def record_thread_start(self, name: str, when: datetime, every_thread: bool = False) -> str:
        """Record `when` (the host's clock once the thread ran again) as ThreadStarted_<name>, an ISO 8601 UTC string;
        return that string. service_connection_point_info ties log lines at or after it to the running thread.
        `every_thread`: SMS_EXECUTIVE itself was restarted, so the starts recorded for the other threads (as the last
        thread state read saw them) are no longer their last starts and are removed in the same pipeline."""
        value = thread_started_value(name)
        stamp = (when if when.tzinfo else when.replace(tzinfo=timezone.utc)).astimezone(timezone.utc).isoformat()
        operation = f"record the start of the {name} thread"
        self._mutate(operation)
        pipe = Pipeline(operation=operation)
        pipe.add("New-Item", ("Path", STATE_KEY), error_action="SilentlyContinue")  # exists already: fine
        pipe.add("Set-ItemProperty", ("Path", STATE_KEY), ("Name", value), ("Value", stamp))
        others = [v for v in self._recorded_starts if v != value] if every_thread else []
        if others:
            pipe.add(
                "Remove-ItemProperty",
                ("Path", STATE_KEY),
                ("Name", others),
                error_action="SilentlyContinue",
                label="forget the starts of the other threads",
            )
        self.session.run(pipe)
        return stamp

    def forget_thread_start(self, name: str) -> None:
        """Remove ThreadStarted_<name> (the thread was stopped, or its start could not be recorded): a start the
        collection did not see must not be taken for the last one."""
        operation = f"forget the recorded start of the {name} thread"
        self._mutate(operation)
        pipe = Pipeline(operation=operation)
        pipe.add(
            "Remove-ItemProperty",
            ("Path", STATE_KEY),
            ("Name", [thread_started_value(name)]),
            error_action="SilentlyContinue",
        )
        self.session.run(pipe)

    def log_path(self, component: str = DOWNLOADER_THREAD) -> str | None:
        """The component's log file from its tracing key (TraceFilename)."""
        pipe = Pipeline(operation=f"locate the {_check_name(component)} log")
        pipe.add("Get-ItemProperty", ("Path", f"{TRACING_KEY}\\{component}"), error_action="SilentlyContinue")
        first = self.session.run(pipe, idempotent=True)[0].first
        if isinstance(first, dict) and first.get("TraceFilename"):
            return str(first["TraceFilename"])
        return None

    def read_log(
        self, path: str | None = None, tail: int = 500, component: str = DOWNLOADER_THREAD, rotated: bool = True
    ) -> list[LogEntry]:
        path = path or self.log_path(component)
        if not path:
            raise ConfigMgrError(
                f"no TraceFilename for {component}: the component is not installed here",
                self.host,
                f"locate the {component} log",
            )
        return read_log_files(self.session, path, tail, rotated)

    # -- thread control ---------------------------------------------------------------------------------
    def request(self, name: str, operation: str) -> None:
        """Write `Requested Operation` (Stop | Start) for a thread."""
        if operation not in ("Stop", "Start"):
            raise InvalidOption("operation", f"must be Stop or Start, got {operation!r}", self.host)
        what = f"{operation.lower()} the {_check_name(name)} thread"
        self._mutate(what)
        pipe = Pipeline(operation=what)
        pipe.add(
            "Set-ItemProperty", ("Path", f"{THREADS_KEY}\\{name}"), ("Name", REQUESTED_OPERATION), ("Value", operation)
        )
        self.session.run(pipe)

    def wait_for(self, name: str, want: str, timeout: float, progress: Progress | None = None) -> ThreadState:
        """Poll until Current State == want and Requested Operation is back to None."""
        start = self._clock()
        state = self.thread_state(name)
        say = _OnChange(progress)
        while True:
            if _reached(state, want):
                return state
            waited = self._clock() - start
            if waited >= timeout:
                raise WaitTimeout(
                    f"{name} did not reach {want}", self.host, f"wait for {name}", waited, state.current_state
                )
            say(f"{name} on {self.host}: {_describe(state)}", waited)
            self._sleep(min(self.poll_interval, max(0.0, timeout - waited)))
            state = self.thread_state(name)

    def set_thread(self, name: str, state: str, timeout: float = 120, progress: Progress | None = None) -> ThreadChange:
        """started | stopped, idempotent. A failure after the request was written has changed=True and steps_run."""
        if state not in ("started", "stopped"):
            raise InvalidOption("state", f"must be started or stopped, got {state!r}", self.host)
        begin = self._clock()
        before = self.thread_state(name)
        self._require_present(before)
        if (state == "started" and before.running) or (state == "stopped" and before.stopped):
            return ThreadChange(before, before, "none", 0.0, False)
        want = "Running" if state == "started" else "Stopped"
        verb = "Start" if state == "started" else "Stop"
        done: list[dict[str, str]] = []
        try:
            self.request(name, verb)
            done.append(_step(f"request_{verb.lower()}", f"set Requested Operation = {verb} for {name} on {self.host}"))
            after = self.wait_for(name, want, timeout, progress)
            if state == "started":
                after = self._started(before, after)
        except ConfigMgrError as err:
            _record(err, done)
            raise
        return ThreadChange(before, after, "thread", self._clock() - begin, True)

    def _started(self, before: ThreadState, after: ThreadState) -> ThreadState:
        """The thread runs again and has read the configured mode: the pending record is done (and `after`, read
        before it was cleared, says so)."""
        if before.pending_mode is None:
            return after
        self.clear_pending_mode()
        return replace(after, pending_mode=None)

    def restart_thread(
        self,
        name: str = DOWNLOADER_THREAD,
        timeout: float = 120,
        method: str = "thread",
        fallback: bool = True,
        progress: Progress | None = None,
    ) -> ThreadChange:
        """Stop then Start through the registry; on a timeout or a failed write (and with `fallback`) restart the
        SMS_EXECUTIVE service. With fallback=False the WaitTimeout / CommandFailed is raised as is. Any error raised
        after a write carries changed=True and steps_run (what was written). The caller decides whether a service
        restart is acceptable (not while an update installs)."""
        if method not in ("thread", "service"):
            raise InvalidOption("method", f"must be thread or service, got {method!r}", self.host)
        begin = self._clock()
        before = self.thread_state(name)
        self._require_present(before)
        self._mutate(f"restart the {name} thread")
        done: list[dict[str, str]] = []
        if method == "thread":
            try:
                if not before.stopped:
                    self.request(name, "Stop")
                    done.append(_step("request_stop", f"set Requested Operation = Stop for {name} on {self.host}"))
                    self.wait_for(name, "Stopped", timeout / 2, progress)
                self.request(name, "Start")
                done.append(_step("request_start", f"set Requested Operation = Start for {name} on {self.host}"))
                after = self._started(before, self.wait_for(name, "Running", timeout / 2, progress))
                return ThreadChange(before, after, "thread", self._clock() - begin, True)
            except (WaitTimeout, CommandFailed) as err:
                if not fallback:
                    _record(err, done)
                    raise
                if progress:
                    progress(
                        f"thread restart failed on {self.host} ({err}); restarting the {EXECUTIVE_SERVICE} service, which restarts every "
                        f"Configuration Manager component on {self.host}"
                    )
        try:
            self.restart_service()
            done.append(_step("restart_service", f"restart the {EXECUTIVE_SERVICE} service on {self.host}"))
            after = self._started(before, self.wait_for(name, "Running", timeout, progress))
        except ConfigMgrError as err:
            _record(err, done)
            raise
        return ThreadChange(before, after, "service", self._clock() - begin, True)

    def restart_service(self) -> None:
        operation = f"restart the {EXECUTIVE_SERVICE} service"
        self._mutate(operation)
        pipe = Pipeline(operation=operation)
        pipe.add("Restart-Service", ("Name", EXECUTIVE_SERVICE), ("Force", SWITCH))
        self.session.run(pipe)

    def wait_installed(
        self,
        name: str = DOWNLOADER_THREAD,
        timeout: float = 900,
        progress: Progress | None = None,
        finished: Finished | None = None,
    ) -> ThreadState:
        """Wait until the role's thread key exists and runs and, when given, `finished()` is True. A thread key left
        from an earlier install is Running at once: the executor passes
        `provider.watch_completion(server, t0, install=True)` (sitecomp.log markers after the Add, read a little at a
        time) so both must hold. Progress: one line per change of what the polls see, not one per poll."""
        return self._wait(name, timeout, progress, finished, installed=True)

    def wait_removed(
        self,
        name: str = DOWNLOADER_THREAD,
        timeout: float = 900,
        progress: Progress | None = None,
        finished: Finished | None = None,
    ) -> ThreadState:
        """Wait until the thread key is gone and, when given, `finished()` (provider.watch_completion(...,
        install=False)) is True."""
        return self._wait(name, timeout, progress, finished, installed=False)

    def _wait(
        self, name: str, timeout: float, progress: Progress | None, finished: Finished | None, installed: bool
    ) -> ThreadState:
        start = self._clock()
        say = _OnChange(progress)
        while True:
            state = self.thread_state(name)
            here = _reached(state, "Running") if installed else not state.present
            confirmed = here and (finished is None or finished())
            if confirmed:
                return state
            waited = self._clock() - start
            if waited >= timeout:
                what = "installed" if installed else "removed"
                detail = (
                    f"the thread is {'Running' if installed else 'gone'} but sitecomp.log has no completion for it yet"
                    if here
                    else (f"{name} did not reach Running" if installed else f"{name} is still installed")
                )
                raise WaitTimeout(
                    f"the role was not {what}: {detail}",
                    self.host,
                    f"wait for the role {'installation' if installed else 'removal'}",
                    waited,
                    state.current_state if state.present else "absent",
                )
            if here:
                say(
                    f"{name} on {self.host}: thread {'Running' if installed else 'gone'}, waiting for the sitecomp.log completion",
                    waited,
                )
            elif installed:
                say(f"{name} on {self.host}: {_describe(state)}", waited)
            else:
                say(f"{name} still present on {self.host}: {_describe(state)}", waited)
            self._sleep(min(self.poll_interval, max(0.0, timeout - waited)))

    def _require_present(self, state: ThreadState) -> None:
        if not state.present:
            raise ConfigMgrError(
                f"the {state.name} thread is not installed (no registry key under {THREADS_KEY})",
                self.host,
                f"control the {state.name} thread",
            )


class _OnChange:
    """A wait's progress: one line each time what the polls see changes (thread state, install phase), not one per
    poll; the line says how long the wait had taken when the change was seen."""

    def __init__(self, progress: Progress | None) -> None:
        self.progress = progress
        self.last: str | None = None

    def __call__(self, text: str, waited: float) -> None:
        if self.progress is not None and text != self.last:
            self.progress(f"{text}, waited {waited:.0f} s")
        self.last = text


def _record(err: ConfigMgrError, done: list[dict[str, str]]) -> None:
    """Tell the caller what was already written before `err`."""
    if done:
        err.steps_run = list(done) + [s for s in err.steps_run if s not in done]
        err.changed = True


def _describe(state: ThreadState) -> str:
    """Progress text for a thread state; a missing thread key is a role that is not installed yet."""
    if not state.present:
        return "not installed yet"
    return f"{state.current_state or 'unknown'} (requested {state.requested_operation or 'None'})"


def _text(value: object) -> str | None:
    return None if value is None else str(value)
