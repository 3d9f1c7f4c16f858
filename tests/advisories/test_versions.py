"""Version ordering and range parsing, including the free text of the real CISA CSAF advisories."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.conftest import DATA, shared_data_or_skip
from xposture.advisories.csaf import iter_products
from xposture.advisories.versions import compare, evaluate, parse_range_text


@pytest.mark.parametrize(
    ("a", "b", "order"),
    [
        ("1.0rc1", "1.0", -1),
        ("1.0", "1.0.0", 0),
        ("9.7p1", "9.7", 1),
        ("9.7p1", "9.7.1", -1),
        ("1.1.1d", "1.1.1c", 1),
        ("1.1.1zb", "1.1.1za", 1),
        ("V18 Update 2", "V18", 1),
        ("V4.95_SP3", "V4.95", 1),
        ("v5.007", "V5.006", 1),
        ("V33.011", "V33.017", -1),
        ("2023_R2_P01", "2023_R2", 1),
    ],
)
def test_natural_order(a: str, b: str, order: int) -> None:
    assert compare(a, b) == order


def test_ecosystem_order_uses_univers() -> None:
    assert compare("1.0.0a1", "1.0.0", "pypi") == -1
    assert compare("1:2.0-1", "1.9-1", "deb") == 1


def _verdict(text: str, version: str) -> bool | None:
    return evaluate(version, list(parse_range_text(text).intervals))[0]


@pytest.mark.parametrize(
    ("text", "version", "affected"),
    [
        ("< V8.1", "V8.0.3", True),
        ("< V8.1", "V8.1", False),
        ("<V8.1", "8.1.1", False),
        ("V2.0 to V2.3", "V2.2", True),
        ("V2.0 to V2.3", "V2.3", True),
        ("V2.0 to V2.3", "V2.4", False),
        ("V2.0 to V2.3", "V1.9", False),
        ("all versions", "V1.0", True),
        ("vers:all/*", "", True),
        ("vers:all/<V3.1.4", "V3.1.2", True),
        ("vers:all/<V3.1.4", "V3.1.4", False),
        ("<V18_Update_2", "V18 Update 1", True),
        ("<V18_Update_2", "V18 Update 3", False),
        (">v33.011|<v33.015", "V33.012", True),
        (">v33.011|<v33.015", "V33.011", False),
        ("vers:all/>=V11.5.1|<V11.6.2", "V11.6.0", True),
        (">=V10.0.0<V10.0.2", "V10.0.1", True),
        ("11.1.0|11.2.0|12.0.0", "11.2.0", True),
        ("11.1.0|11.2.0|12.0.0", "11.3.0", False),
        ("<V33.017_V34.014_V35.013_V36.011", "V34.011", True),
        ("<V33.017_V34.014_V35.013_V36.011", "V34.014", False),
        ("<V33.017_V34.014_V35.013_V36.011", "V32.002", True),
        ("<V33.017_V34.014_V35.013_V36.011", "V37.011", False),
        ("<=Ver.2.60", "2.60", True),
        ("prior to 8.1", "8.0", True),
        ("8.1 and earlier", "8.1", True),
        ("Fixed in OpenSSL 1.1.1d (Affected 1.1.1-1.1.1c)", "1.1.1c", True),
        ("Fixed in OpenSSL 1.1.1d (Affected 1.1.1-1.1.1c)", "1.1.1d", False),
        ("<8/30/2024", "1.0", None),
        ("<May_1_2024", "1.0", None),
    ],
)
def test_ranges(text: str, version: str, affected: bool | None) -> None:
    assert _verdict(text, version) is affected


def test_conditions_are_kept() -> None:
    parsed = parse_range_text("<V8.89_installed_on_CP100_devices")
    assert parsed.conditional and _verdict("<V8.89_installed_on_CP100_devices", "V8.80")
    assert parse_range_text("All_versions_with_installed_WebRH").conditional


def test_product_version_is_a_family() -> None:
    parsed = parse_range_text("V28", exact_category=True)
    assert evaluate("V28.012", list(parsed.intervals))[0] is True
    assert evaluate("V29.001", list(parsed.intervals))[0] is False


@given(st.text(max_size=60))
def test_fuzz_range_text_never_raises(text: str) -> None:
    parsed = parse_range_text(text)
    evaluate("1.2.3", list(parsed.intervals))
    evaluate(text, list(parsed.intervals))


def _ranges_in(paths: list) -> list[tuple[str, str]]:  # type: ignore[type-arg]
    found = []
    for path in paths:
        data = json.loads(path.read_text())
        found.extend(
            (p.version_text, p.version_category) for p in iter_products(data["product_tree"]) if p.version_text
        )
    return found


def test_shipped_csaf_ranges_all_parse() -> None:
    ranges = _ranges_in(sorted((DATA / "sbom" / "advisories").glob("icsa-*.json")))
    assert ranges
    for text, category in ranges:
        parsed = parse_range_text(text, exact_category=category == "product_version")
        assert all(i.unknown is None for i in parsed.intervals), text


def test_corpus_csaf_ranges_almost_all_parse() -> None:
    root = shared_data_or_skip("advisories", "csaf_ics")
    ranges = _ranges_in(sorted(root.glob("*.json")))
    unknown = [
        t
        for t, c in ranges
        if any(i.unknown for i in parse_range_text(t, exact_category=c == "product_version").intervals)
    ]
    assert len(ranges) > 1000
    # what stays unknown are dates ("<May_1_2024", "<8/30/2024") and prose without a version
    assert len(unknown) <= len(ranges) // 200, unknown
