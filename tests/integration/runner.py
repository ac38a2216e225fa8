"""Run ansible-playbook against an in-process lab: inventory, environment, call-log filters, result checks."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from tests.collection_path import collections_path
from tests.lab.lab import Lab

ROOT = Path(__file__).resolve().parents[2]
TARGETS = ROOT / "tests" / "integration" / "targets"
PLAYBOOKS = ROOT / "playbooks"
PLAYBOOK_BIN = Path(sys.executable).parent / "ansible-playbook"
# Cmdlets that change a site or a host. Set-Location / New-PSDrive of the ConfigMgr bootstrap only change the runspace.
MUTATING = re.compile(
    r"^((Add|Set|Remove|New|Import|Invoke)-CM|(Set|New|Remove)-Item|Restart-Service|Start-Service|Stop-Service)", re.I
)
RECAP = re.compile(r"^(\S+)\s+: ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", re.M)


def top_tier_server(lab: Lab) -> str:
    sites = lab.state()["hierarchy"]["sites"].values()
    top = [s for s in sites if s["type"] == 4] or [
        s for s in sites if s["type"] == 2 and not s.get("reporting_site_code")
    ]
    return top[0]["server"].lower()


def write_inventory(lab: Lab, path: Path, edit: Callable[[dict[str, Any]], None] | None = None) -> Path:
    """The lab's inventory, with the top_tier_site_server group added when the lab does not write it yet;
    `edit` changes it in place first (a dead port, a host without credentials)."""
    data = lab.inventory()
    if edit is not None:
        edit(data)
    children = data["all"].setdefault("children", {})
    children.setdefault("top_tier_site_server", {"hosts": {top_tier_server(lab): {}}})
    path.write_text("---\n" + yaml.safe_dump(data, default_flow_style=False, sort_keys=False), encoding="utf-8")
    return path


def run_playbook(
    lab: Lab, tmp_path: Path, body: str, *args: str, edit: Callable[[dict[str, Any]], None] | None = None
) -> subprocess.CompletedProcess:
    """Write the inventory (changed by `edit`) and the playbook `body` to tmp_path and run it with
    `-e lab_control_url=...` plus `args`."""
    inventory = write_inventory(lab, tmp_path / "inventory.yml", edit)
    playbook = tmp_path / "play.yml"
    playbook.write_text(body, encoding="utf-8")
    env = dict(
        os.environ,
        ANSIBLE_COLLECTIONS_PATH=str(collections_path()),
        ANSIBLE_ROLES_PATH=str(TARGETS),
        ANSIBLE_NOCOLOR="1",
        ANSIBLE_FORCE_COLOR="0",
        ANSIBLE_RETRY_FILES_ENABLED="0",
        ANSIBLE_LOCAL_TEMP=str(tmp_path / "tmp"),
        ANSIBLE_HOME=str(tmp_path / "home"),
    )
    cmd = [str(PLAYBOOK_BIN), "-i", str(inventory), str(playbook), "-e", f"lab_control_url={lab.control_url}", *args]
    return subprocess.run(cmd, env=env, cwd=str(tmp_path), capture_output=True, text=True, timeout=600, check=False)


def playbook(name: str) -> str:
    return (PLAYBOOKS / name).read_text(encoding="utf-8")


def mutating(calls: list[dict[str, Any]]) -> list[str]:
    return [c["cmdlet"] for c in calls if MUTATING.match(str(c.get("cmdlet", "")))]


def recap(proc: subprocess.CompletedProcess) -> dict[str, dict[str, int]]:
    """PLAY RECAP per host: ok, changed, unreachable, failed."""
    return {
        m.group(1): dict(zip(("ok", "changed", "unreachable", "failed"), map(int, m.groups()[1:]), strict=True))
        for m in RECAP.finditer(proc.stdout)
    }


def output(proc: subprocess.CompletedProcess) -> str:
    return proc.stdout[-6000:] + proc.stderr[-3000:]


def assert_ok(proc: subprocess.CompletedProcess, changed: int | None = None) -> None:
    """A clean recap (no failed, no unreachable host); with `changed`, that many changed tasks per host."""
    assert proc.returncode == 0, output(proc)
    hosts = recap(proc)
    assert hosts, output(proc)
    assert all(h["failed"] == 0 and h["unreachable"] == 0 for h in hosts.values()), output(proc)
    if changed is not None:
        assert all(h["changed"] == changed for h in hosts.values()), output(proc)


def assert_no_secret(lab: Lab, *procs: subprocess.CompletedProcess) -> None:
    secret = lab.admin_account()[1]
    for proc in procs:
        assert secret not in proc.stdout and secret not in proc.stderr, "the password appears in the output"
