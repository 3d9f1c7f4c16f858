"""A small EtherNet/IP responder: answers ListIdentity (0x63) like a ControlLogix CPU, over TCP.

``mode='hostile'`` answers with a length field far beyond the data and an
escape-laden product name, to check the probe's parser.
"""

from __future__ import annotations

import socket
import socketserver
import struct
import threading
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

PRODUCT = b"1756-L83E/B LOGIX5583E"


def identity_item(name: bytes = PRODUCT) -> bytes:
    body = struct.pack("<H", 1)  # encapsulation protocol version
    body += struct.pack(">HH4s8x", 2, 44818, socket.inet_aton("127.0.0.1"))
    body += struct.pack("<HHHBBHI", 1, 0x0E, 166, 33, 11, 0x0060, 0xC0FFEE42)
    body += bytes([len(name)]) + name + b"\x03"
    return struct.pack("<HH", 0x0C, len(body)) + body


def list_identity_reply(context: bytes, name: bytes = PRODUCT, claimed: int | None = None) -> bytes:
    data = struct.pack("<H", 1) + identity_item(name)
    return struct.pack("<HHII8sI", 0x63, claimed if claimed is not None else len(data), 0, 0, context, 0) + data


@dataclass
class Responder:
    server: socketserver.ThreadingTCPServer
    port: int
    requests: list[bytes]

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def start_enip(mode: str = "normal") -> Responder:
    requests: list[bytes] = []

    class Handler(socketserver.BaseRequestHandler):
        def handle(self) -> None:
            sock: socket.socket = self.request
            sock.settimeout(3)
            header = sock.recv(24)
            requests.append(header)
            if len(header) < 24 or struct.unpack_from("<H", header)[0] != 0x63:
                return
            context = header[12:20]
            if mode == "hostile":
                sock.sendall(list_identity_reply(context, b"\x1b[2JPWNED\x07" + b"x" * 200, claimed=60000)[:300])
            else:
                sock.sendall(list_identity_reply(context))

    socketserver.ThreadingTCPServer.allow_reuse_address = True
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return Responder(server, server.server_address[1], requests)


@pytest.fixture
def enip_responder() -> Iterator[Responder]:
    responder = start_enip()
    yield responder
    responder.stop()
