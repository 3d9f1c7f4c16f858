"""Modbus/TCP: MBAP framing, function-code classes, Read Device Identification (FC 43/14), Schneider UMAS.

Function-code meanings and their ATT&CK-for-ICS techniques follow the tables
CISA's ACID project publishes for passive detection.
"""

from __future__ import annotations

import struct

from xposture.scanners.ot.dissect.base import ParseError, need, text

MBAP = struct.Struct(">HHHB")

READ, WRITE, CONTROL, DIAG, OTHER = "read", "write", "control", "diagnostic", "other"

FUNCTIONS: dict[int, tuple[str, str]] = {
    1: ("read_coils", READ),
    2: ("read_discrete_inputs", READ),
    3: ("read_holding_registers", READ),
    4: ("read_input_registers", READ),
    5: ("write_single_coil", WRITE),
    6: ("write_single_register", WRITE),
    7: ("read_exception_status", READ),
    8: ("diagnostics", DIAG),
    11: ("get_comm_event_counter", DIAG),
    12: ("get_comm_event_log", DIAG),
    15: ("write_multiple_coils", WRITE),
    16: ("write_multiple_registers", WRITE),
    17: ("report_server_id", READ),
    20: ("read_file_record", READ),
    21: ("write_file_record", WRITE),
    22: ("mask_write_register", WRITE),
    23: ("read_write_multiple_registers", WRITE),
    24: ("read_fifo_queue", READ),
    43: ("encapsulated_interface", READ),
    90: ("umas", CONTROL),
}

DEVICE_ID_OBJECTS = {
    0: "vendor",
    1: "product_code",
    2: "firmware",
    3: "vendor_url",
    4: "product_name",
    5: "model",
    6: "application_name",
}

UMAS_OPERATIONS = {
    0x30: "program_download",
    0x31: "program_download",
    0x32: "program_download",
    0x33: "program_upload",
    0x34: "program_upload",
    0x35: "program_upload",
    0x40: "mode_change",
    0x41: "mode_change",
}

DIAG_OPERATIONS = {1: "restart", 4: "force_listen_only", 10: "clear_counters"}


def split_adus(data: bytes) -> tuple[list[tuple[int, int, bytes]], int]:
    """Split a TCP payload into ``(unit_id, function, body)`` ADUs; return them and the bytes consumed.

    A trailing partial ADU is left unconsumed for reassembly. Anything that is
    not MBAP (protocol id != 0, absurd length) raises ``ParseError``.
    """
    adus: list[tuple[int, int, bytes]] = []
    pos = 0
    while pos + 8 <= len(data):
        _tid, pid, length, unit = MBAP.unpack_from(data, pos)
        if pid != 0 or length < 2 or length > 256:
            raise ParseError(f"not Modbus/TCP (protocol id {pid}, length {length})")
        end = pos + 6 + length
        if end > len(data):
            break
        adus.append((unit, data[pos + 7], data[pos + 8 : end]))
        pos = end
    return adus, pos


def adu_length(data: bytes) -> int:
    """Total length of the ADU starting ``data`` (for reassembly), or 0 if its header is incomplete."""
    if len(data) < 6:
        return 0
    return 6 + int.from_bytes(data[4:6], "big")


def classify(function: int, body: bytes, request: bool) -> tuple[str, str, str | None]:
    """``(name, class, operation)`` of one request or response; ``operation`` is set for writes and control."""
    exception = function & 0x80
    name, kind = FUNCTIONS.get(function & 0x7F, (f"function_{function & 0x7F}", OTHER))
    if exception:
        return name + "_exception", OTHER, None
    if not request:
        return name, kind, None
    if kind == WRITE:
        return name, kind, "write"
    if function == 8 and len(body) >= 2:
        sub = int.from_bytes(body[:2], "big")
        operation = DIAG_OPERATIONS.get(sub)
        return name, (CONTROL if operation else kind), operation
    if function == 90 and len(body) >= 2:
        umas = UMAS_OPERATIONS.get(body[1])
        return f"umas_{body[1]:#04x}", (CONTROL if umas else READ), umas
    return name, kind, None


def target(function: int, body: bytes) -> str:
    """What a write acts on, as people read it in a register map: ``holding 40001-40010``, ``coil 00017``."""
    if len(body) < 2:
        return ""
    start = int.from_bytes(body[:2], "big")
    if function in (5, 15):
        table, base = "coil", 1
    elif function in (6, 16, 22, 23):
        table, base = "holding", 40001
    else:
        return ""
    count = int.from_bytes(body[2:4], "big") if function in (15, 16) and len(body) >= 4 else 1
    if function == 23 and len(body) >= 8:  # read/write multiple: the write part follows the read part
        start, count = int.from_bytes(body[4:6], "big"), int.from_bytes(body[6:8], "big")
    first = base + start
    return f"{table} {first:05d}" if count <= 1 else f"{table} {first:05d}-{first + count - 1:05d}"


def device_identification(body: bytes) -> dict[str, str]:
    """Objects of a FC 43 / MEI 14 (Read Device Identification) response body, by our field names.

    Decoded with scapy's Modbus contrib layer (``ModbusPDU2B0EReadDeviceIdentificationResponse``
    followed by ``ModbusObjectId`` items); these responses are rare, so its cost does not matter.
    """
    from scapy.contrib.modbus import ModbusObjectId, ModbusPDU2B0EReadDeviceIdentificationResponse

    need(body, 6, "modbus device identification")
    if body[0] != 0x0E:
        raise ParseError("not a Read Device Identification response")
    found: dict[str, str] = {}
    try:
        packet = ModbusPDU2B0EReadDeviceIdentificationResponse(b"\x2b" + bytes(body))
        layer = packet.payload
        for _ in range(int(packet.objCount)):
            if not isinstance(layer, ModbusObjectId):
                raise ParseError("modbus device identification: fewer objects than announced")
            value = text(bytes(layer.value or b""))
            name = DEVICE_ID_OBJECTS.get(int(layer.id))
            if name and value:
                found[name] = value
            layer = layer.payload
    except ParseError:
        raise
    except Exception as exc:  # scapy raises anything from struct.error to IndexError on garbage
        raise ParseError(f"modbus device identification: {exc.__class__.__name__}") from None
    return found
