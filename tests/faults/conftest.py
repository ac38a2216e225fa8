"""The fault matrix uses the functional tests' lab fixtures (and their guards), and writes one JSON line per case to
tests/output/fault_matrix.jsonl (truncated once per session)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.functional.conftest import make_lab, no_add_script

__all__ = ["make_lab", "no_add_script", "matrix_file"]  # the functional tests' fixtures, re-exported

OUTPUT = Path(__file__).resolve().parents[1] / "output" / "fault_matrix.jsonl"


@pytest.fixture(scope="session")
def matrix_file() -> Iterator[Path]:
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    OUTPUT.write_text("")
    yield OUTPUT
