"""IANA private enterprise numbers: from a sysObjectID or an engine id to a vendor name."""

from __future__ import annotations

import csv
import functools
from dataclasses import dataclass
from importlib import resources

ENTERPRISES_ARC = (1, 3, 6, 1, 4, 1)


@dataclass(frozen=True, slots=True)
class Enterprise:
    number: int
    organization: str
    vendor: str


@functools.cache
def table() -> dict[int, Enterprise]:
    """The shipped subset of the registry (see ``data/README.md`` for its origin)."""
    text = resources.files("xposture.scanners.ot.snmp").joinpath("data/enterprises.csv").read_text(encoding="utf-8")
    rows = csv.DictReader(line for line in text.splitlines() if not line.startswith("#"))
    return {int(r["number"]): Enterprise(int(r["number"]), r["organization"], r["vendor"]) for r in rows}


def lookup(number: int | None) -> Enterprise | None:
    """The enterprise registered under ``number``, if it is in the shipped subset."""
    if number is None:
        return None
    return table().get(number)


def number_from_oid(oid: str) -> int | None:
    """``1.3.6.1.4.1.318.1.3.4.6`` -> 318; None when the OID is not under the enterprises arc."""
    parts = oid.strip().lstrip(".").split(".")
    prefix = tuple(str(p) for p in ENTERPRISES_ARC)
    if len(parts) <= len(prefix) or tuple(parts[: len(prefix)]) != prefix:
        return None
    candidate = parts[len(prefix)]
    return int(candidate) if candidate.isdigit() and len(candidate) < 10 else None
