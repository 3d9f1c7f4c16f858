"""EtherNet/IP encapsulation and CIP explicit messages.

ListIdentity replies are decoded with scapy's ``enipTCP`` contrib layer (they
are rare, so its cost does not matter); the CIP messages inside SendRRData /
SendUnitData, which are many, go through the small parser below (scapy has no
CIP layer). Services map to operations as in CISA ACID's CIP tables.
"""

from __future__ import annotations

import struct

from xposture.scanners.ot.dissect.base import ParseError, need, text

HEADER = struct.Struct("<HHIIQI")
IDENTITY = struct.Struct("<HHHBBHI")

LIST_IDENTITY = 0x63
SEND_RR_DATA = 0x6F
SEND_UNIT_DATA = 0x70
COMMANDS = {
    0x00: "nop",
    0x01: "list_targets",
    0x04: "list_services",
    0x63: "list_identity",
    0x64: "list_interfaces",
    0x65: "register_session",
    0x66: "unregister_session",
    0x6F: "send_rr_data",
    0x70: "send_unit_data",
}

VENDORS = {1: "Rockwell Automation/Allen-Bradley", 47: "OMRON Corporation", 283: "Hilscher GmbH"}
DEVICE_TYPES = {0x00: "generic", 0x02: "ac_drive", 0x0C: "communications_adapter", 0x0E: "plc", 0x2B: "generic"}

SERVICES = {
    0x01: "get_attributes_all",
    0x02: "set_attributes_all",
    0x03: "get_attribute_list",
    0x04: "set_attribute_list",
    0x05: "reset",
    0x06: "start",
    0x07: "stop",
    0x08: "create",
    0x09: "delete",
    0x0A: "multiple_service_packet",
    0x0E: "get_attribute_single",
    0x10: "set_attribute_single",
    0x4B: "execute_pccc_or_initiate_upload",
    0x4C: "read_tag",
    0x4D: "write_tag",
    0x4E: "read_modify_write_or_forward_close",
    0x4F: "upload_transfer",
    0x50: "download_transfer",
    0x52: "read_tag_fragmented_or_unconnected_send",
    0x53: "write_tag_fragmented",
    0x54: "forward_open",
    0x5B: "large_forward_open",
}
WRITE_SERVICES = frozenset({0x02, 0x04, 0x10, 0x4D, 0x53})
READ_SERVICES = frozenset({0x01, 0x03, 0x0E, 0x4C, 0x52})

CLASS_IDENTITY = 0x01
CLASS_MESSAGE_ROUTER = 0x02
CLASS_CONNECTION_MANAGER = 0x06
CLASS_FILE = 0x37
CLASS_PROGRAM = 0x6A
CLASS_CONTROLLER = 0x8E
CLASS_TIME_SYNC = 0x8B
CLASS_NVS = 0xA1


def header(data: bytes) -> tuple[int, int, int]:
    """``(command, length, status)`` of the encapsulation header; ``ParseError`` if it is not ENIP."""
    need(data, 24, "enip header")
    command, length, _session, status, _ctx, _opts = HEADER.unpack_from(data, 0)
    if command not in COMMANDS:
        raise ParseError(f"unknown ENIP command {command:#x}")
    return command, length, status


def pdu_length(data: bytes) -> int:
    """Length of the ENIP PDU starting ``data`` (header + payload), 0 while the header is incomplete."""
    if len(data) < 4:
        return 0
    return 24 + int.from_bytes(data[2:4], "little")


def list_identity(data: bytes) -> list[dict[str, str | int]]:
    """Identity items of a ListIdentity reply, decoded with scapy's enipTCP layer."""
    from scapy.contrib.enipTCP import ENIPTCP, ENIPListIdentityItem

    need(data, 26, "enip list identity")
    found: list[dict[str, str | int]] = []
    try:
        packet = ENIPTCP(bytes(data))
        index = 1
        layer = packet.getlayer(ENIPListIdentityItem)
        while layer is not None:
            found.append(
                _identity(
                    int(layer.vendorId),
                    int(layer.deviceType),
                    int(layer.productCode),
                    int(layer.revisionMajor),
                    int(layer.revisionMinor),
                    int(layer.serialNumber),
                    text(bytes(layer.productName or b"")),
                )
            )
            index += 1
            layer = packet.getlayer(ENIPListIdentityItem, index)
    except Exception as exc:  # scapy raises anything from struct.error to IndexError on garbage
        raise ParseError(f"enip list identity: {exc.__class__.__name__}") from None
    return found


def _identity(
    vendor: int, device_type: int, product: int, major: int, minor: int, serial: int, name: str
) -> dict[str, str | int]:
    result: dict[str, str | int] = {
        "vendor": VENDORS.get(vendor, f"CIP vendor {vendor}"),
        "vendor_id": vendor,
        "device_type": DEVICE_TYPES.get(device_type, f"type_{device_type:#x}"),
        "product_code": str(product),
        "firmware": f"{major}.{minor:02d}",
        "serial": f"{serial:08x}",
    }
    if name:
        result["model"] = name
    return result


def identity_object(data: bytes) -> dict[str, str | int]:
    """Attributes of a Get_Attributes_All reply from the Identity object (class 1, instance 1)."""
    vendor, device_type, product, major, minor, _status, serial = (
        IDENTITY.unpack_from(data, 0) if len(data) >= 15 else _short("cip identity")
    )
    length = data[14]
    if length > 64 or len(data) < 15 + length:
        raise ParseError("cip identity: bad product name length")
    name = text(data[15 : 15 + length])
    return _identity(vendor, device_type, product, major, minor, serial, name)


def _short(what: str) -> tuple[int, int, int, int, int, int, int]:
    raise ParseError(f"{what}: too short")


def cpf_messages(data: bytes, command: int) -> list[bytes]:
    """CIP messages carried in the common packet format of SendRRData / SendUnitData."""
    need(data, 32, "enip cpf")
    count = int.from_bytes(data[30:32], "little")
    pos = 32
    messages: list[bytes] = []
    for _ in range(min(count, 8)):
        need(data, pos + 4, "enip cpf item")
        item_type, length = struct.unpack_from("<HH", data, pos)
        pos += 4
        need(data, pos + length, "enip cpf item data")
        if item_type == 0xB2:
            messages.append(data[pos : pos + length])
        elif item_type == 0xB1 and length >= 2:
            messages.append(data[pos + 2 : pos + length])
        pos += length
    del command
    return messages


def request_path(message: bytes) -> tuple[int, int | None, int | None, str | None, int]:
    """``(service, class, instance, symbol, end_of_path)`` of a CIP request."""
    need(message, 2, "cip request")
    service, words = message[0], message[1]
    end = 2 + 2 * words
    need(message, end, "cip request path")
    pos = 2
    cip_class: int | None = None
    instance: int | None = None
    symbol: str | None = None
    while pos < end:
        segment = message[pos]
        if segment in (0x20, 0x24, 0x30, 0x28):
            need(message, pos + 2, "cip path segment")
            if segment == 0x20:
                cip_class = message[pos + 1]
            elif segment == 0x24:
                instance = message[pos + 1]
            pos += 2
        elif segment in (0x21, 0x25, 0x31, 0x29):
            need(message, pos + 4, "cip path segment")
            value = int.from_bytes(message[pos + 2 : pos + 4], "little")
            if segment == 0x21:
                cip_class = value
            elif segment == 0x25:
                instance = value
            pos += 4
        elif segment == 0x91:
            need(message, pos + 2, "cip symbol segment")
            length = message[pos + 1]
            need(message, pos + 2 + length, "cip symbol")
            symbol = text(message[pos + 2 : pos + 2 + length])
            pos += 2 + length + (length & 1)
        else:
            break
    return service, cip_class, instance, symbol, end


CipRequest = tuple[int, int | None, str | None, int]
"""``(service, class, symbol, slot)``; ``slot`` is the backplane slot a routed request goes to, -1 when direct."""


def requests(message: bytes, slot: int = -1) -> list[CipRequest]:
    """CIP requests in a message, unwrapping Unconnected Send (noting its route) and Multiple Service Packet."""
    service, cip_class, _instance, symbol, end = request_path(message)
    if service == 0x52 and cip_class == CLASS_CONNECTION_MANAGER:
        need(message, end + 4, "cip unconnected send")
        size = int.from_bytes(message[end + 2 : end + 4], "little")
        need(message, end + 4 + size, "cip unconnected send message")
        route = end + 4 + size + (size & 1)
        target = 0
        if route + 4 <= len(message) and message[route + 2] & 0xF0 == 0 and message[route + 2] & 0x0F:
            target = message[route + 3]
        return requests(message[end + 4 : end + 4 + size], target)
    if service == 0x0A and cip_class == CLASS_MESSAGE_ROUTER:
        need(message, end + 2, "cip multiple service packet")
        count = int.from_bytes(message[end : end + 2], "little")
        need(message, end + 2 + 2 * count, "cip multiple service offsets")
        found: list[CipRequest] = []
        offsets = [int.from_bytes(message[end + 2 + 2 * i : end + 4 + 2 * i], "little") for i in range(min(count, 64))]
        body = message[end:]
        for i, start in enumerate(offsets):
            stop = offsets[i + 1] if i + 1 < len(offsets) else len(body)
            if start < stop <= len(body):
                found.extend(requests(body[start:stop], slot))
        return found
    return [(service, cip_class, symbol, slot)]


def operation(service: int, cip_class: int | None) -> tuple[str, str | None]:
    """``(class, operation)`` of one CIP request: reads, writes and the control operations ACID flags."""
    if cip_class == CLASS_CONTROLLER and service in (0x06, 0x07):
        return "control", "mode_change"
    if service == 0x05:
        return "control", "restart"
    if cip_class == CLASS_NVS and service in (0x4B, 0x4D, 0x51):
        return "control", "firmware_update"
    if cip_class in (CLASS_PROGRAM, CLASS_FILE):
        if service == 0x4F:
            return "control", "program_upload"
        if service in (0x50, 0x4C):
            return "control", "program_download"
    if cip_class == CLASS_TIME_SYNC and service in (0x04, 0x10, 0x02):
        return "control", "time_set"
    if service in WRITE_SERVICES:
        return "write", "write"
    if service in READ_SERVICES:
        return "read", None
    return "other", None


CLASS_SERVICES = {
    (CLASS_NVS, 0x4B): "nvs_initiate_update",
    (CLASS_NVS, 0x4D): "nvs_update_transfer",
    (CLASS_NVS, 0x51): "nvs_finalize_update",
    (CLASS_FILE, 0x4B): "initiate_upload",
    (CLASS_FILE, 0x4C): "initiate_download",
    (CLASS_PROGRAM, 0x4B): "initiate_upload",
    (CLASS_PROGRAM, 0x4C): "initiate_download",
    (CLASS_CONNECTION_MANAGER, 0x4E): "forward_close",
    (CLASS_CONNECTION_MANAGER, 0x52): "unconnected_send",
    (0x67, 0x4B): "execute_pccc",
}


def service_name(service: int, cip_class: int | None = None) -> str:
    """Name of a CIP service; vendor/class-specific codes (0x4B..0x63) are named per class."""
    code = service & 0x7F
    return CLASS_SERVICES.get((cip_class or 0, code)) or SERVICES.get(code, f"service_{code:#04x}")
