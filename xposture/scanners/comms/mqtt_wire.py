"""MQTT 3.1.1 packets the probe needs (OASIS MQTT 3.1.1, sections 2-3): CONNECT, SUBSCRIBE, and reading answers.

Small enough to write by hand, and a hand-written reader bounds every length
a hostile broker could send (paho-mqtt would buffer whatever arrives).
"""

from __future__ import annotations

import asyncio
import struct
from dataclasses import dataclass

from xposture.errors import ScannerError
from xposture.scanners.comms.endpoints import read_exactly

CONNACK, PUBLISH, SUBACK, PINGRESP = 2, 3, 9, 13
MAX_PACKET = 64 * 1024
"""Largest packet the probe reads; a $SYS value or CONNACK is a few bytes."""

CONNACK_CODES = {
    0: "accepted",
    1: "unacceptable protocol version",
    2: "identifier rejected",
    3: "server unavailable",
    4: "bad user name or password",
    5: "not authorized",
}


def _string(text: str | bytes) -> bytes:
    data = text.encode("utf-8") if isinstance(text, str) else text
    return struct.pack("!H", len(data)) + data


def _remaining_length(size: int) -> bytes:
    out = bytearray()
    while True:
        byte, size = size % 128, size // 128
        out.append(byte | (0x80 if size else 0))
        if not size:
            return bytes(out)


def connect_packet(client_id: str, username: str | None = None, password: str | None = None) -> bytes:
    flags = 0x02  # clean session
    payload = _string(client_id)
    if username is not None:
        flags |= 0x80
        payload += _string(username)
        if password is not None:
            flags |= 0x40
            payload += _string(password)
    variable = _string("MQTT") + bytes([4, flags]) + struct.pack("!H", 30)
    body = variable + payload
    return b"\x10" + _remaining_length(len(body)) + body


def subscribe_packet(packet_id: int, topic: str) -> bytes:
    body = struct.pack("!H", packet_id) + _string(topic) + b"\x00"
    return b"\x82" + _remaining_length(len(body)) + body


DISCONNECT = b"\xe0\x00"


@dataclass(slots=True)
class Packet:
    kind: int
    flags: int
    body: bytes


async def read_packet(reader: asyncio.StreamReader, timeout_s: float) -> Packet:
    """One MQTT control packet; a malformed length or an oversized packet is a ``ScannerError``."""

    async def read(size: int) -> bytes:
        return await read_exactly(reader, size, timeout_s, "MQTT packet")

    first = (await read(1))[0]
    size, shift = 0, 0
    for _ in range(4):
        byte = (await read(1))[0]
        size |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            break
    else:
        raise ScannerError("peer does not speak MQTT (malformed remaining length)")
    if size > MAX_PACKET:
        raise ScannerError(f"MQTT packet of {size} bytes exceeds {MAX_PACKET}")
    return Packet(first >> 4, first & 0x0F, await read(size) if size else b"")


def connack_code(packet: Packet) -> int:
    if packet.kind != CONNACK or len(packet.body) != 2:
        raise ScannerError(f"peer does not speak MQTT (expected CONNACK, got packet type {packet.kind})")
    return packet.body[1]


def publish_topic_payload(packet: Packet) -> tuple[str, bytes]:
    body = packet.body
    if len(body) < 2:
        raise ScannerError("truncated PUBLISH")
    size = struct.unpack("!H", body[:2])[0]
    if 2 + size > len(body):
        raise ScannerError("truncated PUBLISH topic")
    topic = body[2 : 2 + size].decode("utf-8", errors="replace")
    offset = 2 + size + (2 if (packet.flags >> 1) & 0x03 else 0)
    return topic, body[offset:]
