"""The downloader's effective mode against the lab: dmpdownloader.log carries only documented lines (no line names
the mode), an online sync after the recorded thread start shows Online, after a switch to offline nothing decides."""

from __future__ import annotations

import re

from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp import effective_mode_evidence, host_time

CM01 = "cm01.contoso.com"
INVENTED = re.compile(r"(online|offline) mode", re.I)
# [OFFICIAL] the online sync as the updates-and-servicing support article shows it, in this order
DOCUMENTED_SYNC = [
    "Hasn't synced recently.",
    "Generating state message: 0 for package",
    "Successfully Dropped the state message 0",
    "Easysetup fwlink to download the manifest: https://go.microsoft.com/",
    "Get manifest.cab url",
    "Download manifest.cab",
    "Redirected to URL https://download.microsoft.com/",
    "Successfully Dropped the state message 3",
    "Manifest.cab was successfully moved to the connector outbox",
    "Successfully Dropped the state message 4",
]


def restart(host):
    host.restart_thread(timeout=60)
    return host_time(host.session)


def test_online_sync_lines_are_the_documented_ones_and_decide_online(make_lab):
    kit = make_lab("standalone-with-scp")
    host = kit.scp_host(CM01)
    started = restart(host)
    kit.lab.advance(90000)  # a day: the downloader syncs after the start
    entries = host.read_log(tail=500)
    assert not [e.message for e in entries if INVENTED.search(e.message)]
    after = [e.message for e in entries if e.time >= started]
    positions = [next(i for i, m in enumerate(after) if m.startswith(d)) for d in DOCUMENTED_SYNC]
    assert positions == sorted(positions), after
    assert all(not m.endswith("~") for m in after)  # the SMS trace end marker "~~" is not part of the message
    evidence = effective_mode_evidence(entries, started)
    assert evidence["mode"] == "Online" and evidence["thread_started_at"] == started.isoformat()


def test_after_the_switch_to_offline_and_a_restart_the_mode_is_unknown(make_lab):
    kit = make_lab("standalone-with-scp")
    prov, host = kit.provider(), kit.scp_host(CM01)
    first = restart(host)
    kit.lab.advance(90000)
    prov.set_scp_mode(CM01, "Offline")
    entries = host.read_log(tail=500)
    assert effective_mode_evidence(entries, first)["mode"] == "Online"  # not restarted yet: still online
    second = restart(host)
    kit.lab.advance(90000)
    assert kit.lab.state()["scp"]["effective_mode"] == "Offline"  # the lab's truth
    entries = host.read_log(tail=500)
    assert not [e.message for e in entries if e.time >= second and e.message.startswith("Hasn't synced")]
    evidence = effective_mode_evidence(entries, second)
    assert evidence["mode"] == "unknown" and evidence["online_sync_lines"] == []
    assert evidence["latest_online_sync_line"]["time"] < second.isoformat()
    assert not [e.message for e in entries if INVENTED.search(e.message)]
