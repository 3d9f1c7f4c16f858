"""The native engine and pySigma's SQLite backend agree, except for the documented differences (docs/rules.md)."""

from __future__ import annotations

import json
import random
import re
from pathlib import Path
from typing import Any

import pytest
from sigma.collection import SigmaCollection

from tests.conftest import DATA, shared_data_or_skip
from tests.rules.sigma_corpus import log_records, rule_derived_records
from xposture.model import Record
from xposture.rules import RuleSet, sqlref
from xposture.rules.compiler import compile_rule
from xposture.scanners.records import flatten

SIGMA = DATA / "sigma"


def _compare(rules_dir: Path, records: list[Record]) -> dict[str, Any]:
    """Both engines over the same records; differences split into explained (list fields) and unexplained."""
    ruleset = RuleSet.load([rules_dir])
    position = {id(r): i for i, r in enumerate(records)}
    native = {(m.rule.id, position[id(m.record)]) for m in ruleset.evaluate(records)}
    converted = sqlref.convert_rules([rules_dir])
    sql = sqlref.evaluate(converted, records)
    comparable = {pair for pair in native if pair[0] not in sql.failed}
    collection = SigmaCollection.load_ruleset([rules_dir], collect_errors=True)
    reads = {str(r.id): compile_rule(r).fields for r in collection.rules if not r.errors}
    unexplained = []
    lists = 0
    for rule_id, index in comparable ^ sql.matches:
        if any(isinstance(records[index].get(f), list) for f in reads[rule_id]):
            lists += 1  # difference 1: SQL stores lists as JSON text
        else:
            unexplained.append((rule_id, records[index]))
    return {
        "native": native,
        "sql": sql,
        "agreed": comparable & sql.matches,
        "lists": lists,
        "unexplained": unexplained,
        "ruleset": ruleset,
    }


def test_native_and_sqlite_agree_on_the_sigmahq_sample() -> None:
    records = rule_derived_records(SIGMA / "rules") + log_records(SIGMA / "logs")
    result = _compare(SIGMA / "rules", records)
    assert not result["ruleset"].errors
    assert result["unexplained"] == []
    assert len(result["agreed"]) > 500  # many real agreements, not a vacuous comparison
    assert result["lists"] > 0  # the records do exercise list fields
    # SQLite cannot convert keyword (field-less) rules; they are the only ones it rejects
    assert all("keywords" in reason for reason in result["sql"].failed.values())


def test_native_and_sqlite_agree_on_the_whole_shared_corpus() -> None:
    root = shared_data_or_skip("sigma")
    records = rule_derived_records(root / "rules", per_type=500, seed=11) + log_records(root / "logs")
    result = _compare(root / "rules", records)
    assert result["unexplained"] == []


def test_documented_differences() -> None:
    cases = DATA / "rules" / "differential"
    records: list[Record] = [
        {"record.type": "diff_case", "ip": "2001:db8::1"},
        {"record.type": "diff_case", "ip": "2001:0db8:0000::1"},
        {"record.type": "diff_case", "days": "5"},
        {"record.type": "diff_case", "days": "100"},
        {"record.type": "diff_case", "name": "école"},
        {"record.type": "diff_case", "versions": ["tls1.0", "tls1.2"]},
        {"record.type": "diff_case", "kind": "x"},
        {"record.type": "diff_case", "kind": "x", "tls": True},
    ]
    ruleset = RuleSet.load([cases])
    names = {r.id: r.name for r in ruleset.rules}
    position = {id(r): i for i, r in enumerate(records)}
    native = {(m.rule.name, position[id(m.record)]) for m in ruleset.evaluate(records)}
    sql_result = sqlref.evaluate(sqlref.convert_rules([cases]), records)
    sql = {(names[r], i) for r, i in sql_result.matches}
    # IPv6 CIDR: the backend's LIKE prefix misses non-canonical notation
    assert ("diff.ipv6_cidr", 1) in native - sql
    assert ("diff.ipv6_cidr", 0) in native & sql
    # numbers as text: TEXT columns compare '5' < 30 as text
    assert ("diff.numeric_text", 2) in native - sql
    assert ("diff.numeric_text", 3) in sql - native
    # case folding: SQLite folds ASCII only
    assert ("diff.unicode_case", 4) in native - sql
    # lists: JSON text in SQL
    assert ("diff.list_field", 5) in native - sql
    # negation over a missing field: both engines agree (the backend wraps NOT in COALESCE)
    assert ("diff.not_missing", 6) in native & sql
    assert ("diff.not_missing", 7) not in native | sql


def test_sigmahq_regression_sample_matches_its_rule() -> None:
    """SigmaHQ's regression sample for the Cisco dot1x rule (a keyword rule SQLite cannot run) matches natively."""
    ruleset = RuleSet.load([SIGMA / "rules" / "network" / "cisco"])
    line = (SIGMA / "logs" / "cisco_cli_dot1x_disabled.raw").read_text(encoding="utf-8").strip()
    matched = {m.rule.id for m in ruleset.evaluate([{"record.type": "cisco_aaa", "message": line}])}
    assert "ef0ff092-a24a-4fbc-beea-06c08d53e085" in matched


@pytest.mark.parametrize("name", ["event-cloud-trail-create-bucket.json", "event-cloud-trail-s3.json"])
def test_sigmahq_cloudtrail_rules_on_cloudtrail_events(name: str) -> None:
    """CloudTrail events flattened as the records scanner does: the root-credentials rule fires on the root one."""
    ruleset = RuleSet.load([SIGMA / "rules" / "cloud"])
    event = json.loads((SIGMA / "eventbridge" / name).read_text(encoding="utf-8"))["detail"]
    record = flatten(event)
    record["record.type"] = "aws_cloudtrail_event"
    titles = {m.rule.title for m in ruleset.evaluate([record])}
    if record.get("userIdentity.type") == "Root":
        assert "AWS Root Credentials" in titles
    else:
        assert "AWS Root Credentials" not in titles


FUZZ_FIELDS = ("a", "b", "c")
FUZZ_WORDS = ("x", "y", "Z", "1", "x*", "yy", "a?c", "ab", "AB", "x_y", "50%", "", "  ")


def _random_rules(rng: random.Random) -> str:
    """Ten rules mixing modifiers, wildcards, numbers, booleans, nulls, exists and negations."""
    docs = []
    for i in range(10):
        field, other = rng.choice(FUZZ_FIELDS), rng.choice(FUZZ_FIELDS)
        modifier = rng.choice(
            [
                "",
                "",
                "|contains",
                "|startswith",
                "|endswith",
                "|cased",
                "|contains|all",
                "|re",
                "|exists",
                "|contains|cased",
            ]
        )
        pool: list[object] = [*FUZZ_WORDS, *([1, 2, True, False, None] if modifier == "" else [])]
        values = [rng.choice([True, False])] if modifier == "|exists" else rng.sample(pool, rng.randint(1, 3))
        if modifier == "|re":
            values = [re.escape(str(v)) for v in values]
        condition = rng.choice(["s", "s and not t", "s or t", "not t", "s and t"])
        docs.append(
            f"title: r{i}\nid: 5f0e4f4e-0000-4000-8000-{i:012d}\nlogsource: {{category: thing}}\n"
            f"detection:\n  s:\n    {field}{modifier}: {json.dumps(values)}\n"
            f"  t:\n    {other}: {json.dumps(rng.choice(FUZZ_WORDS))}\n  condition: {condition}\n"
        )
    return "---\n".join(docs)


def _random_record(rng: random.Random) -> Record:
    record: Record = {"record.type": "thing"}
    for name in FUZZ_FIELDS:
        if rng.random() < 0.6:
            record[name] = rng.choice([*FUZZ_WORDS, "xyz", "abc", "AbC", "zz", 0, 1, 2, True, False])
    return record


@pytest.mark.parametrize("seed", range(40))
def test_random_rules_agree_with_sqlite_outside_the_documented_differences(seed: int, tmp_path: Path) -> None:
    """ASCII scalars, no lists, no CIDR, no comparisons on text: the two engines must agree exactly."""
    rng = random.Random(seed)
    (tmp_path / "rules.yml").write_text(_random_rules(rng), encoding="utf-8")
    ruleset = RuleSet.load([tmp_path])
    assert not ruleset.errors, [str(e) for e in ruleset.errors]
    records = [_random_record(rng) for _ in range(40)]
    position = {id(r): i for i, r in enumerate(records)}
    native = {(m.rule.id, position[id(m.record)]) for m in ruleset.evaluate(records)}
    sql = sqlref.evaluate(sqlref.convert_rules([tmp_path]), records)
    assert not sql.failed
    assert native == sql.matches
