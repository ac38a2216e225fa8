"""Windows paths compared as Windows does (pure)."""

from __future__ import annotations


def path_key(path: str) -> str:
    """How two spellings of one Windows path compare: case-insensitive, `/` as `\\`, repeated and trailing
    separators dropped (a UNC path keeps its leading `\\\\`)."""
    text = str(path).replace("/", "\\")
    unc = text.startswith("\\\\")
    parts = [p for p in text.split("\\") if p]
    return ("\\\\" if unc else "") + "\\".join(parts).lower()
