"""The ``tls`` scanner against real ``openssl s_server`` peers and misbehaving servers on loopback."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import hashes

from tests.peers.bad_tls import bad_tls_servers
from tests.peers.certs import CertFiles, make_cert
from tests.peers.openssl_server import openssl_server
from tests.scanners.comms.helpers import by_type, loopback_ctx, run
from xposture.scanners.comms.tls import TlsScanner

pytestmark = pytest.mark.peer

WEAK_SUITES = ["-cipher", "ALL:eNULL:@SECLEVEL=0"]


def scan(port: int, cert: CertFiles | None = None, **options: object) -> tuple[dict, list[dict], list]:
    opts: dict = {"endpoints": [f"127.0.0.1:{port}"], "timeout_s": 3, **options}
    if cert is not None and cert.ca is not None:
        opts["trust_store"] = [str(cert.ca)]
    records, ctx = run(TlsScanner(), opts)
    endpoints = by_type(records, "tls_endpoint")
    assert len(endpoints) == 1, ctx.coverage
    return endpoints[0], by_type(records, "tls_certificate"), ctx.coverage


@pytest.fixture(scope="module")
def certdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("certs")


def test_tls10_only_server_is_seen_as_tls10_only(certdir: Path) -> None:
    cert = make_cert(certdir, "tls10")
    with openssl_server(cert, ["-tls1", *WEAK_SUITES]) as port:
        endpoint, certs, coverage = scan(port, cert)
    assert endpoint["tls.versions"] == ["TLSv1.0"]
    assert endpoint["tls.tls1_0"] is True and endpoint["tls.tls1_2"] is False
    assert endpoint["tls.obsolete_versions"] == ["TLSv1.0"]
    assert "cbc_only" in endpoint["tls.weak_classes"]
    assert coverage[0].status == "ok"
    assert certs[0]["cert.chain_trusted"] is True


def test_weak_suites_are_grouped_into_classes(certdir: Path) -> None:
    cert = make_cert(certdir, "weaksuites")
    with openssl_server(cert, WEAK_SUITES) as port:
        endpoint, _, _ = scan(port, cert)
    classes = endpoint["tls.weak_classes"]
    assert {"null", "anonymous", "no_forward_secrecy"} <= set(classes)
    assert "TLS_RSA_WITH_NULL_SHA256" in endpoint["tls.cipher_suites"]
    assert any("_anon_" in s for s in endpoint["tls.weak_suites"])
    assert endpoint["tls.forward_secrecy_only"] is False
    assert endpoint["tls.secure_renegotiation"] is True and endpoint["tls.extended_master_secret"] is True


def test_expired_certificate(certdir: Path) -> None:
    cert = make_cert(certdir, "expired", expired=True)
    with openssl_server(cert) as port:
        _, certs, _ = scan(port, cert)
    leaf = certs[0]
    assert leaf["cert.expired"] is True and leaf["cert.days_to_expiry"] < 0
    assert leaf["cert.chain_trusted"] is False


def test_self_signed_rsa1024_sha1_certificate(certdir: Path) -> None:
    cert = make_cert(certdir, "legacy", key_bits=1024, hash_alg=hashes.SHA1(), self_signed=True)
    with openssl_server(cert, WEAK_SUITES) as port:
        endpoint, certs, _ = scan(port)
    leaf = certs[0]
    assert leaf["cert.self_signed"] is True
    assert (leaf["cert.key_type"], leaf["cert.key_size"], leaf["cert.weak_key"]) == ("rsa", 1024, True)
    assert (leaf["cert.signature_hash"], leaf["cert.weak_signature"]) == ("sha1", True)
    assert endpoint["tls.cert_trusted"] is False


def test_hostname_mismatch_is_reported(certdir: Path) -> None:
    cert = make_cert(certdir, "othername", hostnames=("historian.example",))
    with openssl_server(cert) as port:
        endpoint, certs, _ = scan(port, cert, server_name="scada.example")
    assert certs[0]["cert.hostname"] == "scada.example"
    assert endpoint["tls.server_name"] == "scada.example"
    assert certs[0]["cert.hostname_match"] is False


def test_good_tls13_server(certdir: Path) -> None:
    cert = make_cert(certdir, "good", ec_key=True)
    with openssl_server(cert, ["-tls1_3"]) as port:
        endpoint, certs, coverage = scan(port, cert)
    assert endpoint["tls.versions"] == ["TLSv1.3"]
    assert "tls.weak_classes" not in endpoint and "tls.secure_renegotiation" not in endpoint
    assert endpoint["tls.forward_secrecy_only"] is True
    assert set(endpoint["tls.tls13_cipher_suites"]) >= {"TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384"}
    # the chain of a TLS 1.3-only server is encrypted: read by decrypting the handshake
    leaf = certs[0]
    assert leaf["cert.key_type"] == "ec" and leaf["cert.chain_trusted"] is True and leaf["cert.hostname_match"]
    assert not any(leaf[k] for k in ("cert.expired", "cert.self_signed", "cert.weak_key", "cert.weak_signature"))
    assert coverage[0].status == "ok"


def test_every_handshake_is_audited(certdir: Path) -> None:
    cert = make_cert(certdir, "audited")
    with openssl_server(cert) as port:
        records, ctx = run(TlsScanner(), {"endpoints": [f"127.0.0.1:{port}"]})
    endpoint = by_type(records, "tls_endpoint")[0]
    assert len(ctx.audit_log) == endpoint["tls.handshakes"]
    assert all(a["scanner"] == "tls" and a["protocol"] == "tls" for a in ctx.audit_log)


@pytest.fixture(scope="module")
def bad_ports() -> Iterator[dict[str, int]]:
    with bad_tls_servers() as ports:
        yield ports


def test_misbehaving_servers_are_recorded_errors_and_the_scan_goes_on(bad_ports: dict[str, int], certdir: Path) -> None:
    cert = make_cert(certdir, "alongside")
    with openssl_server(cert) as good_port:
        endpoints = [f"127.0.0.1:{p}" for p in bad_ports.values()] + [f"127.0.0.1:{good_port}"]
        records, ctx = run(TlsScanner(), {"endpoints": endpoints, "timeout_s": 1, "endpoint_timeout_s": 5})
    status = {c.target: (c.status, c.detail) for c in ctx.coverage}
    port_of = {f"127.0.0.1:{p}": b for b, p in bad_ports.items()}
    for target, (state, detail) in status.items():
        behaviour = port_of.get(target)
        if behaviour is None:
            assert state == "ok"
        else:
            # the enormous-chain server does answer hellos: its versions are kept, the chain is the error
            expected = ("partial",) if behaviour == "enormous_chain" else ("failed", "timeout")
            assert state in expected, (behaviour, state, detail)
            assert detail
    details = {port_of[t]: d for t, (s, d) in status.items() if t in port_of}
    assert "closed" in details["reset"] or "reset" in details["reset"]
    assert "within 1 s" in details["stall"]
    assert "does not speak TLS" in details["garbage"]
    assert "exceeds" in details["enormous_chain"]
    assert len(by_type(records, "tls_endpoint")) == 2


def test_targets_outside_scope_are_skipped_without_sending() -> None:
    ctx = loopback_ctx()
    records, ctx = run(TlsScanner(), {"endpoints": ["192.0.2.10:443", "127.0.0.1:notaport"]}, ctx)
    assert records == []
    assert {c.status for c in ctx.coverage} == {"skipped", "failed"}
    assert ctx.audit_log == []


def test_offline_certificate_files(certdir: Path) -> None:
    cert = make_cert(certdir, "offline", expired=True, self_signed=True)
    records, _ctx = run(
        TlsScanner(), {"certificates": [{"path": str(cert.cert), "endpoint": "10.10.1.20:443"}, str(cert.cert)]}
    )
    assert [r["asset.id"] for r in records] == ["ip:lab/10.10.1.20", "file:offline.pem"]
    assert all(r["cert.expired"] and r["cert.self_signed"] for r in records)
    assert records[0]["cert.hostname_match"] is False  # SAN says 127.0.0.1/localhost


def test_passive_scan_reads_certificate_files_and_sends_nothing(certdir: Path) -> None:
    cert = make_cert(certdir, "passive", self_signed=True)
    options = {"certificates": [str(cert.cert)], "endpoints": ["127.0.0.1:443"]}
    records, ctx = run(TlsScanner(), options, loopback_ctx(allow_active=False))
    assert [r["record.type"] for r in records] == ["tls_certificate"]
    assert {c.target: c.status for c in ctx.coverage}["127.0.0.1:443"] == "skipped"
    assert ctx.audit_log == []


@pytest.mark.parametrize("limit", [1, 3])
def test_per_host_limit_bounds_connections_to_one_host(tmp_path: Path, limit: int) -> None:
    from tests.peers.tls_farm import tls_farm

    with tls_farm(tmp_path, 60) as farm:
        options = {"endpoints": [f"127.0.0.1:{p}" for p in farm.ports], "per_host_limit": limit, "timeout_s": 5}
        records, ctx = run(TlsScanner(), options)
        assert farm.accepted == len(ctx.audit_log)
    assert len(by_type(records, "tls_endpoint")) == 60
    assert {c.status for c in ctx.coverage} == {"ok"}
    assert 1 <= farm.open_max <= limit


def test_hello_intolerant_stack_is_asked_again_briefly(tmp_path: Path) -> None:
    from tests.peers.tls_farm import tls_farm

    with tls_farm(tmp_path, 1, max_hello=300) as farm:
        records, ctx = run(TlsScanner(), {"endpoints": [f"127.0.0.1:{farm.ports[0]}"]})
    endpoint = by_type(records, "tls_endpoint")[0]
    assert endpoint["tls.compat_hello_needed"] is True
    assert endpoint["tls.secure_renegotiation"] is False and endpoint["tls.extended_master_secret"] is False
    assert endpoint["tls.versions"] == ["TLSv1.2"]
    assert "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256" in endpoint["tls.cipher_suites"]
    assert by_type(records, "tls_certificate")
    assert all(len(a["sent"]) for a in ctx.audit_log)


def test_slow_endpoint_is_cut_off_at_its_budget_and_keeps_what_it_found(tmp_path: Path) -> None:
    from tests.peers.tls_farm import tls_farm

    with tls_farm(tmp_path, 1, delay_s=0.4) as farm:
        options = {"endpoints": [f"127.0.0.1:{farm.ports[0]}"], "timeout_s": 2, "endpoint_timeout_s": 2.5}
        records, ctx = run(TlsScanner(), options)
    (entry,) = ctx.coverage
    assert entry.status == "timeout" and "2.5 s" in entry.detail
    endpoint = by_type(records, "tls_endpoint")[0]  # versions found before the budget ran out are kept
    assert endpoint["tls.versions"] == ["TLSv1.2"]


def test_host_name_endpoint_resolves_to_loopback_and_sends_sni(certdir: Path) -> None:
    cert = make_cert(certdir, "named", hostnames=("localhost",))
    with openssl_server(cert) as port:
        records, _ = run(TlsScanner(), {"endpoints": [f"localhost:{port}"], "trust_store": [str(cert.ca)]})
    endpoint = by_type(records, "tls_endpoint")[0]
    assert endpoint["asset.name"] == "localhost" and endpoint["asset.ip"] in ("127.0.0.1", "::1")
    assert endpoint["tls.server_name"] == "localhost"
    leaf = by_type(records, "tls_certificate")[0]
    assert leaf["cert.hostname"] == "localhost" and leaf["cert.hostname_match"] is True


def test_unreadable_certificate_file_is_reported_and_the_rest_goes_on(certdir: Path, tmp_path: Path) -> None:
    good = make_cert(certdir, "goodfile")
    bad = tmp_path / "not-a-cert.pem"
    bad.write_text("-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n")
    records, ctx = run(TlsScanner(), {"certificates": [str(bad), str(tmp_path / "missing.pem"), str(good.cert)]})
    assert len(records) == 1
    assert [c.status for c in ctx.coverage] == ["failed", "failed", "ok"]


def _sslv2_server_hello() -> bytes:
    from tests.scanners.comms.captures import server_streams

    stream = server_streams("sslv2.pcap", 443)[0]
    length = ((stream[0] & 0x7F) << 8) | stream[1]
    return stream[: 2 + length]  # the recorded SERVER-HELLO record


def test_sslv2_only_server_from_a_real_capture() -> None:
    from tests.peers.replay import replay_server

    hello = _sslv2_server_hello()
    with replay_server(lambda request: hello if request[0] & 0x80 else None) as port:
        records, ctx = run(TlsScanner(), {"endpoints": [f"127.0.0.1:{port}"], "timeout_s": 2})
    endpoint = by_type(records, "tls_endpoint")[0]
    assert endpoint["tls.sslv2"] is True and endpoint["tls.versions"] == ["SSLv2"]
    assert endpoint["tls.obsolete_versions"] == ["SSLv2"]
    assert "SSL_CK_RC4_128_WITH_MD5" in endpoint["tls.sslv2_ciphers"]
    (leaf,) = by_type(records, "tls_certificate")  # the certificate came inside the SERVER-HELLO
    assert leaf["cert.expired"] is True
    assert ctx.coverage[0].status == "ok"
    assert ctx.audit_log[0]["sent"].startswith("SSLv2 CLIENT-HELLO")
    from xposture.rules import PACKS_DIR, RuleSet

    names = {m.rule.name for m in RuleSet.load([PACKS_DIR / "comms"]).evaluate(records)}
    assert {"comms.tls_sslv2_enabled", "comms.cert_expired"} <= names


def test_sslv2_parser_on_fuzzed_input() -> None:
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from xposture.errors import ScannerError
    from xposture.scanners.comms import tls_wire

    real = _sslv2_server_hello()[2:]

    @given(st.binary(max_size=200))
    @settings(max_examples=300, deadline=None)
    def check(noise: bytes) -> None:
        mutated = bytes(a ^ b for a, b in zip(real, noise, strict=False)) + real[len(noise) :]
        try:
            tls_wire.parse_sslv2_server_hello(mutated)
            tls_wire.parse_sslv2_server_hello(noise)
        except ScannerError:
            pass

    check()
