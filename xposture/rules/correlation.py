"""Sigma correlation rules over the matches of their referenced rules, evaluated at the end of a run.

A tracker collects, per group (the ``group-by`` values, aliases applied), the
records its referenced rules matched. At the end it slides a window of the
rule's ``timespan`` over each group's records in time order and, when the
condition holds in some window, synthesizes one record for the group (its
fields are in ``docs/taxonomy/rules.md``). Records without a timestamp put
their whole group in a single window: posture records are snapshots, and a
"within 5 minutes" bound has no meaning for them.
"""

from __future__ import annotations

import bisect
import datetime as dt
import operator
import statistics
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sigma.correlations import (
    CorrelationConditionAND,
    CorrelationConditionItem,
    CorrelationConditionNOT,
    CorrelationConditionOR,
    SigmaCorrelationCondition,
    SigmaCorrelationConditionOperator,
    SigmaCorrelationRule,
    SigmaCorrelationType,
    SigmaExtendedCorrelationCondition,
    SigmaRuleReference,
)
from sigma.rule import SigmaRule

from xposture.model import ASSET_ID, KEY, LAYER, TYPE, FieldValue, Record, Scalar
from xposture.rules.values import number_of, parse_time, text_of

if TYPE_CHECKING:
    from xposture.rules.model import Rule

MIXED_TYPE = "correlation"
"""Record type of a correlation over rules of different record types."""

TIME_FIELDS = ("record.time", "@timestamp", "eventTime", "timestamp", "ts", "time")
"""Fields read, in this order, for a record's time in correlation windows."""

MAX_EVIDENCE_KEYS = 100
"""At most this many ``record.key`` values are kept in ``correlation.records``."""

_OPS: dict[SigmaCorrelationConditionOperator, Callable[[Any, Any], bool]] = {
    SigmaCorrelationConditionOperator.LT: operator.lt,
    SigmaCorrelationConditionOperator.LTE: operator.le,
    SigmaCorrelationConditionOperator.GT: operator.gt,
    SigmaCorrelationConditionOperator.GTE: operator.ge,
    SigmaCorrelationConditionOperator.EQ: operator.eq,
    SigmaCorrelationConditionOperator.NEQ: operator.ne,
}


class CorrelationError(Exception):
    """A correlation rule the engine cannot evaluate (reported as a ``RuleError``)."""


def record_time(record: Record) -> float | None:
    """The record's time as Unix seconds, from the first of ``TIME_FIELDS`` that parses."""
    for name in TIME_FIELDS:
        value = record.get(name)
        if value is not None and not isinstance(value, list):
            moment = parse_time(value)
            if moment is not None:
                return moment.timestamp()
    return None


@dataclass(slots=True)
class _Event:
    time: float | None
    reference: str
    record: Record


Groups = dict[tuple[Any, ...], list[_Event]]
"""One run's records per group (the ``group-by`` values) of one correlation rule."""


@dataclass
class Tracker:
    """One correlation rule, ready to evaluate; the per-run state lives in a ``Groups`` mapping."""

    rule: Rule
    sigma: SigmaCorrelationRule
    references: list[SigmaRuleReference]
    group_by: list[str]
    aliases: dict[str, dict[str, str]]
    timespan_s: int

    @classmethod
    def create(cls, sigma: SigmaCorrelationRule, rule: Rule) -> Tracker:
        """Check the correlation is one we evaluate and prepare its tables."""
        references = list(sigma.referenced_rules or [])
        if not references:
            raise CorrelationError("correlation refers to no rules")
        for ref in references:
            if not isinstance(ref.rule, SigmaRule):
                raise CorrelationError("correlations of correlations are not supported")
        if sigma.type == SigmaCorrelationType.TEMPORAL_ORDERED and isinstance(
            sigma.condition, SigmaExtendedCorrelationCondition
        ):
            raise CorrelationError("extended conditions on temporal_ordered correlations are not supported")
        aliases: dict[str, dict[str, str]] = {}
        for alias in sigma.aliases:
            aliases[alias.alias] = {ref.reference: name for ref, name in alias.mapping.items()}
        return cls(
            rule=rule,
            sigma=sigma,
            references=references,
            group_by=list(sigma.group_by or []),
            aliases=aliases,
            timespan_s=int(sigma.timespan.seconds),
        )

    def _value(self, reference: str, name: str, record: Record) -> FieldValue:
        mapping = self.aliases.get(name)
        return record.get(mapping.get(reference, name) if mapping else name)

    def add(self, groups: Groups, reference: str, record: Record) -> None:
        """Remember in ``groups`` (one run's state) that the referenced rule ``reference`` matched ``record``."""
        key = tuple(_hashable(self._value(reference, name, record)) for name in self.group_by)
        groups.setdefault(key, []).append(_Event(record_time(record), reference, record))

    # -- evaluation ----------------------------------------------------------------------------

    def results(self, groups: Groups) -> Iterator[Record]:
        """One synthesized record per group whose condition holds in some window."""
        for key, events in groups.items():
            window = self._best_window(events)
            if window is not None:
                yield self._synthesize(key, *window)

    def _best_window(self, events: list[_Event]) -> tuple[list[_Event], Scalar] | None:
        """The window where the condition holds with the most records (then the largest measure, then the first).

        Windows start at each record in time order and span ``timespan``; two
        pointers and a running state make this linear in the group's size
        (``temporal_ordered`` also scans each window for the order).
        """
        if any(e.time is None for e in events):
            state = _WindowState(self)
            for event in events:
                state.add(event)
            held, measured = self._holds(state, events)
            return (events, measured) if held else None
        ordered = sorted(events, key=lambda e: e.time or 0.0)
        times = [e.time or 0.0 for e in ordered]
        state = _WindowState(self)
        best: tuple[int, int, Scalar] | None = None
        end = 0
        for start, begin in enumerate(times):
            while end < len(ordered) and times[end] <= begin + self.timespan_s:
                state.add(ordered[end])
                end += 1
            held, measured = self._holds(state, ordered, start, end)
            if held and (best is None or (end - start, _rank(measured)) > (best[1] - best[0], _rank(best[2]))):
                best = (start, end, measured)
            state.remove(ordered[start])
        if best is None:
            return None
        return ordered[best[0] : best[1]], best[2]

    def _holds(
        self, state: _WindowState, events: list[_Event], start: int = 0, end: int | None = None
    ) -> tuple[bool, Scalar]:
        kind = self.sigma.type
        condition = self.sigma.condition
        if kind in (SigmaCorrelationType.TEMPORAL, SigmaCorrelationType.TEMPORAL_ORDERED):
            present = state.present()
            if isinstance(condition, SigmaExtendedCorrelationCondition):
                return _extended(condition.parsed, present), len(present)
            if kind == SigmaCorrelationType.TEMPORAL_ORDERED and not self._in_order(events[start:end]):
                return False, len(present)
            assert isinstance(condition, SigmaCorrelationCondition)
            return _OPS[condition.op](len(present), condition.count), len(present)
        assert isinstance(condition, SigmaCorrelationCondition)
        measured = state.measure(condition)
        if measured is None:
            return False, None
        return _OPS[condition.op](measured, condition.count), measured

    def field_values(self, event: _Event) -> list[Scalar]:
        """The condition field's values of one event (aliases applied, lists flattened, nulls dropped)."""
        condition = self.sigma.condition
        if not isinstance(condition, SigmaCorrelationCondition) or not condition.fieldref:
            return []
        names = condition.fieldref if isinstance(condition.fieldref, list) else [condition.fieldref]
        values: list[Scalar] = []
        for name in names:
            value = self._value(event.reference, name, event.record)
            for item in value if isinstance(value, list) else [value]:
                if item is not None:
                    values.append(item)
        return values

    def _in_order(self, window: list[_Event]) -> bool:
        """Each referenced rule matched, in the listed order, within the window."""
        wanted = [r.reference for r in self.references]
        position = 0
        for event in sorted(window, key=lambda e: e.time or 0.0):
            if position < len(wanted) and event.reference == wanted[position]:
                position += 1
        return position == len(wanted)

    def _synthesize(self, key: tuple[Any, ...], window: list[_Event], measured: Scalar) -> Record:
        first = window[0].record
        assets = {e.record.get(ASSET_ID) for e in window}
        group_text = "|".join("" if v is None else str(v) for v in key)
        record: Record = {
            TYPE: self.rule.record_type,
            KEY: f"correlation:{self.rule.name}:{group_text}",
            LAYER: first.get(LAYER) or "",
            ASSET_ID: first.get(ASSET_ID) if len(assets) == 1 else f"correlation:{self.rule.name}",
            "source.scanner": "rules",
            "correlation.rule": self.rule.name,
            "correlation.type": str(self.sigma.type),
            "correlation.count": len(window),
            "correlation.timespan_s": self.timespan_s,
            "correlation.rules": sorted({e.reference for e in window}),
            "correlation.records": [str(e.record.get(KEY, "")) for e in window[:MAX_EVIDENCE_KEYS]],
        }
        if measured is not None:
            record["correlation.value"] = measured
        times = [e.time for e in window if e.time is not None]
        if times:
            record["correlation.first_time"] = _iso(min(times))
            record["correlation.last_time"] = _iso(max(times))
        for name, value in zip(self.group_by, key, strict=True):
            record[name] = list(value) if isinstance(value, tuple) else value
        return record


class _WindowState:
    """Running measures of the events inside the current window: added at the end, removed at the start."""

    def __init__(self, tracker: Tracker) -> None:
        self.tracker = tracker
        self.count = 0
        self.references: Counter[str] = Counter()
        self.texts: Counter[str | None] = Counter()
        self.total = 0.0
        self.numbers: list[float] = []
        self.needs_values = tracker.sigma.type not in (
            SigmaCorrelationType.EVENT_COUNT,
            SigmaCorrelationType.TEMPORAL,
            SigmaCorrelationType.TEMPORAL_ORDERED,
        )

    def add(self, event: _Event) -> None:
        self.count += 1
        self.references[event.reference] += 1
        if self.needs_values:
            for value in self.tracker.field_values(event):
                self.texts[text_of(value)] += 1
                number = number_of(value)
                if number is not None:
                    self.total += number
                    bisect.insort(self.numbers, float(number))

    def remove(self, event: _Event) -> None:
        self.count -= 1
        self.references[event.reference] -= 1
        if self.needs_values:
            for value in self.tracker.field_values(event):
                text = text_of(value)
                self.texts[text] -= 1
                if not self.texts[text]:
                    del self.texts[text]
                number = number_of(value)
                if number is not None:
                    self.total -= number
                    del self.numbers[bisect.bisect_left(self.numbers, float(number))]

    def present(self) -> set[str]:
        return {name for name, count in self.references.items() if count > 0}

    def measure(self, condition: SigmaCorrelationCondition) -> float | int | None:
        kind = self.tracker.sigma.type
        if kind == SigmaCorrelationType.EVENT_COUNT:
            return self.count
        if kind == SigmaCorrelationType.VALUE_COUNT:
            return len(self.texts)
        numbers = self.numbers
        if not numbers:
            return None
        if kind == SigmaCorrelationType.VALUE_SUM:
            return _tidy(self.total)
        if kind == SigmaCorrelationType.VALUE_AVG:
            return self.total / len(numbers)
        if kind == SigmaCorrelationType.VALUE_MEDIAN:
            return _tidy(statistics.median(numbers))
        if kind == SigmaCorrelationType.VALUE_PERCENTILE:
            rank = round((condition.percentile or 50) / 100 * (len(numbers) - 1))
            return _tidy(numbers[max(0, min(len(numbers) - 1, rank))])
        raise CorrelationError(f"unsupported correlation type {kind}")


def _tidy(number: float) -> float | int:
    """Whole sums and medians as integers, so ``correlation.value`` reads 1100 rather than 1100.0."""
    return int(number) if float(number).is_integer() else number


def _hashable(value: FieldValue) -> Any:
    """A group-by value usable as a dict key: lists become tuples, anything else unhashable its text."""
    if isinstance(value, list):
        value = tuple(value)  # type: ignore[assignment]
    try:
        hash(value)
    except TypeError:
        return repr(value)
    return value


def _rank(value: Scalar) -> float:
    number = number_of(value) if value is not None else None
    return float(number) if number is not None else float("-inf")


def _iso(seconds: float) -> str:
    return dt.datetime.fromtimestamp(seconds, tz=dt.UTC).isoformat().replace("+00:00", "Z")


def _extended(node: CorrelationConditionItem | SigmaRuleReference, present: set[str]) -> bool:
    """Evaluate a temporal correlation's boolean condition over the set of rules that matched."""
    if isinstance(node, SigmaRuleReference):
        return node.reference in present
    if isinstance(node, CorrelationConditionAND):
        return all(_extended(a, present) for a in node.args)
    if isinstance(node, CorrelationConditionOR):
        return any(_extended(a, present) for a in node.args)
    if isinstance(node, CorrelationConditionNOT):
        return not _extended(node.args[0], present)
    raise CorrelationError(f"unsupported correlation condition {type(node).__name__}")
