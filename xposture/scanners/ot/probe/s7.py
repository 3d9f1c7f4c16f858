"""Siemens S7comm Read-SZL 0x0011 (module identification): order number, hardware and firmware versions.

The S7 exchange needs an ISO connection and a communication setup before the
SZL read; all three packets are read-only and each is written to the audit log.
"""

from __future__ import annotations

import struct

from xposture.scanners.ot.probe.errors import ProbeReplyError
from xposture.scanners.ot.snmp.text import safe_text

PORT = 102


def tpkt(payload: bytes) -> bytes:
    return struct.pack(">BBH", 3, 0, len(payload) + 4) + payload


def connect_request(rack: int = 0, slot: int = 2) -> bytes:
    """COTP connection request with PG TSAPs (0x0100 -> 0x01<rack/slot>)."""
    remote = 0x0100 | ((rack & 0x7) << 5) | (slot & 0x1F)
    params = b"\xc0\x01\x0a" + b"\xc1\x02\x01\x00" + b"\xc2\x02" + struct.pack(">H", remote)
    cotp = bytes([6 + len(params), 0xE0, 0x00, 0x00, 0x00, 0x01, 0x00]) + params
    return tpkt(cotp)


def setup_communication() -> bytes:
    """S7 Job 0xF0: negotiate PDU size 480, one call at a time."""
    header = struct.pack(">BBHHHH", 0x32, 0x01, 0, 0x0100, 8, 0)
    params = struct.pack(">BBHHH", 0xF0, 0x00, 1, 1, 480)
    return tpkt(b"\x02\xf0\x80" + header + params)


def read_szl(szl_id: int = 0x0011, index: int = 0x0000) -> bytes:
    """S7 userdata: CPU functions / Read SZL."""
    header = struct.pack(">BBHHHH", 0x32, 0x07, 0, 0x0200, 8, 8)
    params = bytes([0x00, 0x01, 0x12, 0x04, 0x11, 0x44, 0x01, 0x00])
    data = bytes([0xFF, 0x09]) + struct.pack(">HHH", 4, szl_id, index)
    return tpkt(b"\x02\xf0\x80" + header + params + data)


def reply_length(header: bytes) -> int:
    """Bytes still to read after the 4-byte TPKT header."""
    if len(header) < 4 or header[0] != 3:
        raise ProbeReplyError("not a TPKT packet")
    length: int = struct.unpack(">H", header[2:4])[0]
    if not 7 <= length <= 4096:
        raise ProbeReplyError(f"bad TPKT length {length}")
    return length - 4


def check_connect_confirm(reply: bytes) -> None:
    if len(reply) < 6 or reply[5] != 0xD0:
        raise ProbeReplyError("ISO connection refused (no COTP connection confirm)")


def check_setup(reply: bytes) -> None:
    s7 = reply[7:]
    if len(s7) < 12 or s7[0] != 0x32 or s7[1] != 0x03:
        raise ProbeReplyError("S7 communication setup refused")
    if s7[10] or s7[11]:
        raise ProbeReplyError(f"S7 setup error class {s7[10]} code {s7[11]}")


def parse_szl(reply: bytes) -> dict[str, str]:
    """Module order number and versions from an SZL 0x0011 response; raises ``ProbeReplyError``."""
    s7 = reply[7:]
    if len(s7) < 10 or s7[0] != 0x32 or s7[1] != 0x07:
        raise ProbeReplyError("not an S7 userdata reply")
    param_length, data_length = struct.unpack(">HH", s7[6:10])
    data = s7[10 + param_length : 10 + param_length + data_length]
    if len(data) < 4 or data[0] != 0xFF:
        raise ProbeReplyError(f"SZL read refused (return code 0x{data[0]:02x})" if data else "no SZL data")
    body = data[4:]
    if len(body) < 8:
        raise ProbeReplyError("truncated SZL header")
    szl_id, _, record_length, count = struct.unpack(">HHHH", body[:8])
    if szl_id & 0x00FF != 0x11 or record_length != 28:
        raise ProbeReplyError(f"unexpected SZL 0x{szl_id:04x} record length {record_length}")
    fields: dict[str, str] = {}
    for number in range(min(count, 16)):
        record = body[8 + number * 28 : 8 + (number + 1) * 28]
        if len(record) != 28:
            raise ProbeReplyError("truncated SZL record")
        index = struct.unpack(">H", record[:2])[0]
        order = safe_text(record[2:22].rstrip(b"\x00 "), 32)
        ausbg, ausbe = struct.unpack(">HH", record[24:28])
        version = f"{ausbg & 0xFF}.{ausbe >> 8}.{ausbe & 0xFF}"
        if index == 0x0001:
            fields["order_number"] = order
            fields["module_version"] = version
        elif index == 0x0006:
            fields["hardware_order_number"] = order
            fields["hardware"] = str(ausbe)
        elif index == 0x0007:
            fields["firmware"] = version
    if not fields:
        raise ProbeReplyError("SZL 0x0011 carried no module records")
    return fields
