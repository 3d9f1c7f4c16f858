"""The ``aws_offline`` scanner on real exports: recorded API responses, AWS Config items, Terraform plans."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from tests.scanners.cloud.conftest import DATA, findings, run
from xposture.errors import InputError
from xposture.rules.engine import RuleSet
from xposture.scanners.cloud.offline import AwsOfflineScanner

API = DATA / "aws_api_responses"


def counts(pack: RuleSet, path: Path, **options: object) -> tuple[Counter[str], list]:
    records, _coverage, error = run(AwsOfflineScanner(), {"paths": [str(path)], **options})
    assert error is None, error
    return Counter(rule for rule, _, _ in findings(pack, records)), records


@pytest.mark.parametrize(
    ("scenario", "expected"),
    [
        ("cloudtrail_status", {"cloud.cloudtrail_not_logging": 1, "cloud.cloudtrail_not_kms_encrypted": 2}),
        ("ec2_set_md_access", {"cloud.ec2_imdsv1_allowed": 4, "cloud.ec2_public_instance": 2}),
        ("iam_policy_allow_all", {"cloud.iam_policy_admin": 1}),
        (
            "iam_user_console_old",
            {
                "cloud.iam_user_console_without_mfa": 8,
                "cloud.iam_access_key_old": 14,
                "cloud.iam_credentials_unused": 18,
            },
        ),
        ("key_rotation", {}),
        ("rds_retention", {"cloud.rds_no_backups": 1, "cloud.rds_public": 1, "cloud.rds_unencrypted": 1}),
        ("s3_check_public_block", {"cloud.s3_block_public_access_off": 2}),
        ("s3_global_grants_filter", {"cloud.s3_public_bucket": 1, "cloud.s3_public_write_acl": 1}),
        ("sg_config_diff", {"cloud.sg_internet_ssh": 1, "cloud.sg_default_allows_traffic": 3}),
        ("vpc_flow_logs_misconfigured", {}),
    ],
)
def test_recorded_responses(pack: RuleSet, scenario: str, expected: dict[str, int]) -> None:
    found, _ = counts(pack, API / scenario)
    assert dict(found) == expected


def test_recorded_access_denied_is_a_gap_not_a_pass(pack: RuleSet) -> None:
    records, coverage, _ = run(AwsOfflineScanner(), {"paths": [str(API / "s3_check_public_block")]})
    buckets = {r["s3.name"]: r for r in records if r["record.type"] == "aws_s3_bucket"}
    assert "s3.public_access_block.enabled" not in buckets["my-locked-down-bucket"]  # the recording says 403
    (entry,) = [c for c in coverage if c.target.endswith("/s3")]
    assert entry.status == "partial" and "access denied" in entry.detail


def test_recordings_stamp_account_and_region_from_their_arns(pack: RuleSet) -> None:
    _, records = counts(pack, API / "sg_config_diff")
    groups = [r for r in records if r["record.type"] == "aws_security_group"]
    assert {(r["cloud.account_id"], r["cloud.region"]) for r in groups} == {("644160558196", "us-east-1")}
    rules = [r for r in records if r["record.type"] == "aws_security_group_rule"]
    assert len({(r["asset.id"], r["record.key"]) for r in rules}) == len(rules)


def test_config_items(pack: RuleSet) -> None:
    found, records = counts(pack, DATA / "aws_config_items")
    by_type = Counter(r["record.type"] for r in records)
    assert by_type["cloud_resource"] == 4  # S3 x2, RDS cluster, ELBv2 (generic)
    assert by_type["aws_s3_bucket"] == 2 and by_type["aws_rds_instance"] == 1
    website = next(r for r in records if r.get("s3.name") == "testing-99")
    assert website["s3.acl.public_read"] is True  # AllUsers READ in the item's AccessControlList
    assert found["cloud.s3_public_bucket"] == 1
    cluster = next(r for r in records if r["record.type"] == "aws_rds_instance")
    assert cluster["db.kind"] == "cluster" and cluster["db.storage_encrypted"] is True


def test_terraform_plan_with_55_resources(pack: RuleSet) -> None:
    found, records = counts(pack, DATA / "terraform" / "tfplan_aws_55_resources_tf0.12.json")
    assert found["cloud.s3_public_bucket"] == 1  # aws_s3_bucket.data has acl = public-read
    assert found["cloud.sg_internet_ssh"] == 1
    assert found["cloud.rds_public"] == found["cloud.rds_unencrypted"] == found["cloud.rds_no_backups"] == 1
    assert found["cloud.kms_rotation_disabled"] == 1
    assert found["cloud.vpc_flow_logs_disabled"] == 1  # one of the two VPCs has an aws_flow_log
    public = next(r for r in records if r.get("s3.name") == "123456789123-acme-corp-data")
    assert public["cloud.region"] == "us-west-2"  # from the provider configuration
    assert "s3.public_access_block.enabled" not in public  # not stated in Terraform: unknown, not false


def test_terraform_nested_modules_resolve_bucket_references(pack: RuleSet) -> None:
    found, records = counts(pack, DATA / "terraform" / "tfplan_s3_nested_modules_tf1.2.json")
    blocked = next(r for r in records if r.get("s3.name") == "testing")
    assert blocked["s3.public_access_block.enabled"] is True
    assert found["cloud.s3_public_write_acl"] == 1


def test_corrupted_terraform_plan_is_an_input_error_with_file_and_offset() -> None:
    path = DATA / "terraform" / "NEG_corrupted-tfplan.json"
    records, coverage, error = run(AwsOfflineScanner(), {"paths": [str(path)]})
    assert isinstance(error, InputError)
    assert error.file == str(path) and error.offset == path.read_text().find('"format_version"')
    assert "corrupted Terraform JSON" in str(error) and str(path) in str(error)
    assert records == [] and coverage[0].status == "failed"


def test_truncated_json_reports_the_byte_offset(tmp_path: Path) -> None:
    text = (DATA / "terraform" / "tfplan_s3_nested_modules_tf1.2.json").read_text()
    broken = tmp_path / "plan.json"
    broken.write_text(text[:5000])
    _, _, error = run(AwsOfflineScanner(), {"paths": [str(broken)]})
    assert isinstance(error, InputError) and error.offset is not None and error.offset <= 5000


def test_one_bad_file_does_not_hide_the_good_ones(tmp_path: Path, pack: RuleSet) -> None:
    (tmp_path / "bad.json").write_text('{"format_version": ')
    (tmp_path / "sgs.json").write_text((API / "sg_config_diff" / "ec2.DescribeSecurityGroups_1.json").read_text())
    records, coverage, error = run(AwsOfflineScanner(), {"paths": [str(tmp_path)]})
    assert isinstance(error, InputError)
    statuses = {Path(c.target).name: c.status for c in coverage}
    assert statuses["bad.json"] == "failed"
    assert "aws_security_group" not in {
        r["record.type"] for r in records
    }  # a placebo body under a non-placebo name is not CLI output
    assert statuses["sgs.json"] == "skipped"


def test_cli_output_of_describe_security_groups(tmp_path: Path, pack: RuleSet) -> None:
    body = json.loads((API / "sg_config_diff" / "ec2.DescribeSecurityGroups_1.json").read_text())["data"]
    (tmp_path / "sg.json").write_text(json.dumps(body))
    found, _ = counts(pack, tmp_path / "sg.json")
    assert found == Counter({"cloud.sg_internet_ssh": 1, "cloud.sg_default_allows_traffic": 3})


def test_nothing_recognisable_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "notes.json").write_text('{"hello": "world"}')
    _, _, error = run(AwsOfflineScanner(), {"paths": [str(tmp_path / "notes.json")]})
    assert isinstance(error, InputError) and "not a recognised AWS export" in str(error)
    _, _, error = run(AwsOfflineScanner(), {"paths": [str(tmp_path / "missing")]})
    assert isinstance(error, InputError) and "no such file" in str(error)
