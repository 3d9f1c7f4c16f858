"""The taxonomy is the contract with rule authors: every field any scanner emits must be listed.

The example plant exercises every scanner that has landed, so scanning it and
checking each stored record against ``docs/taxonomy.md`` + ``docs/taxonomy/*.md``
catches a scanner that starts emitting an undocumented field.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import pytest

from tests.conftest import REPO
from xposture.cli import main
from xposture.rules.taxonomy import Taxonomy, parse_taxonomy
from xposture.store import Store

PYTHON_TYPES = {"str": str, "int": int, "float": (int, float), "bool": bool}


@pytest.fixture(scope="module")
def taxonomy() -> Taxonomy:
    return parse_taxonomy([REPO / "docs" / "taxonomy.md", *sorted((REPO / "docs" / "taxonomy").glob("*.md"))])


@pytest.fixture(scope="module")
def example_records(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, object]]:
    db = tmp_path_factory.mktemp("taxonomy") / "x.db"
    out = db.parent / "scan.json"
    assert main(["--db", str(db), "-q", "scan", str(REPO / "examples" / "plant"), "--format", f"json={out}"]) in (0, 1)
    with Store.open(db) as store:
        return list(store.records(store.scan().id))


def test_every_emitted_field_is_in_the_taxonomy(taxonomy: Taxonomy, example_records: list[dict[str, object]]) -> None:
    unknown: dict[str, set[str]] = defaultdict(set)
    for record in example_records:
        record_type = str(record["record.type"])
        for name in record:
            if not taxonomy.known(record_type, name):
                unknown[record_type].add(name)
    assert not unknown, "fields missing from docs/taxonomy: " + "; ".join(
        f"{t}: {sorted(n)}" for t, n in sorted(unknown.items())
    )


def test_every_record_type_has_a_heading(taxonomy: Taxonomy, example_records: list[dict[str, object]]) -> None:
    types = {str(r["record.type"]) for r in example_records}
    assert len(types) >= 12, f"the example plant should exercise several scanners, got {sorted(types)}"
    assert sorted(t for t in types if not taxonomy.has_type(t)) == []


def test_listed_value_types_hold(taxonomy: Taxonomy, example_records: list[dict[str, object]]) -> None:
    wrong = set()
    for record in example_records:
        record_type = str(record["record.type"])
        for name, value in record.items():
            listed = taxonomy.value_type(record_type, name)
            if value is None or listed is None:
                continue
            if listed.startswith("list["):
                ok = isinstance(value, list) and all(
                    isinstance(v, PYTHON_TYPES.get(listed[5:-1], object)) for v in value
                )
            else:
                expected = PYTHON_TYPES.get(listed)
                ok = expected is None or (
                    isinstance(value, expected) and not (listed != "bool" and isinstance(value, bool))
                )
            if not ok:
                wrong.add(f"{record_type}.{name}: listed {listed}, got {type(value).__name__}")
    assert not wrong, sorted(wrong)


def test_taxonomy_pages_are_linked_from_the_index() -> None:
    index = (REPO / "docs" / "taxonomy.md").read_text()
    for page in sorted(Path(REPO / "docs" / "taxonomy").glob("*.md")):
        assert f"taxonomy/{page.name}" in index, f"docs/taxonomy.md does not link {page.name}"
