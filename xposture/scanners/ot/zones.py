"""Where an address sits in the plant: zone, Purdue level, engineering host, declared asset, conduits.

Built once per scan from ``ctx.zones`` and ``ctx.inventory`` (which unit
tests may leave out), so the record builder can set the derived booleans
rules judge on (``flow.crosses_zone``, ``flow.conduit_allowed``...) without
any rule having to do address arithmetic.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache
from typing import Any

from xposture.scanners.base import Zone

IT_LEVEL = 4
"""Purdue level 4 and up is enterprise IT; 0-2 is control; 3 is site operations."""


class ZoneMap:
    """Address facts for one site."""

    def __init__(self, zones: list[Zone], site: str = "", inventory: Any = None) -> None:
        own = [z for z in zones if not site or not z.site or z.site == site]
        self._nets = sorted(
            ((net, zone) for zone in own for net in zone.networks), key=lambda item: item[0].prefixlen, reverse=True
        )
        site_obj = inventory.site(site) if inventory is not None and site and hasattr(inventory, "site") else None
        self.engineering: list[ipaddress.IPv4Network | ipaddress.IPv6Network] = []
        self.conduits: list[tuple[str, str, frozenset[str]]] = []
        self.declared_ip: dict[str, Any] = {}
        self.declared_mac: dict[str, Any] = {}
        self.has_inventory = site_obj is not None
        self.has_declared_assets = False
        if site_obj is not None:
            for host in site_obj.engineering_hosts:
                try:
                    self.engineering.append(ipaddress.ip_network(str(host), strict=False))
                except ValueError:
                    continue
            for conduit in site_obj.conduits:
                protocols = frozenset(str(p).lower() for p in conduit.protocols)
                self.conduits.append((conduit.source, conduit.target, protocols))
            for asset in site_obj.assets:
                if asset.ip:
                    self.declared_ip[str(asset.ip)] = asset
                if asset.mac:
                    self.declared_mac[str(asset.mac).lower().replace("-", ":")] = asset
            self.has_declared_assets = bool(site_obj.assets)
        self.lookup = lru_cache(maxsize=65536)(self._lookup)

    def _lookup(self, ip: str) -> tuple[str | None, int | None, bool, bool]:
        """``(zone, level, is_private, is_broadcast)`` of an address."""
        try:
            address = ipaddress.ip_address(ip)
        except ValueError:
            return None, None, True, False
        broadcast = address.is_multicast or address.is_unspecified or ip == "255.255.255.255"
        zone_name: str | None = None
        level: int | None = None
        for net, zone in self._nets:
            if address.version == net.version and address in net:
                zone_name, level = zone.name, zone.level
                if net.prefixlen < net.max_prefixlen - 1 and address == net.broadcast_address:
                    broadcast = True
                break
        private = not address.is_global or broadcast
        return zone_name, level, private, broadcast

    def zone(self, ip: str) -> tuple[str | None, int | None]:
        name, level, _private, _broadcast = self.lookup(ip)
        return name, level

    def is_private(self, ip: str) -> bool:
        return self.lookup(ip)[2]

    def is_broadcast(self, ip: str) -> bool:
        return self.lookup(ip)[3]

    def is_engineering(self, ip: str) -> bool:
        try:
            address = ipaddress.ip_address(ip)
        except ValueError:
            return False
        return any(address.version == net.version and address in net for net in self.engineering)

    def declared(self, ip: str = "", mac: str = "") -> Any:
        """The declared asset with this IP or MAC, or ``None``."""
        return self.declared_ip.get(ip) or (self.declared_mac.get(mac) if mac else None)

    def conduit_allowed(self, src_zone: str | None, dst_zone: str | None, protocol: str, port: int) -> bool:
        """True when traffic stays in one zone or a declared conduit allows it (client zone -> server zone)."""
        if src_zone == dst_zone:
            return True
        if src_zone is None or dst_zone is None:
            return False
        wanted = {protocol.lower(), str(port), f"tcp/{port}", f"udp/{port}"}
        for source, target, protocols in self.conduits:
            if source == src_zone and target == dst_zone and (not protocols or protocols & wanted):
                return True
        return False
