"""The example plant's SNMP inventory scans offline through the real CLI and shows SNMP posture findings."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import REPO
from tests.scanners.ot.snmp.helpers import by_type, loopback_context, scan
from xposture.errors import ScannerError

INVENTORY = REPO / "examples" / "plant" / "inventory" / "snmp.yaml"


def test_example_inventory_scans_without_any_agent(cli: Callable[..., tuple[int, str, str]], tmp_path: Path) -> None:
    out = tmp_path / "scan.json"
    code, _, err = cli("scan", str(INVENTORY), "--format", f"json={out}")
    assert code == 0, err
    report = json.loads(out.read_text())
    names = [f["rule"]["name"] for f in report["findings"]]
    assert names.count("snmp.default_community") == 8
    assert names.count("snmp.v2c_enabled") == 8
    coverage = {(c["scanner"], c["status"]) for c in report["coverage"]}
    assert ("ot_probe", "skipped") in coverage
    assert all(c["status"] == "ok" for c in report["coverage"] if c["scanner"] == "snmp")
    assert report["audit"] == [] or all(a.get("scanner") != "snmp" for a in report["audit"])


def test_recorded_with_accepts_only_default_community_names(tmp_path: Path) -> None:
    recordings = REPO / "examples" / "plant" / "snmp" / "geist-temperature-sensor.snmprec"
    options = {"paths": [str(recordings)], "recorded_with": {"versions": ["v1"], "community": "public"}}
    records = scan(options, loopback_context(tmp_path))
    agent = by_type(records, "snmp_agent")[0]
    assert agent["snmp.v1_enabled"] is True and agent["snmp.offline"] is True
    assert by_type(records, "snmp_community")[0]["snmp.community.label"] == "public"
    with pytest.raises(ScannerError):
        scan({"paths": [str(recordings)], "recorded_with": {"community": "s3cret-plant"}}, loopback_context(tmp_path))
