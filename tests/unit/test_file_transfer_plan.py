"""plan_transfer and resume_offset: what is copied, skipped and resumed (a table); the lab's copies of the chunk
scripts equal the library's."""

from __future__ import annotations

import pytest

from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.decide.file_transfer import (
    Present,
    SourceFile,
    check_chunk_size,
    plan_transfer,
    resume_offset,
)
from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.files import scripts as library
from tests.lab.ps import native_scripts as lab

A = SourceFile("sub\\a.cab", "C:\\Out\\sub\\a.cab", 100, "AA")
B = SourceFile("b.xml", "C:\\Out\\b.xml", 5, "BB")


@pytest.mark.parametrize(
    ("present", "partials", "copied", "skipped", "resume"),
    [
        ({}, {}, ["b.xml", "sub\\a.cab"], [], {}),
        ({"d:\\in\\sub\\a.cab": Present(100, "aa")}, {}, ["b.xml"], ["sub\\a.cab"], {}),
        ({"d:\\in\\sub\\a.cab": Present(100, "CC")}, {}, ["b.xml", "sub\\a.cab"], [], {}),
        ({"d:\\in\\sub\\a.cab": Present(99, "AA")}, {}, ["b.xml", "sub\\a.cab"], [], {}),
        ({}, {"d:\\in\\sub\\a.cab": 40}, ["b.xml", "sub\\a.cab"], [], {"sub\\a.cab": 40}),
        ({}, {"d:\\in\\sub\\a.cab": 140}, ["b.xml", "sub\\a.cab"], [], {}),  # longer than the source: start over
    ],
)
def test_plan(
    present: dict[str, Present], partials: dict[str, int], copied: list[str], skipped: list[str], resume: dict
) -> None:
    plan = plan_transfer([A, B], "D:\\In", True, present, partials)
    assert [c.file.rel for c in plan.copies] == copied
    assert [f.rel for f in plan.skipped] == skipped
    assert {c.file.rel: c.resume_from for c in plan.copies if c.resume_from} == resume
    assert all(c.dest_path == f"D:\\In\\{c.file.rel}" for c in plan.copies)


def test_a_single_file_is_copied_to_dest_itself() -> None:
    plan = plan_transfer([SourceFile("a.cab", "C:\\a.cab", 1, "AA")], "D:\\x.cab", False, {})
    assert plan.copies[0].dest_path == "D:\\x.cab" and plan.copies[0].mutates


@pytest.mark.parametrize(
    ("resume_from", "source", "dest", "offset"),
    [(40, "H1", "h1", 40), (40, "H1", "H2", 0), (0, "H1", "H1", 0), (40, None, "H1", 0)],
)
def test_resume_offset(resume_from: int, source: str | None, dest: str | None, offset: int) -> None:
    assert resume_offset(resume_from, source, dest) == offset


@pytest.mark.parametrize("size", [1024, 32 * 1024 * 1024])
def test_chunk_size_bounds(size: int) -> None:
    with pytest.raises(ValueError, match="chunk_size"):
        check_chunk_size(size)


def test_the_lab_runs_the_library_texts() -> None:
    assert lab.READ_CHUNK == library.READ_CHUNK_TEXT
    assert lab.WRITE_CHUNK == library.WRITE_CHUNK_TEXT
    assert lab.HASH_PREFIX == library.HASH_PREFIX_TEXT
    assert lab.CHUNK_PAST_END == library.CHUNK_PAST_END
    assert {s.name for s in lab.NATIVE.values()} == {
        library.READ_CHUNK.name,
        library.WRITE_CHUNK.name,
        library.HASH_PREFIX.name,
    }
