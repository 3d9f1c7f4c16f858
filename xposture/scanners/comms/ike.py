"""The ``ike`` probe: IKE versions, weak DH groups and ciphers, IKEv1 Aggressive Mode, for declared VPN endpoints.

Each question is one datagram offering only the transforms in question
(weak groups one at a time, DES/3DES, MD5/SHA-1); the responder's pick or
refusal is the answer, as with ike-scan. Aggressive Mode with a pre-shared
key is probed because its answer carries a hash of the PSK that can be
cracked offline (CVE-2002-1623 class).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from typing import ClassVar

from xposture.errors import InputError, ScannerError
from xposture.model import FieldValue, Layer, Record, make_record
from xposture.scanners.base import OptionType, ScanContext, SourceConfig
from xposture.scanners.comms import ike_wire as wire
from xposture.scanners.comms.endpoints import (
    COMMON_OPTIONS,
    Endpoint,
    Limits,
    ProbeResult,
    endpoint_record,
    endpoint_texts,
    run_endpoints,
)

ENC_NAMES_V1 = {1: "des", 5: "3des", 7: "aes"}
ENC_NAMES_V2 = {2: "des", 3: "3des", 12: "aes_cbc", 20: "aes_gcm_16"}
HASH_NAMES_V1 = {1: "md5", 2: "sha1", 4: "sha256"}
HASH_NAMES_V2 = {1: "md5", 2: "sha1", 5: "sha256", 12: "sha256"}


def label(version: str, chosen: dict[str, int], encs: dict[int, str], hashes_: dict[int, str], hash_key: str) -> str:
    """``v2:aes_cbc256/sha256/group15``: the proposal a responder picked, readable."""
    enc, hash_id = chosen.get("enc", 0), chosen.get(hash_key, 0)
    return (
        f"{version}:{encs.get(enc, str(enc))}{chosen.get('key_length', '')}"
        f"/{hashes_.get(hash_id, str(hash_id))}/group{chosen.get('group')}"
    )


class _Datagrams(asyncio.DatagramProtocol):
    def __init__(self) -> None:
        self.queue: asyncio.Queue[bytes] = asyncio.Queue(maxsize=64)

    def datagram_received(self, data: bytes, addr: object) -> None:
        if not self.queue.full():
            self.queue.put_nowait(data)

    def error_received(self, exc: Exception) -> None:
        if not self.queue.full():
            self.queue.put_nowait(b"")  # ICMP unreachable: nobody listens


@dataclass(slots=True)
class IkePosture:
    ikev1: bool = False
    ikev2: bool = False
    ikev1_responds: bool = False
    ikev2_responds: bool = False
    answered: bool = False
    weak_groups: set[int] = field(default_factory=set)
    weak_encryption: set[str] = field(default_factory=set)
    weak_integrity: set[str] = field(default_factory=set)
    aggressive: bool = False
    chosen: list[str] = field(default_factory=list)
    vendor_ids: list[str] = field(default_factory=list)
    notifies: set[str] = field(default_factory=set)

    def fields(self) -> dict[str, FieldValue]:
        return {
            "vpn.ikev1": self.ikev1,
            "vpn.ikev2": self.ikev2,
            "vpn.ikev1_responds": self.ikev1_responds,
            "vpn.ikev2_responds": self.ikev2_responds,
            "vpn.ikev1_aggressive_psk": self.aggressive,
            "vpn.weak_dh_groups": sorted(self.weak_groups),
            "vpn.weak_encryption": sorted(self.weak_encryption),
            "vpn.weak_integrity": sorted(self.weak_integrity),
            "vpn.chosen_proposals": list(dict.fromkeys(self.chosen)),
            "vpn.vendor_ids": self.vendor_ids[:16],
            "vpn.notifications": sorted(self.notifies),
        }


class IkeProber:
    def __init__(
        self, endpoint: Endpoint, ctx: ScanContext, scanner: str, timeout_s: float, retries: int, marker: bool
    ) -> None:
        self.endpoint, self.ctx, self.scanner = endpoint, ctx, scanner
        self.timeout_s, self.retries = timeout_s, retries
        # RFC 3948 2.2: IKE on the NAT-T port carries a four-byte zero non-ESP marker
        self.marker = b"\x00\x00\x00\x00" if marker else b""
        self.posture = IkePosture()

    async def ask(self, what: str, spi: bytes, datagram: bytes) -> wire.Reply | None:
        """Send one probe (with retransmissions) and return the responder's answer to it, or None."""
        if self.ctx.cancelled():
            raise ScannerError("scan cancelled or out of time")
        loop = asyncio.get_running_loop()
        transport, proto = await loop.create_datagram_endpoint(
            _Datagrams, remote_addr=(self.endpoint.address, self.endpoint.port)
        )
        try:
            for _ in range(self.retries + 1):
                transport.sendto(self.marker + datagram)
                self.ctx.audit(self.scanner, self.endpoint.label, "ike", f"{what} ({len(datagram)} bytes)")
                deadline = loop.time() + self.timeout_s
                while (left := deadline - loop.time()) > 0:
                    try:
                        data = await asyncio.wait_for(proto.queue.get(), left)
                    except TimeoutError:
                        break
                    if not data:
                        raise ScannerError("port unreachable (ICMP): no IKE responder")
                    if self.marker and data.startswith(self.marker):
                        data = data[len(self.marker) :]
                    reply = wire.parse_reply(data, spi)
                    if reply is not None:
                        self.posture.answered = True
                        self.posture.vendor_ids.extend(v for v in reply.vendor_ids if v not in self.posture.vendor_ids)
                        self.posture.notifies.update(wire.NOTIFY_NAMES.get(n, str(n)) for n in reply.notify)
                        return reply
            return None
        finally:
            transport.close()

    async def v2(self, encs: tuple[str, ...], hashes_: tuple[str, ...], groups: tuple[int, ...], what: str) -> bool:
        spi, datagram = wire.v2_message(encs, hashes_, groups)
        reply = await self.ask(f"IKEv2 IKE_SA_INIT {what}", spi, datagram)
        if reply is not None and reply.wanted_group in groups and reply.wanted_group != groups[0]:
            # acceptable proposal, other group: ask again leading with the group the responder wants
            wanted = reply.wanted_group
            spi, datagram = wire.v2_message(encs, hashes_, (wanted, *(g for g in groups if g != wanted)))
            reply = await self.ask(f"IKEv2 IKE_SA_INIT {what}, KE group {wanted}", spi, datagram)
        if reply is None or reply.version != 2:
            return False
        self.posture.ikev2_responds = True
        if reply.accepted:
            self.posture.ikev2 = True
            self.posture.chosen.append(label("v2", reply.chosen, ENC_NAMES_V2, HASH_NAMES_V2, "integ"))
        return reply.accepted

    async def v1(self, exchange: int, sets: list[wire.Offer], what: str) -> bool:
        spi, datagram = wire.v1_message(exchange, sets)
        reply = await self.ask(f"IKEv1 {what}", spi, datagram)
        if reply is None or reply.version != 1:
            return False
        self.posture.ikev1_responds = True
        if reply.accepted:
            self.posture.ikev1 = True
            self.posture.chosen.append(label("v1", reply.chosen, ENC_NAMES_V1, HASH_NAMES_V1, "hash"))
        return reply.accepted

    async def run(self) -> IkePosture:
        p = self.posture
        strong_enc, strong_hash = ("aes256", "aes128"), ("sha256", "sha1")
        await self.v2(wire.ALL_ENC, wire.ALL_HASH, (*wire.STRONG_GROUPS, *wire.WEAK_GROUPS), "all proposals")
        if p.ikev2_responds:
            for group in wire.WEAK_GROUPS:
                if await self.v2(strong_enc, strong_hash, (group,), f"group {group} only"):
                    p.weak_groups.add(group)
            for enc in ("des", "3des"):
                if await self.v2((enc,), wire.ALL_HASH, wire.STRONG_GROUPS + wire.WEAK_GROUPS, f"{enc} only"):
                    p.weak_encryption.add(enc)
            for hash_ in ("md5", "sha1"):
                if await self.v2(strong_enc, (hash_,), wire.STRONG_GROUPS + wire.WEAK_GROUPS, f"{hash_} only"):
                    p.weak_integrity.add(hash_)
        all_sets = wire.offers(("aes256", "aes128", "3des"), ("sha256", "sha1", "md5"), (14, 2, 5), ("psk", "rsa_sig"))
        await self.v1(wire.MAIN_MODE, all_sets, "Main Mode all proposals")
        if p.ikev1_responds:
            for group in wire.WEAK_GROUPS:
                sets = wire.offers(wire.ALL_ENC, wire.ALL_HASH, (group,), ("psk", "rsa_sig"))
                if await self.v1(wire.MAIN_MODE, sets, f"Main Mode group {group} only"):
                    p.weak_groups.add(group)
            for enc in ("des", "3des"):
                sets = wire.offers((enc,), wire.ALL_HASH, (14, 2, 5), ("psk", "rsa_sig"))
                if await self.v1(wire.MAIN_MODE, sets, f"Main Mode {enc} only"):
                    p.weak_encryption.add(enc)
            for hash_ in ("md5", "sha1"):
                sets = wire.offers(wire.ALL_ENC, (hash_,), (14, 2, 5), ("psk", "rsa_sig"))
                if await self.v1(wire.MAIN_MODE, sets, f"Main Mode {hash_} only"):
                    p.weak_integrity.add(hash_)
            for group in (14, 2, 5):
                sets = wire.offers(wire.ALL_ENC, wire.ALL_HASH, (group,), ("psk",))
                if await self.v1(wire.AGGRESSIVE_MODE, sets, f"Aggressive Mode PSK group {group}"):
                    p.aggressive = True
                    break
        return p


class IkeScanner:
    """Probe declared IPsec VPN endpoints (UDP 500) for IKE versions and weak proposals."""

    name: ClassVar[str] = "ike"
    layer: ClassVar[Layer] = Layer.COMMS
    # Not ``active`` as a class: captures are read in passive scans too, while live endpoints are
    # refused by the safety policy (coverage "skipped") when active scanning is off.
    active: ClassVar[bool] = False
    options: ClassVar[Mapping[str, OptionType]] = {
        **COMMON_OPTIONS,
        "retries": int,
        "nat_t_ports": list,
        "captures": list,
    }
    required: ClassVar[tuple[str, ...]] = ()

    async def scan(self, source: SourceConfig, ctx: ScanContext) -> AsyncIterator[Record]:
        limits = Limits.from_source(source, ctx)
        retries = max(0, int(source.options.get("retries", 1)))
        nat_t_ports = {int(p) for p in source.options.get("nat_t_ports", [4500])}

        async def probe(endpoint: Endpoint, result: ProbeResult) -> None:
            marker = endpoint.port in nat_t_ports
            prober = IkeProber(endpoint, ctx, self.name, limits.timeout_s, retries, marker)
            try:
                posture = await prober.run()
            finally:
                if prober.posture.answered:
                    fields: dict[str, FieldValue] = {
                        "vpn.host": endpoint.host,
                        "vpn.port": endpoint.port,
                        "vpn.evidence": "probe",
                    }
                    fields.update(prober.posture.fields())
                    result.records.append(
                        endpoint_record("vpn_endpoint", endpoint, source, self.name, fields, key=f"udp/{endpoint.port}")
                    )
            if not posture.answered:
                raise ScannerError(f"no IKE answer within {limits.timeout_s:g} s x {retries + 1} tries")

        for record in self._captures(source, ctx):
            yield record
        async for record in run_endpoints(self.name, endpoint_texts(source), 500, probe, source, ctx, limits):
            yield record

    def _captures(self, source: SourceConfig, ctx: ScanContext) -> list[Record]:
        """``vpn_endpoint`` records for the responders seen in capture files (nothing is sent)."""
        from xposture.scanners.comms.ike_capture import responders

        records: list[Record] = []
        for path in source.path_list("captures"):
            try:
                found = responders(path)
            except InputError as exc:  # one unreadable capture must not hide the others
                ctx.report(self.name, str(path), "failed", exc.message, site=source.site)
                continue
            for (address, port), posture in sorted(found.items()):
                fields: dict[str, FieldValue] = {"vpn.host": address, "vpn.port": port, "vpn.evidence": "capture"}
                fields.update(posture.fields())
                fields.update({"asset.ip": address, "asset.kind": "network_host", "site": source.site or None})
                asset = f"ip:{source.site}/{address}" if source.site else f"ip:{address}"
                records.append(
                    make_record(
                        "vpn_endpoint",
                        asset_id=asset,
                        key=f"udp/{port}",
                        layer=Layer.COMMS,
                        scanner=self.name,
                        fields=fields,
                        file=str(path),
                    )
                )
            ctx.report(self.name, str(path), "ok", f"{len(found)} IKE responders", records=len(found), site=source.site)
        return records
