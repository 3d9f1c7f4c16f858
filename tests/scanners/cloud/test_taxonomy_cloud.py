"""Every field the cloud scanners emit on the test corpus is listed in docs/taxonomy/cloud.md."""

from __future__ import annotations

import inspect

import pytest

from tests.scanners.cloud import test_normalisers
from tests.scanners.cloud.conftest import DATA, run, undocumented
from xposture.model import Record
from xposture.scanners.cloud.cloudtrail import CloudTrailScanner
from xposture.scanners.cloud.offline import AwsOfflineScanner


def _corpus() -> list[Record]:
    records: list[Record] = []
    for folder in ("aws_api_responses", "aws_config_items"):
        records += run(AwsOfflineScanner(), {"paths": [str(DATA / folder)]})[0]
    for plan in (DATA / "terraform").glob("tfplan_*.json"):
        records += run(AwsOfflineScanner(), {"paths": [str(plan)]})[0]
    records += run(CloudTrailScanner(), {"paths": [str(DATA / "cloudtrail")]})[0]
    return records


def test_offline_and_cloudtrail_fields_are_documented() -> None:
    records = _corpus()
    assert len({r["record.type"] for r in records}) >= 12
    assert undocumented(records) == set()


def test_normaliser_fields_are_documented(pack: object, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[Record] = []
    real = test_normalisers.findings

    def spy(rules: object, records: list[Record]) -> object:
        seen.extend(records)
        return real(rules, records)  # type: ignore[arg-type]

    monkeypatch.setattr(test_normalisers, "findings", spy)
    for name, function in inspect.getmembers(test_normalisers, inspect.isfunction):
        if name.startswith("test_"):
            function(pack)
    assert seen and undocumented(seen) == set()
