"""MQTT 3.1/3.1.1/5 control packets: CONNECT (credentials), CONNACK, SUBSCRIBE (wildcards), PUBLISH."""

from __future__ import annotations

from xposture.scanners.ot.dissect.base import ParseError, need, text

TYPES = {
    1: "connect",
    2: "connack",
    3: "publish",
    4: "puback",
    5: "pubrec",
    6: "pubrel",
    7: "pubcomp",
    8: "subscribe",
    9: "suback",
    10: "unsubscribe",
    11: "unsuback",
    12: "pingreq",
    13: "pingresp",
    14: "disconnect",
    15: "auth",
}


def _varint(data: bytes, pos: int) -> tuple[int, int]:
    value = 0
    for shift in range(4):
        need(data, pos + 1, "mqtt length")
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << (7 * shift)
        if not byte & 0x80:
            return value, pos
    raise ParseError("mqtt: malformed remaining length")


def packet_length(data: bytes) -> int:
    """Length of the MQTT packet starting ``data``, 0 while its fixed header is incomplete."""
    if len(data) < 2:
        return 0
    if data[0] >> 4 == 0:
        raise ParseError("not MQTT")
    try:
        remaining, pos = _varint(data, 1)
    except ParseError:
        if len(data) < 5:
            return 0
        raise
    return pos + remaining


def split(data: bytes) -> tuple[list[tuple[int, bytes]], int]:
    """``(type, packet)`` per control packet, and the bytes consumed."""
    found: list[tuple[int, bytes]] = []
    pos = 0
    while pos + 2 <= len(data):
        size = packet_length(data[pos:])
        if size == 0 or pos + size > len(data):
            break
        found.append((data[pos] >> 4, data[pos : pos + size]))
        pos += size
    return found, pos


def _string(data: bytes, pos: int) -> tuple[bytes, int]:
    need(data, pos + 2, "mqtt string")
    length = int.from_bytes(data[pos : pos + 2], "big")
    need(data, pos + 2 + length, "mqtt string")
    return data[pos + 2 : pos + 2 + length], pos + 2 + length


def connect(packet: bytes) -> dict[str, str | int | bool | bytes]:
    """Protocol level, client id, user name and password (raw, for hashing only) of a CONNECT."""
    _remaining, pos = _varint(packet, 1)
    name, pos = _string(packet, pos)
    if name not in (b"MQTT", b"MQIsdp"):
        raise ParseError("mqtt connect: bad protocol name")
    need(packet, pos + 4, "mqtt connect header")
    level, flags = packet[pos], packet[pos + 1]
    pos += 4
    if level == 5:
        length, pos = _varint(packet, pos)
        pos += length
    client_id, pos = _string(packet, pos)
    if flags & 0x04:
        if level == 5:
            length, pos = _varint(packet, pos)
            pos += length
        _topic, pos = _string(packet, pos)
        _message, pos = _string(packet, pos)
    user = b""
    password = b""
    if flags & 0x80:
        user, pos = _string(packet, pos)
    if flags & 0x40:
        password, pos = _string(packet, pos)
    return {
        "level": level,
        "client_id": text(client_id),
        "user": text(user),
        "has_user": bool(flags & 0x80),
        "has_password": bool(flags & 0x40),
        "password": password,
    }


def connack_code(packet: bytes) -> int:
    """Return code of a CONNACK (0 = accepted)."""
    _remaining, pos = _varint(packet, 1)
    need(packet, pos + 2, "mqtt connack")
    return packet[pos + 1]


def subscribe_topics(packet: bytes) -> list[str]:
    """Topic filters of a SUBSCRIBE (3.1.1 layout)."""
    remaining, pos = _varint(packet, 1)
    end = min(len(packet), pos + remaining)
    pos += 2
    topics: list[str] = []
    while pos < end and len(topics) < 64:
        topic, pos = _string(packet, pos)
        pos += 1
        topics.append(text(topic))
    return topics
