"""The ``aws_offline`` scanner: the same inventory and posture records from exports, for air-gapped plants.

Reads placebo recordings (ours from ``aws`` ``record_dir``, or
cloud-custodian's), ``aws`` CLI describe/list/get outputs, AWS Config items
and snapshots, and Terraform plan/state JSON, then runs the live collector
over them (:mod:`.replay`), so both paths yield identical records.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, ClassVar

from xposture.errors import InputError, ScannerError
from xposture.model import Layer, Record
from xposture.scanners.base import OptionType, ScanContext, SourceConfig
from xposture.scanners.cloud.collect import ALL_SERVICES, Collector
from xposture.scanners.cloud.common import Where, resource_record, tag_map
from xposture.scanners.cloud.config_items import add_config, is_config
from xposture.scanners.cloud.exports import GLOBAL, MANIFEST, ExportSet, add_cli_output, add_placebo_folder, read_json
from xposture.scanners.cloud.replay import PLACEBO_NAME, ReplayClient
from xposture.scanners.cloud.terraform import add_terraform, is_terraform

ENTRY_OPERATIONS: dict[str, tuple[tuple[str, str], ...]] = {
    "iam": (
        ("iam", "GetCredentialReport"),
        ("iam", "ListUsers"),
        ("iam", "ListPolicies"),
        ("iam", "GetAccountPasswordPolicy"),
        ("iam", "GetAccountSummary"),
    ),
    "s3": (("s3", "ListBuckets"),),
    "ec2": (
        ("ec2", "DescribeSecurityGroups"),
        ("ec2", "DescribeInstances"),
        ("ec2", "DescribeVolumes"),
        ("ec2", "GetEbsEncryptionByDefault"),
    ),
    "vpc": (("ec2", "DescribeVpcs"), ("ec2", "DescribeVpnConnections")),
    "cloudtrail": (("cloudtrail", "DescribeTrails"),),
    "kms": (("kms", "ListKeys"),),
    "rds": (("rds", "DescribeDBInstances"), ("rds", "DescribeDBClusters")),
    "iot": (
        ("iot", "ListPolicies"),
        ("iot", "ListCertificates"),
        ("iot", "ListThings"),
        ("iot", "ListRoleAliases"),
        ("iot", "ListCACertificates"),
    ),
    "greengrass": (("greengrassv2", "ListCoreDevices"),),
    "sitewise": (("iotsitewise", "ListGateways"),),
}
SUFFIXES = (".json",)


class AwsOfflineScanner:
    """AWS inventory and posture from exports: no network, same records as ``aws``."""

    name: ClassVar[str] = "aws_offline"
    layer: ClassVar[Layer] = Layer.CLOUD
    options: ClassVar[Mapping[str, OptionType]] = {"paths": list, "account_id": str, "region": str, "services": list}
    required: ClassVar[tuple[str, ...]] = ("paths",)

    def scan(self, source: SourceConfig, ctx: ScanContext) -> Iterator[Record]:
        account = str(source.options.get("account_id", ""))
        region = str(source.options.get("region", ""))
        wanted = tuple(str(s) for s in source.options.get("services", ALL_SERVICES))
        exports = ExportSet()
        errors: list[InputError] = []
        for path in source.path_list():
            if not path.exists():
                errors.append(InputError("no such file or folder", file=str(path)))
                ctx.report(self.name, str(path), "failed", "no such file or folder", site=source.site)
                continue
            for folder, placebo, others in _walk(path):
                if placebo:
                    try:
                        add_placebo_folder(exports, folder, placebo, account, region)
                    except InputError as exc:
                        errors.append(exc)
                        ctx.report(self.name, str(folder), "failed", str(exc), site=source.site)
                for file in others:
                    try:
                        if not self._safe_document(exports, file, account, region, explicit=file == path):
                            ctx.report(self.name, str(file), "skipped", "not a recognised AWS export", site=source.site)
                    except InputError as exc:
                        errors.append(exc)
                        ctx.report(self.name, str(file), "failed", exc.message, site=source.site)
        malformed: list[InputError] = []
        for acct in exports.accounts():
            yield from self._account(exports, acct, region, wanted, source, ctx, malformed)
        errors.extend(malformed)
        if errors:
            raise errors[0]
        if not exports.files:
            raise ScannerError(
                "no AWS export found in the given paths",
                scanner=self.name,
                target=", ".join(map(str, source.path_list())),
            )

    def _safe_document(self, exports: ExportSet, path: Path, account: str, region: str, *, explicit: bool) -> bool:
        """Load one file; shapes nobody writes (a list where AWS has an object) are InputErrors, not crashes."""
        try:
            return self._document(exports, path, account, region, explicit=explicit)
        except (TypeError, KeyError, AttributeError, ValueError, IndexError) as exc:
            raise InputError(f"malformed export: {type(exc).__name__}: {exc}"[:300], file=str(path)) from exc

    def _document(self, exports: ExportSet, path: Path, account: str, region: str, *, explicit: bool) -> bool:
        if path.name == MANIFEST:
            return True
        document = read_json(path)
        if is_terraform(document):
            add_terraform(
                exports, str(path), document, path.read_text(encoding="utf-8", errors="replace"), account, region
            )
            return True
        if is_config(document):
            add_config(exports, str(path), document, account, region)
            return True
        if isinstance(document, Mapping) and add_cli_output(exports, path, document, account, region):
            return True
        if explicit:
            raise InputError(
                "not a recognised AWS export (expected placebo recordings, aws CLI output, AWS Config items or Terraform JSON)",
                file=str(path),
            )
        return False

    def _account(
        self,
        exports: ExportSet,
        account: str,
        region: str,
        wanted: tuple[str, ...],
        source: SourceConfig,
        ctx: ScanContext,
        malformed: list[InputError],
    ) -> Iterator[Record]:
        regions = exports.regions(account)
        home = region or (regions[0] if regions else "")
        present = exports.services(account)
        services = tuple(
            s
            for s in wanted
            if any(
                op in rec.ordered or any(k[0] == op for k in rec.keyed)
                for (acct, _), per in exports.recordings.items()
                if acct == account
                for client, op in ENTRY_OPERATIONS.get(s, ())
                if client in present and (rec := per.get(client)) is not None
            )
        )

        def client(service: str, reg: str) -> Any:
            slot = exports.recordings.get(
                (account, GLOBAL if service in ("iam", "s3", "s3control", "sts") else reg), {}
            )
            return ReplayClient(service, slot.get(service))

        clients: dict[tuple[str, str], Any] = {}

        def cached(service: str, reg: str) -> Any:
            if (service, reg) not in clients:
                clients[(service, reg)] = client(service, reg)
            return clients[(service, reg)]

        label = account or "unknown-account"

        def report(service: str, reg: str, status: str, detail: str, records: int) -> None:
            ctx.report(
                self.name, f"{label}/{reg or 'global'}/{service}", status, detail, records=records, site=source.site
            )

        where = Where(scanner=self.name, account_id=account, region=home, file=_evidence(exports))
        collector = Collector(
            clients=cached,
            where=where,
            regions=regions or ([home] if home or not services else [""]),
            services=services,
            report=report,
            cancelled=ctx.cancelled,
            global_region=home,
            tolerate_malformed=True,
        )
        try:
            yield from collector.run()
        except (TypeError, KeyError, AttributeError, ValueError, IndexError) as exc:
            collector.malformed.append(f"malformed account data in the export: {type(exc).__name__}: {exc}")
        if collector.malformed:
            malformed.append(InputError(collector.malformed[0], file=where.file or ", ".join(exports.files[:3])))
        for acct, reg, resource in exports.generic:
            if acct != account:
                continue
            here = where.at(region=reg)
            arn = str(resource.get("arn") or f"{resource['resource_type']}:{resource['resource_id']}")
            yield resource_record(
                "cloud_resource",
                here,
                arn=arn,
                key="resource",
                service=str(resource["resource_type"]).split("::")[1].lower()
                if "::" in str(resource["resource_type"])
                else "terraform",
                resource_type=str(resource["resource_type"]),
                resource_id=str(resource["resource_id"]),
                name=str(resource.get("name") or ""),
                tags=tag_map(resource.get("tags")),
            )


def _walk(path: Path) -> Iterator[tuple[Path, list[Path], list[Path]]]:
    """(folder, placebo files, other JSON files) per folder below ``path`` (or for the one file it names)."""
    if path.is_file():
        if PLACEBO_NAME.match(path.name):
            yield path.parent, [path], []
        else:
            yield path.parent, [], [path]
        return
    folders: dict[Path, tuple[list[Path], list[Path]]] = {}
    for file in sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in SUFFIXES):
        placebo, others = folders.setdefault(file.parent, ([], []))
        (placebo if PLACEBO_NAME.match(file.name) else others).append(file)
    for folder, (placebo, others) in sorted(folders.items()):
        yield folder, placebo, others


def _evidence(exports: ExportSet) -> str | None:
    if len(exports.files) == 1:
        return exports.files[0]
    parents = {str(Path(f).parent) for f in exports.files}
    return parents.pop() if len(parents) == 1 else None
