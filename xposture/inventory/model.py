"""The inventory as typed objects: what to look at, where, and under which policy."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from xposture.scanners.base import SourceConfig, Zone

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(slots=True)
class Conduit:
    """Allowed traffic between two zones of a site (IEC 62443 conduit)."""

    source: str
    target: str
    protocols: list[str] = field(default_factory=list)


@dataclass(slots=True)
class DeclaredAsset:
    """An asset the plant says it has; anything seen but not declared is 'uninventoried'."""

    name: str
    ip: str = ""
    mac: str = ""
    vendor: str = ""
    model: str = ""
    firmware: str = ""
    serial: str = ""
    firmware_sbom: str = ""
    role: str = ""


@dataclass(slots=True)
class Site:
    name: str
    zones: list[Zone] = field(default_factory=list)
    conduits: list[Conduit] = field(default_factory=list)
    engineering_hosts: list[str] = field(default_factory=list)
    sources: list[SourceConfig] = field(default_factory=list)
    assets: list[DeclaredAsset] = field(default_factory=list)
    scopes: list[Network] = field(default_factory=list)


@dataclass(slots=True)
class Link:
    """A declared comms link between sites/zones/cloud accounts (see docs/inventory.md)."""

    name: str
    source: str
    target: str
    transport: str = ""
    encrypted: bool | None = None
    authentication: str = ""
    vendor_remote_access: bool = False
    cellular: bool = False
    redundancy: str = ""
    endpoints: list[str] = field(default_factory=list)
    protocols: list[str] = field(default_factory=list)
    file: str = ""
    line: int | None = None


@dataclass(slots=True)
class Inventory:
    """All inventory files merged; relative paths already resolved against each file's folder."""

    paths: list[Path] = field(default_factory=list)
    sites: list[Site] = field(default_factory=list)
    links: list[Link] = field(default_factory=list)
    cloud: list[SourceConfig] = field(default_factory=list)
    supply_chain: list[SourceConfig] = field(default_factory=list)
    advisories: list[Path] = field(default_factory=list)
    policy: dict[str, Any] = field(default_factory=dict)

    def all_sources(self) -> list[SourceConfig]:
        """Every scanner entry, in inventory order: sites first, then cloud, then supply chain."""
        sources = [s for site in self.sites for s in site.sources]
        return sources + self.cloud + self.supply_chain

    def zones(self) -> list[Zone]:
        return [z for site in self.sites for z in site.zones]

    def scopes(self) -> list[Network]:
        """Networks active scanners may reach: declared scopes, else the zones' CIDRs."""
        nets: list[Network] = []
        for site in self.sites:
            nets.extend(site.scopes or [n for z in site.zones for n in z.networks])
        return nets

    def site(self, name: str) -> Site | None:
        return next((s for s in self.sites if s.name == name), None)
