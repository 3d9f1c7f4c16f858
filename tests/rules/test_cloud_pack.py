"""The ``cloud`` rule pack: loads cleanly, every rule's own test records behave, names and ids are sound."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest
import yaml

from xposture.rules.engine import RuleSet

PACK = Path(__file__).resolve().parents[2] / "xposture" / "rules" / "packs" / "cloud"
FILES = sorted(PACK.glob("*.yml"))


@pytest.fixture(scope="module")
def ruleset() -> RuleSet:
    loaded = RuleSet.load([PACK])
    assert not loaded.errors, [str(e) for e in loaded.errors]
    return loaded


def test_pack_has_at_least_thirty_rules(ruleset: RuleSet) -> None:
    assert len(FILES) >= 30
    assert len(ruleset.rules) == len(FILES)


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_rule_metadata(path: Path) -> None:
    doc: dict[str, Any] = yaml.safe_load(path.read_text())
    assert doc["name"] == f"cloud.{path.stem}"
    assert uuid.UUID(doc["id"]).version == 4
    assert doc["logsource"]["product"] == "xposture"
    assert doc["remediation"] and doc["description"]
    assert doc["tests"]["match"] and doc["tests"]["nomatch"]
    assert all(t.split(".")[0] in {"attack", "iec62443", "nist_csf", "cis_aws"} for t in doc["tags"])


def test_ids_unique() -> None:
    ids = [yaml.safe_load(p.read_text())["id"] for p in FILES]
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_rule_examples(ruleset: RuleSet, path: Path) -> None:
    doc = yaml.safe_load(path.read_text())
    for record in doc["tests"]["match"]:
        names = [r.name for r in ruleset.check(dict(record))]
        assert doc["name"] in names, record
    for record in doc["tests"]["nomatch"]:
        names = [r.name for r in ruleset.check(dict(record))]
        assert doc["name"] not in names, record
