"""The few types every stage shares: records in, findings out.

A record is deliberately a plain ``dict`` with flat dotted keys: it is what
scanners yield by the hundred thousand and what the rule engine reads in its
hot loop, so it must cost no more than a dict. ``docs/taxonomy.md`` is the
contract for which keys each ``record.type`` carries.
"""

from __future__ import annotations

import enum
import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

Scalar = str | int | float | bool | None
FieldValue = Scalar | list[str] | list[int] | list[float] | list[Scalar]
Record = dict[str, FieldValue]
"""Flat mapping of dotted field names to scalars or lists of scalars."""

# Fields every record carries. ``record.key`` names the judged thing within its
# asset (a port, a component purl, a rule tuple) so that findings on two such
# things of one asset get different fingerprints.
TYPE = "record.type"
KEY = "record.key"
LAYER = "record.layer"
ASSET_ID = "asset.id"
SOURCE_SCANNER = "source.scanner"
SOURCE_FIELDS = (
    "source.scanner",
    "source.file",
    "source.offset",
    "source.line",
    "source.target",
    "source.oid",
    "source.api",
)


class Layer(enum.StrEnum):
    """The stack layers a scanner looks at; findings inherit their record's layer."""

    CLOUD = "cloud"
    OT = "ot"
    COMMS = "comms"
    SUPPLY_CHAIN = "supply_chain"


class Severity(enum.IntEnum):
    """Sigma ``level`` values, ordered so thresholds compare with ``>=``."""

    INFORMATIONAL = 0
    LOW = 1
    MEDIUM = 2
    HIGH = 3
    CRITICAL = 4

    @classmethod
    def parse(cls, text: str) -> Severity:
        """Accept the Sigma level names (and ``info``), case-insensitively."""
        known = _SEVERITY_BY_LABEL.get(text)
        if known is not None:
            return known
        name = text.strip().lower()
        if name == "info":
            name = "informational"
        try:
            return cls[name.upper()]
        except KeyError:
            choices = ", ".join(s.label for s in cls)
            raise ValueError(f"unknown severity {text!r} (expected one of: {choices})") from None

    @property
    def label(self) -> str:
        return self.name.lower()


_SEVERITY_BY_LABEL = {s.name.lower(): s for s in Severity}


def make_record(
    record_type: str,
    *,
    asset_id: str,
    key: str,
    layer: Layer,
    scanner: str,
    fields: Mapping[str, FieldValue] | None = None,
    **source: Scalar,
) -> Record:
    """Build a record with the mandatory fields set; ``source`` keys become ``source.<key>``.

    Scanners call this instead of writing the bookkeeping keys by hand, so no
    record reaches the engine without a type, an asset, a key and evidence.
    """
    record: Record = {
        TYPE: record_type,
        KEY: key,
        LAYER: layer.value,
        ASSET_ID: asset_id,
        SOURCE_SCANNER: scanner,
    }
    for name, origin in source.items():
        if origin is not None:
            record[f"source.{name}"] = origin
    if fields:
        for name, value in fields.items():
            if value is not None and not (isinstance(value, list) and not value):
                record[name] = value
    return record


def evidence_pointer(record: Mapping[str, FieldValue]) -> str:
    """One human-readable line saying where the evidence for a record can be found again."""
    parts = []
    for name in SOURCE_FIELDS:
        value = record.get(name)
        if value is not None and value != "":
            parts.append(f"{name.removeprefix('source.')}={value}")
    return " ".join(parts)


@dataclass(slots=True)
class Asset:
    """One thing in the plant or the cloud, merged across every scanner that saw it."""

    id: str
    kind: str
    name: str = ""
    site: str = ""
    zone: str = ""
    level: int | None = None
    layer: str = ""
    identifiers: dict[str, list[str]] = field(default_factory=dict)
    identity: dict[str, str] = field(default_factory=dict)
    seen_by: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "name": self.name,
            "site": self.site,
            "zone": self.zone,
            "level": self.level,
            "layer": self.layer,
            "identifiers": self.identifiers,
            "identity": self.identity,
            "seen_by": self.seen_by,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Asset:
        return cls(
            id=data["id"],
            kind=data.get("kind", ""),
            name=data.get("name", ""),
            site=data.get("site", ""),
            zone=data.get("zone", ""),
            level=data.get("level"),
            layer=data.get("layer", ""),
            identifiers=dict(data.get("identifiers", {})),
            identity=dict(data.get("identity", {})),
            seen_by=list(data.get("seen_by", [])),
        )


def fingerprint(rule_id: str, asset_id: str, record_key: str) -> str:
    """Stable identity of a finding across scans: rule id, asset and judged thing, never title or severity."""
    digest = hashlib.sha256("\x1f".join((rule_id, asset_id, record_key)).encode("utf-8"))
    return digest.hexdigest()[:24]


class Status(enum.StrEnum):
    """Where a finding stands for people: open, or waived by someone until a date."""

    OPEN = "open"
    WAIVED = "waived"


@dataclass(slots=True)
class Finding:
    """A rule that held for one record of one asset."""

    rule_id: str
    rule_name: str
    title: str
    severity: Severity
    layer: str
    asset_id: str
    record_key: str
    record_type: str
    evidence: dict[str, FieldValue]
    tags: list[str] = field(default_factory=list)
    remediation: str = ""
    description: str = ""
    references: list[str] = field(default_factory=list)
    pack: str = ""
    source: str = ""
    status: Status = Status.OPEN
    fingerprint: str = ""

    def __post_init__(self) -> None:
        if not self.fingerprint:
            self.fingerprint = fingerprint(self.rule_id, self.asset_id, self.record_key)

    def to_dict(self) -> dict[str, Any]:
        return {
            "fingerprint": self.fingerprint,
            "rule": {"id": self.rule_id, "name": self.rule_name, "pack": self.pack},
            "title": self.title,
            "description": self.description,
            "severity": self.severity.label,
            "layer": self.layer,
            "asset": self.asset_id,
            "record": {"type": self.record_type, "key": self.record_key},
            "evidence": self.evidence,
            "source": self.source,
            "tags": self.tags,
            "remediation": self.remediation,
            "references": self.references,
            "status": self.status.value,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Finding:
        """Rebuild from ``to_dict`` output; takes ownership of the parsed lists and dicts (no copies: 100k at a time)."""
        rule = data["rule"]
        return cls(
            rule_id=rule["id"],
            rule_name=rule.get("name", ""),
            pack=rule.get("pack", ""),
            title=data["title"],
            description=data.get("description", ""),
            severity=Severity.parse(data["severity"]),
            layer=data["layer"],
            asset_id=data["asset"],
            record_type=data["record"]["type"],
            record_key=data["record"]["key"],
            evidence=data.get("evidence") or {},
            source=data.get("source", ""),
            tags=data.get("tags") or [],
            remediation=data.get("remediation", ""),
            references=data.get("references") or [],
            status=Status.WAIVED if data.get("status") == "waived" else Status.OPEN,
            fingerprint=data["fingerprint"],
        )


def framework_tags(tags: Iterable[str], prefix: str) -> list[str]:
    """Tags of one framework (``attack``, ``iec62443``, ``nist_csf``, ``cis_aws``, ``slsa``...)."""
    wanted = prefix.lower() + "."
    return [t for t in tags if t.lower().startswith(wanted)]


def as_list(value: FieldValue) -> Sequence[Scalar]:
    """Treat a scalar field and a list field alike, as Sigma does for list-valued fields."""
    if isinstance(value, list):
        return list(value)
    return [value]


def field_text(value: Any) -> str:
    """A field as one string (lists comma-joined, None empty), for the keys and asset ids built from fields."""
    if value is None:
        return ""
    if isinstance(value, list):
        return ",".join(str(v) for v in value)
    return str(value)
