"""BACnet/IP: BVLC, NPDU and APDU headers, service classes, and device identity.

Identity comes from I-Am (device instance, vendor id) and from ReadProperty
acknowledgements of the Device object's vendor-name, model-name,
firmware-revision, application-software-version and object-name properties.
"""

from __future__ import annotations

from xposture.scanners.ot.dissect.base import ParseError, need, text

CONFIRMED: dict[int, tuple[str, str, str | None]] = {
    0: ("acknowledge_alarm", "other", None),
    5: ("subscribe_cov", "read", None),
    6: ("atomic_read_file", "read", None),
    7: ("atomic_write_file", "control", "file_write"),
    8: ("add_list_element", "write", "write"),
    9: ("remove_list_element", "write", "write"),
    10: ("create_object", "control", "program_modify"),
    11: ("delete_object", "control", "program_modify"),
    12: ("read_property", "read", None),
    14: ("read_property_multiple", "read", None),
    15: ("write_property", "write", "write"),
    16: ("write_property_multiple", "write", "write"),
    17: ("device_communication_control", "control", "disable_reporting"),
    18: ("confirmed_private_transfer", "other", None),
    19: ("confirmed_text_message", "other", None),
    20: ("reinitialize_device", "control", "restart"),
    26: ("read_range", "read", None),
}
UNCONFIRMED = {
    0: "i_am",
    1: "i_have",
    2: "cov_notification",
    3: "event_notification",
    4: "private_transfer",
    5: "text_message",
    6: "time_synchronization",
    7: "who_has",
    8: "who_is",
    9: "utc_time_synchronization",
    10: "write_group",
}
DEVICE_PROPERTIES = {
    121: "vendor",
    70: "model",
    44: "firmware",
    12: "software",
    77: "name",
    75: "device_instance",
    120: "vendor_id",
}
WILDCARD_INSTANCE = 0x3FFFFF
OBJECT_DEVICE = 8


class Apdu:
    """The fields of one BACnet APDU that detection needs."""

    __slots__ = ("body", "pdu_type", "service")

    def __init__(self, pdu_type: int, service: int, body: bytes) -> None:
        self.pdu_type = pdu_type
        self.service = service
        self.body = body


def apdu(data: bytes) -> Apdu | None:
    """The APDU of a BACnet/IP datagram; ``None`` for network-layer messages."""
    need(data, 4, "bvlc")
    if data[0] != 0x81:
        raise ParseError("not BACnet/IP (BVLC type)")
    function = data[1]
    pos = 4
    if function == 0x04:
        pos += 6
    elif function not in (0x0A, 0x0B, 0x09):
        return None
    need(data, pos + 2, "npdu")
    if data[pos] != 0x01:
        raise ParseError("bad NPDU version")
    control = data[pos + 1]
    pos += 2
    if control & 0x20:
        need(data, pos + 3, "npdu destination")
        pos += 3 + data[pos + 2]
    if control & 0x08:
        need(data, pos + 3, "npdu source")
        pos += 3 + data[pos + 2]
    if control & 0x20:
        pos += 1
    if control & 0x80:
        return None
    need(data, pos + 2, "apdu")
    pdu_type = data[pos] >> 4
    if pdu_type == 0:
        segmented = data[pos] & 0x08
        start = pos + (6 if segmented else 4)
        need(data, start, "confirmed request")
        return Apdu(0, data[start - 1], data[start:])
    if pdu_type == 1:
        return Apdu(1, data[pos + 1], data[pos + 2 :])
    if pdu_type in (2, 3):
        need(data, pos + 3, "ack")
        segmented = pdu_type == 3 and data[pos] & 0x08
        start = pos + (5 if segmented else 3)
        need(data, start, "complex ack")
        return Apdu(pdu_type, data[start - 1], data[start:])
    return Apdu(pdu_type, -1, data[pos:])


def classify(unit: Apdu) -> tuple[str, str, str | None]:
    if unit.pdu_type == 0:
        return CONFIRMED.get(unit.service, (f"confirmed_{unit.service}", "other", None))
    if unit.pdu_type == 1:
        name = UNCONFIRMED.get(unit.service, f"unconfirmed_{unit.service}")
        if unit.service == 6 or unit.service == 9:
            return name, "control", "time_set"
        return name, "other", None
    return (
        {2: "simple_ack", 3: "complex_ack", 5: "error", 6: "reject", 7: "abort"}.get(unit.pdu_type, "other"),
        "other",
        None,
    )


def _tag(data: bytes, pos: int) -> tuple[int, bool, int, int]:
    """``(tag_number, context, length_or_type, next_pos)`` of a BACnet tag."""
    need(data, pos + 1, "bacnet tag")
    byte = data[pos]
    number = byte >> 4
    context = bool(byte & 0x08)
    lvt = byte & 0x07
    pos += 1
    if number == 15:
        need(data, pos + 1, "bacnet tag number")
        number = data[pos]
        pos += 1
    if lvt == 5:
        need(data, pos + 1, "bacnet length")
        lvt = data[pos]
        pos += 1
        if lvt == 254:
            need(data, pos + 2, "bacnet length")
            lvt = int.from_bytes(data[pos : pos + 2], "big")
            pos += 2
        elif lvt == 255:
            need(data, pos + 4, "bacnet length")
            lvt = int.from_bytes(data[pos : pos + 4], "big")
            pos += 4
    return number, context, lvt, pos


def i_am(unit: Apdu) -> dict[str, str]:
    """Device instance and vendor id of an I-Am."""
    body = unit.body
    number, context, length, pos = _tag(body, 0)
    if number != 12 or context or length != 4:
        raise ParseError("i-am: expected object identifier")
    need(body, pos + 4, "i-am object identifier")
    oid = int.from_bytes(body[pos : pos + 4], "big")
    pos += 4
    for _ in range(2):  # max APDU length accepted, segmentation supported
        _n, _c, length, pos = _tag(body, pos)
        pos += length
    number, context, length, pos = _tag(body, pos)
    need(body, pos + length, "i-am vendor id")
    vendor = int.from_bytes(body[pos : pos + length], "big") if length <= 4 else 0
    return {"device_instance": str(oid & 0x3FFFFF), "vendor_id": str(vendor)}


def read_property_ack(unit: Apdu) -> dict[str, str]:
    """A Device-object property value from a ReadProperty complex ack (vendor, model, firmware...)."""
    body = unit.body
    number, context, length, pos = _tag(body, 0)
    if number != 0 or not context or length != 4:
        raise ParseError("read-property ack: expected object identifier")
    need(body, pos + 4, "object identifier")
    oid = int.from_bytes(body[pos : pos + 4], "big")
    pos += 4
    number, context, length, pos = _tag(body, pos)
    need(body, pos + length, "property identifier")
    prop = int.from_bytes(body[pos : pos + length], "big") if length <= 4 else -1
    pos += length
    if oid >> 22 != OBJECT_DEVICE or prop not in DEVICE_PROPERTIES:
        return {}
    number, context, length, pos = _tag(body, pos)
    if number == 2 and context:
        pos += length
        number, context, length, pos = _tag(body, pos)
    if number != 3 or length != 6:
        raise ParseError("read-property ack: expected opening tag")
    number, context, length, pos = _tag(body, pos)
    need(body, pos + length, "property value")
    if context or length < 1:
        return {}
    result: dict[str, str] = {}
    if oid & WILDCARD_INSTANCE != WILDCARD_INSTANCE:
        result["device_instance"] = str(oid & WILDCARD_INSTANCE)
    name = DEVICE_PROPERTIES[prop]
    if number == 12 and prop == 75 and length == 4:
        result[name] = str(int.from_bytes(body[pos : pos + 4], "big") & WILDCARD_INSTANCE)
    elif number == 2 and prop == 120 and length <= 4:
        result[name] = str(int.from_bytes(body[pos : pos + length], "big"))
    elif number == 7:
        raw = body[pos + 1 : pos + length]
        value = raw.decode("utf-16-be" if body[pos] == 4 else "latin-1", errors="replace")
        result[name] = text(value.encode("latin-1", errors="replace"))
    return result
