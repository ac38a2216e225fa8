"""configmgr.scp.service_connection_tool cut off mid-phase (scenario offline-servicing): the answer of the pipeline that
started the tool lost, the tool killed part way with the connection dropped, the import's record lost. The first run
fails saying the outcome is unknown (never changed=false once the tool may have run), a re-run finishes the phase and
a third run changes nothing where the phase is idempotent (import); prepare, export and connect make new data on every
run (the module's docs): there "nothing new" means the same files again, complete."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.integration.test_service_connection_tool import COPY, carry, failed, files, run, starts
from tests.lab.lab import Lab
from tests.lab.world.sct import MANIFEST

pytestmark = pytest.mark.timeout(300)

CM01, INET = "cm01.contoso.com", "inet01.contoso.com"
CAB, CSV = "C:\\USB\\UsageData.cab", "C:\\USB\\usage.csv"
UNKNOWN = "may have run"
CONNECT = dict(
    phase="connect", connect_host=INET, tool_path=COPY, usage_data_src="C:\\USB", update_pack_dest="C:\\USB\\Packs"
)


def prepared(lab: Lab, tmp_path: Path) -> None:
    """Usage data made on the SCP and carried to the internet host."""
    with lab.world.lock:
        files(lab, CM01).mkdir("C:\\USB")
    assert run(lab, tmp_path, phase="prepare", usage_data_dest=CAB)["exit_code"] == 0
    carry(lab, CAB, CM01, CAB, INET)


def packs(lab: Lab, tmp_path: Path, download: str = "default") -> None:
    """The packs downloaded for that usage data, carried back to C:\\Packs on the SCP."""
    prepared(lab, tmp_path)
    assert run(lab, tmp_path, download=download, **CONNECT)["exit_code"] == 0
    carry(lab, "C:\\USB\\Packs", INET, "C:\\Packs", CM01)


def unknown(result: dict[str, Any]) -> None:
    """A failed run that says the tool may have run, reported as changed."""
    failed(result, UNKNOWN)
    assert result["changed"] is True, result
    assert any("answer was lost" in w for w in result.get("warnings", [])), result


def update_guids(lab: Lab) -> list[str]:
    with lab.world.lock:
        return [u.package_guid.lower() for u in lab.world.hierarchy.updates]


def manifest_updates(lab: Lab) -> list[str]:
    text = files(lab, CM01).read(f"C:\\Packs\\{MANIFEST}")
    return [g.lower() for g in text.split("updates=", 1)[1].split()[0].split(",") if g]


PHASES = {
    "prepare": (CM01, dict(phase="prepare", usage_data_dest=CAB), CAB),
    "export": (CM01, dict(phase="export", dest=CSV), CSV),
    "connect": (INET, CONNECT, f"C:\\USB\\Packs\\{MANIFEST}"),
}


@pytest.mark.parametrize("phase", sorted(PHASES))
def test_a_lost_answer_of_a_phase_that_makes_new_data(tmp_path: Path, phase: str) -> None:
    host, options, output = PHASES[phase]
    with Lab("offline-servicing", scale=120) as lab:
        prepared(lab, tmp_path)
        with lab.world.lock:
            files(lab, host).remove(output) if files(lab, host).exists(output) else None
        since = len(lab.calls())
        lab.add_fault("drop_after", host=host, cmdlet="Start-Process")
        unknown(run(lab, tmp_path, **options))
        assert starts(lab, since) == [host] and files(lab, host).exists(output), "the tool ran; its answer was lost"

        again = run(lab, tmp_path, **options)
        assert again["exit_code"] == 0 and again["changed"] is True and again.get("failed") is not True, again
        assert output in [f["path"] for f in again["files"]], again["files"]
        third = run(lab, tmp_path, **options)
        assert third["exit_code"] == 0 and third["changed"] is True, "new data on every run (the module's docs)"
        # nothing new: the same files, each complete
        assert [f["name"] for f in third["files"]] == [f["name"] for f in again["files"]]
        if phase == "connect":
            assert [f["sha256"] for f in third["files"]] == [f["sha256"] for f in again["files"]]
        assert starts(lab, since) == [host] * 3


def test_a_lost_answer_of_the_import_then_a_rerun_imports_once(tmp_path: Path) -> None:
    with Lab("offline-servicing", scale=120) as lab:
        packs(lab, tmp_path)
        before = update_guids(lab)
        since = len(lab.calls())
        lab.add_fault("drop_after", host=CM01, cmdlet="Start-Process")
        unknown(run(lab, tmp_path, phase="import", update_pack_src="C:\\Packs"))
        imported = update_guids(lab)
        assert len(imported) == len(before) + 1, "the import happened; the module could not record it"

        again = run(lab, tmp_path, phase="import", update_pack_src="C:\\Packs")  # no record: the tool runs again
        assert again["exit_code"] == 0 and again.get("failed") is not True, again
        assert update_guids(lab) == imported, "imported once"
        third = run(lab, tmp_path, phase="import", update_pack_src="C:\\Packs")
        assert third["changed"] is False and "imported already" in third["msg"], third
        assert starts(lab, since) == [CM01, CM01]


@pytest.mark.parametrize("phase", ["prepare", "connect"])
def test_the_tool_killed_and_the_host_dropped_leave_partial_files_a_rerun_completes(tmp_path: Path, phase: str) -> None:
    host, options, output = PHASES[phase]
    with Lab("offline-servicing", scale=120) as lab:
        prepared(lab, tmp_path)
        with lab.world.lock:
            files(lab, host).remove(output) if files(lab, host).exists(output) else None
        lab.add_fault("kill_program", host=host, cmdlet="ServiceConnectionTool")
        lab.add_fault("drop_after", host=host, cmdlet="Start-Process")
        unknown(run(lab, tmp_path, **options))
        with lab.world.lock:
            if phase == "prepare":
                assert "created=" not in files(lab, host).read(output), "half a cab"
            else:
                assert not files(lab, host).exists(output) and files(lab, host).list("C:\\USB\\Packs"), "no manifest"

        again = run(lab, tmp_path, **options)
        assert again["exit_code"] == 0 and again.get("failed") is not True, again
        with lab.world.lock:
            assert files(lab, host).exists(output)
            if phase == "prepare":
                assert "created=" in files(lab, host).read(output)


def test_a_killed_import_with_its_answer_lost_is_finished_by_a_rerun_once(tmp_path: Path) -> None:
    with Lab("offline-servicing", scale=120) as lab:
        packs(lab, tmp_path, download="all")
        before = update_guids(lab)
        wanted = [g for g in manifest_updates(lab) if g not in before]
        assert len(wanted) >= 2, wanted
        lab.add_fault("kill_program", host=CM01, cmdlet="ServiceConnectionTool")
        lab.add_fault("drop_after", host=CM01, cmdlet="Start-Process")
        unknown(run(lab, tmp_path, phase="import", update_pack_src="C:\\Packs"))
        assert update_guids(lab) == before + wanted[:1], "killed after the first update"

        again = run(lab, tmp_path, phase="import", update_pack_src="C:\\Packs")
        assert again["exit_code"] == 0 and again["changed"] is True and again.get("failed") is not True, again
        after = update_guids(lab)
        assert sorted(after) == sorted(before + wanted) and len(set(after)) == len(after), "each update once"
        third = run(lab, tmp_path, phase="import", update_pack_src="C:\\Packs")
        assert third["changed"] is False and "imported already" in third["msg"], third


def test_a_killed_import_whose_answer_came_is_changed_when_it_imported_some(tmp_path: Path) -> None:
    """The tool stopped part way and said so (exit code 1): the module reads the site's updates again and reports the
    one it did import as a change; a re-run imports the rest, once each."""
    with Lab("offline-servicing", scale=120) as lab:
        packs(lab, tmp_path, download="all")
        before = update_guids(lab)
        wanted = [g for g in manifest_updates(lab) if g not in before]
        lab.add_fault("kill_program", host=CM01, cmdlet="ServiceConnectionTool")
        first = run(lab, tmp_path, phase="import", update_pack_src="C:\\Packs")
        assert first.get("failed") is True and first["exit_code"] != 0, first
        assert first["changed"] is True, first  # one update was imported before the tool stopped
        assert update_guids(lab) == before + wanted[:1]
        again = run(lab, tmp_path, phase="import", update_pack_src="C:\\Packs")
        assert again["exit_code"] == 0 and again["changed"] is True, again
        after = update_guids(lab)
        assert sorted(after) == sorted(before + wanted) and len(set(after)) == len(after), "each update once"


@pytest.mark.parametrize("fault", ["drop_after", "fail_cmdlet"])
def test_the_import_ran_and_its_record_was_lost_or_refused(tmp_path: Path, fault: str) -> None:
    """drop_after: the record was written, its answer lost; fail_cmdlet: the record was not written. Either way the
    import happened: the first run is changed (and fails), the re-runs finish with the packs imported once."""
    with Lab("offline-servicing", scale=120) as lab:
        packs(lab, tmp_path)
        before = update_guids(lab)
        since = len(lab.calls())
        lab.add_fault(fault, host=CM01, cmdlet="Set-ItemProperty")
        first = run(lab, tmp_path, phase="import", update_pack_src="C:\\Packs")
        if fault == "drop_after":
            unknown(first)
        else:
            failed(first, "record the imported update packs")
            assert first["changed"] is True, "the import ran before the record failed"
        imported = update_guids(lab)
        assert len(imported) == len(before) + 1

        again = run(lab, tmp_path, phase="import", update_pack_src="C:\\Packs")
        assert again.get("failed") is not True, again
        # the record written (lost answer): nothing to do; not written: the tool runs again and adds nothing
        assert again["changed"] is (fault == "fail_cmdlet"), again
        third = run(lab, tmp_path, phase="import", update_pack_src="C:\\Packs")
        assert third["changed"] is False and "imported already" in third["msg"], third
        assert update_guids(lab) == imported
        assert starts(lab, since) == [CM01] * (2 if fault == "fail_cmdlet" else 1)
