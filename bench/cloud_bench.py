"""Cloud collection and evaluation speed on an account with thousands of resources on moto_server.

    python bench/cloud_bench.py [--scale 1.0]

Creates security groups (3 rules each), S3 buckets, IAM users, IoT policies and
certificates and KMS keys on a local moto_server, then times: live collection
(``aws`` scanner over HTTP), the offline replay of the same account
(``aws_offline`` over the ``record_dir`` export) and rule evaluation (``cloud``
pack). Prints resources/s. Figures depend on moto's speed as much as ours:
real AWS adds network latency per call and its own throttling.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import boto3  # noqa: E402

from tests.peers.moto_server import moto_server  # noqa: E402
from xposture.rules import builtin_pack_dirs  # noqa: E402
from xposture.rules.engine import RuleSet  # noqa: E402
from xposture.scanners.base import ScanContext, SourceConfig  # noqa: E402
from xposture.scanners.cloud.aws import AwsScanner  # noqa: E402
from xposture.scanners.cloud.offline import AwsOfflineScanner  # noqa: E402

ALL_IOT = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iot:*", "Resource": "*"}]})


def populate(scale: float) -> dict[str, int]:
    session = boto3.Session(region_name="us-east-1")
    ec2, s3, iam, iot, kms = (session.client(s) for s in ("ec2", "s3", "iam", "iot", "kms"))
    counts = {
        "security_groups": int(2500 * scale),
        "buckets": int(100 * scale),
        "users": int(200 * scale),
        "iot_policies": int(150 * scale),
        "iot_certificates": int(100 * scale),
        "kms_keys": int(50 * scale),
    }

    def group(n: int) -> None:
        made = ec2.create_security_group(GroupName=f"sg-{n}", Description="bench")["GroupId"]
        ec2.authorize_security_group_ingress(
            GroupId=made,
            IpPermissions=[
                {
                    "IpProtocol": "tcp",
                    "FromPort": 502,
                    "ToPort": 502,
                    "IpRanges": [{"CidrIp": "0.0.0.0/0" if n % 10 == 0 else "10.0.0.0/8"}],
                },
                {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "10.1.0.0/16"}]},
            ],
        )

    for n in range(counts["security_groups"]):  # moto_server is not safe for concurrent writes
        group(n)
    for n in range(counts["buckets"]):
        s3.create_bucket(Bucket=f"bench-bucket-{n:05d}")
    for n in range(counts["users"]):
        iam.create_user(UserName=f"user-{n}")
    for n in range(counts["iot_policies"]):
        iot.create_policy(policyName=f"policy-{n}", policyDocument=ALL_IOT)
    for _ in range(counts["iot_certificates"]):
        iot.create_keys_and_certificate(setAsActive=True)
    for _ in range(counts["kms_keys"]):
        kms.create_key()
    return counts


def timed(scanner: object, options: dict[str, object]) -> tuple[list[dict[str, object]], float]:
    ctx = ScanContext()
    start = time.perf_counter()
    records = list(scanner.scan(SourceConfig(scanner.name, options, REPO), ctx))  # type: ignore[attr-defined]
    return records, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--scale", type=float, default=0.8, help="multiplies the resource counts (1.0: ~3100 resources; default 0.8)"
    )
    args = parser.parse_args()
    with moto_server() as server, tempfile.TemporaryDirectory() as folder:
        os.environ.update(server.env())
        start = time.perf_counter()
        counts = populate(args.scale)
        print(
            f"created {sum(counts.values())} resources on moto_server in {time.perf_counter() - start:.1f} s: {counts}"
        )
        export = Path(folder) / "export"
        live, live_s = timed(
            AwsScanner(),
            {
                "regions": ["us-east-1"],
                "max_attempts": 1,
                "record_dir": str(export),
                "services": ["ec2", "s3", "iam", "iot", "kms"],
            },
        )
        offline, offline_s = timed(AwsOfflineScanner(), {"paths": [str(export)]})
    resources = sum(1 for r in live if r["record.type"] == "cloud_resource")
    rules = RuleSet.load(builtin_pack_dirs())
    start = time.perf_counter()
    matches = sum(1 for _ in rules.evaluate(live))
    eval_s = time.perf_counter() - start
    print(
        f"live collection   : {len(live):6d} records, {resources} resources in {live_s:6.2f} s = {resources / live_s:8.0f} resources/s"
    )
    print(
        f"offline replay    : {len(offline):6d} records in {offline_s:6.2f} s = {resources / offline_s:8.0f} resources/s"
    )
    print(
        f"rule evaluation   : {len(live):6d} records x {len(rules.rules)} rules, {matches} findings in {eval_s:6.3f} s "
        f"= {len(live) / eval_s:8.0f} records/s"
    )
    print(f"collection + evaluation: {live_s + eval_s:.2f} s for {resources} resources")


if __name__ == "__main__":
    main()
