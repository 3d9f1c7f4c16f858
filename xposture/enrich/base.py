"""The enricher plugin contract: the only stage that looks across records before the rules do."""

from __future__ import annotations

from collections.abc import Iterable
from importlib.metadata import entry_points
from typing import ClassVar, Protocol, runtime_checkable

from xposture.model import Record
from xposture.scanners.base import ScanContext

ENTRY_POINT_GROUP = "xposture.enrichers"


@runtime_checkable
class Enricher(Protocol):
    """Adds fields to records in place and/or yields new records (joins, matches).

    ``order`` sorts enrichers: zones (10) and asset merge (20) run first, so
    plugins (100 and up) see zone fields and merged asset ids.
    """

    name: ClassVar[str]
    order: ClassVar[int]

    def enrich(self, records: list[Record], ctx: ScanContext) -> Iterable[Record]: ...


def available_enrichers() -> list[Enricher]:
    """Instances of every installed enricher, in run order."""
    found = [ep.load()() for ep in entry_points(group=ENTRY_POINT_GROUP)]
    return sorted(found, key=lambda e: (e.order, e.name))
