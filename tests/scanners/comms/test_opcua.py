"""The ``opcua`` probe against a real asyncua server (test side only), a real capture, and fuzzed input."""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scapy.layers.inet6 import IPv6
from scapy.packet import Raw
from scapy.utils import rdpcap

from tests.peers.opcua import opcua_server
from tests.scanners.comms.helpers import run
from xposture.errors import ScannerError
from xposture.scanners.comms import opcua_wire
from xposture.scanners.comms.opcua import OpcUaScanner

DATA = Path(__file__).resolve().parents[2] / "data" / "comms"


@pytest.mark.peer
@pytest.mark.slow
def test_security_policy_none_server(tmp_path: Path) -> None:
    with opcua_server(tmp_path, "insecure") as port:
        records, ctx = run(OpcUaScanner(), {"endpoints": [f"127.0.0.1:{port}"]})
    (rec,) = records
    assert rec["opcua.security_mode"] == "None" and rec["opcua.insecure_mode"] is True
    assert rec["opcua.anonymous_allowed"] is True
    assert rec["opcua.cleartext_password"] is True
    assert rec["opcua.endpoint_url"].endswith("/xposture/")
    assert [a["sent"].split()[0] for a in ctx.audit_log] == ["HEL", "OPN", "MSG", "CLO"]


@pytest.mark.peer
@pytest.mark.slow
def test_sign_and_encrypt_server(tmp_path: Path) -> None:
    with opcua_server(tmp_path, "secure") as port:
        records, ctx = run(OpcUaScanner(), {"endpoints": [f"127.0.0.1:{port}"]})
    (rec,) = records
    assert (rec["opcua.security_mode"], rec["opcua.security_policy"]) == ("SignAndEncrypt", "Basic256Sha256")
    assert not rec["opcua.insecure_mode"] and not rec["opcua.anonymous_allowed"] and not rec["opcua.deprecated_policy"]
    assert rec["opcua.cert_key_size"] == 2048 and rec["opcua.cert_weak_key"] is False
    assert ctx.coverage[0].status == "ok"


def _server_payloads() -> list[bytes]:
    payloads = []
    for packet in rdpcap(str(DATA / "open62541_client-server-getEndpoints.pcap")):
        ip = IPv6(bytes(packet)[4:])  # BSD loopback link type: 4-byte family header
        if Raw in ip and ip.sport == 4840:
            payloads.append(bytes(ip[Raw].load))
    return payloads


def test_real_open62541_answers_parse() -> None:
    ack, opn, msg = _server_payloads()
    assert opcua_wire.parse_chunk_header(ack[:8])[0] == b"ACK"
    channel, token = opcua_wire.parse_open_response(opn[8:])
    assert channel > 0 and token > 0
    # open62541 answered this capture's GetEndpoints with a null array
    assert opcua_wire.parse_get_endpoints_response(msg[24:]) == []


@given(st.binary(max_size=300))
@settings(max_examples=500, deadline=None)
def test_parsers_raise_only_scanner_errors(data: bytes) -> None:
    for parse in (opcua_wire.parse_get_endpoints_response, opcua_wire.parse_open_response, opcua_wire.parse_error):
        with contextlib.suppress(ScannerError):
            parse(data)
    with contextlib.suppress(ScannerError):
        opcua_wire.parse_chunk_header(data[:8].ljust(8, b"\x00"))


@given(st.binary(max_size=200))
@settings(max_examples=300, deadline=None)
def test_mutated_real_response_raises_only_scanner_errors(noise: bytes) -> None:
    msg = _server_payloads()[2][24:]
    mutated = bytes(a ^ b for a, b in zip(msg, noise.ljust(len(msg), b"\x00"), strict=False)) + msg[len(noise) :]
    with contextlib.suppress(ScannerError):
        opcua_wire.parse_get_endpoints_response(mutated)


@pytest.mark.peer
def test_misbehaving_peers_fail_cleanly() -> None:
    from tests.peers.bad_tls import bad_tls_servers

    with bad_tls_servers() as ports:
        targets = [f"127.0.0.1:{p}" for p in ports.values()]
        records, ctx = run(OpcUaScanner(), {"endpoints": targets, "timeout_s": 1})
    assert records == []
    assert {c.status for c in ctx.coverage} == {"failed"}
    details = " ".join(c.detail for c in ctx.coverage)
    assert "does not speak OPC UA" in details and "within 1 s" in details
