"""Send one request and read one framed reply, over TCP or UDP, with a deadline and a size cap."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable

from xposture.scanners.ot.probe.errors import ProbeReplyError

MAX_REPLY = 8192


class TcpSession:
    """One TCP connection to one device; closed by ``close`` (always, even after errors)."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, timeout_s: float) -> None:
        self.reader, self.writer, self.timeout_s = reader, writer, timeout_s

    @classmethod
    async def open(cls, host: str, port: int, timeout_s: float) -> TcpSession:
        reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), timeout_s)
        return cls(reader, writer, timeout_s)

    async def exchange(self, request: bytes, header_size: int, remaining: Callable[[bytes], int]) -> bytes:
        """Write ``request``; read a header, then as many bytes as ``remaining(header)`` says."""
        self.writer.write(request)
        await asyncio.wait_for(self.writer.drain(), self.timeout_s)
        try:
            header = await asyncio.wait_for(self.reader.readexactly(header_size), self.timeout_s)
            rest = remaining(header)
            if rest < 0 or rest > MAX_REPLY:
                raise ProbeReplyError(f"reply length {rest} out of range")
            body = await asyncio.wait_for(self.reader.readexactly(rest), self.timeout_s)
        except asyncio.IncompleteReadError as exc:
            raise ProbeReplyError(f"connection closed after {len(exc.partial)} bytes") from None
        return header + body

    async def close(self) -> None:
        self.writer.close()
        with contextlib.suppress(OSError, TimeoutError):
            await asyncio.wait_for(self.writer.wait_closed(), 1.0)


class _Udp(asyncio.DatagramProtocol):
    def __init__(self) -> None:
        self.reply: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()

    def datagram_received(self, data: bytes, addr: tuple[str | object, ...]) -> None:
        if not self.reply.done():
            self.reply.set_result(data[:MAX_REPLY])

    def error_received(self, exc: Exception) -> None:
        if not self.reply.done():
            self.reply.set_exception(exc)


async def udp_exchange(host: str, port: int, request: bytes, timeout_s: float) -> bytes:
    """Send one datagram to ``host:port`` and return the first reply from it."""
    loop = asyncio.get_running_loop()
    transport, protocol = await loop.create_datagram_endpoint(_Udp, remote_addr=(host, port))
    try:
        transport.sendto(request)
        return await asyncio.wait_for(protocol.reply, timeout_s)
    finally:
        transport.close()
