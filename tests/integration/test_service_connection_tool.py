"""configmgr.scp.service_connection_tool through ansible-playbook against the lab (scenario offline-servicing): each
phase in check mode, for real, verified in the lab and run again; each documented failure with a message naming the
option or host and what to do, and nothing started or written on bad input. The files move between the hosts as a USB
stick would move them (the test copies them in the lab; moving files is not this module's job)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from tests.integration.runner import assert_no_secret, output, run_playbook
from tests.lab.lab import Lab
from tests.lab.world.sct import CD_LATEST_TOOL, MANIFEST

pytestmark = pytest.mark.timeout(300)

CM01, INET, DMZ = "cm01.contoso.com", "inet01.contoso.com", "dmz01.contoso.com"
TOOL = f"C:\\Program Files\\Microsoft Configuration Manager\\{CD_LATEST_TOOL}"
COPY = "C:\\Tools\\Service Connection Tool"
OPTIONS = (
    "phase",
    "usage_data_dest",
    "dest",
    "usage_data_src",
    "update_pack_dest",
    "update_pack_src",
    "download",
    "proxy_server_uri",
    "proxy_username",
    "tool_path",
    "connect_host",
    "log_lines",
)
PLAY = (
    """---
- name: One phase of the service connection tool
  hosts: top_tier_site_server
  gather_facts: false
  tasks:
    - name: Run the phase
      configmgr.scp.service_connection_tool:
"""
    + "".join(f'        {o}: "{{{{ sct.{o} | default(omit) }}}}"\n' for o in OPTIONS)
    + """      register: result
      ignore_errors: true

    - name: Keep the result for the test
      ansible.builtin.copy:
        content: "{{ result | to_nice_json }}"
        dest: "{{ result_file }}"
        mode: "0600"
      delegate_to: localhost
      check_mode: false
"""
)
START = "Start-Process"


def run(lab: Lab, tmp_path: Path, check: bool = False, **sct: Any) -> dict[str, Any]:
    """One playbook run of the module with `sct` as its options; its registered result."""
    result_file = tmp_path / "result.json"
    result_file.unlink(missing_ok=True)
    extra = tmp_path / "vars.json"
    extra.write_text(json.dumps({"sct": sct, "result_file": str(result_file)}), encoding="utf-8")
    proc = run_playbook(lab, tmp_path, PLAY, "-e", f"@{extra}", *(["--check"] if check else []))
    assert proc.returncode == 0 and result_file.exists(), output(proc)
    assert_no_secret(lab, proc)
    result = json.loads(result_file.read_text(encoding="utf-8"))
    print(result.get("msg"))  # shown with a failed assertion
    return result


def files(lab: Lab, host: str) -> Any:
    return lab.world.hosts[host].files


def carry(lab: Lab, source: str, src_host: str, dest: str, dest_host: str) -> None:
    """The USB stick: a file, or a folder's files, from one host to another."""
    with lab.world.lock:
        a, b = files(lab, src_host), files(lab, dest_host)
        if a.is_dir(source):
            for info in a.list(source):
                b.write(f"{dest}\\{info.name}", a.read(info.full_name))
        else:
            b.write(dest, a.read(source))


def starts(lab: Lab, since: int = 0) -> list[str]:
    return [c["host"] for c in lab.calls()[since:] if c["cmdlet"] == START]


def changes(lab: Lab, since: int = 0) -> list[str]:
    """Cmdlets that start a program or change a host, since call `since`."""
    return [
        c["cmdlet"]
        for c in lab.calls()[since:]
        if c["cmdlet"] in (START, "Set-ItemProperty", "New-Item", "Remove-Item", "Remove-ItemProperty")
    ]


def failed(result: dict[str, Any], *words: str) -> str:
    assert result.get("failed") is True, result
    message = str(result["msg"])
    for word in words:
        assert word in message, message
    return message


def test_prepare_export_connect_import_check_apply_verify_rerun(tmp_path: Path) -> None:
    with Lab("offline-servicing", scale=120) as lab:
        cab = "C:\\USB Drive\\UsageData.cab"
        with lab.world.lock:
            files(lab, CM01).mkdir("C:\\USB Drive")

        checked = run(lab, tmp_path, check=True, phase="prepare", usage_data_dest=cab)
        assert checked["changed"] is True and "would run" in checked["msg"], checked
        assert checked["host"] == CM01 and checked["tool_path"] == TOOL
        assert checked["command_line"] == f'-prepare -usagedatadest "{cab}"'
        assert changes(lab) == [] and not files(lab, CM01).exists(cab), "check mode starts nothing"

        prepared = run(lab, tmp_path, phase="prepare", usage_data_dest=cab)
        assert prepared["changed"] is True and prepared["exit_code"] == 0, prepared
        text = files(lab, CM01).read(cab)
        assert prepared["files"] == [
            {
                "path": cab,
                "name": "UsageData.cab",
                "size": len(text.encode()),
                "sha256": hashlib.sha256(text.encode()).hexdigest(),
            }
        ]
        assert any("Usage data exported" in line["message"] for line in prepared["log"]), prepared["log"]
        assert starts(lab) == [CM01]
        # every value a parameter: the exe's path, and the command line as the one element of -ArgumentList
        call = next(c for c in lab.calls() if c["cmdlet"] == START)["parameters"]
        assert call["FilePath"] == f"{TOOL}\\ServiceConnectionTool.exe", call
        assert call["ArgumentList"] == [f'-prepare -usagedatadest "{cab}"'], call

        lab.advance(60)
        again = run(lab, tmp_path, phase="prepare", usage_data_dest=cab)
        assert again["changed"] is True and again["exit_code"] == 0, "new usage data on every run"
        assert len([e for e in again["log"] if "started" in e["message"]]) == 1, "the log holds this run only"

        exported = run(lab, tmp_path, phase="export", dest="C:\\USB Drive\\usage.csv")
        assert exported["exit_code"] == 0 and exported["files"][0]["name"] == "usage.csv", exported

        # connect on the internet host, from its copy of the tool (a path with spaces)
        carry(lab, cab, CM01, "C:\\USB\\UsageData.cab", INET)
        connect = dict(
            phase="connect",
            connect_host=INET,
            tool_path=COPY,
            usage_data_src="C:\\USB",
            update_pack_dest="C:\\USB\\Update Packs",
        )
        since = len(lab.calls())
        checked = run(lab, tmp_path, check=True, **connect)
        assert checked["changed"] is True and checked["host"] == INET and changes(lab, since) == [], checked
        connected = run(lab, tmp_path, **connect)
        assert connected["exit_code"] == 0 and starts(lab, since) == [INET], connected
        names = sorted(f["name"] for f in connected["files"])
        assert MANIFEST in names and len(names) == 2, names
        harmless = [e for e in connected["log"] if e["known_harmless"]]
        assert len(harmless) == 1 and connected["log_errors"] == [], connected["log"]

        # import on the SCP: check, apply, verify in the site, re-run (nothing), check again (nothing)
        carry(lab, "C:\\USB\\Update Packs", INET, "C:\\Packs", CM01)
        before = len(lab.world.hierarchy.updates)
        since = len(lab.calls())
        checked = run(lab, tmp_path, check=True, phase="import", update_pack_src="C:\\Packs")
        assert checked["changed"] is True and changes(lab, since) == [], checked
        imported = run(lab, tmp_path, phase="import", update_pack_src="C:\\Packs")
        assert imported["changed"] is True and imported["exit_code"] == 0, imported
        assert [u.name for u in lab.world.hierarchy.updates[before:]] == ["Configuration Manager 2509"]
        # the downloader picks the import up and drops state message 4 (the documented sign; lab timing inferred)
        lab.advance(30)
        with lab.world.lock:
            scp_host = lab.world.require_host(CM01)
            log = scp_host.files.read(f"{lab.world.log_dir(scp_host)}\\dmpdownloader.log")
        assert "Successfully Dropped the state message 4" in log, log[-2000:]
        since = len(lab.calls())
        again = run(lab, tmp_path, phase="import", update_pack_src="C:\\Packs")
        assert again["changed"] is False and "imported already" in again["msg"], again
        checked = run(lab, tmp_path, check=True, phase="import", update_pack_src="C:\\Packs")
        assert checked["changed"] is False, checked
        assert changes(lab, since) == [] and len(lab.world.hierarchy.updates) == before + 1


def test_connect_failures_no_internet_refusing_proxy_and_through_the_proxy(tmp_path: Path) -> None:
    with Lab("offline-servicing", scale=120) as lab:
        with lab.world.lock:
            files(lab, CM01).mkdir("C:\\USB")
        assert run(lab, tmp_path, phase="prepare", usage_data_dest="C:\\USB\\UsageData.cab")["exit_code"] == 0
        carry(lab, "C:\\USB\\UsageData.cab", CM01, "C:\\USB\\UsageData.cab", DMZ)
        connect = dict(
            phase="connect",
            connect_host=DMZ,
            tool_path=COPY,
            usage_data_src="C:\\USB",
            update_pack_dest="C:\\USB\\Packs",
        )

        offline = run(lab, tmp_path, **connect)
        failed(offline, DMZ, "exited with code", "unable to connect to the remote server", "proxy_server_uri")
        assert offline["exit_code"] != 0 and offline["changed"] is False

        refused = run(lab, tmp_path, proxy_server_uri="refuse.contoso.com:8080", **connect)
        failed(refused, "refused the request", "a proxy must allow those endpoints")

        through = run(
            lab, tmp_path, proxy_server_uri="proxy.contoso.com:8080", proxy_username="CONTOSO\\svc-proxy", **connect
        )
        assert through["exit_code"] == 0 and through.get("failed") is not True, through
        assert "-proxyusername CONTOSO\\svc-proxy" in through["command_line"]
        assert any("proxy password" in w for w in through.get("warnings", [])), through


def test_checks_refuse_before_anything_runs(tmp_path: Path) -> None:
    with Lab("offline-servicing", scale=120) as lab:
        prepare = dict(phase="prepare", usage_data_dest="C:\\USB\\UsageData.cab")

        with lab.world.lock:
            files(lab, INET).remove(f"{COPY}\\ServiceConnectionTool.Core.dll")
        missing = run(
            lab,
            tmp_path,
            phase="connect",
            connect_host=INET,
            tool_path=COPY,
            usage_data_src="C:\\USB",
            update_pack_dest="C:\\USB\\Packs",
        )
        failed(missing, "ServiceConnectionTool.Core.dll", INET, "copy the whole folder")
        assert "C:\\USB does not exist" in missing["msg"], "every failed check is reported"

        no_path = run(
            lab,
            tmp_path,
            phase="connect",
            connect_host=INET,
            usage_data_src="C:\\USB",
            update_pack_dest="C:\\USB\\Packs",
        )
        failed(no_path, "tool_path", "is required", INET, CM01)

        no_folder = run(lab, tmp_path, **prepare)
        failed(no_folder, "C:\\USB does not exist on cm01.contoso.com", "create the folder first")

        with lab.world.lock:
            files(lab, CM01).mkdir("C:\\USB")
            lab.world.hierarchy.site("PS1").version = "5.00.9135.1000"  # the site was updated, the tool was not
        mismatch = run(lab, tmp_path, **prepare)
        failed(mismatch, "version 5.00.9132.1000", "5.00.9135.1000", "CD.Latest")

        with lab.world.lock:
            lab.world.hierarchy.site("PS1").version = "5.00.9132.1000"
            lab.world.hosts[CM01].admins.difference_update({"contoso\\cmadmin", "contoso\\domain admins"})
        not_admin = run(lab, tmp_path, **prepare)
        failed(not_admin, "CONTOSO\\cmadmin is not a local Administrator of cm01.contoso.com")

        with lab.world.lock:
            lab.world.hosts[CM01].admins.add("contoso\\cmadmin")
            lab.world.hierarchy.scp().prop("OfflineMode").value = 0
        online = run(lab, tmp_path, **prepare)
        failed(online, "online mode", "mode=offline")

        bad = run(lab, tmp_path, phase="import", update_pack_src="C:\\Packs", dest="C:\\x.csv")
        failed(bad, "invalid input", "dest", "does not apply to phase=import")
        wildcard = run(lab, tmp_path, phase="prepare", usage_data_dest="C:\\USB\\*.cab")
        failed(wildcard, "invalid input", "usage_data_dest", "absolute Windows path")
        assert starts(lab) == [] and changes(lab) == [], "no check failure starts the tool or writes anything"
        assert not files(lab, CM01).exists("C:\\USB\\UsageData.cab")


def test_import_of_packs_from_another_hierarchy_fails_and_changes_nothing(tmp_path: Path) -> None:
    with Lab("offline-servicing", scale=120) as lab:
        with lab.world.lock:
            files(lab, CM01).write(f"C:\\Foreign\\{MANIFEST}", "LAB-ENC\r\nhierarchies=0000-other\r\nupdates=\r\n")
        before = len(lab.world.hierarchy.updates)
        foreign = run(lab, tmp_path, phase="import", update_pack_src="C:\\Foreign")
        failed(
            foreign,
            "-import on cm01.contoso.com exited with code",
            "not downloaded for this hierarchy",
            "this hierarchy's usage data",
        )
        assert foreign["changed"] is False and len(lab.world.hierarchy.updates) == before
        assert "Set-ItemProperty" not in changes(lab), "a failed import is not recorded"
        again = run(lab, tmp_path, phase="import", update_pack_src="C:\\Foreign")
        assert again.get("failed") is True and starts(lab) == [CM01, CM01], "a failed import is tried again"


def test_a_file_missing_from_cd_latest_fails_the_run_with_the_tools_own_words(tmp_path: Path) -> None:
    # the site's own folder has no reference to compare with: the tool finds the gap itself and says so in its log
    with Lab("offline-servicing", scale=120) as lab:
        with lab.world.lock:
            files(lab, CM01).mkdir("C:\\USB")
            files(lab, CM01).remove(f"{TOOL}\\ServiceConnectionTool.Core.dll")
        broken = run(lab, tmp_path, phase="prepare", usage_data_dest="C:\\USB\\UsageData.cab", log_lines=0)
        failed(broken, "-prepare on cm01.contoso.com exited with code", "ServiceConnectionTool.Core.dll")
        assert broken["log"] == [] and broken["log_errors"] and broken["changed"] is False, broken
        assert starts(lab) == [CM01] and not files(lab, CM01).exists("C:\\USB\\UsageData.cab")
        negative = run(lab, tmp_path, phase="prepare", usage_data_dest="C:\\USB\\UsageData.cab", log_lines=-1)
        failed(negative, "invalid input", "log_lines")
