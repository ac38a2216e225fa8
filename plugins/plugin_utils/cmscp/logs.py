"""Parse ConfigMgr log text (pure functions).

Two line formats are recognised per line:
- CMTrace/CCM:  <![LOG[msg]LOG]!><time="HH:mm:ss.fff+BIAS" date="MM-dd-yyyy" component="X" context="" type="1" thread="N" file="">
  (the message may span several physical lines)
- SMS trace:    msg  $$<COMPONENT><MM-DD-YYYY HH:MM:SS.mmm+BIAS><thread=N (0xHEX)>
BIAS is the Windows time-zone bias in minutes (UTC = local time + bias), so +000 is UTC and -60 is UTC+01:00.
Lines in neither format are kept as `unparsed` entries.

Severity (`severity_source` tells which rule decided it):
- "type": a CMTrace line with a `type` of 1 (info), 2 (warning) or 3 (error).
- "text": every other line (SMS trace and unparsed lines have no severity field). CMTrace's documented rule first: "For
  other log formats, CMTrace does a case-insensitive search in each entry for any text string matching "error"" (shown
  as an error) and "warn" (a warning) (memdocs configmgr/core/support/cmtrace.md, "Log pane"). CMTrace documents no
  other word. This parser adds one rule of its own for lines that rule leaves at info: text matching "fail" is an
  error, so that server lines such as "Bootstrap operation failed." are found by a severity filter. A line CMTrace
  would show as a warning ("WARNING: Failed to download ...") stays a warning.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

SEVERITIES = ("info", "warning", "error")
_CMTRACE = re.compile(
    r'<!\[LOG\[(?P<msg>.*?)\]LOG\]!>\s*<time="(?P<time>\d{1,2}:\d{2}:\d{2}(?:\.\d+)?)(?P<bias>[+-]\d+)?"\s+'
    r'date="(?P<date>\d{1,2}-\d{1,2}-\d{4})"\s+component="(?P<component>[^"]*)"\s+context="(?P<context>[^"]*)"\s+'
    r'type="(?P<type>\d*)"\s+thread="(?P<thread>\d*)"(?:\s+file="(?P<file>[^"]*)")?\s*>',
    re.S,
)
_SIMPLE = re.compile(
    r"^(?P<msg>.*?)\s*\$\$<(?P<component>[^>]*)><(?P<date>\d{2}-\d{2}-\d{4}) (?P<time>\d{1,2}:\d{2}:\d{2}(?:\.\d+)?)"
    r"(?P<bias>[+-]\d+)?><thread=(?P<thread>\d+)(?: \(0x[0-9A-Fa-f]+\))?>\s*$"
)
_ERROR_WORD = re.compile(r"error", re.I)  # [OFFICIAL] CMTrace's rule for logs without a type field
_WARN_WORD = re.compile(r"warn", re.I)  # [OFFICIAL] same
_FAIL_WORD = re.compile(r"fail", re.I)  # this collection's addition, applied only where CMTrace's rule says info
TYPE, TEXT = "type", "text"  # severity_source values
_TYPES = {"1": "info", "2": "warning", "3": "error"}  # CMTrace type field


@dataclass
class LogEntry:
    message: str
    time: datetime | None  # aware datetime, None for unparsed lines
    component: str | None
    thread: int | None
    severity: str  # info | warning | error
    format: str  # cmtrace | simple | unparsed
    line_number: int  # 1-based first physical line in the text given to the parser
    source: str | None = None  # file name the text came from
    raw: str = ""
    severity_source: str = TEXT  # type (CMTrace type field) | text (derived from the message text)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["time"] = self.time.isoformat() if self.time else None
        return data


def _timestamp(date_text: str, time_text: str, bias: str | None) -> datetime | None:
    try:
        month, day, year = (int(x) for x in date_text.split("-"))
        hms, _sep, frac = time_text.partition(".")
        hour, minute, second = (int(x) for x in hms.split(":"))
        micro = int((frac or "0").ljust(6, "0")[:6])
        offset = -int(bias) if bias else 0
        return datetime(year, month, day, hour, minute, second, micro, tzinfo=timezone(timedelta(minutes=offset)))
    except ValueError:
        return None


def text_severity(message: str) -> str:
    """Severity of a line without a type field: CMTrace's documented "error" / "warn" search, then "fail" -> error."""
    if _ERROR_WORD.search(message):
        return "error"
    if _WARN_WORD.search(message):
        return "warning"
    if _FAIL_WORD.search(message):
        return "error"
    return "info"


def _clean(message: str) -> str:
    return message.rstrip().rstrip("~").rstrip()


def parse_log(text: str, source: str | None = None) -> list[LogEntry]:
    """Parse one log file's text into entries, in file order."""
    entries: list[LogEntry] = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        start = i
        if "<![LOG[" in line:
            # A CMTrace message may contain line breaks: gather lines until the record closes.
            chunk = line
            while not _CMTRACE.search(chunk) and i + 1 < len(lines) and i - start < 200:
                if "<![LOG[" in lines[i + 1]:
                    break
                i += 1
                chunk += "\n" + lines[i]
            match = _CMTRACE.search(chunk)
            if match:
                entries.append(_from_cmtrace(match, start + 1, source, chunk))
                i += 1
                continue
            i = start
        match = _SIMPLE.match(line)
        if match:
            message = _clean(match.group("msg"))
            entries.append(
                LogEntry(
                    message=message,
                    time=_timestamp(match.group("date"), match.group("time"), match.group("bias")),
                    component=match.group("component"),
                    thread=int(match.group("thread")),
                    severity=text_severity(message),
                    format="simple",
                    line_number=start + 1,
                    source=source,
                    raw=line,
                )
            )
        elif line.strip():
            entries.append(
                LogEntry(
                    message=line.strip(),
                    time=None,
                    component=None,
                    thread=None,
                    severity=text_severity(line),
                    format="unparsed",
                    line_number=start + 1,
                    source=source,
                    raw=line,
                )
            )
        i += 1
    return entries


def _from_cmtrace(match: re.Match[str], line_number: int, source: str | None, raw: str) -> LogEntry:
    message = _clean(match.group("msg"))
    kind = _TYPES.get(match.group("type") or "")
    thread = match.group("thread")
    return LogEntry(
        message=message,
        time=_timestamp(match.group("date"), match.group("time"), match.group("bias")),
        component=match.group("component") or None,
        thread=int(thread) if thread else None,
        severity=kind or text_severity(message),
        format="cmtrace",
        line_number=line_number,
        source=source,
        raw=raw,
        severity_source=TYPE if kind else TEXT,
    )


def parse_files(files: Iterable[tuple[str, str]]) -> list[LogEntry]:
    """Parse (name, text) pairs; a rotated `X.lo_` is older than `X.log`, so it comes first."""
    ordered = sorted(files, key=lambda item: 0 if item[0].lower().endswith(".lo_") else 1)
    entries: list[LogEntry] = []
    for name, text in ordered:
        entries.extend(parse_log(text, source=name))
    return entries


def filter_entries(
    entries: Iterable[LogEntry],
    *,
    since: datetime | None = None,
    severity: str | None = None,
    match: str | None = None,
    component: str | None = None,
    tail: int | None = None,
) -> list[LogEntry]:
    """Keep entries at or after `since`, at least `severity`, whose message matches the regex `match`.
    Unparsed lines have no time: they follow the decision taken for the entry before them."""
    if severity is not None and severity not in SEVERITIES:
        raise ValueError(f"severity must be one of {', '.join(SEVERITIES)}")
    if since is not None and since.tzinfo is None:
        since = since.replace(tzinfo=timezone.utc)
    level = SEVERITIES.index(severity) if severity else 0
    pattern = re.compile(match, re.I) if match else None
    kept: list[LogEntry] = []
    previous_in_range = since is None
    for entry in entries:
        if entry.time is not None:
            previous_in_range = since is None or entry.time >= since
        if not previous_in_range:
            continue
        if SEVERITIES.index(entry.severity) < level:
            continue
        if component and (entry.component or "").lower() != component.lower():
            continue
        if pattern and not pattern.search(entry.message):
            continue
        kept.append(entry)
    if tail is not None:
        kept = kept[-tail:] if tail > 0 else []
    return kept
