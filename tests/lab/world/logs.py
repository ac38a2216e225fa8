"""ConfigMgr log files on the simulated hosts: the two line formats, locations and .lo_ rotation."""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

CMTRACE = "cmtrace"
SIMPLE = "simple"

INFO, WARNING, ERROR = 1, 2, 3

# inferred: which format each log uses is UNVERIFIED on a live system; scenarios may override.
DEFAULT_FORMATS: dict[str, str] = {
    "sitecomp.log": SIMPLE,
    "hman.log": SIMPLE,
    "dmpdownloader.log": SIMPLE,
    "dmpuploader.log": SIMPLE,
    "srvboot.log": CMTRACE,
}
DEFAULT_MAX_SIZE = 2621440  # inferred: 2.5 MB, the usual MaxFileSize default
REMOTE_LOG_DIR = "C:\\SMS\\Logs"  # inferred: "an SMS\Logs folder" on a remote site system


class _Files(Protocol):
    def exists(self, path: str) -> bool: ...
    def read(self, path: str) -> str: ...
    def write(self, path: str, text: str) -> None: ...
    def append(self, path: str, text: str) -> None: ...
    def mkdir(self, path: str) -> None: ...


def _bias(when: datetime) -> str:
    """Minutes, Windows-bias style: UTC-4 is +240 (the facts' example line), UTC is +000."""
    offset = when.utcoffset()
    minutes = -int(offset.total_seconds() // 60) if offset is not None else 0
    return f"{'+' if minutes >= 0 else '-'}{abs(minutes):03d}"


def thread_id(component: str) -> int:
    """A stable, plausible thread id per component."""
    return 1000 + zlib.crc32(component.encode()) % 8000


def format_cmtrace(
    message: str, component: str, when: datetime, severity: int = INFO, thread: int | None = None
) -> str:
    """[COMMUNITY] CCM format: ``<![LOG[msg]LOG]!><time="HH:mm:ss.fff+BIAS" date="MM-dd-yyyy" ...>``."""
    tid = thread_id(component) if thread is None else thread
    time_s = when.strftime("%H:%M:%S.") + f"{when.microsecond // 1000:03d}" + _bias(when)
    return (
        f'<![LOG[{message}]LOG]!><time="{time_s}" date="{when.strftime("%m-%d-%Y")}" component="{component}" '
        f'context="" type="{severity}" thread="{tid}" file="">'
    )


def format_simple(message: str, component: str, when: datetime, thread: int | None = None) -> str:
    """[COMMUNITY] ``msg  $$<COMPONENT><MM-DD-YYYY HH:MM:SS.mmm+BIAS><thread=N (0xHEX)>``; no severity field."""
    tid = thread_id(component) if thread is None else thread
    stamp = when.strftime("%m-%d-%Y %H:%M:%S.") + f"{when.microsecond // 1000:03d}" + _bias(when)
    return f"{message}  $$<{component}><{stamp}><thread={tid} (0x{tid:X})>"


def format_line(fmt: str, message: str, component: str, when: datetime, severity: int = INFO) -> str:
    if fmt == CMTRACE:
        return format_cmtrace(message, component, when, severity)
    if fmt == SIMPLE:
        return format_simple(message, component, when)
    raise ValueError(f"unknown log format {fmt!r}")


@dataclass
class LogFile:
    """One log file; rotates to ``.lo_`` before a write would exceed ``max_size`` [OFFICIAL rotation rule]."""

    files: _Files
    path: str
    component: str
    fmt: str = SIMPLE
    max_size: int = DEFAULT_MAX_SIZE

    def write(self, message: str, when: datetime, severity: int = INFO) -> None:
        line = format_line(self.fmt, message, self.component, when, severity) + "\r\n"
        folder = self.path.rsplit("\\", 1)[0]
        if not self.files.exists(folder):
            self.files.mkdir(folder)
        if self.files.exists(self.path):
            current = self.files.read(self.path)
            if current and len(current) + len(line) > self.max_size:
                self.files.write(self.path[:-1] + "_", current)  # x.log -> x.lo_ (replaces the older one)
                self.files.write(self.path, line)
                return
            self.files.append(self.path, line)
        else:
            self.files.write(self.path, line)


class LogSettings:
    """World-wide log knobs: formats per file name and the rotation size."""

    def __init__(self, formats: dict[str, str] | None = None, max_size: int = DEFAULT_MAX_SIZE) -> None:
        self.formats = {**DEFAULT_FORMATS, **{k.lower(): v for k, v in (formats or {}).items()}}
        self.max_size = max_size

    def open(self, files: _Files, folder: str, name: str, component: str) -> LogFile:
        return LogFile(files, f"{folder}\\{name}", component, self.formats.get(name.lower(), SIMPLE), self.max_size)

    def to_json(self) -> dict[str, Any]:
        return {"formats": dict(self.formats), "max_size": self.max_size}
