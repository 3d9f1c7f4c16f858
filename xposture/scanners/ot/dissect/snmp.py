"""SNMP messages, decoded with scapy's SNMP layer: version, community, PDU type, sysDescr/sysName values.

Every v1/v2c message carries its community in cleartext, so each one is a
credential sighting; SET requests are writes to the device.
"""

from __future__ import annotations

from xposture.scanners.ot.dissect.base import ParseError, text

VERSIONS = {0: "v1", 1: "v2c", 3: "v3"}
PDU_TYPES = {
    "SNMPget": ("get", "read"),
    "SNMPnext": ("get_next", "read"),
    "SNMPbulk": ("get_bulk", "read"),
    "SNMPset": ("set", "write"),
    "SNMPresponse": ("response", "other"),
    "SNMPtrap": ("trap", "other"),
    "SNMPtrapv2": ("trap", "other"),
    "SNMPinform": ("inform", "other"),
}
SYSTEM_OIDS = {"1.3.6.1.2.1.1.1.0": "description", "1.3.6.1.2.1.1.5.0": "name", "1.3.6.1.2.1.1.2.0": "object_id"}


def version(data: bytes) -> str:
    """``v1``, ``v2c`` or ``v3`` from the BER header, without decoding the rest."""
    if len(data) < 5 or data[0] != 0x30:
        raise ParseError("not an SNMP message")
    pos = 2 if data[1] < 0x80 else 2 + (data[1] & 0x7F)
    if pos + 3 > len(data) or data[pos] != 0x02 or data[pos + 1] != 1:
        raise ParseError("not an SNMP message (version)")
    found = VERSIONS.get(data[pos + 2])
    if found is None:
        raise ParseError(f"unknown SNMP version {data[pos + 2]}")
    return found


def message(data: bytes) -> dict[str, str | bytes]:
    """Community (raw), PDU type/class and system values of a v1/v2c message."""
    from scapy.layers.snmp import SNMP

    try:
        packet = SNMP(bytes(data))
        community = bytes(packet.community.val)
        pdu = packet.PDU
        name, kind = PDU_TYPES.get(type(pdu).__name__, ("other", "other"))
        result: dict[str, str | bytes] = {"community": community, "pdu": name, "class": kind}
        if name == "response":
            for varbind in list(pdu.varbindlist)[:32]:
                field = SYSTEM_OIDS.get(str(varbind.oid.val))
                if field:
                    value = varbind.value.val
                    result[field] = text(value) if isinstance(value, bytes) else str(value)
    except Exception as exc:  # scapy's BER decoder raises many exception types on garbage
        raise ParseError(f"snmp: {exc.__class__.__name__}") from None
    return result


PDU_TAGS = {
    0xA0: ("get", "read"),
    0xA1: ("get_next", "read"),
    0xA2: ("response", "other"),
    0xA3: ("set", "write"),
    0xA4: ("trap", "other"),
    0xA5: ("get_bulk", "read"),
    0xA6: ("inform", "other"),
    0xA7: ("trap", "other"),
    0xA8: ("report", "other"),
}


def _length(data: bytes, pos: int) -> tuple[int, int]:
    if pos >= len(data):
        raise ParseError("snmp: truncated length")
    first = data[pos]
    if first < 0x80:
        return first, pos + 1
    octets = first & 0x7F
    if octets == 0 or octets > 3 or pos + 1 + octets > len(data):
        raise ParseError("snmp: bad length")
    return int.from_bytes(data[pos + 1 : pos + 1 + octets], "big"), pos + 1 + octets


def community(data: bytes) -> tuple[str, bytes, str, str]:
    """``(version, community, pdu_name, pdu_class)`` read straight from the BER header (no scapy: every packet)."""
    found = version(data)
    if found == "v3":
        return found, b"", "v3", "other"
    _outer, pos = _length(data, 1)
    pos += 3
    if pos >= len(data) or data[pos] != 0x04:
        raise ParseError("snmp: expected community string")
    size, pos = _length(data, pos + 1)
    if pos + size >= len(data):
        raise ParseError("snmp: truncated community")
    secret = data[pos : pos + size]
    name, kind = PDU_TAGS.get(data[pos + size], ("other", "other"))
    return found, secret, name, kind
