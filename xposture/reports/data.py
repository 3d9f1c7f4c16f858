"""Everything a face needs about one scan, read from the store in one go.

Faces (JSON, SARIF, HTML, the TUI) take a ``ScanReport`` and hold no policy:
waivers are already applied and the comparison with the previous scan is
already made, so every face tells the same story.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from xposture.model import Asset, Finding, Severity
from xposture.scanners.base import CoverageEntry
from xposture.store import ScanInfo, Store, Waiver


@dataclass(slots=True)
class RuleInfo:
    """What a face shows about a rule (a snapshot taken when the scan ran)."""

    id: str
    name: str
    title: str
    level: Severity
    pack: str
    path: str
    tags: list[str] = field(default_factory=list)
    fields: list[str] = field(default_factory=list)
    remediation: str = ""
    description: str = ""
    references: list[str] = field(default_factory=list)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RuleInfo:
        return cls(
            id=data["id"],
            name=data.get("name", ""),
            title=data.get("title", ""),
            level=Severity.parse(data.get("level", "informational")),
            pack=data.get("pack", ""),
            path=data.get("path", ""),
            tags=list(data.get("tags", [])),
            fields=list(data.get("fields", [])),
            remediation=data.get("remediation", ""),
            description=data.get("description", ""),
            references=list(data.get("references", [])),
        )


@dataclass(slots=True)
class Comparison:
    """How this scan's findings relate to an earlier scan's, by fingerprint."""

    previous: ScanInfo
    new: set[str]
    fixed: list[Finding]
    still_open: set[str]


@dataclass(slots=True)
class ScanReport:
    scan: ScanInfo
    findings: list[Finding]
    assets: list[Asset]
    coverage: list[CoverageEntry]
    rules: list[RuleInfo]
    waivers: list[Waiver]
    comparison: Comparison | None
    history: list[ScanInfo]
    audit: list[dict[str, Any]]
    records_by_type: dict[str, int]
    complete: bool = True
    """False for a preview holding only the most severe findings (a face fills in the rest in the background)."""

    @classmethod
    def load(
        cls, store: Store, scan_id: int | None = None, compare_id: int | None = None, *, preview: int | None = None
    ) -> ScanReport:
        """The whole scan; with ``preview=N`` only its N most severe findings and no comparison (opens instantly)."""
        scan = store.scan(scan_id)
        findings = store.findings(scan.id, limit=preview)
        previous = store.scan(compare_id) if compare_id is not None else store.previous_scan(scan.id)
        comparison = compare_with_stored(store, findings, previous) if previous and preview is None else None
        return cls(
            scan=scan,
            findings=findings,
            assets=store.assets(scan.id),
            coverage=store.coverage(scan.id),
            rules=[RuleInfo.from_dict(r) for r in store.rules(scan.id)],
            waivers=store.waivers(),
            comparison=comparison,
            history=[s for s in store.scans() if s.id < scan.id],
            audit=store.audit(scan.id),
            records_by_type=store.record_counts(scan.id),
            complete=preview is None or len(findings) < preview,
        )

    def open_findings(self) -> list[Finding]:
        return [f for f in self.findings if f.status.value == "open"]


def compare_with_stored(store: Store, current: list[Finding], previous: ScanInfo) -> Comparison:
    """Like ``compare``, decoding only the earlier scan's fixed findings (opening a big scan stays fast)."""
    now = {f.fingerprint for f in current}
    before = store.fingerprints(previous.id)
    return Comparison(
        previous=previous,
        new=now - before,
        fixed=store.findings(previous.id, only=before - now),
        still_open=now & before,
    )
