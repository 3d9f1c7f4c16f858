"""OPC UA binary (UA TCP): message framing, secure-channel policy, services, GetEndpoints responses.

GetEndpoints answers list every endpoint a server offers with its security
mode, security policy and user-token types: that is where "SecurityPolicy
None" and anonymous logins show up on the wire without any active probe.
"""

from __future__ import annotations

import struct

from xposture.scanners.ot.dissect.base import ParseError, need, text

HEADER = struct.Struct("<3scI")
TYPES = frozenset({b"HEL", b"ACK", b"OPN", b"MSG", b"CLO", b"ERR", b"RHE"})
POLICY_PREFIX = "http://opcfoundation.org/UA/SecurityPolicy#"
MODES = {1: "none", 2: "sign", 3: "sign_and_encrypt"}
TOKENS = {0: "anonymous", 1: "username", 2: "certificate", 3: "issued_token"}

SERVICES: dict[int, tuple[str, str, str | None]] = {
    428: ("get_endpoints", "read", None),
    431: ("get_endpoints_response", "other", None),
    422: ("find_servers", "read", None),
    446: ("open_secure_channel", "other", None),
    452: ("close_secure_channel", "other", None),
    461: ("create_session", "other", None),
    467: ("activate_session", "other", None),
    473: ("close_session", "other", None),
    527: ("browse", "read", None),
    631: ("read", "read", None),
    673: ("write", "write", "write"),
    712: ("call", "control", "method_call"),
    751: ("create_monitored_items", "read", None),
    787: ("create_subscription", "read", None),
    826: ("publish", "read", None),
    488: ("add_nodes", "control", "program_modify"),
    500: ("delete_nodes", "control", "program_modify"),
}


def message_length(data: bytes) -> int:
    if len(data) < 8:
        return 0
    kind, _chunk, size = HEADER.unpack_from(data, 0)
    if kind not in TYPES or size < 8:
        raise ParseError("not OPC UA binary")
    return int(size)


def split(data: bytes) -> tuple[list[tuple[bytes, bytes]], int]:
    """``(type, message)`` per UA TCP message, and the bytes consumed."""
    found: list[tuple[bytes, bytes]] = []
    pos = 0
    while pos + 8 <= len(data):
        size = message_length(data[pos:])
        if pos + size > len(data):
            break
        found.append((data[pos : pos + 3], data[pos : pos + size]))
        pos += size
    return found, pos


class _Reader:
    __slots__ = ("data", "pos")

    def __init__(self, data: bytes, pos: int) -> None:
        self.data = data
        self.pos = pos

    def take(self, n: int) -> bytes:
        need(self.data, self.pos + n, "opcua")
        value = self.data[self.pos : self.pos + n]
        self.pos += n
        return value

    def int32(self) -> int:
        return int.from_bytes(self.take(4), "little", signed=True)

    def string(self) -> str:
        length = self.int32()
        if length < 0:
            return ""
        if length > 1 << 16:
            raise ParseError("opcua: string too long")
        return text(self.take(length))

    def skip_bytes(self) -> None:
        length = self.int32()
        if length > 0:
            self.take(length)

    def byte_string(self) -> bytes:
        length = self.int32()
        if length > 1 << 16:
            raise ParseError("opcua: byte string too long")
        return self.take(length) if length > 0 else b""

    def node_id(self) -> int:
        encoding = self.take(1)[0]
        form = encoding & 0x0F
        value = -1
        if form == 0:
            value = self.take(1)[0]
        elif form == 1:
            self.take(1)
            value = int.from_bytes(self.take(2), "little")
        elif form == 2:
            self.take(2)
            value = int.from_bytes(self.take(4), "little")
        elif form in (3, 5):
            self.take(2)
            self.skip_bytes()
        elif form == 4:
            self.take(18)
        else:
            raise ParseError("opcua: bad node id")
        if encoding & 0x80:
            self.string()
        if encoding & 0x40:
            self.take(4)
        return value

    def localized_text(self) -> str:
        mask = self.take(1)[0]
        if mask & 1:
            self.string()
        return self.string() if mask & 2 else ""

    def diagnostic_info(self, depth: int = 0) -> None:
        if depth > 4:
            raise ParseError("opcua: diagnostic info too deep")
        mask = self.take(1)[0]
        for bit in (1, 2, 4, 8):
            if mask & bit:
                self.take(4)
        if mask & 0x10:
            self.string()
        if mask & 0x20:
            self.take(4)
        if mask & 0x40:
            self.diagnostic_info(depth + 1)

    def extension_object(self) -> None:
        self.node_id()
        if self.take(1)[0] & 0x03:
            self.skip_bytes()

    def count(self) -> int:
        n = self.int32()
        if n > 1024:
            raise ParseError("opcua: array too long")
        return max(n, 0)


def open_policy(message: bytes) -> str:
    """Security policy URI's short name (``None``, ``Basic256Sha256``...) of an OPN message."""
    reader = _Reader(message, 12)
    uri = reader.string()
    return uri.removeprefix(POLICY_PREFIX) if uri else ""


def service(message: bytes) -> tuple[int, _Reader]:
    """Service type id of a MSG message in a channel with SecurityPolicy None (else ``ParseError``)."""
    reader = _Reader(message, 24)
    return reader.node_id(), reader


def classify(service_id: int) -> tuple[str, str, str | None]:
    return SERVICES.get(service_id, (f"service_{service_id}", "other", None))


TOKEN_TYPES = {321: "anonymous", 324: "username", 327: "certificate", 940: "issued_token"}


def activate_session(reader: _Reader) -> dict[str, str | bytes | bool]:
    """User identity token of an ActivateSession request: kind, user name and, when not encrypted, the password.

    The password is returned raw only so the caller can hash it at once; an
    encrypted token (``encryptionAlgorithm`` set) yields no secret.
    """
    reader.node_id()  # authentication token
    reader.take(8 + 4 + 4)
    reader.string()  # audit entry id
    reader.take(4)
    reader.extension_object()
    reader.string()  # client signature algorithm
    reader.skip_bytes()
    for _ in range(reader.count()):
        reader.skip_bytes()
        reader.skip_bytes()
    for _ in range(reader.count()):
        reader.string()
    token_type = TOKEN_TYPES.get(reader.node_id(), "unknown")
    result: dict[str, str | bytes | bool] = {"kind": token_type}
    if reader.take(1)[0] != 1:
        return result
    reader.int32()
    result["policy_id"] = reader.string()
    if token_type == "username":  # noqa: S105 - a token type name, not a password
        result["user"] = reader.string()
        password = reader.byte_string()
        algorithm = reader.string()
        result["encrypted"] = bool(algorithm)
        if not algorithm:
            result["password"] = password
    return result


def service_result(reader: _Reader) -> int:
    """Status code of a response (0 = Good), reader positioned after the service node id."""
    reader.take(8 + 4)
    return int.from_bytes(reader.take(4), "little")


def endpoints(reader: _Reader) -> list[dict[str, str | list[str]]]:
    """Endpoints of a GetEndpoints response (reader positioned after the service node id)."""
    reader.take(8 + 4 + 4)
    reader.diagnostic_info()
    for _ in range(reader.count()):
        reader.string()
    reader.extension_object()
    found: list[dict[str, str | list[str]]] = []
    for _ in range(reader.count()):
        url = reader.string()
        application_uri = reader.string()
        product_uri = reader.string()
        application_name = reader.localized_text()
        reader.int32()
        reader.string()
        reader.string()
        for _ in range(reader.count()):
            reader.string()
        reader.skip_bytes()
        mode = MODES.get(reader.int32(), "invalid")
        policy = reader.string().removeprefix(POLICY_PREFIX)
        tokens: list[str] = []
        for _ in range(reader.count()):
            reader.string()
            tokens.append(TOKENS.get(reader.int32(), "unknown"))
            reader.string()
            reader.string()
            reader.string()
        reader.string()
        reader.take(1)
        found.append(
            {
                "url": url,
                "application_uri": application_uri,
                "product_uri": product_uri,
                "application_name": application_name,
                "mode": mode,
                "policy": policy,
                "tokens": tokens,
            }
        )
    return found
