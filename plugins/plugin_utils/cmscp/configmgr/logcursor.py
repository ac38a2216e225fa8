"""LogCursor: what one wait has read of a log, so that each poll transfers only the lines written since the last.

The cursor is the number of lines of the log already read and the text of the last of them. A poll reads
`Get-Content <log> | Select-Object -Skip (cursor - 1)`: the line at the cursor again, then the new lines. When that
first line is not the one read last, the log was rotated to `.lo_` or replaced: the rotated file is read from the
cursor (same check) with the whole new log; when that does not match either, the cursor starts over.
The first read (and a start over) looks back from the end of the log to the first line older than `since`, so a
line written after `since` and before the wait's first poll is never missed.
"""

from __future__ import annotations

import ntpath
from datetime import datetime, timezone
from typing import Any

from ..logs import LogEntry, parse_log
from ..pipeline import Command, Pipeline
from ..session import Session

FIRST_TAIL = 8  # lines of the first look back; a full tail without an older line looks back 4 times further
WIDEN = 4


class LogCursor:
    """The lines of `path` (and of its rotated `.lo_` when the window starts there) from before `since` on, read
    through `session` a little at a time. `read()` is one poll."""

    def __init__(self, session: Session, path: str, since: datetime) -> None:
        self.session = session
        self.path = path
        self.rotated = path[:-1] + "_" if path.lower().endswith(".log") else None
        self.since = since if since.tzinfo else since.replace(tzinfo=timezone.utc)
        self.position: int | None = None  # lines of `path` read; None before the first read
        self.seen: list[str] = []  # the last lines read of `path` (the next read starts in them)
        self.chunks: list[tuple[str, list[str]]] = []  # (file name, lines) in log order, the current log last

    def read(self) -> list[LogEntry]:
        """Read what is new; return every entry of the window (parsed again: a record may span two reads)."""
        if self.position is None:
            self._start()
        else:
            self._advance()
        entries: list[LogEntry] = []
        for name, lines in self.chunks:
            entries.extend(parse_log("\n".join(lines), source=name))
        return entries

    # -- the first read, and a start over -----------------------------------------------------------------
    def _start(self) -> None:
        """Count the lines, then read the tail back to a line older than `since` (the count comes first: the tail
        may hold lines written after it, which the next read recognises in `seen`)."""
        pipe = Pipeline(operation=f"read {self.path}")
        pipe.add(
            "Get-Content",
            ("LiteralPath", self.path),
            error_action="SilentlyContinue",
            label="count the lines",
            pipe_to=[Command("Measure-Object")],
        )
        pipe.add("Get-Content", ("LiteralPath", self.path), ("Tail", FIRST_TAIL), error_action="SilentlyContinue")
        result = self.session.run(pipe, idempotent=True)
        count = _count(result[0].output)
        lines = _lines(result[1].output)
        lines = self._back_to_since(self.path, lines, FIRST_TAIL)
        self.chunks = [(ntpath.basename(self.path), lines)]
        if not self._reaches_since(lines) and self.rotated:
            # the whole log is newer than `since`: it may have been rotated since then
            self.chunks.insert(0, (ntpath.basename(self.rotated), self._back_to_since(self.rotated, None, FIRST_TAIL)))
        self.position, self.seen = count, lines

    def _back_to_since(self, path: str, lines: list[str] | None, tail: int) -> list[str]:
        """The tail of `path` that reaches a line older than `since` (or the whole file); `lines` is a tail of
        `tail` lines read already (None: none yet)."""
        while lines is None or (len(lines) >= tail and not self._reaches_since(lines)):
            if lines is not None:
                tail *= WIDEN
            pipe = Pipeline(operation=f"read {path}")
            pipe.add("Get-Content", ("LiteralPath", path), ("Tail", tail), error_action="SilentlyContinue")
            lines = _lines(self.session.run(pipe, idempotent=True)[0].output)
        return lines

    def _reaches_since(self, lines: list[str]) -> bool:
        entry = next((e for e in parse_log("\n".join(lines)) if e.time is not None), None)
        return entry is not None and entry.time is not None and entry.time < self.since

    # -- the next reads -----------------------------------------------------------------------------------
    def _advance(self) -> None:
        position = self.position or 0
        pipe = Pipeline(operation=f"read {self.path}")
        pipe.add(
            "Get-Content",
            ("LiteralPath", self.path),
            error_action="SilentlyContinue",
            pipe_to=[Command("Select-Object", [("Skip", max(position - 1, 0))])],
        )
        fresh = _lines(self.session.run(pipe, idempotent=True)[0].output)
        new = _after(self.seen, fresh, position)
        if new is not None:
            self._take(new, max(position - 1, 0) + len(fresh))
            return
        if self.rotated and position:
            pipe = Pipeline(operation=f"read {self.rotated}")
            pipe.add(
                "Get-Content",
                ("LiteralPath", self.rotated),
                error_action="SilentlyContinue",
                pipe_to=[Command("Select-Object", [("Skip", position - 1)])],
            )
            pipe.add("Get-Content", ("LiteralPath", self.path), error_action="SilentlyContinue")
            result = self.session.run(pipe, idempotent=True)
            old = _after(self.seen, _lines(result[0].output), position)
            if old is not None:  # rotated: the rest of the old log, then the whole new one
                current = _lines(result[1].output)
                self._take(old, position)
                self.chunks.append((ntpath.basename(self.path), []))
                self.seen = []
                self._take(current, len(current))
                return
        self.position = None  # shrunk or replaced: read the window again
        self._start()

    def _take(self, new: list[str], position: int) -> None:
        self.chunks[-1][1].extend(new)
        self.position = position
        if new:
            self.seen = new[-1:]


def _after(seen: list[str], fresh: list[str], position: int) -> list[str] | None:
    """The lines of `fresh` after those already read, or None when `fresh` does not start inside `seen` (the log
    changed under the cursor). `fresh` starts at line `position` (the first line when 0); `seen` ends at it or
    later. The longest overlap is tried last, so lines of equal text are read twice rather than missed."""
    if not seen:
        return fresh if position == 0 else None
    for start in range(len(seen) - 1, -1, -1):
        tail = seen[start:]
        if fresh[: len(tail)] == tail:
            return fresh[len(tail) :]
    return None


def _lines(output: list[Any]) -> list[str]:
    return [str(x) for x in output if x is not None]


def _count(output: list[Any]) -> int:
    first = output[0] if output else None
    value = first.get("Count") if isinstance(first, dict) else None
    return int(value) if isinstance(value, int) else 0
