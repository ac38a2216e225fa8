"""SMS_EXECUTIVE component threads driven by the registry, as Service Manager does it.

[OFFICIAL] (KB Q326589, MSfB troubleshooting doc): set ``Requested Operation`` to Stop/Start under
``...\\SMS_EXECUTIVE\\Threads\\<component>``; ``Current State`` follows. [COMMUNITY] ``Stopping`` is seen in
between and ``Requested Operation`` returns to ``None``. inferred: the delays and the ``Starting`` state.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from tests.lab.windows.host import WindowsHost
from tests.lab.world import paths

if TYPE_CHECKING:
    from tests.lab.world.world import World

ThreadListener = Callable[[WindowsHost, str, str], None]  # (host, component, "start" | "stop")

OP, STATE = "Requested Operation", "Current State"


class Executive:
    """Watches every host's thread keys and the SMS_EXECUTIVE service."""

    def __init__(self, world: World, stop_delay: float = 3.0, start_delay: float = 3.0) -> None:
        self.world = world
        self.stop_delay = stop_delay
        self.start_delay = start_delay
        self.listeners: list[ThreadListener] = []
        self._gen: dict[tuple[str, str], int] = {}
        self._services: set[int] = set()

    # -- wiring -------------------------------------------------------------------------------------------
    def attach(self, host: WindowsHost) -> None:
        host.registry.watch(paths.THREADS_KEY, lambda key, name, value: self._on_value(host, key, name, value))
        self.attach_service(host)

    def attach_service(self, host: WindowsHost) -> None:
        svc = host.services.get(paths.EXECUTIVE_SERVICE.lower())
        if svc is not None and id(svc) not in self._services:
            self._services.add(id(svc))
            svc.listeners.append(lambda _svc, action: self._on_service(host, action))

    # -- queries and installation (used by sitecomp and scenarios) -----------------------------------------
    def state(self, host: WindowsHost, component: str) -> str | None:
        found = host.registry.get_value(paths.thread_key(component), STATE)
        return str(found[0]) if found else None

    def components(self, host: WindowsHost) -> list[str]:
        return host.registry.subkeys(paths.THREADS_KEY)

    def install(self, host: WindowsHost, component: str, dll: str, notify: bool = True) -> None:
        key = paths.thread_key(component)
        reg = host.registry
        reg.set_value(key, "DLL", dll)
        reg.set_value(key, "Startup Type", "Automatic")
        reg.set_value(key, "Startup Schedule", "")
        reg.set_value(key, OP, "None")
        running = self._executive_running(host)
        reg.set_value(key, STATE, "Running" if running else "Stopped")
        if running and notify:
            self._notify(host, component, "start")

    def uninstall(self, host: WindowsHost, component: str) -> None:
        key = paths.thread_key(component)
        if host.registry.get_key(key) is None:
            return
        self._bump(host, component)
        if self.state(host, component) == "Running":
            self._notify(host, component, "stop")
        host.registry.delete_key(key, recurse=True)

    # -- the protocol ------------------------------------------------------------------------------------
    def _on_value(self, host: WindowsHost, key_path: str, name: str, value: Any) -> None:
        if name.lower() != OP.lower() or value is None:
            return
        op = str(value).strip().lower()
        component = key_path.rsplit("\\", 1)[-1]
        if op not in ("stop", "start") or not self._executive_running(host):
            return  # inferred: nothing acts on the request while SMS_EXECUTIVE is not running
        state = self.state(host, component)
        if op == "stop":
            if self.world.faults.take("thread", host.fqdn, component):
                return
            if state in ("Stopped", "Stopping"):
                self._later(host, component, self.stop_delay, None)
                return
            self._set(host, component, STATE, "Stopping")
            self._notify(host, component, "stop")
            self._later(host, component, self.stop_delay, "Stopped")
        else:
            if state in ("Running", "Starting"):
                self._later(host, component, self.start_delay, None)
                return
            self._set(host, component, STATE, "Starting")
            self._later(host, component, self.start_delay, "Running")

    def _later(self, host: WindowsHost, component: str, delay: float, final: str | None) -> None:
        gen = self._bump(host, component)

        def finish() -> None:
            with self.world.lock:
                if self._gen.get((host.fqdn.lower(), component.lower())) != gen:
                    return
                if host.registry.get_key(paths.thread_key(component)) is None:
                    return
                if final is not None:
                    self._set(host, component, STATE, final)
                self._set(host, component, OP, "None")
                if final == "Running":
                    self._notify(host, component, "start")

        self.world.clock.schedule(delay, finish)

    def _on_service(self, host: WindowsHost, action: str) -> None:
        """Stopping SMS_EXECUTIVE stops every thread; starting it starts the Automatic ones."""
        for component in self.components(host):
            self._bump(host, component)
            state = self.state(host, component)
            if action == "stop":
                if state != "Stopped":
                    self._set(host, component, STATE, "Stopped")
                    if state in ("Running", "Starting"):
                        self._notify(host, component, "stop")
                self._set(host, component, OP, "None")
            elif action == "start":
                startup = host.registry.get_value(paths.thread_key(component), "Startup Type")
                if startup is None or str(startup[0]).lower() == "automatic":
                    self._set(host, component, STATE, "Running")
                    self._set(host, component, OP, "None")
                    self._notify(host, component, "start")

    # -- helpers -----------------------------------------------------------------------------------------
    def _executive_running(self, host: WindowsHost) -> bool:
        svc = host.services.get(paths.EXECUTIVE_SERVICE.lower())
        return svc is not None and svc.status in ("Running", "StartPending")

    def _bump(self, host: WindowsHost, component: str) -> int:
        key = (host.fqdn.lower(), component.lower())
        self._gen[key] = self._gen.get(key, 0) + 1
        return self._gen[key]

    @staticmethod
    def _set(host: WindowsHost, component: str, name: str, value: str) -> None:
        host.registry.set_value(paths.thread_key(component), name, value)

    def _notify(self, host: WindowsHost, component: str, action: str) -> None:
        self.world.event("thread", host=host.fqdn, component=component, action=action)
        for listener in list(self.listeners):
            listener(host, component, action)
