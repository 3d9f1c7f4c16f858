"""Property tests: no export or log, however malformed, escapes our typed errors."""

from __future__ import annotations

import json
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.scanners.cloud.conftest import DATA, run
from xposture.errors import XpostureError
from xposture.scanners.cloud.cloudtrail import CloudTrailScanner
from xposture.scanners.cloud.offline import AwsOfflineScanner

SEEDS = [
    (DATA / "terraform" / "tfplan_s3_nested_modules_tf1.2.json").read_bytes(),
    (DATA / "aws_config_items" / "s3.json").read_bytes(),
    (DATA / "aws_api_responses" / "sg_config_diff" / "ec2.DescribeSecurityGroups_1.json").read_bytes(),
    (DATA / "cloudtrail" / "aws_cloudtrail_ec2_proxy_s3_exfiltration.jsonl").read_bytes()[:4000],
]
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=5),
    max_leaves=30,
)
KEYS = [
    "terraform_version",
    "format_version",
    "planned_values",
    "values",
    "root_module",
    "resources",
    "configurationItems",
    "resourceType",
    "configuration",
    "supplementaryConfiguration",
    "SecurityGroups",
    "IpPermissions",
    "Buckets",
    "Records",
    "eventName",
    "status_code",
    "data",
    "trailList",
    "Reservations",
    "VpnConnections",
    "policies",
]
shaped = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-5, 70000)
    | st.text(max_size=12)
    | st.sampled_from(["0.0.0.0/0", "tcp", "-1", "1.0", "0.12.0"]),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=8), inner, max_size=6)
    ),
    max_leaves=40,
)


def _scan(scanner: Any, name: str, content: bytes) -> None:
    with TemporaryDirectory() as folder:
        path = Path(folder) / name
        path.write_bytes(content)
        _, _, error = run(scanner, {"paths": [str(path)]})
        assert error is None or isinstance(error, XpostureError), repr(error)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(SEEDS), st.integers(0, 5000), st.binary(max_size=40))
def test_mutated_exports(seed: bytes, cut: int, noise: bytes) -> None:
    mutated = seed[: cut % (len(seed) + 1)] + noise + seed[cut % (len(seed) + 1) :][:2000]
    _scan(AwsOfflineScanner(), "export.json", mutated)
    _scan(CloudTrailScanner(), "trail.jsonl", mutated)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(shaped)
def test_shaped_documents(document: Any) -> None:
    content = json.dumps(document).encode()
    _scan(AwsOfflineScanner(), "export.json", content)
    _scan(AwsOfflineScanner(), "ec2.DescribeSecurityGroups_1.json", content)
    _scan(CloudTrailScanner(), "trail.json", content)


@settings(max_examples=100, deadline=None)
@given(json_values)
def test_any_json(document: Any) -> None:
    _scan(AwsOfflineScanner(), "export.json", json.dumps(document).encode())
    _scan(CloudTrailScanner(), "trail.json", json.dumps(document).encode())
