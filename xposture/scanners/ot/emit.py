"""Records from what the captures taught us: hosts, OT devices, flows, operations, credentials, remote access.

Every derived field a rule needs (zones on both ends, conduit allowed,
engineering host, internet peer, declared or not) is computed here, once,
from the :class:`ZoneMap`, so the ``ot`` rule pack stays plain field matching.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from xposture.model import FieldValue, Layer, Record, make_record
from xposture.scanners.ot import ports
from xposture.scanners.ot.flows import Capture, Conversation
from xposture.scanners.ot.zones import IT_LEVEL, ZoneMap

SCANNER = "pcap"
MAC = re.compile(r"(?:[0-9a-f]{2}:){5}[0-9a-f]{2}")
ATTACK = {
    "program_download": "T0843",
    "program_upload": "T0845",
    "program_modify": "T0889",
    "mode_change": "T0858",
    "restart": "T0816",
    "firmware_update": "T0857",
    "write": "T0836",
    "operate": "T0855",
    "force": "T0836",
    "force_listen_only": "T0814",
    "disable_reporting": "T0804",
    "file_write": "T0867",
    "file_delete": "T0872",
    "method_call": "T0871",
    "dcp_set": "T0855",
    "login": "T0859",
}
"""ATT&CK for ICS technique per operation, as CISA ACID maps the function codes."""

OT_IDENTITY_SOURCES = frozenset(
    {
        "modbus_device_identification",
        "s7_szl",
        "enip_list_identity",
        "cip_identity",
        "bacnet_i_am",
        "bacnet_device_object",
        "mms_identify",
        "opcua_get_endpoints",
    }
)
DANGEROUS = frozenset(ATTACK) - {"write", "method_call", "login"}
ROUTER_MAC_IPS = 4
"""A MAC seen in front of more IPs than this is a router's: it is not any of those hosts' MAC."""


def mac_text(mac: bytes | str) -> str:
    """MACs are text once a capture is finished; raw bytes never reach a record."""
    return mac if isinstance(mac, str) else mac.hex(":")


def iso(ts: float) -> str:
    return dt.datetime.fromtimestamp(ts, tz=dt.UTC).isoformat().replace("+00:00", "Z") if ts else ""


@dataclass
class Host:
    """What the conversations say about one IP address."""

    ip: str
    macs: set[str] = field(default_factory=set)
    client_of: set[str] = field(default_factory=set)
    server_of: set[str] = field(default_factory=set)
    server_ports: set[int] = field(default_factory=set)
    peers: set[str] = field(default_factory=set)
    contacted: set[tuple[str, int]] = field(default_factory=set)
    writers: set[str] = field(default_factory=set)
    packets_sent: int = 0
    packets_received: int = 0
    bytes_sent: int = 0
    bytes_received: int = 0
    unanswered: int = 0
    first: float = 0.0
    last: float = 0.0
    file: str = ""
    offset: int = 0

    def seen(self, conv: Conversation) -> None:
        if not self.first or conv.first < self.first:
            self.first, self.file, self.offset = conv.first, conv.file, conv.first_offset
        self.last = max(self.last, conv.last)


class Builder:
    """Turns one merged :class:`Capture` into records for one site."""

    def __init__(
        self,
        capture: Capture,
        zones: ZoneMap,
        site: str,
        vendors: dict[str, str],
        policy: Mapping[str, Any] | None = None,
    ) -> None:
        policy = policy or {}
        self.scan_min_targets = int(policy.get("ot_scan_min_targets", 20))
        self.discovery_min_targets = int(policy.get("ot_discovery_min_targets", 5))
        self.cap = capture
        self.zones = zones
        self.site = site
        self.vendors = vendors
        self.hosts = self._hosts()

    # ------------------------------------------------------------------ helpers
    def asset(self, ip: str) -> str:
        return f"ip:{self.site}/{ip}" if self.site else f"ip:{ip}"

    def _zone_fields(self, prefix: str, ip: str) -> dict[str, FieldValue]:
        zone, level = self.zones.zone(ip)
        return {
            f"{prefix}_zone": zone,
            f"{prefix}_level": level,
            f"{prefix}_is_private": self.zones.is_private(ip),
            f"{prefix}_is_engineering_host": self.zones.is_engineering(ip),
            f"{prefix}_declared": self.is_declared(ip),
        }

    def _record(
        self, record_type: str, ip: str, key: str, fields: dict[str, FieldValue], file: str, offset: int, kind: str
    ) -> Record:
        fields = {"asset.ip": ip, "asset.kind": kind, "site": self.site or None, **fields}
        return make_record(
            record_type,
            asset_id=self.asset(ip),
            key=key,
            layer=Layer.OT,
            scanner=SCANNER,
            fields=fields,
            file=file,
            offset=offset,
        )

    def is_external(self, ip: str) -> bool:
        """A public address outside every zone of the site: a peer on the internet, not a plant asset."""
        return not self.zones.is_private(ip) and self.zones.zone(ip)[0] is None

    def is_declared(self, ip: str, mac: str = "") -> bool | None:
        """Whether the site declares this asset; unknown (None) without an asset list or for external peers."""
        if not self.zones.has_declared_assets or self.is_external(ip):
            return None
        return self.zones.declared(ip, mac) is not None

    def mac_of(self, ip: str) -> str:
        return next(iter(sorted(self.hosts[ip].macs)), "") if ip in self.hosts else ""

    # ------------------------------------------------------------------ hosts
    def _hosts(self) -> dict[str, Host]:
        hosts: dict[str, Host] = {}
        mac_ips: dict[str, set[str]] = {}

        def host(ip: str) -> Host | None:
            if self.zones.is_broadcast(ip):
                return None
            found = hosts.get(ip)
            if found is None:
                found = hosts[ip] = Host(ip)
            return found

        for conv in self.cap.conversations.values():
            client, server = host(conv.client), host(conv.server)
            for ip, mac in ((conv.client, conv.client_mac), (conv.server, conv.server_mac)):
                if mac and isinstance(mac, str) and not int(mac[:2], 16) & 1:
                    mac_ips.setdefault(mac, set()).add(ip)
            if client is not None:
                client.seen(conv)
                client.client_of.add(conv.protocol)
                client.peers.add(conv.server)
                client.contacted.add((conv.server, conv.server_port))
                client.packets_sent += conv.c_pkts
                client.bytes_sent += conv.c_bytes
                client.packets_received += conv.s_pkts
                client.bytes_received += conv.s_bytes
                if conv.transport == "tcp":
                    client.unanswered += max(conv.connections - conv.answered, 0) + conv.rejected
            if server is not None:
                server.seen(conv)
                if conv.s_pkts or conv.transport != "tcp":
                    server.server_of.add(conv.protocol)
                    if conv.transport in ("tcp", "udp") and conv.s_pkts:
                        server.server_ports.add(conv.server_port)
                server.peers.add(conv.client)
                server.packets_sent += conv.s_pkts
                server.bytes_sent += conv.s_bytes
                server.packets_received += conv.c_pkts
                server.bytes_received += conv.c_bytes
                if conv.writes or conv.control:
                    server.writers.add(conv.client)
        for mac, ips in mac_ips.items():
            if len(ips) > ROUTER_MAC_IPS:
                continue
            for ip in ips:
                if ip in hosts and self.zones.is_private(ip):
                    hosts[ip].macs.add(mac)
        for ip, mac in self.cap.arp.items():
            if ip in hosts and isinstance(mac, str):
                hosts[ip].macs = {mac}
        return hosts

    def host_records(self) -> Iterator[Record]:
        cap = self.cap
        for ip in sorted(self.hosts):
            h = self.hosts[ip]
            mac = self.mac_of(ip)
            declared = self.zones.declared(ip, mac)
            identity = cap.identities.get(ip, {})
            attrs = cap.host_attrs.get(ip, {})
            ot_server = sorted(p for p in h.server_of if p in ports.OT_PROTOCOLS)
            ot_client = sorted(p for p in h.client_of if p in ports.OT_PROTOCOLS)
            protocols = sorted(h.client_of | h.server_of)
            roles = sorted({f"{p}_client" for p in h.client_of} | {f"{p}_server" for p in h.server_of})
            targets = cap.discovery.get(ip, set())
            public_peers = sorted(p for p in h.peers if not self.zones.is_private(p))
            fields: dict[str, FieldValue] = {
                "asset.mac": mac or None,
                "asset.name": identity.get("name") or (declared.name if declared is not None else None),
                "host.ip": ip,
                "host.mac": mac or None,
                "host.vendor": self.vendors.get(mac),
                "host.protocols": protocols,
                "host.roles": roles,
                "host.server_ports": sorted(h.server_ports),
                "host.peers": len(h.peers),
                "host.internet_peers": len(public_peers),
                "host.packets_sent": h.packets_sent,
                "host.packets_received": h.packets_received,
                "host.bytes_sent": h.bytes_sent,
                "host.bytes_received": h.bytes_received,
                "host.first_seen": iso(h.first),
                "host.last_seen": iso(h.last),
                "host.distinct_targets": len(h.contacted),
                "host.unanswered_connections": h.unanswered,
                "host.scan_suspected": len(h.contacted) >= self.scan_min_targets
                and h.unanswered >= self.scan_min_targets // 2,
                "host.ot_discovery_requests": len(targets),
                "host.ot_discovery_sweep": len(targets) >= self.discovery_min_targets,
                "host.is_private": self.zones.is_private(ip),
                "host.is_engineering_host": self.zones.is_engineering(ip),
                "host.is_ot": bool(ot_server or ot_client or cap.identity_sources.get(ip, set()) & OT_IDENTITY_SOURCES),
                "host.speaks_ot_as_client": bool(ot_client),
                "host.declared": self.is_declared(ip, mac),
                "host.declared_name": declared.name if declared is not None else None,
                "host.server_software": sorted(
                    attrs.get("http.server", set())
                    | attrs.get("ssh.server_software", set())
                    | attrs.get("ftp.banner", set())
                ),
            }
            for name in ("vendor", "model", "firmware", "serial", "name", "description"):
                fields[f"identity.{name}"] = identity.get(name)
            fields["identity.vendor"] = identity.get("vendor") or self.vendors.get(mac)
            zone, level = self.zones.zone(ip)
            fields["host.zone"] = zone
            fields["host.level"] = level
            yield self._record("network_host", ip, "host", fields, h.file, h.offset, "network_host")
            if ot_server or cap.identity_sources.get(ip, set()) & OT_IDENTITY_SOURCES or "cip.modules" in attrs:
                yield self._device(ip, h, mac, identity, attrs, ot_server, ot_client, declared)

    def _device(
        self,
        ip: str,
        h: Host,
        mac: str,
        identity: dict[str, str],
        attrs: dict[str, set[str]],
        ot_server: list[str],
        ot_client: list[str],
        declared: Any,
    ) -> Record:
        masters = sorted(h.writers)
        policies = sorted(attrs.get("opcua.security_policies", set()) | attrs.get("opcua.channel_policies", set()))
        modes = sorted(attrs.get("opcua.security_modes", set()))
        tokens = sorted(attrs.get("opcua.user_tokens", set()))
        fields: dict[str, FieldValue] = {
            "asset.mac": mac or None,
            "asset.serial": identity.get("serial"),
            "asset.name": identity.get("name") or (declared.name if declared is not None else None),
            "identity.vendor": identity.get("vendor") or self.vendors.get(mac),
            "identity.model": identity.get("model"),
            "identity.firmware": identity.get("firmware"),
            "identity.serial": identity.get("serial"),
            "identity.hardware": identity.get("hardware"),
            "identity.product_code": identity.get("product_code"),
            "identity.product_name": identity.get("product_name"),
            "identity.name": identity.get("name"),
            "identity.description": identity.get("description"),
            "identity.product_uri": identity.get("product_uri"),
            "identity.vendor_id": identity.get("vendor_id"),
            "identity.device_type": identity.get("device_type"),
            "ot.bacnet_device_instance": identity.get("device_instance"),
            "ot.protocols": ot_server,
            "ot.client_protocols": ot_client,
            "ot.roles": sorted({"server"} if ot_server else set()) + (["master"] if ot_client else []),
            "ot.identity_sources": sorted(self.cap.identity_sources.get(ip, set())),
            "ot.modules": sorted(attrs.get("cip.modules", set())),
            "ot.identity_known": bool(identity.get("model") or identity.get("firmware")),
            "ot.masters": masters,
            "ot.master_count": len(masters),
            "ot.multiple_masters": len(masters) > 1,
            "ot.non_engineering_masters": len([m for m in masters if not self.zones.is_engineering(m)]),
            "ot.mac_vendor": self.vendors.get(mac),
            "ot.declared": self.is_declared(ip, mac),
            "ot.declared_model": declared.model if declared is not None and declared.model else None,
            "ot.declared_firmware": declared.firmware if declared is not None and declared.firmware else None,
            "ot.firmware_differs_from_declared": (
                identity.get("firmware") != declared.firmware
                if declared is not None and declared.firmware and identity.get("firmware")
                else None
            ),
            "opcua.security_policies": policies,
            "opcua.security_modes": modes,
            "opcua.user_tokens": tokens,
            "opcua.endpoint_urls": sorted(attrs.get("opcua.endpoint_urls", set())),
            "opcua.security_none_offered": ("None" in policies or "none" in modes) if policies or modes else None,
            "opcua.anonymous_offered": "anonymous" in tokens if tokens else None,
        }
        zone, level = self.zones.zone(ip)
        fields["device.zone"] = zone
        fields["device.level"] = level
        fields["device.internet_peers"] = len([p for p in h.peers if not self.zones.is_private(p)])
        fields["device.is_public"] = not self.zones.is_private(ip)
        fields["device.talks_to_internet"] = not self.is_external(ip) and (
            bool(fields["device.internet_peers"]) or bool(fields["device.is_public"])
        )
        return self._record("ot_device", ip, "device", fields, h.file, h.offset, "ot_device")

    # ------------------------------------------------------------------ flows
    def flow_records(self) -> Iterator[Record]:
        for key in sorted(self.cap.conversations, key=lambda k: (k[1], k[2], k[0], k[3])):
            conv = self.cap.conversations[key]
            yield self._flow(conv)
        for l2key in sorted(self.cap.layer2):
            yield self._l2flow(l2key)

    def _flow(self, conv: Conversation) -> Record:
        src, dst = conv.client, conv.server
        zs = self._zone_fields("flow.src", src)
        zd = self._zone_fields("flow.dst", dst)
        src_zone, dst_zone = self.zones.zone(src)[0], self.zones.zone(dst)[0]
        src_level, dst_level = zs["flow.src_level"], zd["flow.dst_level"]
        attrs = conv.attrs
        encrypted = (
            bool(attrs.get("tls"))
            or conv.protocol in ports.ENCRYPTED
            or (conv.protocol == "opcua" and attrs.get("opcua_security_policy", "None") != "None")
        )
        is_ot = conv.protocol in ports.OT_PROTOCOLS
        crosses = src_zone is not None and dst_zone is not None and src_zone != dst_zone
        internet = not zs["flow.src_is_private"] or not zd["flow.dst_is_private"]
        levels = [v for v in (src_level, dst_level) if isinstance(v, int)]
        fields: dict[str, FieldValue] = {
            "flow.transport": conv.transport,
            "flow.protocol": conv.protocol,
            "flow.src_ip": src,
            "flow.dst_ip": dst,
            "flow.dst_port": conv.server_port if conv.transport in ("tcp", "udp") else None,
            "flow.src_mac": mac_text(conv.client_mac) or None,
            "flow.dst_mac": mac_text(conv.server_mac) or None,
            "flow.vlan": conv.vlan or None,
            "flow.packets": conv.c_pkts + conv.s_pkts,
            "flow.bytes": conv.c_bytes + conv.s_bytes,
            "flow.src_packets": conv.c_pkts,
            "flow.dst_packets": conv.s_pkts,
            "flow.src_bytes": conv.c_bytes,
            "flow.dst_bytes": conv.s_bytes,
            "flow.connections": conv.connections,
            "flow.connections_unanswered": max(conv.connections - conv.answered - conv.rejected, 0)
            if conv.transport == "tcp"
            else None,
            "flow.connections_rejected": conv.rejected if conv.transport == "tcp" else None,
            "flow.first_seen": iso(conv.first),
            "flow.last_seen": iso(conv.last),
            "flow.duration_s": round(conv.last - conv.first, 6),
            "flow.functions": sorted(conv.functions),
            "flow.read_count": conv.reads,
            "flow.write_count": conv.writes,
            "flow.control_count": conv.control,
            "flow.pdus": conv.parsed,
            "flow.malformed_count": conv.malformed,
            "flow.malformed": conv.malformed > 0,
            "flow.is_ot": is_ot,
            "flow.encrypted": encrypted,
            "flow.cleartext_ot": is_ot and not encrypted and conv.protocol in ports.CLEARTEXT_OT,
            "flow.tls": bool(attrs.get("tls")),
            "flow.tls_version": attrs.get("tls_version"),
            "flow.tls_sni": attrs.get("tls_sni"),
            "flow.opcua_security_policy": attrs.get("opcua_security_policy"),
            "flow.mqtt_client_id": attrs.get("mqtt_client_id"),
            "flow.mqtt_connect_accepted": attrs.get("mqtt_connect_accepted"),
            "flow.mqtt_wildcard_subscription": attrs.get("mqtt_wildcard_subscription"),
            "flow.snmp_version": attrs.get("snmp_version"),
            "flow.dnp3_addresses": attrs.get("dnp3_addresses"),
            "flow.http_server": attrs.get("http_server"),
            **zs,
            **zd,
            "flow.crosses_zone": crosses,
            "flow.conduit_allowed": self.zones.conduit_allowed(src_zone, dst_zone, conv.protocol, conv.server_port)
            if crosses
            else None,
            "flow.internet": internet,
            "flow.it_to_control": bool(len(levels) == 2 and max(levels) >= IT_LEVEL and min(levels) <= 2),
            "flow.level_span": (max(levels) - min(levels)) if len(levels) == 2 else None,
            "flow.touches_ot_level": bool(levels and min(levels) <= 3),
        }
        key = f"{conv.transport}/{src}->{dst}:{conv.server_port}"
        owner = src if self.zones.is_broadcast(dst) else dst
        return self._record("network_flow", owner, key, fields, conv.file, conv.first_offset, "network_host")

    def _l2flow(self, key: tuple[Any, Any, int]) -> Record:
        from xposture.scanners.ot.flows import ETHERTYPES

        entry = self.cap.layer2[key]
        src, dst = str(entry.src), str(entry.dst)
        protocol = ETHERTYPES.get(entry.ethertype, f"ethertype_{entry.ethertype:#06x}")
        fields: dict[str, FieldValue] = {
            "asset.mac": src,
            "asset.kind": "network_host",
            "site": self.site or None,
            "flow.transport": "ethernet",
            "flow.protocol": protocol,
            "flow.src_mac": src,
            "flow.dst_mac": dst,
            "flow.vlan": entry.vlan or None,
            "flow.ethertype": entry.ethertype,
            "flow.packets": entry.packets,
            "flow.bytes": entry.byte_count,
            "flow.first_seen": iso(entry.first),
            "flow.last_seen": iso(entry.last),
            "flow.duration_s": round(entry.last - entry.first, 6),
            "flow.is_ot": protocol in ports.OT_PROTOCOLS,
            "flow.encrypted": False,
            "flow.cleartext_ot": protocol in ports.OT_PROTOCOLS,
        }
        return make_record(
            "network_flow",
            asset_id=f"mac:{src}",
            key=f"ethernet/{src}->{dst}/{protocol}",
            layer=Layer.OT,
            scanner=SCANNER,
            fields=fields,
            file=entry.file,
            offset=entry.offset,
        )

    def mac_device_records(self) -> Iterator[Record]:
        """Switches and field devices known only from LLDP, CDP or PROFINET DCP."""
        for mac in sorted(self.cap.mac_identities):
            found = self.cap.mac_identities[mac]
            sources = sorted(s for s in found.get("sources", "").split(",") if s)
            ip = found.get("ip") or found.get("management_ip")
            kind = "ot_device" if {"profinet_dcp", "goose"} & set(sources) else "network_host"
            fields: dict[str, FieldValue] = {
                "asset.mac": str(mac),
                "asset.ip": ip,
                "asset.kind": kind,
                "asset.name": found.get("name"),
                "site": self.site or None,
                "identity.vendor": self.vendors.get(str(mac)),
                "identity.model": found.get("model"),
                "identity.name": found.get("name"),
                "identity.description": found.get("description"),
                "identity.product_code": found.get("device_id"),
                "ot.identity_sources": sources,
                "ot.protocols": sorted(
                    {"profinet_dcp": "profinet", "goose": "goose"}[s] for s in sources if s in ("profinet_dcp", "goose")
                ),
                "ot.goose_control_block": found.get("gocb_ref"),
                "ot.goose_dataset": found.get("dataset"),
                "ot.goose_app_id": found.get("app_id"),
                "ot.goose_simulation": {"true": True, "false": False}.get(found.get("simulation", "")),
                "ot.l2_port": found.get("port"),
                "ot.mac_vendor": self.vendors.get(str(mac)),
            }
            record_type = "ot_device" if kind == "ot_device" else "network_host"
            yield make_record(
                record_type,
                asset_id=f"mac:{mac_text(mac)}",
                key="l2_identity",
                layer=Layer.OT,
                scanner=SCANNER,
                fields=fields,
            )

    # ------------------------------------------------------------------ operations, credentials, remote access
    def operation_records(self) -> Iterator[Record]:
        for key in sorted(self.cap.operations):
            op = self.cap.operations[key]
            src, dst = str(op.client), str(op.server)
            zs = self._zone_fields("op.src", src)
            zd = self._zone_fields("op.dst", dst)
            src_zone, dst_zone = self.zones.zone(src)[0], self.zones.zone(dst)[0]
            crosses = src_zone is not None and dst_zone is not None and src_zone != dst_zone
            fields: dict[str, FieldValue] = {
                "op.protocol": op.protocol,
                "op.operation": op.operation,
                "op.functions": sorted(op.functions),
                "op.targets": sorted(op.targets),
                "op.count": op.count,
                "op.src_ip": src,
                "op.dst_ip": dst,
                "op.dst_port": op.port or None,
                "op.first_seen": iso(op.first),
                "op.last_seen": iso(op.last),
                "op.attack_technique": ATTACK.get(op.operation),
                "op.dangerous": op.operation in DANGEROUS,
                **zs,
                **zd,
                "op.crosses_zone": crosses,
                "op.conduit_allowed": self.zones.conduit_allowed(src_zone, dst_zone, op.protocol, op.port)
                if crosses
                else None,
                "op.engineering_hosts_declared": bool(self.zones.engineering),
            }
            record_key = f"{op.protocol}/{op.operation}/{src}"
            if MAC.fullmatch(dst):
                record = make_record(
                    "ot_operation",
                    asset_id=f"mac:{dst}",
                    key=record_key,
                    layer=Layer.OT,
                    scanner=SCANNER,
                    fields={"asset.mac": dst, "site": self.site or None, **fields},
                    file=op.file,
                    offset=op.offset,
                )
                yield record
                continue
            owner = src if self.zones.is_broadcast(dst) else dst
            yield self._record("ot_operation", owner, record_key, fields, op.file, op.offset, "ot_device")

    def credential_records(self) -> Iterator[Record]:
        for key in sorted(self.cap.credentials, key=lambda k: tuple(str(p) for p in k)):
            cred = self.cap.credentials[key]
            src, dst = str(cred.client), str(cred.server)
            zd = self._zone_fields("cred.dst", dst)
            fields: dict[str, FieldValue] = {
                "cred.protocol": cred.protocol,
                "cred.kind": cred.kind,
                "cred.user": cred.user or None,
                "cred.secret_seen": bool(cred.secret_hash),
                "cred.secret_hash": cred.secret_hash or None,
                "cred.distinct_secrets": len(cred.hashes),
                "cred.password_guessing": len(cred.hashes) >= 5 and cred.failed >= 5,
                "cred.anonymous": cred.anonymous,
                "cred.is_default": cred.is_default,
                "cred.attempts": cred.attempts,
                "cred.failed_attempts": cred.failed,
                "cred.succeeded": cred.succeeded,
                "cred.src_ip": src,
                "cred.dst_ip": dst,
                "cred.dst_port": cred.port,
                "cred.first_seen": iso(cred.first),
                "cred.last_seen": iso(cred.last),
                "cred.src_is_private": self.zones.is_private(src),
                **zd,
            }
            record_key = f"{cred.protocol}/{cred.port}/{src}/{cred.kind}/{cred.user}"
            owner = src if self.zones.is_broadcast(dst) else dst
            yield self._record(
                "cleartext_credential", owner, record_key, fields, cred.file, cred.offset, "network_host"
            )

    def remote_access_records(self) -> Iterator[Record]:
        for key in sorted(self.cap.conversations, key=lambda k: (k[1], k[2], k[0], k[3])):
            conv = self.cap.conversations[key]
            if conv.protocol not in ports.REMOTE_ACCESS:
                continue
            attrs = conv.attrs
            src, dst = conv.client, conv.server
            zs = self._zone_fields("ra.src", src)
            zd = self._zone_fields("ra.dst", dst)
            version = attrs.get("ssh_version") or attrs.get("rfb_version")
            dst_level = zd["ra.dst_level"]
            fields: dict[str, FieldValue] = {
                "ra.protocol": conv.protocol,
                "ra.src_ip": src,
                "ra.dst_ip": dst,
                "ra.dst_port": conv.server_port,
                "ra.sessions": conv.connections,
                "ra.established": conv.answered > 0 or conv.s_pkts > 0,
                "ra.encrypted": conv.protocol in ports.ENCRYPTED or bool(attrs.get("tls")),
                "ra.version": version,
                "ra.legacy_version": bool(attrs.get("ssh_version", "2.0").startswith("1.")) or None,
                "ra.software": attrs.get("ssh_server_software") or attrs.get("ftp_banner"),
                "ra.client_software": attrs.get("ssh_client_software"),
                "ra.user": attrs.get("rdp_user"),
                "ra.bytes": conv.c_bytes + conv.s_bytes,
                "ra.first_seen": iso(conv.first),
                "ra.last_seen": iso(conv.last),
                **zs,
                **zd,
                "ra.into_ot": isinstance(dst_level, int) and dst_level <= 3,
                "ra.from_internet": not zs["ra.src_is_private"],
            }
            record_key = f"{conv.protocol}/{src}->{dst}:{conv.server_port}"
            yield self._record(
                "remote_access_session", dst, record_key, fields, conv.file, conv.first_offset, "network_host"
            )

    def records(self) -> Iterator[Record]:
        yield from self.host_records()
        yield from self.mac_device_records()
        yield from self.flow_records()
        yield from self.operation_records()
        yield from self.credential_records()
        yield from self.remote_access_records()
