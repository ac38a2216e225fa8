"""LogCursor: each poll of a wait reads only what the log gained; rotation, shrinking and the first poll's window."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta, timezone

from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.configmgr import logcursor
from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.configmgr.logcursor import LogCursor
from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.configmgr.provider import bootstrap_done
from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.pipeline import Pipeline
from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.session import PipelineResult, StatementResult

LOG = "C:\\SMS\\Logs\\sitecomp.log"
OLD = "C:\\SMS\\Logs\\sitecomp.lo_"
SINCE = datetime(2023, 7, 15, 9, 0, tzinfo=timezone.utc)
SCP01 = "scp01.contoso.com"


def line(text: str, minutes: float) -> str:
    when = SINCE + timedelta(minutes=minutes)
    return f"{text} $$<SMS_SITE_COMPONENT_MANAGER><{when.strftime('%m-%d-%Y %H:%M:%S')}.{when.microsecond // 1000:03d}+000><thread=1 (0x1)>"


def history(count: int) -> list[str]:
    return [line(f"Synchronizing component server other{i}.contoso.com...", -100 + i * 0.01) for i in range(count)]


def install(minutes: float) -> list[str]:
    return [
        line(f"Synchronizing component server {SCP01}...", minutes),
        line("Starting bootstrap operations...", minutes + 0.001),
        line(
            'Starting service SMS_SERVER_BOOTSTRAP_SCP01 with command-line arguments "PS1 C:\\SMS /install x"',
            minutes + 0.002,
        ),
        line("Bootstrap operation successful.", minutes + 0.003),
    ]


class FileSession:
    """Runs Get-Content (-LiteralPath, -Tail) optionally piped to Measure-Object or Select-Object -Skip over `files`;
    `between(index)` runs after each statement (a log written while a pipeline runs). Records the lines sent."""

    def __init__(self, files: dict[str, list[str]]) -> None:
        self.host = "cm01.contoso.com"
        self.files = files
        self.between: Callable[[int], None] | None = None
        self.sent: list[int] = []  # lines (or objects) returned, per pipeline
        self.pipelines: list[Pipeline] = []

    def run(self, pipeline: Pipeline, *, idempotent: bool = False, **_kw) -> PipelineResult:
        assert idempotent
        self.pipelines.append(pipeline)
        results = []
        for i, statement in enumerate(pipeline.statements):
            first = dict(statement.commands[0].parameters)
            assert statement.commands[0].name == "Get-Content" and statement.error_action == "SilentlyContinue"
            out: list = list(self.files.get(first["LiteralPath"], []))
            if "Tail" in first:
                out = out[len(out) - first["Tail"] :] if first["Tail"] < len(out) else out
            for command in statement.commands[1:]:
                params = dict(command.parameters)
                if command.name == "Measure-Object":
                    out = [{"Count": len(out), "Sum": None, "Property": None}]
                else:
                    assert command.name == "Select-Object" and set(params) == {"Skip"}
                    out = out[params["Skip"] :]
            results.append(StatementResult(i, out))
            if self.between:
                self.between(i)
        self.sent.append(sum(len(r.output) for r in results))
        return PipelineResult(results)


def done(cursor: LogCursor) -> bool:
    return bootstrap_done(cursor.read(), SCP01, SINCE, verb="install")


def test_first_poll_finds_a_marker_written_before_it_and_reads_back_only_to_since():
    s = FileSession({LOG: history(1000) + install(0.5)})
    cursor = LogCursor(s, LOG, SINCE)
    assert done(cursor)
    assert len(s.pipelines) == 1 and s.sent == [1 + logcursor.FIRST_TAIL]  # the count and one short tail


def test_each_poll_reads_only_the_new_lines():
    files = {LOG: history(1000)}
    s = FileSession(files)
    cursor = LogCursor(s, LOG, SINCE)
    assert not done(cursor)
    assert not done(cursor) and s.sent[-1] == 1  # nothing new: only the line at the cursor again
    files[LOG] += install(1)[:2]
    assert not done(cursor) and s.sent[-1] == 3
    files[LOG] += install(1)[2:]
    assert done(cursor) and s.sent[-1] == 3
    assert [len(p.statements) for p in s.pipelines] == [2, 1, 1, 1]
    # the window holds each line once, in order
    assert [e.message for e in cursor.read() if e.time and e.time >= SINCE] == [
        f"Synchronizing component server {SCP01}...",
        "Starting bootstrap operations...",
        'Starting service SMS_SERVER_BOOTSTRAP_SCP01 with command-line arguments "PS1 C:\\SMS /install x"',
        "Bootstrap operation successful.",
    ]


def test_lines_written_between_the_count_and_the_tail_are_neither_lost_nor_doubled():
    files = {LOG: history(50)}
    s = FileSession(files)
    new = install(1)

    def append(index: int) -> None:
        if index == 0 and s.between is not None:
            files[LOG] += new[:2]  # after the count, before the tail
            s.between = None

    s.between = append
    cursor = LogCursor(s, LOG, SINCE)
    assert not done(cursor)
    files[LOG] += new[2:]
    assert done(cursor)
    messages = [e.message for e in cursor.read() if e.time and e.time >= SINCE]
    assert len(messages) == 4 and len(set(messages)) == 4


def test_a_rotated_log_is_read_on_from_the_cursor_then_the_new_log():
    files = {LOG: history(100) + install(1)[:2]}
    s = FileSession(files)
    cursor = LogCursor(s, LOG, SINCE)
    assert not done(cursor)
    files[OLD] = files[LOG] + install(1)[2:3]  # one more line, then the log rotates
    files[LOG] = install(1)[3:]  # the marker is the new log's first line
    assert done(cursor)
    assert [len(p.statements) for p in s.pipelines][1:] == [1, 2]
    assert s.sent[-1] == 2 + 1  # the rotated file from the cursor on, and the new log
    files[LOG].append(line("Deinstalled service SMS_SERVER_BOOTSTRAP_SCP01.", 1.01))
    assert done(cursor) and s.sent[-1] == 2  # the new log from its cursor


def test_a_log_that_shrinks_or_is_replaced_is_read_again_from_since():
    files = {LOG: history(100) + install(1)[:2]}
    s = FileSession(files)
    cursor = LogCursor(s, LOG, SINCE)
    assert not done(cursor)
    files[LOG] = history(3) + install(2)  # not a rotation: the .lo_ does not hold the cursor's line
    assert done(cursor)
    files[LOG] = history(3)
    assert not done(cursor)  # the window is what the log holds from since on


def test_a_log_newer_than_since_also_reads_the_rotated_file_back_to_since():
    files = {OLD: history(200) + install(1)[:3], LOG: install(1)[3:]}
    s = FileSession(files)
    cursor = LogCursor(s, LOG, SINCE)
    assert done(cursor)
    assert [
        [dict(c.parameters)["LiteralPath"] for c in (st.commands[0] for st in p.statements)] for p in s.pipelines
    ] == [[LOG, LOG], [OLD]]


def test_a_long_window_widens_the_first_look_back():
    files = {LOG: history(500) + install(1) * 5}  # 20 lines after since: more than the first tail
    s = FileSession(files)
    cursor = LogCursor(s, LOG, SINCE)
    assert done(cursor)
    assert s.sent == [1 + logcursor.FIRST_TAIL, logcursor.FIRST_TAIL * logcursor.WIDEN]


def test_a_record_split_between_two_polls_is_one_entry():
    files = {LOG: history(20)}
    s = FileSession(files)
    cursor = LogCursor(s, LOG, SINCE)
    cursor.read()
    files[LOG].append("<![LOG[Bootstrap operation")
    cursor.read()
    files[LOG].append(
        ' successful.]LOG]!><time="09:01:00.000+000" date="07-15-2023" component="SMS_SITE_COMPONENT_MANAGER" '
        'context="" type="1" thread="1" file="">'
    )
    entries = [e for e in cursor.read() if e.time and e.time >= SINCE]
    assert [(e.message, e.format) for e in entries] == [("Bootstrap operation\n successful.", "cmtrace")]


def test_lines_of_equal_text_are_read_twice_rather_than_missed():
    same = line(f"Synchronizing component server {SCP01}...", 1)
    files = {LOG: history(20) + [same, same]}
    s = FileSession(files)
    cursor = LogCursor(s, LOG, SINCE)
    cursor.read()
    files[LOG] += [same, line("Bootstrap operation successful.", 2)]
    entries = cursor.read()
    assert sum(1 for e in entries if e.raw == same) == 3 and bootstrap_done(entries, SCP01, SINCE)


def test_a_log_emptied_after_the_first_count_is_read_again():
    files = {LOG: history(50)}
    s = FileSession(files)

    def empty(index: int) -> None:
        if index == 0 and s.between is not None:
            files[LOG] = []
            s.between = None

    s.between = empty
    cursor = LogCursor(s, LOG, SINCE)
    assert not done(cursor)
    files[LOG] = install(1)
    assert done(cursor)
