"""Site-to-site VPN connections to ``comms_link`` records, one per IPsec tunnel.

The tunnel options AWS will negotiate decide whether a plant's link to the
cloud can fall back to IKEv1, SHA-1 or DH group 2. Explicit ``TunnelOptions``
win; without them the customer-gateway configuration AWS hands out (the XML
document) says what the tunnel was set up with; with neither, AWS's
documented defaults apply — which allow all three weak choices.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from xposture.model import FieldValue, Record
from xposture.scanners.cloud.common import Where, inventory_record, resource_record, tag_map

DEFAULT_IKE = ["ikev1", "ikev2"]
DEFAULT_P1_ENC = ["AES128", "AES256", "AES128-GCM-16", "AES256-GCM-16"]
DEFAULT_P1_INT = ["SHA1", "SHA2-256", "SHA2-384", "SHA2-512"]
DEFAULT_P1_DH = [2, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24]
DEFAULT_P2_DH = [2, 5, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24]
WEAK_DH = {1, 2, 5, 22, 23, 24}
"""Groups 1/2/5 are under 2048-bit MODP; 22-24 are the RFC 5114 groups with small subgroups (NIST SP 800-77r1)."""
MAX_XML_BYTES = 1_000_000


def _values(items: Any) -> list[Any]:
    return [i.get("Value") for i in items or [] if isinstance(i, Mapping) and i.get("Value") is not None]


def _xml_tunnels(document: Any) -> list[dict[str, Any]]:
    """Tunnel settings from the customer-gateway configuration XML (never its pre-shared keys)."""
    if not isinstance(document, str) or not document.strip() or len(document) > MAX_XML_BYTES:
        return []
    try:
        root = ET.fromstring(document)  # noqa: S314 - size-capped, no DTD processing in expat defaults
    except ET.ParseError:
        return []
    tunnels = []
    for tunnel in root.iter("ipsec_tunnel"):
        ike, ipsec = tunnel.find("ike"), tunnel.find("ipsec")

        def text(node: ET.Element | None, path: str) -> str:
            found = node.find(path) if node is not None else None
            return (found.text or "").strip() if found is not None else ""

        tunnels.append(
            {
                "outside_ip": text(tunnel, "vpn_gateway/tunnel_outside_address/ip_address"),
                "customer_ip": text(tunnel, "customer_gateway/tunnel_outside_address/ip_address"),
                "ike_mode": text(ike, "mode"),
                "p1_enc": _cipher(text(ike, "encryption_protocol")),
                "p1_int": _integrity(text(ike, "authentication_protocol")),
                "p1_dh": _group(text(ike, "perfect_forward_secrecy")),
                "p2_enc": _cipher(text(ipsec, "encryption_protocol")),
                "p2_int": _integrity(text(ipsec, "authentication_protocol")),
                "p2_dh": _group(text(ipsec, "perfect_forward_secrecy")),
            }
        )
    return tunnels


def _cipher(text: str) -> list[str]:
    match = re.fullmatch(r"aes-(\d+)-(cbc|gcm)(?:-16)?", text.lower())
    if not match:
        return [text.upper()] if text else []
    return [f"AES{match.group(1)}" + ("-GCM-16" if match.group(2) == "gcm" else "")]


def _integrity(text: str) -> list[str]:
    low = text.lower()
    if not low:
        return []
    if "sha1" in low:
        return ["SHA1"]
    match = re.search(r"sha2?-?(256|384|512)", low)
    return [f"SHA2-{match.group(1)}"] if match else [text.upper()]


def _group(text: str) -> list[int]:
    match = re.search(r"(\d+)", text)
    return [int(match.group(1))] if match else []


def _tunnel_fields(options: Mapping[str, Any] | None, xml: Mapping[str, Any] | None) -> dict[str, FieldValue]:
    if options is not None:
        ike = [str(v) for v in _values(options.get("IkeVersions"))] or DEFAULT_IKE
        p1_enc = [str(v) for v in _values(options.get("Phase1EncryptionAlgorithms"))] or DEFAULT_P1_ENC
        p1_int = [str(v) for v in _values(options.get("Phase1IntegrityAlgorithms"))] or DEFAULT_P1_INT
        p1_dh = [int(v) for v in _values(options.get("Phase1DHGroupNumbers"))] or DEFAULT_P1_DH
        p2_enc = [str(v) for v in _values(options.get("Phase2EncryptionAlgorithms"))] or DEFAULT_P1_ENC
        p2_int = [str(v) for v in _values(options.get("Phase2IntegrityAlgorithms"))] or DEFAULT_P1_INT
        p2_dh = [int(v) for v in _values(options.get("Phase2DHGroupNumbers"))] or DEFAULT_P2_DH
        logging = (((options.get("LogOptions") or {}).get("CloudWatchLogOptions")) or {}).get("LogEnabled")
        origin = "tunnel_options"
        extra: dict[str, FieldValue] = {
            "vpn.tunnel_logging": bool(logging) if logging is not None else False,
            "vpn.startup_action": options.get("StartupAction"),
            "vpn.dpd_timeout_action": options.get("DpdTimeoutAction"),
        }
    elif xml is not None:
        ike = ["ikev1"] if xml.get("ike_mode") in ("main", "aggressive") else DEFAULT_IKE
        p1_enc, p1_int, p1_dh = (
            xml["p1_enc"] or DEFAULT_P1_ENC,
            xml["p1_int"] or DEFAULT_P1_INT,
            xml["p1_dh"] or DEFAULT_P1_DH,
        )
        p2_enc, p2_int, p2_dh = (
            xml["p2_enc"] or DEFAULT_P1_ENC,
            xml["p2_int"] or DEFAULT_P1_INT,
            xml["p2_dh"] or DEFAULT_P2_DH,
        )
        origin = "gateway_configuration"
        extra = {"vpn.ike_mode": xml.get("ike_mode") or None}
    else:
        ike, p1_enc, p1_int, p1_dh = DEFAULT_IKE, DEFAULT_P1_ENC, DEFAULT_P1_INT, DEFAULT_P1_DH
        p2_enc, p2_int, p2_dh = DEFAULT_P1_ENC, DEFAULT_P1_INT, DEFAULT_P2_DH
        origin = "aws_defaults"
        extra = {}
    fields: dict[str, FieldValue] = {
        "vpn.ike_versions": list(ike),
        "vpn.phase1_encryption": list(p1_enc),
        "vpn.phase1_integrity": list(p1_int),
        "vpn.phase1_dh_groups": list(p1_dh),
        "vpn.phase2_encryption": list(p2_enc),
        "vpn.phase2_integrity": list(p2_int),
        "vpn.phase2_dh_groups": list(p2_dh),
        "vpn.ikev1_allowed": "ikev1" in ike,
        "vpn.sha1_allowed": "SHA1" in p1_int or "SHA1" in p2_int,
        "vpn.weak_dh_allowed": bool(WEAK_DH & (set(p1_dh) | set(p2_dh))),
        "vpn.cbc_only": not any("GCM" in e for e in [*p1_enc, *p2_enc]),
        "vpn.options_source": origin,
    }
    fields.update(extra)
    return fields


def vpn_connection_records(
    connection: Mapping[str, Any],
    where: Where,
    customer_gateways: Mapping[str, Mapping[str, Any]] | None = None,
    api: str = "ec2:DescribeVpnConnections",
) -> Iterator[Record]:
    """One ``cloud_resource`` per connection and one ``comms_link`` per tunnel."""
    connection_id = str(connection.get("VpnConnectionId", ""))
    tags = tag_map(connection.get("Tags"))
    arn = where.arn("ec2", f"vpn-connection/{connection_id}")
    gateway = (customer_gateways or {}).get(str(connection.get("CustomerGatewayId", ""))) or {}
    options = connection.get("Options") or {}
    tunnel_options: Sequence[Mapping[str, Any]] = options.get("TunnelOptions") or []
    telemetry = {str(t.get("OutsideIpAddress")): t for t in connection.get("VgwTelemetry", []) or []}
    xml_tunnels = _xml_tunnels(connection.get("CustomerGatewayConfiguration"))
    count = max(len(tunnel_options), len(xml_tunnels), len(telemetry), 1)
    telemetry_list = list(telemetry.values())
    name = tags.get("Name", connection_id)
    base = resource_record(
        "cloud_resource",
        where,
        arn=arn,
        key="resource",
        service="ec2",
        resource_type="AWS::EC2::VPNConnection",
        resource_id=connection_id,
        name=name,
        api=api,
        tags=tags,
    )
    yield inventory_record(base)
    for index in range(count):
        opts = tunnel_options[index] if index < len(tunnel_options) else None
        xml = xml_tunnels[index] if index < len(xml_tunnels) and opts is None else None
        outside = str((opts or {}).get("OutsideIpAddress") or (xml or {}).get("outside_ip") or "")
        if not outside and index < len(telemetry_list):
            outside = str(telemetry_list[index].get("OutsideIpAddress") or "")
        status = telemetry.get(outside, {}).get("Status")
        remote = gateway.get("IpAddress") or (xml or {}).get("customer_ip") or None
        fields: dict[str, FieldValue] = {
            "link.name": f"{name}/tunnel{index + 1}",
            "link.kind": "site_to_site_vpn",
            "link.transport": "ipsec",
            "link.encrypted": True,
            "link.local_endpoint": outside or None,
            "link.remote_endpoint": remote,
            "link.state": connection.get("State"),
            "link.up": None if status is None else str(status).upper() == "UP",
            "vpn.connection_id": connection_id,
            "vpn.tunnel_index": index + 1,
            "vpn.customer_gateway_id": connection.get("CustomerGatewayId"),
            "vpn.gateway_id": connection.get("VpnGatewayId") or connection.get("TransitGatewayId"),
            "vpn.static_routes_only": options.get("StaticRoutesOnly"),
            "vpn.tunnel_status": status,
            "vpn.tunnel_status_message": telemetry.get(outside, {}).get("StatusMessage") or None,
            "vpn.category": connection.get("Category"),
        }
        fields.update(_tunnel_fields(opts, xml))
        yield resource_record(
            "comms_link",
            where,
            arn=arn,
            key=f"tunnel{index + 1}/{outside or 'unknown'}",
            service="ec2",
            resource_type="AWS::EC2::VPNConnection",
            resource_id=connection_id,
            name=name,
            api=api,
            tags=tags,
            fields=fields,
        )
