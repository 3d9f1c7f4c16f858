"""The fast v1/v2c codec agrees with pysnmp's message API both ways, and rejects garbage with ValueError only."""

from __future__ import annotations

import contextlib

from hypothesis import given, settings
from hypothesis import strategies as st
from pyasn1.codec.ber import decoder, encoder
from pysnmp.proto import api, rfc1902, rfc1905

from xposture.scanners.ot.snmp.ber import decode_response, encode_request

OIDS = st.lists(st.integers(0, 2**32 - 1), min_size=1, max_size=12).map(lambda rest: (1, 3, *rest))


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from(["v1", "v2c"]),
    st.text(max_size=40),
    st.sampled_from(["get", "next", "bulk", "set"]),
    st.integers(0, 2**31 - 1),
    st.lists(OIDS, min_size=1, max_size=8),
)
def test_requests_decode_with_pysnmp(
    version: str, community: str, kind: str, request_id: int, oids: list[tuple[int, ...]]
) -> None:
    raw = encode_request(
        version, community, kind, request_id, tuple(oids), non_repeaters=1, max_repetitions=7, set_value=b"x"
    )
    pmod = api.PROTOCOL_MODULES[api.SNMP_VERSION_1 if version == "v1" else api.SNMP_VERSION_2C]
    message, rest = decoder.decode(raw, asn1Spec=pmod.Message())
    assert rest == b""
    assert bytes(pmod.apiMessage.get_community(message)) == community.encode("utf-8", errors="surrogateescape")
    pdu = pmod.apiMessage.get_pdu(message)
    assert int(pmod.apiPDU.get_request_id(pdu)) == request_id
    assert [tuple(oid) for oid, _ in pmod.apiPDU.get_varbinds(pdu)] == [tuple(o) for o in oids]
    if kind == "bulk" and version == "v2c":
        assert int(pmod.apiBulkPDU.get_max_repetitions(pdu)) == 7


def _response(version: int, binds: list[tuple[tuple[int, ...], object]], status: int = 0) -> bytes:
    pmod = api.PROTOCOL_MODULES[version]
    pdu = pmod.GetResponsePDU()
    pmod.apiPDU.set_defaults(pdu)
    pmod.apiPDU.set_request_id(pdu, 4242)
    pmod.apiPDU.set_error_status(pdu, status)
    pmod.apiPDU.set_varbinds(pdu, binds)
    message = pmod.Message()
    pmod.apiMessage.set_defaults(message)
    pmod.apiMessage.set_community(message, "public")
    pmod.apiMessage.set_pdu(message, pdu)
    return bytes(encoder.encode(message))


def test_responses_from_pysnmp_decode_to_the_same_values() -> None:
    binds = [
        ((1, 3, 6, 1, 2, 1, 1, 1, 0), rfc1902.OctetString(b"\x1bHi")),
        ((1, 3, 6, 1, 2, 1, 1, 2, 0), rfc1902.ObjectIdentifier((1, 3, 6, 1, 4, 1, 4294967295, 7))),
        ((1, 3, 6, 1, 2, 1, 1, 3, 0), rfc1902.TimeTicks(4294967295)),
        ((1, 3, 6, 1, 2, 1, 1, 7, 0), rfc1902.Integer32(-5)),
        ((1, 3, 6, 1, 2, 1, 4, 20, 1, 1), rfc1902.IpAddress("10.1.2.3")),
        ((1, 3, 6, 1, 2, 1, 31, 1, 1, 1, 6, 1), rfc1902.Counter64(2**64 - 1)),
        ((1, 3, 6, 1, 2, 1, 2, 2, 1, 5, 1), rfc1902.Gauge32(100000000)),
    ]
    request_id, status, found = decode_response(_response(api.SNMP_VERSION_2C, binds))
    assert (request_id, status) == (4242, "")
    assert [(o, v.kind, v.value) for o, v in found if v] == [
        ((1, 3, 6, 1, 2, 1, 1, 1, 0), "octets", b"\x1bHi"),
        ((1, 3, 6, 1, 2, 1, 1, 2, 0), "oid", "1.3.6.1.4.1.4294967295.7"),
        ((1, 3, 6, 1, 2, 1, 1, 3, 0), "timeticks", 4294967295),
        ((1, 3, 6, 1, 2, 1, 1, 7, 0), "integer", -5),
        ((1, 3, 6, 1, 2, 1, 4, 20, 1, 1), "ipaddress", "10.1.2.3"),
        ((1, 3, 6, 1, 2, 1, 31, 1, 1, 1, 6, 1), "counter64", 2**64 - 1),
        ((1, 3, 6, 1, 2, 1, 2, 2, 1, 5, 1), "gauge32", 100000000),
    ]
    end = _response(api.SNMP_VERSION_2C, [((1, 3, 6, 1), rfc1905.endOfMibView)])
    assert decode_response(end)[2] == [((1, 3, 6, 1), None)]
    refused = _response(api.SNMP_VERSION_1, [((1, 3, 6, 1, 2, 1, 1, 6, 0), rfc1902.OctetString(b""))], status=17)
    assert decode_response(refused)[1] == "notWritable"


@settings(max_examples=1000, deadline=None)
@given(st.binary(max_size=300))
def test_garbage_raises_value_error_only(raw: bytes) -> None:
    with contextlib.suppress(ValueError):
        decode_response(raw)
