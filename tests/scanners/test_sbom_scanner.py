"""The ``sbom`` scanner and the vulnerability enricher, run the way the pipeline runs them."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from tests.conftest import DATA, REPO
from xposture.enrich.vulnerabilities import VulnerabilityEnricher
from xposture.errors import InputError
from xposture.inventory.model import Inventory
from xposture.model import Record
from xposture.scanners.base import ScanContext, SourceConfig
from xposture.scanners.supplychain.sbom import SbomScanner

HANDMADE = DATA / "sbom" / "handmade"


def _taxonomy_fields() -> dict[str, set[str]]:
    """Fields per record type from docs/taxonomy.md and docs/taxonomy/sbom.md (the contract rules rely on)."""
    fields: dict[str, set[str]] = {}
    for page in (REPO / "docs" / "taxonomy.md", REPO / "docs" / "taxonomy" / "sbom.md"):
        current = ""
        for line in page.read_text().splitlines():
            if line.startswith("## "):
                current = line[3:].strip()
            elif line.startswith("# "):
                current = ""
            elif current and line.startswith("| ") and not line.startswith(("| field", "|---")):
                fields.setdefault(current, set()).add(line.split("|")[1].strip())
    return fields


def assert_in_taxonomy(records: list[Record]) -> None:
    known = _taxonomy_fields()
    common = known["(every record)"]
    for record in records:
        allowed = common | known.get(str(record["record.type"]), set())
        unknown = {
            k
            for k in record
            if k not in allowed and not any(p.endswith(".*") and k.startswith(p[:-1]) for p in allowed)
        }
        assert not unknown, (record["record.type"], unknown)


def _scan(
    tmp_path: Path, options: dict[str, object], advisories: list[Path] | None = None
) -> tuple[list[Record], ScanContext]:
    source = SourceConfig(scanner="sbom", options=options, base_dir=tmp_path, site="plant")
    ctx = ScanContext(data_dir=tmp_path / "data", inventory=Inventory(advisories=advisories or []))
    records = list(SbomScanner().scan(source, ctx))
    return records, ctx


def test_scanner_yields_documents_components_and_vex(tmp_path: Path) -> None:
    folder = tmp_path / "fw"
    folder.mkdir()
    shutil.copy(HANDMADE / "gateway.cdx.json", folder)
    shutil.copy(HANDMADE / "zlib-not-affected.openvex.json", folder)
    (folder / "README.md").write_text("not an SBOM")
    records, ctx = _scan(tmp_path, {"paths": ["fw/"]})
    types = [r["record.type"] for r in records]
    assert (
        types.count("sbom_document") == 1 and types.count("sbom_component") == 7 and types.count("vex_statement") == 1
    )
    statuses = {Path(c.target).name: c.status for c in ctx.coverage}
    assert statuses == {"gateway.cdx.json": "ok", "zlib-not-affected.openvex.json": "ok"}
    assert_in_taxonomy(records)


def test_missing_and_broken_files_are_reported_and_raised_after_the_rest(tmp_path: Path) -> None:
    broken = tmp_path / "broken.cdx.json"
    broken.write_text('{"bomFormat": "CycloneDX"')
    with pytest.raises(InputError):
        _scan(tmp_path, {"paths": [str(broken), str(HANDMADE / "zlib-only.cdx.json"), "missing/"]})
    source = SourceConfig(
        scanner="sbom", options={"paths": [str(broken), str(HANDMADE / "zlib-only.cdx.json")]}, base_dir=tmp_path
    )
    ctx = ScanContext(data_dir=tmp_path)
    seen: list[Record] = []
    with pytest.raises(InputError):
        for record in SbomScanner().scan(source, ctx):
            seen.append(record)
    assert any(r["record.type"] == "sbom_component" for r in seen)
    assert [c.status for c in ctx.coverage] == ["failed", "ok"]


def test_enricher_matches_components_devices_and_applies_vex(tmp_path: Path) -> None:
    records, ctx = _scan(
        tmp_path,
        {"paths": [str(HANDMADE / "gateway.cdx.json")], "vex": [str(HANDMADE / "zlib-not-affected.openvex.json")]},
        advisories=[DATA / "sbom" / "advisories"],
    )
    plc: Record = {
        "record.type": "ot_device",
        "record.key": "enip",
        "record.layer": "ot",
        "asset.id": "ip:plant/10.10.1.5",
        "source.scanner": "pcap",
        "identity.vendor": "Rockwell Automation/Allen-Bradley",
        "identity.model": "1756-EN2T/B",
        "identity.firmware": "5.007",
    }
    records.append(plc)
    added = list(VulnerabilityEnricher().enrich(records, ctx))
    assert_in_taxonomy(added)
    by_key = {(r["asset.id"], r["vuln.id"]): r for r in added}
    device = by_key[("ip:plant/10.10.1.5", "CVE-2024-6242")]
    assert (
        device["match.target"] == "device"
        and device["record.layer"] == "ot"
        and device["vuln.advisory"] == "ICSA-24-214-09"
    )
    zlib = by_key[("firmware:test-gateway@1.0.0", "CVE-2023-45853")]
    assert zlib["vex.suppressed"] is True and zlib["vex.status"] == "not_affected"
    assert any(c.target.endswith("advisories") and c.status == "ok" for c in ctx.coverage)
    # a second scan imports nothing again
    ctx2 = ScanContext(data_dir=ctx.data_dir, inventory=ctx.inventory)
    list(VulnerabilityEnricher().enrich(records, ctx2))
    assert any("8 files unchanged" in c.detail for c in ctx2.coverage)


def test_enricher_says_when_it_had_nothing_to_match_against(tmp_path: Path) -> None:
    records, ctx = _scan(tmp_path, {"paths": [str(HANDMADE / "zlib-only.cdx.json")]})
    assert list(VulnerabilityEnricher().enrich(records, ctx)) == []
    assert any(c.status == "skipped" and re.search("empty", c.detail) for c in ctx.coverage)


def test_policy_turns_name_matching_off(tmp_path: Path) -> None:
    records, ctx = _scan(
        tmp_path, {"paths": [str(HANDMADE / "gateway.cdx.json")]}, advisories=[DATA / "sbom" / "advisories"]
    )
    ctx.policy = {"sbom_name_matching": False}
    methods = {r["match.method"] for r in VulnerabilityEnricher().enrich(records, ctx)}
    assert methods == {"cpe", "purl"}


def test_devices_declared_in_the_inventory_are_matched(tmp_path: Path) -> None:
    from xposture.inventory.model import DeclaredAsset, Site

    site = Site(
        name="plant",
        assets=[
            DeclaredAsset(
                name="bridge-1", ip="10.10.1.7", vendor="Rockwell Automation", model="1756-EN2T/B", firmware="5.007"
            ),
            DeclaredAsset(
                name="bridge-2", ip="10.10.1.8", vendor="Rockwell Automation", model="1756-EN2T/B", firmware="11.002"
            ),
            DeclaredAsset(name="hmi", ip="10.10.1.9"),
        ],
    )
    inventory = Inventory(sites=[site], advisories=[DATA / "sbom" / "advisories"])
    ctx = ScanContext(data_dir=tmp_path / "data", inventory=inventory)
    added = list(VulnerabilityEnricher().enrich([], ctx))
    assert_in_taxonomy(added)
    assert [(r["asset.id"], r["vuln.id"], r["match.method"]) for r in added] == [
        ("ip:plant/10.10.1.7", "CVE-2024-6242", "vendor_model")
    ]
    assert added[0]["asset.name"] == "bridge-1" and added[0]["record.layer"] == "ot"


def test_devices_without_any_advisory_setup_add_no_noise(tmp_path: Path) -> None:
    device: Record = {
        "record.type": "ot_device",
        "asset.id": "ip:x/10.0.0.1",
        "identity.vendor": "Siemens",
        "identity.model": "S7-1200",
    }
    ctx = ScanContext(data_dir=tmp_path / "data", inventory=Inventory())
    assert list(VulnerabilityEnricher().enrich([device], ctx)) == []
    assert ctx.coverage == [] and not (tmp_path / "data" / "advisories.db").exists()
