"""Loading, error reporting, metadata, routing, anchors and meta-filters of the rule engine."""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import DATA
from xposture.model import Severity
from xposture.rules import Match, Rule, RuleSet, builtin_pack_dirs
from xposture.rules.routing import record_type_for

RULES = DATA / "rules"


def test_malformed_rules_are_reported_with_file_and_reason_and_the_rest_load() -> None:
    rules = RuleSet.load([RULES / "broken"])
    assert [r.name for r in rules.rules] == ["good.telnet_open"]
    by_file = {Path(e.file or "").name: e.message for e in rules.errors}
    assert "invalid YAML" in by_file["yaml_syntax.yml"]
    assert "line 4" in by_file["yaml_syntax.yml"]
    assert "sounds_like" in by_file["unknown_modifier.yml"]
    assert "missing_one" in by_file["undefined_detection.yml"]
    assert "detection" in by_file["no_detection.yml"]
    assert "duplicate rule id" in by_file["zz_duplicate_id.yml"]
    assert "CIDR" in by_file["bad_cidr.yml"]
    assert "mapping" in by_file["not_a_mapping.yml"]
    assert len(rules.errors) == 7
    assert all(str(e).startswith(str(RULES / "broken")) for e in rules.errors)


def test_missing_path_is_an_error_not_an_exception(tmp_path: Path) -> None:
    rules = RuleSet.load([tmp_path / "nope", RULES / "good"])
    assert len(rules.rules) == 3
    assert rules.errors[0].file == str(tmp_path / "nope")


def test_metadata_from_rule_and_custom_attributes() -> None:
    rules = RuleSet.load([RULES / "good"])
    rule = next(r for r in rules.rules if r.name == "good.cleartext_control_protocol")
    assert isinstance(rule, Rule)
    assert rule.id == "15b695f2-10b4-46a6-a014-83f9532ec8e6"
    assert rule.title == "Cleartext industrial control protocol"
    assert rule.level is Severity.HIGH
    assert rule.pack == "good"
    assert rule.path == RULES / "good" / "cleartext_control_protocol.yml"
    assert rule.tags == ["attack.t0885", "iec62443.sr_4_1", "nist_csf.pr_ds_02"]
    assert rule.remediation.startswith("Tunnel the protocol")
    assert rule.rationale == "A sample rule for the engine tests."
    assert rule.fields == ["flow.src_ip", "flow.dst_ip", "flow.protocol"]
    assert rule.references == ["https://www.cisa.gov/topics/industrial-control-systems"]
    assert (rule.category, rule.product, rule.service, rule.status) == ("network_flow", "xposture", "", "stable")
    assert rule.record_type == "network_flow"
    assert rule.to_dict()["logsource"] == {"category": "network_flow", "product": "xposture", "service": ""}


def test_level_defaults_to_medium_and_name_to_id() -> None:
    rules = RuleSet.loads(
        "title: t\nid: 5f0e4f4e-0000-4000-8000-00000000000a\nlogsource: {category: x}\n"
        "detection: {s: {a: 1}, condition: s}\n"
    )
    assert rules.rules[0].level is Severity.MEDIUM
    assert rules.rules[0].name == rules.rules[0].id


def test_builtin_pack_dirs_are_folders_under_packs() -> None:
    for folder in builtin_pack_dirs():
        assert folder.is_dir()
        assert folder.parent.name == "packs"


# -- routing -------------------------------------------------------------------------------------------


def test_routing_table() -> None:
    assert record_type_for("network_flow", "xposture", None) == "network_flow"
    assert record_type_for(None, "aws", "cloudtrail") == "aws_cloudtrail_event"
    assert record_type_for(None, "zeek", "conn") == "zeek_conn"
    assert record_type_for(None, "Linux", None) == "linux_log"
    assert record_type_for(None, "fortigate", "event") == "fortigate_event"


def test_records_of_other_types_are_never_checked() -> None:
    rules = RuleSet.load([RULES / "good"])
    assert rules.check({"record.type": "network_service", "flow.protocol": "modbus"}) == []
    assert [r.name for r in rules.check({"record.type": "network_flow", "flow.protocol": "modbus"})] == [
        "good.cleartext_control_protocol"
    ]
    assert rules.check({"flow.protocol": "modbus"}) == []  # no record.type: no rule applies
    assert rules.considered([{"record.type": "network_flow"}, {"record.type": "other"}]) == 1
    assert rules.record_types() == ["network_flow", "network_service", "tls_endpoint"]


def test_product_narrows_foreign_categories_only_when_the_record_says_its_product() -> None:
    text = """
title: linux
id: 5f0e4f4e-0000-4000-8000-00000000000b
logsource: {category: process_creation, product: linux}
detection: {s: {Image|endswith: /sh}, condition: s}
---
title: windows
id: 5f0e4f4e-0000-4000-8000-00000000000c
logsource: {category: process_creation, product: windows}
detection: {s: {Image|endswith: /sh}, condition: s}
"""
    rules = RuleSet.loads(text)
    base = {"record.type": "process_creation", "Image": "/bin/sh"}
    assert {r.title for r in rules.check(base)} == {"linux", "windows"}
    assert {r.title for r in rules.check({**base, "logsource.product": "Linux"})} == {"linux"}


def test_cloudtrail_rules_route_to_cloudtrail_records() -> None:
    text = """
title: stop logging
id: 5f0e4f4e-0000-4000-8000-00000000000d
logsource: {product: aws, service: cloudtrail}
detection:
  s: {eventSource: cloudtrail.amazonaws.com, eventName: [StopLogging, DeleteTrail]}
  condition: s
"""
    rules = RuleSet.loads(text)
    record = {
        "record.type": "aws_cloudtrail_event",
        "eventSource": "cloudtrail.amazonaws.com",
        "eventName": "StopLogging",
    }
    assert len(rules.check(record)) == 1
    assert rules.check({**record, "record.type": "cloudtrail"}) == []


def test_evaluate_yields_matches_in_record_then_rule_order() -> None:
    rules = RuleSet.load([RULES / "good"])
    records = [
        {"record.type": "network_service", "service.port": 23},
        {"record.type": "network_flow", "flow.protocol": "modbus"},
        {"record.type": "tls_endpoint", "tls.cert.days_to_expiry": 1},
    ]
    matches = list(rules.evaluate(records))
    assert all(isinstance(m, Match) for m in matches)
    assert [(m.rule.name, m.record is records[i]) for i, m in enumerate(matches)] == [
        ("good.telnet_open", True),
        ("good.cleartext_control_protocol", True),
        ("good.cert_expiring", True),
    ]


# -- meta-filters ----------------------------------------------------------------------------------------


def test_meta_filter_accepts_site_exceptions() -> None:
    plain = RuleSet.load([RULES / "good"])
    filtered = RuleSet.load([RULES / "good"], filters=[RULES / "filters"])
    lab = {"record.type": "network_flow", "flow.protocol": "modbus", "flow.src_ip": "10.99.3.4"}
    office = {**lab, "flow.src_ip": "10.1.3.4"}
    assert plain.check(lab) and plain.check(office)
    assert not filtered.check(lab)
    assert filtered.check(office)
    assert len(filtered.rules) == len(plain.rules)  # a filter is not a rule


def test_meta_filter_among_rule_paths_applies_too() -> None:
    rules = RuleSet.load([RULES / "good", RULES / "filters"])
    assert not rules.errors
    assert not rules.check({"record.type": "network_flow", "flow.protocol": "modbus", "flow.src_ip": "10.99.0.1"})


# -- anchors: the index never changes results -----------------------------------------------------------

FIELDS = ("a", "b", "c")
WORDS = ("x", "y", "Z", "1", "x*", "yy", "a?c", "*", "É")


def _rules_text(seed: int) -> str:
    rng = random.Random(seed)
    docs = []
    for i in range(12):
        field = rng.choice(FIELDS)
        other = rng.choice(FIELDS)
        modifier = rng.choice(
            ["", "", "|contains", "|startswith", "|endswith", "|cased", "|contains|cased", "|re", "|gt", "|lte"]
        )
        pool: list[object] = list(WORDS) + ([1, 2, 0.5, True, False] if modifier == "" else [])
        values = rng.sample(pool, rng.randint(1, 3))
        if modifier in ("|gt", "|lte"):
            values = [rng.choice([0, 1, 1.5, 2])]
        condition = rng.choice(["s", "s and not t", "s or t", "not t", "s and t"])
        if modifier == "|re":
            values = [re.escape(str(v)) for v in values]
        docs.append(
            f"title: r{i}\nid: 5f0e4f4e-0000-4000-8000-{i:012d}\nlogsource: {{category: thing}}\n"
            f"detection:\n  s:\n    {field}{modifier}: {json.dumps(values)}\n  t:\n    {other}: {json.dumps(rng.choice(WORDS))}\n"
            f"  condition: {condition}\n"
        )
    return "---\n".join(docs)


@settings(max_examples=150, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    records=st.lists(
        st.dictionaries(
            st.sampled_from(FIELDS),
            st.one_of(
                st.sampled_from([*WORDS, "01", "1.0", " 1", "2e0", "TRUE", "false", "0.50"]),
                st.lists(st.sampled_from([*WORDS, "01", "true"]), max_size=3),
                st.integers(0, 2),
                st.sampled_from([1.0, 0.5, True, False]),
                st.none(),
            ),
        ),
        max_size=8,
    ),
)
def test_anchor_index_agrees_with_checking_every_rule(seed: int, records: list[dict[str, object]]) -> None:
    rules = RuleSet.loads(_rules_text(seed))
    assert not rules.errors
    full = [{"record.type": "thing", **r} for r in records]
    indexed = [(m.rule.id, id(m.record)) for m in rules.evaluate(full)]  # type: ignore[arg-type]
    brute = [(e.rule.id, id(rec)) for rec in full for e in rules._entries if e.predicate(rec)]  # type: ignore[arg-type]
    assert indexed == brute


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_arbitrary_rule_text_never_raises(text: str) -> None:
    rules = RuleSet.loads(text)
    assert isinstance(rules.errors, list)


DETECTION_KEYS = st.one_of(
    st.text(min_size=1, max_size=8),
    st.builds(
        lambda field, mods: field + "".join("|" + m for m in mods),
        st.sampled_from(["a", "b", "c", ""]),
        st.lists(
            st.sampled_from(
                [
                    "contains",
                    "startswith",
                    "endswith",
                    "all",
                    "re",
                    "i",
                    "cidr",
                    "gt",
                    "lte",
                    "exists",
                    "expand",
                    "fieldref",
                    "base64",
                    "base64offset",
                    "windash",
                    "cased",
                    "neq",
                    "hour",
                    "wide",
                    "utf16",
                ]
            ),
            max_size=3,
        ),
    ),
)


@settings(max_examples=300, deadline=None)
@given(
    st.dictionaries(
        DETECTION_KEYS,
        st.recursive(
            st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=10)),
            lambda children: (
                st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3)
            ),
            max_leaves=6,
        ),
        max_size=5,
    )
)
def test_arbitrary_detection_documents_never_raise(detection: dict[str, object]) -> None:
    import yaml

    text = yaml.safe_dump(
        {"title": "fuzz", "logsource": {"category": "thing"}, "detection": {**detection, "condition": "1 of them"}}
    )
    rules = RuleSet.loads(text, policy={"p": ["x"]})
    for rule in rules.rules:
        list(rules.evaluate([{"record.type": "thing", "a": "x", "b": [1, 2], "c": None}]))
        assert rule.record_type == "thing"


RECORDS = st.lists(
    st.dictionaries(
        st.sampled_from(FIELDS),
        st.one_of(
            st.sampled_from([*WORDS, "X", "abc", "AbC", "xx", "éé", "yyy"]),
            st.lists(st.sampled_from(WORDS), max_size=3),
            st.integers(0, 2),
            st.booleans(),
            st.none(),
        ),
    ),
    max_size=8,
)


@settings(max_examples=80, deadline=None)
@given(seed=st.integers(0, 10_000), records=RECORDS)
def test_inline_predicates_agree_with_the_closure_reference(seed: int, records: list[dict[str, object]]) -> None:
    from sigma.collection import SigmaCollection

    from xposture.rules.compiler import compile_rule

    for rule in SigmaCollection.from_yaml(_rules_text(seed)).rules:
        inline = compile_rule(rule).predicate  # type: ignore[arg-type]
        reference = compile_rule(rule, inline=False).predicate  # type: ignore[arg-type]
        for record in records:
            assert inline(record) is reference(record), (rule.title, record)  # type: ignore[arg-type]


def test_nested_conditions_compile_and_too_deep_ones_are_reported() -> None:
    def text(depth: int) -> str:
        condition = "(" * depth + "a" + " or b)" * depth
        return (
            "title: deep\nid: 5f0e4f4e-0000-4000-8000-0000000000e1\nlogsource: {category: thing}\n"
            f"detection:\n  a: {{x: 1}}\n  b: {{y: 2}}\n  condition: '{condition}'\n"
        )

    rules = RuleSet.loads(text(12))
    assert not rules.errors
    assert rules.check({"record.type": "thing", "y": 2})
    assert not rules.check({"record.type": "thing", "y": 3})
    too_deep = RuleSet.loads(text(300))  # pySigma's parser recursion gives up: reported, not raised
    assert not too_deep.rules
    assert "RecursionError" in str(too_deep.errors[0])


def test_inline_source_falls_back_to_closures_beyond_the_python_parser() -> None:
    from xposture.rules.compiler import _Compiler, _Part

    compiler = _Compiler({})
    part = _Part(lambda r: r.get("x") == 1, None, "(" * 500 + "True" + ")" * 500)
    predicate = compiler.generate(part, "deep")
    assert predicate({"x": 1}) is True
    assert predicate({"x": 2}) is False


def test_duplicate_rule_names_are_errors(tmp_path: Path) -> None:
    text = (RULES / "good" / "telnet_open.yml").read_text()
    (tmp_path / "a.yml").write_text(text)
    (tmp_path / "b.yml").write_text(
        text.replace("d443068a-15a0-4942-87f8-c6d7245c4ff6", "0a1b2c3d-4e5f-4a6b-8c7d-8e9f0a1b2c3d")
    )
    rules = RuleSet.load([tmp_path])
    assert len(rules.rules) == 1
    assert "duplicate rule name good.telnet_open" in str(rules.errors[0])
    assert rules.errors[0].file == str(tmp_path / "b.yml")


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.dictionaries(
            st.sampled_from(["record.type", "logsource.product", "logsource.service", "flow.protocol", "service.port"]),
            st.one_of(st.none(), st.text(max_size=6), st.integers(), st.lists(st.text(max_size=4), max_size=2)),
        ),
        max_size=6,
    )
)
def test_odd_records_never_raise(records: list[dict[str, object]]) -> None:
    rules = RuleSet.load([RULES / "good", RULES / "correlation"])
    list(rules.evaluate(records))  # type: ignore[arg-type]
    for record in records:
        rules.check(record)  # type: ignore[arg-type]
    rules.considered(records)  # type: ignore[arg-type]


def test_deprecated_and_unsupported_rules_are_listed_but_never_evaluated() -> None:
    from xposture.rules.ruletests import run_rule_tests

    text = "\n---\n".join(
        f"title: {status}\nname: s.{status}\nid: 5f0e4f4e-0000-4000-8000-00000000010{i}\nstatus: {status}\n"
        "logsource: {category: thing}\ndetection: {s: {a: 1}, condition: s}\n"
        "tests: {match: [{a: 1}], nomatch: [{a: 2}]}"
        for i, status in enumerate(["stable", "deprecated", "unsupported"])
    )
    rules = RuleSet.loads(text)
    assert [r.name for r in rules.rules] == ["s.stable", "s.deprecated", "s.unsupported"]
    assert [r.name for r in rules.retired] == ["s.deprecated", "s.unsupported"]
    assert [r.name for r in rules.check({"record.type": "thing", "a": 1})] == ["s.stable"]
    report = run_rule_tests(rules)
    assert report.ok and report.rules == 1 and report.untested == 2
