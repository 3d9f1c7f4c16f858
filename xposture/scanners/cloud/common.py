"""Shared bits of every AWS normaliser: where a resource lives, how its record is built, time arithmetic.

Keeping these in one place is what makes the live path, recorded responses,
AWS Config items and Terraform plans land on byte-identical records.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from xposture.model import FieldValue, Layer, Record, make_record

PROVIDER = "aws"


@dataclass(frozen=True, slots=True)
class Where:
    """The account, region and evidence pointer a normaliser stamps on its records."""

    scanner: str
    account_id: str = ""
    region: str = ""
    partition: str = "aws"
    file: str | None = None
    now: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))

    def at(self, *, region: str | None = None, account_id: str | None = None, file: str | None = None) -> Where:
        """The same place with some parts changed (regional resources of a global listing, per-file evidence)."""
        return replace(
            self,
            region=self.region if region is None else region,
            account_id=self.account_id if account_id is None else account_id,
            file=self.file if file is None else file,
        )

    def arn(self, service: str, resource: str, *, regional: bool = True, account: bool = True) -> str:
        """Build an ARN the way AWS writes it for resources whose API responses carry none."""
        region = self.region if regional else ""
        acct = self.account_id if account else ""
        return f"arn:{self.partition}:{service}:{region}:{acct}:{resource}"


def resource_record(
    record_type: str,
    where: Where,
    *,
    arn: str,
    key: str,
    service: str,
    resource_type: str,
    resource_id: str,
    name: str = "",
    asset_id: str | None = None,
    api: str | None = None,
    tags: Mapping[str, str] | None = None,
    fields: Mapping[str, FieldValue] | None = None,
) -> Record:
    """One cloud record with the fields every cloud record shares (see docs/taxonomy/cloud.md)."""
    common: dict[str, FieldValue] = {
        "asset.kind": "cloud_resource",
        "asset.arn": arn if arn.startswith("arn:") else None,
        "asset.name": name or resource_id,
        "cloud.provider": PROVIDER,
        "cloud.account_id": where.account_id or None,
        "cloud.region": where.region or None,
        "cloud.service": service,
        "cloud.resource_type": resource_type,
        "cloud.resource_id": resource_id,
    }
    for tag_key, tag_value in (tags or {}).items():
        common[f"tags.{tag_key}"] = str(tag_value)
    if fields:
        common.update(fields)
    return make_record(
        record_type,
        asset_id=asset_id or arn,
        key=key,
        layer=Layer.CLOUD,
        scanner=where.scanner,
        fields=common,
        file=where.file,
        api=api,
    )


def inventory_record(record: Record) -> Record:
    """The ``cloud_resource`` inventory twin of a specific record: what exists, whatever its type."""
    twin = {k: v for k, v in record.items() if k.startswith(("asset.", "cloud.", "tags.", "source.", "record.layer"))}
    twin["record.type"] = "cloud_resource"
    twin["record.key"] = "resource"
    twin["asset.id"] = record["asset.id"]
    return twin


def with_inventory(record: Record) -> Iterator[Record]:
    """A specific record preceded by its ``cloud_resource`` twin: every listed resource also counts as inventory."""
    yield inventory_record(record)
    yield record


def tag_map(tags: Any) -> dict[str, str]:
    """AWS writes tags as ``[{Key, Value}]``, ``{k: v}`` or ``[{key, value}]`` depending on the API: accept all."""
    if isinstance(tags, Mapping):
        return {str(k): str(v) for k, v in tags.items()}
    result: dict[str, str] = {}
    if isinstance(tags, list):
        for item in tags:
            if isinstance(item, Mapping):
                key = item.get("Key", item.get("key"))
                if key is not None:
                    result[str(key)] = str(item.get("Value", item.get("value", "")))
    return result


def to_datetime(value: Any) -> dt.datetime | None:
    """Parse the many ways a time reaches us (datetime, ISO text, epoch seconds/ms, placebo dicts) as UTC."""
    if value is None or value == "" or value == "N/A" or value == "not_supported" or value == "no_information":
        return None
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    if isinstance(value, Mapping) and value.get("__class__") == "datetime":
        try:
            return dt.datetime(
                int(value["year"]),
                int(value["month"]),
                int(value["day"]),
                int(value.get("hour", 0)),
                int(value.get("minute", 0)),
                int(value.get("second", 0)),
                int(value.get("microsecond", 0)),
                tzinfo=dt.UTC,
            )
        except (KeyError, TypeError, ValueError):
            return None
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        seconds = value / 1000 if value > 10**11 else value
        try:
            return dt.datetime.fromtimestamp(seconds, tz=dt.UTC)
        except (OverflowError, OSError, ValueError):
            return None
    if isinstance(value, str):
        text = value.strip().replace("Z", "+00:00")
        try:
            parsed = dt.datetime.fromisoformat(text)
        except ValueError:
            return None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)
    return None


def days_since(value: Any, now: dt.datetime) -> int | None:
    """Whole days from ``value`` to ``now`` (None when the time is unknown)."""
    when = to_datetime(value)
    return None if when is None else (now - when).days


def days_until(value: Any, now: dt.datetime) -> int | None:
    """Whole days from ``now`` to ``value``; negative once it has passed."""
    when = to_datetime(value)
    if when is None:
        return None
    delta = when - now
    return delta.days if delta.total_seconds() >= 0 else -((-delta).days + (1 if (-delta).seconds else 0))


def as_bool(value: Any) -> bool | None:
    """Booleans arrive as bools, 'true'/'false' text (credential report, Config) or not at all."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        low = value.strip().lower()
        if low in ("true", "yes", "enabled", "on"):
            return True
        if low in ("false", "no", "disabled", "off"):
            return False
    return None


def strings(values: Iterable[Any]) -> list[str]:
    """A list of non-empty strings, order kept, duplicates dropped."""
    seen: dict[str, None] = {}
    for value in values:
        if value is not None and str(value) != "":
            seen.setdefault(str(value), None)
    return list(seen)
