"""Every authentication method the lab speaks, through the library's ConnectionOptions."""

from __future__ import annotations

import pytest

from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.configmgr.provider import SiteProvider
from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.errors import InvalidOption
from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.options import ConnectionOptions
from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.session import Session
from tests.lab.lab import load_scenario

CM01 = "cm01.contoso.com"


def _read(kit, **overrides):
    state = kit.provider(**overrides).read_state(include=("sites", "scp"))
    assert state.hierarchy.top_tier.site_code == "PS1"
    return kit.lab.calls()


@pytest.mark.parametrize("auth", ["ntlm", "negotiate"])
def test_https_with_ca(make_lab, auth):
    kit = make_lab("standalone-primary", auth=auth)
    opts = kit.options(CM01)
    assert opts.auth == auth and opts.effective_protocol == "https" and opts.ca_cert
    calls = _read(kit)
    assert {c["user"] for c in calls} == {"contoso\\cmadmin"}


def test_basic_over_http_needs_explicit_permission(make_lab):
    kit = make_lab("standalone-primary", https=False, auth="basic")
    with pytest.raises(InvalidOption) as info:
        kit.options(CM01)
    assert info.value.option == "auth" and kit.lab.requests() == []
    calls = _read(kit, allow_basic_over_http=True)
    assert calls and all(c["user"] == "contoso\\cmadmin" for c in calls)


def test_negotiate_over_http_is_encrypted_by_default(make_lab):
    kit = make_lab("standalone-primary", https=False, auth="negotiate")
    assert _read(kit)


def test_certificate_auth(make_lab):
    data = load_scenario("standalone-primary")
    users = list(data["users"]) + [{"name": "CONTOSO\\lab", "password": "unused-Pa55", "full_admin": True}]
    hosts = [dict(h, admins=list(h.get("admins", [])) + ["CONTOSO\\lab"]) for h in data["hosts"]]
    kit = make_lab(dict(data, users=users, hosts=hosts), cert_auth=True)
    client = kit.lab.pki.client
    opts = ConnectionOptions.from_mapping(
        {
            "host": "127.0.0.1",
            "port": kit.lab.ports[CM01],
            "auth": "certificate",
            "certificate_pem": client.cert_path,
            "certificate_key_pem": client.key_path,
            "ca_cert": kit.lab.ca_path,
            "display_name": CM01,
        }
    )
    with Session(opts) as session:
        state = SiteProvider(session, site_code="PS1").read_state(include=("sites",))
    assert state.hierarchy.top_tier.site_code == "PS1"
    assert {c["user"] for c in kit.lab.calls()} == {"contoso\\lab"}
