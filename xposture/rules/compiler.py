"""Compile a pySigma condition tree into one native predicate over records, once per rule.

pySigma re-parses a rule's condition every time ``parsed_condition[i].parsed``
is read, so the engine reads it exactly once here and turns the tree into
nested closures. Alongside the predicate it derives an *anchor*: a field and
a set of lower-cased values of which the record must hold one for the rule to
possibly match. The engine indexes rules by anchor, so a record is only fully
checked against rules whose anchor it satisfies (``docs/rules.md``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sigma.conditions import (
    ConditionAND,
    ConditionFieldEqualsValueExpression,
    ConditionItem,
    ConditionNOT,
    ConditionOR,
    ConditionValueExpression,
)
from sigma.rule import SigmaRule
from sigma.types import (
    Placeholder,
    SigmaBool,
    SigmaCasedString,
    SigmaCIDRExpression,
    SigmaCompareExpression,
    SigmaExists,
    SigmaExpansion,
    SigmaFieldReference,
    SigmaNull,
    SigmaNumber,
    SigmaRegularExpression,
    SigmaString,
    SigmaTimestampPart,
    SigmaType,
    SpecialChars,
)

from xposture.model import Record, Scalar
from xposture.rules import values as V

Predicate = Callable[[Record], bool]
Anchor = tuple[str, frozenset[str]]
"""``(field, values)``: the rule can only match a record whose field text, lower-cased, is one of ``values``."""

ConditionNode = ConditionItem | ConditionFieldEqualsValueExpression | ConditionValueExpression | None


class CompileError(Exception):
    """A rule uses something the native engine cannot evaluate; the loader turns it into a ``RuleError``."""


@dataclass(frozen=True, slots=True)
class Compiled:
    """A rule's predicate, the fields it reads, and its anchor for indexing (``None``: check every record)."""

    predicate: Predicate
    anchor: Anchor | None
    fields: frozenset[str]


def compile_rule(rule: SigmaRule, policy: Mapping[str, Any] | None = None) -> Compiled:
    """Compile every condition of a rule (several conditions are ORed, as Sigma says)."""
    compiler = _Compiler(policy or {})
    nodes = [cond.parsed for cond in rule.detection.parsed_condition]
    parts = [compiler.node(n) for n in nodes]
    if len(parts) == 1:
        predicate, anchor = parts[0]
    else:
        predicate = _or([p for p, _ in parts])
        anchor = _union_anchor([a for _, a in parts])
    return Compiled(predicate, anchor, frozenset(compiler.fields))


def policy_values(policy: Mapping[str, Any], name: str) -> list[str] | None:
    """Values of an ``expand`` placeholder: ``policy[name]`` or a dotted path into nested mappings, as text."""
    node: Any = policy.get(name)
    if node is None and "." in name:
        node = policy
        for part in name.split("."):
            node = node.get(part) if isinstance(node, Mapping) else None
    if node is None:
        return None
    items = node if isinstance(node, list | tuple | set | frozenset) else [node]
    return [V.text_of(item) or "" for item in items if not isinstance(item, Mapping | list)]


# -- combinators -------------------------------------------------------------------------------------


def _false(_record: Record) -> bool:
    return False


def _and(preds: Sequence[Predicate]) -> Predicate:
    if len(preds) == 1:
        return preds[0]
    if len(preds) == 2:
        a, b = preds
        return lambda r: a(r) and b(r)
    if len(preds) == 3:
        a, b, c = preds
        return lambda r: a(r) and b(r) and c(r)
    items = tuple(preds)

    def all_of(r: Record) -> bool:
        for p in items:
            if not p(r):
                return False
        return True

    return all_of


def _or(preds: Sequence[Predicate]) -> Predicate:
    if not preds:
        return _false
    if len(preds) == 1:
        return preds[0]
    if len(preds) == 2:
        a, b = preds
        return lambda r: a(r) or b(r)
    items = tuple(preds)

    def any_of(r: Record) -> bool:
        for p in items:
            if p(r):
                return True
        return False

    return any_of


def _any_value(tests: Sequence[V.ValueTest]) -> V.ValueTest:
    if len(tests) == 1:
        return tests[0]
    if len(tests) == 2:
        a, b = tests
        return lambda v: a(v) or b(v)
    items = tuple(tests)

    def any_test(v: Scalar) -> bool:
        for t in items:
            if t(v):
                return True
        return False

    return any_test


def _union_anchor(anchors: Sequence[Anchor | None]) -> Anchor | None:
    """OR of branches keeps an anchor only when every branch is anchored on the same field."""
    if not anchors or any(a is None for a in anchors):
        return None
    fields = {a[0] for a in anchors if a is not None}
    if len(fields) != 1:
        return None
    values: set[str] = set()
    for a in anchors:
        assert a is not None
        values |= a[1]
    return (fields.pop(), frozenset(values))


def _best_anchor(anchors: Sequence[Anchor | None]) -> Anchor | None:
    """AND of branches: any branch's anchor is necessary; the one with the fewest values filters best."""
    present = [a for a in anchors if a is not None]
    return min(present, key=lambda a: len(a[1])) if present else None


# -- leaves ------------------------------------------------------------------------------------------


def field_leaf(field: str, test: V.ValueTest) -> Predicate:
    """Apply a value test to a field: missing or null never matches; a list matches when any element does."""
    get = dict.get

    def leaf(record: Record) -> bool:
        value = get(record, field)
        if value is None:
            return False
        if value.__class__ is list:
            for item in value:  # type: ignore[union-attr]
                if item is not None and test(item):
                    return True
            return False
        return test(value)  # type: ignore[arg-type]

    return leaf


def _null_leaf(field: str) -> Predicate:
    """``field: null`` holds when the field is missing, null or an empty list."""
    return lambda r: r.get(field) in (None, [])


def _exists_leaf(field: str, wanted: bool) -> Predicate:
    """``field|exists: true`` holds when the field is present with a value that is not null nor an empty list."""
    if wanted:
        return lambda r: r.get(field) not in (None, [])
    return lambda r: r.get(field) in (None, [])


def _keyword_leaf(test: V.ValueTest) -> Predicate:
    """A field-less value matches when any value of any field (list elements included) matches."""

    def leaf(record: Record) -> bool:
        for value in record.values():
            if value is None:
                continue
            if value.__class__ is list:
                for item in value:  # type: ignore[union-attr]
                    if item is not None and test(item):
                        return True
            elif test(value):
                return True
        return False

    return leaf


def _fieldref_leaf(field: str, ref: SigmaFieldReference) -> Predicate:
    """``|fieldref``: the field equals (or starts/ends with, or contains) the other field, case-insensitively."""
    other = ref.field
    if ref.starts_with and ref.ends_with:
        relation: Callable[[str, str], bool] = str.__contains__
    elif ref.starts_with:
        relation = str.startswith
    elif ref.ends_with:
        relation = str.endswith
    else:
        relation = str.__eq__

    def texts(value: Any) -> list[str]:
        items = value if isinstance(value, list) else [value]
        return [t.lower() for t in (V.text_of(i) for i in items if i is not None) if t is not None]

    def leaf(record: Record) -> bool:
        left, right = record.get(field), record.get(other)
        if left is None or right is None:
            return False
        return any(relation(a, b) for a in texts(left) for b in texts(right))

    return leaf


# -- the compiler ------------------------------------------------------------------------------------


class _Compiler:
    def __init__(self, policy: Mapping[str, Any]) -> None:
        self.policy = policy
        self.fields: set[str] = set()

    def node(self, node: ConditionNode) -> tuple[Predicate, Anchor | None]:
        if node is None:
            return _false, None
        if isinstance(node, ConditionAND):
            parts = [self.node(a) for a in node.args]
            return _and([p for p, _ in parts]), _best_anchor([a for _, a in parts])
        if isinstance(node, ConditionOR):
            return self._or_node(node)
        if isinstance(node, ConditionNOT):
            inner, _ = self.node(node.args[0])
            return (lambda r: not inner(r)), None
        if isinstance(node, ConditionFieldEqualsValueExpression):
            return self._field(node.field, [node.value])
        if isinstance(node, ConditionValueExpression):
            tests = self._tests(node.value, keyword=True)
            return _keyword_leaf(_any_value(tests)), None
        raise CompileError(f"unsupported condition element {type(node).__name__}")

    def _or_node(self, node: ConditionOR) -> tuple[Predicate, Anchor | None]:
        """Merge ORed values of one field into one leaf (one lookup, one set test) before ORing the rest."""
        by_field: dict[str, list[SigmaType]] = {}
        others: list[ConditionNode] = []
        for arg in node.args:
            if isinstance(arg, ConditionFieldEqualsValueExpression) and not isinstance(
                arg.value, SigmaNull | SigmaExists | SigmaFieldReference
            ):
                by_field.setdefault(arg.field, []).append(arg.value)
            else:
                others.append(arg)
        parts = [self._field(f, vals) for f, vals in by_field.items()]
        parts += [self.node(n) for n in others]
        return _or([p for p, _ in parts]), _union_anchor([a for _, a in parts])

    def _field(self, field: str, values: list[SigmaType]) -> tuple[Predicate, Anchor | None]:
        """One leaf for a field and values ORed together."""
        self.fields.add(field)
        if len(values) == 1:
            value = values[0]
            if isinstance(value, SigmaNull):
                return _null_leaf(field), None
            if isinstance(value, SigmaExists):
                return _exists_leaf(field, bool(value)), None
            if isinstance(value, SigmaFieldReference):
                self.fields.add(value.field)
                return _fieldref_leaf(field, value), None
        flat = list(self._flatten(values))
        exact: list[SigmaString] = []
        affixes: dict[tuple[str, bool], list[str]] = {}
        tests: list[V.ValueTest] = []
        anchor_values: set[str] | None = set()
        for value in flat:
            if isinstance(value, SigmaString):
                shape = V.StringShape(value, cased=isinstance(value, SigmaCasedString))
                if shape.kind == "exact" and anchor_values is not None:
                    anchor_values.add(shape.pattern.lower())
                else:
                    anchor_values = None
                if shape.kind == "exact" and not shape.cased:
                    exact.append(value)
                elif shape.kind in ("startswith", "endswith", "contains"):
                    affixes.setdefault((shape.kind, shape.cased), []).append(shape.pattern)
                else:
                    tests.append(shape.test())
            else:
                anchor_values = None
                tests.extend(self._tests(value, keyword=False))
        if exact:
            tests.insert(0, V.string_set_test(exact) if len(exact) > 1 else V.string_test(exact[0]))
        for (kind, cased), patterns in affixes.items():
            tests.append(V.affix_test(kind, patterns, cased=cased))
        anchor = (field, frozenset(anchor_values)) if anchor_values else None
        return field_leaf(field, _any_value(tests)), anchor

    def _flatten(self, values: list[SigmaType]) -> Iterator[SigmaType]:
        """Expansions (base64offset, windash) and expand placeholders become plain ORed values."""
        for value in values:
            if isinstance(value, SigmaExpansion):
                yield from self._flatten(value.values)
            elif isinstance(value, SigmaString) and value.contains_placeholder():
                yield from self._fill(value)
            else:
                yield value

    def _fill(self, value: SigmaString) -> list[SigmaString]:
        cased = isinstance(value, SigmaCasedString)

        def callback(placeholder: Placeholder) -> Iterator[str]:
            found = policy_values(self.policy, placeholder.name)
            if found is None:
                raise CompileError(f"expand placeholder %{placeholder.name}% has no value in the inventory policy")
            yield from found

        filled = value.replace_placeholders(callback)  # type: ignore[arg-type]
        return [SigmaCasedString.from_sigma_string(s) if cased else s for s in filled]

    def _tests(self, value: SigmaType, *, keyword: bool) -> list[V.ValueTest]:
        """Value tests (ORed) for one Sigma value that is not a plain field string handled by ``_field``."""
        if isinstance(value, SigmaExpansion):
            return [t for v in value.values for t in self._tests(v, keyword=keyword)]
        if isinstance(value, SigmaString):
            if value.contains_placeholder():
                return [t for s in self._fill(value) for t in self._tests(s, keyword=keyword)]
            if keyword:
                value = _as_contains(value)
            return [V.string_test(value)]
        if isinstance(value, SigmaTimestampPart):
            return [V.timestamp_part_test(value)]
        if isinstance(value, SigmaBool):
            return [V.bool_test(value)]
        if isinstance(value, SigmaNumber):
            return [V.number_test(value)]
        if isinstance(value, SigmaRegularExpression):
            return [V.regex_test(self._regex(value))]
        if isinstance(value, SigmaCIDRExpression):
            return [V.cidr_test(value)]
        if isinstance(value, SigmaCompareExpression):
            return [V.compare_test(value)]
        if isinstance(value, SigmaNull | SigmaExists | SigmaFieldReference):
            raise CompileError(f"{type(value).__name__} cannot be combined with other values of the same field")
        raise CompileError(f"unsupported value type {type(value).__name__}")

    def _regex(self, value: SigmaRegularExpression) -> SigmaRegularExpression:
        """Fill ``expand`` placeholders of a regex with the escaped policy values, as an alternation."""
        if not value.regexp.contains_placeholder():
            return value
        pieces: list[str] = []
        for part in value.regexp.s:
            if isinstance(part, Placeholder):
                found = policy_values(self.policy, part.name)
                if found is None:
                    raise CompileError(f"expand placeholder %{part.name}% has no value in the inventory policy")
                pieces.append("(?:" + "|".join(re.escape(v) for v in found) + ")")
            elif isinstance(part, SpecialChars):
                pieces.append("*" if part is SpecialChars.WILDCARD_MULTI else "?")
            else:
                pieces.append(part)
        return SigmaRegularExpression("".join(pieces), value.flags)


def _as_contains(value: SigmaString) -> SigmaString:
    """Keywords match anywhere in a value (Sigma's full-text search), so they get implicit ``*`` on both ends."""
    if not value.startswith(SpecialChars.WILDCARD_MULTI):
        value = SpecialChars.WILDCARD_MULTI + value
    if not value.endswith(SpecialChars.WILDCARD_MULTI):
        value = value + SpecialChars.WILDCARD_MULTI
    return value
