"""The findings filter: a small query language typed after ``/``, plus quick filters and sorting.

``sev:high+ layer:ot tag:iec62443 modbus`` keeps open and waived findings of
severity high or above, in the OT layer, tagged with an IEC 62443 id, whose
text mentions "modbus". Free words must all appear (case-insensitive) in the
finding's title, rule, asset or evidence. Kept pure and fast: a filter over
100k findings runs in tens of milliseconds because each finding's search text
is built once.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from xposture.model import Asset, Finding, Severity

KEYS = {
    "sev": "severity",
    "severity": "severity",
    "layer": "layer",
    "site": "site",
    "zone": "zone",
    "rule": "rule",
    "asset": "asset",
    "tag": "tag",
    "fw": "tag",
    "framework": "tag",
    "status": "status",
    "type": "type",
    "pack": "pack",
}
SORTS: dict[str, Callable[[Finding], tuple[object, ...]]] = {
    "severity": lambda f: (-int(f.severity), f.rule_name, f.asset_id),
    "asset": lambda f: (f.asset_id, -int(f.severity)),
    "rule": lambda f: (f.rule_name, f.asset_id),
    "layer": lambda f: (f.layer, -int(f.severity), f.rule_name),
}


@dataclass(slots=True)
class Query:
    """A parsed filter; ``errors`` explain the tokens that were not understood."""

    min_severity: Severity | None = None
    exact_severity: Severity | None = None
    fields: dict[str, list[str]] = field(default_factory=dict)
    words: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.min_severity is not None or self.exact_severity is not None or self.fields or self.words)


def parse_query(text: str) -> Query:
    query = Query()
    for token in text.split():
        key, sep, value = token.partition(":")
        if not sep:
            query.words.append(token.lower())
            continue
        name = KEYS.get(key.lower())
        if name is None:
            query.errors.append(f"unknown filter {key!r} (use {', '.join(sorted(set(KEYS)))})")
            continue
        if not value:
            query.errors.append(f"{key}: needs a value")
            continue
        if name == "severity":
            at_least = value.endswith("+")
            try:
                level = Severity.parse(value.rstrip("+"))
            except ValueError as exc:
                query.errors.append(str(exc))
                continue
            if at_least:
                query.min_severity = level
            else:
                query.exact_severity = level
            continue
        query.fields.setdefault(name, []).append(value.lower())
    return query


class FindingIndex:
    """Findings with their search text and asset placement precomputed, for instant filters."""

    def __init__(self, findings: Sequence[Finding], assets: Sequence[Asset]) -> None:
        self.findings = list(findings)
        placement = {a.id: (a.site.lower(), a.zone.lower()) for a in assets}
        self._place = [placement.get(f.asset_id, ("", "")) for f in self.findings]
        self._text: list[str] | None = None

    def _search_text(self) -> list[str]:
        # Built on the first free-text search, not at open: opening 100k findings stays fast.
        if self._text is None:
            self._text = [
                " ".join((f.title, f.rule_name, f.asset_id, " ".join(str(v) for v in f.evidence.values()))).lower()
                for f in self.findings
            ]
        return self._text

    def select(
        self,
        query: Query,
        *,
        status: str = "",
        layer: str = "",
        min_severity: Severity | None = None,
        sort: str = "severity",
    ) -> list[Finding]:
        """Findings matching the query and quick filters, sorted."""
        tests: list[Callable[[int, Finding], bool]] = []
        floor = max((s for s in (query.min_severity, min_severity) if s is not None), default=None)
        if floor is not None:
            tests.append(lambda i, f: f.severity >= floor)
        if query.exact_severity is not None:
            exact = query.exact_severity
            tests.append(lambda i, f: f.severity == exact)
        if status:
            tests.append(lambda i, f: f.status.value == status)
        if layer:
            tests.append(lambda i, f: f.layer == layer)
        for name, values in query.fields.items():
            tests.append(self._field_test(name, values))
        if query.words:
            text = self._search_text()
            words = query.words
            tests.append(lambda i, f: all(w in text[i] for w in words))
        kept = [f for i, f in enumerate(self.findings) if all(t(i, f) for t in tests)]
        kept.sort(key=SORTS.get(sort, SORTS["severity"]))
        return kept

    def _field_test(self, name: str, values: list[str]) -> Callable[[int, Finding], bool]:
        place = self._place
        if name == "site":
            return lambda i, f: any(v == place[i][0] for v in values)
        if name == "zone":
            return lambda i, f: any(v == place[i][1] for v in values)
        if name == "tag":
            return lambda i, f: any(t.lower().startswith(v) for t in f.tags for v in values)
        getters: dict[str, Callable[[Finding], str]] = {
            "layer": lambda f: f.layer,
            "rule": lambda f: f.rule_name.lower() + " " + f.rule_id,
            "asset": lambda f: f.asset_id.lower(),
            "status": lambda f: f.status.value,
            "type": lambda f: f.record_type,
            "pack": lambda f: f.pack.lower(),
        }
        get = getters[name]
        if name in ("layer", "status", "type", "pack"):
            return lambda i, f: get(f) in values
        return lambda i, f: any(v in get(f) for v in values)
