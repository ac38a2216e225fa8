"""Input checks that run before any remote call."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.configmgr.scp.plugins.module_utils import _argspec
from ansible_collections.configmgr.scp.plugins.plugin_utils import _validate as check


@pytest.mark.parametrize("value,expected", [("ps1", "PS1"), ("CAS", "CAS"), (None, None)])
def test_site_code_ok(value, expected):
    assert check.site_code(value) == expected


@pytest.mark.parametrize("value", ["PS", "PS12", "P-1", "", "ps 1"])
def test_site_code_rejected(value):
    with pytest.raises(ValueError, match="site_code must be three letters or digits"):
        check.site_code(value)


@pytest.mark.parametrize(
    "value,expected", [("SCP01.Contoso.com", "scp01.contoso.com"), ("scp01.contoso.com.", "scp01.contoso.com")]
)
def test_fqdn_ok(value, expected):
    assert check.fqdn(value) == expected


@pytest.mark.parametrize(
    "value", ["scp01", "10.0.0.1", "scp_01.contoso.com", "-a.contoso.com", "a..b", "scp01.contoso.com/x"]
)
def test_fqdn_rejected(value):
    with pytest.raises(ValueError, match="fully qualified domain name"):
        check.fqdn(value)


def test_positive_and_port():
    assert check.positive(5, "timeout") == 5
    with pytest.raises(ValueError, match="timeout must be greater than 0"):
        check.positive(0, "timeout")
    with pytest.raises(ValueError, match="proxy_port"):
        check.port(70000, "proxy_port")


def test_since_relative_and_absolute():
    now = datetime(2025, 1, 2, 12, 0, tzinfo=timezone.utc)
    assert check.since("2h", now) == datetime(2025, 1, 2, 10, 0, tzinfo=timezone.utc)
    assert check.since("2025-01-01T00:00:00", now) == datetime(2025, 1, 1, tzinfo=timezone.utc)
    assert check.since(None) is None
    with pytest.raises(ValueError, match="since must be"):
        check.since("yesterday", now)


def test_regex():
    assert check.regex("boot.*ok").search("Bootstrap OK")
    with pytest.raises(ValueError, match="not a valid regular expression"):
        check.regex("(")


@pytest.mark.parametrize(
    "args,message",
    [
        ({"proxy_server": "proxy.contoso.com", "proxy_port": 0}, "proxy_port must be a TCP port"),
        ({"public_fqdn": "scp01"}, "public_fqdn must be a fully qualified"),
        ({"account_name": "svc"}, "account_name must be an account"),
    ],
)
def test_site_system_settings(args, message):
    with pytest.raises(ValueError, match=message):
        check.site_system_settings(args)


# The rules between the site system settings are data (SITE_SYSTEM_RULES), the same for site_system_server's own
# options and service_connection_point's site_system suboptions.
@pytest.mark.parametrize(
    "settings,message",
    [
        (
            {"account_name": "CONTOSO\\inst", "use_site_server_account": True},
            "parameters are mutually exclusive: account_name|use_site_server_account",
        ),
        ({"proxy_port": 8080}, "parameters are required together: proxy_server, proxy_port"),
        ({"proxy_server": "proxy.contoso.com"}, "parameters are required together: proxy_server, proxy_port"),
        (
            {"proxy_server": "proxy.contoso.com", "proxy_account": "CONTOSO\\proxy"},
            "parameters are required together: proxy_server, proxy_port",
        ),
        ({"proxy_account": "CONTOSO\\proxy"}, "missing parameter(s) required by 'proxy_account': proxy_server"),
        ({"proxy_server": "proxy.contoso.com", "proxy_port": 8080, "proxy_account": "CONTOSO\\proxy"}, None),
        ({"account_name": "CONTOSO\\inst"}, None),
        ({"use_site_server_account": True}, None),
    ],
)
def test_site_system_rules_are_the_same_for_both_modules(settings, message):
    top = _argspec.module_spec("site_system_server")
    found = ArgumentSpecValidator(**top).validate(dict(settings, server="scp01.contoso.com")).errors.errors
    scp = _argspec.module_spec("service_connection_point")
    nested = (
        ArgumentSpecValidator(**scp).validate({"server": "scp01.contoso.com", "site_system": settings}).errors.errors
    )
    if message is None:
        assert found == [] and nested == [], (found, nested)
    else:
        assert [str(e) for e in found][:1] == [message]
        assert [str(e) for e in nested][:1] == [message + " found in site_system"]
