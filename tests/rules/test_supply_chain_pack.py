"""The ``supply_chain`` pack: every rule loads, carries its metadata, and passes its own ``tests:``."""

from __future__ import annotations

import uuid

import pytest

from tests.conftest import REPO
from xposture.rules.engine import RuleSet

PACK = REPO / "xposture" / "rules" / "packs" / "supply_chain"
RULES = RuleSet.load([PACK])


def test_pack_loads_without_errors() -> None:
    assert not RULES.errors
    assert len(RULES.rules) == len(list(PACK.glob("*.yml"))) >= 15
    assert len({r.id for r in RULES.rules}) == len(RULES.rules)


@pytest.mark.parametrize("rule", RULES.rules, ids=lambda r: r.name)
def test_rule_metadata(rule) -> None:  # type: ignore[no-untyped-def]
    assert (
        rule.name.startswith("supply_chain.") and rule.path is not None and rule.path.stem == rule.name.split(".", 1)[1]
    )
    uuid.UUID(rule.id)
    assert rule.remediation and rule.description and rule.references and rule.tags
    assert rule.record_type in ("vulnerability_match", "sbom_document", "sbom_component")


@pytest.mark.parametrize("rule", RULES.rules, ids=lambda r: r.name)
def test_rule_own_tests(rule) -> None:  # type: ignore[no-untyped-def]
    assert rule.tests.get("match") and rule.tests.get("nomatch")
    for kind, expected in (("match", True), ("nomatch", False)):
        for sample in rule.tests[kind]:
            record = {"asset.id": "test", "record.key": "k", **sample}
            assert (rule in RULES.check(record)) is expected, (kind, sample)
