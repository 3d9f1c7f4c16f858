"""Certificates generated in the test with ``cryptography``: CA-signed, self-signed, expired, RSA-1024, SHA-1."""

from __future__ import annotations

import datetime as dt
import ipaddress
import subprocess
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID


@dataclass
class CertFiles:
    cert: Path
    key: Path
    ca: Path | None = None


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _write_key(key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey, path: Path) -> None:
    path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )


def make_cert(
    folder: Path,
    name: str,
    *,
    key_bits: int = 2048,
    ec_key: bool = False,
    hash_alg: hashes.HashAlgorithm | None = None,
    days_valid: int = 90,
    expired: bool = False,
    self_signed: bool = False,
    hostnames: tuple[str, ...] = ("localhost",),
    ca_signed: bool = True,
) -> CertFiles:
    """A server certificate for 127.0.0.1 and ``hostnames``, signed by a fresh CA unless self-signed."""
    folder.mkdir(parents=True, exist_ok=True)
    now = dt.datetime.now(dt.UTC)
    start, end = (
        (now - dt.timedelta(days=400), now - dt.timedelta(days=10))
        if expired
        else (
            now - dt.timedelta(days=1),
            now + dt.timedelta(days=days_valid),
        )
    )
    key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey = (
        ec.generate_private_key(ec.SECP256R1()) if ec_key else rsa.generate_private_key(65537, key_bits)
    )
    sans: list[x509.GeneralName] = [x509.DNSName(h) for h in hostnames]
    sans.append(x509.IPAddress(ipaddress.ip_address("127.0.0.1")))
    ca_path = None
    if self_signed or not ca_signed:
        issuer_name, issuer_key = _name(name), key
    else:
        ca_key = rsa.generate_private_key(65537, 2048)
        ca_cert = (
            x509.CertificateBuilder()
            .subject_name(_name(f"{name} test CA"))
            .issuer_name(_name(f"{name} test CA"))
            .public_key(ca_key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=2))
            .not_valid_after(now + dt.timedelta(days=3650))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
            .sign(ca_key, hashes.SHA256())
        )
        ca_path = folder / f"{name}-ca.pem"
        ca_path.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
        issuer_name, issuer_key = ca_cert.subject, ca_key
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(name))
        .issuer_name(issuer_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(x509.SubjectAlternativeName(sans), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
    )
    if issuer_key is not key:
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()),  # type: ignore[arg-type]
            critical=False,
        )
    cert_path, key_path = folder / f"{name}.pem", folder / f"{name}.key"
    _write_key(key, key_path)
    if isinstance(hash_alg, hashes.SHA1):
        # cryptography refuses to sign with SHA-1, OpenSSL's CLI still does: exactly the legacy device case
        _openssl_sha1_self_signed(key_path, cert_path, name, hostnames, days_valid)
        return CertFiles(cert_path, key_path, None)
    cert = builder.sign(issuer_key, hash_alg or hashes.SHA256())
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return CertFiles(cert_path, key_path, ca_path)


def _openssl_sha1_self_signed(key: Path, cert: Path, name: str, hostnames: tuple[str, ...], days: int) -> None:
    san = ",".join([*(f"DNS:{h}" for h in hostnames), "IP:127.0.0.1"])
    subprocess.run(
        ["openssl", "req", "-new", "-x509", "-key", str(key), "-out", str(cert), "-sha1", "-days", str(days),
         "-subj", f"/CN={name}", "-addext", f"subjectAltName={san}"],
        check=True, capture_output=True,
    )  # fmt: skip
