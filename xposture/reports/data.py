"""Report data model (contract stand-in until the lead's version lands on main; theirs wins on merge)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from xposture.model import Asset, Finding, Severity
from xposture.scanners.base import CoverageEntry


@dataclass
class ScanInfo:
    id: int
    started: str
    finished: str | None
    status: str
    inventory: str
    params: dict[str, Any] = field(default_factory=dict)
    summary: dict[str, Any] = field(default_factory=dict)


@dataclass
class RuleInfo:
    id: str
    name: str
    title: str
    level: Severity
    pack: str = ""
    path: str = ""
    tags: list[str] = field(default_factory=list)
    fields: list[str] = field(default_factory=list)
    remediation: str = ""
    description: str = ""
    references: list[str] = field(default_factory=list)


@dataclass
class Waiver:
    fingerprint: str
    reason: str
    owner: str
    expires: str
    created: str


@dataclass
class Comparison:
    previous: ScanInfo
    new: set[str]
    fixed: list[Finding]
    still_open: set[str]


@dataclass
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
