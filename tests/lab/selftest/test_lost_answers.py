"""The lab's faults for calls that never answer and answers that are lost (hang, lost_receive, drop_after): the fault
table's matching on a pipeline's cmdlets, the control API, and the whole lab through an unmodified pypsrp client."""

from __future__ import annotations

import json
import time
import urllib.request

import pytest
import requests
from pypsrp.powershell import PowerShell, PSInvocationState, RunspacePool
from pypsrp.wsman import WSMan

from tests.lab.lab import Lab
from tests.lab.world.faults import FAULT_STAGES, FaultTable

CM01 = "cm01.contoso.com"


def test_new_kinds_and_their_stages() -> None:
    assert {k: FAULT_STAGES[k] for k in ("hang", "lost_receive", "drop_after")} == {
        "hang": "pipeline",
        "lost_receive": "receive",
        "drop_after": "receive",
    }
    with pytest.raises(ValueError) as info:
        FaultTable().add("lost")
    assert "lost_receive" in str(info.value) and "drop_after" in str(info.value)


def test_a_pipeline_fault_matches_any_of_its_cmdlets_and_counts_pipelines() -> None:
    table = FaultTable()
    table.add("hang", host=CM01, cmdlet="Get-CMSite", nth=2)
    table.add("drop_after", cmdlet="Add-CMServiceConnectionPoint")
    assert table.take("pipeline", CM01, "Import-Module;Get-CMSiteRole") is None  # whole names only
    assert table.take("pipeline", CM01, "Import-Module;get-cmsite;Write-Output") is None  # 1st matching pipeline
    assert table.take("receive", CM01, "Get-Date;Get-CMSite") is None  # other stage
    assert table.take("pipeline", "scp01.contoso.com", "Get-CMSite") is None  # other host
    assert table.take("pipeline", CM01, "Get-CMSite") == "hang"  # 2nd: fires
    assert table.take("receive", "any", "Get-Date;Add-CMServiceConnectionPoint") == "drop_after"
    assert table.pending() == []


def test_control_api_takes_the_new_kinds() -> None:
    with Lab("standalone-primary") as lab:
        for kind in ("hang", "lost_receive", "drop_after"):
            body = json.dumps({"kind": kind, "host": CM01, "cmdlet": "Get-Date", "nth": 2}).encode()
            req = urllib.request.Request(lab.control_url + "/faults", data=body, method="POST")
            with urllib.request.urlopen(req, timeout=10) as resp:
                assert json.loads(resp.read())["ok"]
        assert [(f.kind, f.stage, f.nth) for f in lab.world.faults.pending()] == [
            ("hang", "pipeline", 2),
            ("lost_receive", "receive", 2),
            ("drop_after", "receive", 2),
        ]
        with urllib.request.urlopen(lab.control_url + "/faults", timeout=10) as resp:
            listed = json.loads(resp.read())
        assert listed["kinds"]["drop_after"] == "receive" and len(listed["pending"]) == 3 and listed["fired"] == []


def _begin(pool: RunspacePool, cmdlet: str) -> PowerShell:
    ps = PowerShell(pool)
    ps.add_cmdlet(cmdlet)
    ps.begin_invoke()
    return ps


def test_hang_and_drop_after_through_the_whole_lab() -> None:
    with Lab("standalone-primary", https=False, auth="basic") as lab:
        conn = lab.connection(CM01)
        with RunspacePool(WSMan(read_timeout=3, operation_timeout=1, **conn)) as pool:
            lab.add_fault("hang", host=CM01, cmdlet="Get-Date")
            ps = _begin(pool, "Get-Date")
            start = time.monotonic()
            ps.poll_invoke()
            assert time.monotonic() - start >= 0.9 and ps.state == PSInvocationState.RUNNING and ps.output == []
            ps.stop()
            assert "Get-Date" not in [c["cmdlet"] for c in lab.calls()]  # it never ran
            lab.add_fault("drop_after", host=CM01, cmdlet="Get-Date")
            ps = _begin(pool, "Get-Date")
            with pytest.raises(requests.exceptions.ConnectionError):
                ps.poll_invoke()
        assert [c["outcome"] for c in lab.calls() if c["cmdlet"] == "Get-Date"] == ["ok"]  # it ran, answer lost
        assert not lab.world.faults.pending()
