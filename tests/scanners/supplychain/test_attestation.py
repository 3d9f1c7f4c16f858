"""The attestation scanner against real bundles, provenance, layouts and keys, with the network cut."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.scanners.supplychain.silicon_support import CRAFTED, SHARED, no_network  # noqa: F401
from xposture.errors import InputError
from xposture.model import Record
from xposture.scanners.base import ScanContext, SourceConfig
from xposture.scanners.supplychain.attestation import AttestationScanner, Trust, check_file

ROOTS = [
    str(SHARED / "sigstore" / "trusted_root_production.json"),
    str(SHARED / "sigstore" / "trusted_root_staging.json"),
]
FIRMWARE = CRAFTED / "firmware" / "plc-fw-2.9.2.bin"


def scan(paths: list[Path], policy: dict[str, Any] | None = None, **options: Any) -> dict[str, Record]:
    opts: dict[str, Any] = {"paths": [str(p) for p in paths], "trusted_roots": ROOTS}
    opts.update(options)
    ctx = ScanContext(policy=policy or {})
    records = list(AttestationScanner().scan(SourceConfig("attestation", opts, base_dir=Path(".")), ctx))
    assert all(c.status in ("ok", "skipped") for c in ctx.coverage), ctx.coverage
    return {str(r["attestation.file"]): r for r in records}


def reasons(record: Record) -> list[str]:
    value = record.get("attestation.reasons") or []
    assert isinstance(value, list)
    return [str(v) for v in value]


# --- every NEG_ file and negative sample fails, for its stated reason ---------------------------------------


def test_neg_expired_cert_fails_without_verified_signing_time() -> None:
    record = scan([SHARED / "slsa" / "NEG_expired-cert.intoto.jsonl"])["NEG_expired-cert.intoto.jsonl"]
    assert record["attestation.status"] == "failed"
    assert "no_verified_time" in reasons(record)
    assert "expired now" in str(record["attestation.reason_text"])


def test_neg_untrusted_builder_fails_as_untrusted() -> None:
    record = scan([SHARED / "slsa" / "NEG_untrusted-builder.intoto.jsonl"])["NEG_untrusted-builder.intoto.jsonl"]
    assert record["attestation.status"] == "failed"
    assert "untrusted_builder" in reasons(record)
    assert record["attestation.builder_trusted"] is False


def test_neg_gcb_payload_digest_mismatch_fails() -> None:
    record = scan([SHARED / "slsa" / "NEG_gcb_v0.3_mismatch-payload-digest.json"])[
        "NEG_gcb_v0.3_mismatch-payload-digest.json"
    ]
    assert record["attestation.status"] == "failed"
    assert "digest_mismatch" in reasons(record)
    assert record["attestation.digest_match"] is False


def test_gcb_good_export_matches_image_digest_but_key_is_unknown() -> None:
    record = scan([SHARED / "slsa" / "gcb_v0.3_gcloud-container-github.json"])["gcb_v0.3_gcloud-container-github.json"]
    assert record["attestation.digest_match"] is True
    assert record["attestation.status"] == "unverified"
    assert reasons(record) == ["no_trusted_key"]


def test_sigstore_negative_bundles_fail() -> None:
    records = scan([SHARED / "sigstore"])
    cve = records["bundle_cve_2022_36056.txt.sigstore"]
    assert cve["attestation.status"] == "failed" and "tlog_inconsistent" in reasons(cve)
    invalid = records["bundle_invalid_version.txt.sigstore"]
    assert invalid["attestation.status"] == "failed" and reasons(invalid) == ["invalid_bundle"]


def test_sigstore_good_bundles_verify_offline_against_their_root() -> None:
    records = scan([SHARED / "sigstore"])
    for name in ("bundle.txt.sigstore", "bundle_v3.txt.sigstore", "staging-rekor-v2.txt.sigstore.json"):
        assert records[name]["attestation.status"] == "verified", records[name]["attestation.reason_text"]
        assert records[name]["attestation.digest_match"] is True
    assert records["bundle_v3.txt.sigstore"]["attestation.signer"] == "william@yossarian.net"


def test_sigstore_bundle_over_a_tampered_artifact_fails(tmp_path: Path) -> None:
    for name in ("bundle_v3.txt", "bundle_v3.txt.sigstore"):
        (tmp_path / name).write_bytes((SHARED / "sigstore" / name).read_bytes())
    (tmp_path / "bundle_v3.txt").write_bytes((SHARED / "sigstore" / "bundle_v3.txt").read_bytes() + b"!")
    record = scan([tmp_path / "bundle_v3.txt.sigstore"])["bundle_v3.txt.sigstore"]
    assert record["attestation.status"] == "failed"
    assert record["attestation.digest_match"] is False


def test_sigstore_bundle_without_matching_root_is_unverified() -> None:
    path = SHARED / "sigstore" / "bundle_v3.txt.sigstore"
    record = scan([path], trusted_roots=[ROOTS[0]])["bundle_v3.txt.sigstore"]
    assert record["attestation.status"] == "unverified"
    assert reasons(record) == ["no_trusted_root"]


def test_slsa_provenance_in_sigstore_bundle_is_level_3() -> None:
    name = "gha_generic_v2.1.0_workflow_dispatch.sigstore.intoto.jsonl"
    record = scan([SHARED / "slsa" / name])[name]
    assert record["attestation.status"] == "verified"
    assert record["attestation.slsa_level"] == 3
    assert record["attestation.source_repo"] == "https://github.com/slsa-framework/example-package"
    assert str(record["attestation.builder_id"]).startswith("https://github.com/slsa-framework/slsa-github-generator/")


def test_sigstore_bundle_with_tampered_dsse_payload_fails(tmp_path: Path) -> None:
    name = "gha_generic_v2.1.0_workflow_dispatch.sigstore.intoto.jsonl"
    bundle = json.loads((SHARED / "slsa" / name).read_text())
    import base64

    payload = base64.b64decode(bundle["dsseEnvelope"]["payload"]).replace(b"example-package", b"evil-package")
    bundle["dsseEnvelope"]["payload"] = base64.b64encode(payload).decode()
    (tmp_path / name).write_text(json.dumps(bundle))
    record = scan([tmp_path / name])[name]
    assert record["attestation.status"] == "failed"
    assert "signature_invalid" in reasons(record)


def test_unsupported_log_entry_is_unverified_not_verified() -> None:
    name = "gha_container-based_v2.1.0_workflow_dispatch.build.slsa"
    record = scan([SHARED / "slsa" / name])[name]
    assert record["attestation.status"] == "unverified"
    assert "unsupported_log_entry" in reasons(record)


def test_vsa_verified_with_keyed_dsse() -> None:
    name = "vsa_gke-gce-pre.bcid-vsa.jsonl"
    record = scan([SHARED / "slsa" / name], keys=[str(SHARED / "slsa" / "vsa_signing_public_key.pem")])[name]
    assert record["attestation.status"] == "verified"
    assert record["attestation.slsa_level"] == 2


def test_in_toto_layouts_verify_links_but_are_unsigned() -> None:
    records = scan(
        [SHARED / "in-toto" / "demo.layout.template"],
        artifacts=[str(SHARED / "in-toto" / "foo.tar.gz")],
        layout_keys=[str(SHARED / "in-toto" / "alice.pub")],
    )
    record = records["demo.layout.template"]
    assert record["attestation.status"] == "unsigned"
    assert reasons(record) == ["layout_unsigned"]
    assert record["attestation.digest_match"] is True
    assert record["attestation.steps"] == ["write-code", "package"]


def test_in_toto_layout_with_tampered_link_fails(tmp_path: Path) -> None:
    for path in (SHARED / "in-toto").iterdir():
        if path.is_file():
            (tmp_path / path.name).write_bytes(path.read_bytes())
    link = json.loads((tmp_path / "package.2f89b927.link").read_text())
    link["signed"]["products"]["foo.tar.gz"]["sha256"] = "0" * 64
    (tmp_path / "package.2f89b927.link").write_text(json.dumps(link))
    record = scan([tmp_path / "demo.layout.template"])["demo.layout.template"]
    assert record["attestation.status"] == "failed"
    assert "link_threshold" in reasons(record)


def test_dsse_in_toto_layout_and_links() -> None:
    record = scan([SHARED / "in-toto" / "dsse"])["demo.layout.template"]
    assert record["attestation.format"] == "in_toto_layout"
    assert record["attestation.status"] == "unsigned"


# --- crafted keyed DSSE (cosign style, empty keyid) -------------------------------------------------------


def crafted(policy: dict[str, Any] | None = None) -> dict[str, Record]:
    return scan(
        [CRAFTED / "attestations"],
        policy,
        keys=[str(CRAFTED / "keys" / "acme-release.pub"), str(CRAFTED / "keys" / "other-signer.pub")],
        artifacts=[str(FIRMWARE)],
    )


CRAFTED_POLICY: dict[str, Any] = {
    "expected_source_repos": {"plc-fw-*": ["https://github.com/acme/plc-firmware"]},
    "required_slsa_level": 3,
    "allowed_external_parameters": ["workflow"],
    "required_signers": ["acme-release.pub"],
}


def test_crafted_good_attestation_verifies_with_empty_keyid() -> None:
    record = crafted(CRAFTED_POLICY)["good.intoto.jsonl"]
    assert record["attestation.status"] == "verified", record["attestation.reason_text"]
    assert record["attestation.digest_match"] is True
    assert record["attestation.slsa_level"] == 3
    assert record["attestation.signer"] == "acme-release.pub"
    assert record["attestation.source_revision"] == "9f1c2d3e4b5a69788796a5b4c3d2e1f0a9b8c7d6"


@pytest.mark.parametrize(
    ("name", "status", "reason"),
    [
        ("tampered-payload.intoto.jsonl", "failed", "signature_invalid"),
        ("wrong-digest.intoto.jsonl", "failed", "digest_mismatch"),
        ("untrusted-builder.intoto.jsonl", "failed", "untrusted_builder"),
        ("wrong-repo.intoto.jsonl", "failed", "unexpected_source_repo"),
        ("bad-params.intoto.jsonl", "failed", "external_parameter_not_allowed"),
        ("other-signer.intoto.jsonl", "failed", "signer_not_allowed"),
        ("unsigned.statement.json", "unsigned", "slsa_level_below_policy"),
    ],
)
def test_crafted_variants(name: str, status: str, reason: str) -> None:
    record = crafted(CRAFTED_POLICY)[name]
    assert record["attestation.status"] == status
    assert reason in reasons(record)
    assert record["attestation.status"] != "verified"


def test_tampered_payload_is_never_verified_even_with_its_key_only(tmp_path: Path) -> None:
    records = scan(
        [CRAFTED / "attestations" / "tampered-payload.intoto.jsonl"], keys=[str(CRAFTED / "keys" / "acme-release.pub")]
    )
    assert records["tampered-payload.intoto.jsonl"]["attestation.status"] == "failed"


def test_tampered_artifact_fails(tmp_path: Path) -> None:
    artifact = tmp_path / FIRMWARE.name
    artifact.write_bytes(FIRMWARE.read_bytes() + b"\x00")
    records = scan(
        [CRAFTED / "attestations" / "good.intoto.jsonl"],
        keys=[str(CRAFTED / "keys" / "acme-release.pub")],
        artifacts=[str(artifact)],
    )
    record = records["good.intoto.jsonl"]
    assert record["attestation.status"] == "failed"
    assert record["attestation.digest_match"] is False


def test_missing_path_is_an_input_error() -> None:
    ctx = ScanContext()
    source = SourceConfig("attestation", {"paths": ["/nonexistent/x.jsonl"]}, base_dir=Path("."))
    with pytest.raises(InputError):
        list(AttestationScanner().scan(source, ctx))
    assert ctx.coverage[-1].status == "failed"


EMPTY_TRUST = Trust(roots=[], keys=[], intoto_keys={}, layout_keys={}, artifacts=[], policy={})


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.binary(max_size=2048))
def test_fuzz_bytes_never_escape_typed_errors(tmp_path_factory: pytest.TempPathFactory, data: bytes) -> None:
    path = tmp_path_factory.mktemp("fuzz") / "x.intoto.jsonl"
    path.write_bytes(data)
    try:
        for verdict in check_file(path, EMPTY_TRUST):
            assert verdict.status != "verified"
    except InputError:
        pass


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=20,
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.fixed_dictionaries(
        {},
        optional={
            "payloadType": json_values,
            "payload": st.text(max_size=40) | json_values,
            "signatures": json_values,
            "mediaType": st.sampled_from(["application/vnd.dev.sigstore.bundle.v0.3+json"]) | json_values,
            "verificationMaterial": json_values,
            "signed": json_values,
            "predicateType": json_values,
            "subject": json_values,
            "provenance_summary": json_values,
        },
    )
)
def test_fuzz_structured_documents(tmp_path_factory: pytest.TempPathFactory, document: dict[str, Any]) -> None:
    path = tmp_path_factory.mktemp("fuzz") / "doc.json"
    path.write_text(json.dumps(document))
    try:
        for verdict in check_file(path, EMPTY_TRUST):
            assert verdict.status != "verified"
    except InputError:
        pass


def test_client_trust_config_works_as_a_trusted_root() -> None:
    roots = [str(SHARED / "sigstore" / "client_trust_config_production.json")]
    name = "gha_generic_v2.1.0_workflow_dispatch.sigstore.intoto.jsonl"
    assert scan([SHARED / "slsa" / name], trusted_roots=roots)[name]["attestation.status"] == "verified"


def test_bad_trusted_root_fails_the_source_naming_the_file() -> None:
    ctx = ScanContext()
    bad = str(SHARED / "sigstore" / "bundle.txt")
    source = SourceConfig("attestation", {"paths": [str(SHARED / "sigstore")], "trusted_roots": [bad]}, Path("."))
    with pytest.raises(InputError) as info:
        list(AttestationScanner().scan(source, ctx))
    assert info.value.file == bad
    assert ctx.coverage[-1].status == "failed"


def test_signer_workflow_must_be_the_claimed_builder(tmp_path: Path) -> None:
    """Re-wrap a verified bundle's statement claiming another builder: the signature breaks, and so would identity."""
    from xposture.scanners.supplychain.attest_slsa import Provenance, check_builder_identity
    from xposture.scanners.supplychain.attest_verdict import Verdict

    verdict = Verdict(tmp_path, "dsse", signed=True)
    verdict.signer = "https://github.com/evil/repo/.github/workflows/x.yml@refs/heads/main"
    claimed = "https://github.com/slsa-framework/slsa-github-generator/.github/workflows/generator_generic_slsa3.yml@refs/tags/v2.0.0"
    check_builder_identity(Provenance(predicate_type="https://slsa.dev/provenance/v1", builder_id=claimed), verdict)
    assert verdict.status == "failed"
    assert verdict.reasons() == ["builder_identity_mismatch"]


def signed_layout(tmp_path: Path) -> Path:
    """Sign the demo layout with a fresh owner key (the demo's own is unsigned) beside the real links."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from in_toto.models.metadata import Metablock, Metadata
    from securesystemslib.signer import CryptoSigner

    for path in (SHARED / "in-toto").iterdir():
        if path.is_file() and path.suffix != ".template":
            (tmp_path / path.name).write_bytes(path.read_bytes())
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    (tmp_path / "owner.pem").write_bytes(public)
    layout = Metadata.load(str(SHARED / "in-toto" / "demo.layout.template")).get_payload()
    block = Metablock(signed=layout)
    block.create_signature(CryptoSigner(key))
    block.dump(str(tmp_path / "root.layout"))
    return tmp_path / "root.layout"


def test_signed_layout_with_links_verifies(tmp_path: Path) -> None:
    layout = signed_layout(tmp_path)
    record = scan([layout], artifacts=[str(tmp_path / "foo.tar.gz")], layout_keys=[str(tmp_path / "owner.pem")])[
        "root.layout"
    ]
    assert record["attestation.status"] == "verified", record["attestation.reason_text"]
    assert record["attestation.digest_match"] is True
    assert record["attestation.inspections_not_run"] == 1


def test_signed_layout_with_the_wrong_key_or_edited_fails(tmp_path: Path) -> None:
    layout = signed_layout(tmp_path)
    wrong = scan([layout], layout_keys=[str(SHARED / "in-toto" / "alice.pub")])["root.layout"]
    assert wrong["attestation.status"] == "failed" and "signature_invalid" in reasons(wrong)
    data = json.loads(layout.read_text())
    data["signed"]["steps"][0]["threshold"] = 0
    layout.write_text(json.dumps(data))
    edited = scan([layout], layout_keys=[str(tmp_path / "owner.pem")])["root.layout"]
    assert edited["attestation.status"] == "failed"
