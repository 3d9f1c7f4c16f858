"""Every shipped pack loads cleanly and passes its own examples: CI catches a broken rule from any pack."""

from __future__ import annotations

import pytest

from tests.conftest import REPO
from xposture.cli import main
from xposture.rules import RuleSet, builtin_pack_dirs
from xposture.rules.lint import lint
from xposture.rules.ruletests import run_rule_tests
from xposture.rules.taxonomy import find_taxonomy

PACKS = builtin_pack_dirs()


@pytest.mark.parametrize("pack", PACKS, ids=[p.name for p in PACKS])
def test_shipped_pack_loads_and_passes_its_examples(pack: object) -> None:
    ruleset = RuleSet.load([pack])  # type: ignore[list-item]
    assert [str(e) for e in ruleset.errors] == []
    assert ruleset.rules, f"{pack} holds no rule"
    report = run_rule_tests(ruleset)
    assert [str(f) for f in report.failures] == []


@pytest.mark.parametrize("pack", PACKS, ids=[p.name for p in PACKS])
def test_shipped_pack_passes_rules_check(pack: object) -> None:
    errors = [str(i) for i in lint([pack], find_taxonomy(REPO)) if i.severity == "error"]  # type: ignore[list-item]
    assert errors == []


def test_rules_test_command_over_every_shipped_pack(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["rules", "test"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert out.strip().endswith("0 failures")


def test_rule_ids_and_names_are_unique_across_packs() -> None:
    ruleset = RuleSet.load(PACKS)
    ids = [r.id for r in ruleset.rules]
    names = [r.name for r in ruleset.rules]
    assert len(ids) == len(set(ids))
    assert len(names) == len(set(names))
