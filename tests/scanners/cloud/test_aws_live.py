"""The live ``aws`` scanner against moto's standalone server over real HTTP, and its offline twin."""

from __future__ import annotations

import json
from pathlib import Path

import boto3
import pytest

from tests.peers.moto_server import MotoServer, moto_server
from tests.scanners.cloud.account import ALLOW_ALL_IOT, build
from tests.scanners.cloud.conftest import findings, names, run, undocumented
from xposture.errors import ScannerError
from xposture.rules.engine import RuleSet
from xposture.scanners.cloud.aws import AwsScanner
from xposture.scanners.cloud.offline import AwsOfflineScanner
from xposture.scanners.cloud.replay import to_placebo

pytestmark = pytest.mark.peer
LIVE = {"regions": ["us-east-1"], "max_attempts": 2}
ACCOUNT = "123456789012"


@pytest.fixture
def account(aws: MotoServer) -> dict[str, str]:
    return build()


@pytest.fixture
def live(account: dict[str, str], pack: RuleSet, tmp_path: Path) -> tuple[list, list, set]:
    records, coverage, error = run(AwsScanner(), {**LIVE, "record_dir": str(tmp_path / "export")})
    assert error is None, error
    return records, coverage, findings(pack, records)


def test_every_triggering_resource_is_found(live: tuple[list, list, set], account: dict[str, str]) -> None:
    _, _, found = live
    rules = names(found)
    for expected in (
        "cloud.sg_internet_modbus",
        "cloud.sg_internet_ssh",
        "cloud.sg_internet_bacnet",
        "cloud.s3_public_bucket",
        "cloud.s3_public_write_acl",
        "cloud.iam_user_console_without_mfa",
        "cloud.iam_policy_admin",
        "cloud.kms_rotation_disabled",
        "cloud.cloudtrail_not_logging",
        "cloud.rds_public",
        "cloud.rds_unencrypted",
        "cloud.ebs_volume_unencrypted",
        "cloud.ebs_default_encryption_off",
        "cloud.vpc_flow_logs_disabled",
        "cloud.iot_policy_allows_all",
        "cloud.iot_cert_active_unused",
        "cloud.vpn_ikev1_allowed",
        "cloud.vpn_weak_dh_group",
        "cloud.vpn_sha1_allowed",
        "cloud.root_without_mfa",
        "cloud.password_policy_weak",
        "cloud.ec2_imdsv1_allowed",
        "cloud.s3_account_block_public_access_off",
    ):
        assert expected in rules, expected
    assets = {(rule, asset.rsplit("/", 1)[-1].rsplit(":", 1)[-1]) for rule, asset, _ in found}
    assert ("cloud.sg_internet_modbus", account["open_sg"]) in assets
    assert ("cloud.ec2_imdsv1_allowed", account["imdsv1"]) in assets
    assert ("cloud.iot_cert_active_unused", account["cert_unused"]) in assets
    assert ("cloud.kms_rotation_disabled", account["key_static"]) in assets


def test_compliant_resources_are_not_flagged(live: tuple[list, list, set], account: dict[str, str]) -> None:
    _, _, found = live
    by_asset: dict[str, set[str]] = {}
    for rule, asset, _ in found:
        by_asset.setdefault(asset.rsplit("/", 1)[-1].rsplit(":", 1)[-1], set()).add(rule)
    assert not by_asset.get(account["closed_sg"])
    assert "cloud.ec2_imdsv1_allowed" not in by_asset.get(account["imdsv2"], set())
    for clean in (
        account["vol_encrypted"],
        account["key_rotated"],
        account["cert_used"],
        "plant-lake",
        "historian-private",
        "line1-device",
        "org-trail",
        account["vpc_logged"],
    ):
        assert not by_asset.get(clean), (clean, by_asset.get(clean))
    assert "cloud.cloudtrail_not_multi_region" not in names(found)


def test_coverage_names_every_service_and_gap(live: tuple[list, list, set]) -> None:
    records, coverage, _ = live
    status = {c.target.rsplit("/", 1)[-1]: c.status for c in coverage}
    for service in ("iam", "s3", "ec2", "vpc", "cloudtrail", "kms", "rds"):
        assert status[service] == "ok", [c for c in coverage if c.target.endswith(service)]
    # moto's server has no Greengrass v2 or SiteWise: reported as failed, never as clean
    assert status["greengrass"] == "failed"
    assert status["sitewise"] == "failed"
    assert all(c.records >= 0 for c in coverage)
    assert {r["record.type"] for r in records} >= {"cloud_resource", "comms_link", "aws_account", "aws_region"}
    assert undocumented(records) == set()


def test_vpn_tunnels_become_comms_links(live: tuple[list, list, set], account: dict[str, str]) -> None:
    links = [r for r in live[0] if r["record.type"] == "comms_link"]
    assert len(links) == 2
    assert {r["record.key"].split("/")[0] for r in links} == {"tunnel1", "tunnel2"}
    for link in links:
        assert link["vpn.connection_id"] == account["vpn"]
        assert link["link.remote_endpoint"] == "203.0.113.5"
        assert link["vpn.options_source"] == "gateway_configuration"
        assert not any("pre_shared_key" in str(v) or "Iw2IAN9X" in str(v) for v in link.values())


def test_offline_replay_of_the_recorded_export_gives_the_same_findings(
    live: tuple[list, list, set], pack: RuleSet, tmp_path: Path
) -> None:
    """Acceptance: a live scan and an offline scan of the same account produce the same findings."""
    records, _, found = live
    offline, _coverage, error = run(AwsOfflineScanner(), {"paths": [str(tmp_path / "export")]})
    assert error is None, error
    assert findings(pack, offline) == found
    strip = {"source.scanner", "source.file"}
    assert sorted(
        json.dumps({k: v for k, v in r.items() if k not in strip}, sort_keys=True) for r in offline
    ) == sorted(json.dumps({k: v for k, v in r.items() if k not in strip}, sort_keys=True) for r in records)


def test_cli_describe_outputs_give_the_same_findings(account: dict[str, str], pack: RuleSet, tmp_path: Path) -> None:
    """``aws ec2 describe-security-groups > x.json`` style exports judge the same as live collection."""
    session = boto3.Session(region_name="us-east-1")
    ec2, rds = session.client("ec2"), session.client("rds")
    for name, answer in (
        ("security-groups.json", ec2.describe_security_groups()),
        ("instances.json", ec2.describe_instances()),
        ("volumes.json", ec2.describe_volumes()),
        ("db-instances.json", rds.describe_db_instances()),
    ):
        answer.pop("ResponseMetadata", None)
        (tmp_path / name).write_text(json.dumps(to_placebo(answer)))
    live, _, _ = run(AwsScanner(), {**LIVE, "services": ["ec2", "rds"]})
    offline, _, error = run(
        AwsOfflineScanner(), {"paths": [str(tmp_path)], "account_id": ACCOUNT, "region": "us-east-1"}
    )
    assert error is None
    judged = {"aws_security_group_rule", "aws_ec2_instance", "aws_ebs_volume", "aws_rds_instance"}
    assert findings(pack, [r for r in offline if r["record.type"] in judged]) == findings(
        pack, [r for r in live if r["record.type"] in judged]
    )


def test_denied_services_are_partial_coverage_and_the_rest_goes_on(
    tmp_path: Path, pack: RuleSet, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With IAM enforced, a principal allowed only EC2 gets EC2 findings and 'failed: access denied' for the rest."""
    with moto_server({"INITIAL_NO_AUTH_ACTION_COUNT": "5"}) as server:
        for name, value in server.env().items():
            monkeypatch.setenv(name, value)
        monkeypatch.delenv("AWS_SESSION_TOKEN")
        session = boto3.Session(region_name="us-east-1")
        iam, ec2 = session.client("iam"), session.client("ec2")
        iam.create_user(UserName="auditor")
        policy = {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Action": ["ec2:Describe*", "ec2:Get*", "sts:GetCallerIdentity"], "Resource": "*"}
            ],
        }
        iam.put_user_policy(UserName="auditor", PolicyName="ec2-only", PolicyDocument=json.dumps(policy))
        key = iam.create_access_key(UserName="auditor")["AccessKey"]
        group = ec2.create_security_group(GroupName="open", Description="x")["GroupId"]
        ec2.authorize_security_group_ingress(
            GroupId=group,
            IpPermissions=[
                {"IpProtocol": "tcp", "FromPort": 3389, "ToPort": 3389, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}
            ],
        )
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", key["AccessKeyId"])
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", key["SecretAccessKey"])
        records, coverage, error = run(AwsScanner(), {**LIVE, "services": ["ec2", "s3", "iam", "kms"]})
    assert error is None
    status = {c.target.rsplit("/", 1)[-1]: (c.status, c.detail) for c in coverage}
    assert status["ec2"][0] == "ok"
    for service in ("s3", "iam", "kms"):
        assert status[service][0] == "failed", status
        assert "access denied" in status[service][1]
    assert "cloud.sg_internet_rdp" in names(findings(pack, records))


def test_wrong_credentials_name_the_profile_and_the_fix(monkeypatch: pytest.MonkeyPatch) -> None:
    with moto_server({"INITIAL_NO_AUTH_ACTION_COUNT": "0"}) as server:
        for name, value in server.env().items():
            monkeypatch.setenv(name, value)
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAWRONGWRONGWRONG1")
        records, _coverage, error = run(AwsScanner(), LIVE)
    assert isinstance(error, ScannerError)
    assert "rejected the credentials" in error.message and "default credential chain" in error.message
    assert "aws sso login" in error.message
    assert records == []


def test_missing_credentials_and_unknown_profile(
    aws: MotoServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    _, _, error = run(AwsScanner(), LIVE)
    assert (
        isinstance(error, ScannerError) and "no AWS credentials" in error.message and "aws configure" in error.message
    )
    _, _, error = run(AwsScanner(), {**LIVE, "profile": "plant-readonly"})
    assert isinstance(error, ScannerError)
    assert "'plant-readonly'" in error.message and "aws configure --profile plant-readonly" in error.message


def test_assume_role_into_a_second_account(aws: MotoServer, pack: RuleSet) -> None:
    session = boto3.Session(region_name="us-east-1")
    iot = session.client("iot")
    iot.create_policy(policyName="everything", policyDocument=json.dumps(ALLOW_ALL_IOT))
    role = "arn:aws:iam::210987654321:role/xposture-readonly"
    records, coverage, error = run(AwsScanner(), {**LIVE, "role_arns": [role], "services": ["iot"]})
    assert error is None
    # the role's account is read with the role's credentials: moto keeps it apart (and empty)
    assert {c.target.split("/")[0] for c in coverage} == {ACCOUNT, "210987654321"}
    assert {r["cloud.account_id"] for r in records if r["record.type"] == "aws_iot_policy"} == {ACCOUNT}
