"""Run each integration target with real ansible-playbook against an in-process lab, then check the lab's call log.

Each target is a role under tests/integration/targets/<name>; the driver writes a one-play playbook that runs it
on the top-tier site server with `lab_control_url` as an extra variable.
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.timeout(300)
import yaml

from tests.lab.lab import Lab

ROOT = Path(__file__).resolve().parents[2]
TARGETS = ROOT / "tests" / "integration" / "targets"
PLAYBOOK_BIN = Path(sys.executable).parent / "ansible-playbook"
# Cmdlets that change a site or a host. Set-Location / New-PSDrive of the ConfigMgr bootstrap only change the runspace.
MUTATING = re.compile(r"^((Add|Set|Remove|New|Import|Invoke)-CM|(Set|New|Remove)-Item|Restart-Service|Start-Service|Stop-Service)",
                      re.I)

# target -> scenario it starts from
CASES = {
    "service_connection_point": "standalone-primary",
    "service_connection_point_info": "hierarchy",
    "component": "standalone-with-scp",
    "mode_restart": "standalone-with-scp",
    "usage_data": "standalone-primary",
    "site_system_server": "standalone-primary",
    "log_info": "standalone-with-scp",
}


def top_tier_server(lab: Lab) -> str:
    sites = lab.state()["hierarchy"]["sites"].values()
    top = [s for s in sites if s["type"] == 4] or [s for s in sites if s["type"] == 2 and not s.get("reporting_site_code")]
    return top[0]["server"].lower()


def write_inventory(lab: Lab, path: Path) -> Path:
    """The lab's inventory, with the top_tier_site_server group added when the lab does not write it yet."""
    data = lab.inventory()
    children = data["all"].setdefault("children", {})
    children.setdefault("top_tier_site_server", {"hosts": {top_tier_server(lab): {}}})
    path.write_text("---\n" + yaml.safe_dump(data, default_flow_style=False, sort_keys=False), encoding="utf-8")
    return path


def run_playbook(lab: Lab, tmp_path: Path, body: str, *args: str) -> subprocess.CompletedProcess:
    inventory = write_inventory(lab, tmp_path / "inventory.yml")
    playbook = tmp_path / "play.yml"
    playbook.write_text(body, encoding="utf-8")
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(ROOT / "build" / "pythonpath"), ANSIBLE_ROLES_PATH=str(TARGETS),
               ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0", ANSIBLE_RETRY_FILES_ENABLED="0",
               ANSIBLE_LOCAL_TEMP=str(tmp_path / "tmp"), ANSIBLE_HOME=str(tmp_path / "home"))
    cmd = [str(PLAYBOOK_BIN), "-i", str(inventory), str(playbook), "-e", "lab_control_url=%s" % lab.control_url, *args]
    return subprocess.run(cmd, env=env, cwd=str(tmp_path), capture_output=True, text=True, timeout=600, check=False)


def target_play(name: str) -> str:
    return ("---\n- name: Integration target %s\n  hosts: top_tier_site_server\n  gather_facts: false\n"
            "  roles:\n    - role: %s\n" % (name, name))


def mutating(calls: list[dict[str, Any]]) -> list[str]:
    return [c["cmdlet"] for c in calls if MUTATING.match(str(c.get("cmdlet", "")))]


def assert_ok(proc: subprocess.CompletedProcess) -> None:
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-3000:]
    assert "failed=0" in proc.stdout and "unreachable=0" in proc.stdout, proc.stdout[-6000:]


@pytest.mark.parametrize("target", sorted(CASES))
def test_target(target: str, tmp_path: Path) -> None:
    with Lab(CASES[target], scale=120) as lab:
        proc = run_playbook(lab, tmp_path, target_play(target))
        assert_ok(proc)
        secret = lab.admin_account()[1]
        assert secret not in proc.stdout and secret not in proc.stderr


@pytest.mark.parametrize("playbook", ["demo.yml"])
def test_check_mode_run_makes_no_changing_call(playbook: str, tmp_path: Path) -> None:
    with Lab("standalone-primary", scale=120) as lab:
        before = lab.state()["scp"]["configured"]
        body = (ROOT / "playbooks" / playbook).read_text(encoding="utf-8")
        proc = run_playbook(lab, tmp_path, body, "--check")
        assert_ok(proc)
        assert mutating(lab.calls()) == []
        assert lab.state()["scp"]["configured"] == before


def test_demo_playbook_installs_then_switches_offline(tmp_path: Path) -> None:
    with Lab("standalone-primary", scale=120) as lab:
        proc = run_playbook(lab, tmp_path, (ROOT / "playbooks" / "demo.yml").read_text(encoding="utf-8"))
        assert_ok(proc)
        scp = lab.state()["scp"]
        assert scp["configured"] == {"server": "scp01.contoso.com", "site_code": "PS1", "mode": "Offline"}
        assert scp["effective_mode"] == "Offline"
        assert "RUNNING HANDLER [configmgr.scp.scp : Restart SMS_DMP_DOWNLOADER]" in proc.stdout
        restarts = [c for c in lab.calls() if c["cmdlet"] == "Set-ItemProperty" and c["host"] == "scp01.contoso.com"]
        assert restarts, "the handler restarted the thread through its registry values"


def test_unreachable_host_is_reported_as_unreachable(tmp_path: Path) -> None:
    with Lab("standalone-primary") as lab:
        inventory = lab.inventory()
        inventory["all"]["hosts"]["cm01.contoso.com"]["ansible_port"] = 1     # nothing listens there
        body = ("---\n- name: Unreachable\n  hosts: cm01.contoso.com\n  gather_facts: false\n  tasks:\n"
                "    - name: Read\n      configmgr.scp.service_connection_point_info:\n        connection_timeout: 3\n")
        path = tmp_path / "inventory.yml"
        path.write_text(yaml.safe_dump(inventory), encoding="utf-8")
        playbook = tmp_path / "play.yml"
        playbook.write_text(body, encoding="utf-8")
        env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(ROOT / "build" / "pythonpath"), ANSIBLE_NOCOLOR="1",
                   ANSIBLE_LOCAL_TEMP=str(tmp_path / "tmp"), ANSIBLE_HOME=str(tmp_path / "home"))
        proc = subprocess.run([str(PLAYBOOK_BIN), "-i", str(path), str(playbook)], env=env, cwd=str(tmp_path),
                              capture_output=True, text=True, timeout=300, check=False)
        assert "unreachable=1" in proc.stdout, proc.stdout
        assert "failed=0" in proc.stdout
