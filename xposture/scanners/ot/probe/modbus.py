"""Modbus/TCP function 0x2B / MEI 0x0E: Read Device Identification (vendor, product code, revision).

Only the configured unit id is asked, once: sweeping unit ids floods the
serial buses behind gateways.
"""

from __future__ import annotations

import struct

from xposture.scanners.ot.probe.errors import ProbeReplyError
from xposture.scanners.ot.snmp.text import safe_text

PORT = 502
REGULAR = 0x02
BASIC = 0x01
OBJECT_NAMES = {
    0: "vendor",
    1: "product_code",
    2: "revision",
    3: "vendor_url",
    4: "product_name",
    5: "model",
    6: "application",
}
EXCEPTIONS = {1: "illegal function", 2: "illegal data address", 3: "illegal data value", 4: "server device failure"}


def request(transaction: int, unit_id: int, code: int = REGULAR) -> bytes:
    """MBAP header + PDU ``2B 0E <code> 00`` (start at object 0)."""
    pdu = bytes([0x2B, 0x0E, code, 0x00])
    return struct.pack(">HHHB", transaction & 0xFFFF, 0, len(pdu) + 1, unit_id & 0xFF) + pdu


def reply_length(header: bytes) -> int:
    """Bytes still to read after the 7-byte MBAP header."""
    if len(header) < 7:
        raise ProbeReplyError("short MBAP header")
    protocol: int
    length: int
    _, protocol, length, _ = struct.unpack(">HHHB", header[:7])
    if protocol != 0 or not 2 <= length <= 260:
        raise ProbeReplyError(f"not a Modbus/TCP reply (protocol {protocol}, length {length})")
    return length - 1


def parse(reply: bytes) -> dict[str, str]:
    """Objects of a Read Device Identification response, by name; raises ``ProbeReplyError``."""
    if len(reply) < 9:
        raise ProbeReplyError("short Modbus reply")
    pdu = reply[7:]
    if pdu[0] == 0xAB:
        code = pdu[1] if len(pdu) > 1 else 0
        raise ProbeReplyError(f"Modbus exception {code} ({EXCEPTIONS.get(code, 'unknown')})")
    if pdu[0] != 0x2B or len(pdu) < 7 or pdu[1] != 0x0E:
        raise ProbeReplyError("not a Read Device Identification response")
    count = pdu[6]
    offset = 7
    objects: dict[str, str] = {"conformity": f"0x{pdu[3]:02x}"}
    for _ in range(count):
        if offset + 2 > len(pdu):
            raise ProbeReplyError("truncated object list")
        object_id, size = pdu[offset], pdu[offset + 1]
        value = pdu[offset + 2 : offset + 2 + size]
        if len(value) != size:
            raise ProbeReplyError("object longer than the reply")
        objects[OBJECT_NAMES.get(object_id, f"object_{object_id}")] = safe_text(value, 128)
        offset += 2 + size
    return objects
