from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.logs import filter_entries, parse_files, parse_log

CMTRACE = (
    '<![LOG[Successfully Dropped the state message 4]LOG]!><time="09:12:45.332+000" date="07-15-2023" '
    'component="SMS_DMP_DOWNLOADER" context="" type="1" thread="4116" file="">'
)
CMTRACE_ERR = (
    '<![LOG[Failed to download easy setup payload]LOG]!><time="09:13:00.000-120" date="07-15-2023" '
    'component="SMS_DMP_DOWNLOADER" context="" type="3" thread="4116" file="dmp.cpp:12">'
)
SIMPLE = "Sending status message (MessageID = 500). $$<SMS_HIERARCHY_MANAGER><07-15-2023 09:12:45.332+240><thread=4116 (0x1014)>"
SIMPLE_WARN = "WARNING: Failed to download with exception: trust~~  $$<SMS_DMP_DOWNLOADER><07-15-2023 10:00:00.000+000><thread=7 (0x7)>"


def test_cmtrace_line():
    (e,) = parse_log(CMTRACE)
    assert (e.format, e.component, e.thread, e.severity) == ("cmtrace", "SMS_DMP_DOWNLOADER", 4116, "info")
    assert e.time == datetime(2023, 7, 15, 9, 12, 45, 332000, tzinfo=timezone.utc)


def test_cmtrace_bias_and_type():
    (e,) = parse_log(CMTRACE_ERR)
    assert e.severity == "error" and e.time.utcoffset() == timedelta(hours=2)


def test_simple_line_bias_and_text_severity():
    a, b = parse_log(SIMPLE + "\n" + SIMPLE_WARN)
    assert a.format == "simple" and a.component == "SMS_HIERARCHY_MANAGER" and a.thread == 4116
    assert a.time.utcoffset() == timedelta(hours=-4) and a.severity == "info"
    assert b.severity == "warning"  # no "error" in the text, but "WARNING"
    assert b.message.endswith("trust")


def test_warning_text():
    (e,) = parse_log("Warn: low disk $$<X><01-02-2024 00:00:00.000+000><thread=1 (0x1)>")
    assert e.severity == "warning"


def test_multiline_cmtrace_and_garbage():
    text = (
        '<![LOG[first line\nsecond line]LOG]!><time="01:00:00.000+000" date="01-02-2024" component="C" context="" '
        'type="2" thread="3" file="">\n\x00\x00garbage here\n' + CMTRACE
    )
    entries = parse_log(text, source="x.log")
    assert [e.format for e in entries] == ["cmtrace", "unparsed", "cmtrace"]
    assert entries[0].message == "first line\nsecond line" and entries[0].severity == "warning"
    assert entries[1].line_number == 3 and entries[1].source == "x.log"


def test_rotated_first_and_filters():
    old = "old entry $$<C><07-14-2023 09:00:00.000+000><thread=1 (0x1)>"
    entries = parse_files(
        [("dmpdownloader.log", CMTRACE + "\n" + CMTRACE_ERR + "\ncontinuation"), ("dmpdownloader.lo_", old)]
    )
    assert entries[0].source == "dmpdownloader.lo_"
    since = datetime(2023, 7, 15, 0, 0, tzinfo=timezone.utc)
    kept = filter_entries(entries, since=since)
    assert [e.message for e in kept] == [
        "Successfully Dropped the state message 4",
        "Failed to download easy setup payload",
        "continuation",
    ]
    assert [e.message for e in filter_entries(entries, severity="error")] == ["Failed to download easy setup payload"]
    assert len(filter_entries(entries, match="state message \\d", tail=5)) == 1
    assert len(filter_entries(entries, tail=2)) == 2
    assert filter_entries(entries, component="sms_dmp_downloader", since=datetime(2023, 7, 15))[0].thread == 4116
    with pytest.raises(ValueError):
        filter_entries(entries, severity="fatal")


def test_to_dict():
    (e,) = parse_log(CMTRACE)
    assert e.to_dict()["time"] == "2023-07-15T09:12:45.332000+00:00"


# -- severity of lines without a type field (SMS trace, unparsed) -------------------------------------------------
SITECOMP_FAILED = (
    "Bootstrap operation failed.  $$<SMS_SITE_COMPONENT_MANAGER><11-02-2026 09:05:07.123+000><thread=4116 (0x1014)>"
)


def test_sms_trace_failure_line_is_an_error_derived_from_text():
    (e,) = parse_log(SITECOMP_FAILED)
    assert e.format == "simple" and e.severity == "error" and e.severity_source == "text"
    assert [x.message for x in filter_entries(parse_log(SIMPLE + "\n" + SITECOMP_FAILED), severity="error")] == [
        "Bootstrap operation failed."
    ]


def test_cmtrace_rule_first_then_fail():
    # CMTrace's documented rule: "error" -> error, "warn" -> warning; a warning that mentions a failure stays a warning
    (warn,) = parse_log(SIMPLE_WARN)
    assert warn.severity == "warning" and warn.severity_source == "text"
    (err,) = parse_log("ERROR: Failed to call X $$<C><01-02-2024 00:00:00.000+000><thread=1 (0x1)>")
    assert err.severity == "error"
    (info,) = parse_log(
        "Successfully Dropped the state message 4~~  $$<C><01-02-2024 00:00:00.000+000><thread=1 (0x1)>"
    )
    assert info.severity == "info" and info.severity_source == "text"
    (garbage,) = parse_log("Install failed with 0x80004005")
    assert garbage.format == "unparsed" and garbage.severity == "error" and garbage.severity_source == "text"


def test_cmtrace_type_field_wins_over_text_and_is_marked():
    (e,) = parse_log(CMTRACE_ERR.replace('type="3"', 'type="1"'))  # "Failed ..." text, but type 1 says info
    assert e.severity == "info" and e.severity_source == "type"
    (e,) = parse_log(CMTRACE_ERR.replace('type="3"', 'type=""'))  # no type value: derived from the text
    assert e.severity == "error" and e.severity_source == "text"
    assert parse_log(CMTRACE)[0].to_dict()["severity_source"] == "type"
