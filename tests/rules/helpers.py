"""Build one-rule rule sets from a detection block, for modifier and semantics tests."""

from __future__ import annotations

import textwrap
from collections.abc import Mapping
from typing import Any

from xposture.rules import RuleSet

RULE = """\
title: test rule
id: 5f0e4f4e-0000-4000-8000-000000000001
name: test.rule
logsource: {{category: thing, product: xposture}}
level: high
detection:
{detection}
"""


def ruleset(detection: str, policy: Mapping[str, Any] | None = None) -> RuleSet:
    """A rule set holding one rule with this (indented by us) detection block; it must load cleanly."""
    text = RULE.format(detection=textwrap.indent(textwrap.dedent(detection).strip(), "  "))
    rules = RuleSet.loads(text, policy=policy)
    assert not rules.errors, [str(e) for e in rules.errors]
    assert len(rules.rules) == 1
    return rules


def holds(detection: str, record: Mapping[str, Any], policy: Mapping[str, Any] | None = None) -> bool:
    """Whether the one rule matches the record (``record.type`` defaults to the rule's ``thing``)."""
    full = {"record.type": "thing", **record}
    return bool(ruleset(detection, policy).check(full))
