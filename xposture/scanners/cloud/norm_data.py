"""Data-at-rest and audit shapes to records: S3 buckets, RDS, KMS keys, CloudTrail trails.

Each normaliser takes what the API (or an export) said and leaves a field
out when that part could not be read, so "unknown" never reads as "clean".
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from xposture.model import FieldValue, Record
from xposture.scanners.cloud.common import Where, as_bool, resource_record, tag_map, with_inventory
from xposture.scanners.cloud.policy import analyse

ALL_USERS = "http://acs.amazonaws.com/groups/global/AllUsers"
AUTH_USERS = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers"
BLOCK_KEYS = ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")


def bucket_records(name: str, facts: Mapping[str, Any], where: Where, api: str = "s3:ListBuckets") -> Iterator[Record]:
    """One ``aws_s3_bucket``. ``facts`` keys present only when read: ``grants`` (ACL grants), ``policy``
    (document or None), ``public_access_block`` (dict or None), ``account_public_access_block``,
    ``encryption_rules`` (list or None), ``versioning`` (dict), ``logging`` (dict or None), ``tags``."""
    fields: dict[str, FieldValue] = {"s3.name": name}
    acl_public = policy_public = None
    block: Mapping[str, Any] = {}
    if "public_access_block" in facts:
        block = facts["public_access_block"] or {}
        for key in BLOCK_KEYS:
            fields[f"s3.public_access_block.{_snake(key)}"] = bool(block.get(key, False))
        fields["s3.public_access_block.enabled"] = all(bool(block.get(k)) for k in BLOCK_KEYS)
    account_block: Mapping[str, Any] = facts.get("account_public_access_block") or {}
    effective = {k: bool(block.get(k)) or bool(account_block.get(k)) for k in BLOCK_KEYS}
    if "public_access_block" in facts or "account_public_access_block" in facts:
        fields["s3.public_access_block.effective"] = all(effective.values())
    if "grants" in facts:
        grants = facts["grants"] or []
        read = write = authenticated = False
        for grant in grants:
            grantee = grant.get("Grantee") or {}
            uri = grantee.get("URI", "")
            permission = str(grant.get("Permission", "")).upper()
            if uri == ALL_USERS:
                read |= permission in ("READ", "FULL_CONTROL", "READ_ACP")
                write |= permission in ("WRITE", "WRITE_ACP", "FULL_CONTROL")
            elif uri == AUTH_USERS:
                authenticated = True
        acl_public = read or write or authenticated
        fields.update(
            {
                "s3.acl.public_read": read,
                "s3.acl.public_write": write,
                "s3.acl.authenticated_users": authenticated,
                "s3.acl.public": acl_public,
            }
        )
    if "policy" in facts:
        document = facts["policy"]
        policy = analyse(document) if document else None
        policy_public = bool(policy and policy.public_principal)
        fields["s3.policy.present"] = bool(document)
        fields["s3.policy.public"] = policy_public
        fields["s3.policy.secure_transport_enforced"] = bool(policy and policy.secure_transport_enforced)
    if acl_public is not None or policy_public is not None:
        fields["s3.public"] = bool(
            (acl_public and not effective["IgnorePublicAcls"])
            or (policy_public and not effective["RestrictPublicBuckets"])
        )
    if "encryption_rules" in facts:
        rules = facts["encryption_rules"] or []
        algorithms = [str((r.get("ApplyServerSideEncryptionByDefault") or {}).get("SSEAlgorithm", "")) for r in rules]
        algorithms = [a for a in algorithms if a]
        fields["s3.encryption.enabled"] = bool(algorithms)
        fields["s3.encryption.algorithm"] = algorithms[0] if algorithms else None
        fields["s3.encryption.kms"] = any(a.startswith("aws:kms") for a in algorithms)
    if "versioning" in facts:
        versioning = facts["versioning"] or {}
        fields["s3.versioning.enabled"] = versioning.get("Status") == "Enabled"
        fields["s3.versioning.mfa_delete"] = versioning.get("MFADelete") == "Enabled"
    if "logging" in facts:
        fields["s3.logging.enabled"] = bool((facts["logging"] or {}).get("TargetBucket"))
    record = resource_record(
        "aws_s3_bucket",
        where,
        arn=f"arn:{where.partition}:s3:::{name}",
        key="bucket",
        service="s3",
        resource_type="AWS::S3::Bucket",
        resource_id=name,
        name=name,
        api=api,
        tags=tag_map(facts.get("tags")),
        fields=fields,
    )
    yield from with_inventory(record)


def _snake(key: str) -> str:
    return "".join("_" + c.lower() if c.isupper() else c for c in key).lstrip("_")


def rds_records(db: Mapping[str, Any], where: Where, api: str = "rds:DescribeDBInstances") -> Iterator[Record]:
    """One ``aws_rds_instance`` per DB instance or cluster."""
    cluster = "DBClusterIdentifier" in db and "DBInstanceIdentifier" not in db
    ident = str(db.get("DBClusterIdentifier" if cluster else "DBInstanceIdentifier", ""))
    arn = str(db.get("DBClusterArn" if cluster else "DBInstanceArn", "")) or where.arn(
        "rds", f"{'cluster' if cluster else 'db'}:{ident}"
    )
    public = as_bool(db.get("PubliclyAccessible"))
    record = resource_record(
        "aws_rds_instance",
        where,
        arn=arn,
        key="db",
        service="rds",
        resource_type="AWS::RDS::DBCluster" if cluster else "AWS::RDS::DBInstance",
        resource_id=ident,
        name=ident,
        api=api,
        tags=tag_map(db.get("TagList")),
        fields={
            "db.id": ident,
            "db.kind": "cluster" if cluster else "instance",
            "db.engine": db.get("Engine"),
            "db.engine_version": str(db["EngineVersion"]) if db.get("EngineVersion") is not None else None,
            "db.publicly_accessible": public if public is not None else (False if cluster else None),
            "db.storage_encrypted": as_bool(db.get("StorageEncrypted")) is True,
            "db.backup_retention_days": int(db["BackupRetentionPeriod"])
            if db.get("BackupRetentionPeriod") is not None
            else None,
            "db.multi_az": as_bool(db.get("MultiAZ")),
            "db.auto_minor_version_upgrade": as_bool(db.get("AutoMinorVersionUpgrade")),
            "db.deletion_protection": as_bool(db.get("DeletionProtection")),
            "db.iam_auth": as_bool(db.get("IAMDatabaseAuthenticationEnabled")),
        },
    )
    yield from with_inventory(record)


def kms_key_records(
    metadata: Mapping[str, Any], rotation: bool | None, where: Where, api: str = "kms:DescribeKey"
) -> Iterator[Record]:
    """One ``aws_kms_key`` per key; rotation None means 'could not be read'."""
    key_id = str(metadata.get("KeyId", ""))
    spec = str(metadata.get("KeySpec") or metadata.get("CustomerMasterKeySpec") or "SYMMETRIC_DEFAULT")
    manager = metadata.get("KeyManager")
    state = metadata.get("KeyState")
    origin = str(metadata.get("Origin", "AWS_KMS"))
    applicable = (
        None
        if manager is None or state is None
        else manager == "CUSTOMER" and spec == "SYMMETRIC_DEFAULT" and origin == "AWS_KMS" and state == "Enabled"
    )
    fields: dict[str, FieldValue] = {
        "key.id": key_id,
        "key.manager": manager,
        "key.state": state,
        "key.spec": spec,
        "key.usage": metadata.get("KeyUsage"),
        "key.origin": origin,
        "key.rotation_applicable": applicable,
        "key.rotation_enabled": rotation,
    }
    record = resource_record(
        "aws_kms_key",
        where,
        arn=str(metadata.get("Arn", "")) or where.arn("kms", f"key/{key_id}"),
        key="key",
        service="kms",
        resource_type="AWS::KMS::Key",
        resource_id=key_id,
        name=str(metadata.get("Description") or key_id),
        api=api,
        fields=fields,
    )
    yield from with_inventory(record)


def trail_records(
    trail: Mapping[str, Any], status: Mapping[str, Any] | None, where: Where, api: str = "cloudtrail:DescribeTrails"
) -> Iterator[Record]:
    """One ``aws_cloudtrail_trail`` per trail; ``status`` (GetTrailStatus) None means 'not read'."""
    name = str(trail.get("Name", ""))
    home = str(trail.get("HomeRegion", "") or where.region)
    here = where.at(region=home)
    arn = str(trail.get("TrailARN", "")) or here.arn("cloudtrail", f"trail/{name}")
    fields: dict[str, FieldValue] = {
        "trail.name": name,
        "trail.multi_region": as_bool(trail.get("IsMultiRegionTrail")) is True,
        "trail.log_file_validation": as_bool(trail.get("LogFileValidationEnabled")) is True,
        "trail.kms_encrypted": bool(trail.get("KmsKeyId")),
        "trail.s3_bucket": trail.get("S3BucketName"),
        "trail.cloudwatch_logs": bool(trail.get("CloudWatchLogsLogGroupArn")),
        "trail.organization": as_bool(trail.get("IsOrganizationTrail")),
        "trail.home_region": home or None,
        "trail.global_service_events": as_bool(trail.get("IncludeGlobalServiceEvents")),
    }
    if status is not None:
        fields["trail.logging"] = as_bool(status.get("IsLogging")) is True
        fields["trail.delivery_error"] = status.get("LatestDeliveryError") or None
    record = resource_record(
        "aws_cloudtrail_trail",
        here,
        arn=arn,
        key="trail",
        service="cloudtrail",
        resource_type="AWS::CloudTrail::Trail",
        resource_id=name,
        name=name,
        api=api,
        tags=tag_map(trail.get("Tags")),
        fields=fields,
    )
    yield from with_inventory(record)
