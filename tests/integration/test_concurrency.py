"""Two jobs on one hierarchy at once (two AWX jobs, or a job and an admin): the lease on the SMS Provider host lets one
change at a time; the other fails naming the lease's owner, or plans again after it and sees the new state. Never
two SCPs, never none, never a mode nobody asked for."""
from __future__ import annotations

import threading
import time
from pathlib import Path
from subprocess import CompletedProcess

import pytest

from tests.integration.runner import recap, run_playbook
from tests.lab.lab import Lab

pytestmark = pytest.mark.timeout(300)

PLAY = """---
- name: {name}
  hosts: cas01.contoso.com
  gather_facts: false
  tasks:
    - name: Change the service connection point
      configmgr.scp.service_connection_point:
{args}
"""
MOVE = PLAY.format(name="Move to cas01", args="        server: cas01.contoso.com\n        allow_move: true\n")
MODE = PLAY.format(name="Offline on scp01", args="        server: scp01.contoso.com\n        mode: offline\n")


@pytest.mark.parametrize("offset", [0.0, 1.0, 3.0])
def test_a_move_and_a_mode_change_at_once(offset: float, tmp_path: Path) -> None:
    with Lab("cas-two-primaries", scale=120) as lab:
        results: dict[str, CompletedProcess] = {}

        def job(name: str, body: str, delay: float) -> None:
            time.sleep(delay)
            folder = tmp_path / name
            folder.mkdir()
            results[name] = run_playbook(lab, folder, body)
        threads = [threading.Thread(target=job, args=("move", MOVE, 0.0)),
                   threading.Thread(target=job, args=("mode", MODE, offset))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=280)
        scps = [r for r in lab.world.hierarchy.roles if r.role_name == "SMS Dmp Connector"]
        assert len(scps) == 1, "the hierarchy must end with exactly one SCP"
        scp = lab.state()["scp"]
        failed = {name: any(h["failed"] for h in recap(proc).values()) for name, proc in results.items()}
        for name, proc in results.items():
            if failed[name]:
                assert ("holds the lease" in proc.stdout or "already installed on" in proc.stdout
                        or "allow_move" in proc.stdout), proc.stdout[-3000:]
        if not failed["move"]:
            assert scp["configured"]["server"] == "cas01.contoso.com"
        # the mode is Offline only if the mode job succeeded; Online otherwise (nobody else asked for a change)
        assert scp["configured"]["mode"] == ("Offline" if not failed["mode"] else "Online")
        assert scp["installed_on"] == [scp["configured"]["server"]]
