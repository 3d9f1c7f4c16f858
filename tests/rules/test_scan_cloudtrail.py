"""SigmaHQ's AWS CloudTrail rules on CloudTrail logs, end to end through ``xposture scan`` and the records scanner."""

from __future__ import annotations

import json
import textwrap
from collections.abc import Callable
from pathlib import Path

from tests.conftest import DATA, shared_data_or_skip

SIGMA = DATA / "sigma"
Cli = Callable[..., tuple[int, str, str]]


def _inventory(tmp_path: Path, *logs: Path) -> Path:
    paths = ", ".join(json.dumps(str(p)) for p in logs)
    inventory = tmp_path / "inventory.yaml"
    inventory.write_text(
        textwrap.dedent(
            f"""\
            cloud:
              - {{scanner: records, paths: [{paths}], record_type: aws_cloudtrail_event, layer: cloud,
                 asset_field: userIdentity.arn, key_field: eventID}}
            """
        ),
        encoding="utf-8",
    )
    return inventory


def test_cloudtrail_rules_produce_findings_through_scan(cli: Cli, tmp_path: Path) -> None:
    logs = [
        SIGMA / "derived" / "cloudtrail_eventbridge_details.json",
        SIGMA / "logs" / "aws_cloudtrail_ec2_proxy_s3_exfiltration.jsonl",
    ]
    inventory = _inventory(tmp_path, *logs)
    rules = SIGMA / "rules" / "cloud"
    code, out, err = cli("scan", str(inventory), "--no-builtin-rules", "--rules", str(rules), "--format", "json")
    assert code == 0, err
    document = json.loads(out)
    titles = [f["title"] for f in document["findings"]]
    assert titles == ["AWS Root Credentials"]
    finding = document["findings"][0]
    assert finding["asset"] == "arn:aws:iam::619193117841:root"
    assert finding["record"]["type"] == "aws_cloudtrail_event"
    assert finding["layer"] == "cloud"
    assert finding["evidence"]["source.file"].endswith("cloudtrail_eventbridge_details.json")
    assert not document.get("rule_errors")


def test_cloudtrail_rules_over_the_shared_corpus_logs(cli: Cli, tmp_path: Path) -> None:
    root = shared_data_or_skip("sigma")
    inventory = _inventory(tmp_path, *sorted((root / "logs").glob("aws_cloudtrail_*.jsonl")))
    code, out, err = cli(
        "scan", str(inventory), "--no-builtin-rules", "--rules", str(root / "rules" / "cloud"), "--format", "json"
    )
    assert code == 0, err
    document = json.loads(out)
    # The OTRF EC2-proxy/S3-exfiltration dataset triggers none of SigmaHQ's CloudTrail rules (both engines agree:
    # its ListBuckets calls come from an AssumedRole, which aws_enum_buckets filters out); the scan covers it.
    assert [c["status"] for c in document["coverage"]] == ["ok"]


def test_cloudtrail_scanner_feeds_the_sigmahq_rules(cli: Cli, tmp_path: Path) -> None:
    """With the cloud layer's ``cloudtrail`` scanner (EventBridge events read as they are), the same finding."""
    from importlib.metadata import entry_points

    import pytest

    if "cloudtrail" not in {ep.name for ep in entry_points(group="xposture.scanners")}:
        pytest.skip("the cloudtrail scanner is not installed in this checkout")
    logs = [SIGMA / "eventbridge", SIGMA / "logs" / "aws_cloudtrail_ec2_proxy_s3_exfiltration.jsonl"]
    paths = ", ".join(json.dumps(str(p)) for p in logs)
    inventory = tmp_path / "inventory.yaml"
    inventory.write_text(f"cloud:\n  - {{scanner: cloudtrail, paths: [{paths}]}}\n", encoding="utf-8")
    rules = SIGMA / "rules" / "cloud"
    code, out, err = cli("scan", str(inventory), "--no-builtin-rules", "--rules", str(rules), "--format", "json")
    assert code == 0, err
    titles = [f["title"] for f in json.loads(out)["findings"]]
    assert titles == ["AWS Root Credentials"]
