"""What every importer produces: one :class:`Advisory` per vulnerability with its affected entries."""

from __future__ import annotations

from dataclasses import dataclass, field

from xposture.advisories.versions import Interval

SEVERITY_RANK = {
    "none": 0,
    "unknown": 0,
    "low": 1,
    "medium": 2,
    "moderate": 2,
    "high": 3,
    "important": 3,
    "critical": 4,
}


@dataclass(slots=True)
class Affected:
    """One way a product is affected; indexed under several lookup keys (purl, CPE, vendor/product, model, name)."""

    keys: list[str]
    intervals: list[Interval]
    scheme: str = ""
    range_text: str = ""
    product: str = ""
    conditional: bool = False
    fixed: str = ""
    model: bool = False
    """True when the entry names exact model/order numbers (CSAF ``model_numbers``)."""


@dataclass(slots=True)
class Advisory:
    id: str
    source: str  # osv | csaf | cve5
    advisory: str = ""
    aliases: list[str] = field(default_factory=list)
    summary: str = ""
    severity: str = "unknown"
    cvss_score: float | None = None
    cvss_vector: str = ""
    published: str = ""
    modified: str = ""
    references: list[str] = field(default_factory=list)
    cwes: list[str] = field(default_factory=list)
    kev_date: str = ""
    remediation: str = ""
    affected: list[Affected] = field(default_factory=list)

    @property
    def uid(self) -> str:
        return f"{self.source}:{self.advisory or self.id}:{self.id}"


def severity_from_score(score: float | None) -> str:
    """CVSS v3/v4 qualitative rating."""
    if score is None:
        return "unknown"
    if score == 0:
        return "none"
    if score < 4:
        return "low"
    if score < 7:
        return "medium"
    if score < 9:
        return "high"
    return "critical"


def normalise_severity(text: str) -> str:
    value = text.strip().lower()
    if value == "moderate":
        return "medium"
    if value == "important":
        return "high"
    return value if value in SEVERITY_RANK else "unknown"
