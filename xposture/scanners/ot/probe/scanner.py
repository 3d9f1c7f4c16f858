"""The ``ot_probe`` scanner: one read-only identity request per OT device and protocol, off by default.

An operator must set ``enabled: true`` in the inventory entry; every target is
scope-checked, every packet is rate-limited and written to the audit log (and
listed in the record it produced), and each device sees one connection at a time.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator, Mapping
from typing import Any, ClassVar

from xposture.errors import ScannerError
from xposture.model import FieldValue, Layer, Record, make_record
from xposture.scanners.base import OptionType, ScanContext, SourceConfig
from xposture.scanners.ot.active.ratelimit import RateLimiter
from xposture.scanners.ot.active.targets import Target, expand_targets
from xposture.scanners.ot.probe import bacnet, enip, modbus, s7
from xposture.scanners.ot.probe.errors import ProbeReplyError
from xposture.scanners.ot.probe.transport import TcpSession, udp_exchange

PROTOCOLS = ("modbus", "enip", "s7", "bacnet")
DEFAULT_PORTS = {"modbus": modbus.PORT, "enip": enip.PORT, "s7": s7.PORT, "bacnet": bacnet.PORT}
IDENTITY_SOURCES = {
    "modbus": "modbus_device_identification",
    "enip": "enip_list_identity",
    "s7": "s7_szl",
    "bacnet": "bacnet_device_object",
}
"""Names shared with the pcap scanner's ``ot.identity_sources`` vocabulary."""


class _Sent:
    """The packets sent for one (device, protocol): goes to ``ctx.audit`` and into the record."""

    def __init__(self, ctx: ScanContext, limiter: RateLimiter, target: str, protocol: str) -> None:
        self.ctx, self.limiter, self.target, self.protocol = ctx, limiter, target, protocol
        self.lines: list[str] = []

    async def __call__(self, what: str) -> None:
        await self.limiter.acquire()
        self.lines.append(what)
        self.ctx.audit("ot_probe", self.target, self.protocol, what)


class OtProbeScanner:
    """Ask OT devices who they are, once each, with the request their protocol defines for it."""

    name: ClassVar[str] = "ot_probe"
    layer: ClassVar[Layer] = Layer.OT
    active: ClassVar[bool] = True
    """Skipped as a whole in passive mode (``xposture scan --passive``)."""
    options: ClassVar[Mapping[str, OptionType]] = {
        "targets": list,
        "protocols": list,
        "enabled": bool,
        "ports": dict,
        "modbus_unit_id": int,
        "s7_rack": int,
        "s7_slot": int,
        "rate": (int, float),
        "timeout_s": (int, float),
        "concurrency": int,
    }
    required: ClassVar[tuple[str, ...]] = ("targets",)

    async def scan(self, source: SourceConfig, ctx: ScanContext) -> AsyncIterator[Record]:
        options = source.options
        targets = [str(t) for t in options.get("targets", [])]
        if not options.get("enabled", False):
            for target in targets:
                ctx.report(
                    self.name, target, "skipped", "active OT probes are off (set enabled: true)", site=source.site
                )
            return
        protocols = [str(p).lower() for p in options.get("protocols", ["modbus", "enip", "s7", "bacnet"])]
        unknown = [p for p in protocols if p not in PROTOCOLS]
        if unknown:
            raise ScannerError(
                f"protocols: unknown {unknown} (use {', '.join(PROTOCOLS)})", scanner=self.name, target=source.label
            )
        ports = {**DEFAULT_PORTS, **{str(k): int(v) for k, v in dict(options.get("ports", {})).items()}}
        rate = min(float(options.get("rate", 10.0)), ctx.safety.max_rate_per_s)
        limiter = RateLimiter(rate, burst=1)
        timeout_s = float(options.get("timeout_s", 3.0))
        hosts, rejected = expand_targets(targets, ctx.safety, scanner=self.name)
        for item in rejected:
            ctx.report(self.name, item.origin, "skipped", item.reason, site=source.site)
        gate = asyncio.Semaphore(max(1, int(options.get("concurrency", min(ctx.concurrency, 16)))))
        jobs = [
            asyncio.ensure_future(
                self._device(gate, host, protocols, ports, options, limiter, timeout_s, ctx, source.site)
            )
            for host in hosts
        ]
        try:
            for finished in asyncio.as_completed(jobs):
                for record in await finished:
                    yield record
        finally:
            for job in jobs:
                job.cancel()

    async def _device(
        self,
        gate: asyncio.Semaphore,
        host: Target,
        protocols: list[str],
        ports: dict[str, int],
        options: Mapping[str, Any],
        limiter: RateLimiter,
        timeout_s: float,
        ctx: ScanContext,
        site: str,
    ) -> list[Record]:
        """All protocols of one device in turn: one connection to it at a time."""
        records: list[Record] = []
        async with gate:
            for protocol in protocols:
                port = host.port or ports[protocol]
                target = f"{host.host}:{port}"
                if ctx.cancelled():
                    ctx.report(self.name, target, "skipped", "scan cancelled or out of time", site=site)
                    continue
                sent = _Sent(ctx, limiter, target, protocol)
                try:
                    found = await self._probe(protocol, host.host, port, options, sent, timeout_s)
                except ProbeReplyError as exc:
                    ctx.report(self.name, target, "failed", f"{protocol}: {exc}", site=site)
                    records.append(self._record(host.host, port, protocol, {"probe.error": str(exc)[:300]}, sent, site))
                    continue
                except (OSError, TimeoutError) as exc:
                    status = "timeout" if isinstance(exc, TimeoutError) else "failed"
                    detail = "no reply" if isinstance(exc, TimeoutError) else (exc.strerror or type(exc).__name__)
                    ctx.report(self.name, target, status, f"{protocol}: {detail}", site=site)
                    continue
                ctx.report(self.name, target, "ok", protocol, records=1, site=site)
                records.append(self._record(host.host, port, protocol, found, sent, site))
        return records

    async def _probe(
        self, protocol: str, host: str, port: int, options: Mapping[str, Any], sent: _Sent, timeout_s: float
    ) -> dict[str, FieldValue]:
        if protocol == "bacnet":
            await sent("BACnet ReadPropertyMultiple Device,4194303 (name, vendor, model, firmware, application)")
            reply = await udp_exchange(host, port, bacnet.request(random.randint(0, 255)), timeout_s)
            return _bacnet_fields(bacnet.parse(reply))
        session = await TcpSession.open(host, port, timeout_s)
        try:
            if protocol == "modbus":
                return await _modbus(session, int(options.get("modbus_unit_id", 255)), sent)
            if protocol == "enip":
                await sent("ENIP ListIdentity (0x63)")
                reply = await session.exchange(enip.request(), enip.HEADER.size, enip.reply_length)
                return _enip_fields(enip.parse(reply))
            await sent("COTP connection request")
            check = await session.exchange(
                s7.connect_request(int(options.get("s7_rack", 0)), int(options.get("s7_slot", 2))), 4, s7.reply_length
            )
            s7.check_connect_confirm(check)
            await sent("S7 setup communication")
            s7.check_setup(await session.exchange(s7.setup_communication(), 4, s7.reply_length))
            await sent("S7 userdata Read-SZL 0x0011 index 0")
            return _s7_fields(s7.parse_szl(await session.exchange(s7.read_szl(), 4, s7.reply_length)))
        finally:
            await session.close()

    def _record(
        self, host: str, port: int, protocol: str, found: dict[str, FieldValue], sent: _Sent, site: str
    ) -> Record:
        fields: dict[str, FieldValue] = {
            "asset.ip": host,
            "asset.kind": "ot_device",
            "site": site or None,
            "probe.protocol": protocol,
            "probe.port": port,
            "probe.sent": list(sent.lines),
            "probe.requests": len(sent.lines),
            "probe.answered": "probe.error" not in found,
            **found,
        }
        if fields["probe.answered"]:
            fields["ot.identity_sources"] = [IDENTITY_SOURCES[protocol]]
            fields["ot.identity_known"] = bool(found.get("identity.model") or found.get("identity.firmware"))
            fields["identity.firmware_known"] = bool(found.get("identity.firmware"))
        if isinstance(fields.get("identity.serial"), str):
            fields["asset.serial"] = fields["identity.serial"]
        return make_record(
            "ot_identity",
            asset_id=f"ip:{site}/{host}" if site else f"ip:{host}",
            key=f"{protocol}/{port}",
            layer=Layer.OT,
            scanner=self.name,
            fields=fields,
            target=f"{host}:{port}",
        )


async def _modbus(session: TcpSession, unit_id: int, sent: _Sent) -> dict[str, FieldValue]:
    """Regular identification first; a device that refuses it gets the basic request once."""
    await sent(f"Modbus FC43/14 read device identification (regular) unit {unit_id}")
    reply = await session.exchange(modbus.request(1, unit_id, modbus.REGULAR), 7, modbus.reply_length)
    try:
        objects = modbus.parse(reply)
    except ProbeReplyError as exc:
        if "exception" not in str(exc):
            raise
        await sent(f"Modbus FC43/14 read device identification (basic) unit {unit_id}")
        objects = modbus.parse(await session.exchange(modbus.request(2, unit_id, modbus.BASIC), 7, modbus.reply_length))
    return {
        "modbus.unit_id": unit_id,
        "modbus.conformity": objects.get("conformity"),
        "identity.vendor": objects.get("vendor"),
        "identity.product_code": objects.get("product_code"),
        "identity.firmware": objects.get("revision"),
        "identity.model": objects.get("model") or objects.get("product_name"),
        "identity.product_name": objects.get("product_name"),
        "identity.name": objects.get("application"),
    }


def _enip_fields(found: dict[str, str | int]) -> dict[str, FieldValue]:
    vendor_id = int(found["vendor_id"])
    return {
        "enip.vendor_id": vendor_id,
        "enip.device_type": found["device_type"],
        "enip.device_type_name": found.get("device_type_name") or None,
        "enip.product_code": found["product_code"],
        "enip.status": found["status"],
        "enip.reported_ip": found.get("ip"),
        "identity.vendor": enip.VENDORS.get(vendor_id) or f"CIP vendor {vendor_id}",
        "identity.model": found["product_name"] or None,
        "identity.product_code": str(found["product_code"]),
        "identity.firmware": found["revision"],
        "identity.serial": found["serial"],
    }


def _s7_fields(found: dict[str, str]) -> dict[str, FieldValue]:
    return {
        "identity.vendor": "Siemens",
        "identity.model": found.get("order_number"),
        "identity.product_code": found.get("order_number"),
        "identity.hardware": found.get("hardware"),
        "identity.firmware": found.get("firmware") or found.get("module_version"),
        "s7.order_number": found.get("order_number"),
        "s7.module_version": found.get("module_version"),
    }


def _bacnet_fields(found: dict[str, str]) -> dict[str, FieldValue]:
    return {
        "bacnet.device_instance": int(found["device_instance"]) if found.get("device_instance", "").isdigit() else None,
        "bacnet.vendor_id": int(found["vendor_id"]) if found.get("vendor_id", "").isdigit() else None,
        "identity.vendor": found.get("vendor"),
        "identity.model": found.get("model"),
        "identity.firmware": found.get("firmware"),
        "identity.name": found.get("object_name"),
        "bacnet.application_version": found.get("application_version"),
    }
