"""configmgr.scp.file_transfer's library against the lab: a tree through the controller and through a share, a
re-run that copies nothing, an interrupted copy that resumes after its verified prefix, a corrupted chunk caught by
the hashes, and the second hop to a share refused without delegation."""

from __future__ import annotations

import hashlib
import random
from typing import Any

import pytest

from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.apply.file_transfer import (
    execute_controller,
    execute_share,
    plan_controller,
    plan_share,
)
from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.errors import ConfigMgrError
from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.files.remote import RemoteFiles

pytestmark = pytest.mark.timeout(120)

CM01, SCP01 = "cm01.contoso.com", "scp01.contoso.com"
CHUNK = 64 * 1024
TREE = {"pack.xml": 300, "sub\\a.cab": 5 * CHUNK + 17, "sub\\deep\\b.bin": 2 * CHUNK, "empty.txt": 0}


def _seed(kit: Any) -> dict[str, str]:
    files = kit.lab.world.host(SCP01).files
    rng = random.Random(11)
    sums = {}
    for rel, size in TREE.items():
        data = rng.randbytes(size)
        files.write_bytes(f"C:\\Out\\{rel}", data)
        sums[rel] = hashlib.sha256(data).hexdigest().upper()
    return sums


def _remotes(kit: Any, **overrides: Any) -> tuple[RemoteFiles, RemoteFiles]:
    return RemoteFiles(kit.session(SCP01, **overrides)), RemoteFiles(kit.session(CM01, **overrides))


def _assert_copied(kit: Any, sums: dict[str, str], root: str = "C:\\In") -> None:
    files = kit.lab.world.host(CM01).files
    for rel, digest in sums.items():
        assert files.sha256(f"{root}\\{rel}") == digest, rel
        assert not files.exists(f"{root}\\{rel}.cmscp-partial")


def test_a_tree_through_the_controller_then_nothing_to_copy(make_lab: Any) -> None:
    kit = make_lab("remote-provider")
    sums = _seed(kit)
    src, dest = _remotes(kit)
    plan = plan_controller(src, dest, "C:\\Out", "C:\\In")
    assert sorted(c.file.rel for c in plan.copies) == sorted(TREE) and not plan.skipped
    outcome = execute_controller(plan, src, dest, CHUNK)
    assert outcome.changed and outcome.bytes_copied == sum(TREE.values())
    _assert_copied(kit, sums)
    again = plan_controller(src, dest, "C:\\Out", "C:\\In")
    assert not again.copies and sorted(f.rel for f in again.skipped) == sorted(TREE)
    reads = [c for c in kit.lab.calls() if c["cmdlet"] == "Read-FileChunk"]
    assert reads and all(c["parameters"]["Length"] <= CHUNK for c in reads)


def test_an_interrupted_copy_resumes_after_its_verified_prefix(make_lab: Any) -> None:
    kit = make_lab("remote-provider")
    sums = _seed(kit)
    src, dest = _remotes(kit)
    kit.lab.add_fault("fail_cmdlet", host=CM01, cmdlet="Write-FileChunk", nth=4)  # a.cab's fourth chunk... or later
    plan = plan_controller(src, dest, "C:\\Out\\sub\\a.cab", "C:\\In\\a.cab")
    with pytest.raises(ConfigMgrError, match="Injected fault"):
        execute_controller(plan, src, dest, CHUNK)
    files = kit.lab.world.host(CM01).files
    assert files.size("C:\\In\\a.cab.cmscp-partial") == 3 * CHUNK
    resumed = plan_controller(src, dest, "C:\\Out\\sub\\a.cab", "C:\\In\\a.cab")
    assert resumed.copies[0].resume_from == 3 * CHUNK
    kit.lab.clear_log()
    outcome = execute_controller(resumed, src, dest, CHUNK)
    assert outcome.resumed == {"a.cab": 3 * CHUNK}
    assert files.sha256("C:\\In\\a.cab") == sums["sub\\a.cab"]
    offsets = [c["parameters"]["Offset"] for c in kit.lab.calls() if c["cmdlet"] == "Write-FileChunk"]
    assert offsets == [3 * CHUNK, 4 * CHUNK, 5 * CHUNK]


def test_a_corrupted_chunk_fails_naming_the_file_and_both_hosts(make_lab: Any) -> None:
    kit = make_lab("remote-provider")
    sums = _seed(kit)
    src, dest = _remotes(kit)
    kit.lab.add_fault("corrupt_chunk", host=CM01, nth=2)
    plan = plan_controller(src, dest, "C:\\Out\\sub\\a.cab", "C:\\In\\a.cab")
    with pytest.raises(ConfigMgrError) as caught:
        execute_controller(plan, src, dest, CHUNK)
    text = str(caught.value)
    assert "SHA-256 mismatch copying a.cab" in text and SCP01 in text and CM01 in text, text
    files = kit.lab.world.host(CM01).files
    assert not files.exists("C:\\In\\a.cab") and not files.exists("C:\\In\\a.cab.cmscp-partial")
    execute_controller(plan_controller(src, dest, "C:\\Out\\sub\\a.cab", "C:\\In\\a.cab"), src, dest, CHUNK)
    assert files.sha256("C:\\In\\a.cab") == sums["sub\\a.cab"]


def test_a_tree_through_a_share_with_delegation(make_lab: Any) -> None:
    kit = make_lab("remote-provider", auth="credssp")
    kit.lab.world.host("prov01.contoso.com").files.share("packs", "C:\\Shares\\Packs")
    sums = _seed(kit)
    src, dest = _remotes(kit)
    to_share, to_dest = plan_share(src, dest, "C:\\Out", "C:\\In", "\\\\prov01.contoso.com\\packs\\x")
    assert len(to_share.copies) == len(TREE) == len(to_dest.copies)
    outcome = execute_share(to_share, to_dest, src, dest, "\\\\prov01.contoso.com\\packs\\x")
    assert sorted(outcome.copied) == sorted(TREE)
    _assert_copied(kit, sums)
    shared = kit.lab.world.host("prov01.contoso.com").files
    assert shared.sha256("C:\\Shares\\Packs\\x\\sub\\a.cab") == sums["sub\\a.cab"]
    again_share, again_dest = plan_share(src, dest, "C:\\Out", "C:\\In", "\\\\prov01.contoso.com\\packs\\x")
    assert not again_share.copies and not again_dest.copies


def test_a_share_on_a_third_machine_without_delegation_says_what_to_change(make_lab: Any) -> None:
    kit = make_lab("remote-provider", auth="ntlm")
    kit.lab.world.host("prov01.contoso.com").files.share("packs", "C:\\Shares\\Packs")
    _seed(kit)
    src, dest = _remotes(kit)
    with pytest.raises(ConfigMgrError) as caught:
        plan_share(src, dest, "C:\\Out", "C:\\In", "\\\\prov01.contoso.com\\packs")
    text = str(caught.value)
    assert "second hop" in text and "auth=credssp" in text and "negotiate_delegate=true" in text, text
    assert not kit.lab.world.host("prov01.contoso.com").files.list("C:\\Shares\\Packs")
