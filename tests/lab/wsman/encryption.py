"""WinRM message encryption (MS-WSMV multipart/encrypted) over a pyspnego context."""

from __future__ import annotations

import re
import struct
from typing import Any

SPNEGO_PROTOCOL = "application/HTTP-SPNEGO-session-encrypted"
CREDSSP_PROTOCOL = "application/HTTP-CredSSP-session-encrypted"
CREDSSP_CHUNK = 16384  # MS-WSMV: CredSSP-sealed messages go in 16 KiB parts (multipart/x-multi-encrypted)
BOUNDARY = b"--Encrypted Boundary"
_LENGTH_RE = re.compile(rb"Length=(\d+)")
_OCTET = b"\tContent-Type: application/octet-stream\r\n"


def is_encrypted(content_type: str) -> bool:
    return content_type.lower().startswith(("multipart/encrypted", "multipart/x-multi-encrypted"))


def unwrap(context: Any, body: bytes) -> bytes:
    """Decrypt every part of a multipart/encrypted body."""
    plain = b""
    for part in body.split(BOUNDARY + b"\r\n\tContent-Type: application/HTTP-")[1:]:
        length_match = _LENGTH_RE.search(part)
        start = part.find(_OCTET)
        if length_match is None or start < 0:
            raise ValueError("malformed encrypted part")
        payload = part[start + len(_OCTET) :]
        if payload.endswith(BOUNDARY + b"--\r\n"):
            payload = payload[: -len(BOUNDARY) - 4]
        (sig_len,) = struct.unpack("<I", payload[:4])
        data = context.unwrap_winrm(payload[4 : 4 + sig_len], payload[4 + sig_len :])
        expected = int(length_match.group(1))
        if len(data) != expected:
            raise ValueError(f"decrypted length {len(data)} != {expected}")
        plain += data
    return plain


def _part(context: Any, plain: bytes, protocol: str) -> bytes:
    header, data, padding = context.wrap_winrm(plain)
    head = (
        f"{BOUNDARY.decode()}\r\n\tContent-Type: {protocol}\r\n"
        f"\tOriginalContent: type=application/soap+xml;charset=UTF-8;Length={len(plain) + padding}\r\n"
        f"{BOUNDARY.decode()}\r\n"
    ).encode() + _OCTET
    return head + struct.pack("<I", len(header)) + header + data


def wrap(context: Any, plain: bytes, protocol: str = SPNEGO_PROTOCOL) -> tuple[str, bytes]:
    """(Content-Type, body) of the encrypted response."""
    if protocol == CREDSSP_PROTOCOL and len(plain) > CREDSSP_CHUNK:
        chunks = [plain[i : i + CREDSSP_CHUNK] for i in range(0, len(plain), CREDSSP_CHUNK)]
        body = b"".join(_part(context, chunk, protocol) for chunk in chunks) + BOUNDARY + b"--\r\n"
        return f'multipart/x-multi-encrypted;protocol="{protocol}";boundary="Encrypted Boundary"', body
    body = _part(context, plain, protocol) + BOUNDARY + b"--\r\n"
    return f'multipart/encrypted;protocol="{protocol}";boundary="Encrypted Boundary"', body
