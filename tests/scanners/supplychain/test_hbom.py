"""The hbom scanner on real and hand-made hardware BOMs; each silicon rule fires on a crafted one, none on the clean one."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.scanners.supplychain.silicon_support import CRAFTED, POLICY, SHARED, no_network  # noqa: F401
from xposture.errors import InputError
from xposture.model import Record
from xposture.rules import builtin_pack_dirs
from xposture.rules.engine import RuleSet
from xposture.scanners.base import ScanContext, SourceConfig
from xposture.scanners.supplychain.hbom import HbomScanner
from xposture.scanners.supplychain.hbom_read import load_document
from xposture.scanners.supplychain.os_eol import lookup

PACK = next(p for p in builtin_pack_dirs() if p.name == "silicon")


def scan(path: Path, policy: dict[str, object] | None = None) -> list[Record]:
    ctx = ScanContext(policy=POLICY if policy is None else policy)
    source = SourceConfig("hbom", {"paths": [str(path)], "today": "2026-11-29"}, base_dir=Path("."))
    records = list(HbomScanner().scan(source, ctx))
    assert ctx.coverage and ctx.coverage[-1].records == len(records)
    return records


def fired(records: list[Record]) -> set[str]:
    rules = RuleSet.load([PACK])
    assert not rules.errors
    return {m.rule.name for m in rules.evaluate(records)}


def test_clean_hbom_fires_nothing() -> None:
    records = scan(CRAFTED / "hbom_clean.cdx.json")
    assert len(records) == 6
    assert fired(records) == set()
    top = next(r for r in records if r["record.key"] == "acme-plc-5000")
    assert top["identity.vendor"] == "ACME Controls"
    assert top["identity.model"] == "PLC5000-16DI"
    assert top["identity.firmware"] == "2.9.2"
    assert top["asset.id"] == "device:acme-controls/plc5000-16di/sn-000123"
    mcu = next(r for r in records if r["record.key"] == "mcu-1")
    assert mcu["hw.distributor_authorized"] is True
    assert mcu["hw.certifications"] == ["US:FCC"]
    assert mcu["hw.lot"] == "L2419"


def test_dirty_hbom_fires_every_hardware_rule() -> None:
    names = fired(scan(CRAFTED / "hbom_dirty.cdx.json"))
    assert names == {
        "silicon.device_without_linked_firmware",
        "silicon.missing_part_number",
        "silicon.missing_manufacturer",
        "silicon.origin_country_not_allowed",
        "silicon.unauthorized_distributor",
        "silicon.part_end_of_life",
        "silicon.os_end_of_support",
        "silicon.missing_export_control_class",
        "silicon.restricted_export_control_class",
        "silicon.semi_e187_vulnerability_scan_evidence_missing",
        "silicon.semi_e188_malware_scan_evidence_missing",
    }


def test_dirty_hbom_derived_fields() -> None:
    records = {r["record.key"]: r for r in scan(CRAFTED / "hbom_dirty.cdx.json")}
    assert records["old-hmi"]["hw.origin_denied"] is True
    assert records["hmi-os"]["hw.os_end_of_support"] == "2020-10-13"
    assert records["no-mpn"]["hw.months_to_eol"] == 4
    assert records["no-mpn"]["hw.eol_within_horizon"] is True
    assert records["cpu-1"]["hw.lifecycle"] == "nrnd"


def test_no_policy_means_no_policy_findings() -> None:
    records = scan(CRAFTED / "hbom_dirty.cdx.json", policy={})
    assert all("hw.origin_allowed" not in r and "hw.distributor_authorized" not in r for r in records)


def test_real_cyclonedx_hbom_example() -> None:
    records = scan(SHARED / "sbom" / "hbom_pcie-sata-adapter-board.cdx.json")
    parts = [r for r in records if r["record.type"] == "hw_component"]
    assert len(parts) == 7
    molex = next(r for r in parts if r["hw.name"] == "47155-4001")
    assert molex["hw.manufacturer"] == "Molex"  # CycloneDX 1.4: the supplier is the maker
    assert "hw.distributor" not in molex


def test_firmware_only_sbom_is_a_firmware_asset() -> None:
    records = scan(SHARED / "sbom" / "edk2_shell_sbom.cdx.json")
    assert records[0]["asset.id"] == "firmware:edk-ii@edk2-stable202411-105-gd55d4e22f4"


def test_os_lookup() -> None:
    assert lookup("Windows Server", "2012 R2") is not None
    entry = lookup("Debian GNU/Linux", "10.13")
    assert entry is not None and entry.cycle == "10"
    assert lookup("VxWorks", "7") is None


def test_unreadable_bom_is_an_input_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(InputError) as info:
        scan(bad)
    assert info.value.file == str(bad)


component = st.fixed_dictionaries(
    {"type": st.sampled_from(["device", "firmware", "library", 3, None])},
    optional={
        "name": st.text(max_size=10) | st.integers(),
        "manufacturer": st.none() | st.text(max_size=5) | st.fixed_dictionaries({"name": st.text(max_size=5)}),
        "properties": st.lists(
            st.fixed_dictionaries(
                {"name": st.sampled_from(["cdx:device:mpn", "xposture:hw:eolDate", "x"]), "value": st.text(max_size=8)}
            )
            | st.integers(),
            max_size=3,
        ),
        "hashes": st.lists(
            st.fixed_dictionaries({"alg": st.text(max_size=5), "content": st.text(max_size=5)}), max_size=2
        ),
    },
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.fixed_dictionaries(
        {"bomFormat": st.just("CycloneDX")},
        optional={
            "components": st.lists(component, max_size=4) | st.text(max_size=3),
            "metadata": st.fixed_dictionaries({}, optional={"component": component}) | st.integers(),
            "dependencies": st.lists(
                st.fixed_dictionaries({"ref": st.text(max_size=3), "dependsOn": st.lists(st.text(max_size=3))})
            ),
            "declarations": st.none() | st.fixed_dictionaries({"evidence": st.lists(st.text(max_size=5))}),
        },
    )
)
def test_fuzz_cyclonedx_shapes(tmp_path_factory: pytest.TempPathFactory, bom: dict[str, object]) -> None:
    path = tmp_path_factory.mktemp("bom") / "bom.json"
    path.write_text(json.dumps(bom))
    with contextlib.suppress(InputError):
        scan(path)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.binary(max_size=512))
def test_fuzz_bytes(tmp_path_factory: pytest.TempPathFactory, data: bytes) -> None:
    path = tmp_path_factory.mktemp("bom") / "bom.json"
    path.write_bytes(data)
    with contextlib.suppress(InputError):
        load_document(path)


def test_spdx3_device_and_firmware_packages() -> None:
    records = {r["record.key"]: r for r in scan(CRAFTED / "gateway.spdx3.json")}
    gateway = records["https://example.com/gw"]
    assert gateway["hw.type"] == "device"
    assert gateway["hw.manufacturer"] == "ACME Controls"
    assert gateway["hw.distributor"] == "Avnet"
    assert gateway["hw.has_firmware"] is True
    firmware = records["https://example.com/gw-fw"]
    assert firmware["hw.digests"] == ["sha256:" + "ab" * 32]
    assert firmware["hw.cpe"].startswith("cpe:2.3:o:acme:gw-firmware")
    assert records["hbom:gateway.spdx3.json"]["hbom.software_components"] == 1


def test_cyclonedx_xml_reads_like_its_json_twin() -> None:
    strip = ("source.file", "hbom.serial_number", "record.key")
    xml = [{k: v for k, v in r.items() if k not in strip} for r in scan(CRAFTED / "hbom_clean.cdx.xml")]
    json_ = [{k: v for k, v in r.items() if k not in strip} for r in scan(CRAFTED / "hbom_clean.cdx.json")]
    assert xml == json_
    assert fired(scan(CRAFTED / "hbom_clean.cdx.xml")) == set()


def test_xml_entity_expansion_is_refused(tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.xml"
    bomb.write_text(
        '<?xml version="1.0"?><!DOCTYPE bom [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>'
        '<bom xmlns="http://cyclonedx.org/schema/bom/1.6"><metadata>&b;</metadata></bom>'
    )
    with pytest.raises(InputError):
        scan(bomb)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(max_size=300))
def test_fuzz_xml_text(tmp_path_factory: pytest.TempPathFactory, text: str) -> None:
    path = tmp_path_factory.mktemp("bom") / "bom.xml"
    path.write_text('<bom xmlns="http://cyclonedx.org/schema/bom/1.6">' + text)
    with contextlib.suppress(InputError):
        load_document(path)


def test_one_bad_file_does_not_hide_the_others(tmp_path: Path) -> None:
    (tmp_path / "a-bad.json").write_text("[1, 2")
    (tmp_path / "b-good.cdx.json").write_bytes((CRAFTED / "hbom_clean.cdx.json").read_bytes())
    ctx = ScanContext(policy=POLICY)
    source = SourceConfig("hbom", {"paths": [str(tmp_path)]}, base_dir=Path("."))
    records: list[Record] = []
    with pytest.raises(InputError) as info:
        for record in HbomScanner().scan(source, ctx):
            records.append(record)
    assert info.value.file == str(tmp_path / "a-bad.json")
    assert len(records) == 6
    assert [c.status for c in ctx.coverage] == ["failed", "ok"]
