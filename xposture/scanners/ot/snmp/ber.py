"""A minimal BER codec for SNMPv1/v2c messages: the sweep and walk fast path.

pyasn1 builds a Python object per tag and takes milliseconds per response;
at fleet scale that, not the network, bounds a scan. SNMPv1/v2c messages use
a handful of universal and application tags, so encoding and decoding them
directly is short, strict (every length is bounds-checked; anything odd is a
``ValueError``) and about a hundred times faster. The tests cross-check this
codec against pysnmp's own message API in both directions.
"""

from __future__ import annotations

from xposture.scanners.ot.snmp.walk import (
    COUNTER,
    COUNTER64,
    GAUGE,
    INTEGER,
    IPADDR,
    NULL,
    OCTETS,
    OID,
    OPAQUE,
    TIMETICKS,
    Oid,
    Value,
    ipaddr_value,
    oid_text,
)

PDU_TAGS = {"get": 0xA0, "next": 0xA1, "response": 0xA2, "set": 0xA3, "bulk": 0xA5}
VERSIONS = {"v1": 0, "v2c": 1}
ERROR_NAMES = (
    "noError",
    "tooBig",
    "noSuchName",
    "badValue",
    "readOnly",
    "genErr",
    "noAccess",
    "wrongType",
    "wrongLength",
    "wrongEncoding",
    "wrongValue",
    "noCreation",
    "inconsistentValue",
    "resourceUnavailable",
    "commitFailed",
    "undoFailed",
    "authorizationError",
    "notWritable",
    "inconsistentName",
)
_KINDS = {0x02: INTEGER, 0x04: OCTETS, 0x05: NULL, 0x06: OID, 0x40: IPADDR, 0x41: COUNTER, 0x42: GAUGE}
_KINDS.update({0x43: TIMETICKS, 0x44: OPAQUE, 0x46: COUNTER64})
_END_OF_VIEW = (0x80, 0x81, 0x82)  # noSuchObject, noSuchInstance, endOfMibView


def _length(size: int) -> bytes:
    if size < 0x80:
        return bytes([size])
    raw = size.to_bytes((size.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(raw)]) + raw


def _tlv(tag: int, content: bytes) -> bytes:
    return bytes([tag]) + _length(len(content)) + content


def _integer(value: int) -> bytes:
    return _tlv(0x02, value.to_bytes(max(1, (value.bit_length() + 8) // 8), "big", signed=True))


def _oid(oid: Oid) -> bytes:
    if len(oid) < 2 or oid[0] > 2 or (oid[0] < 2 and oid[1] >= 40):
        raise ValueError(f"cannot encode OID {oid!r}")
    out = bytearray()
    for number in (oid[0] * 40 + oid[1], *oid[2:]):
        if number < 0:
            raise ValueError("negative OID arc")
        chunk = [number & 0x7F]
        number >>= 7
        while number:
            chunk.append(0x80 | (number & 0x7F))
            number >>= 7
        out.extend(reversed(chunk))
    return _tlv(0x06, bytes(out))


def encode_request(
    version: str,
    community: str,
    kind: str,
    request_id: int,
    oids: tuple[Oid, ...],
    *,
    non_repeaters: int = 0,
    max_repetitions: int = 0,
    set_value: bytes | None = None,
) -> bytes:
    """One GET/GETNEXT/GETBULK/SET message; GETBULK in v1 becomes GETNEXT (v1 has no GETBULK)."""
    if kind == "bulk" and version == "v1":
        kind = "next"
    binds = bytearray()
    for oid in oids:
        value = _tlv(0x04, set_value) if kind == "set" and set_value is not None else b"\x05\x00"
        binds += _tlv(0x30, _oid(oid) + value)
    first, second = (non_repeaters, max_repetitions) if kind == "bulk" else (0, 0)
    pdu = _integer(request_id) + _integer(first) + _integer(second) + _tlv(0x30, bytes(binds))
    body = _integer(VERSIONS[version]) + _tlv(0x04, community.encode("utf-8", errors="surrogateescape"))
    return _tlv(0x30, body + _tlv(PDU_TAGS[kind], pdu))


class _Reader:
    __slots__ = ("data", "end", "pos")

    def __init__(self, data: bytes, pos: int = 0, end: int | None = None) -> None:
        self.data, self.pos, self.end = data, pos, len(data) if end is None else end

    def tlv(self) -> tuple[int, int, int]:
        """``(tag, start, end)`` of the next element; advances past it."""
        data, pos = self.data, self.pos
        if pos + 2 > self.end:
            raise ValueError("truncated BER element")
        tag, first = data[pos], data[pos + 1]
        pos += 2
        if first & 0x80:
            count = first & 0x7F
            if count == 0 or count > 4 or pos + count > self.end:
                raise ValueError("bad BER length")
            size = int.from_bytes(data[pos : pos + count], "big")
            pos += count
        else:
            size = first
        if pos + size > self.end:
            raise ValueError("BER element longer than its container")
        self.pos = pos + size
        return tag, pos, pos + size

    def expect(self, tag: int) -> tuple[int, int]:
        found, start, end = self.tlv()
        if found != tag:
            raise ValueError(f"expected tag 0x{tag:02x}, found 0x{found:02x}")
        return start, end

    def integer(self) -> int:
        start, end = self.expect(0x02)
        if end - start > 9 or end == start:
            raise ValueError("bad INTEGER")
        return int.from_bytes(self.data[start:end], "big", signed=True)


def _decode_oid(raw: bytes) -> Oid:
    if not raw or len(raw) > 256 or raw[-1] & 0x80:
        raise ValueError("bad OID encoding")
    arcs: list[int] = []
    number = 0
    for byte in raw:
        number = (number << 7) | (byte & 0x7F)
        if not byte & 0x80:
            arcs.append(number)
            number = 0
    first = arcs[0]
    head = (0, first) if first < 40 else (1, first - 40) if first < 80 else (2, first - 80)
    return (*head, *arcs[1:])


def _value(tag: int, raw: bytes) -> Value | None:
    if tag in _END_OF_VIEW:
        return None
    kind = _KINDS.get(tag)
    if kind is None:
        raise ValueError(f"unknown value tag 0x{tag:02x}")
    if kind in (OCTETS, OPAQUE):
        return Value(kind, raw)
    if kind == NULL:
        return Value(NULL, None)
    if kind == OID:
        return Value(OID, oid_text(_decode_oid(raw)))
    if kind == IPADDR:
        return ipaddr_value(raw)
    if not raw or len(raw) > 9:
        raise ValueError(f"bad {kind} length")
    return Value(kind, int.from_bytes(raw, "big", signed=kind == INTEGER))


def decode_response(data: bytes) -> tuple[int, str, list[tuple[Oid, Value | None]]]:
    """``(request id, error-status name or '', bindings)`` of a v1/v2c Response; ValueError otherwise."""
    outer = _Reader(data)
    start, end = outer.expect(0x30)
    message = _Reader(data, start, end)
    if message.integer() not in (0, 1):
        raise ValueError("not an SNMPv1/v2c message")
    message.expect(0x04)
    start, end = message.expect(PDU_TAGS["response"])
    pdu = _Reader(data, start, end)
    request_id = pdu.integer()
    status = pdu.integer()
    pdu.integer()
    start, end = pdu.expect(0x30)
    binds = _Reader(data, start, end)
    found: list[tuple[Oid, Value | None]] = []
    while binds.pos < binds.end:
        start, end = binds.expect(0x30)
        pair = _Reader(data, start, end)
        oid_start, oid_end = pair.expect(0x06)
        tag, value_start, value_end = pair.tlv()
        found.append((_decode_oid(data[oid_start:oid_end]), _value(tag, data[value_start:value_end])))
    name = ERROR_NAMES[status] if 0 <= status < len(ERROR_NAMES) else f"error{status}"
    return request_id, "" if status == 0 else name, found
