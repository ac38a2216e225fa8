"""The role's input checks (plugin_utils/_role_input.py and the scp_role_input action): one message per problem,
naming the role's variable."""

from __future__ import annotations

import pytest

from ansible_collections.configmgr.scp.plugins.plugin_utils._role_input import ROLE_VARIABLES, scp_role_input_errors

GOOD = {
    "scp_state": "present",
    "scp_server": "scp01.contoso.com",
    "scp_site_code": "",
    "scp_mode": "",
    "scp_sms_provider": "",
    "scp_sms_provider_site_code": "",
    "scp_wait_timeout": 900,
    "scp_restart_timeout": 300,
}


@pytest.mark.parametrize(
    "change, words",
    [
        ({"scp_server": ""}, "scp_server is required with scp_state=present"),
        ({"scp_server": "scp01"}, "scp_server must be a fully qualified domain name"),
        ({"scp_server": "10.0.0.5"}, "scp_server must be a fully qualified domain name"),
        ({"scp_server": "scp01.contoso.com;calc"}, "scp_server must be a fully qualified domain name"),
        ({"scp_server": "scp01\n.contoso.com"}, "scp_server must be a fully qualified domain name"),
        ({"scp_site_code": "PS12"}, "scp_site_code must be three letters or digits"),
        ({"scp_site_code": "P_1"}, "scp_site_code must be three letters or digits"),
        (
            {"scp_sms_provider": "cm01", "scp_sms_provider_site_code": "PS1"},
            "scp_sms_provider must be a fully qualified",
        ),
        (
            {"scp_sms_provider": "cm01.contoso.com", "scp_sms_provider_site_code": "PS"},
            "scp_sms_provider_site_code must be",
        ),
        ({"scp_sms_provider": "cm01.contoso.com"}, "go together: give both or neither"),
        (
            {"scp_state": "absent", "scp_server": "", "scp_mode": "offline"},
            "scp_mode cannot be used with scp_state=absent",
        ),
        ({"scp_wait_timeout": -1}, 'scp_wait_timeout must be a whole number of seconds greater than 0, got "-1"'),
        ({"scp_restart_timeout": 0}, "scp_restart_timeout must be a whole number of seconds greater than 0"),
        ({"scp_restart_timeout": "1.5"}, "scp_restart_timeout must be a whole number"),
    ],
)
def test_each_problem_is_named(change, words):
    errors = scp_role_input_errors({**GOOD, **change})
    assert len(errors) == 1 and words in errors[0], errors


def test_good_input_and_absent_without_server():
    assert scp_role_input_errors(GOOD) == []
    assert scp_role_input_errors({**GOOD, "scp_state": "absent", "scp_server": ""}) == []
    assert (
        scp_role_input_errors({**GOOD, "scp_sms_provider": "cm01.contoso.com", "scp_sms_provider_site_code": "ps1"})
        == []
    )
    assert set(GOOD) == set(ROLE_VARIABLES)


def test_several_problems_and_long_values_are_cut():
    errors = scp_role_input_errors({**GOOD, "scp_server": "", "scp_wait_timeout": "x" * 200, "scp_restart_timeout": 0})
    assert len(errors) == 3 and len(errors[1]) < 150


# -- the action: reads the role's variables from the task's variables, templates each, changes nothing ---------------
def _action(args=None):
    from ansible.parsing.dataloader import DataLoader
    from ansible.template import Templar

    from ansible_collections.configmgr.scp.plugins.action import scp_role_input
    from tests.unit.fakes import make_action

    action = make_action(scp_role_input, args or {})
    action._templar = Templar(loader=DataLoader())
    return action


def _as_template(text: str):
    """A template as a task variable holds it: marked trusted since ansible-core 2.19, a plain string before."""
    import ansible.template

    trust = getattr(ansible.template, "trust_as_template", None)
    return trust(text) if trust is not None else text


def test_the_action_passes_good_variables_and_templates_each():
    task_vars = {**GOOD, "scp_server": _as_template("{{ 'scp01' ~ '.contoso.com' }}"), "other": "ignored"}
    result = _action().run(task_vars=task_vars)
    assert not result.get("failed") and result["changed"] is False, result


def test_the_action_fails_naming_the_role_variables():
    result = _action().run(task_vars={**GOOD, "scp_server": "", "scp_restart_timeout": 0})
    assert result["failed"] is True and result["changed"] is False
    assert result["msg"].startswith("configmgr.scp.scp: scp_server is required with scp_state=present")
    assert "; scp_restart_timeout must be a whole number of seconds greater than 0" in result["msg"]


def test_the_action_takes_no_options():
    result = _action({"scp_server": "scp01.contoso.com"}).run(task_vars=dict(GOOD))
    assert result["failed"] is True and "takes no options, got scp_server" in result["msg"]
