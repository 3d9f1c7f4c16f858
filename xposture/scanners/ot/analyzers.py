"""Per-protocol glue between payload parsers and the capture state.

An analyzer is called for every payload of a conversation whose protocol it
handles. It reassembles length-prefixed PDUs that span TCP segments (only
in-order data; a gap or retransmission drops the partial PDU), classifies
requests into read / write / control, and reports identities, operations,
credentials and discovery requests to the :class:`Capture`. Parse errors
never escape: the packet is counted as malformed, and a conversation whose
very first payload is not the expected protocol is re-labelled by signature.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TypeVar

from xposture.scanners.ot import ports
from xposture.scanners.ot.dissect import (
    bacnet,
    cleartext,
    dnp3,
    enip,
    iec104,
    l2,
    modbus,
    mqtt,
    opcua,
    remote,
    s7,
    snmp,
)
from xposture.scanners.ot.dissect.base import ParseError, text
from xposture.scanners.ot.flows import MAX_SNIFF, Analyzer, Capture, Conversation, Side

T = TypeVar("T")
MAX_PENDING = 1 << 16
DEFAULT_COMMUNITIES = frozenset(
    {
        b"public",
        b"private",
        b"community",
        b"admin",
        b"manager",
        b"cisco",
        b"snmp",
        b"default",
        b"secret",
        b"write",
        b"read",
        b"monitor",
        b"ILMI",
        b"all private",
    }
)
ANONYMOUS_USERS = frozenset({"anonymous", "ftp", "guest"})
SNMP_DEEP_RESPONSES = 16


def _stream(side: Side, payload: bytes, seq: int) -> bytes | None:
    """In-order TCP data with any pending partial PDU prepended; ``None`` for a retransmission."""
    if seq >= 0:
        if side.next_seq >= 0:
            delta = (seq - side.next_seq) & 0xFFFFFFFF
            if delta >= 0x80000000:
                return None
            if delta:
                side.pending = b""
        side.next_seq = (seq + len(payload)) & 0xFFFFFFFF
    if side.pending:
        payload = side.pending + payload
        side.pending = b""
    return payload


def _keep(side: Side, data: bytes, used: int, seq: int) -> None:
    if seq >= 0 and 0 < len(data) - used <= MAX_PENDING:
        side.pending = data[used:]


def _units(side: Side, payload: bytes, seq: int, split: Callable[[bytes], tuple[list[T], int]]) -> list[T]:
    """Complete PDUs of a length-prefixed protocol in this segment, keeping a trailing partial PDU for the next."""
    data = _stream(side, payload, seq)
    if data is None:
        return []
    units, used = split(data)
    _keep(side, data, used, seq)
    return units


def _request(
    cap: Capture,
    conv: Conversation,
    protocol: str,
    what: tuple[str, str, str | None],
    ts: float,
    foff: int,
    target: str = "",
) -> None:
    """Count one classified request on its conversation and record it as an operation when it is one."""
    name, kind, operation = what
    conv.count(name, kind)
    if operation:
        cap.operation(conv, protocol, operation, name, ts, foff, target)


def _sender(conv: Conversation, side: Side) -> object:
    return conv.client if side.is_client else conv.server


def guarded(protocol: str) -> Callable[[Analyzer], Analyzer]:
    """Register an analyzer for a protocol; its ``ParseError``s are handled by ``Capture.parse_failed``."""

    def register(function: Analyzer) -> Analyzer:
        REGISTRY[protocol] = function
        return function

    return register


REGISTRY: dict[str, Analyzer] = {}


# --------------------------------------------------------------------------- signatures
def signature(payload: bytes, transport: str) -> str:
    """Protocol recognised from the first bytes of a payload, port-agnostic; ``''`` if none."""
    head = payload[:12]
    if transport == "udp":
        if head[:1] == b"\x81" and len(payload) >= 6 and head[4:5] == b"\x01":
            return "bacnet"
        if head[:2] == b"\x05\x64":
            return "dnp3"
        if head[:1] == b"\x30" and len(payload) > 6 and payload[2:4] == b"\x02\x01":
            return "snmp"
        return ""
    if head[:3] in (b"HEL", b"ACK", b"OPN", b"MSG") and len(head) >= 8 and head[3:4] in (b"F", b"C", b"A"):
        return "opcua"
    if head[:4] == b"SSH-":
        return "ssh"
    if head[:4] == b"RFB ":
        return "vnc"
    if head[:2] in (b"\x16\x03",) or (head[:1] and head[0] & 0x80 and len(head) > 3 and head[2] == 1):
        return "tls"
    if cleartext.is_http_request(payload) or head[:7] == b"HTTP/1.":
        return "http"
    if head[:1] == b"\x10" and (b"MQTT" in head or b"MQIsdp" in head):
        return "mqtt"
    if head[:2] == b"\x03\x00" and len(head) >= 6 and head[5] in (0xE0, 0xD0, 0xF0):
        return "iso_tsap"
    if head[:2] == b"\x05\x64":
        return "dnp3"
    if head[:1] == b"\x68" and len(payload) >= 6 and payload[1] + 2 <= len(payload) and payload[1] >= 4:
        return "iec104"
    if (
        len(payload) >= 24
        and int.from_bytes(payload[0:2], "little") in enip.COMMANDS
        and (int.from_bytes(payload[2:4], "little") == len(payload) - 24)
    ):
        return "enip"
    if len(payload) >= 8 and payload[2:4] == b"\x00\x00" and int.from_bytes(payload[4:6], "big") == len(payload) - 6:
        return "modbus"
    return ""


def sniff(cap: Capture, conv: Conversation, side: Side, payload: bytes, seq: int, ts: float, foff: int) -> None:
    """Label a conversation on an unknown port from its first payloads, then hand it to that analyzer."""
    conv.sniffed += 1
    found = signature(payload, conv.transport)
    if not found:
        if conv.sniffed >= MAX_SNIFF:
            conv.handler = None
        return
    conv.protocol = found
    conv.handler = REGISTRY.get(found)
    cap.dispatch(conv, side, payload, seq, ts, foff)


# --------------------------------------------------------------------------- industrial protocols
@guarded("modbus")
def analyze_modbus(
    cap: Capture, conv: Conversation, side: Side, payload: bytes, seq: int, ts: float, foff: int
) -> None:
    adus = _units(side, payload, seq, modbus.split_adus)
    for _unit, function, body in adus:
        conv.parsed += 1
        if side.is_client:
            what = modbus.classify(function, body, True)
            _request(cap, conv, "modbus", what, ts, foff, modbus.target(function, body) if what[2] else "")
            if function == 43 and body[:1] == b"\x0e":
                cap.discovered(conv)
        elif function == 43 and body[:1] == b"\x0e":
            found = modbus.device_identification(body)
            fields = {k: v for k, v in found.items() if k in ("vendor", "product_code", "firmware", "model")}
            if "model" not in fields and "product_name" in found:
                fields["model"] = found["product_name"]
            if "product_name" in found:
                fields["product_name"] = found["product_name"]
            cap.identify(conv.server, "modbus_device_identification", fields)
        elif function & 0x80:
            conv.count(modbus.classify(function, body, False)[0], "other")


@guarded("iso_tsap")
def analyze_iso(cap: Capture, conv: Conversation, side: Side, payload: bytes, seq: int, ts: float, foff: int) -> None:
    if not side.is_client and "_await" not in conv.attrs and conv.protocol not in ("iso_tsap", "unknown"):
        return  # server answers are read only once an identity question (SZL, MMS Identify) was asked
    pdus = _units(side, payload, seq, s7.split_tpkt)
    conv.parsed += 1  # valid TPKT framing, even when it only carried COTP connection set-up
    for pdu in pdus:
        kind = s7.kind(pdu)
        if conv.protocol in ("iso_tsap", "unknown") and kind != "cotp":
            conv.protocol = kind
        if kind == "s7comm":
            _s7comm(cap, conv, side, s7.s7_pdu(pdu), ts, foff)
        elif kind == "s7comm_plus":
            opcode, function = s7.s7plus_function(pdu)
            if opcode == 0x31:
                _request(cap, conv, "s7comm_plus", s7.s7plus_classify(function), ts, foff)
        elif kind == "mms":
            tag, service, identity = s7.mms_pdu(pdu)
            if tag == 0xA0:
                _request(cap, conv, "mms", s7.mms_classify(service), ts, foff)
                if service == 2:
                    cap.discovered(conv)
                    conv.attrs["_await"] = True
            if identity:
                cap.identify(_sender(conv, side), "mms_identify", identity)


REGISTRY["s7comm"] = REGISTRY["s7comm_plus"] = REGISTRY["mms"] = analyze_iso


def _s7comm(cap: Capture, conv: Conversation, side: Side, pdu: s7.S7Pdu, ts: float, foff: int) -> None:
    request = pdu.rosctr == 1 or (pdu.rosctr == 7 and len(pdu.param) >= 8 and pdu.param[5] >> 4 == 4)
    if request:
        _request(cap, conv, "s7comm", s7.classify(pdu), ts, foff)
        if pdu.rosctr == 7 and pdu.group == 4 and pdu.subfunction == 1 and len(pdu.data) >= 8:
            szl_id, _index = s7.szl_request(pdu)  # shorter data: a follow-up asking for the next fragment
            if szl_id & 0xFF in (0x11, 0x1C):
                cap.discovered(conv)
                conv.attrs["_await"] = True
        if pdu.rosctr == 7 and pdu.group == 5 and pdu.subfunction == 1 and len(pdu.data) > 4:
            cap.credential(conv, "obfuscated_password", "", pdu.data[4:], ts, foff)
    elif pdu.rosctr == 7 and pdu.group == 4 and pdu.subfunction == 1:
        found = s7.szl_identity(pdu)
        if found:
            fields = {k: v for k, v in found.items() if k in ("model", "firmware", "serial", "name", "hardware")}
            if "model_name" in found:
                fields["product_name"] = found["model_name"]
            if "module_name" in found:
                fields.setdefault("product_name", found["module_name"])
            fields["vendor"] = "Siemens"
            cap.identify(conv.server, "s7_szl", fields)


CipSummary = tuple[tuple[str, str, str | None, bool, int, str], ...]
_CIP_MEMO: dict[bytes, CipSummary] = {}
"""CIP requests repeat (polling): classify each distinct message once. Bounded, process-wide."""
MAX_CIP_MEMO = 16384


@guarded("enip")
def analyze_enip(cap: Capture, conv: Conversation, side: Side, payload: bytes, seq: int, ts: float, foff: int) -> None:
    attrs = conv.attrs
    if not side.is_client and seq >= 0 and "_cip_identity" not in attrs and "_list_identity" not in attrs:
        return  # over TCP only identity answers are read from the server side: half the work saved
    data = _stream(side, payload, seq)
    if data is None:
        return
    pos = 0
    size = len(data)
    while pos + 24 <= size:
        length = 24 + (data[pos + 2] | data[pos + 3] << 8)
        if pos + length > size:
            break
        pdu = data[pos : pos + length] if pos or length != size else data
        pos += length
        command = pdu[0] | pdu[1] << 8
        if command not in enip.COMMANDS:
            raise ParseError(f"unknown ENIP command {command:#x}")
        status = pdu[8] | pdu[9] << 8 | pdu[10] << 16 | pdu[11] << 24
        conv.parsed += 1
        if command == enip.SEND_RR_DATA or command == enip.SEND_UNIT_DATA:
            if status:
                continue
            if side.is_client:
                for message in _cip_messages(pdu, command):
                    _cip_request(cap, conv, message, ts, foff)
            elif "_cip_identity" in conv.attrs:
                for message in enip.cpf_messages(pdu, command):
                    if message[:1] == b"\x81" and len(message) >= 4 and message[2] == 0:
                        slot = conv.attrs.pop("_cip_identity")
                        item = _strings(enip.identity_object(message[4 + 2 * message[3] :]))
                        if slot < 0:
                            cap.identify(conv.server, "cip_identity", item)
                        else:  # a module in the chassis behind this adapter, reached through its backplane
                            module = f"slot {slot}: {item.get('model', '?')} firmware {item.get('firmware', '?')}"
                            cap.attr(conv.server, "cip.modules", f"{module} serial {item.get('serial', '?')}")
                        break
            continue
        if side.is_client:
            conv.count(enip.COMMANDS.get(command, "nop"), "other")
        if command == enip.LIST_IDENTITY:
            if side.is_client:
                cap.discovered(conv)
                attrs["_list_identity"] = True
            elif length > 24 and status == 0:
                attrs.pop("_list_identity", None)
                for listed in enip.list_identity(pdu):
                    cap.identify(_sender(conv, side), "enip_list_identity", _strings(listed))
    _keep(side, data, pos, seq)


def _cip_messages(pdu: bytes, command: int) -> list[bytes]:
    """CIP messages of a SendRRData/SendUnitData, with a fixed-offset fast path for the usual two-item layout."""
    if pdu[30:32] == b"\x02\x00":
        if command == enip.SEND_RR_DATA and pdu[32:36] == b"\x00\x00\x00\x00" and pdu[36:38] == b"\xb2\x00":
            return [pdu[40 : 40 + (pdu[38] | pdu[39] << 8)]]
        if command == enip.SEND_UNIT_DATA and pdu[32:36] == b"\xa1\x00\x04\x00" and pdu[40:42] == b"\xb1\x00":
            return [pdu[46 : 44 + (pdu[42] | pdu[43] << 8)]]
    return enip.cpf_messages(pdu, command)


def _cip_request(cap: Capture, conv: Conversation, message: bytes, ts: float, foff: int) -> None:
    summary = _CIP_MEMO.get(message)
    if summary is None:
        found = []
        for service, cip_class, symbol, slot in enip.requests(message):
            kind, operation = enip.operation(service, cip_class)
            identity = service == 0x01 and cip_class == enip.CLASS_IDENTITY
            target = symbol or (f"class 0x{cip_class:02x}" if cip_class is not None else "")
            found.append((enip.service_name(service, cip_class), kind, operation, identity, slot, target))
        summary = tuple(found)
        if len(_CIP_MEMO) < MAX_CIP_MEMO:
            _CIP_MEMO[message] = summary
    for name, kind, operation, identity, slot, target in summary:
        conv.count(name, kind)
        if operation:
            cap.operation(conv, "enip", operation, name, ts, foff, target)
        if identity:
            conv.attrs["_cip_identity"] = slot
            cap.discovered(conv)


def _strings(item: Mapping[str, str | int]) -> dict[str, str]:
    keep = ("vendor", "vendor_id", "model", "firmware", "serial", "product_code", "device_type")
    return {k: str(v) for k, v in item.items() if k in keep}


@guarded("dnp3")
def analyze_dnp3(cap: Capture, conv: Conversation, side: Side, payload: bytes, seq: int, ts: float, foff: int) -> None:
    frames = _units(side, payload, seq, dnp3.frames)
    for source, destination, _control, function in frames:
        conv.parsed += 1
        conv.attrs.setdefault(
            "dnp3_addresses", f"{source}->{destination}" if side.is_client else f"{destination}->{source}"
        )
        if 0 <= function < 129 and side.is_client:
            _request(cap, conv, "dnp3", dnp3.classify(function), ts, foff)
        elif function == 130:
            conv.count("unsolicited_response", "other")


@guarded("iec104")
def analyze_iec104(
    cap: Capture, conv: Conversation, side: Side, payload: bytes, seq: int, ts: float, foff: int
) -> None:
    apdus = _units(side, payload, seq, iec104.apdus)
    for fmt, code in apdus:
        conv.parsed += 1
        if side.is_client:
            _request(cap, conv, "iec104", iec104.classify(fmt, code), ts, foff)


@guarded("bacnet")
def analyze_bacnet(
    cap: Capture, conv: Conversation, side: Side, payload: bytes, seq: int, ts: float, foff: int
) -> None:
    unit = bacnet.apdu(payload)
    conv.parsed += 1
    if unit is None:
        return
    name, kind, operation = bacnet.classify(unit)
    if unit.pdu_type in (0, 1):
        conv.count(name, kind)
        if operation:
            cap.operation(conv, "bacnet", operation, name, ts, foff)
    if unit.pdu_type == 1 and unit.service == 8:
        cap.discovered(conv)
    elif unit.pdu_type == 1 and unit.service == 0:
        cap.identify(_sender(conv, side), "bacnet_i_am", bacnet.i_am(unit))
    elif unit.pdu_type == 3 and unit.service == 12:
        found = bacnet.read_property_ack(unit)
        if found:
            cap.identify(_sender(conv, side), "bacnet_device_object", found)


@guarded("opcua")
def analyze_opcua(cap: Capture, conv: Conversation, side: Side, payload: bytes, seq: int, ts: float, foff: int) -> None:
    messages = _units(side, payload, seq, opcua.split)
    for kind, message in messages:
        conv.parsed += 1
        if kind == b"OPN":
            policy = opcua.open_policy(message)
            if policy:
                conv.attrs.setdefault("opcua_security_policy", policy)
                cap.attr(conv.server, "opcua.channel_policies", policy)
        elif kind == b"HEL" and side.is_client:
            conv.count("hello", "other")
        elif kind == b"MSG" and conv.attrs.get("opcua_security_policy", "None") == "None":
            try:
                service, reader = opcua.service(message)
            except ParseError:
                continue
            name, cls, operation = opcua.classify(service)
            if side.is_client:
                conv.count(name, cls)
                if operation:
                    cap.operation(conv, "opcua", operation, name, ts, foff)
                if service in (428, 422):
                    cap.discovered(conv)
                if service == 467:
                    _opcua_login(cap, conv, opcua.activate_session(reader), ts, foff)
            elif service == 470:
                pending = conv.attrs.pop("_opcua_credential", None)
                if pending is not None:
                    good = opcua.service_result(reader) == 0
                    pending.succeeded = bool(pending.succeeded) or good
                    pending.failed += 0 if good else 1
            elif service == 431:
                sender = _sender(conv, side)
                for endpoint in opcua.endpoints(reader):
                    cap.attr(sender, "opcua.endpoint_urls", str(endpoint["url"]))
                    cap.attr(sender, "opcua.security_policies", str(endpoint["policy"]))
                    cap.attr(sender, "opcua.security_modes", str(endpoint["mode"]))
                    for token in endpoint["tokens"]:
                        cap.attr(sender, "opcua.user_tokens", token)
                    cap.identify(
                        sender,
                        "opcua_get_endpoints",
                        {"name": str(endpoint["application_name"]), "product_uri": str(endpoint["product_uri"])},
                    )


def _opcua_login(cap: Capture, conv: Conversation, token: Mapping[str, object], ts: float, foff: int) -> None:
    """An ActivateSession's identity token: anonymous, or a user name with a cleartext or encrypted password."""
    kind = token.get("kind")
    if kind == "anonymous":
        conv.attrs["_opcua_credential"] = cap.credential(conv, "anonymous", "", None, ts, foff, anonymous=True)
    elif kind == "username":
        password = token.get("password")
        secret = password if isinstance(password, bytes) and password else None
        cred_kind = "encrypted_password" if token.get("encrypted") else "password"
        user = str(token.get("user", ""))
        conv.attrs["_opcua_credential"] = cap.credential(conv, cred_kind, user, secret, ts, foff)


@guarded("mqtt")
def analyze_mqtt(cap: Capture, conv: Conversation, side: Side, payload: bytes, seq: int, ts: float, foff: int) -> None:
    packets = _units(side, payload, seq, mqtt.split)
    for kind, packet in packets:
        conv.parsed += 1
        name = mqtt.TYPES.get(kind, "reserved")
        if side.is_client:
            conv.count(name, "other")
        if kind == 1 and side.is_client:
            info = mqtt.connect(packet)
            conv.attrs.setdefault("mqtt_client_id", info["client_id"])
            secret = info["password"] if isinstance(info["password"], bytes) else b""
            user = str(info["user"])
            anonymous = not info["has_user"] and not info["has_password"]
            cred_kind = "password" if secret else "username" if user else "anonymous"
            entry = cap.credential(conv, cred_kind, user, secret or None, ts, foff, anonymous=anonymous)
            conv.attrs["_mqtt_credential"] = entry
        elif kind == 2 and not side.is_client:
            code = mqtt.connack_code(packet)
            conv.attrs["mqtt_connect_accepted"] = code == 0
            entry = conv.attrs.pop("_mqtt_credential", None)
            if entry is not None:
                entry.succeeded = bool(entry.succeeded) or code == 0
                if code:
                    entry.failed += 1
        elif kind == 8 and side.is_client:
            topics = mqtt.subscribe_topics(packet)
            if any(t == "#" or t.startswith("#") or t.startswith("$SYS") for t in topics):
                conv.attrs["mqtt_wildcard_subscription"] = True


# --------------------------------------------------------------------------- cleartext IT protocols
@guarded("ftp")
def analyze_ftp(cap: Capture, conv: Conversation, side: Side, payload: bytes, seq: int, ts: float, foff: int) -> None:
    for line in cleartext.lines(payload):
        if side.is_client:
            verb, argument = cleartext.ftp_command(line)
            conv.parsed += 1
            conv.count(verb.lower(), "write" if verb in ("STOR", "APPE", "DELE", "RNTO", "MKD") else "other")
            if verb == "USER":
                conv.attrs["_ftp_user"] = text(argument)
            elif verb == "PASS":
                user = str(conv.attrs.get("_ftp_user", ""))
                entry = cap.credential(
                    conv, "password", user, argument or None, ts, foff, anonymous=user.lower() in ANONYMOUS_USERS
                )
                conv.attrs["_ftp_credential"] = entry
            elif verb in ("STOR", "APPE"):
                cap.operation(conv, "ftp", "file_write", verb.lower(), ts, foff)
        else:
            if not line[:3].isdigit():
                continue  # continuation line of a multi-line reply
            code = cleartext.reply_code(line)
            conv.parsed += 1
            if code == 220 and "ftp_banner" not in conv.attrs:
                banner = text(line[4:])
                conv.attrs["ftp_banner"] = banner
                cap.attr(conv.server, "ftp.banner", banner)
            pending = conv.attrs.get("_ftp_credential")
            if pending is not None and code in (230, 530):
                if code == 230:
                    pending.succeeded = True
                else:
                    pending.failed += 1
                    pending.succeeded = bool(pending.succeeded)
                del conv.attrs["_ftp_credential"]


PROMPTS_USER = (b"login:", b"username:", b"user name:", b"user:")
PROMPTS_PASSWORD = (b"password:", b"passwd:")


@guarded("telnet")
def analyze_telnet(
    cap: Capture, conv: Conversation, side: Side, payload: bytes, seq: int, ts: float, foff: int
) -> None:
    """Follow the login dialogue: a prompt from the server, then the characters the client types."""
    data = cleartext.strip_telnet(payload)
    conv.parsed += 1
    if not side.is_client:
        lower = data.lower().rstrip()
        if lower.endswith(PROMPTS_PASSWORD):
            conv.attrs["_telnet"] = "password"
            conv.attrs["_typed"] = b""
        elif lower.endswith(PROMPTS_USER):
            conv.attrs["_telnet"] = "user"
            conv.attrs["_typed"] = b""
        elif b"incorrect" in lower or b"failed" in lower or b"denied" in lower:
            entry = conv.attrs.pop("_telnet_credential", None)
            if entry is not None:
                entry.failed += 1
                entry.succeeded = bool(entry.succeeded)
        elif lower.endswith((b"$", b"#", b">")) and "_telnet_credential" in conv.attrs:
            conv.attrs.pop("_telnet_credential").succeeded = True
        return
    state = conv.attrs.get("_telnet")
    if state is None:
        return
    typed = conv.attrs.get("_typed", b"") + data
    for end in (b"\r", b"\n"):
        if end in typed:
            value = typed.split(end, 1)[0].replace(b"\x00", b"")
            del conv.attrs["_telnet"]
            if state == "user":
                conv.attrs["_telnet_user"] = text(value)
            else:
                user = str(conv.attrs.get("_telnet_user", ""))
                entry = cap.credential(conv, "password", user, value or None, ts, foff)
                conv.attrs["_telnet_credential"] = entry
            conv.attrs["_typed"] = b""
            return
    conv.attrs["_typed"] = typed[-256:]


@guarded("http")
def analyze_http(cap: Capture, conv: Conversation, side: Side, payload: bytes, seq: int, ts: float, foff: int) -> None:
    if side.is_client:
        if not cleartext.is_http_request(payload):
            return
        start, headers = cleartext.http_headers(payload)
        conv.parsed += 1
        method = start.split(" ", 1)[0].lower()
        conv.count(method, "write" if method in ("put", "post", "delete", "patch") else "read")
        auth = headers.get("authorization", "")
        if auth.lower().startswith("basic "):
            user, password = cleartext.basic_auth(auth)
            cap.credential(conv, "basic_auth", user, password or None, ts, foff)
    elif payload.startswith(b"HTTP/1."):
        _start, headers = cleartext.http_headers(payload)
        conv.parsed += 1
        server = headers.get("server")
        if server:
            conv.attrs.setdefault("http_server", server)
            cap.attr(conv.server, "http.server", server)


@guarded("snmp")
def analyze_snmp(cap: Capture, conv: Conversation, side: Side, payload: bytes, seq: int, ts: float, foff: int) -> None:
    version, secret, pdu, kind = snmp.community(payload)
    conv.parsed += 1
    conv.attrs.setdefault("snmp_version", version)
    conv.count(pdu, kind)
    if version == "v3":
        return
    if pdu in ("get", "get_next", "get_bulk", "set", "trap", "inform"):
        cap.credential(conv, "community", "", secret or None, ts, foff, is_default=secret in DEFAULT_COMMUNITIES)
    if pdu == "set":
        cap.operation(conv, "snmp", "write", "set", ts, foff)
    elif pdu == "response" and conv.attrs.get("_snmp_deep", 0) < SNMP_DEEP_RESPONSES:
        conv.attrs["_snmp_deep"] = conv.attrs.get("_snmp_deep", 0) + 1
        found = snmp.message(payload)
        fields = {k: str(v) for k, v in found.items() if k in ("description", "name") and isinstance(v, str)}
        if fields:
            cap.identify(_sender(conv, side), "snmp_system", fields)


REGISTRY["snmp_trap"] = analyze_snmp


@guarded("tftp")
def analyze_tftp(cap: Capture, conv: Conversation, side: Side, payload: bytes, seq: int, ts: float, foff: int) -> None:
    if len(payload) < 4 or payload[0] != 0 or payload[1] not in (1, 2):
        raise ParseError("not a TFTP request")
    conv.parsed += 1
    if payload[1] == 2:
        conv.count("write_request", "write")
        cap.operation(conv, "tftp", "file_write", "write_request", ts, foff)
    else:
        conv.count("read_request", "read")


# --------------------------------------------------------------------------- handshakes
def analyze_handshake(
    cap: Capture, conv: Conversation, side: Side, payload: bytes, seq: int, ts: float, foff: int
) -> None:
    """First payload of each side: TLS hello, SSH banner, RFB greeting or RDP connection request."""
    flag = "_hs_c" if side.is_client else "_hs_s"
    if flag in conv.attrs:
        return
    conv.attrs[flag] = True
    try:
        if payload[:4] == b"SSH-":
            version, software = remote.ssh_banner(payload)
            conv.attrs["ssh_client_software" if side.is_client else "ssh_server_software"] = software
            conv.attrs["ssh_version"] = min(version, str(conv.attrs.get("ssh_version", version)))
            if conv.protocol == "unknown":
                conv.protocol = "ssh"
            if not side.is_client:
                cap.attr(conv.server, "ssh.server_software", software)
        elif payload[:4] == b"RFB ":
            conv.attrs["rfb_version"] = remote.rfb_version(payload)
        elif payload[:1] == b"\x03" and conv.protocol == "rdp" and side.is_client:
            user = remote.rdp_cookie(payload)
            if user:
                conv.attrs["rdp_user"] = user
        elif payload[:1] == b"\x16" or (payload[:1] and payload[0] & 0x80):
            hello = remote.tls_hello(payload)
            conv.attrs["tls"] = True
            if hello["kind"] == "server" or ("tls_version" not in conv.attrs and hello["kind"] == "client"):
                conv.attrs["tls_version"] = hello["version"]
            if "sni" in hello:
                conv.attrs["tls_sni"] = hello["sni"]
        else:
            return
        conv.parsed += 1
    except ParseError:
        conv.malformed += 1
    if "_hs_c" in conv.attrs and "_hs_s" in conv.attrs:
        conv.handler = None


for _name in ports.HANDSHAKES:
    REGISTRY[_name] = analyze_handshake


# --------------------------------------------------------------------------- layer 2
def analyze_lldp(cap: Capture, conv: Conversation, side: Side, payload: bytes, seq: int, ts: float, foff: int) -> None:
    try:
        found = l2.lldp(payload)
    except ParseError:
        return
    _mac_identity(cap, conv.client, "lldp", found)


def analyze_cdp(cap: Capture, conv: Conversation, side: Side, payload: bytes, seq: int, ts: float, foff: int) -> None:
    try:
        found = l2.cdp(payload)
    except ParseError:
        return
    _mac_identity(cap, conv.client, "cdp", found)


def analyze_profinet(
    cap: Capture, conv: Conversation, side: Side, payload: bytes, seq: int, ts: float, foff: int
) -> None:
    if len(payload) < 4:
        return
    frame_id = int.from_bytes(payload[:2], "big")
    if frame_id not in (0xFEFC, 0xFEFD, 0xFEFE, 0xFEFF):
        return
    try:
        found = l2.dcp(payload[2:])
    except ParseError:
        return
    if found.get("response") == "true" or found["service"] == "hello":
        _mac_identity(cap, conv.client, "profinet_dcp", found)
    elif found["service"] == "identify":
        cap.discovered(conv)
    elif found["service"] == "set":
        conv.protocol = "profinet"
        cap.operation(conv, "profinet_dcp", "dcp_set", "set", ts, foff)


def _mac_identity(cap: Capture, mac: object, source: str, found: dict[str, str]) -> None:
    if not isinstance(mac, bytes):
        return
    known = cap.mac_identities.setdefault(mac, {})
    for name, value in found.items():
        if value and name not in ("service", "response"):
            known.setdefault(name, value)
    sources = known.get("sources", "")
    if source not in sources.split(","):
        known["sources"] = f"{sources},{source}".strip(",")


def analyze_goose(cap: Capture, conv: Conversation, side: Side, payload: bytes, seq: int, ts: float, foff: int) -> None:
    """GOOSE publishers: learn each one's control block once (the frames repeat every few milliseconds)."""
    if isinstance(conv.client, bytes) and conv.client in cap.mac_identities:
        return
    try:
        found = l2.goose(payload)
    except ParseError:
        return
    _mac_identity(cap, conv.client, "goose", found)


REGISTRY["goose"] = analyze_goose
REGISTRY["lldp"] = analyze_lldp
REGISTRY["cdp"] = analyze_cdp
REGISTRY["profinet"] = analyze_profinet


def install(cap: Capture) -> Capture:
    """Give a capture every analyzer and the signature sniffer."""
    cap.analyzers = dict(REGISTRY)
    cap.sniffer = sniff
    return cap
