"""Load and validate inventory YAML: one file or a folder of files merged into one Inventory.

Every error names file, line and key, because the people who write these
files are plant engineers fixing them by hand under time pressure.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar

from xposture.errors import InventoryError
from xposture.inventory.model import Conduit, DeclaredAsset, Inventory, Link, Network, Site
from xposture.inventory.yaml_lines import LineMap, load_yaml_with_lines
from xposture.scanners.base import Scanner, SourceConfig, Zone, available_scanners, validate_source_options

TOP_LEVEL = {"sites", "links", "cloud", "supply_chain", "advisories", "policy"}
SITE_KEYS = {"name", "zones", "conduits", "engineering_hosts", "sources", "assets", "scopes", "description"}
ZONE_KEYS = {"name", "cidrs", "level", "description"}
CONDUIT_KEYS = {"from", "to", "protocols", "description"}
ASSET_KEYS = {"name", "ip", "mac", "vendor", "model", "firmware", "serial", "firmware_sbom", "role", "description"}
LINK_KEYS = {
    "name",
    "from",
    "to",
    "transport",
    "encrypted",
    "authentication",
    "vendor_remote_access",
    "cellular",
    "redundancy",
    "endpoints",
    "protocols",
    "description",
}
SOURCE_CORE_KEYS = {"scanner", "enabled", "timeout_s"}
SECRET_KEYS = {
    "password",
    "passwords",
    "community",
    "communities",
    "secret",
    "token",
    "api_key",
    "auth_key",
    "priv_key",
    "psk",
    "access_key_id",
    "secret_access_key",
}
INVENTORY_SUFFIXES = (".yaml", ".yml")

T = TypeVar("T")


class _Reader:
    """Validation helpers bound to one file, so every error carries that file's name."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.file = str(path)

    def fail(self, message: str, node: Any = None, key: str | None = None) -> InventoryError:
        line = None
        if isinstance(node, LineMap):
            line = node.line_of(key) if key else node.line
        return InventoryError(message, file=self.file, line=line, key=key)

    def mapping(self, node: Any, where: str, allowed: set[str], parent: Any = None, key: str | None = None) -> LineMap:
        if not isinstance(node, LineMap):
            raise self.fail(f"{where} must be a mapping, got {type(node).__name__}", parent, key)
        for name in node:
            if name not in allowed:
                raise self.fail(f"unknown key in {where} (allowed: {', '.join(sorted(allowed))})", node, name)
        return node

    def seq(self, node: LineMap, key: str) -> list[Any]:
        value = node.get(key, [])
        if value is None:
            return []
        if not isinstance(value, list):
            raise self.fail(f"expected a list, got {type(value).__name__}", node, key)
        return value

    def text(self, node: LineMap, key: str, *, required: bool = False) -> str:
        value = node.get(key)
        if value is None:
            if required:
                raise self.fail("is required", node, key)
            return ""
        if not isinstance(value, str):
            raise self.fail(f"expected text, got {type(value).__name__} (quote it)", node, key)
        return value

    def strings(self, node: LineMap, key: str) -> list[str]:
        items = self.seq(node, key)
        for item in items:
            if not isinstance(item, str):
                raise self.fail(f"expected a list of text, found {item!r} (quote it)", node, key)
        return [str(i) for i in items]

    def networks(self, node: LineMap, key: str) -> list[Network]:
        nets: list[Network] = []
        for item in self.strings(node, key):
            try:
                nets.append(ipaddress.ip_network(item, strict=False))
            except ValueError:
                raise self.fail(f"{item!r} is not a valid CIDR", node, key) from None
        return nets

    def each(self, node: LineMap, key: str, build: Callable[[Any], T]) -> list[T]:
        return [build(item) for item in self.seq(node, key)]


def inventory_files(path: Path) -> list[Path]:
    """The YAML files of an inventory: the file itself, or every YAML file below a folder."""
    if path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.suffix in INVENTORY_SUFFIXES and p.is_file())
        if not files:
            raise InventoryError("folder holds no .yaml/.yml inventory files", file=str(path))
        return files
    if not path.exists():
        raise InventoryError("no such inventory file or folder", file=str(path))
    return [path]


def load_inventory(path: Path, scanners: Mapping[str, type[Scanner]] | None = None) -> Inventory:
    """Load, validate and merge the inventory at ``path``; sites with the same name merge across files."""
    scanners = available_scanners() if scanners is None else scanners
    inventory = Inventory()
    for file in inventory_files(path):
        _merge(inventory, _load_file(file, scanners))
    _check_zone_names(inventory)
    return inventory


def _merge(into: Inventory, part: Inventory) -> None:
    into.paths.extend(part.paths)
    for site in part.sites:
        existing = into.site(site.name)
        if existing is None:
            into.sites.append(site)
            continue
        existing.zones.extend(site.zones)
        existing.conduits.extend(site.conduits)
        existing.engineering_hosts.extend(site.engineering_hosts)
        existing.sources.extend(site.sources)
        existing.assets.extend(site.assets)
        existing.scopes.extend(site.scopes)
    into.links.extend(part.links)
    into.cloud.extend(part.cloud)
    into.supply_chain.extend(part.supply_chain)
    into.advisories.extend(part.advisories)
    for key, value in part.policy.items():
        if key in into.policy and into.policy[key] != value:
            raise InventoryError(
                f"policy key defined twice with different values ({into.paths[0]})", file=str(part.paths[0]), key=key
            )
        into.policy[key] = value


def _load_file(path: Path, scanners: Mapping[str, type[Scanner]]) -> Inventory:
    reader = _Reader(path)
    root = load_yaml_with_lines(path)
    inventory = Inventory(paths=[path])
    if root is None:
        return inventory
    root = reader.mapping(root, "the inventory", TOP_LEVEL)
    base = path.parent
    inventory.sites = reader.each(root, "sites", lambda n: _site(reader, n, base, scanners))
    inventory.links = reader.each(root, "links", lambda n: _link(reader, n))
    inventory.cloud = reader.each(root, "cloud", lambda n: _source(reader, n, base, "", scanners))
    inventory.supply_chain = reader.each(root, "supply_chain", lambda n: _source(reader, n, base, "", scanners))
    inventory.advisories = [p if p.is_absolute() else base / p for p in map(Path, reader.strings(root, "advisories"))]
    policy = root.get("policy")
    if policy is not None:
        inventory.policy = _plain(
            reader.mapping(policy, "policy", set(policy) if isinstance(policy, dict) else set(), root, "policy")
        )
    return inventory


def _site(reader: _Reader, node: Any, base: Path, scanners: Mapping[str, type[Scanner]]) -> Site:
    node = reader.mapping(node, "a site", SITE_KEYS)
    name = reader.text(node, "name", required=True)
    site = Site(name=name)
    site.zones = reader.each(node, "zones", lambda z: _zone(reader, z, name))
    site.conduits = reader.each(node, "conduits", lambda c: _conduit(reader, c))
    site.engineering_hosts = reader.strings(node, "engineering_hosts")
    for host in site.engineering_hosts:
        try:
            ipaddress.ip_address(host)
        except ValueError:
            raise reader.fail(f"{host!r} is not an IP address", node, "engineering_hosts") from None
    site.scopes = reader.networks(node, "scopes")
    site.assets = reader.each(node, "assets", lambda a: _asset(reader, a))
    site.sources = reader.each(node, "sources", lambda s: _source(reader, s, base, name, scanners))
    return site


def _zone(reader: _Reader, node: Any, site: str) -> Zone:
    node = reader.mapping(node, "a zone", ZONE_KEYS)
    level = node.get("level")
    if level is not None and (not isinstance(level, int) or isinstance(level, bool) or not 0 <= level <= 5):
        raise reader.fail("Purdue level must be a whole number from 0 to 5", node, "level")
    return Zone(
        name=reader.text(node, "name", required=True), site=site, networks=reader.networks(node, "cidrs"), level=level
    )


def _conduit(reader: _Reader, node: Any) -> Conduit:
    node = reader.mapping(node, "a conduit", CONDUIT_KEYS)
    return Conduit(
        source=reader.text(node, "from", required=True),
        target=reader.text(node, "to", required=True),
        protocols=[p.lower() for p in reader.strings(node, "protocols")],
    )


def _asset(reader: _Reader, node: Any) -> DeclaredAsset:
    node = reader.mapping(node, "an asset", ASSET_KEYS)
    values = {key: reader.text(node, key) for key in ASSET_KEYS - {"description"}}
    if values["ip"]:
        try:
            ipaddress.ip_address(values["ip"])
        except ValueError:
            raise reader.fail(f"{values['ip']!r} is not an IP address", node, "ip") from None
    if not values["name"]:
        raise reader.fail("is required", node, "name")
    return DeclaredAsset(**values)


def _link(reader: _Reader, node: Any) -> Link:
    node = reader.mapping(node, "a link", LINK_KEYS)
    encrypted = node.get("encrypted")
    if encrypted is not None and not isinstance(encrypted, bool):
        raise reader.fail("expected true or false", node, "encrypted")
    for flag in ("vendor_remote_access", "cellular"):
        if not isinstance(node.get(flag, False), bool):
            raise reader.fail("expected true or false", node, flag)
    return Link(
        name=reader.text(node, "name", required=True),
        source=reader.text(node, "from", required=True),
        target=reader.text(node, "to", required=True),
        transport=reader.text(node, "transport"),
        encrypted=encrypted,
        authentication=reader.text(node, "authentication"),
        vendor_remote_access=bool(node.get("vendor_remote_access", False)),
        cellular=bool(node.get("cellular", False)),
        redundancy=reader.text(node, "redundancy"),
        endpoints=reader.strings(node, "endpoints"),
        protocols=[p.lower() for p in reader.strings(node, "protocols")],
        file=reader.file,
        line=node.line,
    )


def _source(reader: _Reader, node: Any, base: Path, site: str, scanners: Mapping[str, type[Scanner]]) -> SourceConfig:
    if not isinstance(node, LineMap) or "scanner" not in node:
        raise reader.fail("a source must be a mapping with a 'scanner' key", node)
    name = reader.text(node, "scanner", required=True)
    cls = scanners.get(name)
    if cls is None:
        known = ", ".join(sorted(scanners)) or "none installed"
        raise reader.fail(f"unknown scanner {name!r} (installed: {known})", node, "scanner")
    enabled = node.get("enabled", True)
    if not isinstance(enabled, bool):
        raise reader.fail("expected true or false", node, "enabled")
    timeout = node.get("timeout_s")
    if timeout is not None and (not isinstance(timeout, (int, float)) or isinstance(timeout, bool) or timeout <= 0):
        raise reader.fail("expected a positive number of seconds", node, "timeout_s")
    options = {k: v for k, v in node.items() if k not in SOURCE_CORE_KEYS or k in cls.options}
    for key, value in options.items():
        if key in SECRET_KEYS:
            for item in value if isinstance(value, list) else [value]:
                if not (isinstance(item, str) and item.startswith("env:")):
                    raise reader.fail(
                        "secrets are never written in inventory files: use an env:NAME reference", node, key
                    )
    validate_source_options(cls, options, file=reader.file, lines=node.key_lines)
    return SourceConfig(
        scanner=name,
        options=_plain(options),
        base_dir=base,
        site=site,
        file=reader.file,
        line=node.line,
        enabled=enabled,
        timeout_s=float(timeout) if timeout is not None else None,
    )


def _plain(value: Any) -> Any:
    """Strip LineMap wrappers so scanners receive ordinary dicts and lists."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _check_zone_names(inventory: Inventory) -> None:
    """Conduits may only name zones of their site (checked after merging, as files may split a site)."""
    for site in inventory.sites:
        names = {z.name for z in site.zones}
        for conduit in site.conduits:
            for end in (conduit.source, conduit.target):
                if end not in names:
                    files = ", ".join(str(p) for p in inventory.paths)
                    raise InventoryError(
                        f"conduit names unknown zone {end!r} in site {site.name!r}", file=files, key="conduits"
                    )
