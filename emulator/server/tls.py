"""A private certificate authority and a loopback server certificate for ``--tls``.

Clients trust the CA file (``requests.get(..., verify=ca_file)``); the server presents a
certificate signed by it for ``127.0.0.1`` and ``localhost``. Both are written once next
to the database and reused while valid, so a client keeps trusting the same file.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import ssl
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

VALIDITY = dt.timedelta(days=825)
RENEW_BEFORE = dt.timedelta(days=7)


@dataclass(frozen=True)
class TlsFiles:
    ca_file: Path
    cert_file: Path
    key_file: Path

    def server_context(self) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.load_cert_chain(self.cert_file, self.key_file)
        return context


def ensure_tls_files(directory: Path, *, now: dt.datetime | None = None) -> TlsFiles:
    """Return the CA and server certificate in ``directory``, creating or renewing them."""
    now = now or dt.datetime.now(dt.UTC)
    files = TlsFiles(
        directory / "emulator-ca.pem", directory / "emulator-server.pem", directory / "emulator-server-key.pem"
    )
    if _still_valid(files, now):
        return files
    directory.mkdir(parents=True, exist_ok=True)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "CommSuite Dataverse emulator local CA")])
    ca_cert = (
        _builder(ca_name, ca_name, ca_key.public_key(), now)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    server_key = ec.generate_private_key(ec.SECP256R1())
    server_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    alt_names = [
        x509.DNSName("localhost"),
        x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
        x509.IPAddress(ipaddress.ip_address("::1")),
    ]
    server_cert = (
        _builder(server_name, ca_name, server_key.public_key(), now)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.SubjectAlternativeName(alt_names), critical=False)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    _write(files.ca_file, ca_cert.public_bytes(serialization.Encoding.PEM), private=False)
    _write(files.cert_file, server_cert.public_bytes(serialization.Encoding.PEM), private=False)
    key_pem = server_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    _write(files.key_file, key_pem, private=True)
    return files


def _builder(
    subject: x509.Name, issuer: x509.Name, public_key: ec.EllipticCurvePublicKey, now: dt.datetime
) -> x509.CertificateBuilder:
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + VALIDITY)
    )


def _still_valid(files: TlsFiles, now: dt.datetime) -> bool:
    if not all(path.is_file() for path in (files.ca_file, files.cert_file, files.key_file)):
        return False
    try:
        cert = x509.load_pem_x509_certificate(files.cert_file.read_bytes())
        ca = x509.load_pem_x509_certificate(files.ca_file.read_bytes())
    except ValueError:
        return False
    return min(cert.not_valid_after_utc, ca.not_valid_after_utc) - RENEW_BEFORE > now


def _write(path: Path, data: bytes, *, private: bool) -> None:
    temporary = path.with_suffix(path.suffix + ".tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600 if private else 0o644)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(data)
    os.replace(temporary, path)
