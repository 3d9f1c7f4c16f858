"""EtherNet/IP ListIdentity (encapsulation command 0x63): the CIP Identity object without a session."""

from __future__ import annotations

import struct

from xposture.scanners.ot.probe.errors import ProbeReplyError
from xposture.scanners.ot.snmp.text import safe_text

PORT = 44818
LIST_IDENTITY = 0x63
HEADER = struct.Struct("<HHII8sI")
VENDORS = {1: "Rockwell Automation/Allen-Bradley"}
"""CIP vendor ids we name; others are reported by number (``enip.vendor_id``)."""
DEVICE_TYPES = {
    0x00: "generic device",
    0x02: "AC drive",
    0x07: "general purpose discrete I/O",
    0x0C: "communications adapter",
    0x0E: "programmable logic controller",
    0x18: "human-machine interface",
    0x2B: "generic device (keyable)",
}


def request(context: bytes = b"xposture") -> bytes:
    """A 24-byte encapsulation header with command 0x63 and no data."""
    return HEADER.pack(LIST_IDENTITY, 0, 0, 0, context[:8].ljust(8, b"\x00"), 0)


def reply_length(header: bytes) -> int:
    if len(header) < HEADER.size:
        raise ProbeReplyError("short encapsulation header")
    command, length, _, status, _, _ = HEADER.unpack(header[: HEADER.size])
    if command != LIST_IDENTITY:
        raise ProbeReplyError(f"unexpected encapsulation command 0x{command:04x}")
    if status != 0:
        raise ProbeReplyError(f"encapsulation status 0x{status:08x}")
    if length > 1024:
        raise ProbeReplyError("ListIdentity reply too long")
    return int(length)


def parse(reply: bytes) -> dict[str, str | int]:
    """Fields of the first CIP Identity item; raises ``ProbeReplyError``."""
    data = reply[HEADER.size :]
    if len(data) < 2:
        raise ProbeReplyError("no item count")
    count = struct.unpack_from("<H", data)[0]
    if count < 1:
        raise ProbeReplyError("no identity item")
    if len(data) < 6:
        raise ProbeReplyError("truncated item header")
    item_type, item_length = struct.unpack_from("<HH", data, 2)
    item = data[6 : 6 + item_length]
    if item_type != 0x0C or len(item) < 33 or len(item) != item_length:
        raise ProbeReplyError("not a CIP Identity item")
    vendor, device_type, product_code, major, minor, status, serial = struct.unpack_from("<HHHBBHI", item, 18)
    name_length = item[32]
    name = item[33 : 33 + name_length]
    if len(name) != name_length:
        raise ProbeReplyError("product name longer than the item")
    fields: dict[str, str | int] = {
        "vendor_id": vendor,
        "device_type": device_type,
        "device_type_name": DEVICE_TYPES.get(device_type, ""),
        "product_code": product_code,
        "revision": f"{major}.{minor:03d}",
        "status": status,
        "serial": f"{serial:08x}",
        "product_name": safe_text(name, 128),
    }
    socket_address = item[2:18]
    if len(socket_address) == 16 and socket_address[:2] == b"\x00\x02":
        fields["ip"] = ".".join(str(b) for b in socket_address[4:8])
    return fields
