"""Fixtures for the transport self-tests (tests/lab/selftest/test_transport.py); all named transport_*."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from pypsrp.wsman import WSMan

from tests.lab.wsman.certs import LabPKI, make_pki
from tests.lab.wsman.fake import FakeBackend
from tests.lab.wsman.server import EndpointConfig, WSManServer

PLAIN = "plain.lab.local"  # HTTP, Basic allowed
SECURE = "secure.lab.local"  # HTTPS with client-certificate auth
BADCBT = "badcbt.lab.local"  # HTTPS whose channel-binding hash is deliberately wrong
FAULTY = "faulty.lab.local"  # HTTP, short fault hold, for injected faults


@dataclass
class TransportLab:
    server: WSManServer
    backend: FakeBackend
    pki: LabPKI

    def wsman(
        self, name: str, auth: str = "basic", user: str = "LAB\\lab", password: str = "labpass", **kwargs: Any
    ) -> WSMan:
        https = name in (SECURE, BADCBT)
        kwargs.setdefault("encryption", "never" if auth == "basic" and not https else "auto")
        if https:
            kwargs.setdefault("cert_validation", self.pki.ca_path)
        if auth == "certificate":
            assert self.pki.client is not None
            kwargs.update(certificate_pem=self.pki.client.cert_path, certificate_key_pem=self.pki.client.key_path)
            user = password = None  # type: ignore[assignment]
        return WSMan(
            "127.0.0.1", port=self.server.port(name), ssl=https, auth=auth, username=user, password=password, **kwargs
        )


@pytest.fixture(scope="session")
def transport_lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TransportLab]:
    pki = make_pki(str(tmp_path_factory.mktemp("transport-pki")), [SECURE, BADCBT])
    backend = FakeBackend()
    endpoints = [
        EndpointConfig(PLAIN),
        EndpointConfig(SECURE, https=True, certs=pki, cert_auth=True),
        EndpointConfig(BADCBT, https=True, certs=pki, server_cert_path=pki.ca_path),
        EndpointConfig(FAULTY, fault_hold=3.0),
    ]
    server = WSManServer(backend, endpoints)
    server.start()
    yield TransportLab(server, backend, pki)
    server.stop()


@pytest.fixture
def transport_backend(transport_lab: TransportLab) -> Iterator[FakeBackend]:
    """The shared fake backend, with fault rules cleared after each test."""
    yield transport_lab.backend
    with transport_lab.backend.lock:
        transport_lab.backend.faults.clear()
