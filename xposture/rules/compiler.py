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
from typing import Any, TypeVar

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
    CompareOperators,
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

from xposture.model import Record
from xposture.rules import values as V

Predicate = Callable[[Record], bool]
Anchor = tuple[str, frozenset[str]]
"""``(field, values)``: the rule can only match a record whose field text, lower-cased, is one of ``values``."""
_Arg = TypeVar("_Arg")

ConditionNode = ConditionItem | ConditionFieldEqualsValueExpression | ConditionValueExpression | None


class CompileError(Exception):
    """A rule uses something the native engine cannot evaluate; the loader turns it into a ``RuleError``."""


@dataclass(frozen=True, slots=True)
class Compiled:
    """A rule's predicate, the fields it reads, and its anchor for indexing (``None``: check every record)."""

    predicate: Predicate
    anchor: Anchor | None
    fields: frozenset[str]


def compile_rule(rule: SigmaRule, policy: Mapping[str, Any] | None = None, *, inline: bool = True) -> Compiled:
    """Compile every condition of a rule (several conditions are ORed, as Sigma says).

    With ``inline`` (the default) the condition tree also becomes one Python
    expression, compiled once, in which string tests on string values run
    without a function call; everything else calls the same closures the
    ``inline=False`` form uses (kept as the reference the tests compare with).
    """
    compiler = _Compiler(policy or {})
    nodes = [cond.parsed for cond in rule.detection.parsed_condition]
    parts = [compiler.node(n) for n in nodes]
    part = parts[0] if len(parts) == 1 else compiler.combine("or", parts)
    predicate = compiler.generate(part, str(rule.name or rule.id or rule.title)) if inline else part.pred
    return Compiled(predicate, part.anchor, frozenset(compiler.fields))


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
        for p in items:  # an explicit loop: faster than any() here
            if not p(r):
                return False
        return True

    return all_of


def _any_of(tests: Sequence[Callable[[_Arg], bool]]) -> Callable[[_Arg], bool]:
    """Short-circuit OR, for record predicates and value tests alike; unrolled for short lists (the hot path)."""
    if len(tests) == 1:
        return tests[0]
    if len(tests) == 2:
        a, b = tests
        return lambda x: a(x) or b(x)
    items = tuple(tests)

    def any_of(x: _Arg) -> bool:
        for t in items:  # an explicit loop: faster than any() here
            if t(x):
                return True
        return False

    return any_of


def _or(preds: Sequence[Predicate]) -> Predicate:
    return _any_of(preds) if preds else _false


def _any_value(tests: Sequence[V.ValueTest]) -> V.ValueTest:
    return _any_of(tests)


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
            for item in value:  # type: ignore[union-attr]  # an explicit loop: faster than any() here
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


BOOKKEEPING_PREFIXES = ("record.", "source.")
"""Fields keyword searches skip: where the evidence came from is not what was observed."""


def _keyword_leaf(test: V.ValueTest) -> Predicate:
    """A field-less value matches when any value of any observed field (list elements included) matches."""

    def leaf(record: Record) -> bool:
        for name, value in record.items():
            if value is None or name.startswith(BOOKKEEPING_PREFIXES):
                continue
            if value.__class__ is list:
                for item in value:  # type: ignore[union-attr]
                    if item is not None and test(item):
                        return True
            elif test(value):  # type: ignore[arg-type]
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


@dataclass(slots=True)
class _Part:
    """A compiled condition node: its closure, its anchor, and inline source over ``r`` when it has one."""

    pred: Predicate
    anchor: Anchor | None
    source: str | None = None


class _Compiler:
    def __init__(self, policy: Mapping[str, Any]) -> None:
        self.policy = policy
        self.fields: set[str] = set()
        self.namespace: dict[str, Any] = {"__builtins__": {}, "str": str, "int": int, "bool": bool}
        self._count = 0

    # -- inline source -----------------------------------------------------------------------------

    def bind(self, value: Any, prefix: str = "c") -> str:
        """A fresh generated name for a constant or closure; values never appear in the source text."""
        self._count += 1
        name = f"{prefix}{self._count}"
        self.namespace[name] = value
        return name

    def source(self, part: _Part) -> str:
        return part.source if part.source is not None else f"{self.bind(part.pred, 'n')}(r)"

    def combine(self, op: str, parts: list[_Part]) -> _Part:
        """AND / OR of parts: closures for the reference form, joined sources for the inline form."""
        preds = [p.pred for p in parts]
        if op == "and":
            pred, anchor = _and(preds), _best_anchor([p.anchor for p in parts])
        else:
            pred, anchor = _or(preds), _union_anchor([p.anchor for p in parts])
        if not parts:
            return _Part(pred, anchor, "False")
        return _Part(pred, anchor, "(" + f" {op} ".join(self.source(p) for p in parts) + ")")

    def generate(self, part: _Part, label: str) -> Predicate:
        """Compile the part's source once into a function of the record (the closures if Python's parser balks)."""
        try:
            code = compile(f"lambda r: {self.source(part)}", f"<rule {label}>", "eval")
        except (SyntaxError, RecursionError, MemoryError, ValueError):
            return part.pred  # nesting deeper than the parser allows: same semantics, one call per node
        predicate: Predicate = eval(code, self.namespace)  # noqa: S307 - source holds generated names only
        return predicate

    def _inline_strings(self, field: str, ops: list[tuple[bool, str]], fallback: Predicate) -> str:
        """Source of a field leaf: string values run ``ops`` inline; other values call the closure leaf.

        ``ops`` are (case-insensitive?, template) with ``{v}`` for the value (or
        its lower-cased form for case-insensitive ones), ORed together.
        """
        value, lowered = self.bind(None, "v"), self.bind(None, "l")
        del self.namespace[value], self.namespace[lowered]
        ordered = sorted(ops, key=lambda op: not op[0])  # case-insensitive first: the first one lowers
        texts = []
        assigned = False
        for insensitive, template in ordered:
            if insensitive:
                subject = lowered if assigned else f"({lowered} := {value}.lower())"
                assigned = True
            else:
                subject = value
            texts.append(template.format(v=subject))
        name = self.bind(field, "f")
        leaf = self.bind(fallback, "n")
        return (
            f"((({value} := r.get({name})).__class__ is str and ({' or '.join(texts)}))"
            f" or ({value}.__class__ is not str and {value} is not None and {leaf}(r)))"
        )

    # -- condition nodes ---------------------------------------------------------------------------

    def node(self, node: ConditionNode) -> _Part:
        if node is None:
            return _Part(_false, None, "False")
        if isinstance(node, ConditionAND):
            return self.combine("and", [self.node(a) for a in node.args])
        if isinstance(node, ConditionOR):
            return self._or_node(node)
        if isinstance(node, ConditionNOT):
            inner = self.node(node.args[0])
            pred = inner.pred
            return _Part(lambda r: not pred(r), None, f"(not {self.source(inner)})")
        if isinstance(node, ConditionFieldEqualsValueExpression):
            return self._field(node.field, [node.value])
        if isinstance(node, ConditionValueExpression):
            tests = self._tests(node.value, keyword=True)
            return _Part(_keyword_leaf(_any_value(tests)), None)
        raise CompileError(f"unsupported condition element {type(node).__name__}")

    def _or_node(self, node: ConditionOR) -> _Part:
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
        return parts[0] if len(parts) == 1 else self.combine("or", parts)

    def _field(self, field: str, values: list[SigmaType]) -> _Part:
        """One leaf for a field and values ORed together."""
        self.fields.add(field)
        if len(values) == 1:
            value = values[0]
            if isinstance(value, SigmaNull):
                return _Part(_null_leaf(field), None)
            if isinstance(value, SigmaExists):
                return _Part(_exists_leaf(field, bool(value)), None)
            if isinstance(value, SigmaFieldReference):
                self.fields.add(value.field)
                return _Part(_fieldref_leaf(field, value), None)
        flat = list(self._flatten(values))
        exact: list[SigmaString] = []
        affixes: dict[tuple[str, bool], list[str]] = {}
        tests: list[V.ValueTest] = []
        ops: list[tuple[bool, str]] | None = []
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
                    if ops is not None:
                        ops.append(self._shape_op(shape))
            else:
                anchor_values = _scalar_anchor(value, anchor_values)
                ops = None
                tests.extend(self._tests(value, keyword=False))
        if exact:
            tests.insert(0, V.string_set_test(exact) if len(exact) > 1 else V.string_test(exact[0]))
            if ops is not None:
                patterns = sorted({"".join(p for p in v.s if isinstance(p, str)).lower() for v in exact})
                if len(patterns) == 1:
                    ops.append((True, "{v} == " + self.bind(patterns[0])))
                else:
                    ops.append((True, "{v} in " + self.bind(frozenset(patterns))))
        for (kind, cased), patterns in affixes.items():
            tests.append(V.affix_test(kind, patterns, cased=cased))
            if ops is not None:
                if kind == "contains":
                    ops.extend((not cased, self.bind(p) + " in {v}") for p in patterns)
                else:
                    ops.append((not cased, "{v}." + kind + "(" + self.bind(tuple(patterns)) + ")"))
        anchor = (field, frozenset(anchor_values)) if anchor_values else None
        leaf = field_leaf(field, _any_value(tests))
        if ops:
            source: str | None = self._inline_strings(field, ops, leaf)
        else:
            source = self._inline_scalars(field, flat, leaf)
        return _Part(leaf, anchor, source)

    def _inline_scalars(self, field: str, values: list[SigmaType], fallback: Predicate) -> str | None:
        """Source of a leaf over numbers, booleans and comparisons: ``int`` and ``bool`` values run inline.

        Every other value (text, floats, lists) calls the closure leaf, which
        parses numeric text and so on; ``None`` when a value is of another kind.
        """
        int_ops: list[str] = []
        bool_ops: list[str] = []
        for value in values:
            if isinstance(value, SigmaTimestampPart):
                return None
            if isinstance(value, SigmaBool):
                int_ops.append(f"{{v}} == {int(bool(value.boolean))}")
                bool_ops.append("{v} is " + ("True" if value.boolean else "False"))
            elif isinstance(value, SigmaNumber):
                int_ops.append("{v} == " + self.bind(value.number))
            elif isinstance(value, SigmaCompareExpression):
                int_ops.append("{v} " + _COMPARE_SOURCE[value.op] + " " + self.bind(value.number.number))
            else:
                return None
        if not int_ops:
            return None
        v = self.bind(None, "v")
        del self.namespace[v]
        name, leaf = self.bind(field, "f"), self.bind(fallback, "n")
        ints = " or ".join(op.format(v=v) for op in int_ops)
        bools = " or ".join(op.format(v=v) for op in bool_ops) or "False"
        return (
            f"((({v} := r.get({name})).__class__ is int and ({ints})) or ({v}.__class__ is bool and ({bools}))"
            f" or ({v}.__class__ is not int and {v}.__class__ is not bool and {v} is not None and {leaf}(r)))"
        )

    def _shape_op(self, shape: V.StringShape) -> tuple[bool, str]:
        """Inline template of an ``any``, case-sensitive exact or regex-shaped string test."""
        if shape.kind == "any":
            return (False, "True")
        if shape.kind == "exact":
            return (not shape.cased, "{v} == " + self.bind(shape.pattern))
        assert shape.regex is not None
        return (not shape.cased, self.bind(shape.regex.fullmatch) + "({v}) is not None")

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


_COMPARE_SOURCE = {
    CompareOperators.LT: "<",
    CompareOperators.LTE: "<=",
    CompareOperators.GT: ">",
    CompareOperators.GTE: ">=",
    CompareOperators.NEQ: "!=",
}


def _scalar_anchor(value: SigmaType, found: set[str] | None) -> set[str] | None:
    """Add the index keys of a boolean or number value (as ``text_of`` writes matching record values), or give up.

    A boolean matches ``true``/``false`` in any case and 1/0; a number matches
    numbers and numeric text, which the index looks up in canonical form.
    """
    if found is None or isinstance(value, SigmaTimestampPart):
        return None
    if isinstance(value, SigmaBool):
        return found | ({"true", "1"} if value.boolean else {"false", "0"})
    if isinstance(value, SigmaNumber):
        return found | {V.text_of(value.number) or ""}
    return None


def _as_contains(value: SigmaString) -> SigmaString:
    """Keywords match anywhere in a value (Sigma's full-text search), so they get implicit ``*`` on both ends."""
    if not value.startswith(SpecialChars.WILDCARD_MULTI):
        value = SpecialChars.WILDCARD_MULTI + value
    if not value.endswith(SpecialChars.WILDCARD_MULTI):
        value = value + SpecialChars.WILDCARD_MULTI
    return value
