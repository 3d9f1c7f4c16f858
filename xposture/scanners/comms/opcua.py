"""The ``opcua`` probe: GetEndpoints without a session, one ``opcua_endpoint`` record per endpoint offered.

Judged facts: security mode None, deprecated security policies
(Basic128Rsa15, Basic256: OPC UA 1.04 deprecated them for SHA-1/PKCS#1 v1.5),
anonymous user tokens, user names accepted on an unencrypted endpoint, and the
application certificate (same checks as TLS certificates).
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator, Mapping
from typing import ClassVar

from xposture.errors import ScannerError
from xposture.model import FieldValue, Layer, Record
from xposture.scanners.base import OptionType, ScanContext, SourceConfig
from xposture.scanners.comms import opcua_wire as wire
from xposture.scanners.comms.certs import certificate_facts, parse_der_chain
from xposture.scanners.comms.endpoints import (
    COMMON_OPTIONS,
    Endpoint,
    Limits,
    ProbeResult,
    close_quietly,
    endpoint_record,
    endpoint_texts,
    open_connection,
    read_exactly,
    run_endpoints,
)

DEPRECATED_POLICIES = ("Basic128Rsa15", "Basic256")
_CERT_FIELDS = (
    "days_to_expiry", "expired", "self_signed", "key_type", "key_size", "weak_key",
    "signature_hash", "weak_signature", "sha256", "subject",
)  # fmt: skip


def endpoint_fields(desc: wire.EndpointDescription) -> dict[str, FieldValue]:
    token_types = sorted({t.token_type for t in desc.tokens})
    # a user name token on an endpoint without encryption travels in clear unless the token has its own policy
    unprotected = ("", wire.POLICY_NONE)
    cleartext_password = desc.security_mode == "None" and any(
        t.token_type == "username" and t.security_policy_uri in unprotected  # noqa: S105 - a token type name
        for t in desc.tokens
    )
    fields: dict[str, FieldValue] = {
        "opcua.endpoint_url": desc.url[:500],
        "opcua.security_mode": desc.security_mode,
        "opcua.security_policy": desc.security_policy,
        "opcua.security_policy_uri": desc.security_policy_uri,
        "opcua.security_level": desc.security_level,
        "opcua.user_token_types": token_types,
        "opcua.anonymous_allowed": "anonymous" in token_types,
        "opcua.insecure_mode": desc.security_mode == "None",
        "opcua.deprecated_policy": desc.security_policy in DEPRECATED_POLICIES,
        "opcua.cleartext_password": cleartext_password,
        "opcua.application_uri": desc.application_uri[:500],
        "opcua.product_uri": desc.product_uri[:500],
        "opcua.application_name": desc.application_name[:200],
        "opcua.transport_profile": desc.transport_profile.rsplit("/", 1)[-1],
    }
    if desc.certificate:
        chain, error = parse_der_chain([desc.certificate])
        if chain:
            facts = certificate_facts(chain, hostname=None, store=None, now=dt.datetime.now(dt.UTC))[0]
            for name in _CERT_FIELDS:
                fields[f"opcua.cert_{name}"] = facts.get(f"cert.{name}")
        else:
            fields["opcua.cert_error"] = error
    return fields


class OpcUaScanner:
    """Ask OPC UA servers for their endpoints over a SecurityPolicy None channel, as any client may."""

    name: ClassVar[str] = "opcua"
    layer: ClassVar[Layer] = Layer.COMMS
    active: ClassVar[bool] = True
    options: ClassVar[Mapping[str, OptionType]] = {**COMMON_OPTIONS}
    required: ClassVar[tuple[str, ...]] = ("endpoints",)

    async def scan(self, source: SourceConfig, ctx: ScanContext) -> AsyncIterator[Record]:
        limits = Limits.from_source(source, ctx)

        async def probe(endpoint: Endpoint, result: ProbeResult) -> None:
            for desc in await self.get_endpoints(endpoint, ctx, limits.timeout_s):
                fields: dict[str, FieldValue] = {"opcua.host": endpoint.host, "opcua.port": endpoint.port}
                fields.update(endpoint_fields(desc))
                key = f"tcp/{endpoint.port}/{desc.security_mode}/{desc.security_policy}"
                if any(r["record.key"] == key for r in result.records):
                    key += f"/{len(result.records)}"
                result.records.append(endpoint_record("opcua_endpoint", endpoint, source, self.name, fields, key=key))
            if not result.records:
                result.status, result.detail = "partial", "server listed no endpoints"

        async for record in run_endpoints(self.name, endpoint_texts(source), 4840, probe, source, ctx, limits):
            yield record

    async def get_endpoints(
        self, endpoint: Endpoint, ctx: ScanContext, timeout_s: float
    ) -> list[wire.EndpointDescription]:
        url = f"opc.tcp://{endpoint.label}"
        reader, writer = await open_connection(endpoint, timeout_s)
        try:
            writer.write(wire.hello(url))
            ctx.audit(self.name, endpoint.label, "opcua", f"HEL {url}")
            await writer.drain()
            kind, body = await self._message(reader, timeout_s)
            if kind != b"ACK":
                raise ScannerError(f"expected ACK to Hello, got {kind.decode(errors='replace')}")
            writer.write(wire.open_secure_channel())
            ctx.audit(self.name, endpoint.label, "opcua", "OPN SecurityPolicy None")
            await writer.drain()
            kind, body = await self._message(reader, timeout_s)
            if kind != b"OPN":
                raise ScannerError(f"expected OPN response, got {kind.decode(errors='replace')}")
            channel, token = wire.parse_open_response(body)
            writer.write(wire.get_endpoints(channel, token, url))
            ctx.audit(self.name, endpoint.label, "opcua", "MSG GetEndpoints")
            await writer.drain()
            kind, body = await self._message(reader, timeout_s, symmetric=True)
            if kind != b"MSG":
                raise ScannerError(f"expected MSG response, got {kind.decode(errors='replace')}")
            endpoints = wire.parse_get_endpoints_response(body)
            writer.write(wire.close_secure_channel(channel, token))
            ctx.audit(self.name, endpoint.label, "opcua", "CLO")
            return endpoints
        finally:
            await close_quietly(writer)

    async def _message(
        self, reader: asyncio.StreamReader, timeout_s: float, symmetric: bool = False
    ) -> tuple[bytes, bytes]:
        """One message, reassembled from chunks; for MSG the per-chunk security headers are stripped."""
        parts: list[bytes] = []
        total = 0
        while True:
            header = await read_exactly(reader, 8, timeout_s, "OPC UA message header")
            kind, final, size = wire.parse_chunk_header(header)
            body = await read_exactly(reader, size, timeout_s, "OPC UA message")
            if kind == b"ERR":
                raise ScannerError(wire.parse_error(body))
            total += size
            if total > wire.MAX_MESSAGE:
                raise ScannerError(f"OPC UA message larger than {wire.MAX_MESSAGE} bytes")
            if final == b"A":
                raise ScannerError("server aborted the message")
            parts.append(body[16:] if symmetric else body)
            if final == b"F":
                return kind, b"".join(parts)
