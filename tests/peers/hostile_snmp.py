"""A UDP 'agent' that answers SNMP with garbage: random bytes, truncated BER, wrong request ids.

Used with a hostile snmpsim recording (escape sequences, wrong types,
oversized values) to check that the scanner records errors instead of crashing.
"""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

REPLIES = (
    b"\x30\x82\xff\xff\x02\x01\x01",  # SEQUENCE claiming 64 KiB, then nothing
    b"\x30\x03\x02\x01",  # truncated
    b"\x00" * 512,
)


@dataclass
class Hostile:
    host: str
    port: int
    received: list[bytes]
    _stop: threading.Event
    _thread: threading.Thread

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)


def start_hostile() -> Hostile:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.settimeout(0.1)
    stop = threading.Event()
    received: list[bytes] = []

    def serve() -> None:
        count = 0
        with sock:
            while not stop.is_set():
                try:
                    data, addr = sock.recvfrom(65535)
                except OSError:
                    continue
                received.append(data)
                for reply in (REPLIES[count % len(REPLIES)], os.urandom(64), data[::-1]):
                    sock.sendto(reply, addr)
                count += 1

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    return Hostile("127.0.0.1", sock.getsockname()[1], received, stop, thread)


@pytest.fixture
def hostile_agent() -> Iterator[Hostile]:
    agent = start_hostile()
    yield agent
    agent.stop()
