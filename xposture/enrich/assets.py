"""Merge sightings of one asset by several scanners into one asset id.

The same PLC is an IP in a pcap, a sysName over SNMP, a serial in an HBOM.
Records name identifiers (``asset.ip``, ``asset.mac``, ``asset.serial``,
``asset.arn``, ``asset.purl``); records sharing any identifier are one asset,
and every record's ``asset.id`` is rewritten to that asset's canonical id.
The canonical id is chosen by a fixed preference so it stays stable across
scans, which keeps finding fingerprints stable.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import ClassVar

from xposture.model import ASSET_ID, SOURCE_SCANNER, Asset, Layer, Record, make_record

# Identifier kinds in order of preference for the canonical id.
PREFERENCE = ("arn", "purl", "ip", "mac", "serial", "id")
IDENTITY_FIELDS = ("vendor", "model", "firmware", "serial", "hardware", "product_code", "name")
KIND_PREFERENCE = ("ot_device", "cloud_resource", "firmware", "sbom", "endpoint", "network_host")


def identifiers(record: Record) -> Iterator[str]:
    """The merge keys of one record, as ``kind:value`` strings."""
    site = record.get("site") or ""
    ip = record.get("asset.ip")
    if isinstance(ip, str) and ip:
        yield f"ip:{site}/{ip}"
    mac = record.get("asset.mac")
    if isinstance(mac, str) and mac:
        yield f"mac:{mac.lower()}"
    serial = record.get("asset.serial")
    if isinstance(serial, str) and serial:
        vendor = record.get("identity.vendor") or ""
        yield f"serial:{str(vendor).lower()}/{serial}"
    for kind in ("arn", "purl"):
        value = record.get(f"asset.{kind}")
        if isinstance(value, str) and value:
            yield f"{kind}:{value}"
    asset_id = record.get(ASSET_ID)
    if isinstance(asset_id, str) and asset_id:
        yield f"id:{asset_id}"


class _UnionFind:
    def __init__(self) -> None:
        self.parent: dict[str, str] = {}

    def find(self, item: str) -> str:
        parent = self.parent.setdefault(item, item)
        while parent != self.parent[parent]:
            self.parent[parent] = self.parent[self.parent[parent]]
            parent = self.parent[parent]
        self.parent[item] = parent
        return parent

    def union(self, a: str, b: str) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def canonical_id(keys: Iterable[str]) -> str:
    """Pick the preferred identifier of a group; ``id:x`` yields ``x`` and ``ip:site/a`` yields ``ip:site/a``."""
    ranked = sorted(keys, key=lambda k: (PREFERENCE.index(k.split(":", 1)[0]), k))
    best = ranked[0]
    if best.startswith("id:"):
        return best[3:]
    if best.startswith(("arn:", "purl:")):
        return best.split(":", 1)[1]
    return best


class AssetMerger:
    """Groups records by shared identifiers, rewrites ``asset.id`` and builds ``Asset`` objects."""

    name: ClassVar[str] = "assets"
    order: ClassVar[int] = 20

    def __init__(self) -> None:
        self.assets: dict[str, Asset] = {}

    def enrich(self, records: list[Record], ctx: object) -> Iterable[Record]:
        groups = _UnionFind()
        record_keys: list[list[str]] = []
        for record in records:
            keys = list(identifiers(record))
            record_keys.append(keys)
            for key in keys[1:]:
                groups.union(keys[0], key)
        members: dict[str, set[str]] = {}
        for keys in record_keys:
            if keys:
                members.setdefault(groups.find(keys[0]), set()).update(keys)
        canon = {root: canonical_id(keys) for root, keys in members.items()}
        self.assets = {}
        for record, keys in zip(records, record_keys, strict=True):
            if not keys:
                continue
            asset_id = canon[groups.find(keys[0])]
            original = record.get(ASSET_ID)
            if original != asset_id:
                record["asset.source_id"] = original
                record[ASSET_ID] = asset_id
            self._absorb(asset_id, record, keys)
        return list(self._links(members, canon))

    def _absorb(self, asset_id: str, record: Record, keys: list[str]) -> None:
        asset = self.assets.get(asset_id)
        if asset is None:
            asset = self.assets[asset_id] = Asset(id=asset_id, kind="")
        kind = record.get("asset.kind")
        if isinstance(kind, str) and kind and _kind_rank(kind) < _kind_rank(asset.kind):
            asset.kind = kind
        for attr, field in (("name", "asset.name"), ("site", "site"), ("zone", "zone.name"), ("layer", "record.layer")):
            value = record.get(field)
            if isinstance(value, str) and value and not getattr(asset, attr):
                setattr(asset, attr, value)
        level = record.get("zone.level")
        if isinstance(level, int) and asset.level is None:
            asset.level = level
        for key in keys:
            kind_name, value = key.split(":", 1)
            if kind_name != "id":
                values = asset.identifiers.setdefault(kind_name, [])
                if value not in values:
                    values.append(value)
        for name in IDENTITY_FIELDS:
            value = record.get(f"identity.{name}")
            if value not in (None, "") and name not in asset.identity:
                asset.identity[name] = str(value)
        scanner = record.get(SOURCE_SCANNER)
        if isinstance(scanner, str) and scanner not in asset.seen_by:
            asset.seen_by.append(scanner)

    def _links(self, members: dict[str, set[str]], canon: dict[str, str]) -> Iterator[Record]:
        for root, keys in members.items():
            asset = self.assets.get(canon[root])
            if asset is None or len(asset.seen_by) < 2:
                continue
            layer = asset.layer if asset.layer in {layer.value for layer in Layer} else Layer.OT.value
            yield make_record(
                "asset_link",
                asset_id=asset.id,
                key="merge",
                layer=Layer(layer),
                scanner="assets",
                fields={
                    "link.scanners": sorted(asset.seen_by),
                    "link.identifiers": sorted(k for k in keys if not k.startswith("id:")),
                    "site": asset.site or None,
                },
            )


def _kind_rank(kind: str) -> int:
    return KIND_PREFERENCE.index(kind) if kind in KIND_PREFERENCE else len(KIND_PREFERENCE)
