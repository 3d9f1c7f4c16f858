"""Assign IEC 62443 zones and Purdue levels from the inventory's CIDRs."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import ClassVar

from xposture.model import Record
from xposture.scanners.base import ScanContext, Zone


class ZoneIndex:
    """Longest-prefix lookup of an address to its zone, per site (or any site when the record has none)."""

    def __init__(self, zones: Sequence[Zone]) -> None:
        entries = [(net, zone) for zone in zones for net in zone.networks]
        # Most specific network first, so nested zones (a cell inside a plant range) win.
        self._entries = sorted(entries, key=lambda e: -e[0].prefixlen)
        self.lookup = lru_cache(maxsize=65536)(self._lookup)

    def _lookup(self, address: str, site: str) -> Zone | None:
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return None
        for net, zone in self._entries:
            if ip.version == net.version and ip in net and (not site or zone.site == site):
                return zone
        return None


class ZoneEnricher:
    """Sets ``zone.name``/``zone.level`` (and ``site`` when unknown) from ``asset.ip``."""

    name: ClassVar[str] = "zones"
    order: ClassVar[int] = 10

    def enrich(self, records: list[Record], ctx: ScanContext) -> Iterable[Record]:
        if not ctx.zones:
            return ()
        index = ZoneIndex(ctx.zones)
        for record in records:
            address = record.get("asset.ip")
            if not isinstance(address, str) or "zone.name" in record:
                continue
            site = record.get("site")
            zone = index.lookup(address, site if isinstance(site, str) else "")
            if zone is not None:
                record["zone.name"] = zone.name
                if zone.level is not None:
                    record["zone.level"] = zone.level
                record.setdefault("site", zone.site)
        return ()
