"""``make bench`` figure: the controller's peak memory while configmgr.scp.file_transfer copies a large file through
it (method controller), against the same play copying a 1-byte file (the module, Ansible and pypsrp loaded, no data).

The peak is measured by a wrapper process around ansible-playbook: after it exits, the wrapper's
``getrusage(RUSAGE_CHILDREN).ru_maxrss`` is the largest resident set of ansible-playbook and of every worker it
waited for (the process that copies is one of those workers). The lab serves both hosts from the bench process, so
its copies of the file are not counted.
"""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path

from tests.lab.bench_play import OUR_PLAYBOOK, run_play, write_inventory
from tests.lab.lab import Lab

SCENARIO = "remote-provider"
SOURCE, DEST = "scp01.contoso.com", "cm01.contoso.com"
FILE_MIB = 300
CHUNK = 4 * 1024 * 1024  # the module's default chunk_size
PEAK_ABOVE_NOOP_MIB = 64  # target: 16 chunks of 4 MiB; a streaming copy holds one chunk in a few serialized forms
PEAK = "cmscp-bench-peak-rss-kib="
MIB = 1024 * 1024

WRAPPER = """#!{python}
import resource, subprocess, sys
rc = subprocess.call([{playbook!r}] + sys.argv[1:])
sys.stderr.write("{peak}%d\\n" % resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
sys.exit(rc)
"""

PLAY = """---
- name: Bench, file transfer
  hosts: {dest}
  gather_facts: false
  tasks:
    - name: Through the controller
      configmgr.scp.file_transfer:
        src_host: {src}
        src: '{path}'
        dest: '{path}'
        method: controller
"""


def _wrapper(work: Path) -> Path:
    path = work / "peak_rss.py"
    path.write_text(WRAPPER.format(python=sys.executable, playbook=str(OUR_PLAYBOOK), peak=PEAK), encoding="utf-8")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


def _peak_mib(stderr: str) -> float | None:
    found = [line.split("=", 1)[1] for line in stderr.splitlines() if line.startswith(PEAK)]
    return int(found[-1]) / 1024 if found else None  # ru_maxrss is in KiB on Linux


def copy_peak(lab: Lab, work: Path, name: str, size: int) -> tuple[float | None, float, str]:
    """(peak MiB of the ansible-playbook tree, seconds, why it does not count) of one copy of a `size`-byte file."""
    path = f"C:\\Bench\\{name}.bin"
    lab.world.hosts[SOURCE].files.write_bytes(path, os.urandom(size))
    digest = lab.world.hosts[SOURCE].files.sha256(path)
    inventory = write_inventory(work / name / "inventory.yml", lab.inventory())
    run = run_play(work / name, inventory, PLAY.format(dest=DEST, src=SOURCE, path=path), playbook_bin=_wrapper(work))
    problem = run.problem(changed=1)
    if not problem and lab.world.hosts[DEST].files.sha256(path) != digest:
        problem = "the copy's SHA-256 differs from the source's"
    peak = _peak_mib(run.stderr)
    lab.world.hosts[SOURCE].files.remove(path)
    if lab.world.hosts[DEST].files.exists(path):
        lab.world.hosts[DEST].files.remove(path)
    return (None if problem else peak), run.seconds, problem or ""


def measure(work: Path) -> tuple[float | None, str]:
    """(peak above the no-op copy in MiB, context text) for the table."""
    with Lab(SCENARIO) as lab:
        base, base_s, why = copy_peak(lab, work, "noop", 1)
        if base is None:
            return None, f"the 1-byte copy does not count: {why}"
        big, big_s, why = copy_peak(lab, work, "big", FILE_MIB * MIB)
        if big is None:
            return None, f"the {FILE_MIB} MiB copy does not count: {why}"
    rate = FILE_MIB / big_s if big_s else 0
    return big - base, (
        f"(peak {big:.0f} MiB vs {base:.0f} MiB for a 1-byte copy; {FILE_MIB} MiB in {big_s:.1f} s, {rate:.0f} MiB/s, "
        f"chunk {CHUNK // MIB} MiB)"
    )
