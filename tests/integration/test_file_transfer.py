"""ansible-playbook with configmgr.scp.file_transfer against the lab: a tree from scp01 to cm01 through the
controller (check mode, copy, a re-run that copies nothing, an interrupted copy that resumes), and through a share on
prov01 with CredSSP (a second hop each way), and the same share refused over NTLM saying what to change."""

from __future__ import annotations

import hashlib
import random
from pathlib import Path

import pytest

from tests.integration.runner import assert_no_secret, assert_ok, output, recap, run_playbook
from tests.lab.lab import Lab

pytestmark = pytest.mark.timeout(300)

CM01, PROV01, SCP01 = "cm01.contoso.com", "prov01.contoso.com", "scp01.contoso.com"
TREE = {"UsageData.cab": 700_000, "pack\\manifest.xml": 2_000, "pack\\payload\\update.bin": 1_500_000}
CHUNK = 262_144

CONTROLLER = """---
- name: The tree through the controller
  hosts: cm01.contoso.com
  gather_facts: false
  tasks:
    - name: Predict
      configmgr.scp.file_transfer: &copy
        src_host: scp01.contoso.com
        src: C:\\\\Servicing
        dest: C:\\\\Incoming
        chunk_size: 262144
      check_mode: true
      diff: true
      register: predicted

    - name: Interrupted (the lab fails the third chunk written)
      configmgr.scp.file_transfer: *copy
      register: interrupted
      ignore_errors: true

    - name: Resume
      configmgr.scp.file_transfer: *copy
      register: resumed

    - name: Again
      configmgr.scp.file_transfer: *copy
      register: again

    - name: What the tasks saw
      ansible.builtin.assert:
        that:
          - predicted is changed
          - predicted.copied | length == 3
          - "'+ UsageData.cab (700000 bytes)' in predicted.diff.prepared"
          - interrupted is failed
          - "'Injected fault' in interrupted.msg"
          - resumed is changed
          - resumed.resumed | length == 1
          - again is not changed
          - again.copied == []
          - again.unchanged | length == 3
          - again.files | map(attribute='sha256') | list | length == 3
"""

SHARE = """---
- name: The tree through a share on prov01
  hosts: cm01.contoso.com
  gather_facts: false
  tasks:
    - name: Copy
      configmgr.scp.file_transfer: &copy
        src_host: scp01.contoso.com
        src: C:\\\\Servicing
        dest: C:\\\\FromShare
        method: share
        share: \\\\\\\\prov01.contoso.com\\\\servicing\\\\run1
      register: copied

    - name: Again
      configmgr.scp.file_transfer: *copy
      register: again

    - name: What the tasks saw
      ansible.builtin.assert:
        that:
          - copied is changed
          - copied.staged | length == 3
          - again is not changed
"""


def _seed(lab: Lab) -> dict[str, str]:
    files = lab.world.host(SCP01).files
    rng = random.Random(11)
    sums = {}
    for rel, size in TREE.items():
        data = rng.randbytes(size)
        files.write_bytes(f"C:\\Servicing\\{rel}", data)
        sums[rel] = hashlib.sha256(data).hexdigest().upper()
    lab.world.host(PROV01).files.share("servicing", "C:\\Shares\\Servicing")
    return sums


def test_a_tree_through_the_controller_resumes_and_is_idempotent(tmp_path: Path) -> None:
    with Lab("remote-provider", scale=120) as lab:
        sums = _seed(lab)
        # update.bin is copied first (sorted: UsageData.cab, pack\manifest.xml, pack\payload\update.bin by lower case)
        lab.add_fault("fail_cmdlet", host=CM01, cmdlet="Write-FileChunk", nth=3)
        proc = run_playbook(lab, tmp_path, CONTROLLER)
        assert_ok(proc)
        assert recap(proc)[CM01]["changed"] == 2, output(proc)  # the prediction and the resumed copy
        files = lab.world.host(CM01).files
        for rel, digest in sums.items():
            assert files.sha256(f"C:\\Incoming\\{rel}") == digest, rel
        assert not [i for i in files.list("C:\\Incoming") if i.name.endswith(".cmscp-partial")]
        assert_no_secret(lab, proc)


def test_a_tree_through_a_share_with_credssp(tmp_path: Path) -> None:
    with Lab("remote-provider", scale=120, auth="credssp") as lab:
        sums = _seed(lab)
        proc = run_playbook(lab, tmp_path, SHARE)
        assert_ok(proc, changed=1)
        files = lab.world.host(CM01).files
        for rel, digest in sums.items():
            assert files.sha256(f"C:\\FromShare\\{rel}") == digest, rel
        assert lab.world.host(PROV01).files.exists("C:\\Shares\\Servicing\\run1\\pack\\payload\\update.bin")


def test_a_share_over_ntlm_is_a_refused_second_hop(tmp_path: Path) -> None:
    with Lab("remote-provider", scale=120, auth="ntlm") as lab:
        _seed(lab)
        proc = run_playbook(lab, tmp_path, SHARE)
        assert proc.returncode != 0 and recap(proc)[CM01]["failed"] == 1, output(proc)
        assert "a second hop" in proc.stdout and "auth=credssp" in proc.stdout, output(proc)
        assert not lab.world.host(PROV01).files.list("C:\\Shares\\Servicing")
        assert not lab.world.host(CM01).files.exists("C:\\FromShare")
