"""The action base: validation before any remote call, and the one translation point for library errors."""
from __future__ import annotations

from unittest.mock import MagicMock

import pytest
from ansible.errors import AnsibleActionFail

from ansible_collections.configmgr.scp.plugins.action import component, service_connection_point
from ansible_collections.configmgr.scp.plugins.plugin_utils import _action
from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.errors import CommandFailed, HostUnreachable

TASK_VARS = {"inventory_hostname": "cm01.contoso.com", "ansible_host": "127.0.0.1", "ansible_port": 40001,
             "ansible_user": "CONTOSO\\cmadmin", "ansible_password": "Inv3ntorySecret", "ansible_psrp_auth": "ntlm"}


def make(plugin_module, args, check_mode=False):
    task = MagicMock()
    task.args = args
    task.check_mode = check_mode
    task.diff = False
    task.async_val = 0
    task.delegate_to = None
    play_context = MagicMock()
    play_context.remote_user = None
    return plugin_module.ActionModule(task, MagicMock(), play_context, MagicMock(), MagicMock(), MagicMock())


@pytest.fixture(name="no_sessions")
def fixture_no_sessions(monkeypatch):
    opened = []

    def refuse(self, target=None):
        opened.append(target)
        raise AssertionError("a session was requested")

    monkeypatch.setattr(_action.TaskContext, "session", refuse)
    return opened


@pytest.mark.parametrize("args,message", [
    ({"server": "scp01.contoso.com", "site_code": "PS12"}, "site_code must be three letters"),
    ({"server": "scp01"}, "server must be a fully qualified domain name"),
    ({"state": "present"}, "state=present needs server"),
    ({"server": "scp01.contoso.com", "wait_timeout": 0}, "wait_timeout must be greater than 0"),
    ({"state": "absent", "mode": "offline"}, "mode cannot be used with state=absent"),
    ({"server": "scp01.contoso.com", "read_timeout": 10, "operation_timeout": 20}, "read_timeout"),
    ({"server": "scp01.contoso.com", "site_system": {"account_name": "CONTOSO\\i", "use_site_server_account": True}},
     "mutually exclusive"),
])
def test_invalid_input_fails_before_any_remote_call(no_sessions, args, message):
    result = make(service_connection_point, args).run(task_vars=dict(TASK_VARS))
    assert result["failed"] is True
    assert message in result["msg"]
    assert no_sessions == []


def test_component_rejects_service_method_for_started(no_sessions):
    result = make(component, {"state": "started", "method": "service"}).run(task_vars=dict(TASK_VARS))
    assert result["failed"] and "method=service" in result["msg"]
    assert no_sessions == []


def test_unknown_option_is_an_argspec_error():
    with pytest.raises(AnsibleActionFail, match="Unsupported parameters"):
        make(service_connection_point, {"server": "scp01.contoso.com", "colour": "blue"}).run(task_vars=dict(TASK_VARS))


def test_bad_choice_is_an_argspec_error():
    with pytest.raises(AnsibleActionFail, match="mode"):
        make(service_connection_point, {"server": "scp01.contoso.com", "mode": "sideways"}).run(task_vars=dict(TASK_VARS))


def test_host_unreachable_is_reported_as_unreachable(monkeypatch):
    def boom(self, ctx, args):
        raise HostUnreachable("connection failed: refused", host="127.0.0.1", operation="open a PowerShell session")

    monkeypatch.setattr(service_connection_point.ActionModule, "execute", boom)
    result = make(service_connection_point, {"server": "scp01.contoso.com"}).run(task_vars=dict(TASK_VARS))
    assert result.get("unreachable") is True
    assert "failed" not in result
    assert "refused" in result["msg"]


@pytest.mark.parametrize("args,secret", [({}, "Inv3ntorySecret"), ({"password": "T4skSecret"}, "T4skSecret")])
def test_command_failure_names_host_gives_double_hop_hint_and_hides_secrets(monkeypatch, args, secret):
    def boom(self, ctx, args):
        ctx.session()            # registers the password in use as a secret of this task
        raise CommandFailed("Access is denied for %s" % secret, "127.0.0.1", "Get-CMSite", category="PermissionDenied",
                            operation="read the sites")

    monkeypatch.setattr(service_connection_point.ActionModule, "execute", boom)
    monkeypatch.setattr(_action.TaskSession, "run", lambda self, *a, **k: None)
    result = make(service_connection_point, dict(args, server="scp01.contoso.com")).run(task_vars=dict(TASK_VARS))
    assert result["failed"] is True
    assert "Get-CMSite failed" in result["msg"]
    assert "auth=credssp" in result["msg"]
    assert secret not in result["msg"] and secret not in result["exception"]


def test_errors_from_a_session_name_the_inventory_host(monkeypatch):
    def boom(self, ctx, args):
        session = ctx.session()
        err = CommandFailed("Access is denied", "127.0.0.1", "Get-CMSite", operation="read the sites")
        _action._tag(err, session.target)
        raise err

    monkeypatch.setattr(service_connection_point.ActionModule, "execute", boom)
    result = make(service_connection_point, {"server": "scp01.contoso.com"}).run(task_vars=dict(TASK_VARS))
    assert result["msg"].startswith("cm01.contoso.com (127.0.0.1:40001): read the sites on 127.0.0.1")


def test_missing_pypsrp_is_reported_like_missing_required_lib(monkeypatch, no_sessions):
    monkeypatch.setattr(_action, "PYPSRP_IMPORT_ERROR", "Traceback: No module named 'pypsrp'")
    result = make(service_connection_point, {"server": "scp01.contoso.com"}).run(task_vars=dict(TASK_VARS))
    assert result["failed"] is True
    assert "Failed to import the required Python library (pypsrp)" in result["msg"]
    assert no_sessions == []


def test_the_task_timeout_bounds_every_pipeline_deadline():
    """A task with `timeout: 60` gives each pipeline at most what is left of it (less a margin), so the library's
    CallTimeout names the call before Ansible's own timeout kills the task."""
    import time as _time

    from ansible_collections.configmgr.scp.plugins.plugin_utils._action import TASK_TIMEOUT_MARGIN, TaskSession
    from ansible_collections.configmgr.scp.plugins.plugin_utils._connvars import Target
    from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.options import ConnectionOptions
    options = ConnectionOptions.from_mapping({"host": "cm01.contoso.com", "username": "u", "password": "p", "auth": "ntlm"})
    target = Target("cm01.contoso.com", {}, "cm01.contoso.com")
    free = TaskSession(target, options)
    assert free.call_limit() == 600.0
    bounded = TaskSession(target, options, task_deadline=_time.monotonic() + 60)
    assert 60 - TASK_TIMEOUT_MARGIN - 1 < bounded.call_limit() <= 60 - TASK_TIMEOUT_MARGIN
    assert bounded.call_limit(timeout=10) == 10.0
    assert TaskSession(target, options, task_deadline=_time.monotonic() - 5).call_limit() == 1.0
