"""Small helpers for the SNMP tests: a scan context for loopback and running the async scanner."""

from __future__ import annotations

import asyncio
import ipaddress
from pathlib import Path
from typing import Any

from xposture.model import Record
from xposture.scanners.base import SafetyPolicy, ScanContext, SourceConfig
from xposture.scanners.ot.snmp.scanner import SnmpScanner


def loopback_context(tmp_path: Path, environ: dict[str, str] | None = None, **safety: Any) -> ScanContext:
    policy = SafetyPolicy(scopes=[ipaddress.ip_network("127.0.0.0/8")], max_rate_per_s=2000, **safety)
    return ScanContext(safety=policy, environ=environ or {}, data_dir=tmp_path / "store")


def scan(options: dict[str, Any], ctx: ScanContext, *, site: str = "fab1", base: Path | None = None) -> list[Record]:
    source = SourceConfig("snmp", options, base or Path("."), site=site)

    async def collect() -> list[Record]:
        return [r async for r in SnmpScanner().scan(source, ctx)]

    return asyncio.run(collect())


def by_type(records: list[Record], record_type: str) -> list[Record]:
    return [r for r in records if r["record.type"] == record_type]
