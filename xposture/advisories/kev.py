"""CISA Known Exploited Vulnerabilities catalogue (JSON or CSV) rows."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(slots=True)
class KevEntry:
    cve: str
    date_added: str = ""
    due_date: str = ""
    ransomware: str = ""
    vendor: str = ""
    product: str = ""


def looks_like_kev_json(data: Any) -> bool:
    if not isinstance(data, Mapping):
        return False
    items = data.get("vulnerabilities")
    return isinstance(items, list) and bool(items) and isinstance(items[0], Mapping) and "cveID" in items[0]


def looks_like_kev_csv(head: str) -> bool:
    return head.lstrip("\ufeff").startswith("cveID,")


def parse_kev_json(data: Mapping[str, Any]) -> Iterator[KevEntry]:
    for item in data.get("vulnerabilities") or []:
        if isinstance(item, Mapping) and item.get("cveID"):
            yield _entry(item)


def parse_kev_csv(text: str) -> Iterator[KevEntry]:
    for row in csv.DictReader(io.StringIO(text.lstrip("\ufeff"))):
        if row.get("cveID"):
            yield _entry(row)


def _entry(item: Mapping[str, Any]) -> KevEntry:
    return KevEntry(
        cve=str(item["cveID"]).strip(),
        date_added=str(item.get("dateAdded") or ""),
        due_date=str(item.get("dueDate") or ""),
        ransomware=str(item.get("knownRansomwareCampaignUse") or ""),
        vendor=str(item.get("vendorProject") or ""),
        product=str(item.get("product") or ""),
    )
