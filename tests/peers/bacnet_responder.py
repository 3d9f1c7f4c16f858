"""A small BACnet/IP responder: answers ReadPropertyMultiple on the Device object over UDP."""

from __future__ import annotations

import socketserver
import struct
import threading
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

PROPERTIES = {
    77: b"AHU-3 controller",
    121: b"Example Controls",
    70: b"DDC-500",
    44: b"4.2.1",
    12: b"app 2024.1",
}


def _string(value: bytes) -> bytes:
    payload = b"\x00" + value  # UTF-8
    return bytes([0x75, len(payload)]) + payload


def rpm_ack(invoke_id: int, instance: int = 1234) -> bytes:
    body = b"\x0c" + struct.pack(">I", (8 << 22) | instance) + b"\x1e"
    for prop, value in PROPERTIES.items():
        body += bytes([0x29, prop, 0x4E]) + _string(value) + b"\x4f"
    body += bytes([0x29, 120, 0x4E, 0x21, 0x2A, 0x4F])  # vendor-identifier 42
    body += b"\x1f"
    apdu = bytes([0x30, invoke_id, 0x0E]) + body
    npdu = b"\x01\x00"
    return struct.pack(">BBH", 0x81, 0x0A, 4 + len(npdu) + len(apdu)) + npdu + apdu


@dataclass
class UdpResponder:
    server: socketserver.ThreadingUDPServer
    port: int
    requests: list[bytes]

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def start_bacnet() -> UdpResponder:
    requests: list[bytes] = []

    class Handler(socketserver.BaseRequestHandler):
        def handle(self) -> None:
            data, sock = self.request
            requests.append(data)
            if len(data) > 8 and data[6] == 0x00 and data[9] == 0x0E:
                sock.sendto(rpm_ack(data[8]), self.client_address)

    server = socketserver.ThreadingUDPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return UdpResponder(server, server.server_address[1], requests)


@pytest.fixture
def bacnet_responder() -> Iterator[UdpResponder]:
    responder = start_bacnet()
    yield responder
    responder.stop()
