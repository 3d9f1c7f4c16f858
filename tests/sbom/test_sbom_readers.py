"""SBOM readers over real documents (CycloneDX JSON/XML 1.1-1.7, SPDX 2.2/2.3 JSON and tag-value, SPDX 3.0 JSON-LD)."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import DATA, shared_data_or_skip
from xposture.errors import InputError
from xposture.sbom.loader import NotAnSbom, iter_sbom_files, read_sbom
from xposture.sbom.records import component_records, document_record, ntia_missing

SBOMS = DATA / "sbom" / "sboms"


@pytest.mark.parametrize(
    ("name", "fmt", "encoding", "spec", "components"),
    [
        ("valid-bom-1.6.json", "cyclonedx", "json", "1.6", 3),
        ("valid-bom-1.6.xml", "cyclonedx", "xml", "1.6", 3),
        ("sbom_laravel-7.12.0.cdx-1.1.xml", "cyclonedx", "xml", "1.1", 62),
        ("sbom_laravel-7.12.0.cdx-1.4.json", "cyclonedx", "json", "1.4", 62),
        ("valid-component-types-1.6.json", "cyclonedx", "json", "1.6", 9),
        ("ACME-v2.3.spdx.json", "spdx", "json", "2.3", 4),
        ("appbomination.spdx-2.2.json", "spdx", "json", "2.2", 7),
        ("example1.spdx", "spdx", "tag-value", "2.2", 1),
        ("appbomination.spdx-3.0.json", "spdx", "json-ld", "3.0.1", 7),
        ("cpe_data_show_pkg_stats.json", "buildroot", "json", "pkg-stats", 16),
        ("raspi_legal-info_manifest.csv", "buildroot", "csv", "legal-info", 5),
    ],
)
def test_reads_every_format(name: str, fmt: str, encoding: str, spec: str, components: int) -> None:
    doc = read_sbom(SBOMS / name)
    assert (doc.format, doc.encoding, doc.spec_version, len(doc.components)) == (fmt, encoding, spec, components)
    assert all(c.name for c in doc.components)


def test_json_and_xml_of_one_bom_agree() -> None:
    as_json = read_sbom(SBOMS / "sbom_laravel-7.12.0.cdx-1.4.json")
    as_xml = read_sbom(SBOMS / "sbom_laravel-7.12.0.cdx-1.1.xml")
    assert {(c.name, c.version) for c in as_json.components} == {(c.name, c.version) for c in as_xml.components}
    assert {c.purl for c in as_xml.components} == {c.purl for c in as_json.components}


def test_schema_errors_become_facts_not_crashes() -> None:
    doc = read_sbom(SBOMS / "invalid-component-type-1.6.json")
    assert doc.schema_checked and doc.schema_errors
    assert "foo" in doc.schema_errors[0]
    record = document_record(doc)
    assert record["sbom.schema_valid"] is False and record["sbom.schema_error_count"] == len(doc.schema_errors)
    valid = document_record(read_sbom(SBOMS / "valid-bom-1.6.json"))
    assert valid["sbom.schema_valid"] is True


def test_device_and_firmware_types_and_nesting_are_kept() -> None:
    doc = read_sbom(SBOMS / "valid-component-types-1.6.json")
    assert {"device", "firmware"} <= {c.type for c in doc.components}
    nested = read_sbom(DATA / "sbom" / "handmade" / "gateway.cdx.json")
    inner = next(c for c in nested.components if c.ref == "zlib-in-dnsmasq")
    assert (inner.parent, inner.depth) == ("dnsmasq", 1)


def test_spdx_tag_value_parse_prints_nothing_on_stdout(capsys: pytest.CaptureFixture[str]) -> None:
    read_sbom(SBOMS / "example1.spdx")
    assert capsys.readouterr().out == ""


def test_component_lines_point_into_the_file() -> None:
    path = DATA / "sbom" / "handmade" / "gateway.cdx.json"
    doc = read_sbom(path)
    lines = path.read_text().splitlines()
    for comp in doc.components:
        assert comp.line is not None and comp.ref in lines[comp.line - 1]


def test_ntia_facts() -> None:
    doc = read_sbom(DATA / "sbom" / "handmade" / "gateway.cdx.json")
    assert set(ntia_missing(doc)) == {"supplier", "version", "unique_identifier"}
    record = document_record(doc)
    assert record["sbom.ntia_minimum_elements"] is False
    assert record["sbom.components_without_hash"] == len(doc.components) - 1
    comps = {r["component.ref"]: r for r in component_records(doc)}
    assert comps["openssl"]["component.has_hash"] is True and comps["zlib"]["component.has_license"] is False
    assert comps["openssl"]["asset.id"] == "firmware:test-gateway@1.0.0"


def test_unsupported_release_line_is_flagged() -> None:
    doc = read_sbom(DATA / "sbom" / "handmade" / "gateway.cdx.json")
    comps = {r["component.ref"]: r for r in component_records(doc)}
    assert comps["openssl"]["component.eol_date"] == "2026-09-07"  # OpenSSL 3.0 LTS
    assert "component.eol" in comps["zlib"] and comps["zlib"]["component.eol"] is False


def test_other_documents_are_not_sboms(tmp_path: Path) -> None:
    with pytest.raises(NotAnSbom):
        read_sbom(DATA / "sbom" / "vex" / "intel-csme.vex.json")
    ini = tmp_path / "x.ini"
    ini.write_text("[uSWID]\ntag-id = x\n")
    with pytest.raises(NotAnSbom):
        read_sbom(ini)
    broken = tmp_path / "broken.cdx.json"
    broken.write_text('{"bomFormat": "CycloneDX", ')
    with pytest.raises(InputError) as info:
        read_sbom(broken)
    assert info.value.line == 1


def test_xml_entity_bombs_are_refused(tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.xml"
    bomb.write_text(
        '<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;">]>'
        '<bom xmlns="http://cyclonedx.org/schema/bom/1.6"><components><component type="library"><name>&b;</name>'
        "</component></components></bom>"
    )
    with pytest.raises(InputError):
        read_sbom(bomb)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(max_size=400))
def test_fuzz_bytes_raise_only_typed_errors(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "fuzz.json"
    path.write_bytes(data)
    with contextlib.suppress(InputError):
        read_sbom(path, validate=False)


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20,
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    body=st.fixed_dictionaries(
        {"bomFormat": st.just("CycloneDX"), "specVersion": st.sampled_from(["1.4", "1.6", "9"])},
        optional={"components": _json, "metadata": _json, "dependencies": _json, "vulnerabilities": _json},
    )
)
def test_fuzz_cyclonedx_shapes(tmp_path: Path, body: dict[str, object]) -> None:
    path = tmp_path / "fuzz.cdx.json"
    path.write_text(json.dumps(body))
    try:
        doc = read_sbom(path)
    except InputError:
        return
    list(component_records(doc))
    document_record(doc)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    body=st.fixed_dictionaries(
        {"spdxVersion": st.just("SPDX-2.3")},
        optional={"packages": _json, "relationships": _json, "creationInfo": _json},
    )
)
def test_fuzz_spdx_shapes(tmp_path: Path, body: dict[str, object]) -> None:
    path = tmp_path / "fuzz.spdx.json"
    path.write_text(json.dumps(body))
    try:
        doc = read_sbom(path)
    except InputError:
        return
    document_record(doc)


def test_corpus_every_sbom_reads_or_is_skipped_with_reason() -> None:
    root = shared_data_or_skip("sbom")
    read = 0
    for path in iter_sbom_files([root]):
        try:
            doc = read_sbom(path)
        except NotAnSbom:
            continue
        read += 1
        assert doc.format in ("cyclonedx", "spdx", "buildroot")
    assert read >= 50


def test_spdx_yaml_reads_like_its_json(tmp_path: Path) -> None:
    import yaml

    source = json.loads((SBOMS / "ACME-v2.3.spdx.json").read_text())
    as_yaml = tmp_path / "acme.spdx.yaml"
    as_yaml.write_text(yaml.safe_dump(source))
    doc = read_sbom(as_yaml)
    assert (doc.format, doc.encoding) == ("spdx", "yaml")
    assert {c.name for c in doc.components} == {c.name for c in read_sbom(SBOMS / "ACME-v2.3.spdx.json").components}


def test_buildroot_pkg_stats_keeps_target_packages_with_cpes() -> None:
    doc = read_sbom(SBOMS / "cpe_data_show_pkg_stats.json")
    busybox = next(c for c in doc.components if c.name == "busybox")
    assert (busybox.version, busybox.cpe, busybox.purl) == (
        "1.36.1",
        "cpe:2.3:a:busybox:busybox:1.36.1:*:*:*:*:*:*:*",
        "pkg:generic/busybox@1.36.1",
    )
    assert "automake" not in {c.name for c in doc.components}  # host tool, not in the image
