"""Paths moto's standalone server cannot show, through moto's in-process ``mock_aws``.

The server's credential report has no root row and access keys cannot be
back-dated over HTTP; in-process, the moto backend's own objects can be aged,
so key-age and unused-credential rules are checked on real collector output.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import boto3
import pytest
from moto import mock_aws
from moto.core import DEFAULT_ACCOUNT_ID
from moto.iam.models import iam_backends

from tests.scanners.cloud.conftest import findings, names, run
from xposture.rules.engine import RuleSet
from xposture.scanners.cloud.aws import AwsScanner


@pytest.fixture
def mocked(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in ("AWS_ENDPOINT_URL", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent/xposture-tests/aws-config")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/xposture-tests/aws-config")
    with mock_aws():
        yield


def test_old_and_unused_access_keys_are_found(mocked: None, pack: RuleSet) -> None:
    iam = boto3.client("iam")
    for user in ("old-key", "fresh-key"):
        iam.create_user(UserName=user)
        iam.create_access_key(UserName=user)
    backend = iam_backends[DEFAULT_ACCOUNT_ID]["global"]
    aged = dt.datetime.now(dt.UTC).replace(tzinfo=None) - dt.timedelta(days=200)
    for key in backend.users["old-key"].access_keys:
        key.create_date = aged
    records, _coverage, error = run(AwsScanner(), {"regions": ["us-east-1"], "services": ["iam"]})
    assert error is None
    users = {r["user.name"]: r for r in records if r["record.type"] == "aws_iam_user"}
    assert users["old-key"]["user.access_key_max_age_days"] >= 199
    assert users["fresh-key"]["user.access_key_max_age_days"] <= 1
    found = findings(pack, records)
    old = {asset for rule, asset, _ in found if rule == "cloud.iam_access_key_old"}
    assert old == {f"arn:aws:iam::{DEFAULT_ACCOUNT_ID}:user/old-key"}
    assert "cloud.iam_credentials_unused" in names(found)


def test_root_row_of_the_credential_report(mocked: None, pack: RuleSet) -> None:
    records, _, error = run(AwsScanner(), {"regions": ["us-east-1"], "services": ["iam"]})
    assert error is None
    account = next(r for r in records if r["record.type"] == "aws_account")
    assert account["account.root_mfa_enabled"] is False
    assert account["account.root_access_keys"] == 0
    assert "cloud.root_without_mfa" in names(findings(pack, records))
    assert "cloud.root_access_keys" not in names(findings(pack, records))


def test_strong_password_policy_is_not_flagged(mocked: None, pack: RuleSet) -> None:
    boto3.client("iam").update_account_password_policy(
        MinimumPasswordLength=16, PasswordReusePrevention=24, RequireSymbols=True
    )
    records, _, _ = run(AwsScanner(), {"regions": ["us-east-1"], "services": ["iam"]})
    account = next(r for r in records if r["record.type"] == "aws_account")
    assert account["account.password_policy.minimum_length"] == 16
    assert "cloud.password_policy_weak" not in names(findings(pack, records))


def test_no_trail_at_all_is_not_logging(mocked: None, pack: RuleSet) -> None:
    records, _, error = run(AwsScanner(), {"regions": ["us-east-1", "eu-west-1"], "services": ["iam", "cloudtrail"]})
    assert error is None
    account = next(r for r in records if r["record.type"] == "aws_account")
    assert account["account.cloudtrail_multi_region_logging"] is False
    assert "cloud.cloudtrail_not_multi_region" in names(findings(pack, records))


def test_multi_region_trail_homed_elsewhere_counts_once(mocked: None, pack: RuleSet) -> None:
    boto3.client("s3").create_bucket(Bucket="trail-logs")
    trails = boto3.client("cloudtrail", region_name="us-east-1")
    trails.create_trail(
        Name="org-trail", S3BucketName="trail-logs", IsMultiRegionTrail=True, EnableLogFileValidation=True
    )
    trails.start_logging(Name="org-trail")
    records, _, _ = run(AwsScanner(), {"regions": ["us-east-1", "eu-west-1"], "services": ["iam", "cloudtrail"]})
    assert len([r for r in records if r["record.type"] == "aws_cloudtrail_trail"]) == 1
    assert "cloud.cloudtrail_not_multi_region" not in names(findings(pack, records))
