"""Small helpers for the SNMP tests: a scan context for loopback and running the async scanner."""

from __future__ import annotations

import asyncio
import ipaddress
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from xposture.model import Record
from xposture.scanners.base import SafetyPolicy, ScanContext, SourceConfig
from xposture.scanners.ot.snmp.scanner import SnmpScanner

REPO = Path(__file__).resolve().parents[4]


def listed_fields() -> dict[str, set[str]]:
    """Record type -> fields listed in docs/taxonomy.md and docs/taxonomy/snmp.md."""
    fields: dict[str, set[str]] = {}
    for page in (REPO / "docs" / "taxonomy.md", REPO / "docs" / "taxonomy" / "snmp.md"):
        current = ""
        for line in page.read_text().splitlines():
            heading = re.match(r"^## (.+?)\s*$", line)
            if heading:
                current = heading.group(1)
                fields.setdefault(current, set())
            row = re.match(r"^\| ([a-z0-9_.*]+) \| ", line)
            if row and current and row.group(1) != "field":
                fields[current].add(row.group(1))
    return fields


def assert_fields_listed(records: Iterable[Record]) -> None:
    """Every emitted field is in the taxonomy (for its type or for every record)."""
    listed = listed_fields()
    common = listed["(every record)"]
    missing = {
        (r["record.type"], name)
        for r in records
        for name in r
        if name not in common and name not in listed.get(str(r["record.type"]), set())
    }
    assert not missing


def loopback_context(tmp_path: Path, environ: dict[str, str] | None = None, **safety: Any) -> ScanContext:
    """Scopes cover 127.0.0.0/8 only; ``safety`` overrides SafetyPolicy fields (e.g. ``credential_tests=True``)."""
    if "credential_tests" in safety:
        safety["allow_credential_tests"] = safety.pop("credential_tests")
    policy = SafetyPolicy(scopes=[ipaddress.ip_network("127.0.0.0/8")], max_rate_per_s=2000, **safety)
    return ScanContext(safety=policy, environ=environ or {}, data_dir=tmp_path / "store")


def scan(options: dict[str, Any], ctx: ScanContext, *, site: str = "fab1", base: Path | None = None) -> list[Record]:
    source = SourceConfig("snmp", options, base or Path("."), site=site)

    async def collect() -> list[Record]:
        return [r async for r in SnmpScanner().scan(source, ctx)]

    return asyncio.run(collect())


def by_type(records: list[Record], record_type: str) -> list[Record]:
    return [r for r in records if r["record.type"] == record_type]
