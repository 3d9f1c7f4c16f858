"""A small S7comm responder: COTP connect, setup communication and Read-SZL 0x0011 like an S7-1500 CPU."""

from __future__ import annotations

import socket
import socketserver
import struct
import threading
from collections.abc import Iterator

import pytest

from tests.peers.enip_responder import Responder

ORDER = b"6ES7 515-2AM01-0AB0"


def _tpkt(payload: bytes) -> bytes:
    return struct.pack(">BBH", 3, 0, len(payload) + 4) + payload


def connect_confirm() -> bytes:
    return _tpkt(bytes([0x11, 0xD0, 0x00, 0x01, 0x00, 0x01, 0x00]) + b"\xc0\x01\x0a\xc1\x02\x01\x00\xc2\x02\x01\x02")


def setup_ack() -> bytes:
    header = struct.pack(">BBHHHHBB", 0x32, 0x03, 0, 0x0100, 8, 0, 0, 0)
    return _tpkt(b"\x02\xf0\x80" + header + struct.pack(">BBHHH", 0xF0, 0, 1, 1, 480))


def szl_record(index: int, order: bytes, ausbg: int, ausbe: int) -> bytes:
    return struct.pack(">H", index) + order.ljust(20, b" ") + struct.pack(">HHH", 0xC3, ausbg, ausbe)


def szl_reply() -> bytes:
    records = (
        szl_record(1, ORDER, 0x0000, 0x0007) + szl_record(6, ORDER, 0x0000, 7) + szl_record(7, b"", 0x5602, 0x0803)
    )
    body = struct.pack(">HHHH", 0x0011, 0, 28, 3) + records
    data = bytes([0xFF, 0x09]) + struct.pack(">H", len(body)) + body
    params = bytes([0x00, 0x01, 0x12, 0x08, 0x12, 0x84, 0x01, 0x01, 0x00, 0x00, 0x00, 0x00])
    header = struct.pack(">BBHHHH", 0x32, 0x07, 0, 0x0200, len(params), len(data))
    return _tpkt(b"\x02\xf0\x80" + header + params + data)


def start_s7() -> Responder:
    requests: list[bytes] = []

    class Handler(socketserver.BaseRequestHandler):
        def handle(self) -> None:
            sock: socket.socket = self.request
            sock.settimeout(3)
            for reply in (connect_confirm(), setup_ack(), szl_reply()):
                header = sock.recv(4)
                if len(header) < 4:
                    return
                body = sock.recv(struct.unpack(">H", header[2:4])[0] - 4)
                requests.append(header + body)
                sock.sendall(reply)

    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return Responder(server, server.server_address[1], requests)  # type: ignore[arg-type]


@pytest.fixture
def s7_responder() -> Iterator[Responder]:
    responder = start_s7()
    yield responder
    responder.stop()
