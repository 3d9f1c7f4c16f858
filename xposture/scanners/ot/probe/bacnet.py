"""BACnet/IP ReadPropertyMultiple on the Device object: vendor, model, firmware and application version.

The Device object is addressed by the wildcard instance 4194303, so no
instance number needs guessing; one confirmed request per device.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from xposture.scanners.ot.probe.errors import ProbeReplyError
from xposture.scanners.ot.snmp.text import safe_text

PORT = 47808
DEVICE = 8
WILDCARD = 4194303
PROPERTIES = {
    77: "object_name",
    121: "vendor",
    120: "vendor_id",
    70: "model",
    44: "firmware",
    12: "application_version",
}
READ_PROPERTY_MULTIPLE = 0x0E


def request(invoke_id: int) -> bytes:
    """BVLC original-unicast + NPDU (reply expected) + confirmed ReadPropertyMultiple on Device,4194303."""
    object_id = struct.pack(">I", (DEVICE << 22) | WILDCARD)
    refs = b"".join(bytes([0x09, prop]) for prop in PROPERTIES)
    apdu = (
        bytes([0x00, 0x05, invoke_id & 0xFF, READ_PROPERTY_MULTIPLE]) + b"\x0c" + object_id + b"\x1e" + refs + b"\x1f"
    )
    npdu = b"\x01\x04"
    return struct.pack(">BBH", 0x81, 0x0A, 4 + len(npdu) + len(apdu)) + npdu + apdu


@dataclass(slots=True)
class _Tag:
    number: int
    context: bool
    opening: bool
    closing: bool
    data: bytes
    end: int


def _tag(buf: bytes, i: int) -> _Tag:
    if i >= len(buf):
        raise ProbeReplyError("truncated BACnet tag")
    first = buf[i]
    number, context, lvt = first >> 4, bool(first & 0x08), first & 0x07
    i += 1
    if number == 15:
        if i >= len(buf):
            raise ProbeReplyError("truncated extended tag")
        number, i = buf[i], i + 1
    if context and lvt in (6, 7):
        return _Tag(number, True, lvt == 6, lvt == 7, b"", i)
    length = lvt
    if lvt == 5:
        if i >= len(buf):
            raise ProbeReplyError("truncated tag length")
        length, i = buf[i], i + 1
        if length == 254:
            length, i = struct.unpack_from(">H", buf, i)[0] if i + 2 <= len(buf) else -1, i + 2
        elif length == 255:
            length, i = struct.unpack_from(">I", buf, i)[0] if i + 4 <= len(buf) else -1, i + 4
    if not context and number == 1:  # boolean: value in the length bits
        return _Tag(number, False, False, False, bytes([lvt]), i)
    if length < 0 or i + length > len(buf):
        raise ProbeReplyError("BACnet tag longer than the reply")
    return _Tag(number, context, False, False, buf[i : i + length], i + length)


def _value(tag: _Tag) -> str:
    if tag.context:
        return tag.data.hex()
    if tag.number == 7:  # character string: first byte is the character set
        charset, raw = (tag.data[0], tag.data[1:]) if tag.data else (0, b"")
        text = raw.decode("utf-16-be", errors="replace") if charset == 4 else raw
        return safe_text(text, 128)
    if tag.number in (2, 9):  # unsigned, enumerated
        return str(int.from_bytes(tag.data, "big")) if tag.data else "0"
    return tag.data.hex()


def parse(reply: bytes) -> dict[str, str]:
    """Device properties from a ReadPropertyMultiple ComplexACK; raises ``ProbeReplyError``."""
    if len(reply) < 8 or reply[0] != 0x81:
        raise ProbeReplyError("not a BACnet/IP reply")
    i = 4
    if reply[i] != 0x01:
        raise ProbeReplyError("unsupported NPDU version")
    control = reply[i + 1]
    i += 2
    if control & 0x08:  # source specifier present: DNET(2) DLEN(1) DADR(...)
        if i + 3 > len(reply):
            raise ProbeReplyError("truncated NPDU")
        i += 3 + reply[i + 2]
    if control & 0x20:
        raise ProbeReplyError("unexpected destination in a reply")
    if i >= len(reply):
        raise ProbeReplyError("no APDU")
    kind = reply[i] >> 4
    if kind == 5:
        raise ProbeReplyError("BACnet error reply")
    if kind in (6, 7):
        raise ProbeReplyError("BACnet reject/abort (ReadPropertyMultiple not supported?)")
    if kind != 3 or i + 3 > len(reply) or reply[i + 2] != READ_PROPERTY_MULTIPLE:
        raise ProbeReplyError("not a ReadPropertyMultiple ComplexACK")
    i += 3
    found: dict[str, str] = {}
    object_tag = _tag(reply, i)
    if len(object_tag.data) == 4:
        found["device_instance"] = str(struct.unpack(">I", object_tag.data)[0] & 0x3FFFFF)
    i = object_tag.end
    opening = _tag(reply, i)
    if not opening.opening:
        raise ProbeReplyError("malformed ReadAccessResult")
    i = opening.end
    while i < len(reply):
        tag = _tag(reply, i)
        if tag.closing:
            break
        prop = int.from_bytes(tag.data, "big") if tag.data else -1
        i = tag.end
        start = _tag(reply, i)
        i = start.end
        values: list[str] = []
        depth = 1
        while depth:
            inner = _tag(reply, i)
            i = inner.end
            if inner.opening:
                depth += 1
            elif inner.closing:
                depth -= 1
            elif start.number == 4 and depth == 1:
                values.append(_value(inner))
        name = PROPERTIES.get(prop)
        if name and values and start.number == 4:
            found[name] = values[0]
    return found
