"""Server byte streams out of real captures, so the wire parsers are tested on what real stacks sent."""

from __future__ import annotations

from pathlib import Path

from scapy.layers.inet import TCP
from scapy.packet import Raw
from scapy.utils import rdpcap

DATA = Path(__file__).resolve().parents[2] / "data" / "comms"


def server_streams(name: str, port: int) -> list[bytes]:
    """Each connection's bytes from the server (source ``port``), reassembled by sequence number."""
    segments: dict[int, dict[int, bytes]] = {}
    for packet in rdpcap(str(DATA / name)):
        if TCP in packet and Raw in packet and packet[TCP].sport == port:
            segments.setdefault(packet[TCP].dport, {})[packet[TCP].seq] = bytes(packet[Raw].load)
    streams = []
    for conn in segments.values():
        data, expected = b"", None
        for seq in sorted(conn):
            if expected is not None and seq < expected:
                continue  # retransmission
            data += conn[seq]
            expected = seq + len(conn[seq])
        streams.append(data)
    return streams
