"""The ``comms`` rule pack: loads cleanly, each rule passes its own examples, uses only listed fields."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from tests.scanners.comms.helpers import taxonomy
from xposture.rules import PACKS_DIR, RuleSet

PACK = PACKS_DIR / "comms"
FILES = sorted(PACK.glob("*.yml"))
TAG = re.compile(r"^(attack\.t\d{4}|iec62443\.(sr|cr)_\d+_\d+|nist_csf\.[a-z]{2}_[a-z]{2}_\d{2})$")


@pytest.fixture(scope="module")
def ruleset() -> RuleSet:
    return RuleSet.load([PACK])


def test_pack_loads_without_errors(ruleset: RuleSet) -> None:
    assert [str(e) for e in ruleset.errors] == []
    assert len(ruleset.rules) == len(FILES) >= 40


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_rule_examples(path: Path, ruleset: RuleSet) -> None:
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    (rule,) = [r for r in ruleset.rules if r.id == doc["id"]]
    for record in doc["tests"]["match"]:
        assert rule in ruleset.check(dict(record)), f"{rule.name} should match {record}"
    for record in doc["tests"]["nomatch"]:
        assert rule not in ruleset.check(dict(record)), f"{rule.name} should not match {record}"


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_rule_metadata_and_fields(path: Path) -> None:
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert doc["name"] == f"comms.{path.stem}"
    assert doc["remediation"] and doc["description"] and doc["references"]
    assert all(TAG.match(t) for t in doc["tags"]), doc["tags"]
    assert any(t.startswith("nist_csf.") for t in doc["tags"])
    record_type = doc["logsource"]["category"]
    listed = taxonomy()[record_type] | taxonomy()["(every record)"]
    used = set(doc["fields"])
    for block in doc["detection"].values():
        for item in block if isinstance(block, list) else [block]:
            if isinstance(item, dict):
                used |= {key.split("|")[0] for key in item}
    assert used <= listed, sorted(used - listed)


def test_ids_and_names_are_unique() -> None:
    docs = [yaml.safe_load(p.read_text(encoding="utf-8")) for p in FILES]
    assert len({d["id"] for d in docs}) == len({d["name"] for d in docs}) == len(docs)
