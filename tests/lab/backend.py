"""The lab's Backend: authentication, authorization and runspaces from the simulated world."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import tests.lab.world.cm_cmdlets  # noqa: F401  pylint: disable=unused-import  # registers the ConfigurationManager cmdlets
from tests.lab.ps.runtime import PSRuntime
from tests.lab.world.world import World


class LabBackend:
    def __init__(self, world: World) -> None:
        self.world = world
        self._requests: list[dict[str, Any]] = []
        self._logons: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        # Told of each request after it is logged (the benchmark's Recorder): endpoint, action, bytes in/out, status.
        self.request_observer: Callable[[str, str, int, int, int], None] | None = None

    # -- accounts ------------------------------------------------------------------------------------------
    def _canonical(self, endpoint: str, user: str) -> str | None:
        """``DOMAIN\\user``, ``user@domain.fqdn`` or a bare ``user`` -> the key in the host's accounts."""
        host = self.world.host(endpoint)
        if host is None:
            return None
        name = user.strip()
        if "@" in name and "\\" not in name:
            name = f"{host.domain}\\{name.split('@', 1)[0]}"
        elif "\\" not in name:
            name = f"{host.domain}\\{name}"
        return name.lower() if name.lower() in host.accounts else None

    def check_password(self, endpoint: str, user: str, password: str) -> str | None:
        key = self._canonical(endpoint, user)
        host = self.world.host(endpoint)
        if key is None or host is None or host.accounts[key] != password:
            return None
        return key

    def ntlm_accounts(self) -> list[tuple[str, str, str]]:
        seen: dict[tuple[str, str], str] = {}
        for host in self.world.hosts.values():
            for account, password in host.accounts.items():
                domain, _sep, name = account.rpartition("\\")
                seen.setdefault((domain or host.domain, name), password)
        return [(domain.upper(), name, password) for (domain, name), password in sorted(seen.items())]

    def authorize(self, endpoint: str, user: str) -> bool:
        return self._canonical(endpoint, user) is not None

    def map_certificate(self, endpoint: str, subject_cn: str, upn: str | None) -> str | None:
        for candidate in (upn, subject_cn):
            if candidate:
                key = self._canonical(endpoint, candidate)
                if key is not None:
                    return key
        return None

    # -- work ------------------------------------------------------------------------------------------------
    def open_runspace(
        self, endpoint: str, user: str, auth: str, configuration_name: str, delegated: bool = False
    ) -> PSRuntime:
        host = self.world.host(endpoint)
        if host is None:
            raise LookupError(f"no simulated host {endpoint}")
        return PSRuntime(self.world, host, self._canonical(endpoint, user) or user.lower(), auth, delegated=delegated)

    def fault(self, endpoint: str, stage: str, detail: str = "") -> str | None:
        with self.world.lock:
            return self.world.faults.take(stage, endpoint, detail or None)

    # -- request log (the benchmark reads it) ----------------------------------------------------------------
    def record_request(self, endpoint: str, action: str, bytes_in: int, bytes_out: int, status: int) -> None:
        with self._lock:
            self._requests.append(
                {"host": endpoint, "action": action, "bytes_in": bytes_in, "bytes_out": bytes_out, "status": status}
            )
        observer = self.request_observer
        if observer is not None:
            observer(endpoint, action, bytes_in, bytes_out, status)

    def record_logon(self, endpoint: str, user: str, method: str, mechanism: str, delegated: bool = False) -> None:
        with self._lock:
            self._logons.append(
                {"host": endpoint, "user": user, "method": method, "mechanism": mechanism, "delegated": delegated}
            )

    def logons_snapshot(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(self._logons)

    def requests_snapshot(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(self._requests)

    def clear_requests(self) -> None:
        with self._lock:
            self._requests.clear()
            self._logons.clear()
