from __future__ import annotations

import dataclasses
from dataclasses import fields

import pytest
import yaml

from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.errors import InvalidOption
from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.options import (
    PSRP_VARIABLE_NAMES,
    PSRP_VARIABLES,
    SECRET_FIELDS,
    ConnectionOptions,
    options_from_variables,
)


def test_defaults_match_psrp_plugin():
    o = ConnectionOptions.from_mapping({"host": "cm01", "username": "u", "password": "p"})
    assert (o.effective_protocol, o.effective_port, o.path, o.auth) == ("https", 5986, "wsman", "negotiate")
    assert (o.connection_timeout, o.read_timeout, o.operation_timeout) == (30, 30, 20)
    assert o.configuration_name == "Microsoft.PowerShell" and o.validates_certificate


def test_http_port_and_protocol():
    assert ConnectionOptions.from_mapping({"host": "h", "protocol": "http", "read_timeout": 40}).effective_port == 5985
    assert ConnectionOptions.from_mapping({"host": "h", "port": 5985, "read_timeout": 40}).effective_protocol == "http"


@pytest.mark.parametrize(
    "data, option",
    [
        ({"host": ""}, "host"),
        ({"host": "h", "auth": "digest"}, "auth"),
        ({"host": "h", "port": "x"}, "port"),
        ({"host": "h", "port": 70000}, "port"),
        ({"host": "h", "message_encryption": "sometimes"}, "message_encryption"),
        ({"host": "h", "cert_validation": "maybe"}, "cert_validation"),
        ({"host": "h", "read_timeout": 10, "operation_timeout": 20}, "read_timeout"),
        ({"host": "h", "auth": "basic", "username": "u", "password": "p", "protocol": "http"}, "auth"),
        ({"host": "h", "auth": "ntlm", "password": "p"}, "username"),
        ({"host": "h", "auth": "certificate"}, "certificate_pem"),
        ({"host": "h", "bogus": 1}, "bogus"),
        ({"host": "h", "ignore_proxy": "perhaps"}, "ignore_proxy"),
    ],
)
def test_invalid_options_name_the_option(data, option):
    with pytest.raises(InvalidOption) as info:
        ConnectionOptions.from_mapping(data)
    assert info.value.option == option
    assert option in str(info.value)


def test_basic_over_http_allowed_explicitly():
    o = ConnectionOptions.from_mapping(
        {
            "host": "h",
            "auth": "basic",
            "username": "u",
            "password": "p",
            "protocol": "http",
            "allow_basic_over_http": True,
        }
    )
    assert o.wsman_kwargs()["encryption"] == "never" and o.wsman_kwargs()["ssl"] is False


def test_repr_redacts_secrets():
    o = ConnectionOptions.from_mapping(
        {"host": "h", "username": "u", "password": "S3cret!", "auth": "ntlm", "certificate_key_pem": "/keys/KEYPATH"}
    )
    assert "S3cret!" not in repr(o) and "S3cret!" not in str(o) and "KEYPATH" not in repr(o)
    assert "********" in repr(o)


def test_ca_cert_and_ignore():
    assert (
        ConnectionOptions.from_mapping({"host": "h", "ca_cert": "/ca.pem"}).wsman_kwargs()["cert_validation"]
        == "/ca.pem"
    )
    assert (
        ConnectionOptions.from_mapping({"host": "h", "cert_validation": "ignore"}).wsman_kwargs()["cert_validation"]
        is False
    )


def test_from_host_vars_and_overrides():
    o = ConnectionOptions.from_host_vars(
        {
            "ansible_host": "10.0.0.5",
            "ansible_user": "CONTOSO\\a",
            "ansible_password": "pw",
            "ansible_psrp_auth": "ntlm",
            "ansible_psrp_cert_validation": "ignore",
            "ansible_port": "5986",
        },
        overrides={"operation_timeout": 10},
    )
    assert (o.host, o.username, o.auth, o.port, o.operation_timeout) == ("10.0.0.5", "CONTOSO\\a", "ntlm", 5986, 10)
    assert not o.validates_certificate
    assert o.for_host("scp01.contoso.com").host == "scp01.contoso.com"


# -- the psrp connection plugin's variables ------------------------------------------------------------------------

# A value each option accepts, so every variable can be checked end to end through validation.
VALID = {
    "host": "10.0.0.9",
    "port": 5999,
    "username": "CONTOSO\\u",
    "password": "Pw1",
    "protocol": "http",
    "path": "wsman2",
    "auth": "kerberos",
    "cert_validation": "ignore",
    "ca_cert": "/ca.pem",
    "connection_timeout": 11,
    "read_timeout": 50,
    "operation_timeout": 12,
    "reconnection_retries": 3,
    "reconnection_backoff": 4,
    "message_encryption": "always",
    "proxy": "http://proxy:3128",
    "ignore_proxy": True,
    "configuration_name": "JEA",
    "max_envelope_size": 500000,
    "certificate_pem": "/c.pem",
    "certificate_key_pem": "/k.pem",
    "certificate_key_password": "KeyPw",
    "negotiate_delegate": True,
    "negotiate_hostname_override": "cm01",
    "negotiate_send_cbt": False,
    "negotiate_service": "HTTP",
    "credssp_auth_mechanism": "ntlm",
    "credssp_disable_tlsv1_2": True,
    "credssp_minimum_version": 3,
}
ALL_VARIABLES = [(entry.option, name) for entry in PSRP_VARIABLES for name in entry.variables]


def test_table_covers_every_option_once():
    options = [entry.option for entry in PSRP_VARIABLES]
    assert len(options) == len(set(options)) and set(options) == set(VALID)
    assert set(options) <= {f.name for f in fields(ConnectionOptions)}
    assert len(PSRP_VARIABLE_NAMES) == len(set(PSRP_VARIABLE_NAMES)) == len(ALL_VARIABLES)


@pytest.mark.parametrize("option, variable", ALL_VARIABLES)
def test_each_variable_sets_its_option(option, variable):
    assert options_from_variables({variable: "V", "unrelated": 1}) == {option: "V"}
    base = {"inventory_hostname": "cm01.contoso.com", "ansible_user": "u", "ansible_password": "p"}
    o = ConnectionOptions.from_host_vars(dict(base, **{variable: VALID[option]}))
    assert getattr(o, option) == VALID[option]


@pytest.mark.parametrize("entry", [e for e in PSRP_VARIABLES if len(e.variables) > 1], ids=lambda e: e.option)
def test_last_listed_alias_wins(entry):
    names = entry.variables
    every = {name: f"v{i}" for i, name in enumerate(names)}
    assert options_from_variables(every) == {entry.option: f"v{len(names) - 1}"}
    # dict order does not matter, only the table's order
    assert options_from_variables(dict(reversed(list(every.items())))) == {entry.option: f"v{len(names) - 1}"}
    assert options_from_variables({names[0]: "first"}) == {entry.option: "first"}
    # an unset (None or empty) later alias does not hide an earlier one
    assert options_from_variables({names[0]: "first", names[-1]: None}) == {entry.option: "first"}
    assert options_from_variables({names[0]: "first", names[-1]: ""}) == {entry.option: "first"}


@pytest.mark.parametrize(
    "variables, expected",
    [
        ({"inventory_hostname": "cm01", "ansible_host": "10.0.0.1", "ansible_psrp_host": "10.0.0.2"}, "10.0.0.2"),
        ({"inventory_hostname": "cm01", "ansible_host": "10.0.0.1"}, "10.0.0.1"),
        ({"inventory_hostname": "cm01"}, "cm01"),
        ({"ansible_password": "a", "ansible_winrm_pass": "b"}, "b"),
        ({"ansible_winrm_password": "c", "ansible_password": "a", "ansible_winrm_pass": "b"}, "c"),
        ({"ansible_psrp_ca_cert": "/y", "ansible_psrp_cert_trust_path": "/x"}, "/y"),
        ({"ansible_psrp_reconnection_backoff": 5, "ansible_psrp_connection_backoff": 3}, 5),
        ({"ansible_port": 1, "ansible_psrp_port": 2}, 2),
        ({"ansible_user": "a", "ansible_psrp_user": "b"}, "b"),
    ],
)
def test_precedence_examples(variables, expected):
    assert list(options_from_variables(variables).values()) == [expected]


@pytest.mark.parametrize(
    "variable",
    [
        "ansible_psrp_password",
        "ansible_psrp_username",
        "ansible_psrp_display_name",
        "ansible_psrp_allow_basic_over_http",
        "ansible_ssh_user",
        "ansible_winrm_host",
        "ansible_psrp_no_profile",
    ],
)
def test_names_the_plugin_does_not_read_are_ignored(variable):
    assert options_from_variables({variable: "x"}) == {}
    o = ConnectionOptions.from_host_vars({"ansible_host": "h", variable: "x"})
    assert o.password is None and o.username is None and o.display_name is None and o.allow_basic_over_http is False


def test_keywords_only_fill_what_no_variable_sets():
    keywords = {"remote_user": "kw_user", "port": 5985, "password": "kw_pw", "timeout": 99}
    assert options_from_variables({}, keywords) == {"username": "kw_user", "port": 5985, "password": "kw_pw"}
    found = options_from_variables(
        {"ansible_user": "var_user", "ansible_psrp_port": 5986, "ansible_winrm_pass": "p"}, keywords
    )
    assert found == {"username": "var_user", "port": 5986, "password": "p"}
    o = ConnectionOptions.from_host_vars({"ansible_host": "h"}, keywords={"remote_user": "kw_user", "port": 5985})
    assert (o.username, o.effective_protocol) == ("kw_user", "http")


def test_inventory_hostname_is_the_fallback_address_and_display_name():
    o = ConnectionOptions.from_host_vars({"inventory_hostname": "cm01.contoso.com"})
    assert (o.host, o.label) == ("cm01.contoso.com", "cm01.contoso.com")
    o = ConnectionOptions.from_host_vars({"ansible_host": "127.0.0.1"}, inventory_hostname="cm01.contoso.com")
    assert (o.host, o.display_name) == ("127.0.0.1", "cm01.contoso.com")
    # the argument replaces the variable (delegation leaves the original host's name in it)
    o = ConnectionOptions.from_host_vars({"inventory_hostname": "web01"}, inventory_hostname="cas01.contoso.com")
    assert (o.host, o.display_name) == ("cas01.contoso.com", "cas01.contoso.com")


def test_overrides_win_over_variables_and_none_is_ignored():
    variables = {
        "ansible_host": "10.0.0.1",
        "ansible_psrp_auth": "ntlm",
        "ansible_user": "u",
        "ansible_password": "p",
        "ansible_psrp_read_timeout": 60,
    }
    o = ConnectionOptions.from_host_vars(
        variables, overrides={"auth": "kerberos", "read_timeout": None, "host": "cm02"}
    )
    assert (o.host, o.auth, o.read_timeout) == ("cm02", "kerberos", 60)
    with pytest.raises(InvalidOption) as info:
        ConnectionOptions.from_host_vars(variables, overrides={"bogus": 1})
    assert info.value.option == "bogus"


@pytest.mark.parametrize(
    "port, protocol, effective",
    [
        (None, None, ("https", 5986)),
        (5985, None, ("http", 5985)),
        ("5985", None, ("http", 5985)),
        (5986, None, ("https", 5986)),
        (8080, None, ("https", 8080)),
        (None, "http", ("http", 5985)),
        (None, "https", ("https", 5986)),
        (5985, "https", ("https", 5985)),
        (5986, "http", ("http", 5986)),
    ],
)
def test_protocol_and_port_defaults_like_the_plugin(port, protocol, effective):
    o = ConnectionOptions.from_host_vars({"ansible_host": "h", "ansible_port": port, "ansible_psrp_protocol": protocol})
    assert (o.effective_protocol, o.effective_port) == effective
    assert o.wsman_kwargs()["ssl"] is (effective[0] == "https") and o.wsman_kwargs()["port"] == effective[1]


def _plugin_options() -> dict:
    from ansible.plugins.connection import psrp

    return yaml.safe_load(psrp.DOCUMENTATION)["options"]


def _core() -> tuple[int, int]:
    from ansible.release import __version__

    major, minor = __version__.split(".")[:2]
    return int(major), int(minor)


PLUGIN_NAMES = {"remote_addr": "host", "remote_user": "username", "remote_password": "password"}
NOT_SUPPORTED = {"no_profile"}
# What the psrp plugin of ansible-core before 2.21 lacks: the certificate_key_password option (it passes the variable
# on as an extra), and its negotiate_service default was WSMAN; the library keeps 2.21's (host) on every version.
BEFORE_2_21_MISSING = {"certificate_key_password"}
BEFORE_2_21_DEFAULTS = {"negotiate_service": "WSMAN"}


def test_table_matches_the_psrp_plugin_documentation():
    plugin = _plugin_options()
    ours = {entry.option: entry for entry in PSRP_VARIABLES}
    missing = BEFORE_2_21_MISSING if _core() < (2, 21) else set()
    assert {PLUGIN_NAMES.get(name, name) for name in plugin} - NOT_SUPPORTED == set(ours) - missing
    for name, spec in plugin.items():
        if name in NOT_SUPPORTED:
            continue
        entry = ours[PLUGIN_NAMES.get(name, name)]
        assert entry.variables == tuple(v["name"] for v in spec["vars"]), name
        keywords = [k["name"] for k in spec.get("keyword", [])] + [
            a for a in spec.get("aliases", []) if a == "password"
        ]
        assert ([entry.keyword] if entry.keyword else []) == keywords, name


def test_defaults_match_the_psrp_plugin_documentation():
    plugin = _plugin_options()
    defaults = {f.name: f.default for f in fields(ConnectionOptions)}
    translated = {"remote_addr": "", "cert_validation": True}  # inventory_hostname is a variable here; bool form
    older = BEFORE_2_21_DEFAULTS if _core() < (2, 21) else {}
    for name, spec in plugin.items():
        if name in NOT_SUPPORTED:
            continue
        if name in older:
            assert spec.get("default") == older[name], name
            continue
        expected = translated.get(name, spec.get("default"))
        assert defaults[PLUGIN_NAMES.get(name, name)] == expected, name
    o = ConnectionOptions.from_mapping({"host": "h"})
    assert o.validates_certificate and o.wsman_kwargs()["negotiate_service"] == "host"


# -- secrets ---------------------------------------------------------------------------------------------------------

SECRETS = {
    "ansible_password": "Sup3rSecret!",
    "ansible_psrp_certificate_key_pem": "/keys/PRIVATEKEY.pem",
    "ansible_psrp_certificate_key_password": "K3yPassw0rd",
}


def test_secrets_are_not_in_repr():
    o = ConnectionOptions.from_host_vars(dict(SECRETS, ansible_host="h", ansible_user="u"))
    assert SECRET_FIELDS == {"password", "certificate_key_pem", "certificate_key_password"}
    for text in (repr(o), str(o), repr(dataclasses.replace(o))):
        assert not any(secret in text for secret in SECRETS.values())
        assert text.count("********") == 3


@pytest.mark.parametrize(
    "bad",
    [
        {"ansible_port": "x"},
        {"ansible_psrp_auth": "digest"},
        {"ansible_host": ""},
        {"ansible_psrp_read_timeout": 5},
        {"ansible_psrp_auth": "certificate", "ansible_psrp_certificate_pem": None},
    ],
)
def test_secrets_are_not_in_errors(bad):
    with pytest.raises(InvalidOption) as info:
        ConnectionOptions.from_host_vars({**SECRETS, "ansible_host": "h", "ansible_user": "u", **bad})
    text = f"{info.value} {info.value!r} {info.value.args!r}"
    assert not any(secret in text for secret in SECRETS.values())


def test_certificate_key_password_reaches_pypsrp_only_for_certificate_auth():
    cert = {
        "ansible_host": "h",
        "ansible_psrp_auth": "certificate",
        "ansible_psrp_certificate_pem": "/c.pem",
        "ansible_psrp_certificate_key_pem": "/k.pem",
        "ansible_psrp_certificate_key_password": "kp",
    }
    assert ConnectionOptions.from_host_vars(cert).wsman_kwargs()["certificate_key_password"] == "kp"
    ntlm = dict(cert, ansible_psrp_auth="ntlm", ansible_user="u", ansible_password="p")
    assert "certificate_key_password" not in ConnectionOptions.from_host_vars(ntlm).wsman_kwargs()
