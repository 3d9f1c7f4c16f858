"""The device <-> firmware BOM <-> attestation join, and the attestation/firmware_link rules on crafted data."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.scanners.supplychain.silicon_support import CRAFTED, POLICY, SHARED, no_network  # noqa: F401
from xposture.enrich.firmware_link import FirmwareLinkEnricher
from xposture.inventory.model import DeclaredAsset, Inventory, Site
from xposture.model import Layer, Record, make_record
from xposture.rules import builtin_pack_dirs
from xposture.rules.engine import RuleSet
from xposture.scanners.base import ScanContext, SourceConfig
from xposture.scanners.supplychain.attestation import AttestationScanner
from xposture.scanners.supplychain.hbom import HbomScanner

PACK = next(p for p in builtin_pack_dirs() if p.name == "silicon")
FULL_POLICY: dict[str, Any] = POLICY | {
    "expected_source_repos": {"plc-fw-*": ["https://github.com/acme/plc-firmware"]},
    "required_slsa_level": 3,
    "allowed_external_parameters": ["workflow"],
    "required_signers": ["acme-release.pub"],
}


def floor_device(ip: str, vendor: str, model: str, firmware: str) -> Record:
    return make_record(
        "ot_device",
        asset_id=f"ip:fab1/{ip}",
        key="identity",
        layer=Layer.OT,
        scanner="snmp",
        fields={"asset.ip": ip, "identity.vendor": vendor, "identity.model": model, "identity.firmware": firmware},
    )


KEYS = [str(CRAFTED / "keys" / "acme-release.pub"), str(CRAFTED / "keys" / "other-signer.pub")]


def collect(
    attestations: list[Path], inventory: Inventory | None = None, keys: list[str] = KEYS
) -> tuple[list[Record], ScanContext]:
    ctx = ScanContext(policy=FULL_POLICY, inventory=inventory)
    hbom = SourceConfig("hbom", {"paths": [str(CRAFTED / "hbom_clean.cdx.json")], "today": "2026-11-29"}, Path("."))
    att = SourceConfig(
        "attestation",
        {
            "paths": [str(p) for p in attestations],
            "keys": keys,
            "artifacts": [str(CRAFTED / "firmware" / "plc-fw-2.9.2.bin")],
        },
        Path("."),
    )
    records = list(HbomScanner().scan(hbom, ctx)) + list(AttestationScanner().scan(att, ctx))
    records += [
        floor_device("10.10.1.5", "ACME Controls", "PLC5000-16DI", "V2.9.2"),
        floor_device("10.10.1.9", "Other Corp", "Gateway 9", "1.0"),
    ]
    records += list(FirmwareLinkEnricher().enrich(records, ctx))
    return records, ctx


def links(records: list[Record]) -> dict[str, Record]:
    return {str(r["asset.id"]): r for r in records if r["record.type"] == "firmware_link"}


def test_device_linked_to_verified_firmware() -> None:
    records, _ = collect([CRAFTED / "attestations" / "good.intoto.jsonl"])
    link = links(records)["ip:fab1/10.10.1.5"]
    assert link["link.linked"] is True
    assert link["link.method"] == "vendor_model_version"
    assert link["link.confidence"] == 1.0
    assert link["link.version_match"] is True
    assert link["link.provenance_status"] == "verified"
    assert "10.10.1.5 runs firmware plc-fw 2.9.2" in str(link["link.summary"])
    fw = next(r for r in records if r["record.key"] == "acme-plc-fw")
    assert fw["hw.provenance_status"] == "verified"
    att = next(r for r in records if r["record.type"] == "attestation")
    assert att["attestation.sbom_components"] == ["plc-fw 2.9.2"]
    unlinked = links(records)["ip:fab1/10.10.1.9"]
    assert unlinked["link.linked"] is False


def test_clean_chain_fires_only_the_unlinked_device() -> None:
    records, _ = collect([CRAFTED / "attestations" / "good.intoto.jsonl"])
    matches = [(m.rule.name, m.record["asset.id"]) for m in RuleSet.load([PACK]).evaluate(records)]
    assert matches == [("silicon.floor_device_without_firmware_bom", "ip:fab1/10.10.1.9")]


def test_unsigned_provenance_shows_on_the_device() -> None:
    records, _ = collect([CRAFTED / "attestations" / "unsigned.statement.json"])
    link = links(records)["ip:fab1/10.10.1.5"]
    assert link["link.provenance_status"] == "unsigned"
    assert "whose provenance is unsigned" in str(link["link.summary"])


def test_inventory_mapping_wins_with_full_confidence() -> None:
    site = Site(
        name="fab1",
        assets=[DeclaredAsset(name="plc-5", ip="10.10.1.9", firmware_sbom=str(CRAFTED / "hbom_clean.cdx.json"))],
    )
    records, _ = collect([CRAFTED / "attestations" / "good.intoto.jsonl"], Inventory(sites=[site]))
    link = links(records)["ip:fab1/10.10.1.9"]
    assert link["link.method"] == "inventory"
    assert link["link.confidence"] == 1.0
    assert link["link.version_match"] is False  # the device reports 1.0, the BOM describes 2.9.2


def test_every_attestation_and_link_rule_fires_on_crafted_data() -> None:
    records, _ = collect([CRAFTED / "attestations"])
    site = Site(name="fab1", assets=[DeclaredAsset(name="plc-5", ip="10.10.1.9", firmware_sbom="hbom_clean.cdx.json")])
    gcb = SHARED / "slsa" / "gcb_v0.3_gcloud-container-github.json"  # KMS-signed, no key given: unverifiable
    more, _ = collect([CRAFTED / "attestations" / "unsigned.statement.json", gcb], Inventory(sites=[site]), keys=[])
    names = {m.rule.name for m in RuleSet.load([PACK]).evaluate(records + more)}
    assert {
        "silicon.attestation_verification_failed",
        "silicon.firmware_unsigned",
        "silicon.attestation_unverifiable",
        "silicon.untrusted_builder",
        "silicon.unexpected_source_repo",
        "silicon.subject_digest_mismatch",
        "silicon.slsa_level_below_policy",
        "silicon.external_parameters_not_allowed",
        "silicon.signer_not_allowed",
        "silicon.floor_device_without_firmware_bom",
        "silicon.device_firmware_provenance_not_verified",
        "silicon.device_firmware_version_differs",
    } <= names


def test_every_rule_of_the_pack_fires_on_crafted_data() -> None:
    """The dirty HBOM plus the crafted attestations and devices reach every rule file of the pack."""
    rules = RuleSet.load([PACK])
    ctx = ScanContext(policy=FULL_POLICY)
    dirty = SourceConfig("hbom", {"paths": [str(CRAFTED / "hbom_dirty.cdx.json")], "today": "2026-11-29"}, Path("."))
    records = list(HbomScanner().scan(dirty, ctx))
    records += collect([CRAFTED / "attestations"])[0]
    site = Site(name="fab1", assets=[DeclaredAsset(name="plc-5", ip="10.10.1.9", firmware_sbom="hbom_clean.cdx.json")])
    gcb = SHARED / "slsa" / "gcb_v0.3_gcloud-container-github.json"
    records += collect([CRAFTED / "attestations" / "unsigned.statement.json", gcb], Inventory(sites=[site]), keys=[])[0]
    fired = {m.rule.name for m in rules.evaluate(records)}
    assert fired == {r.name for r in rules.rules}
    assert len(fired) == 23


def sbom_records(file: Path) -> list[Record]:
    """Records as the sbom scanner and vulnerabilities enricher write them (fields from docs/taxonomy/sbom.md)."""
    component = make_record(
        "sbom_component",
        asset_id="firmware:plc-fw@2.9.2",
        key="plc-fw@2.9.2",
        layer=Layer.SUPPLY_CHAIN,
        scanner="sbom",
        fields={
            "sbom.file": str(file),
            "component.name": "plc-fw",
            "component.version": "2.9.2",
            "component.type": "firmware",
            "component.supplier": "ACME Controls",
            "component.ref": "plc-fw@2.9.2",
        },
    )
    vuln = make_record(
        "vulnerability_match",
        asset_id="firmware:plc-fw@2.9.2",
        key="pkg:generic/busybox@1.35.0|CVE-2022-48174",
        layer=Layer.SUPPLY_CHAIN,
        scanner="vulnerabilities",
        fields={"vuln.id": "CVE-2022-48174", "sbom.file": str(file), "component.name": "busybox"},
    )
    return [component, vuln]


def test_firmware_sbom_joins_attestation_by_digest_and_reports_vulnerabilities() -> None:
    ctx = ScanContext(policy=FULL_POLICY)
    att = SourceConfig(
        "attestation",
        {"paths": [str(CRAFTED / "attestations" / "unsigned.statement.json")]},
        Path("."),
    )
    records = sbom_records(CRAFTED / "plc-fw-2.9.2.cdx.json") + list(AttestationScanner().scan(att, ctx))
    records.append(floor_device("10.10.1.5", "ACME Controls", "PLC5000-16DI", "2.9.2"))
    records += list(FirmwareLinkEnricher().enrich(records, ctx))
    link = links(records)["ip:fab1/10.10.1.5"]
    assert link["link.method"] == "vendor_model_version"
    assert link["link.confidence"] == 0.6
    assert link["link.firmware_source"] == str(CRAFTED / "plc-fw-2.9.2.cdx.json")
    assert link["link.vulnerabilities"] == ["CVE-2022-48174"]
    assert link["link.summary"] == (
        "ACME Controls PLC5000-16DI 10.10.1.5 runs firmware plc-fw 2.9.2, "
        "whose provenance is unsigned and whose SBOM lists CVE-2022-48174"
    )
    attestation = next(r for r in records if r["record.type"] == "attestation")
    assert attestation["attestation.sbom_components"] == ["plc-fw 2.9.2"]


def test_vendor_prefix_and_short_vendor_names_still_match() -> None:
    records, _ = collect([CRAFTED / "attestations" / "good.intoto.jsonl"])
    records = [r for r in records if r["record.type"] != "firmware_link" and r["record.type"] != "ot_device"]
    records.append(floor_device("10.10.1.6", "ACME", "PLC5000-16DI", "2.9.2"))
    link = links(list(FirmwareLinkEnricher().enrich(records, ScanContext())))["ip:fab1/10.10.1.6"]
    assert link["link.linked"] is True
    assert link["link.confidence"] == 1.0


def test_ot_only_scan_gets_no_firmware_links() -> None:
    records = [floor_device("10.10.1.5", "ACME Controls", "PLC5000-16DI", "2.9.2")]
    assert list(FirmwareLinkEnricher().enrich(records, ScanContext())) == []


def test_firmware_sbom_subject_on_the_document_record_and_device_advisories() -> None:
    file = CRAFTED / "plc-fw-2.9.2.cdx.json"
    document = make_record(
        "sbom_document",
        asset_id="firmware:plc-fw@2.9.2",
        key="sbom",
        layer=Layer.SUPPLY_CHAIN,
        scanner="sbom",
        fields={
            "sbom.file": str(file),
            "sbom.name": "plc-fw",
            "sbom.version": "2.9.2",
            "sbom.subject_type": "firmware",
            "sbom.supplier": "ACME Controls",
        },
    )
    device_vuln = make_record(
        "vulnerability_match",
        asset_id="ip:fab1/10.10.1.9",
        key="device|CVE-2025-10478",
        layer=Layer.OT,
        scanner="vulnerabilities",
        fields={"vuln.id": "CVE-2025-10478", "match.target": "device"},
    )
    ctx = ScanContext(policy=FULL_POLICY)
    att = SourceConfig(
        "attestation",
        {
            "paths": [str(CRAFTED / "attestations" / "good.intoto.jsonl")],
            "keys": [str(CRAFTED / "keys" / "acme-release.pub")],
        },
        Path("."),
    )
    records = [document, device_vuln, *AttestationScanner().scan(att, ctx)]
    records += [
        floor_device("10.10.1.5", "ACME Controls", "PLC5000-16DI", "2.9.2"),
        floor_device("10.10.1.9", "Other Corp", "Gateway 9", "1.0"),
    ]
    found = links(list(FirmwareLinkEnricher().enrich(records, ctx)))
    plc = found["ip:fab1/10.10.1.5"]
    assert plc["link.firmware_source"] == str(file)
    assert plc["link.provenance_status"] == "verified"
    other = found["ip:fab1/10.10.1.9"]
    assert other["link.vulnerabilities"] == ["CVE-2025-10478"]
    assert str(other["link.summary"]).endswith("advisories for the device: CVE-2025-10478")
