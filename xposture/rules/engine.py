"""The rule set: load packs, compile each rule once, route records to rules and evaluate.

Routing is by ``record.type`` (the rule's logsource, see ``routing.py``): a
record is never checked against rules of other types. Within a type, rules
anchored on a field value (``compiler.Anchor``) sit in a per-field index, so a
record is fully checked only against the rules whose anchor it satisfies,
plus the unanchored ones, always in rule order.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sigma.collection import SigmaCollection
from sigma.correlations import SigmaCorrelationRule
from sigma.exceptions import SigmaError
from sigma.rule import SigmaRule

from xposture.errors import RuleError
from xposture.model import TYPE, Record, Severity
from xposture.rules import correlation as C
from xposture.rules.compiler import CompileError, Predicate, compile_rule
from xposture.rules.loader import error_text, load_files, rule_label, sibling_tests
from xposture.rules.model import Match, Rule
from xposture.rules.routing import PRODUCT_FIELD, SERVICE_FIELD, narrows, record_type_for
from xposture.rules.values import number_of, text_of

RETIRED_STATUSES = frozenset({"deprecated", "unsupported"})
"""Rules with these Sigma statuses are listed but never evaluated: retired by their authors, or skipped by ``sigma convert``."""


@dataclass(slots=True)
class _Entry:
    """A compiled detection rule in the evaluation tables."""

    position: int
    rule: Rule
    predicate: Predicate
    product: str
    service: str
    output: bool
    feeds: tuple[tuple[C.Tracker, str], ...]


class _Group:
    """The rules one kind of record is checked against: unanchored ones and a per-field anchor index.

    Index keys are lower-cased value texts. A field whose keys include numbers
    is also looked up with numeric text in canonical form (``"0502"`` and
    ``"502.0"`` find the rules anchored on ``502``), since number tests match
    numeric text.
    """

    __slots__ = ("entries", "index", "ordered", "size", "unanchored")

    DIRECT_UP_TO = 3
    """Groups this small check every rule directly: cheaper than looking anchors up."""

    def __init__(self, entries: list[_Entry], anchors: Mapping[int, tuple[str, frozenset[str]]]) -> None:
        self.entries = {e.position: e for e in entries}
        self.size = len(entries)
        self.ordered: tuple[_Entry, ...] | None = None
        if len(entries) <= self.DIRECT_UP_TO or not any(e.position in anchors for e in entries):
            self.ordered = tuple(entries)
        self.unanchored = [e.position for e in entries if e.position not in anchors]
        by_field: dict[str, dict[str, list[int]]] = {}
        for e in entries:
            anchor = anchors.get(e.position)
            if anchor is None:
                continue
            table = by_field.setdefault(anchor[0], {})
            for value in anchor[1]:
                table.setdefault(value, []).append(e.position)
        self.index = tuple(
            (f, {v: tuple(p) for v, p in t.items()}, any(number_of(v) is not None for v in t))
            for f, t in by_field.items()
        )

    def candidates(self, record: Record) -> list[int]:
        """Rule positions to check for this record, in rule order."""
        found = list(self.unanchored)
        sources = 1 if found else 0
        for field, table, numeric in self.index:
            value = record.get(field)
            if value is None:
                continue
            if value.__class__ is str and not numeric:
                hit = table.get(value.lower())  # type: ignore[union-attr]
                if hit:
                    found.extend(hit)
                    sources += 1
                continue
            for item in value if isinstance(value, list) else (value,):
                text = text_of(item)
                if text is None:
                    continue
                hit = table.get(text.lower())
                if hit:
                    found.extend(hit)
                    sources += 2
                if numeric and item.__class__ is str:
                    number = number_of(item)
                    canonical = text_of(number) if number is not None else None
                    if canonical is not None and canonical != text:
                        hit = table.get(canonical)
                        if hit:
                            found.extend(hit)
                            sources += 2
        if sources > 1:
            return sorted(set(found))
        return found


class RuleSet:
    """Loaded, compiled rules; ``errors`` lists every rule that could not be loaded or compiled, with its file.

    ``retired`` lists the rules of ``rules`` that are ``deprecated`` or
    ``unsupported``: they are listed, never evaluated.
    """

    def __init__(self, rules: list[Rule], errors: list[RuleError]) -> None:
        self.rules = rules
        self.errors = errors
        self.retired: list[Rule] = []
        self._entries: list[_Entry] = []
        self._anchors: dict[int, tuple[str, frozenset[str]]] = {}
        self._by_type: dict[str, list[_Entry]] = {}
        self._groups: dict[tuple[Any, Any, Any], _Group] = {}
        self._trackers: list[C.Tracker] = []

    # -- loading -------------------------------------------------------------------------------

    @classmethod
    def load(
        cls,
        paths: Sequence[Path],
        *,
        policy: Mapping[str, Any] | None = None,
        filters: Sequence[Path] = (),
    ) -> RuleSet:
        """Load rule files and folders; malformed rules land in ``errors`` and the rest load.

        ``policy`` fills ``expand`` placeholders; ``filters`` names extra Sigma
        meta-filter files (accepted exceptions) applied on top of any filters
        among ``paths``.
        """
        loaded = load_files([Path(p) for p in paths], [Path(p) for p in filters])
        return cls._build(loaded.rules, loaded.errors, policy or {})

    @classmethod
    def loads(cls, text: str, *, policy: Mapping[str, Any] | None = None, pack: str = "") -> RuleSet:
        """Load rules from YAML text (one or more documents); mostly for tests and tools."""
        errors: list[RuleError] = []
        try:
            collection = SigmaCollection.from_yaml(text, collect_errors=True)
        except Exception as exc:  # yaml errors and pySigma's own, all reported the same way
            return cls([], [RuleError(f"cannot parse: {error_text(exc)}")])
        errors.extend(RuleError(error_text(e)) for e in collection.errors)
        rules = [r for r in collection.rules if not r.errors]
        return cls._build(rules, errors, policy or {}, pack=pack)

    @classmethod
    def _build(
        cls,
        sigma_rules: list[SigmaRule | SigmaCorrelationRule],
        errors: list[RuleError],
        policy: Mapping[str, Any],
        *,
        pack: str = "",
    ) -> RuleSet:
        ruleset = cls([], errors)
        detections: list[tuple[SigmaRule, Rule]] = []
        correlations: list[tuple[SigmaCorrelationRule, Rule]] = []
        for sigma_rule in sigma_rules:
            try:
                meta = _metadata(sigma_rule, pack)
            except (ValueError, TypeError) as exc:
                errors.append(RuleError(str(exc), file=_file(sigma_rule), rule=rule_label(sigma_rule)))
                continue
            if isinstance(sigma_rule, SigmaCorrelationRule):
                correlations.append((sigma_rule, meta))
            else:
                detections.append((sigma_rule, meta))
        by_sigma: dict[int, _Entry] = {}
        for sigma_rule, meta in detections:
            if meta.status in RETIRED_STATUSES:
                ruleset.rules.append(meta)
                ruleset.retired.append(meta)
                continue
            try:
                result = compile_rule(sigma_rule, policy)
            except (CompileError, SigmaError, ValueError) as exc:
                errors.append(RuleError(error_text(exc), file=_file(sigma_rule), rule=rule_label(sigma_rule)))
                continue
            except Exception as exc:  # a rule file must never stop a scan; say what broke instead
                message = f"cannot compile: {type(exc).__name__}: {error_text(exc)}"
                errors.append(RuleError(message, file=_file(sigma_rule), rule=rule_label(sigma_rule)))
                continue
            if result.anchor is not None:
                ruleset._anchors[len(ruleset._entries)] = result.anchor
            entry = _Entry(
                position=len(ruleset._entries),
                rule=meta,
                predicate=result.predicate,
                product=(meta.product.lower() if narrows(meta.category, meta.product) else ""),
                service=(meta.service.lower() if narrows(meta.category, meta.product) else ""),
                output=sigma_rule._output,
                feeds=(),
            )
            ruleset._entries.append(entry)
            by_sigma[id(sigma_rule)] = entry
            ruleset.rules.append(meta)
        for sigma_rule, meta in correlations:
            try:
                tracker = C.Tracker.create(sigma_rule, meta)
            except C.CorrelationError as exc:
                errors.append(RuleError(str(exc), file=_file(sigma_rule), rule=rule_label(sigma_rule)))
                continue
            missing = [ref for ref in tracker.references if id(ref.rule) not in by_sigma]
            if missing:
                errors.append(
                    RuleError(
                        "correlation refers to rules that did not load: " + ", ".join(m.reference for m in missing),
                        file=_file(sigma_rule),
                        rule=rule_label(sigma_rule),
                    )
                )
                continue
            for ref in tracker.references:
                entry = by_sigma[id(ref.rule)]
                entry.feeds = (*entry.feeds, (tracker, ref.reference))
            ruleset._trackers.append(tracker)
            ruleset.rules.append(meta)
        for entry in ruleset._entries:
            ruleset._by_type.setdefault(entry.rule.record_type, []).append(entry)
        return ruleset

    # -- evaluation ----------------------------------------------------------------------------

    def rules_for(self, record_type: str) -> list[Rule]:
        """Detection rules routed to a record type (what a record of that type is checked against)."""
        return [e.rule for e in self._by_type.get(record_type, [])]

    def record_types(self) -> list[str]:
        """Record types that at least one rule looks at."""
        return sorted(self._by_type)

    def _group(self, key: tuple[Any, Any, Any]) -> _Group:
        group = self._groups.get(key)
        if group is None:
            record_type, product, service = key
            product = str(product).lower() if product is not None else None
            service = str(service).lower() if service is not None else None
            entries = [
                e
                for e in self._by_type.get(str(record_type), [])
                if (not e.product or product is None or e.product == product)
                and (not e.service or service is None or e.service == service)
            ]
            positions = {e.position for e in entries}
            group = _Group(entries, {p: a for p, a in self._anchors.items() if p in positions})
            self._groups[key] = group
        return group

    def evaluate(self, records: Iterable[Record]) -> Iterator[Match]:
        """Yield a ``Match`` for every (rule, record) that holds, then the correlation matches at the end."""
        runs: dict[int, C.Groups] = {id(t): {} for t in self._trackers}
        groups = self._groups
        for record in records:
            key = (record.get(TYPE), record.get(PRODUCT_FIELD), record.get(SERVICE_FIELD))
            try:
                group = groups.get(key) or self._group(key)
            except TypeError:  # a list where a record type belongs: no rule is routed to it
                continue
            if not group.size:
                continue
            if group.ordered is not None:
                candidates: Iterable[_Entry] = group.ordered
            else:
                entries = group.entries
                candidates = [entries[p] for p in group.candidates(record)]
            for entry in candidates:
                if entry.predicate(record):
                    if entry.output:
                        yield Match(entry.rule, record)
                    for tracker, reference in entry.feeds:
                        tracker.add(runs[id(tracker)], reference, record)
        for tracker in self._trackers:
            for synthesized in tracker.results(runs[id(tracker)]):
                yield Match(tracker.rule, synthesized)

    def _group_of(self, record: Record) -> _Group | None:
        try:
            return self._group((record.get(TYPE), record.get(PRODUCT_FIELD), record.get(SERVICE_FIELD)))
        except TypeError:  # unhashable routing fields: no rule is routed to such a record
            return None

    def check(self, record: Record) -> list[Rule]:
        """Detection rules that hold for one record (correlations are not evaluated)."""
        group = self._group_of(record)
        if group is None:
            return []
        return [group.entries[p].rule for p in group.candidates(record) if group.entries[p].predicate(record)]

    def considered(self, records: Iterable[Record]) -> int:
        """Record·rule pairs routing puts in front of each other (the benchmark's unit of work)."""
        total = 0
        for record in records:
            group = self._group_of(record)
            total += group.size if group is not None else 0
        return total


# -- metadata ------------------------------------------------------------------------------------


def _file(rule: SigmaRule | SigmaCorrelationRule) -> str | None:
    return str(rule.source.path) if rule.source is not None and rule.source.path else None


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return "\n".join(str(v) for v in value)
    return str(value).strip()


def _strings(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, list):
        return [str(v) for v in value]
    return [str(value)]


def _metadata(rule: SigmaRule | SigmaCorrelationRule, pack: str) -> Rule:
    """Build the ``Rule`` people see from a pySigma rule and its custom attributes."""
    custom = dict(rule.custom_attributes or {})
    path = Path(rule.source.path) if rule.source is not None and rule.source.path else None
    level = Severity.parse(str(rule.level)) if rule.level is not None else Severity.MEDIUM
    if isinstance(rule, SigmaCorrelationRule):
        refs = rule.referenced_rules or []
        first = refs[0].rule if refs else None
        logsource = first.logsource if isinstance(first, SigmaRule) else None
        types = {
            record_type_for(r.rule.logsource.category, r.rule.logsource.product, r.rule.logsource.service)
            for r in refs
            if isinstance(r.rule, SigmaRule)
        }
        record_type = types.pop() if len(types) == 1 else C.MIXED_TYPE
        correlation = str(rule.type)
    else:
        logsource = rule.logsource
        record_type = record_type_for(logsource.category, logsource.product, logsource.service)
        correlation = ""
    tests = custom.get("tests")
    if tests is None:
        tests = sibling_tests(path)
    rule_id = str(rule.id) if rule.id is not None else (str(rule.name) if rule.name else "")
    if not rule_id:
        raise ValueError("rule has neither an id nor a name")
    return Rule(
        id=rule_id,
        name=str(rule.name) if rule.name else rule_id,
        title=rule.title or "",
        description=_text(rule.description),
        level=level,
        pack=pack or (path.parent.name if path else ""),
        path=path,
        tags=[str(t) for t in rule.tags],
        remediation=_text(custom.get("remediation")),
        rationale=_text(custom.get("rationale")),
        fields=[str(f) for f in rule.fields],
        references=[str(r) for r in rule.references],
        category=(logsource.category or "") if logsource else "",
        product=(logsource.product or "") if logsource else "",
        service=(logsource.service or "") if logsource else "",
        status=str(rule.status) if rule.status is not None else "",
        author=_text(rule.author),
        falsepositives=_strings(rule.falsepositives),
        record_type=record_type,
        correlation=correlation,
        tests=dict(tests) if isinstance(tests, Mapping) else {},
        custom=custom,
    )
