"""The lab's WinRM listener: one stdlib HTTP(S) server per simulated host, all in one process.

Usage::

    server = WSManServer(backend, [EndpointConfig("scp01.contoso.com"), EndpointConfig("cas.contoso.com", https=True, certs=pki)])
    ports = server.start()          # {"scp01.contoso.com": 41234, ...}
    ...
    server.stop()
"""

from __future__ import annotations

import logging
import socket
import ssl
import threading
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.lab.wsman import encryption, soap, trace
from tests.lab.wsman.auth import ConnectionAuth, NtlmUserFile, server_end_point_bindings
from tests.lab.wsman.backend import Backend
from tests.lab.wsman.certs import LabPKI
from tests.lab.wsman.dispatch import AnswerLost, Caller, Dispatcher, Outcome

log = logging.getLogger(__name__)

SOAP_CONTENT_TYPE = "application/soap+xml;charset=UTF-8"


@dataclass
class EndpointConfig:
    """One simulated Windows host's WinRM listener."""

    name: str  # the host's FQDN; the endpoint name passed to every Backend call
    port: int = 0  # 0 = any free port
    https: bool = False
    certs: LabPKI | None = None  # lab PKI holding a server certificate for ``name`` (https)
    tls_context_factory: Callable[[], ssl.SSLContext] | None = None  # instead of certs: your own server context
    server_cert_path: str | None = None  # with tls_context_factory: PEM of the server cert, for channel binding
    allow_basic: bool = True  # Windows: Service/Auth/Basic
    allow_unencrypted: bool = True  # Windows: Service/AllowUnencrypted (Basic or unsealed NTLM over HTTP)
    cert_auth: bool = False  # Windows: Service/Auth/Certificate (https only)
    credssp: bool = False  # Windows: Service/Auth/CredSSP (Enable-WSManCredSSP -Role Server; off by default)
    max_poll: float = 20.0  # cap of a Receive long-poll (the client's OperationTimeout is honoured below it)
    fault_hold: float = 35.0  # how long "timeout" / "lost_receive" hold a request before closing the socket

    def tls_context(self) -> ssl.SSLContext:
        if self.tls_context_factory is not None:
            return self.tls_context_factory()
        if self.certs is None:
            raise ValueError(f"endpoint {self.name}: https needs certs or tls_context_factory")
        return self.certs.server_context(self.name, client_auth=self.cert_auth)

    def cert_der(self) -> bytes | None:
        path = self.server_cert_path or (
            self.certs.servers[self.name].cert_path if self.certs and self.name in self.certs.servers else None
        )
        if path is None:
            return None
        with open(path, "rb") as handle:
            return ssl.PEM_cert_to_DER_cert(handle.read().decode())


class _EndpointHTTPServer(ThreadingHTTPServer):
    # Handler threads are daemons and server_close() does not wait for them: a client that keeps an idle
    # keep-alive connection (or stalls in a TLS handshake) must never keep the lab, or the test process, alive.
    # stop() shuts every tracked socket down, which ends the handlers that matter.
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True

    def __init__(self, config: EndpointConfig, backend: Backend, stopping: threading.Event) -> None:
        self.config = config
        self.backend = backend
        self.stopping = stopping
        self.dispatcher = Dispatcher(backend, config.name, config.max_poll)
        self.tls: ssl.SSLContext | None = config.tls_context() if config.https else None
        der = config.cert_der() if config.https else None
        self.bindings = server_end_point_bindings(der) if der else None
        self._conns: set[socket.socket] = set()
        self._conns_lock = threading.Lock()
        super().__init__(("127.0.0.1", config.port), _Handler)

    def get_request(self) -> tuple[Any, Any]:
        sock, addr = super().get_request()
        if self.tls is not None:
            # Handshake later, in the handler thread, so a stalled client cannot block accept().
            sock = self.tls.wrap_socket(sock, server_side=True, do_handshake_on_connect=False)
        return sock, addr

    def track(self, sock: socket.socket, add: bool) -> None:
        with self._conns_lock:
            if add:
                self._conns.add(sock)
            else:
                self._conns.discard(sock)

    def close_connections(self) -> None:
        with self._conns_lock:
            conns = list(self._conns)
        for sock in conns:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def handle_error(self, request: Any, client_address: Any) -> None:
        log.debug("%s: connection from %s failed", self.config.name, client_address, exc_info=True)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # http.server writes headers and body separately: Nagle + delayed ACK = +40 ms
    server_version = "Microsoft-HTTPAPI/2.0"
    sys_version = ""
    server: _EndpointHTTPServer
    auth: ConnectionAuth

    def setup(self) -> None:
        self.server.track(self.request, True)
        peer_der = None
        if isinstance(self.request, ssl.SSLSocket):
            self.request.settimeout(10)
            self.request.do_handshake()
            self.request.settimeout(None)
            peer_der = self.request.getpeercert(binary_form=True)
        super().setup()
        cfg = self.server.config
        self.auth = ConnectionAuth(self.server.backend, cfg, cfg.https, self.server.bindings, peer_der)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.track(self.request, False)

    def log_message(self, format: str, *args: Any) -> None:  # pylint: disable=redefined-builtin
        log.debug("%s: " + format, self.server.config.name, *args)

    # -- HTTP ----------------------------------------------------------------------------------------------------
    def do_POST(self) -> None:  # pylint: disable=invalid-name
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        if self.path.split("?", 1)[0].rstrip("/").lower() != "/wsman":
            self._reply(404, b"", "", [], "unknown", len(body))
            return
        result, user = self.auth.authenticate(self.headers.get("Authorization"))
        if not result.ok or user is None:
            self._reply(401, b"", "", result.headers, "auth", len(body))
            return
        content_type = self.headers.get("Content-Type", "")
        sealed = encryption.is_encrypted(content_type)
        if not body:  # pypsrp's empty POST that sets up the security context for encryption
            self._reply(200, b"", "", result.headers, "auth", 0)
            return
        if not sealed and not self.server.config.https and not self.server.config.allow_unencrypted:
            self._reply(401, b"", "", self.auth.challenge_headers(), "auth", len(body))
            return
        self._soap(body, sealed, user, result.headers)

    def _soap(self, body: bytes, sealed: bool, user: str, auth_headers: list[tuple[str, str]]) -> None:
        cfg = self.server.config
        relates_to, action = "", "unknown"
        try:
            plain = encryption.unwrap(self.auth.context, body) if sealed else body
            req = soap.parse_request(plain)
            relates_to, action = req.message_id, req.short_action
            fault = self.server.backend.fault(cfg.name, "request", action)
            if fault in ("drop", "timeout"):
                self._abort(fault, action, len(body))
                return
            caller = Caller(
                user,
                self.auth.method or "",
                self.client_address[0],
                f"{'https' if cfg.https else 'http'}://{self.headers.get('Host', cfg.name)}/wsman",
                self.auth.delegated,
            )
            try:
                outcome = self.server.dispatcher.handle(req, caller)
            except AnswerLost as lost:  # the request was handled; its answer never reaches the client
                self._abort("timeout" if lost.kind == "lost_receive" else "drop", action, len(body))
                return
            status, payload = 200, soap.envelope(outcome.action, relates_to, outcome.body)
        except soap.WSManFault as exc:
            outcome = Outcome(exc.action)
            status, payload = 500, soap.fault_envelope(exc, relates_to, cfg.name)
        except Exception as exc:  # never a bare 500: pypsrp can only report a SOAP fault sensibly
            log.exception("%s: %s failed", cfg.name, action)
            outcome = Outcome(soap.FAULT_ACTION)
            status, payload = (
                500,
                soap.fault_envelope(soap.internal_error(f"{type(exc).__name__}: {exc}"), relates_to, cfg.name),
            )
        content_type = SOAP_CONTENT_TYPE
        if sealed:
            protocol = encryption.CREDSSP_PROTOCOL if self.auth.method == "credssp" else encryption.SPNEGO_PROTOCOL
            content_type, payload = encryption.wrap(self.auth.context, payload, protocol)
        trace.request(cfg.name, action, status, outcome.psrp_in, outcome.psrp_out)
        self._reply(status, payload, content_type, auth_headers, action, len(body))

    def _abort(self, fault: str, action: str, bytes_in: int) -> None:
        """Injected network faults: close without answering, after holding the request for "timeout"."""
        if fault == "timeout":
            self.server.stopping.wait(self.server.config.fault_hold)
        self.close_connection = True
        self.server.backend.record_request(self.server.config.name, action, bytes_in, 0, 0)
        try:
            self.request.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def _reply(
        self, status: int, payload: bytes, content_type: str, headers: list[tuple[str, str]], action: str, bytes_in: int
    ) -> None:
        # Record first: once the answer is on the wire the client may read the log before this thread runs again.
        self.server.backend.record_request(self.server.config.name, action, bytes_in, len(payload), status)
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        if content_type:
            self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if payload:
            self.wfile.write(payload)


class WSManServer:
    """Serves every endpoint on 127.0.0.1 from one process; ``start()`` returns {endpoint name: port}."""

    def __init__(self, backend: Backend, endpoints: list[EndpointConfig]) -> None:
        self.backend = backend
        self.endpoints = list(endpoints)
        self.ports: dict[str, int] = {}
        self._servers: list[_EndpointHTTPServer] = []
        self._threads: list[threading.Thread] = []
        self._stopping = threading.Event()

    def start(self) -> dict[str, int]:
        trace.setup()
        NtlmUserFile.register(id(self), self.backend.ntlm_accounts())
        self._stopping.clear()
        try:
            for cfg in self.endpoints:
                httpd = _EndpointHTTPServer(cfg, self.backend, self._stopping)
                thread = threading.Thread(
                    target=httpd.serve_forever, kwargs={"poll_interval": 0.2}, name=f"wsman-{cfg.name}", daemon=True
                )
                thread.start()
                self._servers.append(httpd)
                self._threads.append(thread)
                self.ports[cfg.name] = httpd.server_address[1]
        except Exception:
            self.stop()
            raise
        return dict(self.ports)

    def port(self, name: str) -> int:
        return self.ports[name]

    def url(self, name: str) -> str:
        cfg = next(c for c in self.endpoints if c.name == name)
        return f"{'https' if cfg.https else 'http'}://127.0.0.1:{self.ports[name]}/wsman"

    def shell_count(self, name: str) -> int:
        return next(s.dispatcher.shell_count for s in self._servers if s.config.name == name)

    def stop(self) -> None:
        self._stopping.set()
        for httpd in self._servers:
            httpd.shutdown()
        for httpd in self._servers:
            httpd.dispatcher.close_all()
            httpd.close_connections()
            httpd.server_close()
        for thread in self._threads:
            thread.join(timeout=5)
        self._servers.clear()
        self._threads.clear()
        NtlmUserFile.unregister(id(self))

    def __enter__(self) -> WSManServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
