"""The action base: validation before any remote call, and the one translation point for library errors."""

from __future__ import annotations

import re

import pytest

from ansible_collections.configmgr.scp.plugins.action import (
    component,
    service_connection_point,
    site_system_server,
    usage_data,
)
from ansible_collections.configmgr.scp.plugins.plugin_utils import _action
from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.configmgr.bootstrap import DRIVE, explain_failure
from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.errors import (
    CommandFailed,
    HostUnreachable,
    mark_outcome_unknown,
)
from tests.unit.fakes import make_action

TASK_VARS = {
    "inventory_hostname": "cm01.contoso.com",
    "ansible_host": "127.0.0.1",
    "ansible_port": 40001,
    "ansible_user": "CONTOSO\\cmadmin",
    "ansible_password": "Inv3ntorySecret",
    "ansible_psrp_auth": "ntlm",
}

make = make_action


@pytest.mark.parametrize(
    "args,message",
    [
        ({"server": "scp01.contoso.com", "site_code": "PS12"}, "site_code must be three letters"),
        ({"server": "scp01"}, "server must be a fully qualified domain name"),
        ({"server": "scp01.contoso.com", "wait_timeout": 0}, "wait_timeout must be greater than 0"),
        ({"state": "absent", "mode": "offline"}, "mode cannot be used with state=absent"),
        ({"state": "absent", "allow_move": True}, "allow_move cannot be used with state=absent"),
        ({"server": "scp01.contoso.com", "read_timeout": 10, "operation_timeout": 20}, "read_timeout"),
    ],
)
def test_invalid_input_fails_before_any_remote_call(no_sessions, args, message):
    result = make(service_connection_point, args).run(task_vars=dict(TASK_VARS))
    assert result["failed"] is True and result["changed"] is False
    assert result["msg"].startswith("invalid input: ")
    assert message in result["msg"]
    assert no_sessions == []


# The rules between options are argument spec data (module_utils/_argspec.py), enforced by Ansible's validation: the
# task fails with Ansible's message, which names the options and the rule, after "invalid input: ".
@pytest.mark.parametrize(
    "plugin,args,message",
    [
        (
            service_connection_point,
            {"state": "present"},
            "state is present but all of the following are missing: server",
        ),
        (service_connection_point, {}, "state is present but all of the following are missing: server"),
        (service_connection_point, {"server": None}, "state is present but all of the following are missing: server"),
        (
            service_connection_point,
            {
                "server": "scp01.contoso.com",
                "site_system": {"account_name": "CONTOSO\\i", "use_site_server_account": True},
            },
            "parameters are mutually exclusive: account_name|use_site_server_account found in site_system",
        ),
        (
            service_connection_point,
            {
                "server": "scp01.contoso.com",
                "site_system": {"account_name": "CONTOSO\\i", "use_site_server_account": False},
            },
            "parameters are mutually exclusive: account_name|use_site_server_account found in site_system",
        ),
        (
            service_connection_point,
            {"server": "scp01.contoso.com", "site_system": {"proxy_port": 8080}},
            "parameters are required together: proxy_server, proxy_port found in site_system",
        ),
        (
            service_connection_point,
            {"server": "scp01.contoso.com", "site_system": {"proxy_server": "proxy.contoso.com"}},
            "parameters are required together: proxy_server, proxy_port found in site_system",
        ),
        (
            service_connection_point,
            {"server": "scp01.contoso.com", "site_system": {"proxy_account": "CONTOSO\\p"}},
            "missing parameter(s) required by 'proxy_account': proxy_server found in site_system",
        ),
        (
            site_system_server,
            {"server": "scp01.contoso.com", "account_name": "CONTOSO\\i", "use_site_server_account": True},
            "parameters are mutually exclusive: account_name|use_site_server_account",
        ),
        (
            site_system_server,
            {"server": "scp01.contoso.com", "proxy_port": 8080},
            "parameters are required together: proxy_server, proxy_port",
        ),
        (
            site_system_server,
            {"server": "scp01.contoso.com", "proxy_account": "CONTOSO\\p"},
            "missing parameter(s) required by 'proxy_account': proxy_server",
        ),
        (site_system_server, {}, "missing required arguments: server"),
        (component, {}, "missing required arguments: state"),
        (
            service_connection_point,
            {"server": "scp01.contoso.com", "mode": "sideways"},
            "value of mode must be one of: online, offline, got: sideways",
        ),
        (
            service_connection_point,
            {"server": "scp01.contoso.com", "colour": "blue"},
            "Unsupported parameters for (configmgr.scp.service_connection_point) module: colour",
        ),
    ],
)
def test_argument_spec_rules_fail_the_task_before_any_remote_call(no_sessions, monkeypatch, plugin, args, message):
    action = make(plugin, args)
    monkeypatch.setattr(action, "_load_name", "configmgr.scp." + plugin.ActionModule.MODULE, raising=False)
    result = action.run(task_vars=dict(TASK_VARS))
    assert sorted(result) == ["changed", "failed", "msg"] and result["failed"] is True and result["changed"] is False
    assert result["msg"].startswith("invalid input: " + message), result["msg"]
    assert no_sessions == []
    assert action._task.args == args, "the task's own arguments are left as they were"


def test_state_absent_needs_no_server(no_sessions, monkeypatch):
    calls = []
    monkeypatch.setattr(
        service_connection_point.ActionModule, "execute", lambda self, ctx, args: calls.append(args) or {}
    )
    result = make(service_connection_point, {"state": "absent"}).run(task_vars=dict(TASK_VARS))
    assert result.get("failed") is not True, result
    assert calls and calls[0]["server"] is None


def test_a_validation_error_never_shows_a_no_log_value(no_sessions, monkeypatch):
    spec = _action.module_spec("usage_data")
    spec["argument_spec"]["pin"] = dict(type="int", no_log=True)
    monkeypatch.setattr(_action, "module_spec", lambda name: spec)
    result = make(usage_data, {"level": "full", "pin": "T0pSecret"}).run(task_vars=dict(TASK_VARS))
    assert result["failed"] is True
    # ansible-core's wording: "of type str" since 2.17, "of type <class 'str'>" before
    assert re.match(r"invalid input: argument 'pin' is of type (str|<class 'str'>)", result["msg"]), result["msg"]
    assert "T0pSecret" not in str(result)


def test_component_rejects_service_method_for_started(no_sessions):
    result = make(component, {"state": "started", "method": "service"}).run(task_vars=dict(TASK_VARS))
    assert result["failed"] and "method=service" in result["msg"]
    assert no_sessions == []


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
        ctx.session()  # registers the password in use as a secret of this task
        raise CommandFailed(
            f"Access is denied for {secret}",
            "127.0.0.1",
            "Get-CMSite",
            category="PermissionDenied",
            operation="read the sites",
        )

    monkeypatch.setattr(service_connection_point.ActionModule, "execute", boom)
    monkeypatch.setattr(_action.TaskSession, "run", lambda self, *a, **k: None)
    result = make(service_connection_point, dict(args, server="scp01.contoso.com")).run(task_vars=dict(TASK_VARS))
    assert result["failed"] is True
    assert "Get-CMSite failed" in result["msg"]
    assert "auth=credssp" in result["msg"]
    assert secret not in result["msg"] and secret not in result["exception"]


def test_a_lost_answer_on_the_tasks_own_host_fails_the_task_without_calling_it_a_second_host(monkeypatch):
    def boom(self, ctx, args):
        err = HostUnreachable("connection lost", host="127.0.0.1", operation="add the SCP", reason="connection")
        raise mark_outcome_unknown(err)

    monkeypatch.setattr(service_connection_point.ActionModule, "execute", boom)
    result = make(service_connection_point, {"server": "scp01.contoso.com"}).run(task_vars=dict(TASK_VARS))
    assert result["failed"] is True and "unreachable" not in result
    assert "second host" not in result["msg"] and "connection lost" in result["msg"]
    assert any("answer was lost" in w for w in result["warnings"])


def test_no_generic_double_hop_hint_when_the_library_explained_the_hop():
    hop = explain_failure(
        CommandFailed("Access is denied", "cm01", "Set-Location", category="PermissionDenied", statement_index=2),
        0,
        "cm01",
        "PS1",
        "prov01",
        index=DRIVE,
        second_hop=True,
    )
    other = CommandFailed("Access is denied", "cm01", "Get-CMSite", category="PermissionDenied")
    assert hop.explains_second_hop and not other.explains_second_hop
    assert _action.DOUBLE_HOP_HINT not in _action.describe_error(hop)
    assert "a second hop" in _action.describe_error(hop) and "sms_provider_route=direct" in _action.describe_error(hop)
    assert _action.describe_error(other).endswith(_action.DOUBLE_HOP_HINT)


def test_errors_from_a_session_name_the_inventory_host(monkeypatch):
    def boom(self, ctx, args):
        session = ctx.session()
        assert session.described_as == session.target.describe() and session.target_key == "cm01.contoso.com"
        # made like the session makes its errors: with its display name and key (a message naming the address)
        raise CommandFailed(
            "Access is denied",
            "127.0.0.1",
            "Get-CMSite",
            operation="read the sites",
            display_name=session.described_as,
            target_key=session.target_key,
        )

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

    options = ConnectionOptions.from_mapping(
        {"host": "cm01.contoso.com", "username": "u", "password": "p", "auth": "ntlm"}
    )
    target = Target("cm01.contoso.com", {}, "cm01.contoso.com")
    free = TaskSession(target, options)
    assert free.call_limit() == 600.0
    bounded = TaskSession(target, options, task_deadline=_time.monotonic() + 60)
    assert 60 - TASK_TIMEOUT_MARGIN - 1 < bounded.call_limit() <= 60 - TASK_TIMEOUT_MARGIN
    assert bounded.call_limit(timeout=10) == 10.0
    assert TaskSession(target, options, task_deadline=_time.monotonic() - 5).call_limit() == 1.0
