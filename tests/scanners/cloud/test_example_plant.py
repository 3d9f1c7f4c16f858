"""The quick start's cloud inventory scans offline and shows cloud findings (examples/plant/inventory/cloud.yaml)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.scanners.cloud.conftest import REPO


def test_example_cloud_inventory(cli: Callable[..., tuple[int, str, str]]) -> None:
    code, out, err = cli("scan", str(REPO / "examples" / "plant" / "inventory" / "cloud.yaml"), "--format", "json")
    assert code == 0, err
    payload = json.loads(out)
    found = {f["rule"]["name"] for f in payload["findings"]}
    for rule in (
        "cloud.iot_policy_allows_all",
        "cloud.iot_cert_active_unused",
        "cloud.vpn_weak_dh_group",
        "cloud.vpn_tunnel_down",
        "cloud.sg_internet_opcua",
        "cloud.iot_logging_disabled",
        "cloud.s3_public_write_acl",
        "cloud.cloudtrail_not_logging",
    ):
        assert rule in found, rule
    assert "0 sources failed" in err


def test_partial_permissions_reach_the_report_coverage(cli: Callable[..., tuple[int, str, str]]) -> None:
    code, out, _ = cli("scan", str(REPO / "examples" / "plant" / "inventory" / "cloud.yaml"), "--format", "json")
    assert code == 0
    coverage = json.loads(out)["coverage"]
    denied = [c for c in coverage if c["scanner"] == "aws_offline" and "access denied" in c["detail"]]
    assert denied and all(c["status"] == "partial" for c in denied)


def test_missing_profile_exits_2_naming_profile_and_fix(
    cli: Callable[..., tuple[int, str, str]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    inventory = tmp_path / "cloud.yaml"
    inventory.write_text("cloud:\n  - {scanner: aws, profile: plant-readonly, regions: [ap-northeast-1]}\n")
    code, _, err = cli("scan", str(inventory))
    assert code == 2
    assert "plant-readonly" in err and "aws configure --profile plant-readonly" in err
