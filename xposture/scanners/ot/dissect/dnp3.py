"""DNP3 link/transport/application headers: function codes and their operations (ACID's DNP3 table)."""

from __future__ import annotations

from xposture.scanners.ot.dissect.base import ParseError, need

FUNCTIONS: dict[int, tuple[str, str, str | None]] = {
    0: ("confirm", "other", None),
    1: ("read", "read", None),
    2: ("write", "write", "write"),
    3: ("select", "control", "operate"),
    4: ("operate", "control", "operate"),
    5: ("direct_operate", "control", "operate"),
    6: ("direct_operate_no_ack", "control", "operate"),
    7: ("immediate_freeze", "control", None),
    9: ("freeze_clear", "control", None),
    13: ("cold_restart", "control", "restart"),
    14: ("warm_restart", "control", "restart"),
    15: ("initialize_data", "control", "restart"),
    16: ("initialize_application", "control", "mode_change"),
    17: ("start_application", "control", "mode_change"),
    18: ("stop_application", "control", "mode_change"),
    19: ("save_configuration", "control", "program_download"),
    20: ("enable_unsolicited", "other", None),
    21: ("disable_unsolicited", "control", "disable_reporting"),
    22: ("assign_class", "other", None),
    23: ("delay_measure", "other", None),
    24: ("record_current_time", "control", "time_set"),
    25: ("open_file", "other", None),
    26: ("close_file", "other", None),
    27: ("delete_file", "control", "file_delete"),
    28: ("get_file_info", "read", None),
    29: ("authenticate_file", "other", None),
    30: ("abort_file", "other", None),
    31: ("activate_config", "control", "program_download"),
    32: ("authenticate_request", "other", None),
    33: ("authenticate_request_no_ack", "other", None),
    129: ("response", "other", None),
    130: ("unsolicited_response", "other", None),
    131: ("authenticate_response", "other", None),
}


def frame_length(data: bytes) -> int:
    """Bytes of the link frame starting ``data`` (CRCs included), 0 while the header is incomplete."""
    if len(data) < 3:
        return 0
    if data[0] != 0x05 or data[1] != 0x64:
        raise ParseError("not a DNP3 link frame")
    length = data[2]
    if length < 5:
        raise ParseError(f"DNP3 link length {length} < 5")
    user = length - 5
    return 10 + user + 2 * ((user + 15) // 16)


def frames(data: bytes) -> tuple[list[tuple[int, int, int, int]], int]:
    """``(source_address, destination_address, link_control, function)`` per frame; bytes consumed.

    ``function`` is the application function code for the first transport
    segment of a message carrying user data, else -1.
    """
    found: list[tuple[int, int, int, int]] = []
    pos = 0
    while pos + 10 <= len(data):
        size = frame_length(data[pos:])
        if pos + size > len(data):
            break
        control = data[pos + 3]
        destination = int.from_bytes(data[pos + 4 : pos + 6], "little")
        source = int.from_bytes(data[pos + 6 : pos + 8], "little")
        function = -1
        if data[pos + 2] >= 8 and pos + 13 <= len(data) and data[pos + 10] & 0x40:
            function = data[pos + 12]
        found.append((source, destination, control, function))
        pos += size
    return found, pos


def classify(function: int) -> tuple[str, str, str | None]:
    if function < 0:
        return "link", "other", None
    return FUNCTIONS.get(function, (f"function_{function}", "other", None))


def first_function(data: bytes) -> int:
    """Application function code of a single frame (for UDP); ``ParseError`` if there is none."""
    need(data, 13, "dnp3 application header")
    found, _ = frames(data)
    if not found:
        raise ParseError("dnp3: incomplete frame")
    return found[0][3]
