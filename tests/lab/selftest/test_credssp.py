"""CredSSP (pyspnego's acceptor inside the lab's listener) and the second hop: a session on the site server whose
CMSite drive is rooted at a remote SMS Provider, which succeeds only when the logon delegated credentials (CredSSP,
or Kerberos with a forwarded TGT) and is refused as access denied otherwise, asserted on the server side."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.configmgr.provider import SiteProvider
from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.errors import BootstrapFailed, HostUnreachable
from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.options import ConnectionOptions
from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.session import Session
from tests.lab.bench_play import Recorder
from tests.lab.lab import Lab
from tests.lab.wsman import encryption

CM01 = "cm01.contoso.com"
PROV01 = "prov01.contoso.com"
CAS01 = "cas01.contoso.com"


def _options(lab: Lab, fqdn: str, password: str | None = None, **overrides: Any) -> ConnectionOptions:
    hv = lab.host_vars(fqdn, password=password)
    return ConnectionOptions.from_host_vars(hv, overrides=overrides or None, inventory_hostname=fqdn)


def _through_site_server(lab: Lab, **overrides: Any) -> str:
    """Read PS1 from a session on cm01 with the CMSite drive rooted at prov01 (the second hop); the top-tier code."""
    with Session(_options(lab, CM01, **overrides)) as session:
        provider = SiteProvider(session, site_code="PS1", provider=PROV01, route="task_host")
        state = provider.read_state(include=("sites", "scp"))
    top = state.hierarchy.top_tier
    assert top is not None
    return top.site_code


@pytest.fixture(scope="module")
def credssp_lab() -> Iterator[Lab]:
    with Lab("remote-provider", auth="credssp") as running:
        yield running


def test_credssp_logs_on_over_https_and_delegates_the_users_credentials(credssp_lab: Lab) -> None:
    credssp_lab.clear_log()
    assert credssp_lab.host_vars(CM01)["ansible_psrp_auth"] == "credssp"
    assert _through_site_server(credssp_lab) == "PS1"
    logons = credssp_lab.logons()
    assert [(x["host"], x["method"], x["mechanism"], x["delegated"]) for x in logons] == [
        (CM01, "credssp", "credssp/ntlm", True)
    ]
    # the provider was reached through cm01's session, not by a connection of its own
    assert {c["host"] for c in credssp_lab.calls()} == {CM01}


def test_credssp_over_http_seals_every_message_and_splits_large_ones() -> None:
    """Over HTTP the library's default message encryption seals with the CredSSP TLS channel; an answer over 16 KiB
    goes as multipart/x-multi-encrypted in 16 KiB parts (MS-WSMV), which pypsrp reads back."""
    with Lab("hierarchy", auth="credssp", https=False) as lab:
        recorder = Recorder(lab)
        with Session(_options(lab, CAS01)) as session:
            state = SiteProvider(session).read_state(raw=True)
        assert state.hierarchy.top_tier is not None and state.hierarchy.top_tier.site_code == "CAS"
        assert max(r.received for r in recorder.requests()) > encryption.CREDSSP_CHUNK
        assert [x["method"] for x in lab.logons()] == ["credssp"]


class _Sealer:
    """A context whose wrap_winrm marks each part, to see how wrap splits a message."""

    def wrap_winrm(self, data: bytes) -> tuple[bytes, bytes, int]:
        return b"H", data, 0


def test_wrap_splits_credssp_messages_in_16k_parts_and_only_those() -> None:
    big = b"x" * (2 * encryption.CREDSSP_CHUNK + 10)
    content_type, body = encryption.wrap(_Sealer(), big, encryption.CREDSSP_PROTOCOL)
    assert content_type.startswith("multipart/x-multi-encrypted;") and encryption.CREDSSP_PROTOCOL in content_type
    assert body.count(b"Length=16384") == 2 and body.count(b"Length=10\r\n") == 1
    content_type, body = encryption.wrap(_Sealer(), big)
    assert content_type.startswith("multipart/encrypted;") and body.count(b"OriginalContent") == 1


def test_credssp_with_a_wrong_password_is_refused_with_a_clear_error(credssp_lab: Lab) -> None:
    credssp_lab.clear_log()
    with pytest.raises(HostUnreachable) as info:
        _through_site_server(credssp_lab, password="Not-the-password1")
    message = str(info.value)
    assert (
        info.value.reason == "auth" and "the host refused the logon: check ansible_user and ansible_password" in message
    )
    assert "Not-the-password1" not in message and "P@ssw0rd!" not in message
    assert credssp_lab.logons() == [] and credssp_lab.calls() == []


def test_credssp_where_the_listener_does_not_offer_it_says_how_to_enable_it() -> None:
    with Lab("standalone-primary", auth="credssp", credssp=False) as lab:
        with pytest.raises(HostUnreachable) as info:
            with Session(_options(lab, CM01)) as session:
                session.open()
        assert "does not offer CredSSP: enable it there (Enable-WSManCredSSP -Role Server)" in str(info.value)
        assert lab.logons() == []


def test_ntlm_cannot_make_the_second_hop_and_the_error_says_why() -> None:
    with Lab("remote-provider", auth="ntlm") as lab:
        with pytest.raises(BootstrapFailed) as info:
            _through_site_server(lab)
        message = str(info.value)
        assert (
            "Access is denied" in message and f"{PROV01} is reached from the session on {CM01}, a second hop" in message
        )
        assert (
            "auth=credssp" in message
            and "negotiate_delegate=true" in message
            and "sms_provider_route=direct" in message
        )
        assert [x["delegated"] for x in lab.logons()] == [False]


@pytest.mark.parametrize("delegate", [False, True])
def test_kerberos_makes_the_second_hop_only_with_a_forwarded_ticket(delegate: bool) -> None:
    with Lab("remote-provider", auth="kerberos") as lab:
        if delegate:
            assert _through_site_server(lab, negotiate_delegate=True) == "PS1"
        else:
            with pytest.raises(BootstrapFailed, match="Access is denied"):
                _through_site_server(lab)
        assert [(x["mechanism"], x["delegated"]) for x in lab.logons()] == [("kerberos", delegate)]


def test_the_direct_route_needs_no_delegation() -> None:
    """The default: the library connects to the provider itself, one hop each, whatever the auth."""
    with Lab("remote-provider", auth="ntlm") as lab:
        with Session(_options(lab, CM01)) as session:
            direct = SiteProvider(
                session,
                site_code="PS1",
                provider=PROV01,
                sessions=lambda fqdn: Session(_options(lab, fqdn)),
            )
            assert direct.read_state(include=("sites",)).hierarchy.top_tier is not None
        assert {c["host"] for c in lab.calls()} == {PROV01}
