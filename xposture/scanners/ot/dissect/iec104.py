"""IEC 60870-5-104 APCI/ASDU: frame formats and the command type identifiers that change the process."""

from __future__ import annotations

from xposture.scanners.ot.dissect.base import ParseError

U_FUNCTIONS = {
    0x07: "startdt_act",
    0x0B: "startdt_con",
    0x13: "stopdt_act",
    0x23: "stopdt_con",
    0x43: "testfr_act",
    0x83: "testfr_con",
}

COMMANDS: dict[int, tuple[str, str, str | None]] = {
    45: ("single_command", "control", "operate"),
    46: ("double_command", "control", "operate"),
    47: ("regulating_step_command", "control", "operate"),
    48: ("setpoint_normalised", "write", "write"),
    49: ("setpoint_scaled", "write", "write"),
    50: ("setpoint_float", "write", "write"),
    51: ("bitstring_command", "write", "write"),
    58: ("single_command_time", "control", "operate"),
    59: ("double_command_time", "control", "operate"),
    60: ("regulating_step_command_time", "control", "operate"),
    61: ("setpoint_normalised_time", "write", "write"),
    62: ("setpoint_scaled_time", "write", "write"),
    63: ("setpoint_float_time", "write", "write"),
    64: ("bitstring_command_time", "write", "write"),
    100: ("interrogation", "read", None),
    101: ("counter_interrogation", "read", None),
    102: ("read", "read", None),
    103: ("clock_sync", "control", "time_set"),
    104: ("test", "other", None),
    105: ("reset_process", "control", "restart"),
    107: ("test_time", "other", None),
    110: ("parameter_normalised", "write", "write"),
    111: ("parameter_scaled", "write", "write"),
    112: ("parameter_float", "write", "write"),
    113: ("parameter_activation", "write", "write"),
    122: ("file_call", "control", "file_transfer"),
    124: ("file_ack", "other", None),
    125: ("file_segment", "control", "file_transfer"),
}


def apdu_length(data: bytes) -> int:
    if len(data) < 2:
        return 0
    if data[0] != 0x68:
        raise ParseError("not IEC 104")
    return 2 + data[1]


def apdus(data: bytes) -> tuple[list[tuple[str, int]], int]:
    """``(format, code)`` per APDU: (``i``, type id), (``u``, control byte) or (``s``, 0); bytes consumed."""
    found: list[tuple[str, int]] = []
    pos = 0
    while pos + 2 <= len(data):
        size = apdu_length(data[pos:])
        if size < 6:
            raise ParseError(f"IEC 104 APDU length {size - 2} < 4")
        if pos + size > len(data):
            break
        control = data[pos + 2]
        if control & 1 == 0:
            found.append(("i", data[pos + 6] if size > 6 else -1))
        elif control & 3 == 1:
            found.append(("s", 0))
        else:
            found.append(("u", control))
        pos += size
    return found, pos


def classify(fmt: str, code: int) -> tuple[str, str, str | None]:
    if fmt == "u":  # STARTDT/STOPDT act: the sender takes or drops the controlling-station role
        name = U_FUNCTIONS.get(code, "u_frame")
        return name, "control" if code in (0x07, 0x13) else "other", None
    if fmt == "s":
        return "s_frame", "other", None
    return COMMANDS.get(code, (f"type_{code}", "read" if 0 < code < 45 else "other", None))
