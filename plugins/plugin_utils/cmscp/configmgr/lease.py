"""One changing job per hierarchy: a lease file on the SMS Provider host, created atomically.

Two controllers (two AWX jobs, or a job and an admin's run) planning from the same state can both remove or both add
the SCP. A changing plan therefore takes the lease before it reads the state again and plans for real, and gives it
back at the end. `New-Item -ItemType File` without `-Force` fails when the file exists [OFFICIAL New-Item]; that two
jobs creating it in the same instant cannot both succeed rests on our reading that the FileSystem provider opens it
with FileMode.CreateNew (UNVERIFIED; the lab creates it under its world lock). The file holds the owner and
the expiry (the provider host's clock); a lease is broken only after its expiry, so a killed job blocks others for
`ttl` at most. The lease is the collection's own file, not Configuration Manager data.
"""

from __future__ import annotations

import os
import socket
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from ..errors import CommandFailed, ConfigMgrError
from ..pipeline import SWITCH, Pipeline
from ..session import Session

LEASE_DIR = "C:\\ProgramData\\configmgr.scp"
LEASE_FILE = LEASE_DIR + "\\hierarchy.lease"


class LeaseBusy(ConfigMgrError):
    """Another job holds the lease: `.owner`, `.expires`."""

    def __init__(self, message: str, host: str, owner: str, expires: datetime | None) -> None:
        super().__init__(message, host, "take the hierarchy lease")
        self.owner = owner
        self.expires = expires


@dataclass(frozen=True)
class LeaseText:
    owner: str
    expires: datetime | None

    def render(self) -> str:
        return f"owner={self.owner}\nexpires={self.expires.isoformat() if self.expires else ''}\n"

    @classmethod
    def parse(cls, lines: list[str]) -> LeaseText:
        values = dict(line.split("=", 1) for line in lines if "=" in line)
        try:
            expires: datetime | None = datetime.fromisoformat(values.get("expires", "").strip())
        except ValueError:
            expires = None
        if expires is not None and expires.tzinfo is None:
            expires = expires.replace(tzinfo=timezone.utc)
        return cls(values.get("owner", "").strip() or "unknown", expires)


def default_owner() -> str:
    """Who holds it, for the message another job shows: controller host, process, a random part."""
    return f"{socket.gethostname()} pid {os.getpid()} {uuid.uuid4().hex[:8]}"


class HierarchyLease:
    """take() / release() around a changing plan; a context manager. `wait` seconds to wait for a live lease."""

    def __init__(
        self,
        session: Session,
        owner: str | None = None,
        ttl: float = 1800,
        wait: float = 0,
        poll: float = 5.0,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.session = session
        self.owner = owner or default_owner()
        self.ttl = ttl
        self.wait = wait
        self.poll = poll
        self._sleep = sleep
        self._clock = clock
        self.held = False

    @property
    def host(self) -> str:
        return str(getattr(self.session, "display_name", None) or self.session.host)

    def take(self, progress: Callable[[str], None] | None = None) -> None:
        start = self._clock()
        broke = False
        while True:
            now = self._host_now()
            mine = LeaseText(self.owner, now + timedelta(seconds=self.ttl))
            if self._create(mine):
                self.held = True
                return
            other = self._read()
            if other is None:
                continue  # released between our create and read: try again
            if other.expires is not None and other.expires <= now and not broke:
                if progress:
                    progress(f"breaking the expired lease of {other.owner} (expired {other.expires.isoformat()})")
                self._remove()
                broke = True
                continue
            waited = self._clock() - start
            if waited >= self.wait:
                until = other.expires.isoformat() if other.expires else "unknown"
                raise LeaseBusy(
                    f"another job is changing this hierarchy: {other.owner} holds the lease {LEASE_FILE} on {self.host} until {until}; wait for it "
                    "to finish (or, if it was killed, until the lease expires) and run again",
                    self.host,
                    other.owner,
                    other.expires,
                )
            if progress:
                progress(f"waiting for the lease held by {other.owner} (until {other.expires})")
            self._sleep(min(self.poll, max(0.0, self.wait - waited)))

    def release(self) -> None:
        """Remove the lease if it is still ours (an expired one may have been taken over)."""
        if not self.held:
            return
        self.held = False
        current = self._read()
        if current is not None and current.owner == self.owner:
            self._remove()

    def __enter__(self) -> HierarchyLease:
        self.take()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()

    # -- remote calls --------------------------------------------------------------------------------------------
    def _host_now(self) -> datetime:
        pipe = Pipeline(operation=f"read the time of {self.host}")
        pipe.add("Get-Date", label="read the time")
        value = self.session.run(pipe, idempotent=True)[0].first
        if isinstance(value, datetime):
            return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
        return datetime.now(timezone.utc)

    def _create(self, text: LeaseText) -> bool:
        pipe = Pipeline(operation=f"take the hierarchy lease on {self.host}")
        pipe.add(
            "New-Item", ("Path", LEASE_DIR), ("ItemType", "Directory"), ("Force", SWITCH), label="the lease folder"
        )
        pipe.add("New-Item", ("Path", LEASE_FILE), ("ItemType", "File"), ("Value", text.render()), label="the lease")
        try:
            self.session.run(pipe)
        except CommandFailed as err:
            if "exist" in str(err.error_message or err).lower():
                return False
            raise
        return True

    def _read(self) -> LeaseText | None:
        pipe = Pipeline(operation=f"read the hierarchy lease on {self.host}")
        pipe.add("Get-Content", ("LiteralPath", LEASE_FILE), error_action="SilentlyContinue")
        lines = [str(x) for x in self.session.run(pipe, idempotent=True)[0].output]
        return LeaseText.parse(lines) if lines else None

    def _remove(self) -> None:
        pipe = Pipeline(operation=f"remove the hierarchy lease on {self.host}")
        pipe.add("Remove-Item", ("LiteralPath", LEASE_FILE), error_action="SilentlyContinue")
        self.session.run(pipe)
