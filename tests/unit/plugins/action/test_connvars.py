"""Connection settings come from the psrp connection plugin's variables, task options win, delegation works."""

from __future__ import annotations

import dataclasses

import pytest

from ansible_collections.configmgr.scp.plugins.module_utils._argspec import CONNECTION_ARGSPEC
from ansible_collections.configmgr.scp.plugins.plugin_utils._connvars import (
    CONNECTION_OPTIONS,
    PLUGIN_NAMES,
    PLUGIN_ONLY,
    SECRET_OPTIONS,
    find_inventory_host,
    is_psrp,
    load_psrp,
    missing_extras,
    options_from_vars,
    resolved_as_is,
    second_target,
    task_target,
)
from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.options import ConnectionOptions

LAB_VARS = {
    "inventory_hostname": "cm01.contoso.com",
    "ansible_host": "127.0.0.1",
    "ansible_port": 40001,
    "ansible_user": "CONTOSO\\cmadmin",
    "ansible_password": "P@ssw0rd!",
    "ansible_psrp_protocol": "https",
    "ansible_psrp_auth": "ntlm",
    "ansible_psrp_ca_cert": "/tmp/ca.pem",
}


def test_reads_the_psrp_plugin_variables():
    target = task_target(LAB_VARS, {})
    assert target.name == "cm01.contoso.com"
    expected = {
        "host": "127.0.0.1",
        "port": 40001,
        "username": "CONTOSO\\cmadmin",
        "password": "P@ssw0rd!",
        "protocol": "https",
        "auth": "ntlm",
        "ca_cert": "/tmp/ca.pem",
    }
    assert target.options == expected


def test_later_variable_of_a_list_wins_like_the_config_manager():
    found = options_from_vars(
        {
            "ansible_host": "a",
            "ansible_psrp_host": "b",
            "ansible_psrp_cert_trust_path": "/x",
            "ansible_psrp_ca_cert": "/y",
            "ansible_winrm_password": "pw2",
            "ansible_password": "pw1",
            "ansible_psrp_connection_backoff": 3,
            "ansible_psrp_reconnection_backoff": 5,
        }
    )
    assert found["host"] == "b"
    assert found["ca_cert"] == "/y"
    assert found["password"] == "pw2"
    assert found["reconnection_backoff"] == 5


def test_psrp_password_name_is_not_a_psrp_plugin_variable():
    # ansible-core's psrp plugin reads ansible_password / ansible_winrm_pass(word), not ansible_psrp_password
    assert "password" not in options_from_vars({"ansible_psrp_password": "x"})


def test_values_are_rendered_and_empty_values_ignored():
    found = options_from_vars(
        {"ansible_password": "{{ vault_pw }}", "ansible_psrp_proxy": ""},
        render=lambda v: "secret" if v == "{{ vault_pw }}" else v,
    )
    assert found == {"password": "secret"}


def test_task_options_override_inventory():
    target = task_target(LAB_VARS, {"username": "CONTOSO\\other", "auth": "kerberos"})
    assert target.options["username"] == "CONTOSO\\other"
    assert target.options["auth"] == "kerberos"
    assert target.options["port"] == 40001


def test_inventory_name_is_the_default_address():
    target = task_target({"inventory_hostname": "cm01.contoso.com"}, {})
    assert target.options["host"] == "cm01.contoso.com"
    assert target.describe() == "cm01.contoso.com"


def test_remote_user_keyword_is_a_fallback_only():
    assert task_target({"inventory_hostname": "h.x.com"}, {}, remote_user="u1").options["username"] == "u1"
    assert (
        task_target({"inventory_hostname": "h.x.com", "ansible_user": "u2"}, {}, remote_user="u1").options["username"]
        == "u2"
    )


def test_delegate_to_uses_the_delegated_host_vars():
    task_vars = dict(
        LAB_VARS,
        ansible_delegated_vars={
            "cas01.contoso.com": {
                "inventory_hostname": "cm01.contoso.com",
                "ansible_host": "10.0.0.5",
                "ansible_port": 5986,
                "ansible_user": "CONTOSO\\casadmin",
                "ansible_password": "other",
            }
        },
    )
    target = task_target(task_vars, {}, delegate_to="cas01.contoso.com")
    assert target.name == "cas01.contoso.com"
    assert target.options["host"] == "10.0.0.5"
    assert target.options["username"] == "CONTOSO\\casadmin"
    assert "ca_cert" not in target.options  # nothing leaks from the original host


HOSTVARS = {
    "cm01.contoso.com": {
        "ansible_host": "127.0.0.1",
        "ansible_port": 40001,
        "ansible_user": "u",
        "ansible_password": "p",
    },
    "scp01.contoso.com": {
        "ansible_host": "127.0.0.1",
        "ansible_port": 40002,
        "ansible_user": "u",
        "ansible_password": "p",
    },
    "scpbox": {"ansible_host": "scp02.contoso.com", "ansible_port": 5986},
}


def test_name_match_wins_over_address_match():
    assert find_inventory_host("SCP01.contoso.com", HOSTVARS.keys(), HOSTVARS.__getitem__) == "scp01.contoso.com"
    assert find_inventory_host("scp02.contoso.com.", HOSTVARS.keys(), HOSTVARS.__getitem__) == "scpbox"
    assert find_inventory_host("127.0.0.1", ["a", "b"], lambda n: {"ansible_host": "10.0.0.1"}) is None


def test_second_host_in_inventory_uses_its_own_vars():
    overrides = {"operation_timeout": 10, "host": "10.9.9.9", "port": 1}
    task = task_target(dict(LAB_VARS), overrides)
    other = second_target("scp01.contoso.com", task, HOSTVARS, overrides=overrides)
    assert other.name == "scp01.contoso.com" and other.source == "inventory"
    assert other.options["port"] == 40002 and other.options["host"] == "127.0.0.1"
    assert other.options["operation_timeout"] == 10  # task options other than host/port still apply


def test_second_host_in_inventory_without_credentials_takes_the_play_s_keywords():
    """An AWX machine credential (-u and the connection password) reaches every host of the play that sets no
    credentials of its own, as ansible-core gives them to each host; a host's own variables win over them."""
    keywords = {"remote_user": "CONTOSO\\awx", "password": "Machine-credential1"}
    task = task_target(dict(LAB_VARS), {})
    bare = second_target("scpbox", task, HOSTVARS, keywords=keywords)
    assert bare.source == "inventory" and bare.options["port"] == 5986
    assert (bare.options["username"], bare.options["password"]) == ("CONTOSO\\awx", "Machine-credential1")
    own = second_target("scp01.contoso.com", task, HOSTVARS, keywords=keywords)
    assert (own.options["username"], own.options["password"]) == ("u", "p")
    assert "username" not in second_target("scpbox", task, HOSTVARS).options


def test_second_host_not_in_inventory_gets_the_same_credentials_on_its_fqdn():
    task = task_target(dict(LAB_VARS, ansible_psrp_negotiate_hostname_override="cm01"), {})
    other = second_target("scp09.contoso.com", task, HOSTVARS)
    assert other.source == "derived"
    assert other.options["host"] == "scp09.contoso.com"
    assert "port" not in other.options
    assert other.options["username"] == "CONTOSO\\cmadmin" and other.options["password"] == "P@ssw0rd!"
    assert "negotiate_hostname_override" not in other.options


@pytest.mark.parametrize("port,protocol", [(5985, "http"), (40001, "https")])
def test_derived_host_keeps_the_scheme_a_port_implied(port, protocol):
    task = task_target({"inventory_hostname": "cm01.contoso.com", "ansible_port": port}, {})
    assert second_target("scp09.contoso.com", task, {}).options["protocol"] == protocol


def test_the_options_are_the_argspec_and_the_secrets_the_library_s():
    assert CONNECTION_OPTIONS == tuple(CONNECTION_ARGSPEC)
    assert SECRET_OPTIONS == {"password", "certificate_key_pem", "certificate_key_password"}


def _valid(definition):
    """A value the psrp plugin accepts for an option, and what it makes of it."""
    if definition.get("choices"):
        choice = list(definition["choices"])[-1]
        return choice, choice
    kind = definition.get("type", "str")
    return {
        "int": (7, 7),
        "integer": (7, 7),
        "bool": ("yes", True),
        "boolean": ("yes", True),
        "float": (3.5, 3.5),
        "path": ("/abs/x.pem", "/abs/x.pem"),
    }.get(kind, ("rendered", "rendered"))


# Every variable of the plugin's own option table (not a copy), rendered before the plugin resolves it.
PLUGIN_VARIABLES = [
    (option, entry["name"], definition)
    for option, definition in load_psrp().option_definitions.items()
    if option not in PLUGIN_ONLY
    for entry in definition.get("vars") or ()
    if entry["name"] != "inventory_hostname"
]


@pytest.mark.parametrize("option, variable, definition", PLUGIN_VARIABLES, ids=[v for _o, v, _d in PLUGIN_VARIABLES])
def test_every_psrp_variable_is_read_and_rendered(option, variable, definition):
    given, resolved = _valid(definition)
    found = options_from_vars({variable: "{{ x }}"}, render=lambda v: given if v == "{{ x }}" else v)
    assert found == {PLUGIN_NAMES.get(option, option): resolved}


def test_certificate_key_password_is_read_from_its_variable_on_every_ansible_core():
    """ansible-core's psrp plugin has the option since 2.21; before, it passes the variable to pypsrp as an extra."""
    from ansible.release import __version__

    core = tuple(int(part) for part in __version__.split(".")[:2])
    assert missing_extras(load_psrp()) == ([] if core >= (2, 21) else ["certificate_key_password"])
    variable = "ansible_psrp_certificate_key_password"
    found = options_from_vars({variable: "{{ x }}"}, render=lambda v: "K3y" if v == "{{ x }}" else v)
    assert found == {"certificate_key_password": "K3y"}
    assert task_target(dict(LAB_VARS, **{variable: "K3y"}), {}).options["certificate_key_password"] == "K3y"


def test_a_bad_inventory_value_is_invalid_input_naming_the_host():
    with pytest.raises(ValueError, match="connection variables of cm01.contoso.com: .*auth"):
        task_target(dict(LAB_VARS, ansible_psrp_auth="bogus"), {})


def test_only_the_psrp_variables_are_rendered():
    seen = []
    task_target(
        dict(LAB_VARS, unrelated="{{ undefined_var }}", ansible_psrp_password="{{ nope }}"),
        {},
        render=lambda v: seen.append(v) or v,
    )
    assert "{{ undefined_var }}" not in seen and "{{ nope }}" not in seen
    assert "P@ssw0rd!" in seen


def test_an_empty_later_alias_does_not_hide_an_earlier_one():
    found = options_from_vars({"ansible_host": "10.0.0.1", "ansible_psrp_host": ""})
    assert found == {"host": "10.0.0.1"}
    target = task_target({"inventory_hostname": "cm01", "ansible_psrp_host": "{{ empty }}"}, {}, render=lambda v: "")
    assert target.options["host"] == "cm01"


def test_delegated_host_is_not_addressed_by_the_original_inventory_name():
    # Ansible puts the original host's inventory_hostname into the delegated host's variables
    task_vars = dict(LAB_VARS, ansible_delegated_vars={"cas01.contoso.com": {"inventory_hostname": "cm01.contoso.com"}})
    target = task_target(task_vars, {}, delegate_to="cas01.contoso.com")
    assert target.options == {"host": "cas01.contoso.com"}


def test_play_keywords_fill_only_unset_options_and_task_options_beat_everything():
    keywords = {"remote_user": "kw", "port": 5985, "password": "kwpw"}
    target = task_target({"inventory_hostname": "h"}, {}, keywords=keywords)
    assert target.options == {"host": "h", "username": "kw", "port": 5985, "password": "kwpw"}
    target = task_target(dict(LAB_VARS), {"port": 1234}, keywords=keywords, remote_user="ru")
    assert (target.options["username"], target.options["port"], target.options["password"]) == (
        "CONTOSO\\cmadmin",
        1234,
        "P@ssw0rd!",
    )
    assert task_target({"inventory_hostname": "h"}, {}, keywords=keywords, remote_user="ru").options["username"] == "ru"


def test_second_host_in_inventory_is_addressed_by_its_own_name():
    hostvars = {"scp01.contoso.com": {"inventory_hostname": "scp01.contoso.com", "ansible_user": "u"}}
    other = second_target("scp01.contoso.com", task_target(dict(LAB_VARS), {}), hostvars)
    assert other.options == {"host": "scp01.contoso.com", "username": "u"}


def test_targets_build_valid_connection_options():
    task = task_target(dict(LAB_VARS, ansible_psrp_connection_backoff="3"), {"operation_timeout": 10})
    opts = ConnectionOptions.from_mapping(task.options)
    assert (opts.host, opts.port, opts.auth, opts.reconnection_backoff, opts.operation_timeout) == (
        "127.0.0.1",
        40001,
        "ntlm",
        3.0,
        10,
    )
    # the library entry point reads the same variables to the same result
    direct = ConnectionOptions.from_host_vars(
        dict(LAB_VARS, ansible_psrp_connection_backoff="3"), overrides={"operation_timeout": 10}
    )
    assert dataclasses.replace(direct, display_name=None) == opts


def test_the_task_s_psrp_connection_is_taken_as_ansible_core_resolved_it():
    # ansible-core set the options of the task's connection (variables, -u and the connection password of an AWX
    # machine credential as task keys): nothing is templated or resolved again, task options still win
    connection = load_psrp()
    connection.set_options(
        task_keys={"remote_user": "awx-user", "password": "awx-pw"},
        var_options={
            "inventory_hostname": "cm01.contoso.com",
            "ansible_host": "127.0.0.1",
            "ansible_port": 40001,
            "ansible_psrp_auth": "ntlm",
        },
    )

    def render(value):
        raise AssertionError(f"rendered {value!r}")

    target = task_target(
        {"inventory_hostname": "cm01.contoso.com", "ansible_host": "{{ not_this }}"},
        {"read_timeout": 60},
        render=render,
        connection=connection,
    )
    assert target.name == "cm01.contoso.com"
    assert target.options == {
        "host": "127.0.0.1",
        "port": 40001,
        "username": "awx-user",
        "password": "awx-pw",
        "auth": "ntlm",
        "read_timeout": 60,
    }


def test_the_task_s_psrp_connection_is_taken_as_is_only_when_it_keeps_origins():
    """ansible-core before 2.18 keeps no option origins on the plugin (options_of could not tell a default from a
    set value): there the host's variables and the play keywords go through a fresh plugin instead."""
    from ansible.release import __version__

    core = tuple(int(part) for part in __version__.split(".")[:2])
    assert resolved_as_is(load_psrp()) is (core >= (2, 18))
    without_origins = type("Connection", (), {"transport": "psrp", "_load_name": "psrp"})()
    assert is_psrp(without_origins) and not resolved_as_is(without_origins)
    target = task_target(
        dict(LAB_VARS, ansible_user=None),
        {"read_timeout": 60},
        connection=without_origins,
        keywords={"remote_user": "awx-user", "port": 5986},
    )
    assert target.options["username"] == "awx-user" and target.options["port"] == 40001
    assert target.options["host"] == "127.0.0.1" and target.options["read_timeout"] == 60


def test_another_connection_plugin_is_not_read():
    local = type("Connection", (), {"transport": "local", "_load_name": "ansible.builtin.local"})()
    target = task_target(dict(LAB_VARS), {}, connection=local, keywords={"remote_user": "kw"})
    assert target.options["username"] == "CONTOSO\\cmadmin" and target.options["host"] == "127.0.0.1"
