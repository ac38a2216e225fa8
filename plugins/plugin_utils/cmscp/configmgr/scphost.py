"""ScpHost: the SMS_EXECUTIVE thread, its service and its logs on the server that hosts the SCP.

Stop/Start protocol (facts section 4): set `Requested Operation` = Stop, wait for `Current State` = Stopped and
`Requested Operation` = None, set it to Start, wait for Running. Fallback: restart the SMS_EXECUTIVE service.
"""
from __future__ import annotations

import time
from typing import Callable, Optional

from ..errors import CheckModeViolation, CommandFailed, ConfigMgrError, InvalidOption, WaitTimeout
from ..logs import LogEntry
from ..pipeline import SWITCH, Pipeline
from ..session import Session
from .constants import CURRENT_STATE, DOWNLOADER_THREAD, EXECUTIVE_SERVICE, REQUESTED_OPERATION, THREADS_KEY, TRACING_KEY
from .model import ThreadChange, ThreadState
from .provider import read_log_files

Progress = Callable[[str], None]
THREAD_NAME_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_")


def _check_name(name: str) -> str:
    if not name or not set(name) <= THREAD_NAME_CHARS:
        raise InvalidOption("name", "a component name is letters, digits and underscores, got %r" % (name,))
    return name


class ScpHost:
    """Operations on one site system (normally the SCP server) through its own Session."""

    def __init__(self, session: Session, check_mode: bool = False, sleep: Callable[[float], None] = time.sleep,
                 clock: Callable[[], float] = time.monotonic, poll_interval: float = 2.0) -> None:
        self.session = session
        self.host = session.host
        self.check_mode = check_mode
        self._sleep = sleep
        self._clock = clock
        self.poll_interval = poll_interval

    def _mutate(self, operation: str) -> None:
        if self.check_mode:
            raise CheckModeViolation("refused in check mode: this call would change the host", self.host, operation)

    # -- reads ------------------------------------------------------------------------------------------
    def thread_state(self, name: str = DOWNLOADER_THREAD) -> ThreadState:
        pipe = Pipeline(operation="read the %s thread state" % _check_name(name))
        pipe.add("Get-ItemProperty", ("Path", "%s\\%s" % (THREADS_KEY, name)), error_action="SilentlyContinue")
        pipe.add("Get-Service", ("Name", EXECUTIVE_SERVICE), error_action="SilentlyContinue")
        result = self.session.run(pipe, idempotent=True)
        values = result[0].first if isinstance(result[0].first, dict) else None
        service = result[1].first if isinstance(result[1].first, dict) else None
        status = str(service.get("Status")) if service and service.get("Status") is not None else None
        if values is None:
            return ThreadState(self.host, name, present=False, service_status=status)
        return ThreadState(self.host, name, present=True, current_state=_text(values.get(CURRENT_STATE)),
                           requested_operation=_text(values.get(REQUESTED_OPERATION)),
                           startup_type=_text(values.get("Startup Type")), service_status=status)

    def log_path(self, component: str = DOWNLOADER_THREAD) -> Optional[str]:
        """The component's log file from its tracing key (TraceFilename)."""
        pipe = Pipeline(operation="locate the %s log" % _check_name(component))
        pipe.add("Get-ItemProperty", ("Path", "%s\\%s" % (TRACING_KEY, component)), error_action="SilentlyContinue")
        first = self.session.run(pipe, idempotent=True)[0].first
        if isinstance(first, dict) and first.get("TraceFilename"):
            return str(first["TraceFilename"])
        return None

    def read_log(self, path: Optional[str] = None, tail: int = 500, component: str = DOWNLOADER_THREAD,
                 rotated: bool = True) -> list[LogEntry]:
        path = path or self.log_path(component)
        if not path:
            raise ConfigMgrError("no TraceFilename for %s: the component is not installed here" % component,
                                 self.host, "locate the %s log" % component)
        return read_log_files(self.session, path, tail, rotated)

    # -- thread control ---------------------------------------------------------------------------------
    def request(self, name: str, operation: str) -> None:
        """Write `Requested Operation` (Stop | Start) for a thread."""
        if operation not in ("Stop", "Start"):
            raise InvalidOption("operation", "must be Stop or Start, got %r" % (operation,), self.host)
        what = "%s the %s thread" % (operation.lower(), _check_name(name))
        self._mutate(what)
        pipe = Pipeline(operation=what)
        pipe.add("Set-ItemProperty", ("Path", "%s\\%s" % (THREADS_KEY, name)), ("Name", REQUESTED_OPERATION),
                 ("Value", operation))
        self.session.run(pipe)

    def wait_for(self, name: str, want: str, timeout: float, progress: Optional[Progress] = None) -> ThreadState:
        """Poll until Current State == want and Requested Operation is back to None."""
        start = self._clock()
        state = self.thread_state(name)
        while True:
            done = state.present and (state.current_state or "").lower() == want.lower() \
                and (state.requested_operation or "None").lower() == "none"
            if done:
                return state
            waited = self._clock() - start
            if waited >= timeout:
                raise WaitTimeout("%s did not reach %s" % (name, want), self.host, "wait for %s" % name, waited,
                                  state.current_state)
            if progress:
                progress("%s on %s: %s (requested %s), waited %.0f s" % (name, self.host, state.current_state,
                                                                         state.requested_operation, waited))
            self._sleep(min(self.poll_interval, max(0.0, timeout - waited)))
            state = self.thread_state(name)

    def set_thread(self, name: str, state: str, timeout: float = 120, progress: Optional[Progress] = None) -> ThreadChange:
        """started | stopped, idempotent."""
        if state not in ("started", "stopped"):
            raise InvalidOption("state", "must be started or stopped, got %r" % (state,), self.host)
        begin = self._clock()
        before = self.thread_state(name)
        self._require_present(before)
        if (state == "started" and before.running) or (state == "stopped" and before.stopped):
            return ThreadChange(before, before, "none", 0.0, False)
        want = "Running" if state == "started" else "Stopped"
        self.request(name, "Start" if state == "started" else "Stop")
        after = self.wait_for(name, want, timeout, progress)
        return ThreadChange(before, after, "thread", self._clock() - begin, True)

    def restart_thread(self, name: str = DOWNLOADER_THREAD, timeout: float = 120, method: str = "thread",
                       fallback: bool = True, progress: Optional[Progress] = None) -> ThreadChange:
        """Stop then Start through the registry; on timeout (and with `fallback`) restart the service."""
        if method not in ("thread", "service"):
            raise InvalidOption("method", "must be thread or service, got %r" % (method,), self.host)
        begin = self._clock()
        before = self.thread_state(name)
        self._require_present(before)
        self._mutate("restart the %s thread" % name)
        if method == "thread":
            try:
                if not before.stopped:
                    self.request(name, "Stop")
                    self.wait_for(name, "Stopped", timeout / 2, progress)
                self.request(name, "Start")
                after = self.wait_for(name, "Running", timeout / 2, progress)
                return ThreadChange(before, after, "thread", self._clock() - begin, True)
            except (WaitTimeout, CommandFailed) as err:
                if not fallback:
                    raise
                if progress:
                    progress("thread restart failed on %s (%s); restarting the %s service" % (self.host, err, EXECUTIVE_SERVICE))
        self.restart_service()
        after = self.wait_for(name, "Running", timeout, progress)
        return ThreadChange(before, after, "service", self._clock() - begin, True)

    def restart_service(self) -> None:
        operation = "restart the %s service" % EXECUTIVE_SERVICE
        self._mutate(operation)
        pipe = Pipeline(operation=operation)
        pipe.add("Restart-Service", ("Name", EXECUTIVE_SERVICE), ("Force", SWITCH))
        self.session.run(pipe)

    def wait_installed(self, name: str = DOWNLOADER_THREAD, timeout: float = 900,
                       progress: Optional[Progress] = None) -> ThreadState:
        """Wait until the role's thread key exists and runs (the role finished installing here)."""
        return self.wait_for(name, "Running", timeout, progress)

    def wait_removed(self, name: str = DOWNLOADER_THREAD, timeout: float = 900,
                     progress: Optional[Progress] = None) -> ThreadState:
        start = self._clock()
        while True:
            state = self.thread_state(name)
            if not state.present:
                return state
            waited = self._clock() - start
            if waited >= timeout:
                raise WaitTimeout("%s is still installed" % name, self.host, "wait for the role removal", waited,
                                  state.current_state)
            if progress:
                progress("%s still present on %s, waited %.0f s" % (name, self.host, waited))
            self._sleep(min(self.poll_interval, max(0.0, timeout - waited)))

    def _require_present(self, state: ThreadState) -> None:
        if not state.present:
            raise ConfigMgrError("the %s thread is not installed (no registry key under %s)" % (state.name, THREADS_KEY),
                                 self.host, "control the %s thread" % state.name)


def _text(value: object) -> Optional[str]:
    return None if value is None else str(value)
