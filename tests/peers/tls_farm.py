"""Many loopback TLS 1.2 responders on one event loop, counting the connections open at once.

Each answers any ClientHello with the same flight (ServerHello for
ECDHE-RSA-AES128-GCM-SHA256, a real certificate, ServerHelloDone) and
counts TCP connections, so a test can check that the scanner never opens
more than its per-host limit to one host (every port here is 127.0.0.1).
"""

from __future__ import annotations

import asyncio
import os
import struct
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from tests.peers.certs import make_cert


@dataclass
class Farm:
    ports: list[int] = field(default_factory=list)
    open_now: int = 0
    open_max: int = 0
    accepted: int = 0


def _flight(der: bytes) -> bytes:
    hello = struct.pack("!H", 0x0303) + os.urandom(32) + b"\x00" + struct.pack("!H", 0xC02F) + b"\x00"
    certs = len(der).to_bytes(3, "big") + der
    messages = (
        b"\x02" + len(hello).to_bytes(3, "big") + hello
        + b"\x0b" + (len(certs) + 3).to_bytes(3, "big") + len(certs).to_bytes(3, "big") + certs
        + b"\x0e\x00\x00\x00"
    )  # fmt: skip
    return struct.pack("!BHH", 22, 0x0303, len(messages)) + messages


@contextmanager
def tls_farm(folder: Path, count: int, max_hello: int | None = None, delay_s: float = 0.0) -> Iterator[Farm]:
    """``max_hello``: close without a word on longer ClientHello records, like hello-intolerant stacks;
    ``delay_s``: think that long before each answer, like a busy PLC."""
    files = make_cert(folder, "farm")
    der = x509.load_pem_x509_certificate(files.cert.read_bytes()).public_bytes(serialization.Encoding.DER)
    flight = _flight(der)
    farm = Farm()
    loop = asyncio.new_event_loop()
    servers: list[asyncio.Server] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        farm.open_now += 1
        farm.accepted += 1
        farm.open_max = max(farm.open_max, farm.open_now)
        try:
            hello = await reader.read(4096)
            if hello and (max_hello is None or len(hello) <= max_hello):
                await asyncio.sleep(delay_s)
                writer.write(flight)
                await writer.drain()
                await asyncio.wait_for(reader.read(1), 5)
        except (OSError, TimeoutError):
            pass
        finally:
            farm.open_now -= 1
            writer.close()

    async def start() -> None:
        for _ in range(count):
            server = await asyncio.start_server(handle, "127.0.0.1", 0, backlog=256)
            servers.append(server)
            farm.ports.append(server.sockets[0].getsockname()[1])

    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    asyncio.run_coroutine_threadsafe(start(), loop).result(30)
    try:
        yield farm
    finally:

        async def stop() -> None:
            for server in servers:
                server.close()
            handlers = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in handlers:
                task.cancel()
            await asyncio.gather(*handlers, return_exceptions=True)

        asyncio.run_coroutine_threadsafe(stop(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
