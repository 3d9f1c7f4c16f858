"""Run a comms scanner the way the pipeline does (async generator drained in a fresh loop)."""

from __future__ import annotations

import asyncio
import ipaddress
from collections.abc import AsyncIterator, Iterator
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

    if isinstance(produced, Iterator):
        return list(produced), ctx
    return asyncio.run(drain(produced)), ctx


def by_type(records: list[Record], record_type: str) -> list[Record]:
    return [r for r in records if r["record.type"] == record_type]
