"""Terraform plan and state JSON (``terraform show -json``) as recorded API answers.

A plan says what an account *will* hold, so misconfigurations are found
before ``apply``. Only what the configuration states is taken as fact:
a bucket without a public-access-block resource has an *unknown* block,
because it may be set outside Terraform (or by AWS defaults).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from typing import Any

from xposture.errors import InputError
from xposture.scanners.cloud.exports import ExportSet
from xposture.scanners.cloud.replay import Response

UNKNOWN_ID = "(known after apply)"
INDEX = re.compile(r"\[[^\]]*\]")


def is_terraform(document: Any) -> bool:
    return isinstance(document, Mapping) and "terraform_version" in document and "format_version" in document


def _version(text: Any) -> tuple[int, ...]:
    return tuple(int(p) for p in re.findall(r"\d+", str(text))[:3])


def check(document: Mapping[str, Any], path: str, raw: str) -> Mapping[str, Any]:
    """The root module of a plan (``planned_values``) or a state (``values``), after consistency checks."""
    fmt, tf = _version(document.get("format_version")), _version(document.get("terraform_version"))
    where = raw.find('"format_version"')
    offset = where if where >= 0 else None
    if not fmt or fmt[0] > 1:
        raise InputError(
            f"unsupported Terraform JSON format_version {document.get('format_version')!r}", file=path, offset=offset
        )
    if fmt[0] >= 1 and tf and tf < (1, 0):
        raise InputError(
            f"corrupted Terraform JSON: format_version {document.get('format_version')} cannot come from Terraform "
            f"{document.get('terraform_version')} (formats 1.x are written by Terraform 1.1 and later)",
            file=path,
            offset=offset,
        )
    values = document.get("planned_values") if "planned_values" in document else document.get("values")
    if not isinstance(values, Mapping) or not isinstance(values.get("root_module", {}), Mapping):
        raise InputError("Terraform JSON without planned_values or values.root_module", file=path, offset=offset)
    return values.get("root_module") or {}


def resources(module: Mapping[str, Any], path: str) -> Iterator[Mapping[str, Any]]:
    for resource in module.get("resources", []) or []:
        if not isinstance(resource, Mapping) or not isinstance(resource.get("values", {}), Mapping):
            raise InputError(f"malformed resource {resource!r:.80}", file=path)
        if resource.get("mode", "managed") == "managed":
            yield resource
    for child in module.get("child_modules", []) or []:
        if isinstance(child, Mapping):
            yield from resources(child, path)


def _config_index(configuration: Any) -> dict[str, Mapping[str, Any]]:
    index: dict[str, Mapping[str, Any]] = {}

    def walk(module: Any, prefix: str) -> None:
        if not isinstance(module, Mapping):
            return
        for resource in module.get("resources", []) or []:
            if isinstance(resource, Mapping):
                index[prefix + str(resource.get("address"))] = resource.get("expressions") or {}
        for name, call in (module.get("module_calls") or {}).items():
            if isinstance(call, Mapping):
                walk(call.get("module"), f"{prefix}module.{name}.")

    walk((configuration or {}).get("root_module") if isinstance(configuration, Mapping) else None, "")
    return index


class _Plan:
    def __init__(self, document: Mapping[str, Any], path: str, raw: str, account: str, region: str) -> None:
        self.root = check(document, path, raw)
        self.path = path
        self.config = _config_index(document.get("configuration"))
        provider = ((document.get("configuration") or {}).get("provider_config") or {}).get("aws") or {}
        constant = ((provider.get("expressions") or {}).get("region") or {}).get("constant_value")
        self.account = account
        self.region = region or (str(constant) if isinstance(constant, str) else "")
        self.items = list(resources(self.root, path))
        self.ids: dict[str, str] = {}
        for item in self.items:
            values = item.get("values") or {}
            ident = values.get("bucket") if item.get("type") == "aws_s3_bucket" else values.get("id")
            self.ids[INDEX.sub("", str(item.get("address")))] = str(ident or item.get("address"))

    def ref(self, item: Mapping[str, Any], attribute: str) -> str | None:
        """The id of the resource an attribute refers to (known value first, then the configuration's reference)."""
        value = (item.get("values") or {}).get(attribute)
        if isinstance(value, str) and value:
            return value
        address = INDEX.sub("", str(item.get("address")))
        prefix = address[: address.rfind(str(item.get("type")))]
        expression = (self.config.get(address) or {}).get(attribute) or {}
        for reference in expression.get("references", []) if isinstance(expression, Mapping) else []:
            parts = str(reference).split(".")
            if len(parts) >= 2 and parts[0] not in ("var", "local", "module", "data", "each", "count", "self"):
                target = prefix + ".".join(parts[:2])
                if target in self.ids:
                    return self.ids[target]
        return None


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else ([] if value is None else [value])


def _first(value: Any) -> Mapping[str, Any]:
    items = _listed(value)
    return items[0] if items and isinstance(items[0], Mapping) else {}


def _tags(values: Mapping[str, Any]) -> list[dict[str, str]]:
    tags = values.get("tags") or {}
    return [{"Key": str(k), "Value": str(v)} for k, v in tags.items()] if isinstance(tags, Mapping) else []


def _permission(block: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "IpProtocol": str(block.get("protocol", block.get("ip_protocol", "-1"))),
        "FromPort": block.get("from_port"),
        "ToPort": block.get("to_port"),
        "IpRanges": [{"CidrIp": c} for c in _listed(block.get("cidr_blocks")) + _listed(block.get("cidr_ipv4"))],
        "Ipv6Ranges": [
            {"CidrIpv6": c} for c in _listed(block.get("ipv6_cidr_blocks")) + _listed(block.get("cidr_ipv6"))
        ],
        "UserIdGroupPairs": [
            {"GroupId": g}
            for g in _listed(block.get("security_groups")) + _listed(block.get("referenced_security_group_id"))
        ],
        "PrefixListIds": [
            {"PrefixListId": p} for p in _listed(block.get("prefix_list_ids")) + _listed(block.get("prefix_list_id"))
        ],
    }


CANNED_ACL = {
    "public-read": [("AllUsers", "READ")],
    "public-read-write": [("AllUsers", "READ"), ("AllUsers", "WRITE")],
    "authenticated-read": [("AuthenticatedUsers", "READ")],
}


def add_terraform(
    exports: ExportSet, path: str, document: Mapping[str, Any], raw: str, account: str, region: str
) -> int:
    """Load a plan or state; returns how many resources were read."""
    plan = _Plan(document, path, raw, account, region)
    acct, reg = plan.account, plan.region
    groups: dict[str, dict[str, Any]] = {}
    buckets: dict[str, dict[str, Any]] = {}
    s3 = exports.slot(acct, reg, "s3")
    ec2 = exports.slot(acct, reg, "ec2")

    def answer(service: str, operation: str, body: dict[str, Any], key: str) -> None:
        exports.slot(acct, reg, service).add(operation, Response(200, body, path), key=key)

    for item in plan.items:
        kind = str(item.get("type"))
        values: Mapping[str, Any] = item.get("values") or {}
        address = str(item.get("address"))
        ident = plan.ids[INDEX.sub("", address)]
        if kind == "aws_s3_bucket":
            buckets[ident] = {}
            s3.extend_list("ListBuckets", "Buckets", [{"Name": ident}])
            answer("s3", "GetBucketLocation", {"LocationConstraint": reg or None}, ident)
            answer("s3", "GetBucketTagging", {"TagSet": _tags(values)}, ident)
            if "acl" in values or "grant" in values:
                canned = CANNED_ACL.get(str(values.get("acl") or "private"), [])
                grants = [
                    {
                        "Grantee": {"Type": "Group", "URI": f"http://acs.amazonaws.com/groups/global/{who}"},
                        "Permission": perm,
                    }
                    for who, perm in canned
                ]
                answer("s3", "GetBucketAcl", {"Grants": grants}, ident)
            if "policy" in values:
                _bucket_policy(exports, acct, reg, path, ident, values.get("policy"))
            if "versioning" in values:
                versioning = _first(values.get("versioning"))
                answer("s3", "GetBucketVersioning", {"Status": "Enabled"} if versioning.get("enabled") else {}, ident)
            if "logging" in values:
                logging = _first(values.get("logging"))
                target = logging.get("target_bucket")
                answer(
                    "s3",
                    "GetBucketLogging",
                    {"LoggingEnabled": {"TargetBucket": target}} if target or logging else {},
                    ident,
                )
            if _listed(values.get("server_side_encryption_configuration")):
                _bucket_encryption(exports, acct, reg, path, ident, values.get("server_side_encryption_configuration"))
        elif kind.startswith("aws_s3_bucket_") and kind != "aws_s3_bucket_object":
            bucket = plan.ref(item, "bucket")
            if bucket is None:
                continue
            if kind == "aws_s3_bucket_public_access_block":
                block = {
                    k: bool(values.get(s))
                    for k, s in (
                        ("BlockPublicAcls", "block_public_acls"),
                        ("IgnorePublicAcls", "ignore_public_acls"),
                        ("BlockPublicPolicy", "block_public_policy"),
                        ("RestrictPublicBuckets", "restrict_public_buckets"),
                    )
                }
                answer("s3", "GetPublicAccessBlock", {"PublicAccessBlockConfiguration": block}, bucket)
            elif kind == "aws_s3_bucket_policy":
                _bucket_policy(exports, acct, reg, path, bucket, values.get("policy"))
            elif kind == "aws_s3_bucket_acl" and values.get("acl"):
                canned = CANNED_ACL.get(str(values.get("acl")), [])
                grants = [
                    {
                        "Grantee": {"Type": "Group", "URI": f"http://acs.amazonaws.com/groups/global/{who}"},
                        "Permission": perm,
                    }
                    for who, perm in canned
                ]
                answer("s3", "GetBucketAcl", {"Grants": grants}, bucket)
            elif kind == "aws_s3_bucket_versioning":
                status = _first(values.get("versioning_configuration")).get("status")
                answer("s3", "GetBucketVersioning", {"Status": status} if status else {}, bucket)
            elif kind == "aws_s3_bucket_server_side_encryption_configuration":
                _bucket_encryption(exports, acct, reg, path, bucket, [values])
            elif kind == "aws_s3_bucket_logging":
                answer(
                    "s3",
                    "GetBucketLogging",
                    {"LoggingEnabled": {"TargetBucket": values.get("target_bucket") or "(known after apply)"}},
                    bucket,
                )
        elif kind == "aws_security_group":
            group: dict[str, Any] = {
                "GroupId": ident if ident != address else address,
                "GroupName": values.get("name") or item.get("name"),
                "VpcId": values.get("vpc_id"),
                "OwnerId": acct,
                "Tags": _tags(values),
                "IpPermissions": [_permission(b) for b in _listed(values.get("ingress")) if isinstance(b, Mapping)],
                "IpPermissionsEgress": [
                    _permission(b) for b in _listed(values.get("egress")) if isinstance(b, Mapping)
                ],
            }
            groups[INDEX.sub("", address)] = group
            ec2.extend_list("DescribeSecurityGroups", "SecurityGroups", [group])
        elif kind in (
            "aws_security_group_rule",
            "aws_vpc_security_group_ingress_rule",
            "aws_vpc_security_group_egress_rule",
        ):
            target = plan.ref(item, "security_group_id")
            owner: dict[str, Any] | None = next(
                (g for a, g in groups.items() if target in (a, g["GroupId"], plan.ids.get(a))), None
            )
            if owner is None:
                owner = {
                    "GroupId": target or address,
                    "GroupName": target or address,
                    "OwnerId": acct,
                    "IpPermissions": [],
                    "IpPermissionsEgress": [],
                }
                groups[target or address] = owner
                ec2.extend_list("DescribeSecurityGroups", "SecurityGroups", [owner])
            egress = values.get("type") == "egress" or kind.endswith("egress_rule")
            owner["IpPermissionsEgress" if egress else "IpPermissions"].append(_permission(values))
        elif kind == "aws_instance":
            metadata = _first(values.get("metadata_options"))
            public = values.get("public_ip") or (UNKNOWN_ID if values.get("associate_public_ip_address") else None)
            instance = {
                "InstanceId": values.get("id") or address,
                "InstanceType": values.get("instance_type"),
                "ImageId": values.get("ami"),
                "PublicIpAddress": public,
                "SubnetId": values.get("subnet_id"),
                "Tags": _tags(values),
                "SecurityGroups": [{"GroupId": g} for g in _listed(values.get("vpc_security_group_ids"))],
                "MetadataOptions": {
                    "HttpTokens": metadata.get("http_tokens", "optional"),
                    "HttpEndpoint": metadata.get("http_endpoint", "enabled"),
                },
            }
            if values.get("iam_instance_profile"):
                instance["IamInstanceProfile"] = {"Arn": str(values["iam_instance_profile"])}
            ec2.extend_list(
                "DescribeInstances",
                "Reservations",
                [{"Instances": [{k: v for k, v in instance.items() if v is not None}]}],
            )
        elif kind == "aws_ebs_volume":
            ec2.extend_list(
                "DescribeVolumes",
                "Volumes",
                [
                    {
                        "VolumeId": values.get("id") or address,
                        "Encrypted": bool(values.get("encrypted")),
                        "Size": values.get("size"),
                        "KmsKeyId": values.get("kms_key_id"),
                        "Tags": _tags(values),
                    }
                ],
            )
        elif kind == "aws_ebs_encryption_by_default":
            ec2.add(
                "GetEbsEncryptionByDefault",
                Response(200, {"EbsEncryptionByDefault": bool(values.get("enabled", True))}, path),
            )
        elif kind == "aws_vpc":
            ec2.extend_list(
                "DescribeVpcs", "Vpcs", [{"VpcId": ident, "CidrBlock": values.get("cidr_block"), "Tags": _tags(values)}]
            )
            if not ec2.ordered.get("DescribeFlowLogs"):
                ec2.extend_list("DescribeFlowLogs", "FlowLogs", [])
        elif kind == "aws_flow_log":
            vpc = plan.ref(item, "vpc_id")
            if vpc:
                ec2.extend_list(
                    "DescribeFlowLogs",
                    "FlowLogs",
                    [{"ResourceId": vpc, "FlowLogStatus": "ACTIVE", "TrafficType": values.get("traffic_type")}],
                )
        elif kind == "aws_customer_gateway":
            ec2.extend_list(
                "DescribeCustomerGateways",
                "CustomerGateways",
                [{"CustomerGatewayId": ident, "IpAddress": values.get("ip_address")}],
            )
        elif kind == "aws_vpn_connection":
            ec2.extend_list("DescribeVpnConnections", "VpnConnections", [_vpn(plan, item, ident)])
        elif kind in ("aws_db_instance", "aws_rds_cluster"):
            cluster = kind == "aws_rds_cluster"
            db = {
                ("DBClusterIdentifier" if cluster else "DBInstanceIdentifier"): values.get(
                    "cluster_identifier" if cluster else "identifier"
                )
                or item.get("name"),
                "Engine": values.get("engine"),
                "EngineVersion": values.get("engine_version"),
                "StorageEncrypted": bool(values.get("storage_encrypted")),
                "BackupRetentionPeriod": values.get("backup_retention_period"),
                "MultiAZ": values.get("multi_az"),
                "DeletionProtection": values.get("deletion_protection"),
                "AutoMinorVersionUpgrade": values.get("auto_minor_version_upgrade"),
                "IAMDatabaseAuthenticationEnabled": values.get("iam_database_authentication_enabled"),
                "TagList": _tags(values),
            }
            if not cluster:
                db["PubliclyAccessible"] = bool(values.get("publicly_accessible"))
            exports.slot(acct, reg, "rds").extend_list(
                "DescribeDBClusters" if cluster else "DescribeDBInstances",
                "DBClusters" if cluster else "DBInstances",
                [db],
            )
        elif kind == "aws_kms_key":
            kms = exports.slot(acct, reg, "kms")
            kms.extend_list("ListKeys", "Keys", [{"KeyId": ident}])
            metadata = {
                "KeyId": ident,
                "Description": values.get("description"),
                "KeyManager": "CUSTOMER",
                "KeyState": "Enabled" if values.get("is_enabled", True) else "Disabled",
                "KeySpec": values.get("customer_master_key_spec") or values.get("key_spec") or "SYMMETRIC_DEFAULT",
                "KeyUsage": values.get("key_usage"),
            }
            kms.add("DescribeKey", Response(200, {"KeyMetadata": metadata}, path), key=ident)
            kms.add(
                "GetKeyRotationStatus",
                Response(200, {"KeyRotationEnabled": bool(values.get("enable_key_rotation"))}, path),
                key=ident,
            )
        elif kind == "aws_cloudtrail":
            name = str(values.get("name") or item.get("name"))
            trail = {
                "Name": name,
                "TrailARN": name,
                "HomeRegion": reg or None,
                "S3BucketName": values.get("s3_bucket_name"),
                "IsMultiRegionTrail": bool(values.get("is_multi_region_trail")),
                "LogFileValidationEnabled": bool(values.get("enable_log_file_validation")),
                "KmsKeyId": values.get("kms_key_id"),
                "CloudWatchLogsLogGroupArn": values.get("cloud_watch_logs_group_arn"),
                "IncludeGlobalServiceEvents": values.get("include_global_service_events", True),
                "IsOrganizationTrail": values.get("is_organization_trail"),
            }
            exports.slot(acct, reg, "cloudtrail").extend_list("DescribeTrails", "trailList", [trail])
            answer("cloudtrail", "GetTrailStatus", {"IsLogging": bool(values.get("enable_logging", True))}, name)
        elif kind == "aws_iam_user":
            exports.slot(acct, reg, "iam").extend_list(
                "ListUsers", "Users", [{"UserName": values.get("name") or item.get("name")}]
            )
        elif kind == "aws_iam_policy":
            arn = str(values.get("arn") or address)
            exports.slot(acct, reg, "iam").extend_list(
                "ListPolicies",
                "Policies",
                [{"PolicyName": values.get("name") or item.get("name"), "Arn": arn, "DefaultVersionId": "v1"}],
            )
            answer("iam", "GetPolicyVersion", {"PolicyVersion": {"Document": values.get("policy")}}, arn)
        elif kind == "aws_iam_account_password_policy":
            policy = {
                "MinimumPasswordLength": values.get("minimum_password_length", 6),
                "RequireSymbols": values.get("require_symbols"),
                "RequireNumbers": values.get("require_numbers"),
                "RequireUppercaseCharacters": values.get("require_uppercase_characters"),
                "RequireLowercaseCharacters": values.get("require_lowercase_characters"),
                "MaxPasswordAge": values.get("max_password_age"),
                "PasswordReusePrevention": values.get("password_reuse_prevention"),
            }
            exports.slot(acct, reg, "iam").add(
                "GetAccountPasswordPolicy", Response(200, {"PasswordPolicy": policy}, path)
            )
        elif kind == "aws_iot_policy":
            name = str(values.get("name") or item.get("name"))
            iot = exports.slot(acct, reg, "iot")
            iot.extend_list("ListPolicies", "policies", [{"policyName": name}])
            answer("iot", "GetPolicy", {"policyName": name, "policyDocument": values.get("policy")}, name)
        elif kind == "aws_iot_role_alias":
            alias = str(values.get("alias") or item.get("name"))
            exports.slot(acct, reg, "iot").extend_list("ListRoleAliases", "roleAliases", [alias])
            answer(
                "iot",
                "DescribeRoleAlias",
                {
                    "roleAliasDescription": {
                        "roleAlias": alias,
                        "roleArn": values.get("role_arn"),
                        "credentialDurationSeconds": values.get("credential_duration", 3600),
                    }
                },
                alias,
            )
        elif kind == "aws_iot_thing":
            exports.slot(acct, reg, "iot").extend_list(
                "ListThings",
                "things",
                [{"thingName": values.get("name") or item.get("name"), "thingTypeName": values.get("thing_type_name")}],
            )
        elif kind.startswith("aws_"):
            exports.generic.append(
                (
                    acct,
                    reg,
                    {
                        "arn": values.get("arn") or "",
                        "resource_type": f"terraform:{kind}",
                        "resource_id": ident,
                        "name": values.get("name") or item.get("name") or ident,
                        "tags": values.get("tags") or {},
                    },
                )
            )
    for bucket in buckets:
        empty: dict[str, Any] = {}
        for operation in ("GetBucketLogging", "GetBucketVersioning"):
            body = dict(empty)
            if (operation, bucket) not in s3.keyed:
                answer("s3", operation, body, bucket)
    exports.files.append(path)
    return len(plan.items)


def _bucket_policy(exports: ExportSet, account: str, region: str, path: str, bucket: str, policy: Any) -> None:
    slot = exports.slot(account, region, "s3")
    if isinstance(policy, str) and policy.strip():
        slot.add("GetBucketPolicy", Response(200, {"Policy": policy}, path), key=bucket)
    elif isinstance(policy, Mapping):
        slot.add("GetBucketPolicy", Response(200, {"Policy": json.dumps(policy)}, path), key=bucket)
    else:
        slot.add("GetBucketPolicy", Response(404, {"Error": {"Code": "NoSuchBucketPolicy"}}, path), key=bucket)


def _bucket_encryption(
    exports: ExportSet, account: str, region: str, path: str, bucket: str, configuration: Any
) -> None:
    rules = []
    for block in _listed(configuration):
        for rule in _listed((block or {}).get("rule")):
            default = _first((rule or {}).get("apply_server_side_encryption_by_default"))
            if default.get("sse_algorithm"):
                rules.append({"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": default["sse_algorithm"]}})
    exports.slot(account, region, "s3").add(
        "GetBucketEncryption", Response(200, {"ServerSideEncryptionConfiguration": {"Rules": rules}}, path), key=bucket
    )


def _vpn(plan: _Plan, item: Mapping[str, Any], ident: str) -> dict[str, Any]:
    values: Mapping[str, Any] = item.get("values") or {}
    tunnels = []
    for n in (1, 2):

        def listed(name: str, n: int = n) -> list[dict[str, Any]]:
            return [{"Value": v} for v in _listed(values.get(f"tunnel{n}_{name}"))]

        log = _first(values.get(f"tunnel{n}_log_options"))
        tunnels.append(
            {
                "OutsideIpAddress": values.get(f"tunnel{n}_address"),
                "IkeVersions": listed("ike_versions"),
                "Phase1EncryptionAlgorithms": listed("phase1_encryption_algorithms"),
                "Phase1IntegrityAlgorithms": listed("phase1_integrity_algorithms"),
                "Phase1DHGroupNumbers": listed("phase1_dh_group_numbers"),
                "Phase2EncryptionAlgorithms": listed("phase2_encryption_algorithms"),
                "Phase2IntegrityAlgorithms": listed("phase2_integrity_algorithms"),
                "Phase2DHGroupNumbers": listed("phase2_dh_group_numbers"),
                "StartupAction": values.get(f"tunnel{n}_startup_action"),
                "LogOptions": {
                    "CloudWatchLogOptions": {
                        "LogEnabled": bool(_first(log.get("cloudwatch_log_options")).get("log_enabled"))
                    }
                },
            }
        )
    return {
        "VpnConnectionId": ident,
        "CustomerGatewayId": plan.ref(item, "customer_gateway_id"),
        "VpnGatewayId": plan.ref(item, "vpn_gateway_id"),
        "TransitGatewayId": plan.ref(item, "transit_gateway_id"),
        "State": "pending",
        "Options": {"StaticRoutesOnly": values.get("static_routes_only"), "TunnelOptions": tunnels},
        "Tags": _tags(values),
    }
