"""The ``cloudtrail`` scanner: real CloudTrail logs as records that SigmaHQ's AWS rules judge unchanged."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

from tests.scanners.cloud.conftest import DATA, run
from xposture.errors import InputError
from xposture.rules.engine import RuleSet
from xposture.scanners.cloud.cloudtrail import CloudTrailScanner
from xposture.scanners.records import flatten

LOG = DATA / "cloudtrail" / "aws_cloudtrail_ec2_proxy_s3_exfiltration.jsonl"
SIGMA = DATA / "sigma"


def test_every_event_becomes_a_record_with_cloudtrail_keys() -> None:
    records, coverage, error = run(CloudTrailScanner(), {"paths": [str(LOG)]})
    assert error is None
    lines = [json.loads(line) for line in LOG.read_text().splitlines() if line.strip()]
    assert len(records) == len(lines) == 103
    first = records[0]
    expected = flatten({k: v for k, v in lines[0].items() if not k.startswith("@")})
    assert {k: first[k] for k in expected if k in first} == {k: v for k, v in expected.items() if v not in ([], None)}
    assert first["record.type"] == "aws_cloudtrail_event" and first["record.key"] == lines[0]["eventID"]
    assert first["asset.id"] == "arn:aws:iam::123456789123:root"
    assert "@version" not in first
    assert coverage[0].status == "ok" and coverage[0].records == 103


def test_sigmahq_rules_route_to_the_records() -> None:
    rules = RuleSet.load([SIGMA])
    assert not rules.errors
    assert {r.title for r in rules.rules_for("aws_cloudtrail_event")} >= {"Potential Bucket Enumeration on AWS"}
    records, _, _ = run(CloudTrailScanner(), {"paths": [str(LOG)]})
    # the ListBuckets calls in this dataset come from the stolen instance role (AssumedRole): the rule's filter holds
    assert not list(rules.evaluate(records))
    listing = next(r for r in records if r.get("eventName") == "ListBuckets")
    as_user = {**listing, "userIdentity.type": "IAMUser"}
    assert [m.rule.title for m in rules.evaluate([as_user])] == ["Potential Bucket Enumeration on AWS"]


def test_s3_delivery_format_gzipped_and_eventbridge(tmp_path: Path) -> None:
    events = [json.loads(line) for line in LOG.read_text().splitlines()[:5]]
    delivered = tmp_path / "AWSLogs" / "123456789123" / "CloudTrail" / "us-east-1" / "2020" / "09" / "14"
    delivered.mkdir(parents=True)
    with gzip.open(delivered / "123456789123_CloudTrail_us-east-1_20200914T0100Z_abc.json.gz", "wt") as handle:
        json.dump({"Records": events}, handle)
    (tmp_path / "lookup.json").write_text(json.dumps({"Events": [{"CloudTrailEvent": json.dumps(events[0])}]}))
    (tmp_path / "bridge.json").write_text((DATA / "cloudtrail" / "event-cloud-trail-s3.json").read_text())
    records, coverage, error = run(CloudTrailScanner(), {"paths": [str(tmp_path)]})
    assert error is None, error
    assert len(records) == 7
    assert {r["eventName"] for r in records} >= {"CreateBucket"}
    assert all(c.status == "ok" for c in coverage)


def test_broken_line_is_an_input_error_with_line_and_offset(tmp_path: Path) -> None:
    lines = LOG.read_text().splitlines(keepends=True)
    broken = tmp_path / "broken.jsonl"
    broken.write_text("".join(lines[:3]) + '{"eventName": \n' + "".join(lines[3:5]))
    records, coverage, error = run(CloudTrailScanner(), {"paths": [str(broken)]})
    assert isinstance(error, InputError)
    assert error.line == 4 and error.offset == len("".join(lines[:3]).encode()) + len('{"eventName": \n')
    assert len(records) == 3 and coverage[0].status == "partial"


def test_not_cloudtrail(tmp_path: Path) -> None:
    other = tmp_path / "other.json"
    other.write_text('{"hello": 1}')
    _, _, error = run(CloudTrailScanner(), {"paths": [str(other)]})
    assert isinstance(error, InputError) and "not a CloudTrail event" in str(error)
