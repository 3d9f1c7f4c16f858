"""Regenerate the crafted keyed DSSE attestations (run by hand; the private keys are thrown away).

Each file exercises one verdict of the attestation scanner: a good SLSA v1
provenance over firmware/plc-fw-2.9.2.bin signed like cosign does (ECDSA
P-256, empty keyid), and variants that must fail or break the policy.
"""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

HERE = Path(__file__).parent
FIRMWARE = HERE / "firmware" / "plc-fw-2.9.2.bin"
BUILDER = "https://github.com/slsa-framework/slsa-github-generator/.github/workflows/generator_generic_slsa3.yml@refs/tags/v2.0.0"


def statement(
    digest: str, builder: str = BUILDER, repo: str = "https://github.com/acme/plc-firmware", extra: dict | None = None
) -> dict:
    params = {"workflow": {"ref": "refs/tags/v2.9.2", "repository": repo, "path": ".github/workflows/release.yml"}}
    params.update(extra or {})
    return {
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [{"name": FIRMWARE.name, "digest": {"sha256": digest}}],
        "predicateType": "https://slsa.dev/provenance/v1",
        "predicate": {
            "buildDefinition": {
                "buildType": "https://slsa-framework.github.io/github-actions-buildtypes/workflow/v1",
                "externalParameters": params,
                "resolvedDependencies": [
                    {
                        "uri": f"git+{repo}@refs/tags/v2.9.2",
                        "digest": {"gitCommit": "9f1c2d3e4b5a69788796a5b4c3d2e1f0a9b8c7d6"},
                    }
                ],
            },
            "runDetails": {
                "builder": {"id": builder},
                "metadata": {"invocationId": "https://github.com/acme/plc-firmware/actions/runs/1"},
            },
        },
    }


def pae(ptype: str, payload: bytes) -> bytes:
    t = ptype.encode()
    return b"DSSEv1 %d %b %d %b" % (len(t), t, len(payload), payload)


def envelope(stmt: dict, key: ec.EllipticCurvePrivateKey, tamper: bool = False) -> str:
    ptype = "application/vnd.in-toto+json"
    payload = json.dumps(stmt, sort_keys=True).encode()
    sig = key.sign(pae(ptype, payload), ec.ECDSA(hashes.SHA256()))
    if tamper:
        payload = payload.replace(b"v2.9.2", b"v2.9.3")
    return json.dumps(
        {
            "payloadType": ptype,
            "payload": base64.b64encode(payload).decode(),
            "signatures": [{"keyid": "", "sig": base64.b64encode(sig).decode()}],
        }
    )


def main() -> None:
    FIRMWARE.parent.mkdir(exist_ok=True)
    FIRMWARE.write_bytes(b"ACME PLC firmware 2.9.2\x00" + bytes(range(256)) * 4)
    digest = hashlib.sha256(FIRMWARE.read_bytes()).hexdigest()
    release, other = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    for name, key in (("acme-release.pub", release), ("other-signer.pub", other)):
        pem = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        (HERE / "keys" / name).write_bytes(pem)
    out = HERE / "attestations"
    good = statement(digest)
    (out / "good.intoto.jsonl").write_text(envelope(good, release) + "\n")
    (out / "tampered-payload.intoto.jsonl").write_text(envelope(good, release, tamper=True) + "\n")
    (out / "wrong-digest.intoto.jsonl").write_text(envelope(statement("00" * 32), release) + "\n")
    branch = BUILDER.replace("refs/tags/v2.0.0", "refs/heads/main")
    (out / "untrusted-builder.intoto.jsonl").write_text(envelope(statement(digest, builder=branch), release) + "\n")
    (out / "wrong-repo.intoto.jsonl").write_text(
        envelope(statement(digest, repo="https://github.com/acme-fork/plc-firmware"), release) + "\n"
    )
    (out / "bad-params.intoto.jsonl").write_text(
        envelope(statement(digest, extra={"inputs": {"debug": "true"}}), release) + "\n"
    )
    (out / "other-signer.intoto.jsonl").write_text(envelope(good, other) + "\n")
    (out / "unsigned.statement.json").write_text(json.dumps(good, indent=2) + "\n")


if __name__ == "__main__":
    main()
