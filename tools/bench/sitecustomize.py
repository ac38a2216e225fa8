"""Counts connection attempts for `make bench` (tests/lab/bench_targets.py, the reconnect figure); nothing else.

The bench puts this folder on PYTHONPATH of one ansible-playbook run, with BENCH_COUNT_PORT (a port where nothing
listens) and BENCH_COUNT_FILE. Python imports sitecustomize at start-up; the audit hook below appends one line to
the file for every socket.connect() to 127.0.0.1:BENCH_COUNT_PORT, in ansible-playbook and in the workers it forks.
Without both variables it does nothing. It changes no behaviour: audit hooks only observe.
"""

from __future__ import annotations

import os
import sys

_PORT = int(os.environ.get("BENCH_COUNT_PORT") or 0)
_FILE = os.environ.get("BENCH_COUNT_FILE")


def _count(event: str, args: tuple) -> None:
    if event != "socket.connect":
        return
    address = args[1] if len(args) > 1 else None
    if (
        isinstance(address, tuple)
        and len(address) >= 2
        and address[1] == _PORT
        and address[0] in ("127.0.0.1", "::1", "localhost")
    ):
        with open(_FILE, "a", encoding="utf-8") as handle:  # type: ignore[arg-type]
            handle.write(f"{os.getpid()} {address!r}\n")


if _PORT and _FILE:
    sys.addaudithook(_count)
