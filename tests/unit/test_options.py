from __future__ import annotations

import pytest

from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.errors import InvalidOption
from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.options import ConnectionOptions


def test_defaults_match_psrp_plugin():
    o = ConnectionOptions.from_mapping({"host": "cm01", "username": "u", "password": "p"})
    assert (o.effective_protocol, o.effective_port, o.path, o.auth) == ("https", 5986, "wsman", "negotiate")
    assert (o.connection_timeout, o.read_timeout, o.operation_timeout) == (30, 30, 20)
    assert o.configuration_name == "Microsoft.PowerShell" and o.validates_certificate


def test_http_port_and_protocol():
    assert ConnectionOptions.from_mapping({"host": "h", "protocol": "http", "read_timeout": 40}).effective_port == 5985
    assert ConnectionOptions.from_mapping({"host": "h", "port": 5985, "read_timeout": 40}).effective_protocol == "http"


@pytest.mark.parametrize("data, option", [
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
])
def test_invalid_options_name_the_option(data, option):
    with pytest.raises(InvalidOption) as info:
        ConnectionOptions.from_mapping(data)
    assert info.value.option == option
    assert option in str(info.value)


def test_basic_over_http_allowed_explicitly():
    o = ConnectionOptions.from_mapping({"host": "h", "auth": "basic", "username": "u", "password": "p",
                                        "protocol": "http", "allow_basic_over_http": True})
    assert o.wsman_kwargs()["encryption"] == "never" and o.wsman_kwargs()["ssl"] is False


def test_repr_redacts_secrets():
    o = ConnectionOptions.from_mapping({"host": "h", "username": "u", "password": "S3cret!", "auth": "ntlm",
                                        "certificate_key_pem": "/keys/KEYPATH"})
    assert "S3cret!" not in repr(o) and "S3cret!" not in str(o) and "KEYPATH" not in repr(o)
    assert "********" in repr(o)


def test_ca_cert_and_ignore():
    assert ConnectionOptions.from_mapping({"host": "h", "ca_cert": "/ca.pem"}).wsman_kwargs()["cert_validation"] == "/ca.pem"
    assert ConnectionOptions.from_mapping({"host": "h", "cert_validation": "ignore"}).wsman_kwargs()["cert_validation"] is False


def test_from_host_vars_and_overrides():
    o = ConnectionOptions.from_host_vars({"ansible_host": "10.0.0.5", "ansible_user": "CONTOSO\\a", "ansible_password": "pw",
                                          "ansible_psrp_auth": "ntlm", "ansible_psrp_cert_validation": "ignore",
                                          "ansible_port": "5986"}, overrides={"operation_timeout": 10})
    assert (o.host, o.username, o.auth, o.port, o.operation_timeout) == ("10.0.0.5", "CONTOSO\\a", "ntlm", 5986, 10)
    assert not o.validates_certificate
    assert o.for_host("scp01.contoso.com").host == "scp01.contoso.com"
