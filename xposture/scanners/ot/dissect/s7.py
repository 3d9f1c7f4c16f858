"""ISO-on-TCP (TPKT/COTP, TCP 102) and what rides on it: S7comm, S7comm-plus, and IEC 61850 MMS.

S7comm job functions and userdata groups follow Wireshark's s7comm dissector
and CISA ACID (0x1a download = T0843, 0x1d upload = T0845, 0x29 stop and
PI ``P_PROGRAM`` = T0858). Identity comes from SZL 0x0011 (order number,
firmware) and SZL 0x001C (names, serial number); MMS from the Identify service.
"""

from __future__ import annotations

import struct

from xposture.scanners.ot.dissect.base import ParseError, ber_tlv, need, text

S7_HEADER = struct.Struct(">BBHHHH")

JOB_FUNCTIONS: dict[int, tuple[str, str, str | None]] = {
    0x00: ("cpu_services", "other", None),
    0x04: ("read_var", "read", None),
    0x05: ("write_var", "write", "write"),
    0x1A: ("request_download", "control", "program_download"),
    0x1B: ("download_block", "control", "program_download"),
    0x1C: ("download_ended", "control", "program_download"),
    0x1D: ("start_upload", "control", "program_upload"),
    0x1E: ("upload", "control", "program_upload"),
    0x1F: ("end_upload", "control", "program_upload"),
    0x28: ("plc_control", "control", None),
    0x29: ("plc_stop", "control", "mode_change"),
    0xF0: ("setup_communication", "other", None),
}

PI_SERVICES = {
    "P_PROGRAM": "mode_change",
    "_INSE": "program_download",
    "_DELE": "program_modify",
    "_MODU": "program_modify",
    "_GARB": "program_modify",
    "_N_LOGIN_": "login",
}

USERDATA_GROUPS = {
    1: "programmer_commands",
    2: "cyclic_data",
    3: "block_functions",
    4: "cpu_functions",
    5: "security",
    6: "pbc",
    7: "time_functions",
}

S7PLUS_FUNCTIONS: dict[int, tuple[str, str, str | None]] = {
    0x04BB: ("explore", "read", None),
    0x04CA: ("create_object", "other", None),
    0x04D4: ("delete_object", "control", "program_modify"),
    0x04F2: ("set_variable", "write", "write"),
    0x0524: ("invoke", "control", None),
    0x0542: ("set_multi_variables", "write", "write"),
    0x054C: ("get_multi_variables", "read", None),
    0x0556: ("begin_sequence", "other", None),
    0x0560: ("end_sequence", "other", None),
    0x056B: ("get_link", "read", None),
    0x0586: ("get_var_substreamed", "read", None),
    0x0598: ("set_var_substreamed", "write", "write"),
}

SZL_0x1C_NAMES = {1: "name", 2: "module_name", 3: "plant_id", 5: "serial", 7: "model_name", 11: "location"}

MMS_SERVICES: dict[int, tuple[str, str, str | None]] = {
    0: ("status", "read", None),
    1: ("get_name_list", "read", None),
    2: ("identify", "read", None),
    4: ("read", "read", None),
    5: ("write", "write", "write"),
    6: ("get_variable_access_attributes", "read", None),
    12: ("get_named_variable_list_attributes", "read", None),
    26: ("initiate_download_sequence", "control", "program_download"),
    27: ("download_segment", "control", "program_download"),
    29: ("initiate_upload_sequence", "control", "program_upload"),
    30: ("upload_segment", "control", "program_upload"),
    32: ("request_domain_download", "control", "program_download"),
    33: ("request_domain_upload", "control", "program_upload"),
    36: ("delete_domain", "control", "program_modify"),
    40: ("start", "control", "mode_change"),
    41: ("stop", "control", "mode_change"),
    43: ("reset", "control", "restart"),
    44: ("kill", "control", "mode_change"),
}


def tpkt_length(data: bytes) -> int:
    """Length of the TPKT packet starting ``data`` (for reassembly), 0 while its header is incomplete."""
    if len(data) < 4:
        return 0
    if data[0] != 3:
        raise ParseError("not TPKT")
    return int.from_bytes(data[2:4], "big")


def split_tpkt(data: bytes) -> tuple[list[bytes], int]:
    """COTP data TPDU payloads in a TCP payload, and how many bytes were consumed (the rest awaits more)."""
    found: list[bytes] = []
    pos = 0
    while pos + 4 <= len(data):
        length = tpkt_length(data[pos:])
        if length < 7:
            raise ParseError(f"bad TPKT length {length}")
        if pos + length > len(data):
            break
        cotp_len = data[pos + 4]
        if cotp_len >= 2 and data[pos + 5] == 0xF0 and pos + 5 + cotp_len <= pos + length:
            found.append(data[pos + 5 + cotp_len : pos + length])
        pos += length
    return found, pos


def kind(payload: bytes) -> str:
    """Which protocol a COTP data payload carries: ``s7comm``, ``s7comm_plus``, ``mms`` or ``cotp``."""
    if not payload:
        return "cotp"
    first = payload[0]
    if first == 0x32:
        return "s7comm"
    if first == 0x72:
        return "s7comm_plus"
    if first in (0x01, 0x0D, 0x0E, 0x19):
        return "mms"
    return "cotp"


class S7Pdu:
    """The fields of one S7comm PDU that detection needs."""

    __slots__ = ("data", "function", "group", "param", "rosctr", "subfunction")

    def __init__(self, rosctr: int, param: bytes, data: bytes) -> None:
        self.rosctr = rosctr
        self.param = param
        self.data = data
        self.function = param[0] if param else -1
        self.group = -1
        self.subfunction = -1
        if rosctr == 7 and len(param) >= 8:
            self.group = param[5] & 0x0F
            self.subfunction = param[6]


def s7_pdu(payload: bytes) -> S7Pdu:
    """Split an S7comm PDU into header, parameter and data."""
    need(payload, 10, "s7comm header")
    proto, rosctr, _reserved, _ref, param_len, data_len = S7_HEADER.unpack_from(payload, 0)
    if proto != 0x32 or rosctr not in (1, 2, 3, 7):
        raise ParseError("not S7comm")
    start = 12 if rosctr in (2, 3) else 10
    need(payload, start + param_len + data_len, "s7comm parameter and data")
    param = payload[start : start + param_len]
    return S7Pdu(rosctr, param, payload[start + param_len : start + param_len + data_len])


def classify(pdu: S7Pdu) -> tuple[str, str, str | None]:
    """``(name, class, operation)`` of a job or userdata request."""
    if pdu.rosctr == 1:
        name, cls, op = JOB_FUNCTIONS.get(pdu.function, (f"function_{pdu.function:#04x}", "other", None))
        if pdu.function == 0x28:
            service = pi_service(pdu.param)
            return f"plc_control_{service.lower().strip('_')}", cls, PI_SERVICES.get(service, "mode_change")
        return name, cls, op
    if pdu.rosctr == 7 and pdu.group >= 0:
        group = USERDATA_GROUPS.get(pdu.group, f"group_{pdu.group}")
        if pdu.group == 4 and pdu.subfunction == 1:
            return "read_szl", "read", None
        if pdu.group == 7 and pdu.subfunction in (2, 4):
            return "set_clock", "control", "time_set"
        if pdu.group == 5:
            return "security_password", "other", None
        if pdu.group == 1:  # programmer commands (Wireshark s7comm subfunction names)
            if pdu.subfunction == 0x10:
                return "forces", "control", "force"
            if pdu.subfunction == 0x0C:
                return "erase", "control", "program_modify"
            return group, "other", None
        return group, "read" if pdu.group in (2, 3, 4) else "other", None
    return "response", "other", None


def pi_service(param: bytes) -> str:
    """Name of the PI service a PLC-control job invokes (``P_PROGRAM``, ``_INSE``...)."""
    need(param, 10, "s7comm pi service")
    block_len = int.from_bytes(param[8:10], "big")
    pos = 10 + block_len
    need(param, pos + 1, "s7comm pi service name")
    length = param[pos]
    need(param, pos + 1 + length, "s7comm pi service name")
    return text(param[pos + 1 : pos + 1 + length])


def szl_request(pdu: S7Pdu) -> tuple[int, int]:
    """``(szl_id, index)`` asked for by a Read-SZL request."""
    need(pdu.data, 8, "s7comm szl request")
    return int.from_bytes(pdu.data[4:6], "big"), int.from_bytes(pdu.data[6:8], "big")


def szl_identity(pdu: S7Pdu) -> dict[str, str]:
    """Identity fields from a Read-SZL response for SZL-ID 0x0011 or 0x001C (others give nothing)."""
    data = pdu.data
    need(data, 4, "s7comm szl response")
    if data[0] != 0xFF:  # an error answer (object does not exist...): return code and an empty item
        return {}
    need(data, 12, "s7comm szl response")
    szl_id = int.from_bytes(data[4:6], "big")
    record_len = int.from_bytes(data[8:10], "big")
    count = int.from_bytes(data[10:12], "big")
    found: dict[str, str] = {}
    if record_len < 2:
        return {}  # a list with no records (or only headers): nothing to identify
    for i in range(min(count, 64)):
        start = 12 + i * record_len
        if start + record_len > len(data):
            break
        record = data[start : start + record_len]
        index = int.from_bytes(record[:2], "big")
        if szl_id & 0xFF == 0x11 and record_len >= 28:
            order = text(record[2:22])
            if (index == 1 and order) or (index == 6 and order and "model" not in found):
                found["model"] = order
            elif index == 6:
                found["hardware"] = str(int.from_bytes(record[24:26], "big"))
            elif index == 7 and record[24] == ord("V"):
                found["firmware"] = f"V{record[25]}.{record[26]}.{record[27]}"
        elif szl_id & 0xFF == 0x1C:
            name = SZL_0x1C_NAMES.get(index)
            value = text(record[2:34])
            if name and value:
                found[name] = value
    return found


def s7plus_function(payload: bytes) -> tuple[int, int]:
    """``(opcode, function)`` of an S7comm-plus PDU (opcode 0x31 request, 0x32 response)."""
    need(payload, 4, "s7comm-plus header")
    if payload[0] != 0x72:
        raise ParseError("not S7comm-plus")
    version = payload[1]
    start = 4
    if version not in (1, 2, 3, 0xFE):
        raise ParseError(f"s7comm-plus: unknown version {version}")
    need(payload, start + 5, "s7comm-plus function")
    return payload[start], int.from_bytes(payload[start + 3 : start + 5], "big")


def s7plus_classify(function: int) -> tuple[str, str, str | None]:
    return S7PLUS_FUNCTIONS.get(function, (f"function_{function:#06x}", "other", None))


def mms_pdu(payload: bytes) -> tuple[int, int, dict[str, str]]:
    """``(pdu_tag, service, identity)`` of the MMS PDU inside ISO session/presentation.

    ``pdu_tag`` is 0xA0 (confirmed request) or 0xA1 (confirmed response), or 0
    when none was found; ``identity`` is filled from an Identify response.
    """
    for start in range(min(len(payload), 64)):
        tag = payload[start]
        if tag not in (0xA0, 0xA1):
            continue
        try:
            _tag, body, end = ber_tlv(payload, start)
            inner_tag, inner_start, inner_end = ber_tlv(payload, body)
            if inner_tag != 0x02 or inner_end - inner_start > 4:
                continue
            if inner_end >= end:
                continue
            service_tag = payload[inner_end]
            service = service_tag & 0x1F
            if service == 0x1F:
                need(payload, inner_end + 2, "mms service tag")
                service = payload[inner_end + 1]
            identity: dict[str, str] = {}
            if tag == 0xA1 and service == 2 and service_tag == 0xA2:
                _t, pos, stop = ber_tlv(payload, inner_end)
                while pos < stop:
                    field_tag, vstart, vend = ber_tlv(payload, pos)
                    value = text(payload[vstart:vend])
                    name = {0x80: "vendor", 0x81: "model", 0x82: "firmware"}.get(field_tag)
                    if name and value:
                        identity[name] = value
                    pos = vend
            return tag, service, identity
        except ParseError:
            continue
    return 0, -1, {}


def mms_classify(service: int) -> tuple[str, str, str | None]:
    return MMS_SERVICES.get(service, (f"service_{service}", "other", None))
