"""Fixtures for the cloud scanners: a moto_server peer, dummy credentials, and a scan-and-judge helper."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from tests.peers.moto_server import MotoServer, moto_server
from xposture.model import Record
from xposture.rules.engine import RuleSet
from xposture.scanners.base import CoverageEntry, ScanContext, Scanner, SourceConfig

REPO = Path(__file__).resolve().parents[3]
DATA = REPO / "tests" / "data" / "cloud"
PACK = REPO / "xposture" / "rules" / "packs" / "cloud"


@pytest.fixture(scope="session")
def moto() -> Iterator[MotoServer]:
    with moto_server() as server:
        yield server


@pytest.fixture
def aws(moto: MotoServer, monkeypatch: pytest.MonkeyPatch) -> MotoServer:
    """A clean moto account and the environment boto3 (and the scanner) use to reach it."""
    moto.reset()
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_REGION"):
        monkeypatch.delenv(name, raising=False)
    for name, value in moto.env().items():
        monkeypatch.setenv(name, value)
    return moto


@pytest.fixture(scope="session")
def pack() -> RuleSet:
    rules = RuleSet.load([PACK])
    assert not rules.errors
    return rules


def run(
    scanner: Scanner, options: Mapping[str, Any], base: Path = REPO
) -> tuple[list[Record], list[CoverageEntry], Exception | None]:
    """Scan one source; returns records, coverage and the error raised at the end (if any)."""
    ctx = ScanContext()
    records: list[Record] = []
    error: Exception | None = None
    try:
        for record in scanner.scan(SourceConfig(scanner.name, dict(options), base), ctx):  # type: ignore[union-attr]
            records.append(record)
    except Exception as exc:
        error = exc
    return records, ctx.coverage, error


def findings(pack: RuleSet, records: list[Record]) -> set[tuple[str, str, str]]:
    """(rule name, asset id, record key) of every match: what a finding's fingerprint is made of."""
    return {(m.rule.name, str(m.record["asset.id"]), str(m.record["record.key"])) for m in pack.evaluate(records)}


def names(found: set[tuple[str, str, str]]) -> set[str]:
    return {rule for rule, _, _ in found}


def _documented() -> dict[str, set[str]]:
    """Record type -> documented field names/patterns, from docs/taxonomy.md and docs/taxonomy/cloud.md."""
    table: dict[str, set[str]] = {}
    for page in (REPO / "docs" / "taxonomy.md", REPO / "docs" / "taxonomy" / "cloud.md"):
        current = None
        for line in page.read_text().splitlines():
            if line.startswith("## "):
                current = line[3:].strip()
                table.setdefault(current, set())
            elif line.startswith("# "):
                current = None
            elif current and line.startswith("| ") and not line.startswith(("| field", "|---")):
                table[current].add(line.split("|")[1].strip())
    return table


DOCUMENTED = _documented()


def undocumented(records: list[Record]) -> set[tuple[str, str]]:
    """(record type, field) pairs emitted but not listed in the taxonomy pages."""
    common = DOCUMENTED.get("(every record)", set())
    missing = set()
    for record in records:
        kind = str(record["record.type"])
        listed = DOCUMENTED.get(kind, set()) | common
        prefixes = tuple(p[:-1] for p in listed if p.endswith(".*"))
        for name in record:
            if name not in listed and not name.startswith(prefixes):
                missing.add((kind, name))
    return missing
