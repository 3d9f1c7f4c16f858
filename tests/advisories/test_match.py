"""The matching ladder against hand-made SBOMs whose expected matches are written down, and OT device identities."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import DATA
from xposture.advisories.db import AdvisoryDB
from xposture.advisories.match import Target, match_targets
from xposture.advisories.records import apply_vex, match_record, targets_from_records
from xposture.sbom.loader import read_sbom
from xposture.sbom.records import component_records
from xposture.sbom.vex import read_vex

ADVISORIES = DATA / "sbom" / "advisories"


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> AdvisoryDB:
    path = tmp_path_factory.mktemp("adv") / "advisories.db"
    database = AdvisoryDB(path)
    database.import_paths([ADVISORIES, DATA / "sbom" / "handmade" / "kev.csv"])
    return database


def _gateway_matches(db: AdvisoryDB, name_matching: bool) -> dict[tuple[str, str], tuple[str, float]]:
    doc = read_sbom(DATA / "sbom" / "handmade" / "gateway.cdx.json")
    targets = targets_from_records(component_records(doc))
    return {
        (m.target.ref.removeprefix("component:"), m.vuln_id): (m.method, m.confidence)
        for m in match_targets(targets, db, name_matching=name_matching)
    }


def test_gateway_expected_matches(db: AdvisoryDB) -> None:
    found = _gateway_matches(db, name_matching=True)
    assert found == {
        ("pkg:generic/openssl@3.0.8", "CVE-2024-6119"): ("cpe", 0.85),  # >=3.0.0 <3.0.15
        ("pkg:generic/zlib@1.2.13", "CVE-2023-45853"): ("cpe", 0.85),  # <1.3
        ("pkg:generic/dnsmasq@2.86", "OSV-2022-785"): ("purl", 0.95),  # OSS-Fuzz versions list
        ("pkg:generic/dnsmasq@2.86", "CVE-2021-45956"): (
            "name_version",
            0.35,
        ),  # ADP lists 2.86, no CPE on the component
        ("kernel", "CVE-2024-1086"): ("name_version", 0.35),  # linux-kernel 6.1.0 in >=3.15 <6.8
    }
    # not matched: zlib 1.3.1 (fixed), npm "openssl" (other ecosystem), openssl without a version (name rung too weak)


def test_without_name_matching_only_strong_rungs_remain(db: AdvisoryDB) -> None:
    found = _gateway_matches(db, name_matching=False)
    assert {method for method, _ in found.values()} == {"cpe", "purl"}


def test_match_record_fields(db: AdvisoryDB) -> None:
    doc = read_sbom(DATA / "sbom" / "handmade" / "gateway.cdx.json")
    records = list(component_records(doc))
    matches = match_targets(targets_from_records(records), db)
    kernel = next(m for m in matches if m.vuln_id == "CVE-2024-1086")
    record = match_record(kernel)
    assert record["vuln.kev"] is True and record["vuln.kev_date_added"] == "2024-05-30"
    assert record["match.confidence_label"] == "low" and record["match.fixed_version"] == "6.8"
    assert record["asset.id"] == "firmware:test-gateway@1.0.0" and record["source.file"].endswith("gateway.cdx.json")


def test_vex_is_scoped_to_vulnerability_and_component(db: AdvisoryDB, tmp_path: Path) -> None:
    doc = read_sbom(DATA / "sbom" / "handmade" / "gateway.cdx.json")
    matches = match_targets(targets_from_records(component_records(doc)), db)
    statements = read_vex(DATA / "sbom" / "handmade" / "zlib-not-affected.openvex.json")
    # the same CVE claimed for another product must not suppress zlib
    other = tmp_path / "other.json"
    other.write_text(
        '{"@context": "https://openvex.dev/ns/v0.2.0", "statements": [{"vulnerability": {"name": "CVE-2024-6119"},'
        ' "products": [{"@id": "pkg:generic/zlib@1.2.13"}], "status": "not_affected", "justification": "component_not_present"}]}'
    )
    apply_vex(matches, statements + read_vex(other))
    by_id = {m.vuln_id: m for m in matches}
    assert (
        by_id["CVE-2023-45853"].suppressed
        and by_id["CVE-2023-45853"].vex_justification == "vulnerable_code_not_present"
    )
    assert not by_id["CVE-2024-6119"].suppressed


def test_cyclonedx_vex_applies_by_bom_ref_and_bom_link() -> None:
    from xposture.sbom.vex import ProductIdentity, find_statement

    statements = read_vex(DATA / "sbom" / "vex" / "cdx-cisa-case-1-not_affected.json")
    assert [(s.vulnerability, s.status, s.justification) for s in statements] == [
        ("CVE-2021-44228", "not_affected", "code_not_present")
    ]
    product = ProductIdentity(refs={"product-ABC"}, name="ABC", version="4.2")
    assert find_statement({"CVE-2021-44228"}, product, statements) is statements[0]
    assert find_statement({"CVE-2021-45046"}, product, statements) is None  # another CVE: not covered
    assert find_statement({"CVE-2021-44228"}, ProductIdentity(refs={"other"}), statements) is None  # another product
    statements[0].products = ["urn:cdx:3e671687-395b-41f5-a30f-a58921a69b79/1#product-ABC"]
    assert find_statement({"CVE-2021-44228"}, product, statements) is statements[0]


def test_csaf_vex_statuses_by_product() -> None:
    from xposture.sbom.vex import ProductIdentity, find_statement, parse_vex

    csaf = {
        "document": {
            "csaf_version": "2.0",
            "category": "csaf_vex",
            "tracking": {"id": "VEX-1", "current_release_date": "2026-11-01T00:00:00Z"},
        },
        "product_tree": {
            "branches": [
                {
                    "category": "vendor",
                    "name": "Example",
                    "branches": [
                        {
                            "category": "product_name",
                            "name": "gateway",
                            "branches": [
                                {
                                    "category": "product_version",
                                    "name": "2.4.1",
                                    "product": {
                                        "name": "Example gateway 2.4.1",
                                        "product_id": "P1",
                                        "product_identification_helper": {"purl": "pkg:generic/zlib@1.2.13"},
                                    },
                                }
                            ],
                        }
                    ],
                }
            ]
        },
        "vulnerabilities": [
            {
                "cve": "CVE-2023-45853",
                "product_status": {"known_not_affected": ["P1"]},
                "flags": [{"label": "vulnerable_code_not_present", "product_ids": ["P1"]}],
                "threats": [{"category": "impact", "details": "minizip not built", "product_ids": ["P1"]}],
            }
        ],
    }
    statements = parse_vex(csaf, "vex.json") or []
    found = find_statement(
        {"CVE-2023-45853"}, ProductIdentity(purl="pkg:generic/zlib@1.2.13", version="1.2.13"), statements
    )
    assert found is not None and (found.status, found.justification, found.detail) == (
        "not_affected",
        "vulnerable_code_not_present",
        "minizip not built",
    )
    assert find_statement({"CVE-2023-45853"}, ProductIdentity(purl="pkg:generic/zlib@1.3"), statements) is None


def _device(vendor: str, model: str, firmware: str, name: str = "") -> Target:
    record = {
        "record.type": "ot_device",
        "asset.id": "ip:plant/10.0.0.5",
        "identity.vendor": vendor,
        "identity.model": model,
        "identity.firmware": firmware,
    }
    if name:
        record["identity.name"] = name
    return targets_from_records([record])[0]


def test_device_in_csaf_range_is_matched_on_its_asset(db: AdvisoryDB) -> None:
    inside = match_targets([_device("Siemens", "6ES7615-4DF10-0AB0", "V3.1.2")], db)
    hit = next(m for m in inside if m.vuln.get("advisory") == "ICSA-24-284-10")
    assert hit.method == "model_number" and hit.version_evaluated and hit.fixed.upper() == "V3.1.4"
    assert match_record(hit)["asset.id"] == "ip:plant/10.0.0.5"
    outside = match_targets([_device("Siemens", "6ES7615-4DF10-0AB0", "V3.1.4")], db)
    assert not [m for m in outside if m.vuln.get("advisory") == "ICSA-24-284-10"]


def test_device_family_version_from_cip_identity(db: AdvisoryDB) -> None:
    # ICSA-24-214-09 lists 1756-EN2T Series A/B/C at v5.007 (unsigned); CIP ListIdentity gives "Rockwell Automation/Allen-Bradley"
    hits = match_targets([_device("Rockwell Automation/Allen-Bradley", "1756-EN2T/C", "5.007")], db)
    assert [(m.vuln_id, m.method) for m in hits] == [("CVE-2024-6242", "vendor_model")]
    assert not match_targets([_device("Rockwell Automation/Allen-Bradley", "1756-EN2T/C", "11.002")], db)
    # another vendor with the same model token does not match
    assert not match_targets([_device("Acme", "1756-EN2T", "5.007")], db)


def test_device_with_unknown_firmware_is_a_weak_match(db: AdvisoryDB) -> None:
    hits = match_targets([_device("Siemens", "6ES7615-4DF10-0AB0", "")], db)
    assert hits and all(not m.version_evaluated and m.confidence < 0.5 for m in hits)


def test_firmware_component_with_order_number_property(db: AdvisoryDB, tmp_path: Path) -> None:
    sbom = tmp_path / "plc.cdx.json"
    sbom.write_text(
        json.dumps(
            {
                "bomFormat": "CycloneDX",
                "specVersion": "1.6",
                "version": 1,
                "components": [
                    {
                        "type": "firmware",
                        "bom-ref": "cpu",
                        "name": "SIMATIC Drive Controller CPU 1504D TF",
                        "version": "V3.1.2",
                        "supplier": {"name": "Siemens AG"},
                        "properties": [{"name": "siemens:mlfb", "value": "6ES7615-4DF10-0AB0"}],
                    },
                    {
                        "type": "firmware",
                        "bom-ref": "enbt",
                        "name": "1756-EN2T",
                        "version": "5.007",
                        "supplier": {"name": "Rockwell Automation"},
                    },
                ],
            }
        )
    )
    records = list(component_records(read_sbom(sbom)))
    assert records[0]["component.model"] == "6ES7615-4DF10-0AB0"
    found = {(m.target.ref, m.vuln.get("advisory"), m.method) for m in match_targets(targets_from_records(records), db)}
    assert found == {
        ("component:cpu", "ICSA-24-284-10", "model_number"),
        ("component:enbt", "ICSA-24-214-09", "vendor_model"),
    }


def test_osv_distro_records_meet_distro_purls(tmp_path: Path) -> None:
    from xposture.advisories.osv import parse_osv

    record = {
        "id": "DSA-5532-1",
        "modified": "2026-01-01T00:00:00Z",
        "aliases": ["CVE-2023-5363"],
        "affected": [
            {
                "package": {"ecosystem": "Debian:12", "name": "openssl"},
                "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "3.0.11-1~deb12u2"}]}],
            }
        ],
    }
    assert parse_osv(record).affected[0].keys[0] == "purl:deb/debian/openssl"
    path = tmp_path / "dsa.json"
    path.write_text(json.dumps(record))
    epss = tmp_path / "epss.csv"
    epss.write_text("cve,epss,percentile\nCVE-2023-5363,0.2,0.9\n")
    with AdvisoryDB(tmp_path / "a.db") as database:
        database.import_paths([path, epss])
        old = Target("component", "c1", name="openssl", purl="pkg:deb/debian/openssl@3.0.11-1~deb12u1?arch=amd64")
        new = Target("component", "c2", name="openssl", purl="pkg:deb/debian/openssl@3.0.11-1~deb12u2")
        found = match_targets([old, new], database)
    assert [(m.target.ref, m.vuln_id, m.aliases, m.vuln["epss"]) for m in found] == [
        ("c1", "CVE-2023-5363", ["DSA-5532-1"], 0.2)
    ]
