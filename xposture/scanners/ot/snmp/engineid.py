"""Decode an SNMPv3 snmpEngineID (RFC 3411) the way nmap's snmp-info does.

An agent hands out its engine id to anyone who asks (USM discovery needs no
credentials), and the id usually names the vendor's enterprise number and
often a MAC or IP address of the device: a fingerprint without a password.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from xposture.scanners.ot.snmp import enterprises
from xposture.scanners.ot.snmp.text import format_mac, printable_ratio, safe_text

FORMATS = {1: "ipv4", 2: "ipv6", 3: "mac", 4: "text", 5: "octets"}
NET_SNMP = 8072


@dataclass(slots=True)
class EngineId:
    """A decoded engine id; ``format`` is ``ipv4``/``ipv6``/``mac``/``text``/``octets``/``enterprise``/``rfc1910``/``invalid``."""

    hex: str
    enterprise: int | None = None
    vendor: str = ""
    format: str = "invalid"
    mac: str = ""
    ip: str = ""
    text: str = ""
    data_hex: str = ""


def parse_engine_id(raw: bytes) -> EngineId:
    """Decode ``raw``; never raises, odd ids come back with ``format='invalid'``."""
    engine = EngineId(hex=raw.hex())
    if len(raw) < 5 or len(raw) > 32:
        return engine
    number = int.from_bytes(raw[:4], "big") & 0x7FFFFFFF
    engine.enterprise = number
    known = enterprises.lookup(number)
    engine.vendor = known.vendor if known else ""
    if not raw[0] & 0x80:
        engine.format = "rfc1910" if len(raw) == 12 else "invalid"
        engine.data_hex = raw[4:].hex()
        return engine
    kind, data = raw[4], raw[5:]
    engine.data_hex = data.hex()
    if kind == 1 and len(data) == 4:
        engine.format, engine.ip = "ipv4", str(ipaddress.IPv4Address(data))
    elif kind == 2 and len(data) == 16:
        engine.format, engine.ip = "ipv6", str(ipaddress.IPv6Address(data))
    elif kind == 3 and len(data) == 6:
        engine.format, engine.mac = "mac", format_mac(data) or ""
    elif kind == 4 and data and printable_ratio(data) == 1.0:
        engine.format, engine.text = "text", safe_text(data, 64)
    elif kind == 5:
        engine.format = "octets"
    elif kind >= 128:
        engine.format = "enterprise"
    return engine
