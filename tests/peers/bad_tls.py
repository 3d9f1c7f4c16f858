"""Misbehaving TLS servers on loopback: reset, stall, garbage, an enormous certificate chain.

Real servers do not misbehave on demand, so these are small asyncio servers
that do exactly one wrong thing each; the scanner must record an error
within its timeout and go on with the other endpoints.
"""

from __future__ import annotations

import asyncio
import os
import socket
import struct
import threading
from collections.abc import Iterator
from contextlib import contextmanager

BEHAVIOURS = ("reset", "stall", "garbage", "enormous_chain")


def _server_hello_and_huge_chain(size: int) -> bytes:
    body = struct.pack("!H", 0x0303) + os.urandom(32) + b"\x00" + struct.pack("!H", 0xC02F) + b"\x00"
    hello = b"\x02" + len(body).to_bytes(3, "big") + body
    fake_cert = os.urandom(60000)
    certs = b"".join(len(fake_cert).to_bytes(3, "big") + fake_cert for _ in range(size // 60000 + 1))
    cert_body = len(certs).to_bytes(3, "big") + certs
    cert_msg = b"\x0b" + len(cert_body).to_bytes(3, "big") + cert_body
    stream = hello + cert_msg
    records = b""
    for i in range(0, len(stream), 16384):
        chunk = stream[i : i + 16384]
        records += struct.pack("!BHH", 22, 0x0303, len(chunk)) + chunk
    return records


async def _handle(behaviour: str, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        await reader.read(4096)
        if behaviour == "reset":
            sock = writer.get_extra_info("socket")
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            writer.transport.abort()
            return
        if behaviour == "stall":
            await asyncio.sleep(3600)
        if behaviour == "garbage":
            writer.write(b"HTTP/1.1 400 Bad Request\r\n\r\n" + os.urandom(64))
        if behaviour == "enormous_chain":
            writer.write(_server_hello_and_huge_chain(2 * 1024 * 1024))
        await writer.drain()
        await asyncio.sleep(3600)
    except (ConnectionError, asyncio.CancelledError):
        pass
    finally:
        writer.close()


@contextmanager
def bad_tls_servers() -> Iterator[dict[str, int]]:
    """Start one server per misbehaviour in a background loop; yields {behaviour: port}."""
    loop = asyncio.new_event_loop()
    ports: dict[str, int] = {}
    servers: list[asyncio.Server] = []
    ready = threading.Event()

    async def start() -> None:
        for behaviour in BEHAVIOURS:
            server = await asyncio.start_server(lambda r, w, b=behaviour: _handle(b, r, w), "127.0.0.1", 0)
            servers.append(server)
            ports[behaviour] = server.sockets[0].getsockname()[1]
        ready.set()

    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    asyncio.run_coroutine_threadsafe(start(), loop).result(10)
    ready.wait(10)
    try:
        yield ports
    finally:

        async def shutdown() -> None:
            for server in servers:
                server.close()
            for task in asyncio.all_tasks():
                if task is not asyncio.current_task():
                    task.cancel()

        asyncio.run_coroutine_threadsafe(shutdown(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
