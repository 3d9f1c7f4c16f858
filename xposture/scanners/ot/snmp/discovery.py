"""Credential-less SNMPv3 engine discovery: what nmap's snmp-info reads, from one packet per agent.

RFC 3414 makes an agent answer an empty-user, noAuthNoPriv request with a
Report carrying its snmpEngineID, boots and time. That is enough to learn
that v3 is enabled and, from the engine id, often the vendor and a MAC
address. The request carries no credentials and reads no MIB object.
"""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass

from pyasn1.codec.ber import decoder, encoder  # type: ignore[import-untyped]
from pyasn1.error import PyAsn1Error  # type: ignore[import-untyped]
from pysnmp.proto import api
from pysnmp.proto.mpmod.rfc3412 import SNMPv3Message
from pysnmp.proto.secmod.rfc3414.service import UsmSecurityParameters

from xposture.scanners.ot.active.ratelimit import RateLimiter
from xposture.scanners.ot.snmp.client import AuditHook

MAX_REPLY_BYTES = 65535


@dataclass(slots=True)
class Discovery:
    """An agent's answer to the discovery probe (``engine_id`` empty when it did not answer)."""

    host: str
    port: int
    engine_id: bytes = b""
    boots: int | None = None
    time_s: int | None = None
    error: str = ""
    timeout: bool = False


def discovery_request(msg_id: int, request_id: int) -> bytes:
    """An SNMPv3 GET with empty engine id and user, reportable flag set, no variable bindings."""
    pmod = api.PROTOCOL_MODULES[api.SNMP_VERSION_2C]
    pdu = pmod.GetRequestPDU()
    pmod.apiPDU.set_defaults(pdu)
    pmod.apiPDU.set_request_id(pdu, request_id)
    pmod.apiPDU.set_varbinds(pdu, [])
    security = UsmSecurityParameters()
    security.setComponentByPosition(0, b"")
    security.setComponentByPosition(1, 0)
    security.setComponentByPosition(2, 0)
    security.setComponentByPosition(3, b"")
    security.setComponentByPosition(4, b"")
    security.setComponentByPosition(5, b"")
    message = SNMPv3Message()
    message.setComponentByPosition(0, 3)
    header = message.setComponentByPosition(1).getComponentByPosition(1)
    header.setComponentByPosition(0, msg_id)
    header.setComponentByPosition(1, 65507)
    header.setComponentByPosition(2, b"\x04")
    header.setComponentByPosition(3, 3)
    message.setComponentByPosition(2, encoder.encode(security))
    scoped = (
        message.setComponentByPosition(3).getComponentByPosition(3).setComponentByPosition(0).getComponentByPosition(0)
    )
    scoped.setComponentByPosition(0, b"")
    scoped.setComponentByPosition(1, b"")
    scoped.setComponentByPosition(2).getComponentByPosition(2).setComponentByType(pdu.tagSet, pdu)
    return bytes(encoder.encode(message))


def parse_report(data: bytes) -> tuple[int, bytes, int, int]:
    """``(msgID, engine id, boots, time)`` from a reply; raises ValueError on anything malformed."""
    if len(data) > MAX_REPLY_BYTES:
        raise ValueError("reply too large")
    try:
        message, _ = decoder.decode(data, asn1Spec=SNMPv3Message())
        if int(message[0]) != 3:
            raise ValueError("not an SNMPv3 message")
        msg_id = int(message[1][0])
        security, _ = decoder.decode(bytes(message[2].asOctets()), asn1Spec=UsmSecurityParameters())
        return msg_id, bytes(security[0].asOctets()), int(security[1]), int(security[2])
    except PyAsn1Error as exc:
        raise ValueError(f"malformed SNMPv3 reply: {str(exc)[:120]}") from None


class _Protocol(asyncio.DatagramProtocol):
    def __init__(self) -> None:
        self.waiting: dict[int, asyncio.Future[bytes]] = {}

    def datagram_received(self, data: bytes, addr: tuple[str | object, ...]) -> None:
        try:
            msg_id = parse_report(data)[0]
        except ValueError:
            return  # malformed: the waiting request times out and says so
        future = self.waiting.pop(msg_id, None)
        if future is not None and not future.done():
            future.set_result(data)


async def discover(
    targets: list[tuple[str, int]], *, limiter: RateLimiter, audit: AuditHook, timeout_s: float = 1.0, retries: int = 1
) -> list[Discovery]:
    """Probe every ``(host, port)`` concurrently from one socket; answers are matched by msgID."""
    loop = asyncio.get_running_loop()
    transport, protocol = await loop.create_datagram_endpoint(_Protocol, local_addr=("0.0.0.0", 0))  # noqa: S104
    try:
        return list(
            await asyncio.gather(
                *(_one(h, p, transport, protocol, limiter, audit, timeout_s, retries) for h, p in targets)
            )
        )
    finally:
        transport.close()


async def _one(
    host: str,
    port: int,
    transport: asyncio.DatagramTransport,
    protocol: _Protocol,
    limiter: RateLimiter,
    audit: AuditHook,
    timeout_s: float,
    retries: int,
) -> Discovery:
    result = Discovery(host, port)
    for _ in range(retries + 1):
        msg_id = random.randint(1, 2**31 - 1)
        future: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()
        protocol.waiting[msg_id] = future
        await limiter.acquire()
        audit(f"{host}:{port}", "v3 engine discovery GET (empty user, noAuthNoPriv, no varbinds)")
        transport.sendto(discovery_request(msg_id, random.randint(1, 2**31 - 1)), (host, port))
        try:
            data = await asyncio.wait_for(future, timeout_s)
        except TimeoutError:
            protocol.waiting.pop(msg_id, None)
            continue
        _, engine_id, boots, time_s = parse_report(data)
        result.engine_id, result.boots, result.time_s = engine_id, boots, time_s
        return result
    result.timeout = True
    result.error = "no reply to v3 engine discovery"
    return result
