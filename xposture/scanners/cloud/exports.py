"""Offline AWS exports loaded into per-(account, region, service) recordings.

Formats: placebo recordings (``<service>.<Operation>_<n>.json``, as
cloud-custodian and our own ``record_dir`` write them), ``aws ...
describe-*``/``list-*``/``get-*`` outputs, AWS Config configuration items
and snapshots, Terraform plan and state JSON. Everything becomes answers to
the boto3 calls the collector makes, so exports and live scans share one path.
"""

from __future__ import annotations

import json
import re
from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from xposture.errors import InputError
from xposture.scanners.cloud.replay import PLACEBO_NAME, Recordings, Response, from_placebo

MANIFEST = "xposture-aws-export.json"
GLOBAL = ""
"""Region slot of global services (IAM, S3 listing, S3 Control)."""
GLOBAL_CLIENTS = {"iam", "s3", "s3control", "sts"}
ARN = re.compile(r"arn:aws[a-z-]*:[a-z0-9-]+:([a-z]{2}(?:-[a-z]+)+-\d)?:(\d{12})?:")

CLI_SHAPES: dict[str, tuple[str, str]] = {
    "SecurityGroups": ("ec2", "DescribeSecurityGroups"),
    "Reservations": ("ec2", "DescribeInstances"),
    "Volumes": ("ec2", "DescribeVolumes"),
    "Vpcs": ("ec2", "DescribeVpcs"),
    "FlowLogs": ("ec2", "DescribeFlowLogs"),
    "VpnConnections": ("ec2", "DescribeVpnConnections"),
    "CustomerGateways": ("ec2", "DescribeCustomerGateways"),
    "EbsEncryptionByDefault": ("ec2", "GetEbsEncryptionByDefault"),
    "DBInstances": ("rds", "DescribeDBInstances"),
    "DBClusters": ("rds", "DescribeDBClusters"),
    "trailList": ("cloudtrail", "DescribeTrails"),
    "Buckets": ("s3", "ListBuckets"),
    "Users": ("iam", "ListUsers"),
    "Policies": ("iam", "ListPolicies"),
    "PasswordPolicy": ("iam", "GetAccountPasswordPolicy"),
    "SummaryMap": ("iam", "GetAccountSummary"),
    "ReportFormat": ("iam", "GetCredentialReport"),
    "Keys": ("kms", "ListKeys"),
    "KeyMetadata": ("kms", "DescribeKey"),
    "policies": ("iot", "ListPolicies"),
    "certificates": ("iot", "ListCertificates"),
    "things": ("iot", "ListThings"),
    "roleAliases": ("iot", "ListRoleAliases"),
    "coreDevices": ("greengrassv2", "ListCoreDevices"),
    "gatewaySummaries": ("iotsitewise", "ListGateways"),
}


@dataclass
class ExportSet:
    """Everything loaded from the paths of one ``aws_offline`` source."""

    recordings: dict[tuple[str, str], dict[str, Recordings]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(Recordings))
    )
    generic: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)
    """(account, region, resource) for resources no specific reader knows: still inventoried."""
    files: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)

    def slot(self, account: str, region: str, service: str) -> Recordings:
        return self.recordings[(account, GLOBAL if service in GLOBAL_CLIENTS else region)][service]

    def accounts(self) -> list[str]:
        return sorted({account for account, _ in self.recordings} | {a for a, _, _ in self.generic})

    def regions(self, account: str) -> list[str]:
        return sorted({region for acct, region in self.recordings if acct == account and region != GLOBAL})

    def services(self, account: str) -> set[str]:
        return {svc for (acct, _), per in self.recordings.items() if acct == account for svc, rec in per.items() if rec}


def read_json(path: Path) -> Any:
    """Load one JSON file; a broken one is an InputError naming the file and the byte offset."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror or exc}", file=str(path)) from exc
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"not UTF-8 text: {exc.reason}", file=str(path), offset=exc.start) from exc
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        offset = len(text[: exc.pos].encode("utf-8"))
        raise InputError(f"invalid JSON: {exc.msg}", file=str(path), line=exc.lineno, offset=offset) from exc
    except RecursionError as exc:
        raise InputError("JSON nested too deeply", file=str(path)) from exc


def guess_place(document: Any, account: str, region: str) -> tuple[str, str]:
    """Account and region from the ARNs inside a document, when the source does not say them."""
    if account and region:
        return account, region
    text = json.dumps(document, default=str)[:2_000_000]
    accounts: Counter[str] = Counter()
    regions: Counter[str] = Counter()
    for match in ARN.finditer(text):
        if match.group(2):
            accounts[match.group(2)] += 1
        if match.group(1):
            regions[match.group(1)] += 1
    for owner in re.findall(r'"OwnerId": "(\d{12})"', text):
        accounts[owner] += 1
    return (
        account or (accounts.most_common(1)[0][0] if accounts else ""),
        region or (regions.most_common(1)[0][0] if regions else ""),
    )


def add_placebo_folder(exports: ExportSet, folder: Path, files: list[Path], account: str, region: str) -> None:
    """Placebo recordings of one folder: ordered per operation by their ``_n`` suffix."""
    named = []
    for path in files:
        match = PLACEBO_NAME.match(path.name)
        if match:
            named.append((match.group("service"), match.group("operation"), int(match.group("n")), path))
    documents = {path: read_json(path) for *_, path in named}
    for manifest in (folder / MANIFEST, folder.parent / MANIFEST):
        if not account and manifest.exists():
            meta = read_json(manifest)
            if isinstance(meta, Mapping):
                account = str(meta.get("account_id", ""))
    folder_region = folder.name if re.fullmatch(r"[a-z]{2}(-[a-z]+)+-\d", folder.name) else ""
    place_account, place_region = guess_place(list(documents.values()), account, region or folder_region)
    for service, operation, _, path in sorted(named, key=lambda item: (item[0], item[1], item[2])):
        document = documents[path]
        if not isinstance(document, Mapping) or "data" not in document:
            raise InputError("placebo recording without 'data'", file=str(path))
        status = document.get("status_code", 200)
        if not isinstance(status, int) or isinstance(status, bool):
            raise InputError("placebo 'status_code' must be an integer", file=str(path))
        data = from_placebo(document.get("data") or {})
        if not isinstance(data, dict):
            raise InputError("placebo 'data' must be an object", file=str(path))
        key = document.get("xposture_key")
        response = Response(status, data, str(path))
        exports.slot(place_account, place_region, service).add(
            operation, response, key if isinstance(key, str) else None
        )
        exports.files.append(str(path))


def add_cli_output(exports: ExportSet, path: Path, document: Mapping[str, Any], account: str, region: str) -> bool:
    """An ``aws`` CLI JSON output, recognised by its top-level key; False when it is not one."""
    for key, (service, operation) in CLI_SHAPES.items():
        if key in document:
            acct, reg = guess_place(document, account, region)
            exports.slot(acct, reg, service).add(operation, Response(200, from_placebo(dict(document)), str(path)))
            exports.files.append(str(path))
            return True
    return False
