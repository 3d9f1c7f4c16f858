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
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
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


@dataclass
class Tracker:
    """State of one correlation rule during one ``evaluate`` run."""

    rule: Rule
    sigma: SigmaCorrelationRule
    references: list[SigmaRuleReference]
    group_by: list[str]
    aliases: dict[str, dict[str, str]]
    timespan_s: int
    groups: dict[tuple[Any, ...], list[_Event]] = field(default_factory=dict)

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

    def reset(self) -> None:
        self.groups = {}

    def _value(self, reference: str, name: str, record: Record) -> FieldValue:
        mapping = self.aliases.get(name)
        return record.get(mapping.get(reference, name) if mapping else name)

    def add(self, reference: str, record: Record) -> None:
        """Remember that the referenced rule ``reference`` matched ``record``."""
        key = tuple(_hashable(self._value(reference, name, record)) for name in self.group_by)
        self.groups.setdefault(key, []).append(_Event(record_time(record), reference, record))

    # -- evaluation ----------------------------------------------------------------------------

    def results(self) -> Iterator[Record]:
        """One synthesized record per group whose condition holds in some window."""
        for key, events in self.groups.items():
            window = self._best_window(events)
            if window is not None:
                yield self._synthesize(key, *window)

    def _windows(self, events: list[_Event]) -> Iterator[list[_Event]]:
        if any(e.time is None for e in events):
            yield events
            return
        ordered = sorted(events, key=lambda e: e.time or 0.0)
        times = [e.time or 0.0 for e in ordered]
        for start, begin in enumerate(times):
            end = bisect.bisect_right(times, begin + self.timespan_s)
            yield ordered[start:end]
            if end == len(ordered):
                return

    def _best_window(self, events: list[_Event]) -> tuple[list[_Event], Scalar] | None:
        """The window where the condition holds with the largest measured value (first one on ties)."""
        best: tuple[list[_Event], Scalar] | None = None
        for window in self._windows(events):
            held, measured = self._holds(window)
            if held and (best is None or _rank(measured) > _rank(best[1])):
                best = (window, measured)
        return best

    def _holds(self, window: list[_Event]) -> tuple[bool, Scalar]:
        kind = self.sigma.type
        condition = self.sigma.condition
        if kind in (SigmaCorrelationType.TEMPORAL, SigmaCorrelationType.TEMPORAL_ORDERED):
            present = {e.reference for e in window}
            if isinstance(condition, SigmaExtendedCorrelationCondition):
                return _extended(condition.parsed, present), len(present)
            if kind == SigmaCorrelationType.TEMPORAL_ORDERED and not self._in_order(window):
                return False, len(present)
            assert isinstance(condition, SigmaCorrelationCondition)
            return _OPS[condition.op](len(present), condition.count), len(present)
        assert isinstance(condition, SigmaCorrelationCondition)
        measured = self._measure(window, condition)
        if measured is None:
            return False, None
        return _OPS[condition.op](measured, condition.count), measured

    def _measure(self, window: list[_Event], condition: SigmaCorrelationCondition) -> float | int | None:
        kind = self.sigma.type
        if kind == SigmaCorrelationType.EVENT_COUNT:
            return len(window)
        names = condition.fieldref if isinstance(condition.fieldref, list) else [condition.fieldref or ""]
        values = [self._value(e.reference, name, e.record) for e in window for name in names]
        flat = [item for v in values for item in (v if isinstance(v, list) else [v]) if item is not None]
        if kind == SigmaCorrelationType.VALUE_COUNT:
            return len({text_of(v) for v in flat})
        numbers = [n for n in (number_of(v) for v in flat) if n is not None]
        if not numbers:
            return None
        if kind == SigmaCorrelationType.VALUE_SUM:
            return sum(numbers)
        if kind == SigmaCorrelationType.VALUE_AVG:
            return statistics.fmean(numbers)
        if kind == SigmaCorrelationType.VALUE_MEDIAN:
            return statistics.median(numbers)
        if kind == SigmaCorrelationType.VALUE_PERCENTILE:
            ordered = sorted(numbers)
            rank = max(0, min(len(ordered) - 1, round((condition.percentile or 50) / 100 * (len(ordered) - 1))))
            return ordered[rank]
        raise CorrelationError(f"unsupported correlation type {kind}")

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


def _hashable(value: FieldValue) -> Any:
    return tuple(value) if isinstance(value, list) else value


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
