"""Advisory and VEX parsers take untrusted JSON: whatever its shape, only typed errors may escape."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import DATA
from xposture.advisories.db import AdvisoryDB, ImportReport
from xposture.errors import InputError
from xposture.sbom.vex import parse_vex

_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=10),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=5),
    max_leaves=25,
)


def _mutate(base: Any, data: st.DataObject, depth: int = 0) -> Any:
    """Replace one random member per object (and maybe more below it) of a real document with random JSON."""
    if depth > 7:
        return base
    if isinstance(base, dict):
        keys = sorted(base)[:12]
        if not keys:
            return base
        victim = data.draw(st.sampled_from([*keys, None]))
        return {k: data.draw(_json) if k == victim else _mutate(base[k], data, depth + 1) for k in keys}
    if isinstance(base, list):
        return [_mutate(v, data, depth + 1) for v in base[:2]]
    return base


REAL = [json.loads(p.read_text()) for p in sorted((DATA / "sbom" / "advisories").glob("*.json"))]


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> AdvisoryDB:
    return AdvisoryDB(tmp_path_factory.mktemp("fuzz") / "advisories.db")


def _import(db: AdvisoryDB, doc: Any) -> None:
    """The importer's per-document path (decode, detect, parse, store) inside a rolled-back transaction."""
    report = ImportReport()
    try:
        with db.conn:
            db._import_blob(json.dumps(doc).encode(), "fuzz.json", "fuzz", report)
            raise _Rollback
    except (_Rollback, InputError):
        pass


class _Rollback(Exception):
    pass


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
@given(data=st.data())
def test_importer_survives_mutated_real_advisories(db: AdvisoryDB, data: st.DataObject) -> None:
    _import(db, _mutate(data.draw(st.sampled_from(REAL)), data))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(doc=_json)
def test_importer_survives_random_json(db: AdvisoryDB, doc: Any) -> None:
    _import(db, doc)


def test_import_paths_reports_a_malformed_document(tmp_path: Path) -> None:
    path = tmp_path / "adv.json"
    path.write_text(json.dumps({"document": {"csaf_version": "2.0"}, "product_tree": [], "vulnerabilities": {"x": 1}}))
    with AdvisoryDB(tmp_path / "advisories.db") as db:
        report = db.import_paths([path])
    assert report.files == 1


VEX = [
    json.loads((DATA / "sbom" / "vex" / "intel-csme.vex.json").read_text()),
    json.loads((DATA / "sbom" / "vex" / "cdx-cisa-case-1-not_affected.json").read_text()),
    json.loads((DATA / "sbom" / "advisories" / "icsa-24-214-09.json").read_text()),
]


@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_vex_parsers_survive_mutations(data: st.DataObject) -> None:
    doc = _mutate(data.draw(st.sampled_from(VEX)), data)
    with contextlib.suppress(InputError):
        parse_vex(doc, "fuzz")
