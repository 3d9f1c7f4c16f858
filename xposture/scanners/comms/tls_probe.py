"""TLS posture of one endpoint: versions accepted, cipher suites by elimination, the certificate chain.

Method (the one sslyze and testssl.sh use, with hand-built hellos): one
ClientHello per protocol version offering every registered suite; for each
accepted version, offer the suites not yet accepted until the server refuses,
so the number of handshakes is the number of accepted suites plus one per
version. The chain is read from one extra handshake (decrypted for TLS 1.3).
"""

from __future__ import annotations

import asyncio
import datetime as dt
from dataclasses import dataclass, field

from cryptography.x509 import verification

from xposture.errors import ScannerError
from xposture.model import FieldValue
from xposture.scanners.base import ScanContext
from xposture.scanners.comms import tls_suites, tls_wire
from xposture.scanners.comms.certs import certificate_facts, parse_der_chain
from xposture.scanners.comms.endpoints import Endpoint, close_quietly, open_connection, read_exactly
from xposture.scanners.comms.tls_wire import SSL3, TLS10, TLS11, TLS12, TLS13, VERSION_NAMES

LEGACY_VERSIONS = (SSL3, TLS10, TLS11, TLS12)
EXT_EXTENDED_MASTER_SECRET, EXT_RENEGOTIATION_INFO = 23, 0xFF01
_NO_CERT_KX = ("_anon", "PSK", "SRP", "NULL_WITH")


@dataclass(slots=True)
class TlsSettings:
    timeout_s: float
    store: verification.Store | None
    enumerate_suites: bool = True
    max_handshake_bytes: int = tls_wire.DEFAULT_MAX_HANDSHAKE_BYTES
    expiry_warning_days: int = 30
    server_name: str | None = None


@dataclass(slots=True)
class TlsPosture:
    """Everything found for one endpoint; turned into records by the scanner."""

    versions: list[int] = field(default_factory=list)
    legacy_suites: dict[int, list[int]] = field(default_factory=dict)
    tls13_suites: list[int] = field(default_factory=list)
    certificates: list[dict[str, FieldValue]] = field(default_factory=list)
    cert_error: str = ""
    handshakes: int = 0
    closed_without_alert: int = 0
    sslv2_ciphers: list[int] | None = None
    """SSL 2.0 cipher kinds the server offered (None: SSLv2 refused)."""
    sslv2_certificate: bytes = b""
    legacy_extensions: list[int] | None = None
    """Extensions of the ServerHello at the highest TLS 1.2-or-older version (renegotiation_info, EMS)."""
    compat_hello: bool = False
    """Only a short ClientHello was answered (hello-size intolerance); suites were enumerated from a short list."""

    @property
    def accepted_any(self) -> bool:
        """Some protocol version, SSL 2.0 included, was accepted."""
        return bool(self.versions) or self.sslv2_ciphers is not None

    def endpoint_fields(self) -> dict[str, FieldValue]:
        names = (["SSLv2"] if self.sslv2_ciphers is not None else []) + [
            VERSION_NAMES[v] for v in sorted(self.versions)
        ]
        legacy = sorted({code for codes in self.legacy_suites.values() for code in codes})
        classes = tls_suites.endpoint_classes(legacy, self.tls13_suites)
        weak = sorted({tls_suites.suite(c).name for c in legacy if tls_suites.suite(c).classes})
        leaf = self.certificates[0] if self.certificates else {}
        ext = self.legacy_extensions
        fields: dict[str, FieldValue] = {
            "tls.versions": names,
            "tls.max_version": names[-1] if names else None,
            "tls.min_version": names[0] if names else None,
            "tls.obsolete_versions": [n for n in names if n in ("SSLv2", "SSLv3", "TLSv1.0", "TLSv1.1")],
            "tls.sslv2": self.sslv2_ciphers is not None,
            "tls.sslv2_ciphers": [tls_wire.SSL2_CIPHERS.get(c, f"0x{c:06x}") for c in self.sslv2_ciphers or []],
            "tls.sslv3": SSL3 in self.versions,
            "tls.tls1_0": TLS10 in self.versions,
            "tls.tls1_1": TLS11 in self.versions,
            "tls.tls1_2": TLS12 in self.versions,
            "tls.tls1_3": TLS13 in self.versions,
            "tls.cipher_suites": [tls_suites.suite(c).name for c in legacy],
            "tls.tls13_cipher_suites": [tls_suites.suite(c).name for c in self.tls13_suites],
            "tls.weak_classes": classes,
            "tls.weak_suites": weak,
            "tls.forward_secrecy_only": bool(legacy or self.tls13_suites)
            and all(tls_suites.suite(c).forward_secrecy for c in legacy),
            "tls.handshakes": self.handshakes,
            "tls.compat_hello_needed": self.compat_hello,
            # RFC 5746 / RFC 7627, judged where TLS 1.2 or older is spoken (TLS 1.3 has both built in)
            "tls.secure_renegotiation": None if ext is None else EXT_RENEGOTIATION_INFO in ext,
            "tls.extended_master_secret": None if ext is None else EXT_EXTENDED_MASTER_SECRET in ext,
            "tls.cert_sha256": leaf.get("cert.sha256"),
            "tls.cert_days_to_expiry": leaf.get("cert.days_to_expiry"),
            "tls.cert_trusted": leaf.get("cert.chain_trusted"),
            "tls.cert_hostname_match": leaf.get("cert.hostname_match"),
            "tls.cert_error": self.cert_error or None,
        }
        return fields


class TlsProber:
    """Runs the handshakes for one endpoint; ``audit`` records every ClientHello sent."""

    def __init__(self, endpoint: Endpoint, settings: TlsSettings, ctx: ScanContext, scanner: str) -> None:
        self.endpoint = endpoint
        self.settings = settings
        self.ctx = ctx
        self.scanner = scanner
        self.posture = TlsPosture()
        self.sni = settings.server_name or (endpoint.host if endpoint.is_name else None)

    async def handshake(
        self,
        hello: tls_wire.ClientHello,
        *,
        want_certificates: bool = False,
        key_shares: tls_wire.KeyShares | None = None,
        what: str,
    ) -> tls_wire.HelloOutcome:
        """Send one ClientHello and read the answer; a close or reset before any answer means refusal."""
        timeout = self.settings.timeout_s
        reader, writer = await open_connection(self.endpoint, timeout)
        self.posture.handshakes += 1
        self.ctx.audit(self.scanner, self.endpoint.label, "tls", f"ClientHello {what} ({len(hello.record)} bytes)")
        parser = tls_wire.HandshakeReader(
            hello,
            want_certificates=want_certificates,
            key_shares=key_shares,
            max_bytes=self.settings.max_handshake_bytes,
        )
        try:
            writer.write(hello.record)
            await writer.drain()
            while not parser.done:
                try:
                    header = await asyncio.wait_for(reader.readexactly(5), timeout)
                except (asyncio.IncompleteReadError, ConnectionError) as exc:
                    if parser.outcome.server_hello is None and not _partial(exc):
                        parser.outcome.closed = True
                        self.posture.closed_without_alert += 1
                        return parser.outcome
                    raise ScannerError(
                        f"connection ended inside the server's handshake ({type(exc).__name__})"
                    ) from exc
                except TimeoutError as exc:
                    raise ScannerError(f"no TLS answer within {timeout:g} s") from exc
                length = tls_wire.parse_record_header(header)
                payload = await read_exactly(reader, length, timeout, "TLS record")
                parser.record(header, payload)
        except ConnectionError as exc:
            raise ScannerError(f"connection reset: {exc}") from exc
        finally:
            await close_quietly(writer)
        return parser.outcome

    async def _versions(self, offer: tuple[int, ...], what: str) -> None:
        for version in LEGACY_VERSIONS:
            out = await self.handshake(
                tls_wire.client_hello(version, offer, self.sni), what=f"{VERSION_NAMES[version]} {what}"
            )
            if out.version == version and out.suite is not None and out.server_hello is not None:
                self.posture.versions.append(version)
                self.posture.legacy_suites[version] = [out.suite]
                if version != SSL3:  # SSLv3 hellos carry no extensions, so its answer proves nothing
                    self.posture.legacy_extensions = out.server_hello.extensions

    async def _sslv2(self) -> None:
        """One SSL 2.0 CLIENT-HELLO; any answer but a SERVER-HELLO (TLS alert, close, reset) means refused."""
        timeout = self.settings.timeout_s
        reader, writer = await open_connection(self.endpoint, timeout)
        self.posture.handshakes += 1
        hello = tls_wire.sslv2_client_hello()
        self.ctx.audit(self.scanner, self.endpoint.label, "tls", f"SSLv2 CLIENT-HELLO ({len(hello)} bytes)")
        try:
            writer.write(hello)
            await writer.drain()
            header = await asyncio.wait_for(reader.readexactly(2), timeout)
            length = tls_wire.sslv2_record_length(header)
            if length is None or length > self.settings.max_handshake_bytes:
                return
            body = await read_exactly(reader, length, timeout, "SSLv2 SERVER-HELLO")
            if body[:1] == bytes([tls_wire.SSL2_SERVER_HELLO]):
                hello_v2 = tls_wire.parse_sslv2_server_hello(body)
                self.posture.sslv2_ciphers = hello_v2.ciphers
                self.posture.sslv2_certificate = hello_v2.certificate
        except TimeoutError as exc:  # every TLS stack answers this hello somehow (alert, close): a stall
            raise ScannerError(f"no TLS answer within {timeout:g} s") from exc
        except (asyncio.IncompleteReadError, ConnectionError, ScannerError):
            return  # refused, or not SSLv2: the TLS probes that follow judge the endpoint
        finally:
            await close_quietly(writer)

    async def run(self) -> TlsPosture:
        legacy = tls_suites.legacy_suites()
        posture = self.posture
        await self._sslv2()
        await self._versions(legacy, "all suites")
        out = await self.handshake(
            tls_wire.client_hello(TLS13, tls_suites.TLS13_SUITES, self.sni, tls_wire.KeyShares.probe_only()),
            what="TLSv1.3 all suites",
        )
        if out.version == TLS13 and out.suite is not None:
            posture.versions.append(TLS13)
            posture.tls13_suites = [out.suite]
        if not posture.versions and posture.closed_without_alert and posture.sslv2_ciphers is None:
            # some embedded stacks drop long hellos without an alert: ask again, briefly
            legacy = tls_suites.COMPAT_SUITES
            await self._versions(legacy, "short compatibility hello")
            posture.compat_hello = bool(posture.versions)
        if not posture.accepted_any:
            how = "closed the connection" if posture.closed_without_alert else "refused every ClientHello"
            raise ScannerError(f"no TLS version accepted: server {how}")
        if self.settings.enumerate_suites:
            for version in list(posture.legacy_suites):
                await self._enumerate(version, posture.legacy_suites[version], legacy)
            if posture.tls13_suites:
                await self._enumerate(TLS13, posture.tls13_suites, tls_suites.TLS13_SUITES)
        await self._certificates(legacy)
        return posture

    async def _enumerate(self, version: int, accepted: list[int], offer: tuple[int, ...]) -> None:
        remaining = [code for code in offer if code not in accepted]
        while remaining and not self.ctx.cancelled():
            shares = tls_wire.KeyShares.probe_only() if version == TLS13 else None
            hello = tls_wire.client_hello(version, remaining, self.sni, shares)
            out = await self.handshake(hello, what=f"{VERSION_NAMES[version]} {len(remaining)} remaining suites")
            if out.version != version or out.suite not in remaining:
                return
            accepted.append(out.suite)
            remaining.remove(out.suite)

    async def _certificates(self, legacy: tuple[int, ...]) -> None:
        posture = self.posture
        legacy_versions = [v for v in posture.versions if v != TLS13]
        out: tls_wire.HelloOutcome | None = None
        if legacy_versions:
            version = max(legacy_versions)
            offer = [c for c in legacy if not any(k in tls_suites.suite(c).name for k in _NO_CERT_KX)]
            hello = tls_wire.client_hello(version, offer, self.sni)
            out = await self.handshake(hello, want_certificates=True, what=f"{VERSION_NAMES[version]} certificate")
        if (out is None or not out.certificates) and TLS13 in posture.versions:
            shares = tls_wire.KeyShares.real()
            suites = [c for c in tls_suites.TLS13_SUITES if c in (0x1301, 0x1302, 0x1303)]
            hello = tls_wire.client_hello(TLS13, suites, self.sni, shares)
            out = await self.handshake(
                hello, want_certificates=True, key_shares=shares, what="TLSv1.3 certificate (decrypted)"
            )
            if out.server_hello is not None and out.server_hello.retry_request:
                posture.cert_error = "server asked for another key share group (HelloRetryRequest); chain not read"
                return
        certificates = out.certificates if out is not None else []
        if not certificates and posture.sslv2_certificate:
            certificates = [posture.sslv2_certificate]  # an SSLv2-only server: its one certificate
        if not certificates:
            posture.cert_error = posture.cert_error or "server sent no certificate"
            return
        chain, error = parse_der_chain(certificates)
        posture.cert_error = error
        hostname = self.sni or self.endpoint.address
        posture.certificates = certificate_facts(
            chain,
            hostname=hostname,
            store=self.settings.store,
            now=dt.datetime.now(dt.UTC),
            expiry_warning_days=self.settings.expiry_warning_days,
        )


def _partial(exc: BaseException) -> bool:
    return isinstance(exc, asyncio.IncompleteReadError) and bool(exc.partial)
