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
    CommunityData,
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
    oid_text,
)

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
            raw = bytes(value.asOctets())
            return Value(IPADDR, str(ipaddress.IPv4Address(raw)) if len(raw) == 4 else raw.hex())
        if kind == OID:
            return Value(OID, ".".join(str(n) for n in value.asTuple()))
        if kind == NULL:
            return Value(NULL, None)
        return Value(kind, int(value))
    except (TypeError, ValueError, PyAsn1Error):
        return Value(NULL, None)


class SnmpClient:
    """GET / walk / SET against many agents through one engine, one limiter and one audit hook."""

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
        self.engine = engine or SnmpEngine()
        self.limiter = limiter
        self.audit = audit
        self.timeout_s = timeout_s
        self.retries = retries
        self.sent = 0
        self._transports: dict[tuple[str, int, float, int], Any] = {}
        self._window = asyncio.Semaphore(window)
        """Requests in flight to agents that accepted us: an agent (or a gateway) is never flooded."""

    async def transport(
        self, host: str, port: int, *, timeout_s: float | None = None, retries: int | None = None
    ) -> Any:
        key = (host, port, timeout_s or self.timeout_s, self.retries if retries is None else retries)
        if key not in self._transports:
            address = ipaddress.ip_address(host)
            if address.version != 4:
                raise PySnmpError("only IPv4 agents are supported")
            self._transports[key] = await UdpTransportTarget.create((host, port), timeout=key[2], retries=key[3])
        return self._transports[key]

    async def _send(
        self, what: str, host: str, port: int, call: Callable[[Any], Any], *, windowed: bool = True, **transport: Any
    ) -> Reply:
        """Send one request; sweeps (``windowed=False``) skip the in-flight window since rejected ones cost a timeout."""
        if not windowed:
            return await self._send_now(what, host, port, call, **transport)
        async with self._window:
            return await self._send_now(what, host, port, call, **transport)

    async def _send_now(self, what: str, host: str, port: int, call: Callable[[Any], Any], **transport: Any) -> Reply:
        try:
            target = await self.transport(host, port, **transport)
        except (PySnmpError, ValueError, OSError) as exc:
            return Reply(error=f"transport: {exc}")
        await self.limiter.acquire()
        self.audit(f"{host}:{port}", what)
        self.sent += 1
        try:
            indication, status, _index, var_binds = await call(target)
        except (PySnmpError, PyAsn1Error, ValueError, TypeError, OSError) as exc:
            return Reply(error=f"{type(exc).__name__}: {exc}"[:300])
        if indication:
            text = str(indication)
            return Reply(timeout="timeout" in text.lower() or "no snmp response" in text.lower(), error=text[:300])
        if status:
            return Reply(status=str(status.prettyPrint() if hasattr(status, "prettyPrint") else status))
        reply = Reply()
        for name, value in var_binds:
            oid = tuple(int(n) for n in name)
            converted = convert(value)
            reply.pairs.append((oid, converted))
            if converted is not None:
                reply.values[oid] = converted
        return reply

    async def get(
        self,
        host: str,
        port: int,
        auth: Auth,
        oids: Sequence[Oid],
        *,
        label: str,
        windowed: bool = True,
        **transport: Any,
    ) -> Reply:
        """One GET with up to ``MAX_VARBINDS_PER_REQUEST`` OIDs."""
        binds = [ObjectType(ObjectIdentity(oid_text(o))) for o in oids[:MAX_VARBINDS_PER_REQUEST]]
        what = f"{label} GET {','.join(oid_text(o) for o in oids[:4])}{'...' if len(oids) > 4 else ''}"

        def call(target: Any) -> Any:
            return get_cmd(self.engine, auth, target, ContextData(), *binds, lookupMib=False)

        return await self._send(what, host, port, call, windowed=windowed, **transport)

    async def get_next(self, host: str, port: int, auth: Auth, oids: Sequence[Oid], *, label: str) -> Reply:
        """One GETNEXT: the first objects after ``oids`` (used to find which vendor subtrees exist)."""
        binds = [ObjectType(ObjectIdentity(oid_text(o))) for o in oids[:MAX_VARBINDS_PER_REQUEST]]

        def call(target: Any) -> Any:
            return next_cmd(self.engine, auth, target, ContextData(), *binds, lookupMib=False)

        return await self._send(f"{label} GETNEXT {oid_text(oids[0])}", host, port, call)

    async def set_octets(self, host: str, port: int, auth: Auth, oid: Oid, value: bytes, *, label: str) -> Reply:
        """SET one OCTET STRING: used only to write back the value just read (writable-community test)."""
        bind = ObjectType(ObjectIdentity(oid_text(oid)), rfc1902.OctetString(value))

        def call(target: Any) -> Any:
            return set_cmd(self.engine, auth, target, ContextData(), bind, lookupMib=False)

        return await self._send(f"{label} SET {oid_text(oid)} (value read back unchanged)", host, port, call)

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
            binds = [ObjectType(ObjectIdentity(oid_text(cursor))) for _, cursor in active]
            repetitions = max(1, min(50, 64 // len(active)))
            what = f"{label} {'GETBULK' if bulk else 'GETNEXT'} {','.join(oid_text(c) for _, c in active[:3])}"

            def call(target: Any, binds: list[Any] = binds, repetitions: int = repetitions) -> Any:
                if bulk:
                    return bulk_cmd(self.engine, auth, target, ContextData(), 0, repetitions, *binds, lookupMib=False)
                return next_cmd(self.engine, auth, target, ContextData(), *binds, lookupMib=False)

            reply = await self._send(what, host, port, call)
            if not reply.ok:
                if reply.status and not bulk:
                    break  # v1 agents answer noSuchName at the end of the MIB
                problems.append(f"walk {oid_text(active[0][0])}: {reply.error or reply.status or 'timeout'}")
                break
            progressed = _advance(reply, active, cursors, rows, found, max_rows, problems)
            if not progressed:
                break
        return found, problems


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


def community(name: str, version: str) -> Any:
    """pysnmp auth data for a v1/v2c community (``mpModel`` 0 = v1, 1 = v2c)."""
    return CommunityData(name, mpModel=0 if version == "v1" else 1)


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
