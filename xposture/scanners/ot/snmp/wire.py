"""SNMPv1/v2c requests on one asyncio UDP socket, encoded with pysnmp's message API.

pysnmp's high-level API configures its local datastore for every new
(community, target) pair and resolves every OID through the MIB machinery;
for a sweep of hundreds of agents that costs far more than the network. v1
and v2c need none of it: the message is the community plus a PDU, so we build
it directly, send it from one socket and match replies by
request id and source; ``ber`` encodes and decodes the messages. SNMPv3 (USM keys, engine discovery per user) stays on
the high-level API.
"""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass
from typing import Any

from xposture.scanners.ot.snmp import ber
from xposture.scanners.ot.snmp.walk import Value

MAX_DATAGRAM = 65535


@dataclass(frozen=True, slots=True)
class CommunityAuth:
    """A v1/v2c credential; ``version`` is ``v1`` or ``v2c``."""

    community: str
    version: str


@dataclass(frozen=True, slots=True)
class Request:
    """One PDU to send: ``kind`` is ``get``, ``next``, ``bulk`` or ``set``."""

    kind: str
    oids: tuple[tuple[int, ...], ...]
    max_repetitions: int = 0
    set_value: bytes | None = None
    non_repeaters: int = 0


@dataclass(slots=True)
class WireReply:
    var_binds: list[tuple[tuple[int, ...], Value | None]]
    status: str = ""


def encode(auth: CommunityAuth, request: Request, request_id: int) -> bytes:
    """The BER message for ``request`` (GetBulk falls back to GetNext for v1, which has none)."""
    return ber.encode_request(
        auth.version,
        auth.community,
        request.kind,
        request_id,
        request.oids,
        non_repeaters=request.non_repeaters,
        max_repetitions=request.max_repetitions,
        set_value=request.set_value,
    )


def decode(data: bytes) -> tuple[int, WireReply]:
    """``(request id, reply)`` from a response datagram; raises ValueError on anything malformed."""
    if len(data) > MAX_DATAGRAM:
        raise ValueError("datagram too large")
    request_id, status, binds = ber.decode_response(data)
    return request_id, WireReply(binds, status)


class _Protocol(asyncio.DatagramProtocol):
    def __init__(self) -> None:
        self.pending: dict[int, tuple[asyncio.Future[WireReply], tuple[str, int]]] = {}
        self.malformed = 0

    def datagram_received(self, data: bytes, addr: tuple[str | Any, ...]) -> None:
        try:
            request_id, reply = decode(data)
        except ValueError:
            self.malformed += 1
            return
        waiting = self.pending.get(request_id)
        if waiting is None or waiting[1] != (addr[0], addr[1]):
            return  # unsolicited, late or spoofed from another address
        future = waiting[0]
        if not future.done():
            future.set_result(reply)


class WireClient:
    """One UDP socket for all v1/v2c requests of a scan."""

    def __init__(self) -> None:
        self._transport: asyncio.DatagramTransport | None = None
        self._protocol: _Protocol | None = None

    async def _open(self) -> tuple[asyncio.DatagramTransport, _Protocol]:
        if self._transport is None or self._protocol is None:
            loop = asyncio.get_running_loop()
            self._transport, self._protocol = await loop.create_datagram_endpoint(_Protocol, family=2)
        return self._transport, self._protocol

    async def request(
        self, host: str, port: int, auth: CommunityAuth, request: Request, *, timeout_s: float, retries: int
    ) -> WireReply | None:
        """Send (and resend up to ``retries`` times); None when nothing valid came back in time."""
        transport, protocol = await self._open()
        for _ in range(retries + 1):
            request_id = random.randint(1, 2**31 - 1)
            future: asyncio.Future[WireReply] = asyncio.get_running_loop().create_future()
            protocol.pending[request_id] = (future, (host, port))
            try:
                transport.sendto(encode(auth, request, request_id), (host, port))
                return await asyncio.wait_for(future, timeout_s)
            except TimeoutError:
                continue
            finally:
                protocol.pending.pop(request_id, None)
        return None

    def close(self) -> None:
        if self._transport is not None:
            self._transport.close()
            self._transport = None
