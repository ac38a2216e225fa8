"""Simulated time: tests move it by hand, `serve` lets it run at a scaled real-time rate.

The clock starts at the controller's current time (UTC, whole seconds) unless a start is given; a scenario pins
it with ``clock: {start: ISO-8601}`` (applied by ``World.from_scenario`` through :meth:`Clock.pin`).
"""

from __future__ import annotations

import heapq
import itertools
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone

# A fixed instant for tests that want a reproducible start (Clock(start=START)); not the default any more.
START = datetime(2026, 11, 2, 9, 0, 0, tzinfo=timezone.utc)


def utc_now() -> datetime:
    """The controller's current time, UTC, to the whole second."""
    return datetime.now(timezone.utc).replace(microsecond=0)


class Clock:
    def __init__(self, start: datetime | None = None, scale: float | None = None) -> None:
        """``start`` None: UTC now. ``scale`` None: manual; otherwise simulated seconds per real second."""
        start = utc_now() if start is None else _aware(start)
        self._start = start
        self._now = start
        self._scale = scale
        self._real_anchor = time.monotonic()
        self._sim_anchor = start
        self._events: list[tuple[datetime, int, Callable[[], None]]] = []
        self._seq = itertools.count()
        self.lock = threading.RLock()

    @property
    def start(self) -> datetime:
        return self._start

    def pin(self, start: datetime) -> None:
        """Move the start of a clock that has no event scheduled yet (before a world is built on it)."""
        with self.lock:
            if self._events:
                raise RuntimeError("the clock is already running; pin its start before building the world")
            self._start = self._now = self._sim_anchor = _aware(start)
            self._real_anchor = time.monotonic()

    @property
    def scale(self) -> float | None:
        return self._scale

    def now(self) -> datetime:
        with self.lock:
            if self._scale is not None:
                self._catch_up(self._scale)
            return self._now

    def schedule(self, delay_seconds: float, fn: Callable[[], None]) -> None:
        """Run ``fn`` once simulated time has moved ``delay_seconds`` past now."""
        with self.lock:
            at = self._now + timedelta(seconds=delay_seconds)
            heapq.heappush(self._events, (at, next(self._seq), fn))

    def advance(self, seconds: float) -> None:
        """Move simulated time forward, firing due events in time order."""
        with self.lock:
            self._run_until(self._now + timedelta(seconds=seconds))
            if self._scale is not None:
                self._real_anchor = time.monotonic()
                self._sim_anchor = self._now

    def tick(self) -> None:
        """Real-time mode: bring simulated time up to date (called by a background thread)."""
        with self.lock:
            if self._scale is not None:
                self._catch_up(self._scale)

    def _catch_up(self, scale: float) -> None:
        elapsed = (time.monotonic() - self._real_anchor) * scale
        target = self._sim_anchor + timedelta(seconds=elapsed)
        if target > self._now:
            self._run_until(target)

    def _run_until(self, target: datetime) -> None:
        while self._events and self._events[0][0] <= target:
            at, _seq, fn = heapq.heappop(self._events)
            self._now = max(self._now, at)
            fn()
        self._now = max(self._now, target)


def _aware(when: datetime) -> datetime:
    return when if when.tzinfo is not None else when.replace(tzinfo=timezone.utc)
