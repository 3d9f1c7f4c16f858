"""Property tests: parsers of untrusted input raise only their typed errors, whatever the bytes."""

from __future__ import annotations

import contextlib

from hypothesis import given, settings
from hypothesis import strategies as st

from xposture.errors import InputError
from xposture.scanners.ot.probe import bacnet, enip, modbus, s7
from xposture.scanners.ot.probe.errors import ProbeReplyError
from xposture.scanners.ot.snmp.build import Origin, agent_records
from xposture.scanners.ot.snmp.discovery import discovery_request, parse_report
from xposture.scanners.ot.snmp.engineid import parse_engine_id
from xposture.scanners.ot.snmp.recordings import parse_snmprec, parse_walk
from xposture.scanners.ot.snmp.sysdescr import parse_sysdescr
from xposture.scanners.ot.snmp.text import clean_text

LINE = st.text(alphabet=st.sampled_from("0123456789.|x:=4266 ABCabc\x1b\x00\r\t"), max_size=60)


@settings(max_examples=300, deadline=None)
@given(st.lists(LINE, max_size=30))
def test_snmprec_parser_only_raises_input_errors(lines: list[str]) -> None:
    try:
        walk = parse_snmprec("\n".join(lines))
    except InputError:
        return
    list(agent_records(walk, Origin("snmp:fuzz")))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(max_size=80), max_size=20))
def test_walk_parser_only_raises_input_errors(lines: list[str]) -> None:
    try:
        walk = parse_walk("\n".join(lines))
    except InputError:
        return
    list(agent_records(walk, Origin("snmp:fuzz")))


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=400))
def test_sysdescr_and_clean_text_never_raise(text: str) -> None:
    parse_sysdescr(text)
    cleaned, _ = clean_text(text, 100)
    assert "\x1b" not in cleaned and "\x00" not in cleaned and len(cleaned) <= 101


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=40))
def test_engine_id_decoder_never_raises(raw: bytes) -> None:
    assert parse_engine_id(raw).hex == raw.hex()


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=200))
def test_discovery_reply_parser_only_raises_value_errors(raw: bytes) -> None:
    with contextlib.suppress(ValueError):
        parse_report(raw)


def test_discovery_request_round_trips() -> None:
    msg_id, engine, boots, time_s = parse_report(discovery_request(1234, 99))
    assert (msg_id, engine, boots, time_s) == (1234, b"", 0, 0)


@settings(max_examples=500, deadline=None)
@given(st.binary(max_size=300))
def test_probe_parsers_only_raise_probe_errors(raw: bytes) -> None:
    for parse in (modbus.parse, enip.parse, s7.parse_szl, bacnet.parse, s7.check_setup, s7.check_connect_confirm):
        with contextlib.suppress(ProbeReplyError):
            parse(raw)
    for length in (modbus.reply_length, enip.reply_length, s7.reply_length):
        with contextlib.suppress(ProbeReplyError):
            length(raw)
