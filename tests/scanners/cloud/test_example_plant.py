"""The quick start's cloud inventory scans offline and shows cloud findings (examples/plant/inventory/cloud.yaml)."""

from __future__ import annotations

import json
from collections.abc import Callable

from tests.scanners.cloud.conftest import REPO


def test_example_cloud_inventory(cli: Callable[..., tuple[int, str, str]]) -> None:
    code, out, err = cli("scan", str(REPO / "examples" / "plant" / "inventory" / "cloud.yaml"), "--format", "json")
    assert code == 0, err
    payload = json.loads(out)
    found = {f["rule"]["name"] for f in payload["findings"]}
    for rule in ("cloud.iot_policy_allows_all", "cloud.iot_cert_active_unused", "cloud.vpn_weak_dh_group", "cloud.vpn_tunnel_down",
                 "cloud.sg_internet_opcua", "cloud.iot_logging_disabled", "cloud.s3_public_write_acl", "cloud.cloudtrail_not_logging"):
        assert rule in found, rule
    assert "0 sources failed" in err
