"""Live SNMP requests on pysnmp 7's asyncio API, each one rate-limited and written to the audit log.

One ``SnmpEngine`` serves the whole scan; requests to many agents run
concurrently and an agent that silently drops a bad community costs one
timeout in parallel with everything else, never a serial wait.
"""

from __future__ import annotations

import asyncio
import ipaddress
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from pyasn1.error import PyAsn1Error  # type: ignore[import-untyped]
from pysnmp.error import PySnmpError
from pysnmp.hlapi.v3arch.asyncio import (
    ContextData,
    ObjectIdentity,
    ObjectType,
    SnmpEngine,
    UdpTransportTarget,
    UsmUserData,
    bulk_cmd,
    get_cmd,
    next_cmd,
    set_cmd,
)
from pysnmp.proto import rfc1902, rfc1905

from xposture.scanners.ot.active.ratelimit import RateLimiter
from xposture.scanners.ot.snmp.walk import (
    COUNTER,
    COUNTER64,
    GAUGE,
    INTEGER,
    IPADDR,
    NULL,
    OCTETS,
    OID,
    OPAQUE,
    TIMETICKS,
    Oid,
    Value,
    ipaddr_value,
    oid_text,
)
from xposture.scanners.ot.snmp.wire import CommunityAuth, Request, WireClient

Auth = Any  # CommunityData | UsmUserData (pysnmp has no type hints)
AuditHook = Callable[[str, str], None]
"""``(target, what was sent)``: called once per request before it is sent."""

MAX_VARBINDS_PER_REQUEST = 48


@dataclass(slots=True)
class Reply:
    """Outcome of one request: values by OID, or why there are none."""

    values: dict[Oid, Value] = field(default_factory=dict)
    pairs: list[tuple[Oid, Value | None]] = field(default_factory=list)
    """Every returned binding in wire order (None for end-of-view markers): walks need the order."""
    error: str = ""
    timeout: bool = False
    status: str = ""
    """SNMP error-status name (``noSuchName``, ``notWritable``...) when the agent refused the PDU."""

    @property
    def ok(self) -> bool:
        return not self.error and not self.timeout and not self.status


_KINDS_BY_TAG = {
    rfc1902.OctetString.tagSet: OCTETS,
    rfc1902.Bits.tagSet: OCTETS,
    rfc1902.IpAddress.tagSet: IPADDR,
    rfc1902.Opaque.tagSet: OPAQUE,
    rfc1902.ObjectIdentifier.tagSet: OID,
    rfc1902.Integer32.tagSet: INTEGER,
    rfc1902.Counter32.tagSet: COUNTER,
    rfc1902.Gauge32.tagSet: GAUGE,
    rfc1902.TimeTicks.tagSet: TIMETICKS,
    rfc1902.Counter64.tagSet: COUNTER64,
}
_END_TAGS = {rfc1905.NoSuchObject.tagSet, rfc1905.NoSuchInstance.tagSet, rfc1905.EndOfMibView.tagSet}


def convert(value: Any) -> Value | None:
    """A pysnmp/pyasn1 value as a neutral ``Value``, by its ASN.1 tag (types are not trusted to be classes).

    None for noSuchObject/noSuchInstance/endOfMibView.
    """
    tag = getattr(value, "tagSet", None)
    if tag in _END_TAGS:
        return None
    kind = _KINDS_BY_TAG.get(tag, NULL)
    try:
        if kind in (OCTETS, OPAQUE):
            return Value(kind, bytes(value.asOctets()))
        if kind == IPADDR:
            return ipaddr_value(bytes(value.asOctets()))
        if kind == OID:
            return Value(OID, oid_text(value.asTuple()))
        if kind == NULL:
            return Value(NULL, None)
        return Value(kind, int(value))
    except (TypeError, ValueError, PyAsn1Error):
        return Value(NULL, None)


class SnmpClient:
    """GET / walk / SET against many agents: one socket for v1/v2c, one pysnmp engine for v3.

    Every request goes through one rate limiter and one audit hook; requests to
    agents that accepted a credential also share an in-flight window.
    """

    def __init__(
        self,
        *,
        limiter: RateLimiter,
        audit: AuditHook,
        timeout_s: float = 1.0,
        retries: int = 1,
        engine: Any = None,
        window: int = 64,
    ) -> None:
        self._engine = engine
        self.limiter = limiter
        self.audit = audit
        self.timeout_s = timeout_s
        self.retries = retries
        self.sent = 0
        self.sent_to: dict[str, int] = {}
        """Requests per ``host:port``, for ``snmp.requests_sent``."""
        self.wire = WireClient()
        self._transports: dict[tuple[str, int, float, int], Any] = {}
        self._window = asyncio.Semaphore(window)
        """Requests in flight to agents that accepted us: an agent (or a gateway) is never flooded."""

    @property
    def engine(self) -> Any:
        """The pysnmp engine, created on first v3 use (its MIB setup costs a second or more)."""
        if self._engine is None:
            self._engine = SnmpEngine()
        return self._engine

    def close(self) -> None:
        self.wire.close()

    async def _v3_transport(self, host: str, port: int, timeout_s: float, retries: int) -> Any:
        key = (host, port, timeout_s, retries)
        if key not in self._transports:
            self._transports[key] = await UdpTransportTarget.create((host, port), timeout=timeout_s, retries=retries)
        return self._transports[key]

    async def _send(
        self,
        what: str,
        host: str,
        port: int,
        auth: Auth,
        request: Request,
        *,
        windowed: bool = True,
        timeout_s: float | None = None,
        retries: int | None = None,
    ) -> Reply:
        """Send one request; sweeps (``windowed=False``) skip the in-flight window since rejected ones cost a timeout."""
        timeout = timeout_s or self.timeout_s
        tries = self.retries if retries is None else retries
        if not windowed:
            return await self._send_now(what, host, port, auth, request, timeout, tries)
        async with self._window:
            return await self._send_now(what, host, port, auth, request, timeout, tries)

    async def _send_now(
        self, what: str, host: str, port: int, auth: Auth, request: Request, timeout_s: float, retries: int
    ) -> Reply:
        try:
            if ipaddress.ip_address(host).version != 4:
                return Reply(error="only IPv4 agents are supported")
        except ValueError:
            return Reply(error="not an IP address")
        await self.limiter.acquire()
        target = f"{host}:{port}"
        self.audit(target, what)
        self.sent += 1
        self.sent_to[target] = self.sent_to.get(target, 0) + 1
        if isinstance(auth, CommunityAuth):
            try:
                answer = await self.wire.request(host, port, auth, request, timeout_s=timeout_s, retries=retries)
            except OSError as exc:
                return Reply(error=f"{type(exc).__name__}: {exc}"[:300])
            if answer is None:
                return Reply(timeout=True, error="no valid reply before timeout")
            if answer.status:
                return Reply(status=answer.status)
            reply = Reply(pairs=list(answer.var_binds))
            reply.values = {oid: value for oid, value in answer.var_binds if value is not None}
            return reply
        return await self._send_v3(host, port, auth, request, timeout_s, retries)

    async def _send_v3(
        self, host: str, port: int, auth: Auth, request: Request, timeout_s: float, retries: int
    ) -> Reply:
        try:
            target = await self._v3_transport(host, port, timeout_s, retries)
            binds = [ObjectType(ObjectIdentity(oid_text(o))) for o in request.oids]
            if request.kind == "get":
                call = get_cmd(self.engine, auth, target, ContextData(), *binds, lookupMib=False)
            elif request.kind == "next":
                call = next_cmd(self.engine, auth, target, ContextData(), *binds, lookupMib=False)
            elif request.kind == "bulk":
                call = bulk_cmd(
                    self.engine,
                    auth,
                    target,
                    ContextData(),
                    request.non_repeaters,
                    request.max_repetitions,
                    *binds,
                    lookupMib=False,
                )
            else:
                bind = ObjectType(ObjectIdentity(oid_text(request.oids[0])), rfc1902.OctetString(request.set_value))
                call = set_cmd(self.engine, auth, target, ContextData(), bind, lookupMib=False)
            indication, status, _index, var_binds = await call
        except (PySnmpError, PyAsn1Error, ValueError, TypeError, OSError) as exc:
            return Reply(error=f"{type(exc).__name__}: {exc}"[:300])
        if indication:
            text = str(indication)
            return Reply(timeout="timeout" in text.lower() or "no snmp response" in text.lower(), error=text[:300])
        if status:
            return Reply(status=str(status.prettyPrint() if hasattr(status, "prettyPrint") else status))
        return _reply([(tuple(int(n) for n in name), value) for name, value in var_binds])

    async def get(
        self,
        host: str,
        port: int,
        auth: Auth,
        oids: Sequence[Oid],
        *,
        label: str,
        windowed: bool = True,
        timeout_s: float | None = None,
        retries: int | None = None,
    ) -> Reply:
        """One GET with up to ``MAX_VARBINDS_PER_REQUEST`` OIDs."""
        chosen = tuple(oids[:MAX_VARBINDS_PER_REQUEST])
        what = f"{label} GET {','.join(oid_text(o) for o in chosen[:4])}{'...' if len(chosen) > 4 else ''}"
        request = Request("get", chosen)
        reply = await self._send(
            what, host, port, auth, request, windowed=windowed, timeout_s=timeout_s, retries=retries
        )
        asked = set(chosen)
        reply.values = {oid: value for oid, value in reply.values.items() if oid in asked}  # nothing unasked for
        return reply

    async def get_next(self, host: str, port: int, auth: Auth, oids: Sequence[Oid], *, label: str) -> Reply:
        """One GETNEXT: the first objects after ``oids`` (used to find which vendor subtrees exist)."""
        chosen = tuple(oids[:MAX_VARBINDS_PER_REQUEST])
        return await self._send(f"{label} GETNEXT {oid_text(chosen[0])}", host, port, auth, Request("next", chosen))

    async def set_octets(self, host: str, port: int, auth: Auth, oid: Oid, value: bytes, *, label: str) -> Reply:
        """SET one OCTET STRING: used only to write back the value just read (writable-community test)."""
        what = f"{label} SET {oid_text(oid)} (value read back unchanged)"
        return await self._send(what, host, port, auth, Request("set", (oid,), set_value=value))

    async def walk(
        self,
        host: str,
        port: int,
        auth: Auth,
        columns: Sequence[Oid],
        *,
        label: str,
        bulk: bool = True,
        max_rows: int = 4096,
    ) -> tuple[dict[Oid, Value], list[str]]:
        """Walk several table columns side by side (GETBULK, or GETNEXT for v1); stop at the subtree end."""
        found: dict[Oid, Value] = {}
        problems: list[str] = []
        cursors: dict[Oid, Oid] = {column: column for column in columns}
        rows: dict[Oid, int] = dict.fromkeys(columns, 0)
        while cursors:
            active = list(cursors.items())[:MAX_VARBINDS_PER_REQUEST]
            repetitions = max(1, min(50, 64 // len(active)))
            request = Request("bulk" if bulk else "next", tuple(cursor for _, cursor in active), repetitions)
            what = f"{label} {'GETBULK' if bulk else 'GETNEXT'} {','.join(oid_text(c) for _, c in active[:3])}"
            reply = await self._send(what, host, port, auth, request)
            if not reply.ok:
                if reply.status and not bulk:
                    break  # v1 agents answer noSuchName at the end of the MIB
                problems.append(f"walk {oid_text(active[0][0])}: {reply.error or reply.status or 'timeout'}")
                break
            progressed = _advance(reply, active, cursors, rows, found, max_rows, problems)
            if not progressed:
                break
        return found, problems


def _reply(var_binds: Sequence[tuple[Oid, Any]]) -> Reply:
    reply = Reply()
    for oid, value in var_binds:
        converted = convert(value)
        reply.pairs.append((oid, converted))
        if converted is not None:
            reply.values[oid] = converted
    return reply


def _advance(
    reply: Reply,
    active: list[tuple[Oid, Oid]],
    cursors: dict[Oid, Oid],
    rows: dict[Oid, int],
    found: dict[Oid, Value],
    max_rows: int,
    problems: list[str],
) -> bool:
    """Give each column its share of a GETBULK/GETNEXT reply (wire order: row by row); drop finished columns."""
    progressed = False
    width = len(active)
    for position, (column, cursor) in enumerate(active):
        share = reply.pairs[position::width]
        size = len(column)
        last = cursor
        done = not share
        for oid, value in share:
            if value is None or oid[:size] != column:
                done = True
                break
            if oid <= last:
                problems.append(f"walk {oid_text(column)}: agent returned OIDs out of order; stopped")
                done = True
                break
            found[oid] = value
            rows[column] += 1
            last = oid
        if last != cursor:
            progressed = True
        if rows[column] >= max_rows:
            problems.append(f"walk {oid_text(column)}: stopped at {max_rows} rows")
            done = True
        if done:
            cursors.pop(column, None)
        else:
            cursors[column] = last
    return progressed


def community(name: str, version: str) -> CommunityAuth:
    """A v1/v2c credential, sent on the scan's own socket (see ``wire``)."""
    return CommunityAuth(name, version)


def usm_user(user: str, auth_key: str | None, priv_key: str | None, auth: str, priv: str) -> Any:
    """pysnmp auth data for a USM user; protocol names as in the inventory (``sha256``, ``aes``...)."""
    from pysnmp.hlapi.v3arch import asyncio as hl

    auth_protocols = {
        "none": hl.usmNoAuthProtocol,
        "md5": hl.usmHMACMD5AuthProtocol,
        "sha": hl.usmHMACSHAAuthProtocol,
        "sha224": hl.usmHMAC128SHA224AuthProtocol,
        "sha256": hl.usmHMAC192SHA256AuthProtocol,
        "sha384": hl.usmHMAC256SHA384AuthProtocol,
        "sha512": hl.usmHMAC384SHA512AuthProtocol,
    }
    priv_protocols = {
        "none": hl.usmNoPrivProtocol,
        "des": hl.usmDESPrivProtocol,
        "3des": hl.usm3DESEDEPrivProtocol,
        "aes": hl.usmAesCfb128Protocol,
        "aes128": hl.usmAesCfb128Protocol,
        "aes192": hl.usmAesCfb192Protocol,
        "aes256": hl.usmAesCfb256Protocol,
    }
    return UsmUserData(
        user,
        authKey=auth_key if auth != "none" else None,
        privKey=priv_key if priv != "none" else None,
        authProtocol=auth_protocols[auth],
        privProtocol=priv_protocols[priv],
    )


AUTH_PROTOCOLS = ("none", "md5", "sha", "sha224", "sha256", "sha384", "sha512")
PRIV_PROTOCOLS = ("none", "des", "3des", "aes", "aes128", "aes192", "aes256")
