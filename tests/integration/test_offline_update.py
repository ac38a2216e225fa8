"""playbooks/offline_update.yml (configmgr.scp.offline_update) against the lab (scenario offline-servicing): the whole
cycle prepare -> move -> connect -> move -> import -> verify with the files moved by file_transfer through the
controller and through a share (CredSSP, a second hop), a re-run (the import changes nothing and is verified again),
the refusals and failures (the SCP online: nothing runs; the connect host without internet: the tool's reason,
nothing imported; then a re-run through the proxy), and two hierarchies' usage data in one connect run."""

from __future__ import annotations

import copy
import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.integration.runner import assert_no_secret, assert_ok, output, playbook, recap, run_playbook
from tests.lab.bench_targets import merged_inventory, renamed
from tests.lab.lab import Lab, load_scenario
from tests.lab.world.sct import MANIFEST

pytestmark = pytest.mark.timeout(300)

CM01, INET, DMZ, SCP01 = "cm01.contoso.com", "inet01.contoso.com", "dmz01.contoso.com", "scp01.contoso.com"
COPY = "C:\\Tools\\Service Connection Tool"
WORK = "C:\\ConfigMgrOffline"
DROPPED = "Successfully Dropped the state message 4"
START = "Start-Process"
SCALE = 240  # the downloader's 5 simulated seconds after an import pass in about 20 ms


def args(connect_host: str = INET, **extra: Any) -> list[str]:
    values = {
        "offline_update_connect_host": connect_host,
        "offline_update_copy_tool": False,
        "offline_update_connect_tool_path": COPY,
        "offline_update_verify_delay": 1,
        "offline_update_verify_retries": 20,
        **extra,
    }
    return ["-e", json.dumps(values)]


def cycle(lab: Lab, tmp_path: Path, *extra: str, **kwargs: Any) -> subprocess.CompletedProcess:
    proc = run_playbook(lab, tmp_path, playbook("offline_update.yml"), *extra, **kwargs)
    assert_no_secret(lab, proc)
    return proc


def prepare_lab(lab: Lab, host: str = CM01) -> None:
    with lab.world.lock:
        lab.world.host(host).files.mkdir(WORK)  # the SCP's work folder, as the admin creates it once


def starts(lab: Lab, since: int = 0) -> list[str]:
    return [c["host"] for c in lab.calls()[since:] if c["cmdlet"] == START]


def updates(lab: Lab) -> list[str]:
    with lab.world.lock:
        return [u.name for u in lab.world.hierarchy.updates]


def dropped(lab: Lab, host: str = CM01) -> int:
    with lab.world.lock:
        scp = lab.world.require_host(host)
        return scp.files.read(f"{lab.world.log_dir(scp)}\\dmpdownloader.log").count(DROPPED)


def test_full_cycle_through_the_controller_then_a_rerun(tmp_path: Path) -> None:
    with Lab("offline-servicing", scale=SCALE) as lab:
        prepare_lab(lab)
        before = updates(lab)
        first = cycle(lab, tmp_path, *args())
        assert_ok(first)
        assert starts(lab) == [CM01, INET, CM01], "prepare and import on the SCP, connect on the internet host"
        assert updates(lab) == before + ["Configuration Manager 2509"]
        assert dropped(lab) == 1, "the downloader picked the import up"
        cab = f"UsageData-PS1-{CM01}.cab"
        with lab.world.lock:
            assert lab.world.host(INET).files.exists(f"{WORK}\\UsageData\\{cab}")
            assert lab.world.host(CM01).files.exists(f"{WORK}\\UpdatePacks\\{MANIFEST}")
        assert f"Site PS1, SCP {CM01}: usage data {cab} prepared and moved to {INET} (controller)" in first.stdout, (
            output(first)
        )
        assert "Imported Configuration Manager 2509; state message 4 dropped at" in first.stdout, output(first)

        since = len(lab.calls())
        again = cycle(lab, tmp_path, *args())
        assert_ok(again)
        assert starts(lab, since) == [CM01, INET], "new usage data and a new download; the import is not started"
        assert "The packs were imported already" in again.stdout, output(again)
        assert recap(again)[CM01]["changed"] == 3, "prepare, the new cab's move, connect; not the packs, not the import"
        assert updates(lab) == before + ["Configuration Manager 2509"] and dropped(lab) == 1


def test_full_cycle_through_a_share_with_credssp_copying_the_tool(tmp_path: Path) -> None:
    with Lab("offline-servicing", scale=SCALE, auth="credssp") as lab:
        prepare_lab(lab)
        with lab.world.lock:
            lab.world.host(CM01).files.share("servicing", "C:\\Shares\\Servicing")
        share = "\\\\cm01.contoso.com\\servicing\\offline"
        proc = cycle(
            lab,
            tmp_path,
            *args(
                offline_update_method="share",
                offline_update_share=share,
                offline_update_copy_tool=True,
                offline_update_connect_tool_path=f"{WORK}\\Tool",
            ),
        )
        assert_ok(proc)
        assert starts(lab) == [CM01, INET, CM01]
        assert updates(lab)[-1] == "Configuration Manager 2509" and dropped(lab) == 1
        with lab.world.lock:
            shared = lab.world.host(CM01).files
            assert shared.exists(f"C:\\Shares\\Servicing\\offline\\UsageData\\UsageData-PS1-{CM01}.cab")
            assert shared.exists(f"C:\\Shares\\Servicing\\offline\\UpdatePacks\\{MANIFEST}")
            assert lab.world.host(INET).files.exists("C:\\ConfigMgrOffline\\Tool\\ServiceConnectionTool.exe")
        assert any(logon["delegated"] for logon in lab.logons()), "the share is a second hop"


def test_refused_online_then_connect_without_internet_fails_then_a_rerun_through_the_proxy(tmp_path: Path) -> None:
    with Lab("offline-servicing", scale=SCALE) as lab:
        prepare_lab(lab)
        before = updates(lab)
        with lab.world.lock:
            lab.world.hierarchy.scp().prop("OfflineMode").value = 0
        online = cycle(lab, tmp_path, *args())
        assert online.returncode != 0 and recap(online)[CM01]["failed"] == 1, output(online)
        said = " ".join(online.stdout.split())
        assert "in Online mode: the service connection tool needs one in offline mode" in said, output(online)
        assert starts(lab) == [] and not [c for c in lab.calls() if c["cmdlet"] in ("New-Item", "Write-FileChunk")]

        with lab.world.lock:
            lab.world.hierarchy.scp().prop("OfflineMode").value = 1
        no_internet = cycle(lab, tmp_path, *args(DMZ))
        assert no_internet.returncode != 0, output(no_internet)
        assert "unable to connect to the remote server" in no_internet.stdout, output(no_internet)
        assert "TASK [Import the update packs" not in no_internet.stdout, "nothing is imported"
        assert starts(lab) == [CM01, DMZ] and updates(lab) == before

        proxied = cycle(lab, tmp_path, *args(DMZ, offline_update_proxy_server_uri="proxy.contoso.com:8080"))
        assert_ok(proxied)
        assert updates(lab) == before + ["Configuration Manager 2509"] and dropped(lab) == 1


def test_scp_on_another_server_gets_the_tool_from_cd_latest_first(tmp_path: Path) -> None:
    data = load_scenario("offline-servicing")
    data["hosts"].append({"fqdn": SCP01, "admins": ["CONTOSO\\cmadmin"], "network": {"direct": ["*.contoso.com"]}})
    data["site_systems"] = [{"fqdn": CM01, "site": "PS1"}, {"fqdn": SCP01, "site": "PS1"}]
    data["roles"] = [
        {"role": "SMS Dmp Connector", "server": SCP01, "site": "PS1", "mode": "offline", "installed": True}
    ]
    with Lab(data, scale=SCALE) as lab:
        before = updates(lab)
        # no work folder on scp01: the tool's folder copied there (from cm01's CD.Latest) creates it
        proc = cycle(lab, tmp_path, *args(offline_update_copy_tool=True))
        assert_ok(proc)
        assert starts(lab) == [SCP01, INET, SCP01], "prepare and import on the SCP's server, from the copy"
        with lab.world.lock:
            assert lab.world.host(SCP01).files.exists(f"{WORK}\\ServiceConnectionTool\\ServiceConnectionTool.exe")
        assert updates(lab) == before + ["Configuration Manager 2509"] and dropped(lab, SCP01) == 1


def hierarchy(tag: str) -> dict[str, Any]:
    """The scenario with its hosts in subdomain `tag` (renamed() renames values; the tool copies are keyed by host)."""
    data = renamed(copy.deepcopy(load_scenario("offline-servicing")), tag)
    tools = data["service_connection_tool"]
    tools["copies"] = {renamed(host, tag): folder for host, folder in tools["copies"].items()}
    return data


def test_two_hierarchies_in_one_connect_run(tmp_path: Path) -> None:
    labs = [Lab(hierarchy(tag), scale=SCALE).start() for tag in ("h1", "h2")]
    try:
        servers = [f"cm01.{tag}.contoso.com" for tag in ("h1", "h2")]
        for lab, server in zip(labs, servers, strict=True):
            prepare_lab(lab, server)
        merged = merged_inventory(labs)

        def edit(data: dict[str, Any]) -> None:
            data.clear()
            data.update(merged)

        connect = "inet01.h1.contoso.com"
        proc = cycle(
            labs[0],
            tmp_path,
            *args(connect),
            edit=edit,
        )
        assert_ok(proc)
        assert sorted(recap(proc)) == sorted(servers), output(proc)
        assert starts(labs[0]) == [servers[0], connect, servers[0]], "one connect run, on the first lab's host"
        assert starts(labs[1]) == [servers[1], servers[1]], "the second hierarchy: prepare and import only"
        with labs[0].world.lock:
            manifest = labs[0].world.host(connect).files.read(f"{WORK}\\UpdatePacks\\{MANIFEST}")
        hierarchies = next(line for line in manifest.splitlines() if line.startswith("hierarchies="))
        assert len(hierarchies.split("=", 1)[1].split(",")) == 2, manifest
        for lab, server in zip(labs, servers, strict=True):
            assert updates(lab)[-1] == "Configuration Manager 2509" and dropped(lab, server) == 1
            assert f"SCP {server}: usage data UsageData-PS1-{server}.cab" in proc.stdout
    finally:
        for lab in labs:
            lab.stop()
