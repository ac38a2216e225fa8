"""Optional flow tracer (env LAB_TRACE=1): one log line per request with the WSMan action and PSRP message types."""

from __future__ import annotations

import logging
import os
import struct

from psrpcore.types import PSRPMessageType

log = logging.getLogger("tests.lab.wsman.trace")


def enabled() -> bool:
    return os.environ.get("LAB_TRACE", "") not in ("", "0")


def setup() -> None:
    """Make the tracer visible when nobody configured logging."""
    if enabled():
        log.setLevel(logging.INFO)
        if not log.handlers and not logging.getLogger().handlers:
            handler = logging.StreamHandler()
            handler.setFormatter(logging.Formatter("%(asctime)s lab-trace %(message)s"))
            log.addHandler(handler)


def message_types(data: bytes) -> list[str]:
    """Names of the PSRP messages that start in this run of fragments."""
    names: list[str] = []
    offset = 0
    while offset + 21 <= len(data):
        flags = data[offset + 16]
        (length,) = struct.unpack(">I", data[offset + 17 : offset + 21])
        body = data[offset + 21 : offset + 21 + length]
        if flags & 0x1 and len(body) >= 8:
            (msg_type,) = struct.unpack("<I", body[4:8])
            try:
                names.append(PSRPMessageType(msg_type).name)
            except ValueError:
                names.append(hex(msg_type))
        offset += 21 + length
    return names


def request(endpoint: str, action: str, status: int, incoming: list[str], outgoing: list[str]) -> None:
    if enabled():
        log.info(
            "%s %s %d in=%s out=%s", endpoint, action, status, ",".join(incoming) or "-", ",".join(outgoing) or "-"
        )
