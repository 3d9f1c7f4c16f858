"""Turn inventory targets (addresses and CIDRs) into hosts that may be probed.

A CIDR is expanded only where it lies inside a declared scope: a typo such as
``10.0.0.0/8`` instead of ``10.10.1.0/28`` must never turn into a sweep of the
whole plant. Every host is still passed through ``SafetyPolicy.check_target``
before anything is sent.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass

from xposture.errors import ScannerError
from xposture.scanners.base import SafetyPolicy

MAX_HOSTS_PER_TARGET = 65536
"""A /16 at most from one CIDR entry: larger sweeps are not what a posture scan of a plant needs."""


@dataclass(frozen=True, slots=True)
class Target:
    """One host to probe, with the inventory text it came from (for coverage lines)."""

    host: str
    port: int | None
    origin: str


@dataclass(frozen=True, slots=True)
class Rejected:
    """An inventory target that will not be probed, and why (reported as ``skipped``)."""

    origin: str
    reason: str


def split_host_port(text: str) -> tuple[str, int | None]:
    """``10.0.0.1``, ``10.0.0.1:1161``, ``[::1]:161`` or a CIDR -> (host part, port or None)."""
    text = text.strip()
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        return host, int(rest[1:]) if rest.startswith(":") and rest[1:].isdigit() else None
    if text.count(":") == 1:
        host, _, port = text.partition(":")
        if port.isdigit():
            return host, int(port)
    return text, None


def expand_targets(raw: Iterable[str], safety: SafetyPolicy, *, scanner: str) -> tuple[list[Target], list[Rejected]]:
    """Expand addresses and in-scope CIDRs; return the hosts to probe and the targets refused."""
    hosts: list[Target] = []
    rejected: list[Rejected] = []
    seen: set[tuple[str, int | None]] = set()
    for item in raw:
        origin = str(item)
        host, port = split_host_port(origin)
        try:
            network = ipaddress.ip_network(host, strict=False)
        except ValueError:
            rejected.append(Rejected(origin, "not an IP address or CIDR (names are not resolved by active scanners)"))
            continue
        if network.num_addresses > 1:
            if not any(_inside(network, scope) for scope in safety.scopes):
                rejected.append(Rejected(origin, "CIDR not inside a declared scope; not expanded"))
                continue
            if network.num_addresses > MAX_HOSTS_PER_TARGET:
                rejected.append(Rejected(origin, f"CIDR larger than {MAX_HOSTS_PER_TARGET} addresses; not expanded"))
                continue
            addresses = list(network.hosts()) or [network.network_address]
        else:
            addresses = [network.network_address]
        for address in addresses:
            key = (str(address), port)
            if key in seen:
                continue
            seen.add(key)
            try:
                safety.check_target(str(address), scanner=scanner)
            except ScannerError as exc:
                rejected.append(Rejected(f"{address}" if network.num_addresses > 1 else origin, exc.message))
                continue
            hosts.append(Target(str(address), port, origin))
    return hosts, rejected


def _inside(
    network: ipaddress.IPv4Network | ipaddress.IPv6Network, scope: ipaddress.IPv4Network | ipaddress.IPv6Network
) -> bool:
    if network.version != scope.version:
        return False
    return network.subnet_of(scope)  # type: ignore[arg-type]
