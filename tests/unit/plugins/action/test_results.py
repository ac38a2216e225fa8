"""How the action base turns a task's outcome into an Ansible result: partial changes, which host is
unreachable, play keywords (AWX machine credential) and the library's option checks before any remote call."""

from __future__ import annotations

import socket

import pytest

from ansible_collections.configmgr.scp.plugins.action import service_connection_point
from ansible_collections.configmgr.scp.plugins.plugin_utils import _action
from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.errors import (
    CommandFailed,
    HostUnreachable,
    WaitTimeout,
)
from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.pipeline import Pipeline
from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.planner import AddScp, Verify
from tests.unit.fakes import make_action

TASK_VARS = {
    "inventory_hostname": "cm01.contoso.com",
    "ansible_host": "127.0.0.1",
    "ansible_port": 40001,
    "ansible_user": "CONTOSO\\cmadmin",
    "ansible_password": "Inv3ntorySecret",
    "ansible_psrp_auth": "ntlm",
}
SCP = "scp01.contoso.com"

make = make_action


def run_with(monkeypatch, execute, task_vars=None, **kwargs):
    monkeypatch.setattr(service_connection_point.ActionModule, "execute", execute)
    return make(service_connection_point, {"server": SCP}, **kwargs).run(task_vars=dict(task_vars or TASK_VARS))


def test_wait_timeout_after_add_reports_changed_and_the_steps_that_ran(monkeypatch):
    def execute(self, ctx, args):
        err = WaitTimeout("SMS_DMP_DOWNLOADER did not reach Running", SCP, "wait for the install", 900.0, "absent")
        err.changed = None  # an older library without the flag: the steps' own `mutates` decides
        err.steps_run = [
            AddScp(f"add the SCP on {SCP}", server=SCP, site_code="PS1", mode="Online"),
            Verify("verify", server=SCP, site_code="PS1", mode="Online"),
        ]
        raise err

    result = run_with(monkeypatch, execute)
    assert result["failed"] is True and result["changed"] is True
    assert [s["action"] for s in result["steps_run"]] == ["add_scp"]
    assert result["waited"] == 900.0


def test_error_flagged_changed_by_the_library_reports_changed(monkeypatch):
    def execute(self, ctx, args):
        err = CommandFailed("Start timed out", SCP, "Set-ItemProperty")
        err.changed = True  # ScpHost: Stop went through, Start did not
        err.steps_run = [{"action": "request_stop", "description": "request Stop of SMS_DMP_DOWNLOADER"}]
        raise err

    result = run_with(monkeypatch, execute)
    assert result["changed"] is True and result["steps_run"] == [
        {"action": "request_stop", "description": "request Stop of SMS_DMP_DOWNLOADER"}
    ]


def test_error_before_any_mutation_reports_unchanged(monkeypatch):
    def execute(self, ctx, args):
        err = CommandFailed("denied", "127.0.0.1", "Get-CMSite")
        err.steps_run = [Verify("verify", server=SCP, site_code="PS1", mode="Online").to_dict()]
        raise err

    result = run_with(monkeypatch, execute)
    assert result["failed"] is True and result["changed"] is False and "steps_run" not in result


def _unreachable(self, pipeline, **kwargs):
    # made like the Session makes its errors: with the session's key (TaskSession: the target's inventory name)
    raise HostUnreachable("connection refused", self.host, "open a PowerShell session", target_key=self.target_key)


def test_unreachable_second_host_fails_the_task_but_keeps_its_host(monkeypatch):
    monkeypatch.setattr(_action.Session, "run", _unreachable)

    def execute(self, ctx, args):
        ctx.session(ctx.other_host(SCP)).run(None)

    result = run_with(monkeypatch, execute)
    assert result.get("unreachable") is None
    assert result["failed"] is True
    assert SCP in result["msg"] and "refused" in result["msg"] and "a second host" in result["msg"]
    assert result["msg"].count(SCP) == 1, "the second host is named once"


def test_unreachable_own_host_is_unreachable(monkeypatch):
    monkeypatch.setattr(_action.Session, "run", _unreachable)

    def execute(self, ctx, args):
        ctx.session().run(None)

    result = run_with(monkeypatch, execute)
    assert result["unreachable"] is True and "failed" not in result


@pytest.fixture
def dead_port():
    """A local port that refuses connections: bound, never listening."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield sock.getsockname()[1]


def test_a_real_refused_connection_names_its_target(monkeypatch, dead_port):
    """No fake Session: the library's own HostUnreachable carries the target it was made for, so the task's host
    is unreachable and a second host (in the inventory, at another dead address) fails the task instead."""
    seen = []
    which = ["own"]

    def execute(self, ctx, args):
        target = ctx.target if which[0] == "own" else ctx.other_host(SCP)
        pipeline = Pipeline(operation="read the sites")
        pipeline.add("Get-CMSite")
        try:
            ctx.session(target).run(pipeline)
        except HostUnreachable as err:
            seen.append(err)
            raise

    own = dict(TASK_VARS, ansible_port=dead_port)
    result = run_with(monkeypatch, execute, own)
    assert result["unreachable"] is True and "failed" not in result
    err = seen[-1]
    assert err.target_key == "cm01.contoso.com" and err.reason == "connection" and err.host == "cm01.contoso.com"
    assert err.display_name == f"cm01.contoso.com (127.0.0.1:{dead_port})"
    assert result["msg"].startswith("open a PowerShell session on cm01.contoso.com: connection failed")
    which[0] = "second"
    hostvars = {SCP: {"inventory_hostname": SCP, "ansible_host": "127.0.0.1", "ansible_port": dead_port}}
    result = run_with(monkeypatch, execute, dict(own, hostvars=hostvars))
    assert result.get("unreachable") is None and result["failed"] is True and "a second host" in result["msg"]
    assert seen[-1].target_key == SCP and seen[-1].host == SCP


def test_awx_machine_credential_fills_what_the_inventory_leaves_out(monkeypatch):
    seen = {}

    def execute(self, ctx, args):
        seen.update(ctx.target.options)
        raise CommandFailed("Access is denied for AwxS3cret", "127.0.0.1", "Get-CMSite")

    bare = {"inventory_hostname": "cm01.contoso.com", "ansible_psrp_auth": "ntlm"}
    result = run_with(monkeypatch, execute, bare, remote_user="CONTOSO\\awx", port=5986, password="AwxS3cret")
    assert seen["username"] == "CONTOSO\\awx" and seen["password"] == "AwxS3cret" and seen["port"] == 5986
    assert "AwxS3cret" not in result["msg"] and "AwxS3cret" not in result["exception"]


def test_inventory_variables_win_over_play_keywords(monkeypatch):
    seen = {}

    def execute(self, ctx, args):
        seen.update(ctx.target.options)
        return {"changed": False}

    run_with(monkeypatch, execute, remote_user="CONTOSO\\awx", port=5986, password="AwxS3cret")
    assert seen["username"] == "CONTOSO\\cmadmin" and seen["password"] == "Inv3ntorySecret" and seen["port"] == 40001


def test_connection_options_are_checked_by_the_library_before_any_session(monkeypatch):
    opened = []
    monkeypatch.setattr(_action.TaskContext, "session", lambda self, target=None: opened.append(target))
    result = make(service_connection_point, {"server": SCP, "connection_timeout": 0}).run(task_vars=dict(TASK_VARS))
    assert (
        result["failed"] is True and "connection_timeout" in result["msg"] and result["msg"].startswith("invalid input")
    )
    assert opened == []


def test_library_changed_false_with_unflagged_steps_reports_unchanged(monkeypatch):
    def execute(self, ctx, args):
        err = CommandFailed("denied", SCP, "Set-ItemProperty")
        err.changed = False
        err.steps_run = [{"action": "read", "description": "read the thread state"}]
        raise err

    result = run_with(monkeypatch, execute)
    assert result["changed"] is False and "steps_run" not in result
