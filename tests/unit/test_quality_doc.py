"""docs/quality.md is written by tools/write_quality.py from a full evidence run, and the writer reports what it is
given: a broken case, a leaked secret."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]


def writer() -> ModuleType:
    spec = importlib.util.spec_from_file_location("write_quality", ROOT / "tools" / "write_quality.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def case(**changes: object) -> dict:
    row = {
        "run": "full",
        "flow": "move",
        "host": "cm01.contoso.com",
        "cmdlet": "Remove-CMServiceConnectionPoint",
        "nth": 1,
        "fault": "drop_after",
        "call": "Remove-CMServiceConnectionPoint",
        "changing_call": True,
        "fired": True,
        "faulted": "failed",
        "changed": True,
        "message": "remove ...",
        "state_changed": True,
        "scp_roles_after_fault": 0,
        "rerun": "ok",
        "converged": True,
        "scp_roles_final": 1,
    }
    row.update(changes)
    return row


def test_a_lost_answer_reported_unchanged_is_shown_as_a_violation(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    module = writer()
    monkeypatch.setattr(module, "OUTPUT", tmp_path)
    text = module.render([case(), case(changed=False, fault="lost_receive")], [], [], [], {})
    assert "**2 cases**" in text and "**1 violating a rule**" in text
    assert "a lost answer to a change was reported unchanged" in text


def test_a_secret_in_an_artifact_is_found(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    module = writer()
    secret = sorted(module.lab_secrets())[0]
    (tmp_path / "job.log").write_text("clean\n", encoding="utf-8")
    monkeypatch.setattr(module, "OUTPUT", tmp_path)
    assert "**found 0 times**" in "\n".join(module.secrets_section(None))
    (tmp_path / "leak.log").write_text(f"password={secret}\n", encoding="utf-8")
    assert "**found 1 times**" in "\n".join(module.secrets_section(None))


def test_a_broken_concurrency_trial_and_a_value_changed_on_the_way_are_shown() -> None:
    module = writer()
    trial = {
        "pair": "two_moves",
        "offset": 0.0,
        "jobs": {"A": {"outcome": "ok"}, "B": {"outcome": "ok"}},
        "scp_roles": 0,
        "violations": ["no SCP at the end"],
    }
    text = "\n".join(module.concurrency_section([trial]))
    assert "| two_moves | 1 | 0.0–0.0 | 1 | 0 | 0 | 0 | 1 |" in text and "no SCP at the end" in text
    accepted = [{"module": "m", "option": "account_name", "value": "x", "arrived_unchanged": False}]
    assert "(1 not)" in "\n".join(module.input_section([], accepted))


def test_the_committed_quality_doc_is_a_full_run_with_no_violation() -> None:
    from tests.faults.flows import FLOWS

    text = (ROOT / "docs" / "quality.md").read_text(encoding="utf-8")
    assert text.startswith("<!-- written by tools/write_quality.py")
    assert "Run: **full**" in text
    assert "**0 violating a rule** (0 not converging)" in text
    for flow in FLOWS:
        assert re.search(rf"^\| {flow} \| ", text, re.M), f"flow {flow} missing from docs/quality.md"
    assert "Trials with a violation: none." in text
    assert re.search(r"\*\*(\d{3,}) inputs refused\*\* before any remote call \(0 not refused", text)
    assert re.search(r"\*\*\d+ accepted\*\* and arriving unchanged \(0 not\)", text)
    assert "**found 0 times**" in text
