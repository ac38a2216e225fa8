"""A throw-away PKI for the lab: a CA, one server leaf per endpoint, one client certificate for cert auth."""

from __future__ import annotations

import datetime
import ipaddress
import os
import ssl
from dataclasses import dataclass, field

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from tests.lab.wsman.auth import UPN_OID


@dataclass
class CertPair:
    cert_path: str
    key_path: str


@dataclass
class LabPKI:
    directory: str
    ca_path: str  # give this to cert_validation= or REQUESTS_CA_BUNDLE
    ca_key_path: str
    servers: dict[str, CertPair] = field(default_factory=dict)  # by FQDN
    client: CertPair | None = None

    def server_context(self, name: str, client_auth: bool = False) -> ssl.SSLContext:
        """TLS context for endpoint ``name``; with client_auth the lab CA is trusted for client certificates."""
        pair = self.servers[name]
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(pair.cert_path, pair.key_path)
        if client_auth:
            ctx.verify_mode = ssl.CERT_OPTIONAL
            ctx.load_verify_locations(self.ca_path)
        return ctx


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _write(directory: str, stem: str, cert: x509.Certificate, key: ec.EllipticCurvePrivateKey) -> CertPair:
    cert_path = os.path.join(directory, f"{stem}.pem")
    key_path = os.path.join(directory, f"{stem}.key")
    with open(cert_path, "wb") as handle:
        handle.write(cert.public_bytes(serialization.Encoding.PEM))
    with open(key_path, "wb") as handle:
        handle.write(
            key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )
    return CertPair(cert_path, key_path)


def _builder(
    subject: x509.Name, issuer: x509.Name, public_key: ec.EllipticCurvePublicKey, days: int
) -> x509.CertificateBuilder:
    now = datetime.datetime.now(datetime.timezone.utc)
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=days))
    )


def _utf8_der(text: str) -> bytes:
    data = text.encode("utf-8")
    if len(data) < 128:
        return b"\x0c" + bytes([len(data)]) + data
    size = len(data).to_bytes((len(data).bit_length() + 7) // 8, "big")
    return b"\x0c" + bytes([0x80 | len(size)]) + size + data


def make_pki(
    directory: str,
    server_names: list[str],
    client_cn: str = "lab",
    client_upn: str | None = "lab@lab.local",
    days: int = 30,
) -> LabPKI:
    """Write the CA, a leaf per server (SAN: FQDN, localhost, 127.0.0.1) and a client certificate as PEMs to directory."""
    os.makedirs(directory, exist_ok=True)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = _name("Lab Root CA")
    ca_cert = (
        _builder(ca_name, ca_name, ca_key.public_key(), days)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                key_cert_sign=True,
                crl_sign=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    ca_pair = _write(directory, "ca", ca_cert, ca_key)
    pki = LabPKI(directory, ca_pair.cert_path, ca_pair.key_path)
    aki = x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key())
    for name in server_names:
        key = ec.generate_private_key(ec.SECP256R1())
        san = x509.SubjectAlternativeName(
            [x509.DNSName(name), x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
        )
        cert = (
            _builder(_name(name), ca_name, key.public_key(), days)
            .add_extension(san, critical=False)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(aki, critical=False)
            .sign(ca_key, hashes.SHA256())
        )
        pki.servers[name] = _write(directory, f"server-{name}", cert, key)
    key = ec.generate_private_key(ec.SECP256R1())
    builder = (
        _builder(_name(client_cn), ca_name, key.public_key(), days)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
        .add_extension(aki, critical=False)
    )
    if client_upn:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.OtherName(UPN_OID, _utf8_der(client_upn))]), critical=False
        )
    pki.client = _write(directory, "client", builder.sign(ca_key, hashes.SHA256()), key)
    return pki
