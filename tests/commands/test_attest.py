"""``xposture verify-attestation``: exit codes and payloads of the offline firmware gate."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from tests.scanners.supplychain.silicon_support import CRAFTED, SHARED, no_network  # noqa: F401

Cli = Callable[..., tuple[int, str, str]]
STAGING = str(SHARED / "sigstore" / "trusted_root_staging.json")


def test_all_verified_exits_0(cli: Cli) -> None:
    code, out, _ = cli(
        "verify-attestation",
        str(CRAFTED / "attestations" / "good.intoto.jsonl"),
        str(SHARED / "sigstore" / "bundle_v3.txt.sigstore"),
        "--key",
        str(CRAFTED / "keys" / "acme-release.pub"),
        "--artifact",
        str(CRAFTED / "firmware" / "plc-fw-2.9.2.bin"),
        "--trusted-root",
        STAGING,
        "--format",
        "json",
    )
    assert code == 0
    payload = json.loads(out)
    assert [p["attestation.status"] for p in payload] == ["verified", "verified"]
    assert payload[0]["attestation.digest_match"] is True


def test_tampered_or_untrusted_exits_1_with_reasons(cli: Cli, tmp_path: Path) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text("policy:\n  required_slsa_level: 3\n")
    code, out, _ = cli(
        "verify-attestation",
        str(CRAFTED / "attestations" / "tampered-payload.intoto.jsonl"),
        str(CRAFTED / "attestations" / "unsigned.statement.json"),
        "--key",
        str(CRAFTED / "keys" / "acme-release.pub"),
        "--policy",
        str(policy),
    )
    assert code == 1
    lines = out.splitlines()
    assert lines[0].startswith("FAILED") and "no trusted key verifies the signature" in lines[0]
    assert lines[1].startswith("UNSIGNED") and "SLSA build level 1 < 3" in lines[1]


def test_missing_input_exits_2(cli: Cli) -> None:
    code, _, err = cli("verify-attestation", "/nonexistent/attestation.jsonl")
    assert code == 2
    assert "/nonexistent/attestation.jsonl" in err
