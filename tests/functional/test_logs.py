"""Log location and parsing against the lab: SMS-trace ($$<) and CMTrace (<![LOG[) formats, rotation, markers."""

from __future__ import annotations

from datetime import datetime

from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.logs import filter_entries
from tests.lab.lab import load_scenario

SCP01 = "scp01.contoso.com"


def test_scp_log_in_sms_trace_format_and_install_markers(make_lab):
    kit = make_lab("standalone-primary")
    prov = kit.provider()
    since = kit.lab.world.clock.now()
    prov.add_scp(SCP01, "Online")
    host = kit.scp_host(SCP01)
    host.wait_installed(timeout=600)
    path = host.log_path()
    assert path and path.lower().endswith("dmpdownloader.log")
    entries = host.read_log(tail=200)
    assert entries and {e.format for e in entries} == {"simple"}
    assert all(e.time is not None and e.time.tzinfo is not None for e in entries)
    assert all(e.source == "dmpdownloader.log" for e in entries)
    site_log = prov.read_site_log("sitecomp.log", tail=500)
    assert site_log and site_log[0].format in ("simple", "cmtrace")
    assert prov.install_finished(SCP01, since, site_log)
    assert prov.install_finished(SCP01, since)
    assert not prov.install_finished(SCP01, datetime(2099, 1, 1).astimezone(), site_log)


def test_scp_log_in_cmtrace_format_filtered(make_lab):
    data = load_scenario("standalone-with-scp")
    data = dict(data, logs={"formats": {"dmpdownloader.log": "cmtrace"}})
    kit = make_lab(data)
    host = kit.scp_host("cm01.contoso.com")
    entries = host.read_log(tail=100)
    assert entries and {e.format for e in entries} == {"cmtrace"}
    assert all(e.component for e in entries)
    last = max(e.time for e in entries)
    assert filter_entries(entries, since=last) and all(e.time >= last for e in filter_entries(entries, since=last))


def test_rotated_log_is_read_too(make_lab):
    data = dict(load_scenario("standalone-with-scp"), logs={"max_size": 400})
    kit = make_lab(data)
    host = kit.scp_host("cm01.contoso.com")
    host.restart_thread(timeout=60)
    kit.lab.advance(3600)  # sync cycles and the restart write well over 400 characters
    entries = host.read_log(tail=500)
    sources = {e.source for e in entries}
    assert "dmpdownloader.lo_" in sources and "dmpdownloader.log" in sources


def test_failed_bootstrap_in_sms_trace_format_is_found_by_severity_error(make_lab):
    """sitecomp.log is in SMS trace format (no type field): "Bootstrap operation failed." counts as an error."""
    kit = make_lab("standalone-primary")
    kit.lab.add_fault("install_fail", host=SCP01, nth=1)
    prov = kit.provider()
    prov.add_scp(SCP01, "Online")
    kit.lab.advance(600)  # Site Component Manager's cycle tries the install and fails
    entries = prov.read_site_log("sitecomp.log", tail=500)
    failed = [e for e in entries if e.message == "Bootstrap operation failed."]
    assert failed and failed[-1].format == "simple" and failed[-1].severity_source == "text"
    errors = filter_entries(entries, severity="error")
    assert "Bootstrap operation failed." in [e.message for e in errors]
    assert all(e.severity_source == "text" for e in errors)
