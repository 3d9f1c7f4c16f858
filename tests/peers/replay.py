"""Replays a real server's recorded first answer (from a capture) to every client on a loopback port.

For servers that cannot be run here any more - an SSL 2.0-only web server
(OpenSSL 3 has no SSLv2) - the bytes that such a server really sent are the
most faithful peer: the probe reads exactly what it would read on site.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager


@contextmanager
def replay_server(answer: Callable[[bytes], bytes | None]) -> Iterator[int]:
    """``answer(first bytes from the client)`` gives the recorded reply, or None to close; yields the port."""
    loop = asyncio.new_event_loop()
    holder: list[asyncio.Server] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            request = await reader.read(4096)
            reply = answer(request) if request else None
            if reply:
                writer.write(reply)
                await writer.drain()
                await asyncio.wait_for(reader.read(1), 5)
        except (OSError, TimeoutError):
            pass
        finally:
            writer.close()

    async def start() -> int:
        server = await asyncio.start_server(handle, "127.0.0.1", 0)
        holder.append(server)
        return int(server.sockets[0].getsockname()[1])

    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    port = asyncio.run_coroutine_threadsafe(start(), loop).result(10)
    try:
        yield port
    finally:

        async def stop() -> None:
            holder[0].close()
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

        asyncio.run_coroutine_threadsafe(stop(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
