"""auth=kerberos / credssp without pypsrp's optional libraries: a message naming the extra to install, from the
library (MissingExtra, before any connection) through the action plugins (Ansible's missing_required_lib wording).

The missing import is simulated: a None entry in sys.modules makes `import gssapi` raise ImportError."""

from __future__ import annotations

import sys

import pytest

from ansible_collections.configmgr.scp.plugins.action import service_connection_point
from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.errors import MissingExtra
from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.options import ConnectionOptions
from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.session import Session
from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.transport import check_auth_extra
from tests.unit.fakes import make_action

PASSWORD = "Kerb3rosSecret"
CASES = [
    ("kerberos", "gssapi", "pypsrp[kerberos]"),
    ("kerberos", "krb5", "pypsrp[kerberos]"),
    ("credssp", "requests_credssp", "pypsrp[credssp]"),
]


def hide(monkeypatch: pytest.MonkeyPatch, module: str) -> None:
    monkeypatch.setitem(sys.modules, module, None)


def options(auth: str) -> ConnectionOptions:
    return ConnectionOptions.from_mapping(
        {
            "host": "127.0.0.1",
            "port": 1,
            "username": "CONTOSO\\cmadmin",
            "password": PASSWORD,
            "auth": auth,
            "protocol": "https",
            "reconnection_retries": 3,
        }
    )


@pytest.mark.parametrize("auth,module,extra", CASES)
def test_the_transport_names_the_missing_extra(monkeypatch, auth, module, extra):
    hide(monkeypatch, module)
    with pytest.raises(MissingExtra) as caught:
        check_auth_extra(auth)
    err = caught.value
    assert (err.auth, err.extra, err.library) == (auth, extra, module)
    assert extra in str(err) and module in str(err)


@pytest.mark.parametrize("auth", ["kerberos", "credssp", "negotiate", "ntlm", "basic"])
def test_installed_extras_pass_the_check(auth):
    check_auth_extra(auth)  # the venv has pypsrp[kerberos,credssp]


@pytest.mark.parametrize("auth", ["negotiate", "ntlm"])
def test_negotiate_and_ntlm_need_no_extra(monkeypatch, auth):
    for module in {case[1] for case in CASES}:
        hide(monkeypatch, module)
    check_auth_extra(auth)  # negotiate falls back to NTLM without gssapi: pypsrp needs nothing more


@pytest.mark.parametrize("auth,module,extra", CASES)
def test_the_session_fails_at_once_naming_its_host(monkeypatch, auth, module, extra):
    hide(monkeypatch, module)
    slept: list[float] = []
    session = Session(options(auth), target_key="cm01.contoso.com", sleep=slept.append)
    with pytest.raises(MissingExtra) as caught:
        session.open()
    err = caught.value
    assert err.extra == extra and err.host == session.host and err.target_key == "cm01.contoso.com"
    assert str(err).startswith("open a PowerShell session on 127.0.0.1: ")
    assert slept == []  # not a connection failure: no retry
    assert PASSWORD not in str(err) and not session.is_open


@pytest.mark.parametrize("auth,module,extra", CASES)
def test_the_action_reports_missing_required_lib(monkeypatch, auth, module, extra):
    hide(monkeypatch, module)
    task_vars = {
        "inventory_hostname": "cm01.contoso.com",
        "ansible_host": "127.0.0.1",
        "ansible_port": 1,
        "ansible_user": "CONTOSO\\cmadmin",
        "ansible_password": PASSWORD,
        "ansible_psrp_auth": auth,
        "ansible_psrp_protocol": "https",
    }
    result = make_action(service_connection_point, {"server": "scp01.contoso.com"}).run(task_vars=task_vars)
    assert result["failed"] is True and result["changed"] is False
    assert "unreachable" not in result
    assert result["msg"].startswith(f"Failed to import the required Python library ({extra}) on ")
    assert f"This is required for auth={auth} (ansible_psrp_auth) on cm01.contoso.com (127.0.0.1:1): " in result["msg"]
    assert f"{module} cannot be imported." in result["msg"]
    assert PASSWORD not in repr(result)


def test_a_raw_import_error_is_not_what_the_user_sees(monkeypatch):
    """Without the check, pypsrp's own ImportError would surface from the pool's open: the check comes first."""
    hide(monkeypatch, "requests_credssp")
    opened: list[str] = []

    def no_pool(*args, **kwargs):
        opened.append("pool")
        raise ImportError("Cannot use CredSSP auth as requests-credssp is not installed")

    monkeypatch.setattr("pypsrp.powershell.RunspacePool", no_pool)
    with pytest.raises(MissingExtra):
        Session(options("credssp")).open()
    assert opened == []
