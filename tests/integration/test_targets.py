"""Run each integration target with real ansible-playbook against an in-process lab, then check the lab's call log.

Each target is a role under tests/integration/targets/<name>; the driver writes a one-play playbook that runs it
on the top-tier site server with `lab_control_url` as an extra variable.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import pytest
from tests.integration.runner import assert_no_secret, assert_ok, mutating, playbook, run_playbook
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


def target_play(name: str) -> str:
    return ("---\n- name: Integration target %s\n  hosts: top_tier_site_server\n  gather_facts: false\n"
            "  roles:\n    - role: %s\n" % (name, name))


@pytest.mark.parametrize("target", sorted(CASES))
def test_target(target: str, tmp_path: Path) -> None:
    with Lab(CASES[target], scale=120) as lab:
        proc = run_playbook(lab, tmp_path, target_play(target))
        assert_ok(proc)
        assert_no_secret(lab, proc)
        LAB_CHECKS.get(target, lambda _lab: None)(lab)


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


def test_unreachable_host_is_reported_as_unreachable(tmp_path: Path) -> None:
    with Lab("standalone-primary") as lab:
        real_inventory = lab.inventory

        def refused() -> dict[str, Any]:
            data = real_inventory()
            data["all"]["hosts"]["cm01.contoso.com"]["ansible_port"] = 1     # nothing listens there
            return data

        lab.inventory = refused  # type: ignore[method-assign]
        body = ("---\n- name: Unreachable\n  hosts: cm01.contoso.com\n  gather_facts: false\n  tasks:\n"
                "    - name: Read\n      configmgr.scp.service_connection_point_info:\n        connection_timeout: 3\n")
        proc = run_playbook(lab, tmp_path, body)
        assert "unreachable=1" in proc.stdout, proc.stdout
        assert "failed=0" in proc.stdout
