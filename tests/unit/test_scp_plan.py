"""What the service_connection_point action asks the library besides plan_scp: the desired state from the options,
`pending` and `mode_changed` after a run, the lease's lifetime."""

from __future__ import annotations

import pytest

from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp import (
    SCP_READS,
    desired_scp,
    lease_ttl,
    mode_changed,
    pending_after,
)
from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.planner import ClearIntent, Plan, WaitInstalled

OPTIONS = {
    "state": "present",
    "server": "SCP01.contoso.com",
    "site_code": "cas",
    "mode": "offline",
    "allow_move": False,
    "site_system": {"proxy_server": "proxy.contoso.com", "proxy_port": 8080},
    "wait": True,
    "wait_timeout": 900,
}


def test_desired_scp_from_the_options():
    desired = desired_scp(OPTIONS)
    assert (desired.server, desired.site_code, desired.mode, desired.wait) == (
        "scp01.contoso.com",
        "CAS",
        "Offline",
        True,
    )
    assert desired.site_system.proxy_port == 8080 and desired.site_system.site_code == "cas"
    bare = desired_scp(
        {
            "state": "absent",
            "server": None,
            "site_code": None,
            "mode": None,
            "allow_move": False,
            "site_system": None,
            "wait": False,
        }
    )
    assert (bare.state, bare.server, bare.mode, bare.site_system, bare.wait) == ("absent", None, None, None, False)
    assert "roles" in SCP_READS


WAIT = WaitInstalled("wait", server="scp01.contoso.com", site_code="CAS")
CLEAR = ClearIntent("forget")
PENDING = [
    # id, steps, plan.pending, ran, pending after
    ("check-mode-keeps-it", [WAIT], "install", False, "install"),
    ("a-run-that-waited-clears-it", [WAIT], "install", True, None),
    ("a-run-without-wait-keeps-it", [CLEAR], "install", True, "install"),
    ("nothing-pending", [], None, True, None),
]


@pytest.mark.parametrize("case", PENDING, ids=[c[0] for c in PENDING])
def test_pending_after(case):
    _id, steps, pending, ran, after = case
    assert pending_after(Plan(steps, None, None, pending=pending), ran) == after


@pytest.mark.parametrize(
    "before,after,changed",
    [
        ({"mode": "Online"}, {"mode": "Offline"}, True),
        ({"mode": "Online"}, {"mode": "Online"}, False),
        (None, {"mode": "Online"}, False),
        ({"mode": "Online"}, None, False),
    ],
)
def test_mode_changed(before, after, changed):
    assert mode_changed(before, after) is changed


def test_the_lease_outlives_a_move():
    assert lease_ttl(900) == 2 * 900 + 600
