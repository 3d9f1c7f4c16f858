"""DSSE envelopes: parse them, and verify their signatures offline.

Keyed envelopes are checked with securesystemslib against the public keys
the inventory names. cosign (and slsa-github-generator) leave ``keyid``
empty, so every signature is tried against every key rather than matched by
keyid (securesystemslib's own ``Envelope.verify`` matches by keyid and, in
``from_dict``, even rejects two signatures sharing the empty keyid).
Envelopes carrying a Fulcio certificate are checked against the Fulcio CAs
of a Sigstore trusted root file.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from cryptography.x509.verification import Criticality, ExtensionPolicy, PolicyBuilder, Store, VerificationError
from securesystemslib.exceptions import UnverifiedSignatureError
from securesystemslib.exceptions import VerificationError as SslibVerificationError
from securesystemslib.signer import Signature, SSlibKey  # type: ignore[attr-defined]

from xposture.errors import InputError
from xposture.scanners.supplychain.attest_verdict import Verdict

OIDC_ISSUER_V1 = x509.ObjectIdentifier("1.3.6.1.4.1.57264.1.1")
OIDC_ISSUER_V2 = x509.ObjectIdentifier("1.3.6.1.4.1.57264.1.8")


@dataclass(frozen=True, slots=True)
class DsseSignature:
    keyid: str
    sig: bytes
    cert_pem: str = ""


@dataclass(frozen=True, slots=True)
class Envelope:
    payload_type: str
    payload: bytes
    signatures: tuple[DsseSignature, ...]

    def pae(self) -> bytes:
        """DSSE pre-authentication encoding: what is actually signed."""
        ptype = self.payload_type.encode("utf-8")
        return b"DSSEv1 %d %b %d %b" % (len(ptype), ptype, len(self.payload), self.payload)


@dataclass(frozen=True, slots=True)
class NamedKey:
    """A trusted public key and the name people know it by (its file name)."""

    name: str
    key: SSlibKey


def is_envelope(obj: Any) -> bool:
    return isinstance(obj, Mapping) and "payload" in obj and "payloadType" in obj and "signatures" in obj


def parse_envelope(obj: Mapping[str, Any], *, file: str) -> Envelope:
    """Decode an envelope; malformed base64 or fields raise ``InputError``."""
    try:
        payload = base64.b64decode(str(obj["payload"]), validate=False)
        sigs = []
        for raw in obj.get("signatures") or []:
            if not isinstance(raw, Mapping):
                raise InputError("DSSE signature is not an object", file=file)
            sigs.append(
                DsseSignature(
                    keyid=str(raw.get("keyid") or ""),
                    sig=base64.b64decode(str(raw.get("sig", "")), validate=False),
                    cert_pem=str(raw.get("cert") or ""),
                )
            )
    except (binascii.Error, ValueError, KeyError) as exc:
        raise InputError(f"malformed DSSE envelope: {exc}", file=file) from exc
    return Envelope(str(obj["payloadType"]), payload, tuple(sigs))


def load_public_keys(paths: Sequence[Path]) -> list[NamedKey]:
    """PEM public keys (or certificates) from files; in-toto style JSON keys are read by in-toto itself."""
    keys: list[NamedKey] = []
    for path in paths:
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise InputError(f"cannot read key: {exc.strerror or exc}", file=str(path)) from exc
        try:
            public: Any = (
                x509.load_pem_x509_certificate(data).public_key()
                if b"BEGIN CERTIFICATE" in data
                else load_pem_public_key(data)
            )
            keys.append(NamedKey(path.name, SSlibKey.from_crypto(public)))
        except (ValueError, TypeError) as exc:
            raise InputError(f"not a supported PEM public key: {exc}", file=str(path)) from exc
    return keys


def verify_keyed(envelope: Envelope, keys: Sequence[NamedKey], verdict: Verdict) -> bool:
    """True when some signature verifies under some trusted key (keyid ignored, see module doc)."""
    pae = envelope.pae()
    tried = False
    for signature in envelope.signatures:
        for named in keys:
            tried = True
            for sig in _encodings(signature.sig, named.key):
                candidate = Signature(keyid=named.key.keyid, sig=sig.hex())
                try:
                    named.key.verify_signature(candidate, pae)
                except (UnverifiedSignatureError, SslibVerificationError):
                    continue
                verdict.signer = verdict.signer or named.name
                verdict.key_id = signature.keyid or named.key.keyid
                return True
    if not tried:
        verdict.gap("no_trusted_key", "no trusted public key configured for this keyed signature")
    else:
        # Like ``cosign verify --key``: with trusted keys given, a signature none of them verifies is a
        # failure - the payload was altered or someone else signed it; either way it must not be trusted.
        ids = ", ".join(sorted({s.keyid or "(empty keyid)" for s in envelope.signatures}))
        verdict.fail("signature_invalid", f"no trusted key verifies the signature (keyid {ids}): altered or foreign")
    return False


def _encodings(sig: bytes, key: SSlibKey) -> list[bytes]:
    """ECDSA signatures come DER-encoded (cosign) or as raw r||s (some KMS signers): try both."""
    if key.keytype.startswith("ecdsa") and len(sig) in (64, 96):
        half = len(sig) // 2
        der = encode_dss_signature(int.from_bytes(sig[:half], "big"), int.from_bytes(sig[half:], "big"))
        return [sig, der]
    return [sig]


def verify_signature_with_key(public: Any, signature: bytes, data: bytes) -> bool:
    """Raw signature check with a pyca key; used to prove a payload was (not) altered."""
    try:
        if isinstance(public, ec.EllipticCurvePublicKey):
            algorithm: hashes.HashAlgorithm = hashes.SHA384() if public.curve.key_size == 384 else hashes.SHA256()
            public.verify(signature, data, ec.ECDSA(algorithm))
        elif isinstance(public, rsa.RSAPublicKey):
            try:
                public.verify(signature, data, padding.PKCS1v15(), hashes.SHA256())
            except InvalidSignature:
                pss = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=padding.PSS.AUTO)
                public.verify(signature, data, pss, hashes.SHA256())
        elif isinstance(public, ed25519.Ed25519PublicKey):
            public.verify(signature, data)
        else:
            return False
    except InvalidSignature:
        return False
    return True


def certificate_identity(cert: x509.Certificate) -> tuple[str, str]:
    """Signer identity (SAN URI/email) and OIDC issuer of a Fulcio certificate."""
    identity = ""
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        values = san.get_values_for_type(x509.UniformResourceIdentifier) + san.get_values_for_type(x509.RFC822Name)
        identity = values[0] if values else ""
    except x509.ExtensionNotFound:
        pass
    issuer = ""
    for oid, der in ((OIDC_ISSUER_V2, True), (OIDC_ISSUER_V1, False)):
        try:
            raw = cert.extensions.get_extension_for_oid(oid).value
        except x509.ExtensionNotFound:
            continue
        value = raw.value if isinstance(raw, x509.UnrecognizedExtension) else b""
        # v2 extensions are DER UTF8String (tag 0x0c, short length); v1 are raw bytes.
        if der and len(value) > 2 and value[0] == 0x0C:
            value = value[2:] if value[1] < 0x80 else value[2 + (value[1] & 0x7F) :]
        issuer = value.decode("utf-8", "replace")
        break
    return identity, issuer


def verify_fulcio_envelope(envelope: Envelope, fulcio_roots: Sequence[x509.Certificate], verdict: Verdict) -> None:
    """A DSSE envelope signed with an embedded Fulcio certificate, without a transparency-log entry.

    The signature and chain are checked for real; what cannot be had
    offline is a *verified signing time*: Fulcio certificates live ten
    minutes, and only a Rekor entry or an RFC 3161 timestamp proves the
    signature was made inside that window. Sigstore's own verifier rejects
    such material ("not enough sources of verified time"), and so do we.
    """
    pae = envelope.pae()
    for signature in envelope.signatures:
        if not signature.cert_pem:
            continue
        try:
            cert = x509.load_pem_x509_certificate(signature.cert_pem.encode())
        except ValueError as exc:
            verdict.fail("invalid_certificate", f"embedded certificate unreadable: {exc}")
            return
        verdict.signer, verdict.signer_issuer = certificate_identity(cert)
        if not verify_signature_with_key(cert.public_key(), signature.sig, pae):
            verdict.fail("signature_invalid", "DSSE signature does not verify with the embedded certificate's key")
            return
        if not fulcio_roots:
            verdict.gap("no_trusted_root", "no Sigstore trusted root configured to check the Fulcio certificate")
            return
        try:
            _chain(cert, fulcio_roots, cert.not_valid_before_utc)
        except VerificationError as exc:
            verdict.fail("cert_chain_invalid", f"certificate does not chain to a trusted Fulcio CA: {exc}")
            return
        window = f"{cert.not_valid_before_utc:%Y-%m-%dT%H:%M:%SZ} to {cert.not_valid_after_utc:%Y-%m-%dT%H:%M:%SZ}"
        now = dt.datetime.now(dt.UTC)
        expired = " (expired now)" if now > cert.not_valid_after_utc else ""
        verdict.fail(
            "no_verified_time",
            f"no transparency-log entry or signed timestamp: the signing time cannot be shown to lie inside the "
            f"certificate's validity {window}{expired}",
        )
        return
    verdict.gap("no_certificate", "signature carries no certificate")


def _chain(cert: x509.Certificate, roots: Sequence[x509.Certificate], at: dt.datetime) -> None:
    ca_policy = ExtensionPolicy.webpki_defaults_ca().may_be_present(
        x509.ExtendedKeyUsage, Criticality.NON_CRITICAL, None
    )
    ee_policy = ExtensionPolicy.webpki_defaults_ee().may_be_present(
        x509.ExtendedKeyUsage, Criticality.NON_CRITICAL, None
    )
    verifier = (
        PolicyBuilder()
        .store(Store(list(roots)))
        .time(at)
        .extension_policies(ca_policy=ca_policy, ee_policy=ee_policy)
        .build_client_verifier()
    )
    verifier.verify(cert, [])
