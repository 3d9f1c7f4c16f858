"""TLS and SSH wire parsers on real captures (Zeek and Arkime test traces) and on fuzzed input."""

from __future__ import annotations

import asyncio
import contextlib

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.scanners.comms.captures import server_streams
from xposture.errors import ScannerError
from xposture.scanners.comms import ssh_wire, tls_suites, tls_wire
from xposture.scanners.comms.certs import certificate_facts, parse_der_chain


def read_flight(stream: bytes) -> tls_wire.HelloOutcome:
    """Feed a server's bytes through the same framing the live probe uses."""
    hello = tls_wire.client_hello(tls_wire.TLS12, tls_suites.legacy_suites())
    reader = tls_wire.HandshakeReader(hello, want_certificates=True)
    pos = 0
    while not reader.done and pos + 5 <= len(stream):
        header = stream[pos : pos + 5]
        length = tls_wire.parse_record_header(header)
        reader.record(header, stream[pos + 5 : pos + 5 + length])
        pos += 5 + length
    return reader.outcome


def test_tls12_capture() -> None:
    (stream,) = server_streams("tls1.2.pcap", 443)
    outcome = read_flight(stream)
    assert outcome.version == tls_wire.TLS12
    assert tls_suites.suite(outcome.suite or 0).name.startswith("TLS_")
    chain, error = parse_der_chain(outcome.certificates)
    assert error == "" and len(chain) >= 2


def test_tls11_capture() -> None:
    outcome = read_flight(server_streams("tls1_1.pcap", 443)[0])
    assert outcome.version == tls_wire.TLS11 and outcome.certificates


def test_expired_certificate_capture() -> None:
    facts = []
    for stream in server_streams("tls-expired-cert.pcap", 443):
        outcome = read_flight(stream)
        if outcome.certificates:
            chain, _ = parse_der_chain(outcome.certificates)
            facts = certificate_facts(chain, hostname=None, store=None)
            break
    assert facts and facts[0]["cert.expired"] is True and facts[0]["cert.days_to_expiry"] < 0  # type: ignore[operator]


def test_self_signed_capture() -> None:
    outcome = read_flight(server_streams("tls_selfsigned.pcap", 4443)[0])
    chain, _ = parse_der_chain(outcome.certificates)
    assert certificate_facts(chain, hostname=None, store=None)[0]["cert.self_signed"] is True


def test_tls13_capture_negotiates_through_supported_versions() -> None:
    hello = tls_wire.client_hello(tls_wire.TLS13, tls_suites.TLS13_SUITES, key_shares=tls_wire.KeyShares.probe_only())
    reader = tls_wire.HandshakeReader(hello, want_certificates=False)
    stream = server_streams("tls13_wolfssl.pcap", 9090)[0]
    reader.record(stream[:5], stream[5 : 5 + tls_wire.parse_record_header(stream[:5])])
    assert reader.outcome.version == tls_wire.TLS13 and reader.outcome.suite in tls_suites.TLS13_SUITES


def ssh_exchange(stream: bytes) -> tuple[ssh_wire.Banner, ssh_wire.KexInit | None]:
    async def run() -> tuple[ssh_wire.Banner, ssh_wire.KexInit | None]:
        reader = asyncio.StreamReader()
        reader.feed_data(stream)
        reader.feed_eof()

        class _Sink:
            def write(self, data: bytes) -> None:
                pass

        conn = ssh_wire.SshConnection(reader, _Sink(), 1)  # type: ignore[arg-type]
        banner = await conn.banner()
        if banner.protocol.startswith("1.") and banner.protocol != "1.99":
            return banner, None
        return banner, ssh_wire.parse_kexinit(await conn.packet())

    return asyncio.run(run())


def test_ssh_capture_kexinit() -> None:
    banner, kex = ssh_exchange(server_streams("ssh_single-conn.pcap", 22)[0])
    assert banner.protocol in ("2.0", "1.99") and banner.software
    assert kex is not None and kex.kex and kex.host_key and kex.ciphers_c2s and kex.macs_c2s


def test_ssh1_capture_banner() -> None:
    banners = [ssh_exchange(s)[0] for port in (22, 2222) for s in server_streams("ssh1-ssh2-fingerprints.pcap", port)]
    assert any(b.protocol.startswith("1.") for b in banners)


@given(st.binary(max_size=400))
@settings(max_examples=500, deadline=None)
def test_tls_parsers_raise_only_scanner_errors(data: bytes) -> None:
    with contextlib.suppress(ScannerError):
        read_flight(data)
    with contextlib.suppress(ScannerError):
        tls_wire.parse_server_hello(data)
    for tls13 in (False, True):
        with contextlib.suppress(ScannerError):
            tls_wire.parse_certificate_list(data, tls13)


@given(st.binary(max_size=300))
@settings(max_examples=300, deadline=None)
def test_mutated_real_tls_flight_raises_only_scanner_errors(noise: bytes) -> None:
    stream = server_streams("tls1.2.pcap", 443)[0]
    mutated = bytes(a ^ b for a, b in zip(stream, noise, strict=False)) + stream[len(noise) :]
    with contextlib.suppress(ScannerError):
        outcome = read_flight(mutated)
        chain, _ = parse_der_chain(outcome.certificates)
        certificate_facts(chain, hostname="example.org", store=None)


@given(st.binary(max_size=300))
@settings(max_examples=500, deadline=None)
def test_ssh_parsers_raise_only_scanner_errors(data: bytes) -> None:
    with contextlib.suppress(ScannerError):
        ssh_wire.parse_kexinit(data)
    with contextlib.suppress(ScannerError):
        ssh_wire.parse_host_key(data)
    with contextlib.suppress(ScannerError):
        ssh_exchange(b"SSH-2.0-x\r\n" + data)
