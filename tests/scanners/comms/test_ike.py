"""The ``ike`` probe against strongSwan charon (weak IKEv1 Aggressive Mode config, strong IKEv2 config)."""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.peers.strongswan import STRONG, WEAK, available, charon
from tests.scanners.comms.helpers import loopback_ctx, run
from xposture.errors import ScannerError
from xposture.scanners.comms import ike_wire
from xposture.scanners.comms.ike import IkeScanner

needs_charon = pytest.mark.skipif(
    not available(), reason="strongSwan charon/swanctl not installed (apt strongswan-charon strongswan-swanctl)"
)


def probe(port: int) -> tuple[list[dict], list]:
    # charon treats any port but 500 as the NAT-T port, where IKE carries the non-ESP marker
    records, ctx = run(IkeScanner(), {"endpoints": [f"127.0.0.1:{port}"], "timeout_s": 1, "nat_t_ports": [port]})
    return records, ctx.coverage


@pytest.mark.peer
@needs_charon
def test_weak_ikev1_aggressive_responder(tmp_path: Path) -> None:
    with charon(tmp_path, WEAK) as port:
        (rec,), coverage = probe(port)
    assert rec["vpn.ikev1"] is True and rec["vpn.ikev2"] is False
    assert rec["vpn.ikev1_aggressive_psk"] is True
    assert rec["vpn.weak_dh_groups"] == [2, 5]
    assert rec["vpn.weak_encryption"] == ["3des"]
    assert set(rec["vpn.weak_integrity"]) == {"md5", "sha1"}
    assert coverage[0].status == "ok"


@pytest.mark.peer
@needs_charon
def test_strong_ikev2_responder(tmp_path: Path) -> None:
    with charon(tmp_path, STRONG) as port:
        (rec,), _ = probe(port)
    assert rec["vpn.ikev2"] is True and rec["vpn.ikev1"] is False and rec["vpn.ikev1_aggressive_psk"] is False
    for key in ("vpn.weak_dh_groups", "vpn.weak_encryption", "vpn.weak_integrity"):
        assert key not in rec
    assert rec["vpn.chosen_proposals"] == ["v2:aes_cbc256/sha256/group15"]


def test_silent_port_is_a_recorded_failure() -> None:
    import socket

    from tests.peers._net import free_port

    port = free_port(socket.SOCK_DGRAM)
    records, ctx = run(IkeScanner(), {"endpoints": [f"127.0.0.1:{port}"], "timeout_s": 0.3, "retries": 0})
    assert records == []
    assert ctx.coverage[0].status == "failed" and ctx.coverage[0].detail


@given(st.binary(min_size=0, max_size=200))
@settings(max_examples=500, deadline=None)
def test_reply_parser_raises_only_scanner_errors(tail: bytes) -> None:
    spi = b"\x01" * 8
    for version in (0x10, 0x20):
        data = spi + tail[:20].ljust(20, b"\x00")
        data = data[:17] + bytes([version]) + data[18:24] + (28 + len(tail)).to_bytes(4, "big") + tail
        with contextlib.suppress(ScannerError):
            ike_wire.parse_reply(data, spi)


def test_passive_capture_of_weak_responder() -> None:
    data = Path(__file__).resolve().parents[2] / "data" / "comms"
    records, ctx = run(
        IkeScanner(), {"captures": [str(data / "ike_strongswan_weak.pcap")]}, loopback_ctx(allow_active=False)
    )
    (rec,) = records
    assert rec["vpn.evidence"] == "capture" and rec["source.file"].endswith("ike_strongswan_weak.pcap")
    assert rec["vpn.ikev1"] is True and rec["vpn.ikev1_aggressive_psk"] is True
    assert rec["vpn.weak_dh_groups"] == [2, 5] and rec["vpn.weak_encryption"] == ["3des"]
    assert set(rec["vpn.weak_integrity"]) == {"md5", "sha1"}
    assert ctx.audit_log == []


def test_passive_capture_of_strong_responder() -> None:
    data = Path(__file__).resolve().parents[2] / "data" / "comms"
    (rec,), _ = run(IkeScanner(), {"captures": [str(data / "ike_strongswan_strong.pcap")]})
    assert rec["vpn.ikev2"] is True and rec["vpn.ikev1"] is False
    assert rec["vpn.chosen_proposals"] == ["v2:aes_cbc256/sha256/group15"]
    assert "vpn.weak_dh_groups" not in rec


def test_live_endpoints_refused_in_passive_mode() -> None:
    records, ctx = run(IkeScanner(), {"endpoints": ["127.0.0.1:500"]}, loopback_ctx(allow_active=False))
    assert records == [] and ctx.coverage[0].status == "skipped" and ctx.audit_log == []


def test_unreadable_capture_is_reported_and_the_rest_goes_on(tmp_path: Path) -> None:
    data = Path(__file__).resolve().parents[2] / "data" / "comms"
    bad = tmp_path / "garbage.pcap"
    bad.write_bytes(b"\x00" * 100)
    records, ctx = run(IkeScanner(), {"captures": [str(bad), str(data / "ike_strongswan_strong.pcap")]})
    assert len(records) == 1
    assert [c.status for c in ctx.coverage] == ["failed", "ok"]
