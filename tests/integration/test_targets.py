"""Run each integration target with real ansible-playbook against an in-process lab, then check the lab's call log.

Each target is a role under tests/integration/targets/<name>; the driver writes a one-play playbook that runs it
on the top-tier site server with `lab_control_url` as an extra variable.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.integration.runner import ROOT, TARGETS, assert_no_secret, assert_ok, mutating, playbook, run_playbook
from tests.lab.lab import Lab

pytestmark = pytest.mark.timeout(300)

# target -> scenario it starts from
CASES = {
    "service_connection_point": "standalone-primary",
    "service_connection_point_info": "hierarchy",
    "component": "standalone-with-scp",
    "mode_restart": "standalone-with-scp",
    "usage_data": "standalone-primary",
    "site_system_server": "standalone-primary",
    "log_info": "standalone-with-scp",
    "preflight": "standalone-primary",
    "input_errors": "standalone-primary",
}


def no_changing_call(lab: Lab) -> None:
    assert lab.calls(), "the target read through the lab"
    assert mutating(lab.calls()) == []


def no_remote_call(lab: Lab) -> None:
    assert lab.calls() == []
    assert lab.requests() == [], "no WS-Management request reached the lab"


# target -> what the driver checks in the lab after the run, besides a clean recap and no password in the output
LAB_CHECKS: dict[str, Callable[[Lab], None]] = {
    "preflight": no_changing_call,
    "input_errors": no_remote_call,
}


# The input_errors target writes its report of the refused cases here; its ansible-playbook output is kept beside
# (tests/output/input_errors/, with the runs of test_input_table.py) for the artifact scans.
INPUT_ERRORS_REPORT = ROOT / "tests" / "output" / "input_errors.json"
INPUT_ERRORS_LOGS = ROOT / "tests" / "output" / "input_errors"
REPORT_KEYS = ["module", "option", "value", "expected", "refused", "changed", "msg"]


def target_args(target: str) -> list[str]:
    """Extra ansible-playbook arguments of a target."""
    if target == "input_errors":
        INPUT_ERRORS_REPORT.parent.mkdir(parents=True, exist_ok=True)
        INPUT_ERRORS_REPORT.unlink(missing_ok=True)  # a report left by an earlier run proves nothing
        return ["-e", f"input_errors_report={INPUT_ERRORS_REPORT}"]
    return []


def check_input_errors_report() -> None:
    """The report the run wrote: one row per case, each refused with a message and nothing changed."""
    rows = json.loads(INPUT_ERRORS_REPORT.read_text(encoding="utf-8"))
    tables = yaml.safe_load((TARGETS / "input_errors" / "vars" / "main.yml").read_text(encoding="utf-8"))
    singles = [group for group in tables["input_errors_groups"] if "result" in group]
    cases = (
        len(tables["bad_site_codes"])
        + len(tables["bad_servers"])
        + len(singles)
        + 2 * len(tables["bad_settings"])
        + len(tables["bad_role_vars"])
    )
    assert len(rows) == cases >= 100, (len(rows), cases)
    assert all(list(row) == REPORT_KEYS for row in rows), rows[0]
    bad = [row for row in rows if not row["refused"] or row["changed"] or not row["msg"]]
    assert bad == [], bad
    long = [row["value"] for row in rows if str(row["value"]).endswith(" characters)")]
    assert long and all(len(value.split("... (")[0]) <= 60 for value in long), long


def target_play(name: str) -> str:
    return (
        f"---\n- name: Integration target {name}\n  hosts: top_tier_site_server\n  gather_facts: false\n"
        f"  roles:\n    - role: {name}\n"
    )


@pytest.mark.parametrize("target", sorted(CASES))
def test_target(target: str, tmp_path: Path) -> None:
    with Lab(CASES[target], scale=120) as lab:
        proc = run_playbook(lab, tmp_path, target_play(target), *target_args(target))
        if target == "input_errors":
            INPUT_ERRORS_LOGS.mkdir(parents=True, exist_ok=True)
            (INPUT_ERRORS_LOGS / "target.log").write_text(proc.stdout, encoding="utf-8")
        assert_ok(proc)
        assert_no_secret(lab, proc)
        LAB_CHECKS.get(target, lambda _lab: None)(lab)
    if target == "input_errors":
        check_input_errors_report()


def test_check_mode_run_makes_no_changing_call(tmp_path: Path) -> None:
    with Lab("standalone-primary", scale=120) as lab:
        before = lab.state()["scp"]["configured"]
        proc = run_playbook(lab, tmp_path, playbook("demo.yml"), "--check")
        assert_ok(proc)
        assert mutating(lab.calls()) == []
        assert lab.state()["scp"]["configured"] == before


def test_demo_playbook_installs_then_switches_offline(tmp_path: Path) -> None:
    with Lab("standalone-primary", scale=120) as lab:
        proc = run_playbook(lab, tmp_path, playbook("demo.yml"))
        assert_ok(proc)
        scp = lab.state()["scp"]
        assert scp["configured"] == {"server": "scp01.contoso.com", "site_code": "PS1", "mode": "Offline"}
        assert scp["effective_mode"] == "Offline"
        assert "RUNNING HANDLER [configmgr.scp.scp : Restart SMS_DMP_DOWNLOADER]" in proc.stdout
        restarts = [c for c in lab.calls() if c["cmdlet"] == "Set-ItemProperty" and c["host"] == "scp01.contoso.com"]
        assert restarts, "the handler restarted the thread through its registry values"
        checks = [c for c in lab.calls() if c["cmdlet"] == "Invoke-CMSiteUpdateCheck"]
        assert len(checks) == 1, "the demo checked for updates once, while the SCP was online"
        assert "The SCP on scp01.contoso.com reached the service: the check for updates synced" in proc.stdout


def test_unreachable_host_is_reported_as_unreachable(tmp_path: Path) -> None:
    with Lab("standalone-primary") as lab:
        real_inventory = lab.inventory

        def refused() -> dict[str, Any]:
            data = real_inventory()
            data["all"]["hosts"]["cm01.contoso.com"]["ansible_port"] = 1  # nothing listens there
            return data

        lab.inventory = refused  # type: ignore[method-assign]
        body = (
            "---\n- name: Unreachable\n  hosts: cm01.contoso.com\n  gather_facts: false\n  tasks:\n"
            "    - name: Read\n      configmgr.scp.service_connection_point_info:\n        connection_timeout: 3\n"
        )
        proc = run_playbook(lab, tmp_path, body)
        assert "unreachable=1" in proc.stdout, proc.stdout
        assert "failed=0" in proc.stdout
