"""Certificate facts via ``cryptography``: the fields the comms rules judge, computed once here.

Shared by the live TLS probe, the OPC UA probe (application certificates) and
the offline ``certificates:`` input, so an expired certificate reads the same
whichever way it was found. Derived fields (days to expiry, weak key, weak
signature, hostname match, chain trusted) are computed here because rules must
never compute.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import ssl
import warnings
from collections.abc import Sequence
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, padding, rsa
from cryptography.x509 import verification
from cryptography.x509.oid import ExtendedKeyUsageOID

from xposture.errors import InputError
from xposture.model import FieldValue

WEAK_HASHES = ("md5", "sha1", "md2", "md4")
MIN_RSA_BITS = 2048
"""NIST SP 800-131A: RSA/DSA keys below 2048 bits are disallowed for signatures since 2014."""
MIN_EC_BITS = 224
DEFAULT_EXPIRY_WARNING_DAYS = 30
MAX_VALIDITY_DAYS = 398
"""CA/Browser Forum baseline requirements' longest leaf validity (since 2020-09)."""


def load_trust_store(paths: Sequence[Path]) -> verification.Store | None:
    """A store from PEM files/folders, or from the system bundle when none are given (None if unavailable)."""
    certs: list[x509.Certificate] = []
    sources = list(paths)
    if not sources:
        cafile = ssl.get_default_verify_paths().cafile or "/etc/ssl/certs/ca-certificates.crt"
        sources = [Path(cafile)]
    for path in sources:
        files = sorted(p for p in path.iterdir() if p.is_file()) if path.is_dir() else [path]
        for file in files:
            try:
                data = file.read_bytes()
            except OSError:
                continue
            try:
                with warnings.catch_warnings():
                    # system bundles still carry a few legacy roots cryptography warns about
                    warnings.simplefilter("ignore")
                    certs.extend(x509.load_pem_x509_certificates(data))
            except ValueError:
                continue
    return verification.Store(certs) if certs else None


def load_certificate_file(path: Path) -> list[x509.Certificate]:
    """Certificates in a PEM (one or many) or DER file; anything else is an ``InputError``."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read: {exc}", file=str(path)) from exc
    try:
        if b"-----BEGIN" in data:
            return x509.load_pem_x509_certificates(data)
        return [x509.load_der_x509_certificate(data)]
    except ValueError as exc:
        raise InputError(f"not a PEM or DER certificate: {exc}", file=str(path)) from exc


def parse_der_chain(chain: Sequence[bytes]) -> tuple[list[x509.Certificate], str]:
    """Parse what the server sent; returns the certificates that parsed and an error text for the first that did not."""
    parsed: list[x509.Certificate] = []
    for position, der in enumerate(chain):
        try:
            parsed.append(x509.load_der_x509_certificate(der))
        except ValueError as exc:
            return parsed, f"certificate {position} does not parse: {exc}"
    return parsed, ""


def _key_facts(cert: x509.Certificate) -> tuple[str, int, str]:
    try:
        key = cert.public_key()
    except (ValueError, TypeError):
        return "unknown", 0, ""
    if isinstance(key, rsa.RSAPublicKey):
        return "rsa", key.key_size, ""
    if isinstance(key, ec.EllipticCurvePublicKey):
        return "ec", key.key_size, key.curve.name
    if isinstance(key, dsa.DSAPublicKey):
        return "dsa", key.key_size, ""
    if isinstance(key, ed25519.Ed25519PublicKey):
        return "ed25519", 256, ""
    if isinstance(key, ed448.Ed448PublicKey):
        return "ed448", 456, ""
    return type(key).__name__.lower(), 0, ""


def _signature_hash(cert: x509.Certificate) -> str:
    try:
        algorithm = cert.signature_hash_algorithm
    except Exception:  # unsupported algorithm OIDs raise UnsupportedAlgorithm
        return "unknown"
    if algorithm is None:
        return "none"  # Ed25519/Ed448 sign without a separate hash
    return algorithm.name.replace("-", "")


def _self_signed(cert: x509.Certificate) -> bool:
    """Issuer equals subject and the certificate's own key verifies its signature."""
    if cert.issuer != cert.subject:
        return False
    try:
        key = cert.public_key()
        if isinstance(key, rsa.RSAPublicKey):
            hash_alg = cert.signature_hash_algorithm
            if hash_alg is None:
                return False
            key.verify(cert.signature, cert.tbs_certificate_bytes, padding.PKCS1v15(), hash_alg)
        elif isinstance(key, ec.EllipticCurvePublicKey):
            hash_alg = cert.signature_hash_algorithm
            if hash_alg is None:
                return False
            key.verify(cert.signature, cert.tbs_certificate_bytes, ec.ECDSA(hash_alg))
        elif isinstance(key, (ed25519.Ed25519PublicKey, ed448.Ed448PublicKey)):
            key.verify(cert.signature, cert.tbs_certificate_bytes)
        else:
            return True  # DSA and others: same names is the best evidence we can check cheaply
    except Exception:
        return False
    return True


def _san(cert: x509.Certificate) -> tuple[list[str], list[str]]:
    try:
        ext = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except (x509.ExtensionNotFound, ValueError):
        return [], []
    dns = [str(name) for name in ext.get_values_for_type(x509.DNSName)]
    ips = [str(ip) for ip in ext.get_values_for_type(x509.IPAddress)]
    return dns, ips


def _common_names(cert: x509.Certificate) -> list[str]:
    try:
        return [str(a.value) for a in cert.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)]
    except ValueError:
        return []


def hostname_matches(name: str, dns: Sequence[str], ips: Sequence[str], common_names: Sequence[str]) -> bool:
    """RFC 6125 matching: IPs against iPAddress SANs; names against DNS SANs (one left-most wildcard), CN only without SANs."""
    try:
        address = ipaddress.ip_address(name)
    except ValueError:
        address = None
    if address is not None:
        return any(ipaddress.ip_address(ip) == address for ip in ips)
    wanted = name.lower().rstrip(".")
    for pattern in list(dns) or list(common_names):
        pat = pattern.lower().rstrip(".")
        if pat == wanted:
            return True
        if pat.startswith("*.") and "." in wanted:
            head, _, rest = wanted.partition(".")
            if head and rest == pat[2:]:
                return True
    return False


def _is_ca(cert: x509.Certificate) -> bool:
    try:
        return bool(cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca)
    except (x509.ExtensionNotFound, ValueError):
        return False


def chain_verdict(
    chain: Sequence[x509.Certificate], store: verification.Store | None, now: dt.datetime
) -> tuple[bool | None, str]:
    """Whether the presented chain builds to the trust store (hostname judged separately); None without a store."""
    if store is None or not chain:
        return None, "" if chain else "no certificate"
    leaf = chain[0]
    dns, ips = _san(leaf)
    subject: x509.DNSName | x509.IPAddress | None = None
    if dns:
        name = dns[0]
        subject = x509.DNSName(f"host.{name[2:]}" if name.startswith("*.") else name)
    elif ips:
        subject = x509.IPAddress(ipaddress.ip_address(ips[0]))
    try:
        if subject is None:
            verifier_c = verification.PolicyBuilder().store(store).time(now).build_client_verifier()
            verifier_c.verify(leaf, list(chain[1:]))
        else:
            verifier_s = verification.PolicyBuilder().store(store).time(now).build_server_verifier(subject)
            verifier_s.verify(leaf, list(chain[1:]))
    except verification.VerificationError as exc:
        return False, str(exc)
    except (ValueError, TypeError) as exc:
        return False, f"cannot verify: {exc}"
    return True, ""


def certificate_facts(
    chain: Sequence[x509.Certificate],
    *,
    hostname: str | None,
    store: verification.Store | None,
    now: dt.datetime | None = None,
    expiry_warning_days: int = DEFAULT_EXPIRY_WARNING_DAYS,
) -> list[dict[str, FieldValue]]:
    """Fields of every certificate in a presented chain (position 0 = leaf); chain-wide verdicts on each."""
    now = now or dt.datetime.now(dt.UTC)
    trusted, error = chain_verdict(chain, store, now)
    out: list[dict[str, FieldValue]] = []
    for position, cert in enumerate(chain):
        key_type, key_size, curve = _key_facts(cert)
        sig_hash = _signature_hash(cert)
        not_before, not_after = cert.not_valid_before_utc, cert.not_valid_after_utc
        dns, ips = _san(cert)
        self_signed = _self_signed(cert)
        weak_key = (key_type in ("rsa", "dsa") and key_size < MIN_RSA_BITS) or (
            key_type == "ec" and key_size < MIN_EC_BITS
        )
        days = (not_after - now).days if not_after >= now else -((now - not_after).days + 1)
        facts: dict[str, FieldValue] = {
            "cert.position": position,
            "cert.chain_length": len(chain),
            "cert.subject": cert.subject.rfc4514_string(),
            "cert.issuer": cert.issuer.rfc4514_string(),
            "cert.serial": format(cert.serial_number, "x"),
            "cert.sha256": cert.fingerprint(hashes.SHA256()).hex(),
            "cert.not_before": not_before.isoformat(),
            "cert.not_after": not_after.isoformat(),
            "cert.days_to_expiry": days,
            "cert.expired": now > not_after,
            "cert.not_yet_valid": now < not_before,
            "cert.expiring_soon": 0 <= days < expiry_warning_days,
            "cert.validity_days": (not_after - not_before).days,
            "cert.validity_too_long": position == 0 and (not_after - not_before).days > MAX_VALIDITY_DAYS,
            "cert.self_signed": self_signed,
            "cert.is_ca": _is_ca(cert),
            "cert.key_type": key_type,
            "cert.key_size": key_size,
            "cert.curve": curve or None,
            "cert.weak_key": weak_key,
            "cert.signature_hash": sig_hash,
            # a self-signed trust anchor's own signature is never checked, so its hash does not matter
            "cert.weak_signature": sig_hash in WEAK_HASHES and not (self_signed and position > 0),
            "cert.san_dns": dns,
            "cert.san_ip": ips,
            "cert.server_auth": _server_auth(cert),
        }
        if trusted is not None:
            facts["cert.chain_trusted"] = trusted
            facts["cert.chain_error"] = error or None
        if hostname and position == 0:
            facts["cert.hostname"] = hostname
            facts["cert.hostname_match"] = hostname_matches(hostname, dns, ips, _common_names(cert))
        out.append(facts)
    return out


def _server_auth(cert: x509.Certificate) -> bool | None:
    try:
        usages = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    except (x509.ExtensionNotFound, ValueError):
        return None
    return ExtendedKeyUsageOID.SERVER_AUTH in usages


def pem(cert: x509.Certificate) -> str:
    return cert.public_bytes(serialization.Encoding.PEM).decode("ascii")
