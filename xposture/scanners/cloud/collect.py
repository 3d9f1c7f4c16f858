"""Read one AWS account, service by service and region by region, into records.

The collector only knows boto3 client calls; whether a client talks to AWS,
to moto, or replays an export (:mod:`.replay`) is the caller's choice. That
is what makes the live and offline paths produce the same records.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from xposture.model import FieldValue, Record
from xposture.scanners.cloud import norm_data, norm_identity, norm_iot, norm_network, norm_vpn
from xposture.scanners.cloud.calls import ServiceFailed, ServiceRun, Unread
from xposture.scanners.cloud.common import Where
from xposture.scanners.cloud.policy import PolicyFacts, analyse

ClientFactory = Callable[[str, str], Any]
"""``(service, region) -> boto3-like client``."""
Reporter = Callable[[str, str, str, str, int], None]
"""``(service, region, status, detail, records)``."""

GLOBAL_SERVICES = ("iam", "s3")
REGIONAL_SERVICES = ("ec2", "vpc", "cloudtrail", "kms", "rds", "iot", "greengrass", "sitewise")
ALL_SERVICES = GLOBAL_SERVICES + REGIONAL_SERVICES
BUCKET_FACTS: tuple[tuple[str, str, frozenset[str], str], ...] = (
    ("grants", "get_bucket_acl", frozenset(), "Grants"),
    ("policy", "get_bucket_policy", frozenset({"NoSuchBucketPolicy"}), "Policy"),
    (
        "public_access_block",
        "get_public_access_block",
        frozenset({"NoSuchPublicAccessBlockConfiguration"}),
        "PublicAccessBlockConfiguration",
    ),
    (
        "encryption_rules",
        "get_bucket_encryption",
        frozenset({"ServerSideEncryptionConfigurationNotFoundError"}),
        "ServerSideEncryptionConfiguration.Rules",
    ),
    ("versioning", "get_bucket_versioning", frozenset(), ""),
    ("logging", "get_bucket_logging", frozenset(), "LoggingEnabled"),
    ("tags", "get_bucket_tagging", frozenset({"NoSuchTagSet"}), "TagSet"),
)
"""(fact, call, error codes meaning 'none set', dotted key of the answer; empty = the whole answer)."""


def _pick(answer: Any, key: str) -> Any:
    for part in key.split(".") if key else []:
        answer = answer.get(part) if isinstance(answer, dict) else None
    return answer


@dataclass
class Collector:
    """Collect every requested service of one account; gaps go to ``report``, never into silence."""

    clients: ClientFactory
    where: Where
    regions: list[str]
    services: tuple[str, ...] = ALL_SERVICES
    report: Reporter = lambda *args: None
    cancelled: Callable[[], bool] = lambda: False
    global_region: str = ""
    workers: int = 1
    """Per-resource detail calls run on this many threads (boto3 clients are thread-safe; replay is ordered: 1)."""
    tolerate_malformed: bool = False
    """Exports are untrusted: a malformed answer fails its service (``malformed`` lists them) instead of the scan."""
    malformed: list[str] = field(default_factory=list)
    account_facts: dict[str, Any] = field(default_factory=dict)
    trails: dict[str, tuple[bool, bool | None]] = field(default_factory=dict)
    """Trail ARN -> (multi-region, logging); shadow copies seen in other regions are read once."""
    trails_read: bool = False

    def run(self) -> Iterator[Record]:
        home = self.global_region or (self.regions[0] if self.regions else "us-east-1")
        for service in GLOBAL_SERVICES:
            if service in self.services and not self.cancelled():
                yield from self._guarded(service, home, getattr(self, f"_{service}"))
        for region in self.regions:
            region_facts: dict[str, FieldValue] = {}
            for service in REGIONAL_SERVICES:
                if service in self.services and not self.cancelled():
                    yield from self._guarded(
                        service, region, partial(getattr(self, f"_{service}"), region=region, region_facts=region_facts)
                    )
            yield from norm_iot.region_records(region_facts, self.where.at(region=region))
        if "iam" in self.services and self.account_facts.get("iam_read"):
            if self.trails_read:
                # no trail at all is "not logging"; a trail whose status could not be read is given the benefit of the doubt
                self.account_facts["trails_multi_region_logging"] = any(
                    multi and logging is not False for multi, logging in self.trails.values()
                )
            yield from norm_identity.account_records(
                self.where,
                root_row=self.account_facts.get("root_row"),
                summary=self.account_facts.get("summary"),
                password_policy=self.account_facts.get("password_policy", False),
                s3_public_access_block=self.account_facts.get("s3_account_block", False),
                trails_multi_region_logging=self.account_facts.get("trails_multi_region_logging"),
            )

    def _guarded(self, service: str, region: str, body: Callable[..., Iterator[Record]]) -> Iterator[Record]:
        run = ServiceRun(service, region)
        try:
            for record in body(run):
                run.records += 1
                yield record
        except (TypeError, KeyError, AttributeError, ValueError, IndexError) as exc:
            if not self.tolerate_malformed:
                raise
            detail = f"malformed {service} data in the export: {type(exc).__name__}: {exc}"[:300]
            self.malformed.append(detail)
            self.report(service, region, "failed", detail, run.records)
            return
        except ServiceFailed as exc:
            status = "partial" if run.records else exc.status
            self.report(
                service,
                region,
                status,
                "; ".join([exc.detail, *(f"{k}: {v}" for k, v in run.gaps.items())]),
                run.records,
            )
            return
        status, detail = run.status()
        self.report(service, region, status, detail, run.records)

    def _each(self, items: Iterable[Any], detail: Callable[[Any], list[Record]]) -> Iterator[Record]:
        """Records of ``detail(item)`` for every item, in item order, fetched on ``workers`` threads."""
        if self.workers <= 1:
            for item in items:
                if self.cancelled():
                    return
                yield from detail(item)
            return
        with ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="xposture-aws") as pool:
            for records in pool.map(detail, items):
                yield from records

    def _client(self, service: str, region: str) -> Any:
        return self.clients(service, region)

    # -- global services -------------------------------------------------

    def _iam(self, run: ServiceRun) -> Iterator[Record]:
        iam = self._client("iam", run.region)
        where = self.where.at(region="")
        rows = self._credential_report(run, iam)
        if rows is None:
            rows = self._users_without_report(run, iam)
        for row in rows:
            if row.get("user") == norm_identity.ROOT_ROW:
                self.account_facts["root_row"] = row
            else:
                yield from norm_identity.user_records(row, where)
        if "root_row" not in self.account_facts:
            try:
                summary = run.call(iam, "get_account_summary")
                self.account_facts["summary"] = (summary or {}).get("SummaryMap", {})
            except Unread:
                pass
        try:
            policy = run.call(iam, "get_account_password_policy", absent={"NoSuchEntity"})
            self.account_facts["password_policy"] = (policy or {}).get("PasswordPolicy")
        except Unread:
            pass
        for policy in run.maybe_pages(iam, "list_policies", "Policies", Scope="Local") or []:
            document: Any = None
            try:
                version = run.call(
                    iam, "get_policy_version", PolicyArn=policy["Arn"], VersionId=policy.get("DefaultVersionId", "v1")
                )
                document = (version or {}).get("PolicyVersion", {}).get("Document")
            except Unread:
                continue
            yield from norm_identity.policy_records(policy, document, where)

        def inline_policies(row: dict[str, str]) -> list[Record]:
            name = row.get("user", "")
            found: list[Record] = []
            for policy_name in run.maybe_pages(iam, "list_user_policies", "PolicyNames", UserName=name) or []:
                try:
                    inline = run.call(iam, "get_user_policy", UserName=name, PolicyName=policy_name)
                except Unread:
                    continue
                found += norm_identity.policy_records(
                    {"PolicyName": policy_name},
                    (inline or {}).get("PolicyDocument"),
                    where,
                    kind="inline",
                    attached_to=f"user/{name}",
                    api="iam:GetUserPolicy",
                )
            return found

        yield from self._each([r for r in rows if r.get("user") != norm_identity.ROOT_ROW], inline_policies)
        self.account_facts["iam_read"] = True

    def _credential_report(self, run: ServiceRun, iam: Any) -> list[dict[str, str]] | None:
        for _ in range(10):
            try:
                state = run.call(iam, "generate_credential_report")
            except Unread:
                run.gaps.pop("generate_credential_report", None)
                break
            if (state or {}).get("State") == "COMPLETE":
                break
            time.sleep(1)
        try:
            report = run.call(iam, "get_credential_report")
        except Unread:
            return None
        rows = norm_identity.parse_credential_report((report or {}).get("Content"))
        return rows or None

    def _users_without_report(self, run: ServiceRun, iam: Any) -> list[dict[str, str]]:
        """Credential-report rows rebuilt from ListUsers, ListMFADevices and ListAccessKeys."""
        rows = []
        for user in run.maybe_pages(iam, "list_users", "Users") or []:
            name = user["UserName"]
            row = {"user": name, "arn": user.get("Arn", ""), "user_creation_time": str(user.get("CreateDate", ""))}
            if user.get("PasswordLastUsed"):
                row["password_last_used"] = str(user["PasswordLastUsed"])
            try:
                profile = run.call(iam, "get_login_profile", absent={"NoSuchEntity"}, UserName=name)
                row["password_enabled"] = "true" if profile else "false"
            except Unread:
                pass
            devices = run.maybe_pages(iam, "list_mfa_devices", "MFADevices", UserName=name)
            if devices is not None:
                row["mfa_active"] = "true" if devices else "false"
            keys = run.maybe_pages(iam, "list_access_keys", "AccessKeyMetadata", UserName=name)
            if keys is not None:
                row["access_key_1_active"] = row["access_key_2_active"] = "false"
                for n, key in enumerate(keys[:2], start=1):
                    row[f"access_key_{n}_active"] = "true" if key.get("Status") == "Active" else "false"
                    row[f"access_key_{n}_last_rotated"] = str(key.get("CreateDate", ""))
            rows.append(row)
        return rows

    def _s3(self, run: ServiceRun) -> Iterator[Record]:
        s3 = self._client("s3", run.region)
        account_block: dict[str, Any] | None = None
        account_block_read = False
        if self.where.account_id:
            try:
                control = self._client("s3control", run.region)
                answer = run.call(
                    control,
                    "get_public_access_block",
                    absent={"NoSuchPublicAccessBlockConfiguration"},
                    AccountId=self.where.account_id,
                )
                account_block = (answer or {}).get("PublicAccessBlockConfiguration")
                account_block_read = True
                self.account_facts["s3_account_block"] = account_block
            except Unread:
                pass

        def bucket(entry: Any) -> list[Record]:
            name = entry["Name"]
            facts: dict[str, Any] = {}
            if account_block_read:
                facts["account_public_access_block"] = account_block
            region = run.region
            try:
                location = run.call(s3, "get_bucket_location", Bucket=name)
                region = (location or {}).get("LocationConstraint") or "us-east-1"
                if region == "EU":
                    region = "eu-west-1"
            except Unread:
                run.gaps.pop("get_bucket_location", None)
            for fact, operation, absent, key in BUCKET_FACTS:
                try:
                    answer = run.call(s3, operation, absent=absent, Bucket=name)
                except Unread:
                    if fact == "tags":
                        run.gaps.pop(operation, None)
                    continue
                facts[fact] = _pick(answer, key) if answer is not None else None
            return list(norm_data.bucket_records(name, facts, self.where.at(region=region)))

        yield from self._each(run.pages(s3, "list_buckets", "Buckets"), bucket)

    # -- regional services ------------------------------------------------

    def _ec2(self, run: ServiceRun, region: str, region_facts: dict[str, FieldValue]) -> Iterator[Record]:
        ec2 = self._client("ec2", region)
        where = self.where.at(region=region)
        for group in run.maybe_pages(ec2, "describe_security_groups", "SecurityGroups") or []:
            yield from norm_network.security_group_records(group, where)
        for reservation in run.maybe_pages(ec2, "describe_instances", "Reservations") or []:
            for instance in reservation.get("Instances", []) or []:
                yield from norm_network.instance_records(instance, where)
        for volume in run.maybe_pages(ec2, "describe_volumes", "Volumes") or []:
            yield from norm_network.volume_records(volume, where)
        try:
            default = run.call(ec2, "get_ebs_encryption_by_default")
            region_facts["region.ebs_encryption_by_default"] = bool((default or {}).get("EbsEncryptionByDefault"))
        except Unread:
            pass

    def _vpc(self, run: ServiceRun, region: str, region_facts: dict[str, FieldValue]) -> Iterator[Record]:
        ec2 = self._client("ec2", region)
        where = self.where.at(region=region)
        vpcs = run.maybe_pages(ec2, "describe_vpcs", "Vpcs") or []
        flow_logs = run.maybe_pages(ec2, "describe_flow_logs", "FlowLogs")
        for vpc in vpcs:
            yield from norm_network.vpc_records(vpc, flow_logs, where)
        connections = run.maybe_pages(ec2, "describe_vpn_connections", "VpnConnections") or []
        if connections:
            gateways = {
                g["CustomerGatewayId"]: g
                for g in run.maybe_pages(ec2, "describe_customer_gateways", "CustomerGateways") or []
            }
            for connection in connections:
                if connection.get("State") != "deleted":
                    yield from norm_vpn.vpn_connection_records(connection, where, gateways)

    def _cloudtrail(self, run: ServiceRun, region: str, region_facts: dict[str, FieldValue]) -> Iterator[Record]:
        trail_client = self._client("cloudtrail", region)
        where = self.where.at(region=region)
        for trail in self._list(run, trail_client, "describe_trails", "trailList"):
            arn = str(trail.get("TrailARN") or trail.get("Name"))
            home = str(trail.get("HomeRegion") or region)
            if arn in self.trails or (home != region and home in self.regions):
                continue  # a shadow of a trail read (or to be read) in its home region
            status: dict[str, Any] | None = None
            try:
                status = run.call(trail_client, "get_trail_status", Name=arn)
            except Unread:
                status = None
            self.trails[arn] = (
                bool(trail.get("IsMultiRegionTrail")),
                None if status is None else bool(status.get("IsLogging")),
            )
            yield from norm_data.trail_records(trail, status, where)
        self.trails_read = True

    def _list(self, run: ServiceRun, client: Any, operation: str, key: str, **params: Any) -> list[Any]:
        """A non-paginated listing call whose failure fails the service."""
        return list(run.pages(client, operation, key, **params))

    def _kms(self, run: ServiceRun, region: str, region_facts: dict[str, FieldValue]) -> Iterator[Record]:
        kms = self._client("kms", region)
        where = self.where.at(region=region)
        for key in run.pages(kms, "list_keys", "Keys"):
            metadata: dict[str, Any] = {"KeyId": key.get("KeyId"), "Arn": key.get("KeyArn")}
            with contextlib.suppress(Unread):
                metadata = (run.call(kms, "describe_key", KeyId=key["KeyId"]) or {}).get("KeyMetadata", metadata)
            rotation: bool | None = None
            if metadata.get("KeyManager") == "CUSTOMER" and metadata.get("KeyState") == "Enabled":
                try:
                    answer = run.call(kms, "get_key_rotation_status", KeyId=key["KeyId"])
                    rotation = bool((answer or {}).get("KeyRotationEnabled"))
                except Unread:
                    rotation = None
            yield from norm_data.kms_key_records(metadata, rotation, where)

    def _rds(self, run: ServiceRun, region: str, region_facts: dict[str, FieldValue]) -> Iterator[Record]:
        rds = self._client("rds", region)
        where = self.where.at(region=region)
        for db in run.maybe_pages(rds, "describe_db_instances", "DBInstances") or []:
            yield from norm_data.rds_records(db, where)
        for cluster in run.maybe_pages(rds, "describe_db_clusters", "DBClusters") or []:
            yield from norm_data.rds_records(cluster, where, api="rds:DescribeDBClusters")

    def _iot(self, run: ServiceRun, region: str, region_facts: dict[str, FieldValue]) -> Iterator[Record]:
        iot = self._client("iot", region)
        where = self.where.at(region=region)

        def iot_policy(policy: Any) -> list[Record]:
            name = policy["policyName"]
            try:
                detail = run.call(iot, "get_policy", policyName=name) or {}
            except Unread:
                return []
            targets = run.maybe_pages(iot, "list_targets_for_policy", "targets", policyName=name)
            merged = {**policy, **{k: v for k, v in detail.items() if k != "ResponseMetadata"}}
            count = None if targets is None else len(targets)
            return list(norm_iot.iot_policy_records(merged, detail.get("policyDocument"), count, where))

        yield from self._each(run.maybe_pages(iot, "list_policies", "policies") or [], iot_policy)
        ca_status: dict[str, str] = {}
        for ca in run.maybe_pages(iot, "list_ca_certificates", "certificates") or []:
            try:
                description = (run.call(iot, "describe_ca_certificate", certificateId=ca["certificateId"]) or {}).get(
                    "certificateDescription", ca
                )
            except Unread:
                description = ca
            ca_status[str(description.get("certificateId"))] = str(description.get("status", ""))
            yield from norm_iot.iot_certificate_records(description, where, ca=True, api="iot:DescribeCACertificate")

        def certificate(cert: Any) -> list[Record]:
            try:
                description = (run.call(iot, "describe_certificate", certificateId=cert["certificateId"]) or {}).get(
                    "certificateDescription", cert
                )
            except Unread:
                description = cert
            things = run.maybe_pages(iot, "list_principal_things", "things", principal=cert.get("certificateArn", ""))
            issuer = description.get("caCertificateId")
            return list(
                norm_iot.iot_certificate_records(
                    description,
                    where,
                    things=None if things is None else len(things),
                    ca_status=ca_status.get(str(issuer)) if issuer else None,
                )
            )

        yield from self._each(run.maybe_pages(iot, "list_certificates", "certificates") or [], certificate)
        for thing in run.maybe_pages(iot, "list_things", "things") or []:
            principals = run.maybe_pages(iot, "list_thing_principals", "principals", thingName=thing["thingName"])
            yield from norm_iot.iot_thing_records(thing, None if principals is None else len(principals), where)
        for alias_name in run.maybe_pages(iot, "list_role_aliases", "roleAliases") or []:
            try:
                alias = (run.call(iot, "describe_role_alias", roleAlias=alias_name) or {}).get(
                    "roleAliasDescription", {}
                )
            except Unread:
                alias = {"roleAlias": alias_name}
            yield from norm_iot.role_alias_records(alias, self._role_policy(run, alias.get("roleArn")), where)
        self._iot_logging(run, iot, region_facts)

    def _iot_logging(self, run: ServiceRun, iot: Any, region_facts: dict[str, FieldValue]) -> None:
        try:
            v2 = run.call(iot, "get_v2_logging_options", absent={"NotConfiguredException"})
        except Unread:
            run.gaps.pop("get_v2_logging_options", None)
            v2 = None
        if v2 and not v2.get("disableAllLogs", False) and v2.get("defaultLogLevel", "DISABLED") != "DISABLED":
            region_facts["region.iot_logging_enabled"] = True
            region_facts["region.iot_log_level"] = str(v2.get("defaultLogLevel"))
            return
        try:
            v1 = run.call(iot, "get_logging_options") or {}
        except Unread:
            if v2 is not None:
                region_facts["region.iot_logging_enabled"] = False
            return
        level = str(v1.get("logLevel") or "DISABLED")
        region_facts["region.iot_logging_enabled"] = bool(v1.get("roleArn")) and level != "DISABLED"
        region_facts["region.iot_log_level"] = level

    def _role_policy(self, run: ServiceRun, role_arn: Any) -> PolicyFacts | None:
        """Merged facts of every policy of the IAM role behind a role alias (None if not readable)."""
        if not isinstance(role_arn, str) or "/" not in role_arn:
            return None
        iam = self._client("iam", self.global_region or (self.regions[0] if self.regions else "us-east-1"))
        role = role_arn.rsplit("/", 1)[-1]
        merged = PolicyFacts()
        attached = run.maybe_pages(iam, "list_attached_role_policies", "AttachedPolicies", RoleName=role)
        inline = run.maybe_pages(iam, "list_role_policies", "PolicyNames", RoleName=role)
        if attached is None and inline is None:
            return None
        documents: list[Any] = []
        for item in attached or []:
            try:
                policy = (run.call(iam, "get_policy", PolicyArn=item["PolicyArn"]) or {}).get("Policy", {})
                version = run.call(
                    iam,
                    "get_policy_version",
                    PolicyArn=item["PolicyArn"],
                    VersionId=policy.get("DefaultVersionId", "v1"),
                )
                documents.append((version or {}).get("PolicyVersion", {}).get("Document"))
            except Unread:
                continue
        for name in inline or []:
            try:
                documents.append(
                    (run.call(iam, "get_role_policy", RoleName=role, PolicyName=name) or {}).get("PolicyDocument")
                )
            except Unread:
                continue
        for document in documents:
            facts = analyse(document)
            merged.admin |= facts.admin
            merged.wildcard_actions |= facts.wildcard_actions
            merged.wildcard_resources |= facts.wildcard_resources
            merged.actions.extend(a for a in facts.actions if a not in merged.actions)
        return merged

    def _greengrass(self, run: ServiceRun, region: str, region_facts: dict[str, FieldValue]) -> Iterator[Record]:
        client = self._client("greengrassv2", region)
        for core in run.pages(client, "list_core_devices", "coreDevices"):
            yield from norm_iot.greengrass_core_records(core, self.where.at(region=region))

    def _sitewise(self, run: ServiceRun, region: str, region_facts: dict[str, FieldValue]) -> Iterator[Record]:
        client = self._client("iotsitewise", region)
        where = self.where.at(region=region)
        try:
            encryption = run.call(client, "describe_default_encryption_configuration") or {}
            region_facts["region.sitewise_encryption_type"] = str(encryption.get("encryptionType", "")) or None
            region_facts["region.sitewise_kms"] = encryption.get("encryptionType") == "KMS_BASED_ENCRYPTION"
        except Unread:
            pass
        for summary in run.pages(client, "list_gateways", "gatewaySummaries"):
            gateway = summary
            with contextlib.suppress(Unread):
                gateway = {**summary, **(run.call(client, "describe_gateway", gatewayId=summary["gatewayId"]) or {})}
            yield from norm_iot.sitewise_gateway_records(gateway, where)
