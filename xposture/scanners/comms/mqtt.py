"""The ``mqtt`` probe: does the broker accept anonymous clients, does it offer TLS, can $SYS be read.

An anonymous CONNECT is a credential test, so it is sent only when the scan
(``--credential-tests``) or the source (``credential_tests: true``) allows
it; otherwise the record says the question was not asked. Configured
credentials (``username`` + ``password: env:NAME``) are used to read the
broker version from ``$SYS`` when anonymous access is refused.
"""

from __future__ import annotations

import asyncio
import os
import ssl
from collections.abc import AsyncIterator, Mapping
from typing import ClassVar

from xposture.errors import ScannerError
from xposture.model import FieldValue, Layer, Record
from xposture.scanners.base import OptionType, ScanContext, SourceConfig
from xposture.scanners.comms import mqtt_wire as wire
from xposture.scanners.comms.endpoints import (
    COMMON_OPTIONS,
    Endpoint,
    Limits,
    Probe,
    ProbeResult,
    close_quietly,
    endpoint_record,
    endpoint_texts,
    open_connection,
    parse_endpoint,
    run_endpoints,
)

VERSION_TOPIC = "$SYS/broker/version"
DEFAULT_TLS_PORT = 8883
"""IANA port for MQTT over TLS: looked at on every broker host that has no declared TLS endpoint."""
DEFAULT_SYS_WAIT_S = 2.0


def _tls_context() -> ssl.SSLContext:
    """Connect to any TLS listener: posture of its certificate is the tls scanner's job, not this probe's."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


class MqttScanner:
    """Probe MQTT brokers (plain and TLS listeners) for anonymous access, TLS and $SYS exposure."""

    name: ClassVar[str] = "mqtt"
    layer: ClassVar[Layer] = Layer.COMMS
    active: ClassVar[bool] = True
    options: ClassVar[Mapping[str, OptionType]] = {
        **COMMON_OPTIONS,
        "tls_endpoints": list,
        "credential_tests": bool,
        "username": str,
        "password": str,
        "sys_wait_s": (int, float),
        "discover_tls": bool,
        "tls_ports": list,
    }
    required: ClassVar[tuple[str, ...]] = ()

    async def scan(self, source: SourceConfig, ctx: ScanContext) -> AsyncIterator[Record]:
        limits = Limits.from_source(source, ctx)
        opts = source.options
        anonymous = bool(opts.get("credential_tests", ctx.safety.allow_credential_tests))
        username = opts.get("username")
        password = ctx.secret(opts["password"]) if opts.get("password") else None
        sys_wait = float(opts.get("sys_wait_s", DEFAULT_SYS_WAIT_S))
        records: list[Record] = []

        def probe_for(use_tls: bool) -> Probe:
            async def probe(endpoint: Endpoint, result: ProbeResult) -> None:
                fields: dict[str, FieldValue] = {"mqtt.host": endpoint.host, "mqtt.port": endpoint.port}
                fields["mqtt.tls"] = use_tls
                record = endpoint_record("mqtt_broker", endpoint, source, self.name, fields)
                result.records.append(record)
                await self._probe(
                    endpoint, record, result, ctx, limits, use_tls, anonymous, username, password, sys_wait
                )

            return probe

        async def discover(endpoint: Endpoint, result: ProbeResult) -> None:
            """A TLS port nobody declared: absence is an answer (no listener), not a failed endpoint."""
            try:
                await probe_for(True)(endpoint, result)
            except ScannerError as exc:
                if result.records and result.records[0].get("mqtt.reachable"):
                    raise
                result.records.clear()
                result.status, result.detail = "ok", f"no TLS listener ({exc.message})"

        plain, declared_tls = endpoint_texts(source), endpoint_texts(source, "tls_endpoints")
        for texts, use_tls, port in ((plain, False, 1883), (declared_tls, True, 8883)):
            async for record in run_endpoints(self.name, texts, port, probe_for(use_tls), source, ctx, limits):
                records.append(record)
        checked = {_host(t) for t in declared_tls}
        if opts.get("discover_tls", True):
            ports = [int(p) for p in opts.get("tls_ports", [DEFAULT_TLS_PORT])]
            hosts = sorted({_host(t) for t in plain} - checked)
            guesses = [f"[{h}]:{p}" if ":" in h else f"{h}:{p}" for h in hosts for p in ports]
            async for record in run_endpoints(self.name, guesses, None, discover, source, ctx, limits):
                records.append(record)
            checked.update(hosts)
        tls_hosts = {r["mqtt.host"] for r in records if r.get("mqtt.tls") and r.get("mqtt.reachable")}
        for record in records:
            host = record["mqtt.host"]
            if host in tls_hosts or host in checked:
                record["mqtt.tls_listener_on_host"] = host in tls_hosts
            yield record

    async def _probe(
        self,
        endpoint: Endpoint,
        record: Record,
        result: ProbeResult,
        ctx: ScanContext,
        limits: Limits,
        use_tls: bool,
        anonymous: bool,
        username: str | None,
        password: str | None,
        sys_wait: float,
    ) -> None:
        attempts: list[tuple[str, str | None, str | None]] = []
        if anonymous:
            attempts.append(("anonymous", None, None))
        if username:
            attempts.append(("credentials", username, password))
        if not attempts:
            # reachability only: a TCP (and TLS) connect, no MQTT packet
            _reader, writer = await open_connection(endpoint, limits.timeout_s, **_tls_kwargs(use_tls))
            ctx.audit(self.name, endpoint.label, "tcp" + ("+tls" if use_tls else ""), "connect only")
            await close_quietly(writer)
            record["mqtt.reachable"] = True
            result.status = "partial"
            result.detail = "anonymous CONNECT not tried: credential tests are disabled"
            return
        for kind, user, secret in attempts:
            code, version = await self._connect(endpoint, ctx, limits, use_tls, user, secret, sys_wait, kind)
            record["mqtt.reachable"] = True
            if kind == "anonymous":
                record["mqtt.anonymous_tested"] = True
                record["mqtt.anonymous_allowed"] = code == 0
                record["mqtt.connack_code"] = code
                record["mqtt.connack_reason"] = wire.CONNACK_CODES.get(code, "unknown")
            else:
                record["mqtt.credentials_accepted"] = code == 0
            if code == 0:
                record["mqtt.sys_readable"] = version is not None or bool(record.get("mqtt.sys_readable"))
                if version:
                    record["mqtt.broker_version"] = version[:200]
                    break

    async def _connect(
        self,
        endpoint: Endpoint,
        ctx: ScanContext,
        limits: Limits,
        use_tls: bool,
        username: str | None,
        password: str | None,
        sys_wait: float,
        kind: str,
    ) -> tuple[int, str | None]:
        """CONNECT (anonymous or with credentials); if accepted, read $SYS/broker/version. Returns (code, version)."""
        reader, writer = await open_connection(endpoint, limits.timeout_s, **_tls_kwargs(use_tls))
        client_id = f"xposture-{os.urandom(4).hex()}"
        try:
            writer.write(wire.connect_packet(client_id, username, password))
            await writer.drain()
            ctx.audit(self.name, endpoint.label, "mqtt", f"CONNECT ({kind}, client id {client_id})")
            code = wire.connack_code(await wire.read_packet(reader, limits.timeout_s))
            if code != 0:
                return code, None
            writer.write(wire.subscribe_packet(1, VERSION_TOPIC))
            await writer.drain()
            ctx.audit(self.name, endpoint.label, "mqtt", f"SUBSCRIBE {VERSION_TOPIC}")
            version = await self._await_version(reader, min(sys_wait, limits.timeout_s))
            writer.write(wire.DISCONNECT)
            ctx.audit(self.name, endpoint.label, "mqtt", "DISCONNECT")
            return code, version
        finally:
            await close_quietly(writer)

    async def _await_version(self, reader: asyncio.StreamReader, wait_s: float) -> str | None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + wait_s
        while (left := deadline - loop.time()) > 0:
            try:
                packet = await wire.read_packet(reader, left)
            except ScannerError:
                return None
            if packet.kind == wire.SUBACK and packet.body[-1:] == b"\x80":
                return None  # subscription refused: $SYS not readable
            if packet.kind == wire.PUBLISH:
                topic, payload = wire.publish_topic_payload(packet)
                if topic == VERSION_TOPIC:
                    return payload.decode("utf-8", errors="replace")
        return None


def _host(text: str) -> str:
    try:
        return parse_endpoint(text, 0)[0]
    except ValueError:
        return text


def _tls_kwargs(use_tls: bool) -> dict[str, object]:
    return {"ssl": _tls_context(), "server_hostname": None} if use_tls else {}
