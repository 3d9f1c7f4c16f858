"""AWS Config configuration items (snapshots, history, single items) as recorded API answers.

Config stores most resources in their Describe* shape with lowerCamel keys,
and S3 buckets as a bucket plus ``supplementaryConfiguration``; both are
turned back into the answers of the calls the collector makes.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from xposture.errors import InputError
from xposture.scanners.cloud.exports import ExportSet
from xposture.scanners.cloud.replay import Response

ITEM_LISTS = ("configurationItems", "ConfigurationItems", "baseConfigurationItems")
ACL_PERMISSIONS = {
    "fullcontrol": "FULL_CONTROL",
    "read": "READ",
    "write": "WRITE",
    "readacp": "READ_ACP",
    "writeacp": "WRITE_ACP",
}
GROUPS = {
    "allusers": "http://acs.amazonaws.com/groups/global/AllUsers",
    "authenticatedusers": "http://acs.amazonaws.com/groups/global/AuthenticatedUsers",
    "logdelivery": "http://acs.amazonaws.com/groups/s3/LogDelivery",
}


def is_config(document: Any) -> bool:
    if not isinstance(document, Mapping):
        return False
    if any(isinstance(document.get(key), list) for key in ITEM_LISTS):
        return True
    return "resourceType" in document and ("configuration" in document or "configurationItemStatus" in document)


def items_of(document: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    for key in ITEM_LISTS:
        if isinstance(document.get(key), list):
            return [i for i in document[key] if isinstance(i, Mapping)]
    return [document]


def _loads(value: Any, depth: int = 0) -> Any:
    """Config nests JSON in strings, sometimes twice: decode until it is not a string."""
    while isinstance(value, str) and depth < 3:
        text = value.strip()
        if not text or text[0] not in '{["':
            return value
        try:
            value = json.loads(text)
        except json.JSONDecodeError:
            return value
        depth += 1
    return value


def pascal(value: Any) -> Any:
    """lowerCamel keys of Config's Describe shapes to the API's PascalCase (``dBInstanceIdentifier`` too)."""
    if isinstance(value, Mapping):
        return {(k[:1].upper() + k[1:]) if isinstance(k, str) else k: pascal(v) for k, v in value.items()}
    if isinstance(value, list):
        return [pascal(v) for v in value]
    return value


def add_config(exports: ExportSet, path: str, document: Mapping[str, Any], account: str, region: str) -> int:
    """Load every item of a Config document; returns how many items were read."""
    count = 0
    for item in items_of(document):
        resource_type = str(item.get("resourceType", ""))
        if not resource_type:
            raise InputError("configuration item without resourceType", file=path)
        acct = str(item.get("accountId") or account)
        reg = str(item.get("awsRegion") or region)
        configuration = _loads(item.get("configuration"))
        if not isinstance(configuration, Mapping):
            configuration = {}
        handler = HANDLERS.get(resource_type)
        if item.get("configurationItemStatus") in ("ResourceDeleted", "ResourceDeletedNotRecorded"):
            continue
        if handler is None:
            exports.generic.append((acct, reg, _generic(item)))
        else:
            handler(exports, acct, reg, item, configuration, path)
        count += 1
    exports.files.append(path)
    return count


def _generic(item: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "arn": item.get("arn") or "",
        "resource_type": item.get("resourceType"),
        "resource_id": item.get("resourceId") or item.get("resourceName") or "",
        "name": item.get("resourceName") or item.get("resourceId") or "",
        "tags": item.get("tags") or {},
    }


def _tags(item: Mapping[str, Any]) -> list[dict[str, str]]:
    tags = item.get("tags") or {}
    return [{"Key": str(k), "Value": str(v)} for k, v in tags.items()] if isinstance(tags, Mapping) else []


def _s3(
    exports: ExportSet, account: str, region: str, item: Mapping[str, Any], conf: Mapping[str, Any], path: str
) -> None:
    name = str(item.get("resourceName") or conf.get("name") or item.get("resourceId"))
    s3 = exports.slot(account, region, "s3")
    s3.extend_list("ListBuckets", "Buckets", [{"Name": name, "CreationDate": conf.get("creationDate")}])
    s3.add("GetBucketLocation", Response(200, {"LocationConstraint": region}, path), key=name)
    s3.add("GetBucketTagging", Response(200, {"TagSet": _tags(item)}, path), key=name)
    extra = item.get("supplementaryConfiguration") or {}
    acl = _loads(extra.get("AccessControlList"))
    if isinstance(acl, Mapping):
        grants = []
        for grant in acl.get("grantList") or []:
            grantee = grant.get("grantee")
            permission = ACL_PERMISSIONS.get(str(grant.get("permission", "")).lower(), str(grant.get("permission", "")))
            if isinstance(grantee, str):
                grants.append(
                    {
                        "Grantee": {"Type": "Group", "URI": GROUPS.get(grantee.lower(), grantee)},
                        "Permission": permission,
                    }
                )
            elif isinstance(grantee, Mapping):
                grants.append({"Grantee": {"Type": "CanonicalUser", "ID": grantee.get("id")}, "Permission": permission})
        s3.add("GetBucketAcl", Response(200, {"Grants": grants}, path), key=name)
    policy = _loads(extra.get("BucketPolicy"))
    if isinstance(policy, Mapping):
        text = policy.get("policyText")
        if text:
            s3.add("GetBucketPolicy", Response(200, {"Policy": text}, path), key=name)
        else:
            s3.add("GetBucketPolicy", Response(404, {"Error": {"Code": "NoSuchBucketPolicy"}}, path), key=name)
    block = _loads(extra.get("PublicAccessBlockConfiguration"))
    if isinstance(block, Mapping):
        s3.add("GetPublicAccessBlock", Response(200, {"PublicAccessBlockConfiguration": pascal(block)}, path), key=name)
    encryption = _loads(extra.get("ServerSideEncryptionConfiguration"))
    if isinstance(encryption, Mapping):
        rules = pascal(encryption.get("rules") or [])
        s3.add(
            "GetBucketEncryption",
            Response(200, {"ServerSideEncryptionConfiguration": {"Rules": rules}}, path),
            key=name,
        )
    versioning = _loads(extra.get("BucketVersioningConfiguration"))
    if isinstance(versioning, Mapping):
        status = versioning.get("status")
        answer: dict[str, Any] = {
            "Status": "Enabled" if status == "Enabled" else ("Suspended" if status == "Suspended" else None)
        }
        if versioning.get("isMfaDeleteEnabled"):
            answer["MFADelete"] = "Enabled"
        s3.add("GetBucketVersioning", Response(200, {k: v for k, v in answer.items() if v}, path), key=name)
    logging = _loads(extra.get("BucketLoggingConfiguration"))
    if isinstance(logging, Mapping):
        target = logging.get("destinationBucketName")
        body = (
            {"LoggingEnabled": {"TargetBucket": target, "TargetPrefix": logging.get("logFilePrefix") or ""}}
            if target
            else {}
        )
        s3.add("GetBucketLogging", Response(200, body, path), key=name)


def _security_group(
    exports: ExportSet, account: str, region: str, item: Mapping[str, Any], conf: Mapping[str, Any], path: str
) -> None:
    group = pascal(conf)
    for key in ("IpPermissions", "IpPermissionsEgress"):
        for permission in group.get(key, []) or []:
            if permission.get("Ipv4Ranges"):
                permission["IpRanges"] = permission.pop("Ipv4Ranges")
            elif permission.get("IpRanges") and isinstance(permission["IpRanges"][0], str):
                permission["IpRanges"] = [{"CidrIp": cidr} for cidr in permission["IpRanges"]]
            permission.pop("Ipv4Ranges", None)
    group.setdefault("OwnerId", account)
    exports.slot(account, region, "ec2").extend_list("DescribeSecurityGroups", "SecurityGroups", [group])


def _simple(service: str, operation: str, list_key: str, wrap: str | None = None) -> Any:
    def handler(
        exports: ExportSet, account: str, region: str, item: Mapping[str, Any], conf: Mapping[str, Any], path: str
    ) -> None:
        resource = pascal(conf)
        if "Tags" not in resource and item.get("tags"):
            resource["Tags"] = _tags(item)
        entry = {wrap: [resource]} if wrap else resource
        exports.slot(account, region, service).extend_list(operation, list_key, [entry])

    return handler


RDS_KEYS = {
    k.lower(): k
    for k in (
        "DBInstanceIdentifier",
        "DBClusterIdentifier",
        "DBInstanceArn",
        "DBClusterArn",
        "StorageEncrypted",
        "PubliclyAccessible",
        "BackupRetentionPeriod",
        "MultiAZ",
        "DeletionProtection",
        "AutoMinorVersionUpgrade",
        "IAMDatabaseAuthenticationEnabled",
        "Engine",
        "EngineVersion",
        "TagList",
    )
}


def _rds_shape(conf: Mapping[str, Any]) -> dict[str, Any]:
    """Config spells RDS keys inconsistently (``dBInstanceIdentifier``, ``dbclusterIdentifier``): match them case-blind."""
    return {RDS_KEYS.get(str(k).lower(), str(k)): v for k, v in pascal(conf).items()}


def _rds_instance(
    exports: ExportSet, account: str, region: str, item: Mapping[str, Any], conf: Mapping[str, Any], path: str
) -> None:
    db = _rds_shape(conf)
    db.setdefault("DBInstanceIdentifier", item.get("resourceName"))
    db.setdefault("DBInstanceArn", item.get("arn"))
    exports.slot(account, region, "rds").extend_list("DescribeDBInstances", "DBInstances", [db])


def _rds_cluster(
    exports: ExportSet, account: str, region: str, item: Mapping[str, Any], conf: Mapping[str, Any], path: str
) -> None:
    db = _rds_shape(conf)
    db.setdefault("DBClusterIdentifier", item.get("resourceName"))
    db.setdefault("DBClusterArn", item.get("arn"))
    exports.slot(account, region, "rds").extend_list("DescribeDBClusters", "DBClusters", [db])


def _trail(
    exports: ExportSet, account: str, region: str, item: Mapping[str, Any], conf: Mapping[str, Any], path: str
) -> None:
    trail = pascal(conf)
    trail.setdefault("TrailARN", trail.pop("TrailArn", None) or item.get("arn"))
    trail.setdefault("HomeRegion", region)
    trail.setdefault("Name", item.get("resourceName"))
    exports.slot(account, region, "cloudtrail").extend_list("DescribeTrails", "trailList", [trail])


def _kms(
    exports: ExportSet, account: str, region: str, item: Mapping[str, Any], conf: Mapping[str, Any], path: str
) -> None:
    metadata = pascal(conf)
    key_id = str(metadata.get("KeyId") or item.get("resourceId"))
    metadata.setdefault("KeyId", key_id)
    metadata.setdefault("Arn", item.get("arn"))
    kms = exports.slot(account, region, "kms")
    kms.extend_list("ListKeys", "Keys", [{"KeyId": key_id, "KeyArn": metadata.get("Arn")}])
    kms.add("DescribeKey", Response(200, {"KeyMetadata": metadata}, path), key=key_id)
    rotation = (item.get("supplementaryConfiguration") or {}).get("KeyRotationStatus")
    if rotation is not None:
        kms.add(
            "GetKeyRotationStatus",
            Response(200, {"KeyRotationEnabled": str(rotation).lower() == "true"}, path),
            key=key_id,
        )


def _iam_user(
    exports: ExportSet, account: str, region: str, item: Mapping[str, Any], conf: Mapping[str, Any], path: str
) -> None:
    name = str(conf.get("userName") or item.get("resourceName"))
    iam = exports.slot(account, region, "iam")
    iam.extend_list(
        "ListUsers",
        "Users",
        [{"UserName": name, "Arn": conf.get("arn") or item.get("arn"), "CreateDate": conf.get("createDate")}],
    )
    inline = conf.get("userPolicyList") or []
    iam.add("ListUserPolicies", Response(200, {"PolicyNames": [p.get("policyName") for p in inline]}, path), key=name)
    for policy in inline:
        iam.add(
            "GetUserPolicy",
            Response(
                200, {"PolicyDocument": policy.get("policyDocument"), "PolicyName": policy.get("policyName")}, path
            ),
            key=f"{name}/{policy.get('policyName')}",
        )


def _iam_policy(
    exports: ExportSet, account: str, region: str, item: Mapping[str, Any], conf: Mapping[str, Any], path: str
) -> None:
    arn = str(conf.get("arn") or item.get("arn"))
    versions = conf.get("policyVersionList") or []
    default = next((v for v in versions if v.get("isDefaultVersion")), versions[0] if versions else {})
    iam = exports.slot(account, region, "iam")
    iam.extend_list(
        "ListPolicies",
        "Policies",
        [
            {
                "PolicyName": conf.get("policyName") or item.get("resourceName"),
                "Arn": arn,
                "PolicyId": conf.get("policyId") or item.get("resourceId"),
                "AttachmentCount": conf.get("attachmentCount"),
                "DefaultVersionId": conf.get("defaultVersionId") or default.get("versionId") or "v1",
            }
        ],
    )
    iam.add("GetPolicyVersion", Response(200, {"PolicyVersion": {"Document": default.get("document")}}, path), key=arn)


HANDLERS: dict[str, Any] = {
    "AWS::S3::Bucket": _s3,
    "AWS::EC2::SecurityGroup": _security_group,
    "AWS::EC2::Instance": _simple("ec2", "DescribeInstances", "Reservations", wrap="Instances"),
    "AWS::EC2::Volume": _simple("ec2", "DescribeVolumes", "Volumes"),
    "AWS::EC2::VPC": _simple("ec2", "DescribeVpcs", "Vpcs"),
    "AWS::EC2::VPNConnection": _simple("ec2", "DescribeVpnConnections", "VpnConnections"),
    "AWS::EC2::CustomerGateway": _simple("ec2", "DescribeCustomerGateways", "CustomerGateways"),
    "AWS::RDS::DBInstance": _rds_instance,
    "AWS::RDS::DBCluster": _rds_cluster,
    "AWS::CloudTrail::Trail": _trail,
    "AWS::KMS::Key": _kms,
    "AWS::IAM::User": _iam_user,
    "AWS::IAM::Policy": _iam_policy,
}
