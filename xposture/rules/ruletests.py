"""Run the example records every rule ships in its ``tests:`` section (``xposture rules test``).

Format (inside the rule file)::

    tests:
      match:   [{record.type: network_flow, flow.protocol: modbus}]
      nomatch: [{flow.protocol: https}]

Records are flat dicts (nested mappings are flattened to dotted names);
``record.type`` defaults to the record type the rule is routed to. The same
mapping may instead sit beside the rule in ``<rule file stem>.tests.yml``. Each
``match`` record must make the rule hold and each ``nomatch`` record must not;
the records go through routing, so a wrong ``logsource`` fails too. For a
correlation rule, ``match`` and ``nomatch`` are each one scenario (a list of
records evaluated together), or a list of such scenarios. A rule with no
``match`` or no ``nomatch`` example fails: every shipped rule proves both.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from xposture.model import TYPE, Record
from xposture.rules.engine import RuleSet
from xposture.rules.model import Rule
from xposture.scanners.records import flatten


@dataclass(frozen=True)
class TestFailure:
    """One example that did not behave as the rule file says (or a missing or malformed ``tests:`` section)."""

    rule: Rule
    kind: str
    index: int
    message: str

    def __str__(self) -> str:
        where = f"{self.rule.path}:" if self.rule.path else ""
        case = f" {self.kind}[{self.index}]" if self.index >= 0 else ""
        return f"{where}{self.rule.name}{case}: {self.message}"


@dataclass
class TestReport:
    """How many rules and examples ran, and what failed."""

    rules: int = 0
    cases: int = 0
    untested: int = 0
    failures: list[TestFailure] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failures


def _record(rule: Rule, raw: Any) -> Record:
    if not isinstance(raw, Mapping):
        raise TypeError("an example record must be a mapping")
    record = flatten(raw)
    record.setdefault(TYPE, rule.record_type)
    return record


def example_records(rule: Rule) -> list[Record]:
    """A detection rule's ``match`` and ``nomatch`` examples as records (malformed ones left out)."""
    found: list[Record] = []
    for kind in ("match", "nomatch"):
        examples = rule.tests.get(kind)
        for raw in examples if isinstance(examples, list) else []:
            if isinstance(raw, Mapping):
                found.append(_record(rule, raw))
    return found


def _scenarios(raw: Any) -> list[list[Any]]:
    """A correlation example: one list of records, or a list of such lists."""
    if not isinstance(raw, list):
        raise TypeError("correlation examples must be a list of records or a list of lists of records")
    if raw and all(isinstance(item, list) for item in raw):
        return list(raw)
    return [raw]


def run_rule_tests(
    ruleset: RuleSet, rules: Iterable[Rule] | None = None, *, allow_untested: bool = False
) -> TestReport:
    """Check every selected rule's examples against the compiled rule set (routing included).

    ``allow_untested`` skips rules without any ``tests:`` section (foreign packs
    such as SigmaHQ's); a section that lacks one of its two lists still fails.
    Retired rules (``deprecated``, ``unsupported``) are never evaluated, so
    their examples are skipped too.
    """
    report = TestReport()
    retired = {id(r) for r in ruleset.retired}
    for rule in rules if rules is not None else ruleset.rules:
        tests = rule.tests
        if id(rule) in retired:
            report.untested += 1
            continue
        if allow_untested and not tests:
            report.untested += 1
            continue
        report.rules += 1
        for kind in ("match", "nomatch"):
            examples = tests.get(kind)
            if not examples:
                report.failures.append(TestFailure(rule, kind, -1, f"no '{kind}' example in the tests: section"))
                continue
            if not isinstance(examples, list):
                report.failures.append(TestFailure(rule, kind, -1, f"tests.{kind} must be a list"))
                continue
            runner = _correlation_case if rule.correlation else _detection_case
            cases = _scenarios(examples) if rule.correlation and isinstance(examples, list) else examples
            for index, case in enumerate(cases):
                report.cases += 1
                try:
                    message = runner(ruleset, rule, case, expect=(kind == "match"))
                except TypeError as exc:
                    message = str(exc)
                if message:
                    report.failures.append(TestFailure(rule, kind, index, message))
    return report


def _detection_case(ruleset: RuleSet, rule: Rule, raw: Any, *, expect: bool) -> str:
    record = _record(rule, raw)
    held = any(r is rule for r in ruleset.check(record))
    if held == expect:
        return ""
    shown = {k: v for k, v in record.items()}
    return f"expected {'a match' if expect else 'no match'}, got {'a match' if held else 'none'} for {shown}"


def _correlation_case(ruleset: RuleSet, rule: Rule, raw: Any, *, expect: bool) -> str:
    records = [_record(rule, item) for item in (raw if isinstance(raw, list) else [raw])]
    held = any(m.rule is rule for m in ruleset.evaluate(records))
    if held == expect:
        return ""
    return f"expected the correlation {'to' if expect else 'not to'} hold over {len(records)} records"
