"""Sigstore bundles, verified fully offline against trusted-root files.

sigstore-python's ``Verifier(trusted_root=TrustedRoot.from_file(...))``
makes no network call (only ``Verifier.production()``/``staging()`` refresh
TUF metadata), so we build one verifier per trusted-root file and pick the
root whose transparency log signed the bundle's entry. Before handing the
bundle to sigstore we check the signature over the payload or artifact
ourselves, so that a tampered payload is reported as *failed* even when
sigstore-python cannot process the bundle's log-entry kind.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed
from sigstore.errors import Error as SigstoreError
from sigstore.errors import VerificationError as SigstoreVerificationError
from sigstore.models import Bundle, ClientTrustConfig, InvalidBundle, TrustedRoot
from sigstore.verify import Verifier

from xposture.errors import InputError
from xposture.scanners.supplychain.attest_dsse import (
    DsseSignature,
    Envelope,
    certificate_identity,
    verify_signature_with_key,
)
from xposture.scanners.supplychain.attest_verdict import Verdict

UNSUPPORTED_MARKERS = ("only supported for", "unsupported", "expected entry type")


class _AcceptAnyIdentity:
    """Identity policy is applied afterwards from the inventory (``required_signers``), not inside sigstore."""

    def verify(self, cert: x509.Certificate) -> None:
        return None


@dataclass
class TrustRoot:
    """One trusted-root file, loaded lazily, with the transparency-log ids it trusts."""

    path: Path

    @cached_property
    def root(self) -> TrustedRoot:
        """A TrustedRoot file, or the trusted root inside a ClientTrustConfig file."""
        try:
            raw = self.path.read_text(encoding="utf-8")
            if "clienttrustconfig" in raw[:2000].lower():
                return ClientTrustConfig.from_json(raw).trusted_root
            return TrustedRoot.from_file(str(self.path))
        except (SigstoreError, ValueError, OSError) as exc:
            raise InputError(f"not a Sigstore trusted root: {_first_line(exc)}", file=str(self.path)) from exc

    @cached_property
    def verifier(self) -> Verifier:
        return Verifier(trusted_root=self.root)

    @cached_property
    def log_ids(self) -> frozenset[bytes]:
        return frozenset(t.log_id.key_id for t in self.root._inner.tlogs if t.log_id is not None)

    @cached_property
    def fulcio_certs(self) -> list[x509.Certificate]:
        return list(self.root.get_fulcio_certs())


def is_bundle(obj: Any) -> bool:
    if not isinstance(obj, dict):
        return False
    return "sigstore.bundle" in str(obj.get("mediaType", "")) or "verificationMaterial" in obj


def verify_bundle(raw: bytes, artifact: bytes | None, roots: Sequence[TrustRoot], verdict: Verdict) -> Envelope | None:
    """Check one bundle; returns its DSSE envelope (if any) so the caller can read the statement."""
    verdict.signed = True
    try:
        bundle = Bundle.from_json(raw)
    except (InvalidBundle, ValueError, KeyError, TypeError) as exc:
        verdict.fail("invalid_bundle", f"not a valid Sigstore bundle: {_first_line(exc)}")
        return None
    try:
        cert = bundle.signing_certificate
        verdict.signer, verdict.signer_issuer = certificate_identity(cert)
    except (ValueError, AttributeError) as exc:
        verdict.fail("invalid_certificate", f"bundle signing certificate unreadable: {exc}")
        return None
    entry = bundle.log_entry._inner
    verdict.transparency_log = True
    if entry.integrated_time:
        verdict.signed_time = _iso(int(entry.integrated_time))
    envelope = _envelope(bundle)
    if not _local_signature_ok(bundle, envelope, artifact, cert, verdict):
        return envelope
    root = _pick_root(bundle, roots)
    if root is None:
        verdict.gap("no_trusted_root", "no configured trusted root knows the transparency log of this bundle")
        return envelope
    try:
        if envelope is not None:
            root.verifier.verify_dsse(bundle, _AcceptAnyIdentity())
        elif artifact is not None:
            root.verifier.verify_artifact(artifact, bundle, _AcceptAnyIdentity())
        else:
            verdict.gap("artifact_not_provided", "the bundle signs an artifact that was not given")
            return envelope
    except SigstoreVerificationError as exc:
        message = _first_line(exc)
        if any(marker in message.lower() for marker in UNSUPPORTED_MARKERS):
            verdict.gap("unsupported_log_entry", f"sigstore-python cannot check this log entry offline: {message}")
        else:
            verdict.fail(_classify(message), f"Sigstore verification failed ({root.path.name}): {message}")
    except SigstoreError as exc:
        verdict.fail("bundle_rejected", f"Sigstore verification failed ({root.path.name}): {_first_line(exc)}")
    return envelope


def _envelope(bundle: Bundle) -> Envelope | None:
    dsse = bundle._dsse_envelope
    if dsse is None:
        return None
    inner = dsse._inner
    sigs = tuple(DsseSignature(keyid=s.keyid or "", sig=s.sig) for s in inner.signatures)
    return Envelope(inner.payload_type, inner.payload, sigs)


def _local_signature_ok(
    bundle: Bundle, envelope: Envelope | None, artifact: bytes | None, cert: x509.Certificate, verdict: Verdict
) -> bool:
    public = cert.public_key()
    if envelope is not None:
        if not any(verify_signature_with_key(public, s.sig, envelope.pae()) for s in envelope.signatures):
            verdict.fail("signature_invalid", "DSSE signature does not verify with the bundle's certificate")
            return False
        return True
    message = bundle._inner.message_signature
    if message is None:
        verdict.fail("invalid_bundle", "bundle has neither a DSSE envelope nor a message signature")
        return False
    if artifact is None:
        return True
    digest = hashlib.sha256(artifact).digest()
    if message.message_digest is not None and message.message_digest.digest != digest:
        verdict.fail("digest_mismatch", "artifact digest differs from the digest the bundle signs")
        return False
    if isinstance(public, ec.EllipticCurvePublicKey):
        try:
            public.verify(message.signature, digest, ec.ECDSA(Prehashed(hashes.SHA256())))
        except InvalidSignature:
            verdict.fail("signature_invalid", "bundle signature does not verify over the artifact")
            return False
    return True


def _pick_root(bundle: Bundle, roots: Sequence[TrustRoot]) -> TrustRoot | None:
    log_id = bundle.log_entry._inner.log_id.key_id
    for root in roots:
        if log_id in root.log_ids:
            return root
    return None


def _classify(message: str) -> str:
    text = message.lower()
    if "expired" in text:
        return "cert_expired_at_signing"
    if "certificate chain" in text:
        return "cert_chain_invalid"
    if "inconsistent" in text or "mismatch" in text:
        return "tlog_inconsistent"
    if "log entry" in text or "inclusion" in text or "checkpoint" in text:
        return "tlog_invalid"
    if "sct" in text:
        return "sct_invalid"
    if "signature" in text:
        return "signature_invalid"
    return "bundle_rejected"


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0][:300]


def _iso(epoch: int) -> str:
    return dt.datetime.fromtimestamp(epoch, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def statement_from_envelope(envelope: Envelope | None) -> dict[str, Any] | None:
    """The in-toto statement inside an envelope, if its payload is one."""
    if envelope is None:
        return None
    try:
        value = json.loads(envelope.payload)
    except (ValueError, UnicodeDecodeError):
        return None
    return value if isinstance(value, dict) else None
