"""Per-connection HTTP authentication: Basic, NTLM/Negotiate/Kerberos and CredSSP (pyspnego acceptors), client
certificates.

NTLM and Negotiate authenticate the TCP connection, not the request: after the handshake later requests carry no
Authorization header, and the sealing state for message encryption lives here, one ``ConnectionAuth`` per connection.
Kerberos is accepted inside Negotiate (SPNEGO or a bare Kerberos token) through gssapi, with the keys of the keytab
named by KRB5_KTNAME (tests/lab/kdc.py); every accepted logon is recorded with the mechanism that carried it.

A logon is *delegated* when the server received credentials it could use for a second hop, as Windows would: CredSSP
hands the user's password to the server (MS-CSSP TSPasswordCreds, checked here against the account), Kerberos a
forwarded TGT (the context's delegate flag, set only when the client asked for delegation and its TGT was
forwardable). NTLM, Basic and certificates never delegate.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import os
import tempfile
import threading
from dataclasses import dataclass
from typing import Any

import spnego
from cryptography import x509
from cryptography.x509.oid import NameOID
from spnego.channel_bindings import GssChannelBindings

from tests.lab.wsman.backend import Backend

log = logging.getLogger(__name__)

CERT_AUTH_HEADER = "http://schemas.dmtf.org/wbem/wsman/1/wsman/secprofile/https/mutual"
UPN_OID = x509.ObjectIdentifier("1.3.6.1.4.1.311.20.2.3")


@dataclass
class AuthResult:
    """Outcome of one request's authentication step."""

    ok: bool  # the request may be processed
    headers: list[tuple[str, str]]  # WWW-Authenticate headers for the response
    handshake: bool = False  # a 401 leg of a handshake (recorded as action "auth")


class NtlmUserFile:
    """The process-wide NTLM_USER_FILE pyspnego's acceptor reads; the union of every running server's accounts."""

    _lock = threading.Lock()
    _owners: dict[int, list[tuple[str, str, str]]] = {}
    _dir: str | None = None

    @classmethod
    def register(cls, owner: int, accounts: list[tuple[str, str, str]]) -> None:
        with cls._lock:
            cls._owners[owner] = list(accounts)
            cls._write()

    @classmethod
    def unregister(cls, owner: int) -> None:
        with cls._lock:
            cls._owners.pop(owner, None)
            cls._write()

    @classmethod
    def _write(cls) -> None:
        if cls._dir is None:
            cls._dir = tempfile.mkdtemp(prefix="lab-ntlm-")
        path = os.path.join(cls._dir, "ntlm_users")
        lines = sorted({f"{d}:{u}:{p}" for accounts in cls._owners.values() for d, u, p in accounts})
        tmp = path + ".tmp"
        with open(tmp, "w", encoding="utf-8") as handle:
            handle.write("\n".join(lines) + "\n")
        os.replace(tmp, path)
        os.environ["NTLM_USER_FILE"] = path


def server_end_point_bindings(cert_der: bytes) -> GssChannelBindings:
    """RFC 5929 tls-server-end-point of our certificate (SHA-256 unless it is signed with a stronger hash)."""
    cert = x509.load_der_x509_certificate(cert_der)
    algo = cert.signature_hash_algorithm
    name = algo.name if algo is not None and algo.name not in ("md5", "sha1") else "sha256"
    digest = hashlib.new(name, cert_der).digest()
    return GssChannelBindings(application_data=b"tls-server-end-point:" + digest)


def certificate_identity(cert_der: bytes) -> tuple[str, str | None]:
    """(subject CN, UPN from the SAN otherName) of a client certificate."""
    cert = x509.load_der_x509_certificate(cert_der)
    cns = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    cn = str(cns[0].value) if cns else ""
    upn = None
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        for other in san.get_values_for_type(x509.OtherName):
            if other.type_id == UPN_OID:
                upn = _der_utf8(other.value)
    except x509.ExtensionNotFound:
        pass
    return cn, upn


def _der_utf8(value: bytes) -> str:
    """Decode a DER UTF8String (tag 0x0C), short or long length form."""
    if len(value) < 2 or value[0] != 0x0C:
        return value.decode("utf-8", "replace")
    length = value[1]
    offset = 2
    if length & 0x80:
        count = length & 0x7F
        length = int.from_bytes(value[2 : 2 + count], "big")
        offset += count
    return value[offset : offset + length].decode("utf-8")


class ConnectionAuth:
    """Authentication state of one TCP connection to one endpoint."""

    def __init__(
        self,
        backend: Backend,
        endpoint: Any,
        https: bool,
        bindings: GssChannelBindings | None,
        peer_cert_der: bytes | None,
    ) -> None:
        self.backend = backend
        self.endpoint = endpoint  # EndpointConfig
        self.https = https
        self.bindings = bindings
        self.peer_cert_der = peer_cert_der
        self.user: str | None = None  # authenticated on this connection (NTLM/Negotiate/certificate)
        self.method: str | None = None
        self.mechanism: str | None = None  # what really authenticated: "kerberos" or "ntlm" inside "negotiate"
        self.delegated = False  # the logon carried credentials for a second hop (see the module's docstring)
        self.context: Any = None  # pyspnego acceptor, also used for message encryption

    @property
    def name(self) -> str:
        return self.endpoint.name

    def challenge_headers(self) -> list[tuple[str, str]]:
        headers = [("WWW-Authenticate", "Negotiate")]
        if self.endpoint.credssp:
            headers.append(("WWW-Authenticate", "CredSSP"))
        if self.endpoint.allow_basic and (self.https or self.endpoint.allow_unencrypted):
            headers.append(("WWW-Authenticate", 'Basic realm="WSMAN"'))
        return headers

    def _deny(self) -> AuthResult:
        self.user = self.method = self.mechanism = self.context = None
        self.delegated = False
        return AuthResult(False, self.challenge_headers())

    def _accepted(self, user: str, method: str, mechanism: str, delegated: bool = False) -> None:
        self.method, self.mechanism, self.delegated = method, mechanism, delegated
        self.backend.record_logon(self.name, user, method, mechanism, delegated)

    def authenticate(self, authorization: str | None) -> tuple[AuthResult, str | None]:
        """(result, user of this request)."""
        if not authorization:
            if self.user is not None and self.method in ("ntlm", "negotiate", "credssp"):
                return AuthResult(True, []), self.user
            return self._deny(), None
        scheme, _unused, value = authorization.strip().partition(" ")
        scheme_l = scheme.lower()
        if authorization.strip() == CERT_AUTH_HEADER:
            return self._certificate()
        if self.backend.fault(self.name, "auth", scheme_l) == "fail_auth":
            return self._deny(), None
        if scheme_l == "basic":
            return self._basic(value)
        if scheme_l in ("negotiate", "ntlm", "kerberos"):
            return self._spnego(value.strip())
        if scheme_l == "credssp" and self.endpoint.credssp:
            return self._credssp(value.strip())
        return self._deny(), None

    def _basic(self, value: str) -> tuple[AuthResult, str | None]:
        if not self.endpoint.allow_basic or not (self.https or self.endpoint.allow_unencrypted):
            return self._deny(), None
        try:
            user, _unused, password = base64.b64decode(value).decode("utf-8").partition(":")
        except ValueError:
            return self._deny(), None
        canonical = self.backend.check_password(self.name, user, password)
        if canonical is None or not self.backend.authorize(self.name, canonical):
            return self._deny(), None
        self._accepted(canonical, "basic", "basic")
        return AuthResult(True, []), canonical

    def _spnego(self, value: str) -> tuple[AuthResult, str | None]:
        try:
            token = base64.b64decode(value)
        except ValueError:
            return self._deny(), None
        if self.context is None or self.user is not None or self._is_first_leg(token):
            protocol = "ntlm" if token.startswith(b"NTLMSSP\x00") else "negotiate"
            self.context = spnego.server(protocol=protocol, channel_bindings=self.bindings)
            self.method = protocol
            self.user = self.mechanism = None
        try:
            out = self.context.step(token)
        except Exception as exc:  # pyspnego's errors, and gssapi's own (a ticket from a skewed clock)
            # Kerberos failures (no key for the SPN, a ticket from another KDC) end here too: logged, then refused
            # with a 401, as Windows does, rather than a dropped connection.
            log.debug("%s: %s authentication failed: %s", self.name, self.method, exc)
            return self._deny(), None
        headers = [("WWW-Authenticate", f"Negotiate {base64.b64encode(out).decode()}")] if out else []
        if not self.context.complete:
            return AuthResult(False, headers, handshake=True), None
        user = str(self.context.client_principal or "")
        if not self.backend.authorize(self.name, user):
            return self._deny(), None
        self.user = user
        mechanism = getattr(self.context, "negotiated_protocol", None) or self.method or "negotiate"
        # a forwarded TGT: gssapi reports the delegate flag only when credentials were really delegated
        delegated = mechanism == "kerberos" and bool(self.context.context_attr & spnego.ContextReq.delegate)
        self._accepted(user, self.method or "negotiate", mechanism, delegated)
        return AuthResult(True, headers), user

    def _credssp(self, value: str) -> tuple[AuthResult, str | None]:
        """MS-CSSP: a TLS channel inside the HTTP auth headers, SPNEGO (Kerberos or NTLM) inside it, then the user's
        credentials sent to the server. pyspnego's acceptor does the protocol; the credentials must be the user's."""
        try:
            token = base64.b64decode(value)
        except ValueError:
            return self._deny(), None
        if self.context is None or self.method != "credssp" or self.user is not None:
            self.context = spnego.server(protocol="credssp")
            self.method, self.user, self.mechanism = "credssp", None, None
        try:
            out = self.context.step(token)
        except spnego.exceptions.SpnegoError as exc:
            log.debug("%s: credssp authentication failed: %s", self.name, exc)
            return self._deny(), None
        if not self.context.complete:
            headers = [("WWW-Authenticate", f"CredSSP {base64.b64encode(out).decode()}")] if out else []
            if not out:  # the acceptor refused inside the exchange (it sent the client an error code)
                return self._deny(), None
            return AuthResult(False, headers, handshake=True), None
        creds = self.context.get_extra_info("client_credential")
        inner = str(self.context.client_principal or "")
        given = f"{creds.domain_name}\\{creds.username}" if getattr(creds, "domain_name", "") else ""
        given = given or str(getattr(creds, "username", "") or "")
        password = str(getattr(creds, "password", "") or "")
        canonical = self.backend.check_password(self.name, given, password) if given else None
        # the delegated account must be the one that authenticated inside (Windows logs the user on with them)
        if canonical is None or self.backend.check_password(self.name, inner, password) != canonical:
            return self._deny(), None
        self.user = inner
        inner_mech = getattr(getattr(self.context, "_auth_context", None), "negotiated_protocol", None) or "ntlm"
        self._accepted(inner, "credssp", f"credssp/{inner_mech}", delegated=True)
        return AuthResult(True, []), inner

    @staticmethod
    def _is_first_leg(token: bytes) -> bool:
        return token.startswith(b"NTLMSSP\x00\x01") or token[:1] == b"\x60"  # NTLM NEGOTIATE or SPNEGO NegTokenInit

    def _certificate(self) -> tuple[AuthResult, str | None]:
        if self.user is not None and self.method == "certificate":
            return AuthResult(True, []), self.user
        if not (self.https and self.endpoint.cert_auth and self.peer_cert_der):
            return self._deny(), None
        if self.backend.fault(self.name, "auth", "certificate") == "fail_auth":
            return self._deny(), None
        cn, upn = certificate_identity(self.peer_cert_der)
        user = self.backend.map_certificate(self.name, cn, upn)
        if user is None or not self.backend.authorize(self.name, user):
            return self._deny(), None
        self.user = user
        self._accepted(user, "certificate", "certificate")
        return AuthResult(True, []), user
