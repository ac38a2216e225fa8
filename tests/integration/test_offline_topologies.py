"""configmgr.scp.service_connection_tool and playbooks/offline_update.yml in the real topologies (docs/topologies.md),
each a variant of an existing lab scenario with the SCP put offline, CD.Latest on the top-tier site server and an
internet-connected connect host: a remote SMS Provider, a CAS with a remote provider (SCP at the CAS on scp01), an HA
pair (SCP on the remote site system, and one left on the passive site server), an SCP stranded at a child primary.
Each test asserts which host started the tool, the files written and the updates imported, from the lab's records."""

from __future__ import annotations

import copy
import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.integration.runner import assert_no_secret, assert_ok, output, playbook, recap, run_playbook
from tests.integration.test_service_connection_tool import PLAY, carry, changes, failed, files, starts
from tests.lab.lab import Lab, load_scenario
from tests.lab.world.sct import CD_LATEST_TOOL, MANIFEST

pytestmark = pytest.mark.timeout(300)

CM01, CM02, PROV01, SCP01, SCP02 = (f"{h}.contoso.com" for h in ("cm01", "cm02", "prov01", "scp01", "scp02"))
CAS01, CASPROV01, INET = (f"{h}.contoso.com" for h in ("cas01", "casprov01", "inet01"))
COPY = "C:\\Tools\\Service Connection Tool"
WORK = "C:\\ConfigMgrOffline"
CD_LATEST = f"C:\\Program Files\\Microsoft Configuration Manager\\{CD_LATEST_TOOL}"
SCALE = 240
NEW_UPDATE = "Configuration Manager 2509"


def offline(scenario: str, scp: str, site: str, **tool: Any) -> dict[str, Any]:
    """`scenario` with the SCP offline on `scp` at `site` (replacing any SCP), CD.Latest on the top-tier site server,
    inet01 reaching the internet with a copy of the tool, and the SCP's work folder made by the admin."""
    data = copy.deepcopy(load_scenario(scenario))
    data["hosts"].append({"fqdn": INET, "admins": ["CONTOSO\\cmadmin"], "network": {"direct": ["*"]}})
    roles = [r for r in data.get("roles") or [] if r["role"] != "SMS Dmp Connector"]
    data["roles"] = roles + [
        {"role": "SMS Dmp Connector", "server": scp, "site": site, "mode": "offline", "installed": True}
    ]
    data["service_connection_tool"] = {"cd_latest": True, "copies": {INET: COPY, **tool}}
    return data


def run(lab: Lab, tmp_path: Path, check: bool = False, edit: Any = None, **sct: Any) -> dict[str, Any]:
    """One playbook run of the module (the play of test_service_connection_tool), the inventory changed by `edit`."""
    result_file = tmp_path / "result.json"
    result_file.unlink(missing_ok=True)
    extra = tmp_path / "vars.json"
    extra.write_text(json.dumps({"sct": sct, "result_file": str(result_file)}), encoding="utf-8")
    proc = run_playbook(lab, tmp_path, PLAY, "-e", f"@{extra}", *(["--check"] if check else []), edit=edit)
    assert proc.returncode == 0 and result_file.exists(), output(proc)
    assert_no_secret(lab, proc)
    result: dict[str, Any] = json.loads(result_file.read_text(encoding="utf-8"))
    print(result.get("msg"))  # shown with a failed assertion
    return result


def work_folder(lab: Lab, host: str) -> None:
    with lab.world.lock:
        files(lab, host).mkdir(WORK)


def updates(lab: Lab) -> list[str]:
    with lab.world.lock:
        return [u.name for u in lab.world.hierarchy.updates]


def top_tier_group(host: str) -> Any:
    """An inventory edit: the plays' group top_tier_site_server holds `host` (the SMS Provider, say)."""

    def edit(data: dict[str, Any]) -> None:
        data["all"]["children"]["top_tier_site_server"] = {"hosts": {host: {}}}

    return edit


def tool_cycle(lab: Lab, tmp_path: Path, scp: str, tool_path: str | None = None, **kwargs: Any) -> None:
    """check -> prepare -> (carry) -> connect -> (carry) -> import -> the same import again, with the module alone;
    prepare and import must start on `scp`, connect on inet01, and nothing else start."""
    where = {"tool_path": tool_path} if tool_path else {}
    cab, packs = f"{WORK}\\UsageData.cab", f"{WORK}\\UpdatePacks"
    before = updates(lab)
    checked = run(lab, tmp_path, check=True, phase="prepare", usage_data_dest=cab, **where, **kwargs)
    assert checked["changed"] is True and checked["host"] == scp and "would run" in checked["msg"], checked
    assert starts(lab) == [] and changes(lab) == [], "check mode starts nothing"

    prepared = run(lab, tmp_path, phase="prepare", usage_data_dest=cab, **where, **kwargs)
    assert prepared.get("failed") is not True and prepared["host"] == scp, prepared
    assert prepared["tool_path"] == (tool_path or CD_LATEST), prepared
    assert starts(lab) == [scp] and files(lab, scp).exists(cab)
    assert [f["path"] for f in prepared["files"]] == [cab], prepared

    carry(lab, cab, scp, "C:\\USB\\UsageData.cab", INET)
    connected = run(
        lab,
        tmp_path,
        phase="connect",
        connect_host=INET,
        tool_path=COPY,
        usage_data_src="C:\\USB",
        update_pack_dest="C:\\USB\\Packs",
        **kwargs,
    )
    assert connected.get("failed") is not True and connected["host"] == INET, connected
    assert starts(lab) == [scp, INET] and files(lab, INET).exists(f"C:\\USB\\Packs\\{MANIFEST}")

    carry(lab, "C:\\USB\\Packs", INET, packs, scp)
    imported = run(lab, tmp_path, phase="import", update_pack_src=packs, **where, **kwargs)
    assert imported.get("failed") is not True and imported["changed"] is True and imported["host"] == scp, imported
    assert starts(lab) == [scp, INET, scp]
    assert updates(lab) == before + [NEW_UPDATE], "the update is listed at the site"

    since = len(lab.calls())
    again = run(lab, tmp_path, phase="import", update_pack_src=packs, **where, **kwargs)
    assert again["changed"] is False and "imported already" in again["msg"], again
    assert changes(lab, since) == [] and updates(lab) == before + [NEW_UPDATE], "a re-run changes nothing"


def cycle(lab: Lab, tmp_path: Path, *extra: str, **kwargs: Any) -> subprocess.CompletedProcess:
    values = {
        "offline_update_connect_host": INET,
        "offline_update_connect_tool_path": COPY,
        "offline_update_copy_tool": False,
        "offline_update_verify_delay": 1,
        "offline_update_verify_retries": 20,
    }
    for item in extra:
        values.update(json.loads(item))
    proc = run_playbook(lab, tmp_path, playbook("offline_update.yml"), "-e", json.dumps(values), **kwargs)
    assert_no_secret(lab, proc)
    return proc


# -- a. a remote SMS Provider ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("play_host", [CM01, PROV01])
def test_remote_provider_runs_the_tool_on_the_site_server_from_its_cd_latest(tmp_path: Path, play_host: str) -> None:
    # the SCP on the site server cm01; the provider prov01 holds no CD.Latest: the tool is looked for on cm01
    with Lab(offline("remote-provider", CM01, "PS1"), scale=SCALE) as lab:
        work_folder(lab, CM01)
        with lab.world.lock:
            assert not files(lab, PROV01).exists(f"{CD_LATEST}\\ServiceConnectionTool.exe")
        tool_cycle(lab, tmp_path, CM01, edit=top_tier_group(play_host))


def test_remote_provider_offline_update_playbook_and_rerun(tmp_path: Path) -> None:
    with Lab(offline("remote-provider", CM01, "PS1"), scale=SCALE) as lab:
        work_folder(lab, CM01)
        before = updates(lab)
        first = cycle(lab, tmp_path)
        assert_ok(first)
        assert starts(lab) == [CM01, INET, CM01], "prepare and import on the SCP (site server), connect on inet01"
        assert updates(lab) == before + [NEW_UPDATE]
        with lab.world.lock:
            assert files(lab, INET).exists(f"{WORK}\\UsageData\\UsageData-PS1-{CM01}.cab")
            assert files(lab, CM01).exists(f"{WORK}\\UpdatePacks\\{MANIFEST}")
        cm = {c["host"] for c in lab.calls() if str(c["cmdlet"]).lower().startswith("get-cm")}
        assert cm == {PROV01}, "the site is read on the SMS Provider, never through a second hop"
        since = len(lab.calls())
        again = cycle(lab, tmp_path)
        assert_ok(again)
        assert starts(lab, since) == [CM01, INET] and "The packs were imported already" in again.stdout, output(again)
        assert updates(lab) == before + [NEW_UPDATE]


# -- b. a CAS hierarchy with a remote provider, the SCP at the CAS on scp01 -----------------------------------------
def test_cas_with_remote_provider_scp_at_the_cas_on_a_site_system(tmp_path: Path) -> None:
    with Lab(offline("remote-provider-hierarchy", SCP01, "CAS"), scale=SCALE) as lab:
        before = updates(lab)
        with lab.world.lock:
            assert files(lab, CAS01).exists(f"{CD_LATEST}\\ServiceConnectionTool.exe"), "CD.Latest of the CAS"
        proc = cycle(lab, tmp_path, json.dumps({"offline_update_copy_tool": True}))
        assert_ok(proc)
        assert sorted(recap(proc)) == [CAS01], output(proc)
        assert starts(lab) == [SCP01, INET, SCP01], "prepare and import on scp01, connect on inet01"
        with lab.world.lock:
            assert files(lab, SCP01).exists(f"{WORK}\\ServiceConnectionTool\\ServiceConnectionTool.exe")
            assert files(lab, INET).exists(f"{WORK}\\UsageData\\UsageData-CAS-{SCP01}.cab")
        reads = [c for c in lab.calls() if c["cmdlet"] == "Get-ChildItem" and "cd.latest" in str(c).lower()]
        assert reads and {c["host"] for c in reads} == {CAS01}, "CD.Latest is read on the CAS site server"
        cm = {c["host"] for c in lab.calls() if str(c["cmdlet"]).lower().startswith("get-cm")}
        assert cm == {CASPROV01}, "through the CAS's SMS Provider, not the child's"
        assert updates(lab) == before + [NEW_UPDATE]


def test_cas_with_remote_provider_module_phases_on_scp01(tmp_path: Path) -> None:
    with Lab(offline("remote-provider-hierarchy", SCP01, "CAS", **{SCP01: COPY}), scale=SCALE) as lab:
        work_folder(lab, SCP01)
        missing = run(lab, tmp_path, phase="prepare", usage_data_dest=f"{WORK}\\UsageData.cab")
        failed(missing, "tool_path", "is required", SCP01, CAS01)
        assert starts(lab) == []
        tool_cycle(lab, tmp_path, SCP01, COPY, edit=top_tier_group(CASPROV01))


# -- c. an HA pair ----------------------------------------------------------------------------------------------------
def test_ha_pair_scp_on_the_remote_site_system(tmp_path: Path) -> None:
    with Lab(offline("ha-pair", SCP01, "PS1"), scale=SCALE) as lab:
        before = updates(lab)
        proc = cycle(lab, tmp_path, json.dumps({"offline_update_copy_tool": True}))
        assert_ok(proc)
        assert starts(lab) == [SCP01, INET, SCP01], "the tool runs where the SCP is, never on cm02"
        with lab.world.lock:
            assert not files(lab, CM02).exists(f"{WORK}\\ServiceConnectionTool\\ServiceConnectionTool.exe")
        assert updates(lab) == before + [NEW_UPDATE]


def test_ha_pair_scp_left_on_the_passive_site_server_warns_and_runs_there(tmp_path: Path) -> None:
    # Microsoft: "Don't host the service connection point role on either site server configured for high
    # availability"; an SCP already there is left as it is (docs/topologies.md): the tool still runs where the SCP is,
    # with a warning naming the rule
    with Lab(offline("ha-pair", CM02, "PS1", **{CM02: COPY}), scale=SCALE) as lab:
        work_folder(lab, CM02)
        prepared = run(lab, tmp_path, phase="prepare", usage_data_dest=f"{WORK}\\UsageData.cab", tool_path=COPY)
        assert prepared.get("failed") is not True and prepared["host"] == CM02, prepared
        assert starts(lab) == [CM02] and files(lab, CM02).exists(f"{WORK}\\UsageData.cab")
        warned = " ".join(prepared.get("warnings") or [])
        assert "high availability" in warned and CM02 in warned and "another site system" in warned, prepared


# -- d. an SCP stranded at a child primary ----------------------------------------------------------------------------
def test_stranded_scp_at_a_child_primary_is_refused_before_anything_runs(tmp_path: Path) -> None:
    with Lab(offline("stranded-child", SCP02, "PR1", **{SCP02: COPY}), scale=SCALE) as lab:
        work_folder(lab, SCP02)
        for phase in (
            {"phase": "prepare", "usage_data_dest": f"{WORK}\\UsageData.cab", "tool_path": COPY},
            {"phase": "import", "update_pack_src": f"{WORK}\\UpdatePacks", "tool_path": COPY},
        ):
            refused = run(lab, tmp_path, **phase)
            failed(refused, SCP02, "PR1", "top-tier site CAS", "allow_move")
        since_calls = lab.calls()
        assert starts(lab) == [] and changes(lab) == [], "nothing started or written"
        assert SCP02 not in {c["host"] for c in since_calls}, "the SCP's server is not even contacted"
        proc = cycle(lab, tmp_path, json.dumps({"offline_update_copy_tool": True}))
        assert proc.returncode != 0 and recap(proc)[CAS01]["failed"] == 1, output(proc)
        said = " ".join(proc.stdout.split())
        assert "PR1" in said and "allow_move" in said, output(proc)
        assert starts(lab) == [] and not files(lab, SCP02).exists(f"{WORK}\\ServiceConnectionTool")
