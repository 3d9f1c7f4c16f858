"""The rule test runner behind ``xposture rules test``."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import DATA
from xposture.rules import RuleSet
from xposture.rules.ruletests import run_rule_tests

RULES = DATA / "rules"


def test_good_and_correlation_packs_pass() -> None:
    ruleset = RuleSet.load([RULES / "good", RULES / "correlation"])
    report = run_rule_tests(ruleset)
    assert report.ok, [str(f) for f in report.failures]
    assert report.rules == 8
    assert report.cases == 21


def test_a_wrong_example_fails_with_the_rule_and_the_case() -> None:
    text = """
title: t
name: x.wrong
id: 5f0e4f4e-0000-4000-8000-0000000000d1
logsource: {category: thing, product: xposture}
detection: {s: {a: 1}, condition: s}
tests:
  match: [{a: 1}, {a: 2}]
  nomatch: [{a: 1}]
"""
    ruleset = RuleSet.loads(text)
    report = run_rule_tests(ruleset)
    assert [(f.kind, f.index) for f in report.failures] == [("match", 1), ("nomatch", 0)]
    assert "x.wrong match[1]: expected a match" in str(report.failures[0])


def test_wrong_logsource_fails_through_routing() -> None:
    text = """
title: t
name: x.routed
id: 5f0e4f4e-0000-4000-8000-0000000000d2
logsource: {category: thing, product: xposture}
detection: {s: {a: 1}, condition: s}
tests:
  match: [{record.type: other_thing, a: 1}]
  nomatch: [{a: 2}]
"""
    report = run_rule_tests(RuleSet.loads(text))
    assert [(f.kind, f.index) for f in report.failures] == [("match", 0)]


def test_missing_or_malformed_tests_fail() -> None:
    text = """
title: t
name: x.untested
id: 5f0e4f4e-0000-4000-8000-0000000000d3
logsource: {category: thing, product: xposture}
detection: {s: {a: 1}, condition: s}
---
title: t2
name: x.malformed
id: 5f0e4f4e-0000-4000-8000-0000000000d4
logsource: {category: thing, product: xposture}
detection: {s: {a: 1}, condition: s}
tests:
  match: [not a record]
  nomatch: {a: 2}
"""
    report = run_rule_tests(RuleSet.loads(text))
    messages = [str(f) for f in report.failures]
    assert any("x.untested" in m and "no 'match' example" in m for m in messages)
    assert any("x.untested" in m and "no 'nomatch' example" in m for m in messages)
    assert any("x.malformed match[0]" in m and "mapping" in m for m in messages)
    assert any("x.malformed" in m and "must be a list" in m for m in messages)


def test_nested_example_records_are_flattened() -> None:
    text = """
title: t
name: x.nested
id: 5f0e4f4e-0000-4000-8000-0000000000d5
logsource: {category: thing, product: xposture}
detection: {s: {tls.version: tls1.0}, condition: s}
tests:
  match: [{tls: {version: TLS1.0}}]
  nomatch: [{tls: {version: tls1.3}}]
"""
    assert run_rule_tests(RuleSet.loads(text)).ok


def test_examples_may_live_in_a_sibling_tests_file() -> None:
    ruleset = RuleSet.load([RULES / "sibling"])
    assert [r.name for r in ruleset.rules] == ["sibling.ftp_cleartext"]  # the .tests.yml file is no rule
    assert ruleset.rules[0].tests["match"] == [{"service.name": "FTP"}]
    report = run_rule_tests(ruleset)
    assert report.ok and report.cases == 2


def test_a_broken_sibling_tests_file_is_a_rule_error(tmp_path: Path) -> None:
    (tmp_path / "r.yml").write_text((RULES / "sibling" / "ftp_cleartext.yml").read_text())
    (tmp_path / "r.tests.yml").write_text("- just a list\n")
    ruleset = RuleSet.load([tmp_path])
    assert not ruleset.rules
    assert "r.tests.yml" in str(ruleset.errors[0])


def test_example_records_of_a_rule() -> None:
    from xposture.rules.ruletests import example_records

    ruleset = RuleSet.load([RULES / "good"])
    rule = next(r for r in ruleset.rules if r.name == "good.telnet_open")
    records = example_records(rule)
    assert len(records) == 3
    assert all(r["record.type"] == "network_service" for r in records)
