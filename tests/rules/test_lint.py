"""``xposture rules check`` lints: YAML 1.1 traps, custom attributes, taxonomy fields, names, ids, tags."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import DATA, REPO
from xposture.rules.lint import DOWNLOADING_VALIDATORS, lint, sigma_validators, yaml_traps
from xposture.rules.taxonomy import find_taxonomy, parse_taxonomy

LINT = DATA / "rules" / "lint" / "pack"
TAXONOMY_ROOT = DATA / "rules" / "taxonomy_root"


def _codes(path: Path) -> dict[str, list[str]]:
    taxonomy = find_taxonomy(TAXONOMY_ROOT)
    assert taxonomy is not None
    found: dict[str, list[str]] = {}
    for issue in lint([path], taxonomy):
        found.setdefault(issue.code, []).append(issue.message)
    return found


def test_clean_rule_has_no_issue() -> None:
    assert _codes(LINT / "clean_rule.yml") == {}


def test_yaml_11_traps() -> None:
    codes = _codes(LINT / "traps.yml")
    assert any("'1.10' is read as the float 1.1" in m for m in codes["unquoted-version"])
    assert any("'on' is read as a boolean" in m for m in codes["yaml11-bool"])
    assert any("'010' is read as the number 8" in m for m in codes["yaml11-int"])
    assert any("'1:20' is read as the number 80" in m for m in codes["yaml11-int"])
    dates = _codes(LINT / "date_trap.yml")
    assert any("read as a date" in m for m in dates["yaml11-timestamp"])
    assert "load" in dates  # pySigma cannot even load it; both are reported


def test_custom_attributes_names_tags_remediation() -> None:
    codes = _codes(LINT / "traps.yml")
    assert codes["custom-attribute"] == ["unknown custom attribute 'remediaton'"]
    assert any("Bad Name" in m for m in codes["name"])
    assert codes["remediation"]
    assert any("iec62443.x_1" in m for m in codes["tag"])
    assert any("madeup.thing" in m for m in codes["tag"])


def test_fields_not_in_taxonomy_from_detection_fields_and_tests() -> None:
    messages = _codes(LINT / "traps.yml")["taxonomy"]
    assert any("flow.unknown_field" in m and "(detection)" in m for m in messages)
    assert any("flow.not_listed" in m and "(fields)" in m for m in messages)
    assert any("flow.other" in m and "(tests.match)" in m for m in messages)
    assert not any("identity.firmware" in m for m in messages)  # listed under (every record)


def test_taxonomy_lint_skipped_without_taxonomy() -> None:
    issues = lint([LINT / "traps.yml"], None)
    assert not [i for i in issues if i.code == "taxonomy"]


def test_taxonomy_parser_reads_headings_tables_and_families() -> None:
    taxonomy = parse_taxonomy(
        [TAXONOMY_ROOT / "docs" / "taxonomy.md", TAXONOMY_ROOT / "docs" / "taxonomy" / "flows.md"]
    )
    assert taxonomy.known("network_flow", "flow.protocol")
    assert taxonomy.known("network_flow", "tags.owner")  # tags.* family
    assert taxonomy.known("anything", "identity.firmware")
    assert not taxonomy.known("network_flow", "flow.nope")
    assert not taxonomy.has_type("Policy keys")


def test_repository_taxonomy_is_found() -> None:
    taxonomy = find_taxonomy()
    assert taxonomy is not None
    assert REPO / "docs" / "taxonomy.md" in taxonomy.sources
    assert taxonomy.has_type("correlation")


def test_offline_validators_only() -> None:
    assert {"attacktag", "d3_fendtag"} == DOWNLOADING_VALIDATORS
    issues = sigma_validators([DATA / "sigma" / "rules" / "network" / "zeek" / "zeek_susp_kerberos_rc4.yml"])
    assert all(not i.code.startswith("sigma.InvalidATTACKTag") for i in issues)


def test_sigmahq_sample_has_no_error_level_issue() -> None:
    issues = lint([DATA / "sigma" / "rules"], find_taxonomy())
    assert [i for i in issues if i.severity == "error"] == []


def test_modifiers_that_cannot_hold_on_the_documented_type() -> None:
    messages = _codes(LINT / "modifier_types.yml")["modifier-type"]
    assert any("'flow.protocol' is str" in m and "|gt" in m for m in messages)
    assert any("'flow.bytes' is int" in m and "|cidr" in m for m in messages)
    assert "modifier-type" not in _codes(LINT / "clean_rule.yml")


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=400))
def test_lints_never_raise_on_arbitrary_files(text: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "fuzz.yml"
        path.write_text(text, encoding="utf-8")
        yaml_traps(path)
        lint([path], find_taxonomy(TAXONOMY_ROOT))
        parse_taxonomy([path])


def test_yaml_traps_in_sibling_tests_files(tmp_path: Path) -> None:
    pack = tmp_path / "sibling"
    pack.mkdir()
    (pack / "ftp_cleartext.yml").write_text((DATA / "rules" / "sibling" / "ftp_cleartext.yml").read_text())
    (pack / "ftp_cleartext.tests.yml").write_text(
        "match: [{service.name: ftp, service.version: 1.10}]\nnomatch: [{service.name: x}]\n"
    )
    issues = lint([pack], None)
    assert any(i.code == "unquoted-version" and i.file.endswith(".tests.yml") for i in issues)
