"""Declared comms links become ``comms_link`` records, joined with what the scan actually saw on them.

The inventory says what a link is supposed to be (encrypted IPsec to the
cloud, vendor remote access over cellular...). Other scanners say what it
is: pcap flows between the link's two ends (a declared-encrypted link seen
carrying cleartext Modbus is the classic contradiction), TLS/SSH/IKE/OPC UA
posture of the link's endpoints, AWS site-to-site VPN tunnels of the cloud
account it lands in, and LLDP neighbours that show its physical path. The
join is done here, once, so rules judge plain fields.
"""

from __future__ import annotations

import functools
import ipaddress
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from xposture.model import FieldValue, Layer, Record, as_list, make_record
from xposture.scanners.base import ScanContext, Zone
from xposture.scanners.comms.endpoints import parse_endpoint

Network = ipaddress.IPv4Network | ipaddress.IPv6Network

ENCRYPTED_PROTOCOLS = frozenset(
    {"tls", "https", "ssh", "ipsec", "esp", "ike", "isakmp", "wireguard", "openvpn", "dtls", "mqtts", "opcua_secure",
     "rdp_tls", "ldaps", "syslog_tls", "quic"}
)  # fmt: skip
OT_PROTOCOLS = frozenset(
    {"modbus", "s7comm", "s7comm_plus", "enip", "cip", "dnp3", "iec104", "bacnet", "profinet", "opcua", "mqtt",
     "iec61850", "goose", "mms", "fins", "melsec", "hart_ip", "c37118"}
)  # fmt: skip
MAX_EVIDENCE = 20


@dataclass(slots=True)
class LinkEnd:
    """One side of a declared link, resolved to networks (site/zone/CIDR/IP) or a cloud account."""

    text: str
    networks: list[Network] = field(default_factory=list)
    site: str = ""
    zone: str = ""
    cloud_account: str = ""
    cloud_region: str = ""

    ranges: list[tuple[int, int, int]] = field(default_factory=list)
    """``networks`` as (IP version, first, last) integers: a hundred thousand flows times the links stay cheap."""

    def __post_init__(self) -> None:
        self.index()

    def index(self) -> None:
        self.ranges = [(n.version, int(n.network_address), int(n.broadcast_address)) for n in self.networks]

    def contains(self, ip: str | None, zone: str | None = None, site: str | None = None) -> bool:
        if self.zone and zone and zone == self.zone and (not site or not self.site or site == self.site):
            return True
        key = _address(ip) if ip else None
        if key is None:
            return False
        version, value = key
        return any(v == version and lo <= value <= hi for v, lo, hi in self.ranges)


@functools.lru_cache(maxsize=65536)
def _address(text: str) -> tuple[int, int] | None:
    """(IP version, integer) parsed once per distinct address."""
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    return address.version, int(address)


def resolve_end(text: str, zones: Sequence[Zone]) -> LinkEnd:
    """``site/zone``, ``site``, ``aws:<account>[/<region>]``, a CIDR or an IP address."""
    end = LinkEnd(text)
    if text.startswith("aws:"):
        account, _, region = text.removeprefix("aws:").partition("/")
        end.cloud_account, end.cloud_region = account, region
        return end
    try:
        end.networks = [ipaddress.ip_network(text, strict=False)]
    except ValueError:
        site, _, zone = text.partition("/")
        end.site, end.zone = site, zone
        for z in zones:
            if z.site == site and (not zone or z.name == zone):
                end.networks.extend(z.networks)
    end.index()
    return end


def _text(value: FieldValue) -> str:
    return "" if value is None or isinstance(value, list) else str(value)


def _flow_is_cleartext(flow: Record) -> bool:
    if flow.get("flow.encrypted") is True or flow.get("flow.tls") is True:
        return False
    protocol = _text(flow.get("flow.protocol")).lower()
    return bool(protocol) and protocol not in ENCRYPTED_PROTOCOLS and protocol not in ("unknown", "")


@dataclass(slots=True)
class Evidence:
    """What the scan's other records say about one declared link."""

    flows: int = 0
    bytes: int = 0
    protocols: set[str] = field(default_factory=set)
    cleartext: set[str] = field(default_factory=set)
    samples: list[str] = field(default_factory=list)
    endpoint_issues: list[str] = field(default_factory=list)
    probed: list[str] = field(default_factory=list)
    vpn_tunnels: int = 0
    vpn_tunnels_up: int = 0
    vpn_weak: list[str] = field(default_factory=list)
    lldp: list[str] = field(default_factory=list)

    def add_flow(self, flow: Record) -> None:
        self.flows += 1
        size = flow.get("flow.bytes")
        self.bytes += size if isinstance(size, int) else 0
        protocol = _text(flow.get("flow.protocol")).lower() or "unknown"
        self.protocols.add(protocol)
        if _flow_is_cleartext(flow):
            self.cleartext.add(protocol)
        if len(self.samples) < MAX_EVIDENCE:
            self.samples.append(
                f"{_text(flow.get('flow.src_ip'))}->{_text(flow.get('flow.dst_ip'))}:"
                f"{_text(flow.get('flow.dst_port'))}/{protocol}"
            )


def endpoint_issue(record: Record) -> str:
    """A one-line reason when an endpoint record on the link shows weak crypto or no access control, else ''."""
    kind = record.get("record.type")
    target = _text(record.get("source.target")) or _text(record.get("asset.ip"))
    reasons: list[str] = []
    if kind == "tls_endpoint":
        reasons += [str(v) for v in as_list(record.get("tls.obsolete_versions", []))]
        reasons += [str(c) for c in as_list(record.get("tls.weak_classes", [])) if c != "no_forward_secrecy"]
    elif kind == "ssh_endpoint":
        if record.get("ssh.fail_count"):
            reasons.append(f"{record['ssh.fail_count']} broken ssh algorithms")
        if record.get("ssh.ssh1_supported"):
            reasons.append("SSH-1")
    elif kind == "vpn_endpoint":
        if record.get("vpn.ikev1_aggressive_psk"):
            reasons.append("IKEv1 aggressive mode")
        reasons += [f"DH group {g}" for g in as_list(record.get("vpn.weak_dh_groups", []))]
        reasons += [str(e) for e in as_list(record.get("vpn.weak_encryption", []))]
    elif kind == "opcua_endpoint":
        if record.get("opcua.insecure_mode"):
            reasons.append("OPC UA SecurityMode None")
        if record.get("opcua.deprecated_policy"):
            reasons.append(f"OPC UA {record.get('opcua.security_policy')}")
    elif kind == "tls_certificate":
        target = _text(record.get("cert.endpoint")) or target
        for flag, text in (("cert.expired", "certificate expired"), ("cert.weak_key", "weak certificate key"),
                           ("cert.weak_signature", "SHA-1/MD5 signed certificate")):  # fmt: skip
            if record.get(flag):
                reasons.append(text)
        if record.get("cert.self_signed") and record.get("cert.position") == 0:
            reasons.append("self-signed certificate")
    elif kind == "mqtt_broker":
        if record.get("mqtt.anonymous_allowed"):
            reasons.append("anonymous MQTT")
        if record.get("mqtt.tls") is False and record.get("mqtt.tls_listener_on_host") is False:
            reasons.append("MQTT without TLS")
    return f"{target}: {', '.join(reasons)}" if reasons else ""


PROBED_TYPES = ("tls_endpoint", "tls_certificate", "ssh_endpoint", "vpn_endpoint", "opcua_endpoint", "mqtt_broker")


class CommsLinkEnricher:
    """Turn ``inventory.links`` into ``comms_link`` records with observed evidence from every other scanner."""

    name: ClassVar[str] = "comms_links"
    order: ClassVar[int] = 120

    def enrich(self, records: list[Record], ctx: ScanContext) -> Iterable[Record]:
        inventory = ctx.inventory
        links = list(getattr(inventory, "links", []) or [])
        if not links:
            return []
        zones = list(ctx.zones) or (inventory.zones() if hasattr(inventory, "zones") else [])
        flows = [r for r in records if r.get("record.type") == "network_flow"]
        probed = [r for r in records if r.get("record.type") in PROBED_TYPES]
        others = [r for r in records if r.get("record.type") == "comms_link" and r.get("link.kind") != "declared"]
        return list(self._links(links, zones, flows, probed, others))

    def _links(
        self,
        links: Sequence[Any],
        zones: Sequence[Zone],
        flows: list[Record],
        probed: list[Record],
        others: list[Record],
    ) -> Iterator[Record]:
        ends = [(resolve_end(link.source, zones), resolve_end(link.target, zones)) for link in links]
        located = _EndIndex([end for pair in ends for end in pair])
        evidence = [Evidence() for _ in links]
        endpoint_ips = [_endpoint_ips(link.endpoints) for link in links]
        for flow in flows:
            src, dst, sz, dz, site = _flow_key(flow)
            at_src, at_dst = located.ends(src, sz, site), located.ends(dst, dz, site)
            for number in range(len(links)):
                first, second = 2 * number, 2 * number + 1
                ips = endpoint_ips[number]
                if (
                    (first in at_src and second in at_dst)
                    or (second in at_src and first in at_dst)
                    or (ips and (src in ips or dst in ips))
                ):
                    evidence[number].add_flow(flow)
        for number, link in enumerate(links):
            (a, b), ev, ips = ends[number], evidence[number], endpoint_ips[number]
            for record in probed:
                ip = _text(record.get("asset.ip"))
                if ip and (ip in ips or (not ips and (a.contains(ip) or b.contains(ip)))):
                    label = _text(record.get("source.target")) or _text(record.get("cert.endpoint")) or ip
                    if label not in ev.probed:
                        ev.probed.append(label)
                    issue = endpoint_issue(record)
                    if issue:
                        ev.endpoint_issues.append(issue)
            for other in others:
                _join_other(other, link, a, b, ev)
            yield self._record(link, a, b, ev)

    def _record(self, link: Any, a: LinkEnd, b: LinkEnd, ev: Evidence) -> Record:
        declared_protocols = [p.lower() for p in link.protocols]
        undeclared = sorted(p for p in ev.protocols if declared_protocols and p not in declared_protocols)
        cleartext = sorted(ev.cleartext)
        fields: dict[str, FieldValue] = {
            "asset.kind": "comms_link",
            "asset.name": link.name,
            "link.name": link.name,
            "link.kind": "declared",
            "link.from": link.source,
            "link.to": link.target,
            "link.transport": link.transport or None,
            "link.encrypted": link.encrypted,
            "link.authentication": link.authentication or None,
            "link.vendor_remote_access": link.vendor_remote_access,
            "link.cellular": link.cellular,
            "link.redundancy": link.redundancy or None,
            "link.endpoints": list(link.endpoints),
            "link.declared_protocols": declared_protocols,
            "link.from_resolved": bool(a.networks or a.cloud_account),
            "link.to_resolved": bool(b.networks or b.cloud_account),
            "link.observed": bool(ev.flows or ev.probed or ev.vpn_tunnels or ev.lldp),
            "link.observed_flows": ev.flows,
            "link.observed_bytes": ev.bytes,
            "link.observed_protocols": sorted(ev.protocols),
            "link.observed_cleartext_protocols": cleartext,
            "link.observed_cleartext_ot": any(p in OT_PROTOCOLS for p in cleartext),
            "link.observed_flow_samples": ev.samples,
            "link.undeclared_protocols": undeclared,
            "link.encryption_contradicted": link.encrypted is True and bool(cleartext),
            "link.probed_endpoints": ev.probed,
            "link.weak_endpoints": ev.endpoint_issues,
            "link.cloud_vpn_tunnels": ev.vpn_tunnels if (a.cloud_account or b.cloud_account) else None,
            "link.cloud_vpn_tunnels_up": ev.vpn_tunnels_up if (a.cloud_account or b.cloud_account) else None,
            "link.cloud_vpn_weak": ev.vpn_weak,
            "link.redundancy_degraded": bool(link.redundancy) and ev.vpn_tunnels > 0 and ev.vpn_tunnels_up < 2,
            "link.lldp_path": ev.lldp,
        }
        return make_record(
            "comms_link",
            asset_id=f"link:{link.name}",
            key="declared",
            layer=Layer.COMMS,
            scanner="inventory",
            fields=fields,
            file=link.file or None,
            line=link.line,
        )


class _EndIndex:
    """Which link ends hold an address (or zone): computed once per distinct address, not per flow and link."""

    def __init__(self, ends: list[LinkEnd]) -> None:
        self._ends = ends
        self._by_address: dict[str, frozenset[int]] = {}
        self._by_zone: dict[tuple[str, str], frozenset[int]] = {}

    def ends(self, ip: str, zone: str, site: str) -> frozenset[int]:
        found = self._by_address.get(ip)
        if found is None:
            found = self._by_address[ip] = frozenset(i for i, e in enumerate(self._ends) if e.contains(ip))
        if not zone:
            return found
        by_zone = self._by_zone.get((zone, site))
        if by_zone is None:
            by_zone = self._by_zone[(zone, site)] = frozenset(
                i for i, e in enumerate(self._ends) if e.contains(None, zone, site)
            )
        return found | by_zone if by_zone else found


def _flow_key(flow: Record) -> tuple[str, str, str, str, str]:
    """Client, server, their zones and the site: what decides whether a flow is on a link."""
    return (
        _text(flow.get("flow.src_ip")),
        _text(flow.get("flow.dst_ip")),
        _text(flow.get("flow.src_zone")),
        _text(flow.get("flow.dst_zone")),
        _text(flow.get("site")),
    )


def _endpoint_ips(endpoints: Sequence[str]) -> set[str]:
    ips: set[str] = set()
    for text in endpoints:
        try:
            host, _ = parse_endpoint(text, 0)
            ips.add(str(ipaddress.ip_address(host)))
        except ValueError:
            continue
    return ips


def _join_other(other: Record, link: Any, a: LinkEnd, b: LinkEnd, ev: Evidence) -> None:
    """AWS VPN tunnels of the link's cloud end; LLDP neighbour records on the link's networks."""
    kind = _text(other.get("link.kind"))
    if kind == "site_to_site_vpn":
        cloud = a if a.cloud_account else b if b.cloud_account else None
        if cloud is None:
            return
        account, region = _text(other.get("cloud.account_id")), _text(other.get("cloud.region"))
        if account and account != cloud.cloud_account:
            return
        if cloud.cloud_region and region and region != cloud.cloud_region:
            return
        ev.vpn_tunnels += 1
        if other.get("link.up") is True:
            ev.vpn_tunnels_up += 1
        weak = [flag for flag in ("ikev1_allowed", "sha1_allowed", "weak_dh_allowed") if other.get(f"vpn.{flag}")]
        if weak:
            ev.vpn_weak.append(f"{_text(other.get('link.name'))}: {', '.join(weak)}")
    elif kind == "lldp":
        local, remote = _text(other.get("link.local_address")), _text(other.get("link.remote_address"))
        if any(end.contains(ip) for end in (a, b) for ip in (local, remote) if ip) and len(ev.lldp) < MAX_EVIDENCE:
            ev.lldp.append(
                f"{_text(other.get('link.local_device'))}:{_text(other.get('link.local_port'))}->"
                f"{_text(other.get('link.remote_device'))}:{_text(other.get('link.remote_port'))}"
            )
