"""IKE messages for posture probes: IKEv1 Main/Aggressive Mode (RFC 2408/2409) and IKEv2 IKE_SA_INIT (RFC 7296).

A probe offers a set of transforms and reads which one the responder picks,
or the notification it refuses with; it never completes an exchange. The
encoding is plain TLV, built by hand so every offered attribute is explicit
and every length the responder sends is bounded.
"""

from __future__ import annotations

import os
import struct
from collections.abc import Sequence
from dataclasses import dataclass, field

from xposture.errors import ScannerError

# IKEv1 attribute values (RFC 2409 appendix A) and IKEv2 transform ids (RFC 7296 3.3.2, IANA registry).
V1_ENC = {"des": 1, "3des": 5, "aes128": 7, "aes256": 7}
V1_HASH = {"md5": 1, "sha1": 2, "sha256": 4}
V1_AUTH = {"psk": 1, "rsa_sig": 3}
V2_ENC = {"des": 2, "3des": 3, "aes128": 12, "aes256": 12}
V2_PRF = {"md5": 1, "sha1": 2, "sha256": 5}
V2_INTEG = {"md5": 1, "sha1": 2, "sha256": 12}
KEY_LENGTH = {"aes128": 128, "aes256": 256}
DH_BITS = {1: 768, 2: 1024, 5: 1536, 14: 2048, 15: 3072, 16: 4096}
WEAK_GROUPS = (1, 2, 5)
"""MODP groups below 2048 bits: RFC 8247 2.4 says MUST NOT (1) / SHOULD NOT (2, 5)."""
STRONG_GROUPS = (14, 15, 16)
ALL_ENC = ("aes256", "aes128", "3des", "des")
ALL_HASH = ("sha256", "sha1", "md5")

NOTIFY_NAMES = {
    14: "NO_PROPOSAL_CHOSEN",
    17: "INVALID_KE_PAYLOAD",
    7: "INVALID_SYNTAX",
    5: "INVALID_MAJOR_VERSION",
    1: "UNSUPPORTED_CRITICAL_PAYLOAD",
    24: "AUTHENTICATION_FAILED",
    16385: "INITIAL_CONTACT",
    16388: "NAT_DETECTION_SOURCE_IP",
    16389: "NAT_DETECTION_DESTINATION_IP",
    16390: "COOKIE",
    16404: "MULTIPLE_AUTH_SUPPORTED",
    16418: "CHILDLESS_IKEV2_SUPPORTED",
    16430: "IKEV2_FRAGMENTATION_SUPPORTED",
    16431: "SIGNATURE_HASH_ALGORITHMS",
}
V1_SA, V1_KE, V1_ID, V1_NONCE, V1_NOTIFY, V1_VID = 1, 4, 5, 10, 11, 13
V2_SA, V2_KE, V2_NONCE, V2_NOTIFY, V2_VID = 33, 34, 40, 41, 43
MAIN_MODE, AGGRESSIVE_MODE, IKE_SA_INIT = 2, 4, 34
MAX_MESSAGE = 65535


def _payload(next_type: int, body: bytes) -> bytes:
    return struct.pack("!BBH", next_type, 0, 4 + len(body)) + body


def _chain(payloads: Sequence[tuple[int, bytes]]) -> tuple[int, bytes]:
    """Link generic payload headers: returns (first payload type, bytes)."""
    out = b""
    for index, (_kind, body) in enumerate(payloads):
        next_type = payloads[index + 1][0] if index + 1 < len(payloads) else 0
        out += _payload(next_type, body)
    return payloads[0][0], out


def _header(spi: bytes, first: int, version: int, exchange: int, flags: int, length: int) -> bytes:
    return spi + b"\x00" * 8 + struct.pack("!BBBBII", first, version, exchange, flags, 0, 28 + length)


def _key_exchange_data(group: int) -> bytes:
    """A public value below the group's prime (every MODP prime starts with 64 one-bits)."""
    size = DH_BITS.get(group, 2048) // 8
    return bytes([os.urandom(1)[0] & 0x7F]) + os.urandom(size - 1)


@dataclass(frozen=True, slots=True)
class Offer:
    """One transform set: encryption, hash/PRF/integrity, DH group (and for IKEv1, authentication method)."""

    enc: str
    hash: str
    group: int
    auth: str = "psk"

    def label(self) -> str:
        return f"{self.enc}-{self.hash}-modp{DH_BITS.get(self.group, self.group)}"


def offers(
    encs: Sequence[str], hashes_: Sequence[str], groups: Sequence[int], auths: Sequence[str] = ("psk",)
) -> list[Offer]:
    return [Offer(e, h, g, a) for e in encs for h in hashes_ for g in groups for a in auths]


def _v1_transform(number: int, offer: Offer, last: bool) -> bytes:
    attrs = struct.pack("!HH", 0x8001, V1_ENC[offer.enc]) + struct.pack("!HH", 0x8002, V1_HASH[offer.hash])
    attrs += struct.pack("!HH", 0x8003, V1_AUTH[offer.auth]) + struct.pack("!HH", 0x8004, offer.group)
    attrs += struct.pack("!HHHH", 0x800B, 1, 0x800C, 28800)
    if offer.enc in KEY_LENGTH:
        attrs += struct.pack("!HH", 0x800E, KEY_LENGTH[offer.enc])
    body = struct.pack("!BBH", number, 1, 0) + attrs  # transform id KEY_IKE
    return struct.pack("!BBH", 0 if last else 3, 0, 4 + len(body)) + body


def v1_message(exchange: int, sets: Sequence[Offer], identity: bytes = b"xposture-probe") -> tuple[bytes, bytes]:
    """IKEv1 first message (Main or Aggressive Mode); returns (initiator cookie, datagram)."""
    transforms = b"".join(_v1_transform(i + 1, o, i == len(sets) - 1) for i, o in enumerate(sets))
    proposal = struct.pack("!BBBB", 1, 1, 0, len(sets)) + transforms
    sa = struct.pack("!II", 1, 1) + struct.pack("!BBH", 0, 0, 4 + len(proposal)) + proposal
    payloads: list[tuple[int, bytes]] = [(V1_SA, sa)]
    if exchange == AGGRESSIVE_MODE:
        payloads.append((V1_KE, _key_exchange_data(sets[0].group)))
        payloads.append((V1_NONCE, os.urandom(20)))
        payloads.append((V1_ID, struct.pack("!BBH", 3, 17, 500) + identity))  # ID_USER_FQDN, UDP/500
    first, body = _chain(payloads)
    spi = os.urandom(8)
    return spi, _header(spi, first, 0x10, exchange, 0, len(body)) + body


def _v2_transform(kind: int, ident: int, key_length: int | None, last: bool) -> bytes:
    attrs = struct.pack("!HH", 0x800E, key_length) if key_length else b""
    body = struct.pack("!BBH", kind, 0, ident) + attrs
    return struct.pack("!BBH", 0 if last else 3, 0, 4 + len(body)) + body


def v2_message(encs: Sequence[str], hashes_: Sequence[str], groups: Sequence[int]) -> tuple[bytes, bytes]:
    """IKEv2 IKE_SA_INIT offering every combination in one proposal; KE for the first group."""
    items: list[tuple[int, int, int | None]] = []
    items += [(1, V2_ENC[e], KEY_LENGTH.get(e)) for e in encs]
    items += [(2, V2_PRF[h], None) for h in hashes_]
    items += [(3, V2_INTEG[h], None) for h in hashes_]
    items += [(4, g, None) for g in groups]
    transforms = b"".join(_v2_transform(k, i, kl, n == len(items) - 1) for n, (k, i, kl) in enumerate(items))
    proposal_body = struct.pack("!BBBB", 1, 1, 0, len(items)) + transforms
    sa = struct.pack("!BBH", 0, 0, 4 + len(proposal_body)) + proposal_body
    ke = struct.pack("!HH", groups[0], 0) + _key_exchange_data(groups[0])
    first, body = _chain([(V2_SA, sa), (V2_KE, ke), (V2_NONCE, os.urandom(32))])
    spi = os.urandom(8)
    return spi, _header(spi, first, 0x20, IKE_SA_INIT, 0x08, len(body)) + body


@dataclass(slots=True)
class Reply:
    """What a responder answered to one probe."""

    version: int
    exchange: int
    accepted: bool = False
    chosen: dict[str, int] = field(default_factory=dict)
    notify: list[int] = field(default_factory=list)
    vendor_ids: list[str] = field(default_factory=list)
    payload_types: list[int] = field(default_factory=list)
    wanted_group: int | None = None
    """Group an IKEv2 responder asks for in INVALID_KE_PAYLOAD: the proposal was acceptable, the KE was not."""


def _attributes(data: bytes) -> dict[int, int]:
    out: dict[int, int] = {}
    pos = 0
    while pos + 4 <= len(data):
        kind, value = struct.unpack("!HH", data[pos : pos + 4])
        if kind & 0x8000:
            out[kind & 0x7FFF] = value
            pos += 4
        else:
            pos += 4 + value  # TLV: skip its value
    return out


def _v1_chosen(sa: bytes) -> dict[str, int]:
    # DOI, situation, then one proposal with one transform
    if len(sa) < 8 + 8 + 8:
        raise ScannerError("truncated IKEv1 SA payload")
    proposal = sa[8:]
    spi_size = proposal[6]
    transform = proposal[8 + spi_size :]
    if len(transform) < 8:
        raise ScannerError("truncated IKEv1 transform")
    attrs = _attributes(transform[8 : struct.unpack("!H", transform[2:4])[0]])
    names = {1: "enc", 2: "hash", 3: "auth", 4: "group", 14: "key_length"}
    return {names[k]: v for k, v in attrs.items() if k in names}


def _v2_chosen(sa: bytes) -> dict[str, int]:
    if len(sa) < 8:
        raise ScannerError("truncated IKEv2 SA payload")
    spi_size, count = sa[6], sa[7]
    pos = 8 + spi_size
    names = {1: "enc", 2: "prf", 3: "integ", 4: "group"}
    chosen: dict[str, int] = {}
    for _ in range(count):
        if pos + 8 > len(sa):
            raise ScannerError("truncated IKEv2 transform")
        length = struct.unpack("!H", sa[pos + 2 : pos + 4])[0]
        if length < 8:
            raise ScannerError("invalid IKEv2 transform length")
        kind, ident = sa[pos + 4], struct.unpack("!H", sa[pos + 6 : pos + 8])[0]
        if kind in names:
            chosen[names[kind]] = ident
        attrs = _attributes(sa[pos + 8 : pos + length])
        if 14 in attrs:
            chosen["key_length"] = attrs[14]
        pos += length
    return chosen


def parse_reply(data: bytes, spi: bytes) -> Reply | None:
    """Parse a responder's datagram; None when it answers someone else's SPI (stale or spoofed)."""
    if len(data) < 28:
        raise ScannerError("truncated IKE header")
    if data[:8] != spi:
        return None
    first, version, exchange = data[16], data[17], data[18]
    length = struct.unpack("!I", data[24:28])[0]
    if length < 28 or length > min(len(data), MAX_MESSAGE):
        raise ScannerError("invalid IKE message length")
    reply = Reply(version >> 4, exchange)
    kind, pos = first, 28
    for _ in range(64):
        if kind == 0:
            break
        if pos + 4 > length:
            raise ScannerError("truncated IKE payload header")
        next_kind, plen = data[pos], struct.unpack("!H", data[pos + 2 : pos + 4])[0]
        if plen < 4 or pos + plen > length:
            raise ScannerError("invalid IKE payload length")
        body = data[pos + 4 : pos + plen]
        reply.payload_types.append(kind)
        if kind in (V1_SA, V2_SA):
            reply.accepted = True
            reply.chosen = _v1_chosen(body) if kind == V1_SA else _v2_chosen(body)
        elif kind == V1_NOTIFY and len(body) >= 8:
            reply.notify.append(struct.unpack("!H", body[6:8])[0])
        elif kind == V2_NOTIFY and len(body) >= 4:
            notify_type = struct.unpack("!H", body[2:4])[0]
            reply.notify.append(notify_type)
            notify_data = body[4 + body[1] :]
            if notify_type == 17 and len(notify_data) >= 2:
                reply.wanted_group = struct.unpack("!H", notify_data[:2])[0]
        elif kind in (V1_VID, V2_VID):
            reply.vendor_ids.append(body[:32].hex())
        kind, pos = next_kind, pos + plen
    return reply
