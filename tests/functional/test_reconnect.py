"""Reconnection attempts against a dead host, counted on the wire: `reconnection_retries: N` makes exactly 1 + N
connection attempts (Session.open is the one retry layer; pypsrp's own connect retries are off), with the backoff
X, 2X, 4X between them. Before, both layers retried: 3 retries made (1 + 3) x (1 + 3) = 16 attempts."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.errors import HostUnreachable
from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.options import ConnectionOptions
from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.pipeline import Pipeline
from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.session import Session

BACKOFF = 0.5


def options(port: int, retries: int) -> ConnectionOptions:
    return ConnectionOptions.from_mapping(
        {
            "host": "127.0.0.1",
            "port": port,
            "protocol": "http",
            "auth": "ntlm",
            "username": "LAB\\lab",
            "password": "labpass",
            "display_name": "cm01",
            "reconnection_retries": retries,
            "reconnection_backoff": BACKOFF,
        }
    )


def read(session: Session) -> None:
    pipeline = Pipeline(operation="read the sites")
    pipeline.add("Get-CMSite")
    session.run(pipeline, idempotent=True)


@pytest.fixture
def refused_port(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[int, list[Any]]]:
    """A port with nothing listening (bound, never listening: every connect is refused), and the list of the
    connect() calls made to it."""
    attempts: list[Any] = []
    original = socket.socket.connect
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        port = holder.getsockname()[1]

        def counting(self: socket.socket, address: Any) -> Any:
            if isinstance(address, tuple) and address[1] == port:
                attempts.append(address)
            return original(self, address)

        monkeypatch.setattr(socket.socket, "connect", counting)
        yield port, attempts


@pytest.fixture
def closing_port() -> Iterator[tuple[int, list[Any]]]:
    """A port that accepts each connection and closes it at once (a WinRM service going down), and the list of
    the connections it accepted."""
    accepted: list[Any] = []
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    server.settimeout(0.2)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, peer = server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            accepted.append(peer)
            conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield server.getsockname()[1], accepted
    finally:
        stop.set()
        thread.join(2)
        server.close()


@pytest.mark.parametrize("retries", [0, 3])
def test_a_refused_port_gets_one_attempt_plus_the_retries(refused_port, retries):
    port, attempts = refused_port
    sleeps: list[float] = []
    session = Session(options(port, retries), sleep=sleeps.append)
    with pytest.raises(HostUnreachable) as info:
        read(session)
    assert len(attempts) == 1 + retries, attempts
    assert sleeps == [BACKOFF * 2**i for i in range(retries)]  # X, 2X, 4X
    err = info.value
    assert err.reason == "connection" and err.host == "cm01" and err.operation == "open a PowerShell session"
    assert str(err).startswith("open a PowerShell session on cm01: connection failed: ")
    assert "Connection refused" in str(err) and "labpass" not in str(err)
    assert not session.is_open


@pytest.mark.parametrize("retries", [0, 3])
def test_a_port_that_closes_every_connection_gets_one_attempt_plus_the_retries(closing_port, retries):
    port, accepted = closing_port
    sleeps: list[float] = []
    with pytest.raises(HostUnreachable) as info:
        read(Session(options(port, retries), sleep=sleeps.append))
    assert len(accepted) == 1 + retries, accepted
    assert len(sleeps) == retries
    assert info.value.reason == "connection" and info.value.host == "cm01"
