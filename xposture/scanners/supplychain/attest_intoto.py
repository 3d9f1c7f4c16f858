"""in-toto layouts and links, verified from files with in-toto 3.1's own verification steps.

We run ``in_toto.verifylib``'s steps one by one instead of ``in_toto_verify``
for two reasons: a report must say *which* step failed rather than stop at
the first exception, and ``in_toto_verify`` executes the layout's inspection
commands - a scanner never runs commands taken from a file it is judging.
Inspections are counted and reported as not run; the final product is
instead checked by digest against the artifact the inventory names.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from in_toto import verifylib
from in_toto.exceptions import (
    LayoutExpiredError,
    LinkNotFoundError,
    RuleVerificationError,
    SignatureVerificationError,
    ThresholdVerificationError,
)
from in_toto.models._signer import load_public_key_from_file
from in_toto.models.metadata import Metadata
from securesystemslib.exceptions import Error as SslibError

from xposture.errors import InputError
from xposture.scanners.supplychain.attest_verdict import Verdict

IN_TOTO_ERRORS = (
    LayoutExpiredError,
    LinkNotFoundError,
    RuleVerificationError,
    SignatureVerificationError,
    ThresholdVerificationError,
    SslibError,
    ValueError,
    KeyError,
    TypeError,
    AttributeError,
)


def metadata_type(obj: Any) -> str:
    """``layout``/``link`` for in-toto metablocks (``{"signed": {"_type": ...}}``), else ''."""
    if isinstance(obj, dict) and isinstance(obj.get("signed"), dict) and "signatures" in obj:
        kind = obj["signed"].get("_type")
        return kind if kind in ("layout", "link") else ""
    return ""


def load_keys(paths: Sequence[Path]) -> dict[str, dict[str, Any]]:
    """Public keys in in-toto's dict form, by keyid (PEM files, as in-toto-verify's --verification-keys)."""
    keys: dict[str, dict[str, Any]] = {}
    for path in paths:
        try:
            key = load_public_key_from_file(str(path))
        except (OSError, ValueError, SslibError) as exc:
            raise InputError(f"cannot load public key: {exc}", file=str(path)) from exc
        keys[key["keyid"]] = key
    return keys


def verify_layout(path: Path, link_dir: Path, layout_keys: dict[str, dict[str, Any]], verdict: Verdict) -> None:
    """Layout signature, expiry, link signatures and thresholds, command alignment and artifact rules."""
    loaded = _load_signed(path, "layout", verdict)
    if loaded is None:
        return
    metadata, layout, signatures = loaded
    if not signatures:
        verdict.gap("layout_unsigned", "the layout carries no signature: nobody vouches for these steps and keys")
    elif not layout_keys:
        verdict.gap("no_trusted_key", "no layout key configured (option layout_keys)")
    else:
        try:
            verifylib.verify_metadata_signatures(metadata, layout_keys)
            verdict.signer = ",".join(sorted(layout_keys))[:200]
        except IN_TOTO_ERRORS as exc:
            verdict.fail("signature_invalid", f"layout signature does not verify: {exc}")
    try:
        verifylib.verify_layout_expiration(layout)
    except LayoutExpiredError as exc:
        verdict.fail("layout_expired", str(exc))
    verdict.fields["attestation.steps"] = [s.name for s in layout.steps]
    verdict.fields["attestation.inspections_not_run"] = len(layout.inspect)
    try:
        steps = verifylib.load_links_for_layout(layout, str(link_dir))
        steps = verifylib.verify_link_signature_thresholds(layout, steps)
        chain = verifylib.verify_sublayouts(layout, steps, str(link_dir), 10)
        verifylib.verify_all_steps_command_alignment(layout, chain)
        verifylib.verify_threshold_constraints(layout, chain)
        reduced = verifylib.reduce_chain_links(chain)
        verifylib.verify_all_item_rules(layout.steps, reduced)
    except LinkNotFoundError as exc:
        verdict.fail("link_missing", f"link metadata missing: {exc}")
        return
    except ThresholdVerificationError as exc:
        verdict.fail("link_threshold", f"not enough valid links by authorised functionaries: {exc}")
        return
    except RuleVerificationError as exc:
        verdict.fail("rule_violation", f"artifact rule violated: {exc}")
        return
    except IN_TOTO_ERRORS as exc:
        verdict.fail("link_invalid", f"link verification failed: {exc}")
        return
    names: list[str] = []
    digests: list[str] = []
    for link in reduced.values():
        for name, hashes in sorted((getattr(link, "products", None) or {}).items()):
            for alg, value in sorted(hashes.items()):
                names.append(name)
                digests.append(f"{alg}:{value}")
    verdict.statement = {"_type": "in-toto-layout", "subject": _subjects(names, digests)}


def verify_link(path: Path, keys: dict[str, dict[str, Any]], verdict: Verdict) -> None:
    """A link on its own (no layout beside it): its signature, and its products as subjects."""
    loaded = _load_signed(path, "link", verdict)
    if loaded is None:
        return
    metadata, link, signatures = loaded
    verdict.fields["attestation.steps"] = [link.name]
    if signatures:
        candidates = [k for kid, k in keys.items() if kid in verdict.key_id.split(",")] or list(keys.values())
        if not candidates:
            verdict.gap("no_trusted_key", "no trusted key configured for this link's functionary")
        else:
            for key in candidates:
                try:
                    metadata.verify_signature(key)
                    verdict.signer = key["keyid"]
                    break
                except IN_TOTO_ERRORS:
                    continue
            else:
                verdict.fail("signature_invalid", "link signature does not verify with the configured keys")
    names: list[str] = []
    digests: list[str] = []
    for name, hashes in sorted((link.products or {}).items()):
        for alg, value in sorted(hashes.items()):
            names.append(name)
            digests.append(f"{alg}:{value}")
    verdict.statement = {"_type": "in-toto-link", "subject": _subjects(names, digests)}


def _subjects(names: list[str], digests: list[str]) -> list[dict[str, Any]]:
    return [
        {"name": n, "digest": {d.split(":", 1)[0]: d.split(":", 1)[1]}} for n, d in zip(names, digests, strict=True)
    ]


def _load_signed(path: Path, kind: str, verdict: Verdict) -> tuple[Any, Any, Any] | None:
    """Load a layout or link and note its signers on the verdict; None once the verdict failed (unreadable).

    Layouts and links are read alike, so the failure code (``invalid_layout``,
    ``invalid_link``) and the signer facts are set in one place.
    """
    try:
        metadata = Metadata.load(str(path))
        payload = metadata.get_payload()
    except IN_TOTO_ERRORS as exc:
        verdict.fail(f"invalid_{kind}", f"not a readable in-toto {kind}: {exc}")
        return None
    signatures = getattr(metadata, "signatures", [])
    verdict.signed = bool(signatures)
    verdict.key_id = ",".join(sorted({_keyid(s) for s in signatures}))
    return metadata, payload, signatures


def _keyid(signature: Any) -> str:
    if isinstance(signature, dict):
        return str(signature.get("keyid", ""))
    return str(getattr(signature, "keyid", ""))
