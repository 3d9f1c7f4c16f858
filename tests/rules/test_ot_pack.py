"""The ``ot`` rule pack: loads cleanly, every rule's own tests hold, metadata follows the conventions."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import pytest
import yaml

from xposture.rules import RuleSet

PACK = Path(__file__).resolve().parents[2] / "xposture" / "rules" / "packs" / "ot"
TAG = re.compile(r"^(attack\.t0\d{3}|iec62443\.(sr|cr)_\d+_\d+|nist_csf\.[a-z]{2}_[a-z]{2}_\d{2})$")
RECORD_TYPES = {
    "network_host",
    "ot_device",
    "network_flow",
    "ot_operation",
    "cleartext_credential",
    "remote_access_session",
}


@pytest.fixture(scope="module")
def ruleset() -> RuleSet:
    return RuleSet.load([PACK])


def test_pack_loads_without_errors_and_is_big_enough(ruleset: RuleSet) -> None:
    assert not ruleset.errors, [str(e) for e in ruleset.errors]
    assert len(ruleset.rules) >= 20
    assert len({r.id for r in ruleset.rules}) == len(ruleset.rules)


def test_each_rule_matches_its_own_test_records(ruleset: RuleSet) -> None:
    for rule in ruleset.rules:
        assert rule.tests.get("match") and rule.tests.get("nomatch"), rule.name
        for record in rule.tests["match"]:
            assert rule in ruleset.check(dict(record)), f"{rule.name} should match {record}"
        for record in rule.tests["nomatch"]:
            assert rule not in ruleset.check(dict(record)), f"{rule.name} should not match {record}"


@pytest.mark.parametrize("path", sorted(PACK.glob("*.yml")), ids=lambda p: p.stem)
def test_rule_metadata(path: Path) -> None:
    doc = yaml.safe_load(path.read_text())
    assert doc["name"] == f"ot.{path.stem}"
    assert uuid.UUID(doc["id"]).version == 4
    assert doc["logsource"] == {"category": doc["logsource"]["category"], "product": "xposture"}
    assert doc["logsource"]["category"] in RECORD_TYPES
    assert doc["remediation"] and doc["description"] and doc["fields"]
    assert doc["level"] in {"informational", "low", "medium", "high", "critical"}
    assert all(TAG.match(t) for t in doc["tags"]), doc["tags"]
    frameworks = {t.split(".")[0] for t in doc["tags"]}
    assert {"iec62443", "nist_csf"} <= frameworks


def test_every_detection_field_is_a_documented_ot_field() -> None:
    taxonomy = (PACK.parents[3] / "docs" / "taxonomy" / "ot.md").read_text()
    for path in PACK.glob("*.yml"):
        doc = yaml.safe_load(path.read_text())
        for name, block in doc["detection"].items():
            if name == "condition":
                continue
            for field in block:
                assert f"| {field.split('|')[0]} |" in taxonomy, f"{path.name}: {field}"
