"""The ``ssh`` scanner: banner, KEXINIT algorithm lists and host keys, judged with ssh-audit's knowledge.

One connection reads the banner and the server's KEXINIT; then one short
connection per host key type runs ECDH far enough to see that key (type,
size, fingerprint). No authentication is ever attempted.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Mapping
from typing import ClassVar

from xposture.errors import ScannerError
from xposture.model import FieldValue, Layer, Record
from xposture.scanners.base import OptionType, ScanContext, SourceConfig
from xposture.scanners.comms import ssh_policy as policy
from xposture.scanners.comms.endpoints import (
    COMMON_OPTIONS,
    Endpoint,
    Limits,
    ProbeResult,
    close_quietly,
    endpoint_record,
    endpoint_texts,
    open_connection,
    run_endpoints,
)
from xposture.scanners.comms.ssh_wire import (
    KEX_FOR_HOST_KEY,
    Banner,
    HostKey,
    KexInit,
    SshConnection,
    parse_kexinit,
)

_RSA_FAMILY = ("rsa-sha2-512", "rsa-sha2-256", "ssh-rsa")
_KEY_TYPES = ("ssh-ed25519", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521", "ssh-dss")
_VERSION = re.compile(r"^(?P<product>[A-Za-z][A-Za-z0-9.]*?)[_-](?P<version>\d[\w.]*)")


def host_key_probes(offered: list[str]) -> list[str]:
    """One host key algorithm per distinct key: all RSA signature names share one RSA key."""
    probes = [alg for alg in _KEY_TYPES if alg in offered]
    rsa = next((alg for alg in _RSA_FAMILY if alg in offered), None)
    if rsa:
        probes.insert(0, rsa)
    return probes


def software_fields(banner: Banner) -> dict[str, FieldValue]:
    match = _VERSION.match(banner.software)
    return {
        "ssh.banner": banner.line[:255],
        "ssh.protocol_version": banner.protocol,
        "ssh.ssh1_supported": banner.protocol.startswith("1."),
        "ssh.software": banner.software[:120],
        "ssh.product": match["product"] if match else None,
        "ssh.version": match["version"] if match else None,
    }


def algorithm_fields(kex: KexInit) -> dict[str, FieldValue]:
    kex_algs = [a for a in kex.kex if not a.startswith(policy.PSEUDO_KEX_PREFIXES)]
    ciphers = list(dict.fromkeys(kex.ciphers_c2s + kex.ciphers_s2c))
    macs = list(dict.fromkeys(kex.macs_c2s + kex.macs_s2c))
    tables = ((policy.KEX, kex_algs), (policy.HOST_KEY, kex.host_key), (policy.CIPHER, ciphers), (policy.MAC, macs))
    fails = [a for table, algs in tables for a in policy.judged(table, algs, policy.FAIL)]
    warns = [a for table, algs in tables for a in policy.judged(table, algs, policy.WARN)]
    return {
        "ssh.kex_algorithms": kex_algs,
        "ssh.host_key_algorithms": kex.host_key,
        "ssh.ciphers": ciphers,
        "ssh.macs": macs,
        "ssh.compression": list(dict.fromkeys(kex.compression_c2s + kex.compression_s2c)),
        "ssh.weak_kex": policy.judged(policy.KEX, kex_algs, policy.FAIL),
        "ssh.weak_host_key_algorithms": policy.judged(policy.HOST_KEY, kex.host_key, policy.FAIL),
        "ssh.weak_ciphers": policy.judged(policy.CIPHER, ciphers, policy.FAIL),
        "ssh.weak_macs": policy.judged(policy.MAC, macs, policy.FAIL),
        "ssh.deprecated_algorithms": warns,
        "ssh.fail_count": len(fails),
        "ssh.warn_count": len(warns),
        "ssh.strict_kex": "kex-strict-s-v00@openssh.com" in kex.kex,
        "ssh.terrapin_vulnerable": policy.terrapin_vulnerable(kex.kex, ciphers, macs),
    }


def host_key_fields(keys: list[HostKey]) -> dict[str, FieldValue]:
    rsa_bits = [k.bits for k in keys if k.type == "ssh-rsa"]
    weak = [k.label() for k in keys if (k.type == "ssh-rsa" and k.bits < policy.MIN_RSA_BITS) or k.type == "ssh-dss"]
    return {
        "ssh.host_keys": [k.label() for k in keys],
        "ssh.host_key_types": [k.type for k in keys],
        "ssh.rsa_key_bits": min(rsa_bits) if rsa_bits else None,
        "ssh.weak_host_keys": weak,
    }


class SshScanner:
    """Probe SSH servers: what they offer, and which of it ssh-audit's policy calls broken or deprecated."""

    name: ClassVar[str] = "ssh"
    layer: ClassVar[Layer] = Layer.COMMS
    active: ClassVar[bool] = True
    options: ClassVar[Mapping[str, OptionType]] = {**COMMON_OPTIONS, "host_keys": bool}
    required: ClassVar[tuple[str, ...]] = ("endpoints",)

    async def scan(self, source: SourceConfig, ctx: ScanContext) -> AsyncIterator[Record]:
        limits = Limits.from_source(source, ctx)
        want_keys = bool(source.options.get("host_keys", True))

        async def probe(endpoint: Endpoint, result: ProbeResult) -> None:
            banner, kex = await self._kexinit(endpoint, ctx, limits.timeout_s)
            fields: dict[str, FieldValue] = {"ssh.host": endpoint.host, "ssh.port": endpoint.port}
            fields.update(software_fields(banner))
            if kex is not None:
                fields.update(algorithm_fields(kex))
            record = endpoint_record("ssh_endpoint", endpoint, source, self.name, fields)
            result.records.append(record)
            if kex is None:
                result.status, result.detail = "partial", f"SSH protocol {banner.protocol} only: no algorithm lists"
                return
            if not want_keys:
                return
            exchange = next((k for k in KEX_FOR_HOST_KEY if k in kex.kex), None)
            if exchange is None:
                result.status, result.detail = "partial", "no supported key exchange in common: host keys not read"
                return
            keys: list[HostKey] = []
            errors: list[str] = []
            for alg in host_key_probes(kex.host_key):
                try:
                    keys.append(await self._host_key(endpoint, ctx, limits.timeout_s, kex, exchange, alg))
                except ScannerError as exc:
                    errors.append(f"{alg}: {exc.message}")
            record.update({k: v for k, v in host_key_fields(keys).items() if v not in (None, [])})
            if errors:
                result.status, result.detail = "partial", "; ".join(errors)

        async for record in run_endpoints(self.name, endpoint_texts(source), 22, probe, source, ctx, limits):
            yield record

    async def _kexinit(self, endpoint: Endpoint, ctx: ScanContext, timeout_s: float) -> tuple[Banner, KexInit | None]:
        reader, writer = await open_connection(endpoint, timeout_s)
        ctx.audit(self.name, endpoint.label, "ssh", "identification string")
        try:
            conn = SshConnection(reader, writer, timeout_s)
            banner = await conn.banner()
            if banner.protocol.startswith("1.") and banner.protocol != "1.99":
                return banner, None  # SSH-1 only: no KEXINIT to read, the banner is the finding
            return banner, parse_kexinit(await conn.packet())
        finally:
            await close_quietly(writer)

    async def _host_key(
        self, endpoint: Endpoint, ctx: ScanContext, timeout_s: float, kex: KexInit, exchange: str, alg: str
    ) -> HostKey:
        reader, writer = await open_connection(endpoint, timeout_s)
        ctx.audit(self.name, endpoint.label, "ssh", f"KEXINIT + key exchange init ({exchange}, host key {alg})")
        try:
            conn = SshConnection(reader, writer, timeout_s)
            await conn.banner()
            await conn.packet()
            cipher = kex.ciphers_c2s[0] if kex.ciphers_c2s else "aes128-ctr"
            mac = kex.macs_c2s[0] if kex.macs_c2s else "hmac-sha2-256"
            return await conn.host_key(exchange, alg, cipher, mac)
        finally:
            await close_quietly(writer)
