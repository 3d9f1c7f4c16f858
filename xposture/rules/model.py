"""What the engine hands to the rest of xposture: rule metadata and matches."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from xposture.model import Record, Severity

OWN_PRODUCT = "xposture"
"""``logsource.product`` of our own packs: their category is an xposture record type."""


@dataclass(frozen=True, eq=False)
class Rule:
    """One loaded rule, as people and reports see it; the compiled predicate lives in the ``RuleSet``.

    ``record_type`` is the record type the rule is routed to (``docs/rules.md``,
    "Routing"); ``correlation`` is the correlation type for correlation rules
    and empty for detection rules. Rules compare and hash by identity: one
    loaded rule is one object, and its list fields would not hash anyway.
    """

    id: str
    name: str
    title: str
    description: str
    level: Severity
    pack: str
    path: Path | None
    tags: list[str] = field(default_factory=list)
    remediation: str = ""
    rationale: str = ""
    fields: list[str] = field(default_factory=list)
    references: list[str] = field(default_factory=list)
    category: str = ""
    product: str = ""
    service: str = ""
    status: str = ""
    author: str = ""
    falsepositives: list[str] = field(default_factory=list)
    record_type: str = ""
    correlation: str = ""
    tests: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)
    custom: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def logsource(self) -> str:
        """``category/product/service`` as one line for listings (empty parts left out)."""
        return "/".join(part for part in (self.category, self.product, self.service) if part)

    def to_dict(self) -> dict[str, Any]:
        """The listing form used by ``xposture rules list --format json``."""
        return {
            "id": self.id,
            "name": self.name,
            "title": self.title,
            "level": self.level.label,
            "pack": self.pack,
            "path": str(self.path) if self.path else None,
            "logsource": {"category": self.category, "product": self.product, "service": self.service},
            "record_type": self.record_type,
            "correlation": self.correlation or None,
            "status": self.status,
            "tags": self.tags,
            "fields": self.fields,
            "references": self.references,
            "description": self.description,
            "remediation": self.remediation,
        }


@dataclass(frozen=True, slots=True)
class Match:
    """A rule that held for a record; for correlation rules the record is synthesized (``docs/taxonomy/rules.md``)."""

    rule: Rule
    record: Record
