"""Shared helpers for the OT scanner tests: real captures, a scan runner, synthetic capture writers."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from xposture.model import Record
from xposture.scanners.base import ScanContext, SourceConfig
from xposture.scanners.ot.pcap import PcapScanner

REPO = Path(__file__).resolve().parents[3]
OT_DATA = REPO / "tests" / "data" / "ot"


def shared_pcaps() -> Path:
    """``$XPOSTURE_SHARED_DATA/pcaps`` or ``../shared/data/pcaps`` beside the repo (or its worktree folder), else skip."""
    candidates = [Path(os.environ["XPOSTURE_SHARED_DATA"])] if os.environ.get("XPOSTURE_SHARED_DATA") else []
    candidates += [REPO.parent / "shared" / "data", REPO.parent.parent / "shared" / "data"]
    for base in candidates:
        path = base / "pcaps"
        if path.is_dir():
            return path
    pytest.skip("../shared/data/pcaps is absent (the shared corpus sits beside the repo only in CI and dev machines)")


def scan(
    paths: list[Path | str], *, ctx: ScanContext | None = None, site: str = "fab1", **options: Any
) -> tuple[list[Record], ScanContext, BaseException | None]:
    """Run the pcap scanner to the end; return records, context and the error it raised (if any)."""
    ctx = ctx or ScanContext()
    source = SourceConfig("pcap", {"paths": [str(p) for p in paths], **options}, REPO, site=site)
    records: list[Record] = []
    error: BaseException | None = None
    try:
        records.extend(PcapScanner().scan(source, ctx))  # type: ignore[arg-type]
    except Exception as exc:
        error = exc
    return records, ctx, error


def of_type(records: list[Record], record_type: str, **where: Any) -> list[Record]:
    return [r for r in records if r["record.type"] == record_type and all(r.get(k) == v for k, v in where.items())]


@pytest.fixture
def ot_data() -> Path:
    return OT_DATA


@pytest.fixture
def run_scan() -> Callable[..., tuple[list[Record], ScanContext, BaseException | None]]:
    return scan
