"""Endpoint parsing and RFC 6125 name matching: small pure functions that every comms scanner relies on."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from xposture.scanners.comms.certs import hostname_matches
from xposture.scanners.comms.endpoints import parse_endpoint


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("10.0.0.1:443", ("10.0.0.1", 443)),
        ("10.0.0.1", ("10.0.0.1", 8883)),
        ("[fe80::1]:4840", ("fe80::1", 4840)),
        ("fe80::1", ("fe80::1", 8883)),
        ("historian.fab1.local:8443", ("historian.fab1.local", 8443)),
    ],
)
def test_parse_endpoint(text: str, expected: tuple[str, int]) -> None:
    assert parse_endpoint(text, 8883) == expected


@pytest.mark.parametrize("text", ["", "host:0", "host:70000", "host:http", "[::1", "[::1]x", "host:"])
def test_parse_endpoint_rejects(text: str) -> None:
    with pytest.raises(ValueError):
        parse_endpoint(text, None if text.endswith(":") else 1)


@given(st.text(max_size=60))
def test_parse_endpoint_raises_only_value_error(text: str) -> None:
    with contextlib.suppress(ValueError):
        _host, port = parse_endpoint(text, 443)
        assert 0 < port < 65536


@pytest.mark.parametrize(
    ("name", "dns", "ips", "cns", "expected"),
    [
        ("plc.fab1.example", ["plc.fab1.example"], [], [], True),
        ("PLC.fab1.example.", ["plc.fab1.example"], [], [], True),
        ("a.fab1.example", ["*.fab1.example"], [], [], True),
        ("a.b.fab1.example", ["*.fab1.example"], [], [], False),  # one label only
        ("fab1.example", ["*.fab1.example"], [], [], False),
        ("hmi.local", [], [], ["hmi.local"], True),  # CN only without SANs
        ("hmi.local", ["other.local"], [], ["hmi.local"], False),  # SANs present: CN ignored
        ("10.0.1.20", ["10.0.1.20"], [], [], False),  # an IP must be an iPAddress SAN
        ("10.0.1.20", [], ["10.0.1.20"], [], True),
        ("::1", [], ["0:0:0:0:0:0:0:1"], [], True),
    ],
)
def test_hostname_matches(name: str, dns: list[str], ips: list[str], cns: list[str], expected: bool) -> None:
    assert hostname_matches(name, dns, ips, cns) is expected
