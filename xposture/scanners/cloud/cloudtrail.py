"""The ``cloudtrail`` scanner: CloudTrail log files as ``aws_cloudtrail_event`` records.

Fields are CloudTrail's own keys flattened with dots (the records scanner's
``flatten``), so SigmaHQ's ``product: aws, service: cloudtrail`` rules run
unchanged. Accepts the files CloudTrail writes to S3 (``{"Records": [...]}``,
gzipped or not), JSON lines, ``aws cloudtrail lookup-events`` output and
EventBridge "AWS API Call via CloudTrail" events.
"""

from __future__ import annotations

import gzip
import json
import zlib
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, ClassVar

from xposture.errors import InputError
from xposture.model import Layer, Record, make_record
from xposture.scanners.base import OptionType, ScanContext, SourceConfig
from xposture.scanners.records import flatten

RECORD_TYPE = "aws_cloudtrail_event"
FIELDS = frozenset(
    {
        "eventTime",
        "eventVersion",
        "userIdentity",
        "eventSource",
        "eventName",
        "awsRegion",
        "sourceIPAddress",
        "userAgent",
        "errorCode",
        "errorMessage",
        "requestParameters",
        "responseElements",
        "additionalEventData",
        "requestID",
        "eventID",
        "eventType",
        "apiVersion",
        "managementEvent",
        "readOnly",
        "resources",
        "recipientAccountId",
        "serviceEventDetails",
        "sharedEventID",
        "vpcEndpointId",
        "vpcEndpointAccountId",
        "eventCategory",
        "addendum",
        "sessionCredentialFromConsole",
        "edgeDeviceDetails",
        "tlsDetails",
        "insightDetails",
    }
)
"""CloudTrail's record contents; keys shippers add (``@version``, ``@timestamp``) are not CloudTrail's and are dropped."""
MAX_BYTES = 1 << 30
SUFFIXES = (".json", ".jsonl", ".ndjson", ".gz")


def read_text(path: Path) -> str:
    """A log file's text, transparently gunzipped (CloudTrail delivers ``.json.gz``), size-capped."""
    try:
        with path.open("rb") as handle:
            head = handle.read(2)
            handle.seek(0)
            raw = (
                gzip.GzipFile(fileobj=handle).read(MAX_BYTES + 1) if head == b"\x1f\x8b" else handle.read(MAX_BYTES + 1)
            )
    except (OSError, EOFError, zlib.error, gzip.BadGzipFile) as exc:
        raise InputError(f"cannot read: {exc}", file=str(path)) from exc
    if len(raw) > MAX_BYTES:
        raise InputError("log file larger than 1 GiB", file=str(path))
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"not UTF-8 text: {exc.reason}", file=str(path), offset=exc.start) from exc


def events(path: Path) -> Iterator[tuple[int, Mapping[str, Any]]]:
    """(line, CloudTrail event) pairs from one file, whatever wrapper it uses."""
    text = read_text(path)
    stripped = text.strip()
    if not stripped:
        return
    try:
        document = json.loads(stripped)
    except json.JSONDecodeError:
        document = None
    except RecursionError as exc:
        raise InputError("JSON nested too deeply", file=str(path)) from exc
    if document is None:
        offset = 0
        for number, line in enumerate(text.splitlines(keepends=True), start=1):
            if line.strip():
                try:
                    item = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise InputError(
                        f"invalid JSON: {exc.msg}", file=str(path), line=number, offset=offset + exc.pos
                    ) from exc
                except RecursionError as exc:
                    raise InputError("JSON nested too deeply", file=str(path), line=number) from exc
                yield from ((number, e) for e in _unwrap(item, path, number))
            offset += len(line.encode("utf-8"))
        return
    yield from ((1, e) for e in _unwrap(document, path, 1))


def _unwrap(item: Any, path: Path, line: int) -> Iterator[Mapping[str, Any]]:
    if isinstance(item, list):
        for element in item:
            yield from _unwrap(element, path, line)
        return
    if not isinstance(item, Mapping):
        raise InputError("expected CloudTrail events (JSON objects)", file=str(path), line=line)
    if isinstance(item.get("Records"), list):
        yield from (e for e in item["Records"] if isinstance(e, Mapping))
    elif isinstance(item.get("Events"), list):
        for event in item["Events"]:
            embedded = event.get("CloudTrailEvent") if isinstance(event, Mapping) else None
            if isinstance(embedded, str):
                try:
                    loaded = json.loads(embedded)
                except json.JSONDecodeError as exc:
                    raise InputError(f"invalid CloudTrailEvent JSON: {exc.msg}", file=str(path), line=line) from exc
                if isinstance(loaded, Mapping):
                    yield loaded
    elif isinstance(item.get("detail"), Mapping) and "CloudTrail" in str(item.get("detail-type", "")):
        yield item["detail"]
    elif "eventName" in item or "eventSource" in item:
        yield item
    else:
        raise InputError("not a CloudTrail event (no eventName/eventSource)", file=str(path), line=line)


def event_record(event: Mapping[str, Any], *, scanner: str, file: str, line: int, index: int) -> Record:
    """One record per event: CloudTrail's keys flattened, plus the bookkeeping every record carries."""
    fields = flatten({k: v for k, v in event.items() if k in FIELDS})
    account = str(event.get("recipientAccountId") or (event.get("userIdentity") or {}).get("accountId") or "")
    fields["asset.kind"] = "cloud_account"
    fields["cloud.provider"] = "aws"
    if account:
        fields["cloud.account_id"] = account
    if event.get("awsRegion"):
        fields["cloud.region"] = str(event["awsRegion"])
    asset = f"arn:aws:iam::{account}:root" if account else "aws:unknown-account"
    return make_record(
        RECORD_TYPE,
        asset_id=asset,
        key=str(event.get("eventID") or f"{Path(file).name}:{line}:{index}"),
        layer=Layer.CLOUD,
        scanner=scanner,
        fields=fields,
        file=file,
        line=line,
    )


class CloudTrailScanner:
    """CloudTrail logs (files or folders, as delivered to S3) as event records for the Sigma AWS rules."""

    name: ClassVar[str] = "cloudtrail"
    layer: ClassVar[Layer] = Layer.CLOUD
    options: ClassVar[Mapping[str, OptionType]] = {"paths": list}
    required: ClassVar[tuple[str, ...]] = ("paths",)

    def scan(self, source: SourceConfig, ctx: ScanContext) -> Iterator[Record]:
        errors: list[InputError] = []
        for path in source.path_list():
            files = (
                sorted(p for p in path.rglob("*") if p.is_file() and p.name.lower().endswith(SUFFIXES))
                if path.is_dir()
                else [path]
            )
            if not path.exists():
                errors.append(InputError("no such file or folder", file=str(path)))
                ctx.report(self.name, str(path), "failed", "no such file or folder", site=source.site)
                continue
            for file in files:
                count = 0
                try:
                    for line, event in events(file):
                        if count % 1000 == 0 and ctx.cancelled():
                            ctx.report(self.name, str(file), "timeout", "cancelled", records=count, site=source.site)
                            return
                        yield event_record(event, scanner=self.name, file=str(file), line=line, index=count)
                        count += 1
                except InputError as exc:
                    errors.append(exc)
                    ctx.report(
                        self.name,
                        str(file),
                        "failed" if not count else "partial",
                        str(exc),
                        records=count,
                        site=source.site,
                    )
                    continue
                ctx.report(self.name, str(file), "ok", records=count, site=source.site)
        if errors:
            raise errors[0]
