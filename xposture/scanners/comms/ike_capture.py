"""Passive IKE: what responders in a capture accepted, read from the exchanges themselves.

A responder's SA payload names the one proposal it chose, so a capture of
ordinary VPN traffic already shows IKEv1 Aggressive Mode with a PSK, weak
DH groups or DES/3DES/MD5/SHA-1 in use - without sending a packet.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from scapy.error import Scapy_Exception
from scapy.layers.inet import IP, UDP
from scapy.layers.inet6 import IPv6
from scapy.utils import PcapReader

from xposture.errors import InputError, ScannerError
from xposture.scanners.comms import ike_wire as wire
from xposture.scanners.comms.ike import HASH_NAMES_V1, HASH_NAMES_V2, IkePosture, label

IKE_PORTS = (500, 4500)
WEAK_ENC_V1 = {1: "des", 5: "3des"}
WEAK_ENC_V2 = {2: "des", 3: "3des"}
WEAK_HASH = ("md5", "sha1")


def _datagrams(path: Path) -> Iterator[tuple[str, int, str, int, bytes]]:
    try:
        reader = PcapReader(str(path))
    except (OSError, Scapy_Exception) as exc:
        raise InputError(f"not a readable capture: {exc}", file=str(path)) from exc
    with reader:
        for packet in reader:
            if UDP not in packet:
                continue
            ip = packet.getlayer(IP) or packet.getlayer(IPv6)
            if ip is None:
                continue
            udp = packet[UDP]
            if udp.sport not in IKE_PORTS and udp.dport not in IKE_PORTS:
                continue
            data = bytes(udp.payload)
            if 4500 in (udp.sport, udp.dport):
                if not data.startswith(b"\x00\x00\x00\x00"):
                    continue  # ESP, not IKE
                data = data[4:]
            yield str(ip.src), int(udp.sport), str(ip.dst), int(udp.dport), data


def absorb(posture: IkePosture, reply: wire.Reply) -> None:
    """Fold one responder message into what the responder is known to accept."""
    posture.answered = True
    posture.vendor_ids.extend(v for v in reply.vendor_ids if v not in posture.vendor_ids)
    posture.notifies.update(wire.NOTIFY_NAMES.get(n, str(n)) for n in reply.notify)
    if reply.version == 1:
        posture.ikev1_responds = True
    elif reply.version == 2:
        posture.ikev2_responds = True
    if not reply.accepted:
        return
    chosen = reply.chosen
    group = chosen.get("group")
    if group in wire.WEAK_GROUPS:
        posture.weak_groups.add(group)
    if reply.version == 1:
        posture.ikev1 = True
        posture.chosen.append(label("v1", chosen, {1: "des", 5: "3des", 7: "aes"}, HASH_NAMES_V1, "hash"))
        enc, hash_name = WEAK_ENC_V1.get(chosen.get("enc", 0)), HASH_NAMES_V1.get(chosen.get("hash", 0))
        if reply.exchange == wire.AGGRESSIVE_MODE and chosen.get("auth") == wire.V1_AUTH["psk"]:
            posture.aggressive = True
    else:
        posture.ikev2 = True
        posture.chosen.append(
            label("v2", chosen, {2: "des", 3: "3des", 12: "aes_cbc", 20: "aes_gcm_16"}, HASH_NAMES_V2, "integ")
        )
        enc, hash_name = WEAK_ENC_V2.get(chosen.get("enc", 0)), HASH_NAMES_V2.get(chosen.get("integ", 0))
    if enc:
        posture.weak_encryption.add(enc)
    if hash_name in WEAK_HASH:
        posture.weak_integrity.add(hash_name)


def responders(path: Path) -> dict[tuple[str, int], IkePosture]:
    """Per responder ``(address, port)``: what its answers in the capture show it accepts."""
    initiators: dict[bytes, tuple[str, int]] = {}
    found: dict[tuple[str, int], IkePosture] = {}
    for src, sport, dst, dport, data in _datagrams(path):
        if len(data) < 28:
            continue
        spi, responder_spi = data[:8], data[8:16]
        if responder_spi == b"\x00" * 8 and spi not in initiators:
            initiators[spi] = (src, sport)  # first message of an exchange comes from the initiator
            continue
        if initiators.get(spi) != (dst, dport):
            continue  # not an answer to an initiator we saw
        try:
            reply = wire.parse_reply(data, spi)
        except ScannerError:
            continue  # a malformed message is one message lost, not the whole capture
        if reply is not None:
            absorb(found.setdefault((src, sport), IkePosture()), reply)
    return found
