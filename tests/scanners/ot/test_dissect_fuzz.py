"""Every payload parser, fed arbitrary bytes, raises nothing but ParseError (hypothesis)."""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from xposture.scanners.ot import analyzers
from xposture.scanners.ot.dissect import (
    bacnet,
    cleartext,
    dnp3,
    enip,
    iec104,
    l2,
    modbus,
    mqtt,
    opcua,
    remote,
    s7,
    snmp,
)
from xposture.scanners.ot.dissect.base import ParseError
from xposture.scanners.ot.flows import Capture, Conversation, Side

PARSERS: dict[str, Callable[[bytes], Any]] = {
    "modbus.split_adus": modbus.split_adus,
    "modbus.device_identification": modbus.device_identification,
    "modbus.classify": lambda b: modbus.classify(b[0] if b else 0, b[1:], True),
    "modbus.target": lambda b: modbus.target(b[0] if b else 0, b[1:]),
    "enip.header": enip.header,
    "enip.list_identity": enip.list_identity,
    "enip.identity_object": enip.identity_object,
    "enip.cpf_messages": lambda b: enip.cpf_messages(b, 0x6F),
    "enip.requests": enip.requests,
    "s7.split_tpkt": s7.split_tpkt,
    "s7.s7_pdu": s7.s7_pdu,
    "s7.classify": lambda b: s7.classify(s7.s7_pdu(b)),
    "s7.szl_identity": lambda b: s7.szl_identity(s7.S7Pdu(7, b[:12], b[12:])),
    "s7.szl_request": lambda b: s7.szl_request(s7.S7Pdu(7, b[:12], b[12:])),
    "s7.pi_service": s7.pi_service,
    "s7.s7plus_function": s7.s7plus_function,
    "s7.mms_pdu": s7.mms_pdu,
    "dnp3.frames": dnp3.frames,
    "dnp3.first_function": dnp3.first_function,
    "iec104.apdus": iec104.apdus,
    "bacnet.apdu": bacnet.apdu,
    "bacnet.i_am": lambda b: bacnet.i_am(bacnet.Apdu(1, 0, b)),
    "bacnet.read_property_ack": lambda b: bacnet.read_property_ack(bacnet.Apdu(3, 12, b)),
    "opcua.split": opcua.split,
    "opcua.open_policy": opcua.open_policy,
    "opcua.endpoints": lambda b: opcua.endpoints(opcua._Reader(b, 0)),
    "opcua.service": opcua.service,
    "opcua.activate_session": lambda b: opcua.activate_session(opcua._Reader(b, 0)),
    "opcua.service_result": lambda b: opcua.service_result(opcua._Reader(b, 0)),
    "mqtt.split": mqtt.split,
    "mqtt.connect": mqtt.connect,
    "mqtt.connack_code": mqtt.connack_code,
    "mqtt.subscribe_topics": mqtt.subscribe_topics,
    "cleartext.ftp_command": cleartext.ftp_command,
    "cleartext.reply_code": cleartext.reply_code,
    "cleartext.strip_telnet": cleartext.strip_telnet,
    "cleartext.http_headers": cleartext.http_headers,
    "cleartext.basic_auth": lambda b: cleartext.basic_auth(b.decode("latin-1")),
    "remote.tls_hello": remote.tls_hello,
    "remote.ssh_banner": remote.ssh_banner,
    "remote.rfb_version": remote.rfb_version,
    "remote.rdp_cookie": remote.rdp_cookie,
    "snmp.community": snmp.community,
    "snmp.message": snmp.message,
    "l2.lldp": l2.lldp,
    "l2.cdp": l2.cdp,
    "l2.dcp": l2.dcp,
    "l2.goose": l2.goose,
}

SEEDS = [
    bytes.fromhex("000100000006010300000002"),
    bytes.fromhex("0300001f02f080320700000100000800080001120411440100ff09000400110000"),
    bytes.fromhex("0564ffc4010003000d01"),
    bytes.fromhex("810a000801040005"),
    b"HELF\x20\x00\x00\x00" + b"\x00" * 24,
    b"\x10\x0c\x00\x04MQTT\x04\x02\x00\x3c\x00\x00",
    b"\x16\x03\x01\x00\x05\x01\x00\x00\x01\x03",
    b"SSH-2.0-x\r\n",
    b"\x30\x26\x02\x01\x01\x04\x06public\xa0\x19",
]


def payloads() -> st.SearchStrategy[bytes]:
    mutated = st.sampled_from(SEEDS).flatmap(
        lambda seed: st.lists(st.integers(0, 255), min_size=0, max_size=8).map(
            lambda tail: bytes(seed[: len(seed) - len(tail)]) + bytes(tail)
        )
    )
    return st.one_of(st.binary(max_size=300), mutated)


@pytest.mark.parametrize("name", sorted(PARSERS))
@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=payloads())
def test_parsers_raise_only_parse_error(name: str, data: bytes) -> None:
    with contextlib.suppress(ParseError):
        PARSERS[name](data)


@pytest.mark.parametrize("protocol", sorted(analyzers.REGISTRY))
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(chunks=st.lists(payloads(), min_size=1, max_size=4), client=st.booleans())
def test_analyzers_never_raise(protocol: str, chunks: list[bytes], client: bool) -> None:
    """Whole analyzers (reassembly, state machines, sniffing) swallow garbage: it only counts as malformed."""
    cap = analyzers.install(Capture(hasher=lambda s: hashlib.sha256(s).hexdigest()))
    transport = "udp" if protocol in ("bacnet", "snmp", "snmp_trap", "tftp") else "tcp"
    conv = Conversation(transport, 1, 2, 502, protocol, 0.0, 0)
    side = Side(conv, client)
    conv.handler = cap.analyzers[protocol]
    seq = 1000
    for chunk in chunks:
        cap.dispatch(conv, side, chunk, seq if transport == "tcp" else -1, 0.0, 0)
        seq += len(chunk)


PCAP_HEAD = bytes.fromhex("d4c3b2a1020004000000000000000000ffff000001000000")
PCAPNG_HEAD = bytes.fromhex("0a0d0d0a1c0000004d3c2b1a01000000ffffffffffffffff1c000000")


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture]
)
@given(head=st.sampled_from([PCAP_HEAD, PCAPNG_HEAD, b""]), body=st.binary(max_size=600))
def test_reader_raises_only_input_error(tmp_path_factory: pytest.TempPathFactory, head: bytes, body: bytes) -> None:
    from xposture.errors import InputError
    from xposture.scanners.ot.pcap_reader import read_frames

    path = tmp_path_factory.mktemp("fuzz") / "f.pcap"
    path.write_bytes(head + body)
    with contextlib.suppress(InputError):
        for _frame in read_frames(path):
            pass


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    frames=st.lists(
        st.tuples(st.sampled_from([0, 1, 101, 108, 113, 276]), st.binary(min_size=0, max_size=200)), max_size=20
    )
)
def test_fast_path_survives_garbage_frames(frames: list[tuple[int, bytes]]) -> None:
    """The header fast path and every analyzer behind it take arbitrary frames without raising."""
    cap = analyzers.install(Capture(hasher=lambda s: hashlib.sha256(s).hexdigest()))
    cap.process((lt, float(i), data, 0, len(data), i) for i, (lt, data) in enumerate(frames))
    cap.finish()
    assert cap.packets == len(frames)


def _ip_frame(udp: bool, sport: int, dport: int, flags: int, seq: int, payload: bytes) -> bytes:
    import struct

    l4 = (
        struct.pack("!HHH2x", sport, dport, 8 + len(payload))
        if udp
        else struct.pack("!HHIIBBHHH", sport, dport, seq, 0, 5 << 4, flags, 65535, 0, 0)
    )
    ip = struct.pack(
        "!BBHHHBBH4s4s",
        0x45,
        0,
        20 + len(l4) + len(payload),
        1,
        0,
        64,
        17 if udp else 6,
        0,
        bytes([10, 0, 0, 1]),
        bytes([10, 0, 0, 2]),
    )
    return b"\x00\x11\x22\x33\x44\x55\x00\x0e\x8c\x00\x00\x01\x08\x00" + ip + l4 + payload


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    segments=st.lists(
        st.tuples(
            st.sampled_from(
                [502, 102, 44818, 20000, 2404, 4840, 1883, 21, 23, 80, 443, 22, 3389, 5900, 161, 47808, 69, 12345]
            ),
            st.booleans(),
            st.integers(0, 0x3F),
            payloads(),
        ),
        min_size=1,
        max_size=12,
    )
)
def test_fast_path_feeds_analyzers_garbage(segments: list[tuple[int, bool, int, bytes]]) -> None:
    """Well-formed IP/TCP/UDP headers around arbitrary payloads on industrial ports: nothing escapes."""
    frames = []
    seq = 1
    for port, from_client, flags, payload in segments:
        udp = port in (161, 47808, 69)
        sport, dport = (40000, port) if from_client else (port, 40000)
        frames.append(_ip_frame(udp, sport, dport, flags, seq, payload))
        seq += len(payload)
    cap = analyzers.install(Capture(hasher=lambda s: hashlib.sha256(s).hexdigest()))
    cap.process((1, float(i), data, 0, len(data), i) for i, data in enumerate(frames))
    cap.finish()
