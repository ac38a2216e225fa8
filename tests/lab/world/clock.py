"""Simulated time: tests move it by hand, `serve` lets it run at a scaled real-time rate."""
from __future__ import annotations

import heapq
import itertools
import threading
import time
from datetime import datetime, timedelta, timezone
from typing import Callable

START = datetime(2026, 11, 2, 9, 0, 0, tzinfo=timezone.utc)


class Clock:
    def __init__(self, start: datetime = START, scale: float | None = None) -> None:
        """``scale`` None: manual; otherwise simulated seconds per real second."""
        self._now = start
        self._scale = scale
        self._real_anchor = time.monotonic()
        self._sim_anchor = start
        self._events: list[tuple[datetime, int, Callable[[], None]]] = []
        self._seq = itertools.count()
        self.lock = threading.RLock()

    @property
    def scale(self) -> float | None:
        return self._scale

    def now(self) -> datetime:
        with self.lock:
            if self._scale is not None:
                self._catch_up()
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
                self._catch_up()

    def _catch_up(self) -> None:
        elapsed = (time.monotonic() - self._real_anchor) * self._scale
        target = self._sim_anchor + timedelta(seconds=elapsed)
        if target > self._now:
            self._run_until(target)

    def _run_until(self, target: datetime) -> None:
        while self._events and self._events[0][0] <= target:
            at, _seq, fn = heapq.heappop(self._events)
            self._now = max(self._now, at)
            fn()
        self._now = max(self._now, target)
