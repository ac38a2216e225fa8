"""The clock of a host: the time its log lines are written with (Get-Date, one round trip)."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from ..pipeline import Pipeline


def host_time(session: Any) -> datetime | None:
    """The host's clock (Get-Date), the clock its log lines are written with; None when it returns no time."""
    pipe = Pipeline(operation=f"read the time on {getattr(session, 'host', 'the host')}")
    pipe.add("Get-Date", label="read the time")
    value = session.run(pipe, idempotent=True)[0].first
    if not isinstance(value, datetime):
        return None
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
