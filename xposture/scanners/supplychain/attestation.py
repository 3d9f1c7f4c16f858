"""The ``attestation`` scanner: was this firmware built and signed the way its supplier promised?

Reads in-toto statements in DSSE envelopes (keyed or Fulcio-signed),
Sigstore bundles, in-toto layouts with their links, Google Cloud Build
provenance exports and bare SLSA statements, verifies each one strictly
offline, and yields one ``attestation`` record per attestation with its
verdict (``verified``/``failed``/``unverified``/``unsigned``), the reasons,
the signer, the provenance facts and whether the subject digests match the
artifacts the inventory names. Nothing here touches the network: Sigstore
trust comes from trusted-root files, keys from PEM files.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from xposture.errors import InputError
from xposture.model import FieldValue, Layer, Record, make_record
from xposture.sbom.model import as_mapping as _mapping
from xposture.scanners.base import OptionType, ScanContext, SourceConfig
from xposture.scanners.records import scan_files
from xposture.scanners.supplychain.attest_dsse import (
    NamedKey,
    is_envelope,
    load_public_keys,
    parse_envelope,
    verify_fulcio_envelope,
    verify_keyed,
)
from xposture.scanners.supplychain.attest_intoto import load_keys, metadata_type, verify_layout, verify_link
from xposture.scanners.supplychain.attest_sigstore import TrustRoot, is_bundle, statement_from_envelope, verify_bundle
from xposture.scanners.supplychain.attest_slsa import (
    apply_policy,
    check_builder_identity,
    provenance_fields,
    read_statement,
)
from xposture.scanners.supplychain.attest_verdict import Verdict

SUFFIXES = (
    ".json",
    ".jsonl",
    ".link",
    ".layout",
    ".template",
    ".sigstore",
    ".slsa",
    ".intoto",
    ".dsse",
    ".bundle",
)
BUNDLE_SUFFIXES = (".sigstore.json", ".sigstore", ".bundle", ".sigstore.intoto.jsonl", ".intoto.jsonl", ".intoto.json")
MAX_FILE_BYTES = 64 * 1024 * 1024


@dataclass(slots=True)
class Artifact:
    path: Path
    digests: dict[str, str] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path) -> Artifact:
        sha256, sha512 = hashlib.sha256(), hashlib.sha512()
        try:
            with path.open("rb") as handle:
                for chunk in iter(lambda: handle.read(1 << 20), b""):
                    sha256.update(chunk)
                    sha512.update(chunk)
        except OSError as exc:
            raise InputError(f"cannot read artifact: {exc.strerror or exc}", file=str(path)) from exc
        return cls(path, {"sha256": sha256.hexdigest(), "sha512": sha512.hexdigest()})


@dataclass(slots=True)
class Trust:
    """Everything verification may rely on, loaded once per inventory entry."""

    roots: list[TrustRoot]
    keys: list[NamedKey]
    intoto_keys: dict[str, dict[str, Any]]
    layout_keys: dict[str, dict[str, Any]]
    artifacts: list[Artifact]
    policy: Mapping[str, Any]
    product: str = ""

    def fulcio_certs(self) -> list[Any]:
        return [c for root in self.roots for c in root.fulcio_certs]


class AttestationScanner:
    """Verify supply-chain attestations offline and report each verdict with its reasons."""

    name: ClassVar[str] = "attestation"
    layer: ClassVar[Layer] = Layer.SUPPLY_CHAIN
    options: ClassVar[Mapping[str, OptionType]] = {
        "paths": (list, str),
        "artifacts": (list, str),
        "trusted_roots": (list, str),
        "keys": (list, str),
        "layout_keys": (list, str),
        "product": str,
    }
    required: ClassVar[tuple[str, ...]] = ("paths",)

    def scan(self, source: SourceConfig, ctx: ScanContext) -> Iterator[Record]:
        try:
            trust = load_trust(source, ctx.policy or {})
            files = _expand(source.path_list("paths"))
        except InputError as exc:
            ctx.report(self.name, exc.file or source.label, "failed", exc.message, site=source.site)
            raise

        def judge(verdicts: list[Verdict]) -> tuple[list[Record], str, str]:
            records = [to_record(v, self.name, source.site) for v in verdicts]
            if not records:
                return records, "skipped", "not an attestation, or an in-toto link judged with the layout beside it"
            statuses = ", ".join(sorted({str(r["attestation.status"]) for r in records}))
            return records, "ok", f"verdicts: {statuses}"

        yield from scan_files(
            self.name,
            source,
            ctx,
            files,
            lambda path: list(check_file(path, trust, files)),
            judge,
            none_found="no attestation files found",
        )


def load_trust(source: SourceConfig, policy: Mapping[str, Any]) -> Trust:
    key_paths = source.path_list("keys")
    roots = [TrustRoot(p) for p in source.path_list("trusted_roots")]
    for root in roots:
        _ = root.log_ids  # load now, so a bad root file fails the source up front, naming the file
    return Trust(
        roots=roots,
        keys=load_public_keys(key_paths),
        intoto_keys=load_keys(key_paths),
        layout_keys=load_keys(source.path_list("layout_keys")),
        artifacts=[Artifact.load(p) for p in source.path_list("artifacts")],
        policy=policy,
        product=str(source.options.get("product", "")),
    )


def _expand(paths: Sequence[Path]) -> list[Path]:
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(sorted(p for p in path.rglob("*") if p.is_file() and _is_candidate(p)))
        elif path.exists():
            found.append(path)
        else:
            raise InputError("no such file or folder", file=str(path))
    return found


def _is_candidate(path: Path) -> bool:
    return path.suffix.lower() in SUFFIXES and not path.name.startswith("trusted_root")


def check_file(path: Path, trust: Trust, siblings: Sequence[Path] = ()) -> Iterator[Verdict]:
    """Every verdict one file yields (JSON-lines files may hold several envelopes or bundles)."""
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise InputError("attestation file larger than 64 MiB", file=str(path))
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror or exc}", file=str(path)) from exc
    documents = _documents(raw, path)
    for index, (line_raw, obj) in enumerate(documents):
        verdict = _check_document(path, index, line_raw, obj, trust, siblings)
        if verdict is not None:
            yield verdict


def _documents(raw: bytes, path: Path) -> list[tuple[bytes, Any]]:
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError("not UTF-8 text", file=str(path), offset=exc.start) from exc
    try:
        return [(raw, json.loads(text))]
    except json.JSONDecodeError:
        pass
    except RecursionError as exc:
        raise InputError("JSON nested too deeply", file=str(path)) from exc
    docs: list[tuple[bytes, Any]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            docs.append((line.encode(), json.loads(line)))
        except (json.JSONDecodeError, RecursionError) as exc:
            raise InputError(f"invalid JSON: {exc}", file=str(path), line=number) from exc
    return docs


def _check_document(
    path: Path, index: int, raw: bytes, obj: Any, trust: Trust, siblings: Sequence[Path]
) -> Verdict | None:
    kind = metadata_type(obj)
    if kind == "layout":
        verdict = Verdict(path, "in_toto_layout", index)
        verify_layout(path, path.parent, trust.layout_keys, verdict)
    elif kind == "link":
        if any(_is_layout(_peek(p)) for p in siblings if p.parent == path.parent and p != path):
            return None  # judged as part of the layout beside it
        verdict = Verdict(path, "in_toto_link", index)
        verify_link(path, trust.intoto_keys, verdict)
    elif is_bundle(obj):
        verdict = Verdict(path, "sigstore_bundle", index)
        artifact = _bundle_artifact(path, trust)
        envelope = verify_bundle(raw, artifact.read_bytes() if artifact else None, trust.roots, verdict)
        verdict.statement = statement_from_envelope(envelope)
        if artifact is not None and envelope is None:
            verdict.fields["attestation.artifact"] = str(artifact)
            verdict.fields["attestation.digest_match"] = "digest_mismatch" not in verdict.reasons()
    elif is_envelope(obj):
        envelope = parse_envelope(obj, file=str(path))
        statement = statement_from_envelope(envelope)
        inner = metadata_type({"signed": statement, "signatures": []})
        if inner == "layout":
            verdict = Verdict(path, "in_toto_layout", index)
            verify_layout(path, path.parent, trust.layout_keys, verdict)
        elif inner == "link":
            if any(_is_layout(_peek(p)) for p in siblings if p.parent == path.parent and p != path):
                return None
            verdict = Verdict(path, "in_toto_link", index)
            verify_link(path, trust.intoto_keys, verdict)
        else:
            verdict = Verdict(path, "dsse", index, signed=bool(envelope.signatures))
            verdict.payload_type = envelope.payload_type
            verdict.statement = statement
            if not envelope.signatures:
                pass
            elif any(s.cert_pem for s in envelope.signatures):
                verify_fulcio_envelope(envelope, trust.fulcio_certs(), verdict)
            else:
                verify_keyed(envelope, trust.keys, verdict)
    elif isinstance(obj, dict) and "provenance_summary" in obj:
        return _gcb(path, index, obj, trust)
    elif isinstance(obj, dict) and ("predicateType" in obj or "buildDefinition" in obj or "buildType" in obj):
        verdict = Verdict(path, "statement", index)
        verdict.statement = obj if "predicateType" in obj else {"predicateType": _guess_type(obj), "predicate": obj}
    else:
        return None
    finish(verdict, trust)
    return verdict


def _gcb(path: Path, index: int, obj: Mapping[str, Any], trust: Trust) -> Verdict | None:
    """Google Cloud Build provenance export: KMS-signed DSSE plus the image digest it should cover."""
    summary = _mapping(obj.get("image_summary"))
    image = str(summary.get("digest") or "")
    provenance = _mapping(obj.get("provenance_summary")).get("provenance")
    for entry in provenance if isinstance(provenance, list) else []:
        if not isinstance(entry, Mapping) or not is_envelope(entry.get("envelope")):
            continue
        envelope = parse_envelope(entry["envelope"], file=str(path))
        verdict = Verdict(path, "gcb_provenance", index, signed=bool(envelope.signatures))
        verdict.statement = statement_from_envelope(envelope)
        verify_keyed(envelope, trust.keys, verdict)
        unsigned_copy = _mapping(entry.get("build")).get("intotoStatement")
        if isinstance(unsigned_copy, Mapping) and verdict.statement is not None:
            signed_subjects = verdict.statement.get("subject")
            if unsigned_copy.get("subject") != signed_subjects:
                verdict.fail("payload_mismatch", "signed payload's subjects differ from the build's recorded statement")
        if image and verdict.statement is not None:
            alg, _, value = image.partition(":")
            digests = read_statement(verdict.statement).subject_digests
            verdict.fields["attestation.artifact"] = str(summary.get("fully_qualified_digest") or "")
            verdict.fields["attestation.artifact_digest"] = image
            match = f"{alg}:{value}" in digests
            verdict.fields["attestation.digest_match"] = match
            if not match:
                verdict.fail("digest_mismatch", f"image digest {image} is not among the signed subjects {digests}")
        finish(verdict, trust)
        return verdict
    return None


def finish(verdict: Verdict, trust: Trust) -> None:
    """Subject-vs-artifact digests, provenance facts and the policy, once the signature checks are done."""
    if verdict.statement is None:
        return
    prov = read_statement(verdict.statement)
    verdict.fields.update(provenance_fields(prov))
    _match_artifacts(prov.subject_names, prov.subject_digests, verdict, trust.artifacts)
    if prov.is_provenance:
        check_builder_identity(prov, verdict)
    apply_policy(prov, verdict, trust.policy, trust.product)


def _match_artifacts(names: list[str], digests: list[str], verdict: Verdict, artifacts: Sequence[Artifact]) -> None:
    if not artifacts or not digests or "attestation.digest_match" in verdict.fields:
        return
    for name, digest in zip(names or [""] * len(digests), digests, strict=False):
        alg, _, value = digest.partition(":")
        base = name.rsplit("/", 1)[-1].split(":", 1)[0]
        for artifact in artifacts:
            if artifact.path.name != base:
                continue
            verdict.fields["attestation.artifact"] = str(artifact.path)
            verdict.fields["attestation.artifact_digest"] = f"sha256:{artifact.digests['sha256']}"
            if alg in artifact.digests:
                ok = artifact.digests[alg] == value
                verdict.fields["attestation.digest_match"] = ok
                if not ok:
                    verdict.fail("digest_mismatch", f"artifact {artifact.path.name} does not match subject {digest}")
                return
    by_digest = {f"{a}:{v}": art for art in artifacts for a, v in art.digests.items()}
    for digest in digests:
        if digest in by_digest:
            verdict.fields["attestation.artifact"] = str(by_digest[digest].path)
            verdict.fields["attestation.artifact_digest"] = digest
            verdict.fields["attestation.digest_match"] = True
            return


def _bundle_artifact(path: Path, trust: Trust) -> Path | None:
    name = path.name
    for suffix in BUNDLE_SUFFIXES:
        if name.endswith(suffix):
            stem = name[: -len(suffix)]
            for artifact in trust.artifacts:
                if artifact.path.name == stem:
                    return artifact.path
            candidate = path.with_name(stem)
            if stem and candidate.is_file():
                return candidate
    return None


def _is_layout(obj: Any) -> bool:
    if metadata_type(obj) == "layout":
        return True
    if is_envelope(obj):
        try:
            statement = statement_from_envelope(parse_envelope(obj, file=""))
        except InputError:
            return False
        return metadata_type({"signed": statement, "signatures": []}) == "layout"
    return False


def _peek(path: Path) -> Any:
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            return None
        return json.loads(path.read_text(encoding="utf-8-sig"))
    except (OSError, ValueError, RecursionError):
        return None


def _guess_type(obj: Mapping[str, Any]) -> str:
    return "https://slsa.dev/provenance/v1" if "buildDefinition" in obj else "https://slsa.dev/provenance/v0.2"


def to_record(verdict: Verdict, scanner: str, site: str = "") -> Record:
    subjects = verdict.fields.get("attestation.subject_names") or []
    first = subjects[0] if isinstance(subjects, list) and subjects else verdict.path.name
    fields: dict[str, FieldValue] = {
        "asset.kind": "artifact",
        "asset.name": str(first),
        "attestation.format": verdict.format,
        "attestation.status": verdict.status,
        "attestation.integrity": verdict.integrity,
        "attestation.signed": verdict.signed,
        "attestation.verified": verdict.status == "verified",
        "attestation.reasons": verdict.reasons(),
        "attestation.reason_text": verdict.explanation()[:2000],
        "attestation.policy_violations": [code for code, _ in verdict.violations],
        "attestation.signer": verdict.signer,
        "attestation.signer_issuer": verdict.signer_issuer,
        "attestation.key_id": verdict.key_id,
        "attestation.signed_time": verdict.signed_time,
        "attestation.transparency_log": verdict.transparency_log,
        "attestation.payload_type": verdict.payload_type,
        "attestation.file": verdict.path.name,
    }
    fields.update(verdict.fields)
    if site:
        fields["site"] = site
    fields = {k: v for k, v in fields.items() if v != ""}
    return make_record(
        "attestation",
        asset_id=f"artifact:{first}",
        key=f"{verdict.path.name}#{verdict.index}",
        layer=Layer.SUPPLY_CHAIN,
        scanner=scanner,
        fields=fields,
        file=str(verdict.path),
        line=verdict.index + 1,
    )
