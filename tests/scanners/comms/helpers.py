"""Run a comms scanner the way the pipeline does (async generator drained in a fresh loop)."""

from __future__ import annotations

import asyncio
import ipaddress
import re
from collections.abc import AsyncIterator, Iterator
from functools import cache
from pathlib import Path
from typing import Any

from xposture.model import Record
from xposture.scanners.base import SafetyPolicy, ScanContext, SourceConfig


def loopback_ctx(**kwargs: Any) -> ScanContext:
    safety = SafetyPolicy(scopes=[ipaddress.ip_network("127.0.0.0/8")], max_rate_per_s=0, **kwargs)
    return ScanContext(safety=safety)


def run(
    scanner: Any, options: dict[str, Any], ctx: ScanContext | None = None, base: Path = Path(".")
) -> tuple[list[Record], ScanContext]:
    ctx = ctx or loopback_ctx()
    source = SourceConfig(scanner.name, options, base, site="lab")
    produced = scanner.scan(source, ctx)

    async def drain(gen: AsyncIterator[Record]) -> list[Record]:
        return [r async for r in gen]

    records = list(produced) if isinstance(produced, Iterator) else asyncio.run(drain(produced))
    assert_in_taxonomy(records)
    return records, ctx


REPO = Path(__file__).resolve().parents[3]


@cache
def taxonomy() -> dict[str, set[str]]:
    """``## record_type`` -> listed fields, over docs/taxonomy.md and docs/taxonomy/*.md (the contract's format)."""
    types: dict[str, set[str]] = {}
    for path in [REPO / "docs" / "taxonomy.md", *sorted((REPO / "docs" / "taxonomy").glob("*.md"))]:
        current: str | None = None
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.startswith("## "):
                current = line[3:].strip().strip("`")
                types.setdefault(current, set())
            elif line.startswith("# "):
                current = None
            elif current and line.startswith("|"):
                name = line.strip("|").split("|")[0].strip().strip("`")
                if name and name != "field" and not re.fullmatch(r"[-: ]+", name):
                    types[current].add(name)
    return types


def assert_in_taxonomy(records: list[Record]) -> None:
    """Every emitted field is listed for its record type (or for every record): the contract with rule authors."""
    known = taxonomy()
    for record in records:
        listed = known.get(str(record["record.type"]), set()) | known["(every record)"]
        unlisted = sorted(k for k in record if k not in listed)
        assert not unlisted, f"{record['record.type']}: fields missing from docs/taxonomy: {unlisted}"


def by_type(records: list[Record], record_type: str) -> list[Record]:
    return [r for r in records if r["record.type"] == record_type]
