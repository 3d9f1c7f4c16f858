"""Every field the silicon scanners and enricher emit is listed in docs/taxonomy/silicon.md; the example scans."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.conftest import REPO, SHARED_DATA, run_subprocess
from tests.scanners.supplychain.silicon_support import CRAFTED, SHARED, no_network  # noqa: F401
from xposture.enrich.firmware_link import FirmwareLinkEnricher
from xposture.inventory.loader import load_inventory
from xposture.model import Record
from xposture.scanners.base import ScanContext
from xposture.scanners.supplychain.attestation import AttestationScanner
from xposture.scanners.supplychain.hbom import HbomScanner

EXAMPLE = REPO / "examples" / "plant" / "inventory" / "silicon.yaml"


def documented() -> dict[str, set[str]]:
    fields: dict[str, set[str]] = {}
    for page in (REPO / "docs" / "taxonomy.md", REPO / "docs" / "taxonomy" / "silicon.md"):
        current = None
        for line in page.read_text().splitlines():
            heading = re.match(r"^## (.+)$", line)
            if heading:
                current = heading.group(1).strip()
                fields.setdefault(current, set())
            elif line.startswith("# "):
                current = None
            elif current and line.startswith("| ") and not line.startswith(("| field", "|---")):
                fields[current].add(line.split("|")[1].strip())
    return fields


def example_records() -> list[Record]:
    inventory = load_inventory(EXAMPLE)
    ctx = ScanContext(policy=inventory.policy, inventory=inventory)
    records: list[Record] = []
    for source in inventory.supply_chain:
        scanner = HbomScanner() if source.scanner == "hbom" else AttestationScanner()
        records.extend(scanner.scan(source, ctx))
    records.extend(FirmwareLinkEnricher().enrich(records, ctx))
    return records


def test_every_emitted_field_is_documented() -> None:
    docs = documented()
    common = docs["(every record)"]
    records = example_records()
    assert {r["record.type"] for r in records} == {"hw_component", "hbom", "attestation", "firmware_link"}
    for record in records:
        listed = docs[str(record["record.type"])] | common
        missing = [f for f in record if f not in listed]
        assert not missing, (record["record.type"], missing)


def test_example_acceptance_statuses() -> None:
    records = example_records()
    statuses = {
        str(r["attestation.file"]): r["attestation.status"] for r in records if r["record.type"] == "attestation"
    }
    assert statuses == {
        "plc-fw-2.9.2.bin.intoto.jsonl": "verified",
        "bundle_v3.txt.sigstore": "verified",
        "NEG_untrusted-builder.intoto.jsonl": "failed",
    }
    plc = next(r for r in records if r["record.type"] == "firmware_link" and r.get("asset.ip") == "10.10.1.5")
    assert plc["link.method"] == "inventory" and plc["link.provenance_status"] == "verified"


@pytest.mark.slow
def test_example_scan_through_the_cli(tmp_path: Path) -> None:
    result = run_subprocess(tmp_path / "x.db", "scan", str(EXAMPLE), "--format", "json")
    assert result.returncode in (0, 1), result.stderr
    report = json.loads(result.stdout)
    rules = {f["rule"]["name"] for f in report["findings"]}
    assert "silicon.attestation_verification_failed" in rules
    assert "silicon.os_end_of_support" in rules
    assert all(c["status"] in ("ok", "skipped") for c in report["coverage"])


def test_every_shared_negative_attestation_fails() -> None:
    base = SHARED_DATA / "attestations"
    if not base.exists():
        pytest.skip(f"{base} absent (corpus-wide test runs where ../shared/data exists)")
    negatives = sorted(base.rglob("NEG_*"))
    assert negatives
    source_roots = [str(p) for p in (base / "sigstore").glob("trusted_root_*.json")]
    from xposture.scanners.base import SourceConfig

    ctx = ScanContext()
    source = SourceConfig(
        "attestation", {"paths": [str(p) for p in negatives], "trusted_roots": source_roots}, Path(".")
    )
    records = list(AttestationScanner().scan(source, ctx))
    assert len(records) == len(negatives)
    assert all(r["attestation.status"] == "failed" for r in records)


def test_crafted_and_shared_data_is_in_the_manifest() -> None:
    manifest = (REPO / "tests" / "data" / "silicon" / "MANIFEST.md").read_text()
    for path in SHARED.rglob("*"):
        if path.is_file():
            assert f"`{path.relative_to(SHARED.parent).as_posix()}`" in manifest, path
    assert CRAFTED.is_dir()


def test_silicon_rules_only_use_documented_fields() -> None:
    import yaml

    docs = documented()
    common = docs["(every record)"]
    for path in sorted((REPO / "xposture" / "rules" / "packs" / "silicon").glob("*.yml")):
        rule = yaml.safe_load(path.read_text())
        listed = docs[rule["logsource"]["category"]] | common
        used = set(rule.get("fields", []))
        for name, block in rule["detection"].items():
            if name != "condition" and isinstance(block, dict):
                used |= {key.split("|")[0] for key in block}
        assert used <= listed, (path.name, used - listed)
        assert rule["name"] == f"silicon.{path.stem}"
        assert rule["tests"]["match"] and rule["tests"]["nomatch"]
