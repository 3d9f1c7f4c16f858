"""A minimal OPC UA binary client (OPC 10000-6): Hello, OpenSecureChannel with SecurityPolicy None, GetEndpoints.

GetEndpoints is the one service every OPC UA server must answer on an
unsecured channel without a session (OPC 10000-4 5.4.4), and its answer is
the server's whole security posture: modes, policies, user token types and
the application certificate. asyncua is LGPL-3 and heavy; these three
requests need a few hundred lines of the binary encoding, all bounded.
"""

from __future__ import annotations

import struct
import time
from dataclasses import dataclass, field

from xposture.errors import ScannerError
from xposture.scanners.comms.wire import Cursor

POLICY_NONE = "http://opcfoundation.org/UA/SecurityPolicy#None"
MAX_MESSAGE = 4 * 1024 * 1024
"""Largest GetEndpoints answer accepted (all chunks together)."""
MAX_CHUNK = 1024 * 1024
MAX_ARRAY = 10000

OPN_REQUEST, OPN_RESPONSE = 446, 449
GET_ENDPOINTS_REQUEST, GET_ENDPOINTS_RESPONSE = 428, 431
CLOSE_REQUEST, SERVICE_FAULT = 452, 397

SECURITY_MODES = {0: "Invalid", 1: "None", 2: "Sign", 3: "SignAndEncrypt"}
TOKEN_TYPES = {0: "anonymous", 1: "username", 2: "certificate", 3: "issued_token"}


def _string(text: str | None) -> bytes:
    if text is None:
        return struct.pack("<i", -1)
    data = text.encode("utf-8")
    return struct.pack("<i", len(data)) + data


def _now_filetime() -> int:
    """OPC UA DateTime: 100 ns ticks since 1601-01-01."""
    return int((time.time() + 11644473600) * 10_000_000)


def _node_id(identifier: int) -> bytes:
    return struct.pack("<BBH", 0x01, 0, identifier)  # four-byte encoding, namespace 0


def _request_header(handle: int) -> bytes:
    return (
        b"\x00\x00"  # authentication token: null NodeId
        + struct.pack("<qIIi", _now_filetime(), handle, 0, -1)  # timestamp, handle, diagnostics, audit id (null)
        + struct.pack("<I", 10000)  # timeout hint (ms)
        + b"\x00\x00\x00"  # additional header: null ExtensionObject
    )


def _frame(kind: bytes, body: bytes) -> bytes:
    return kind + b"F" + struct.pack("<I", len(body) + 8) + body


def hello(endpoint_url: str) -> bytes:
    body = struct.pack("<IIIII", 0, 65536, 65536, MAX_MESSAGE, 0) + _string(endpoint_url)
    return _frame(b"HEL", body)


def open_secure_channel() -> bytes:
    security = _string(POLICY_NONE) + struct.pack("<ii", -1, -1)  # no certificate, no thumbprint
    sequence = struct.pack("<II", 1, 1)
    request = (
        _node_id(OPN_REQUEST)
        + _request_header(1)
        + struct.pack("<III", 0, 0, 1)  # client protocol version, Issue, SecurityMode None
        + struct.pack("<i", 0)  # client nonce: empty
        + struct.pack("<I", 600000)  # requested lifetime (ms)
    )
    return _frame(b"OPN", struct.pack("<I", 0) + security + sequence + request)


def _symmetric(kind: bytes, channel: int, token: int, sequence: int, body: bytes) -> bytes:
    return _frame(kind, struct.pack("<IIII", channel, token, sequence, sequence) + body)


def get_endpoints(channel: int, token: int, endpoint_url: str) -> bytes:
    body = _node_id(GET_ENDPOINTS_REQUEST) + _request_header(2) + _string(endpoint_url) + struct.pack("<ii", -1, -1)
    return _symmetric(b"MSG", channel, token, 2, body)


def close_secure_channel(channel: int, token: int) -> bytes:
    return _symmetric(b"CLO", channel, token, 3, _node_id(CLOSE_REQUEST) + _request_header(3))


class Decoder(Cursor):
    """Bounds-checked little-endian reader for OPC UA binary encoding."""

    def __init__(self, data: bytes, what: str) -> None:
        super().__init__(data, what, little=True)

    def bytestring(self) -> bytes | None:
        size = self.i32()
        if size < 0:
            return None
        if size > MAX_MESSAGE:
            raise ScannerError(f"oversized field in {self.what}")
        return self.take(size)

    def string(self) -> str | None:
        raw = self.bytestring()
        return None if raw is None else raw.decode("utf-8", errors="replace")

    def array_size(self) -> int:
        size = self.i32()
        if size > MAX_ARRAY:
            raise ScannerError(f"array of {size} elements in {self.what}")
        return max(size, 0)

    def node_id(self) -> int | None:
        """Decode a NodeId; returns the numeric identifier in namespace 0, else None."""
        mask = self.u8()
        kind = mask & 0x3F
        value: int | None = None
        if kind == 0x00:
            value = self.u8()
        elif kind == 0x01:
            ns = self.u8()
            ident = self.u16()
            value = ident if ns == 0 else None
        elif kind == 0x02:
            ns = self.u16()
            ident = self.u32()
            value = ident if ns == 0 else None
        elif kind in (0x03, 0x05):
            self.u16()
            self.bytestring()
        elif kind == 0x04:
            self.u16()
            self.take(16)
        else:
            raise ScannerError(f"invalid NodeId encoding 0x{mask:02x} in {self.what}")
        if mask & 0x80:
            self.string()
        if mask & 0x40:
            self.u32()
        return value

    def extension_object(self) -> None:
        self.node_id()
        encoding = self.u8()
        if encoding in (1, 2):
            self.bytestring()
        elif encoding != 0:
            raise ScannerError(f"invalid ExtensionObject encoding in {self.what}")

    def diagnostic_info(self, depth: int = 0) -> None:
        if depth > 8:
            raise ScannerError(f"DiagnosticInfo nested too deep in {self.what}")
        mask = self.u8()
        for bit in (0x01, 0x02, 0x04, 0x08):
            if mask & bit:
                self.i32()
        if mask & 0x10:
            self.string()
        if mask & 0x20:
            self.u32()
        if mask & 0x40:
            self.diagnostic_info(depth + 1)

    def localized_text(self) -> str | None:
        mask = self.u8()
        if mask & 0x01:
            self.string()
        return self.string() if mask & 0x02 else None

    def response_header(self) -> int:
        """Skip a ResponseHeader; returns its ServiceResult status code."""
        self.take(8)
        self.u32()
        status = self.u32()
        self.diagnostic_info()
        for _ in range(self.array_size()):
            self.string()
        self.extension_object()
        return status


@dataclass(slots=True)
class UserTokenPolicy:
    policy_id: str
    token_type: str
    security_policy_uri: str


@dataclass(slots=True)
class EndpointDescription:
    url: str
    application_uri: str
    product_uri: str
    application_name: str
    certificate: bytes | None
    security_mode: str
    security_policy_uri: str
    tokens: list[UserTokenPolicy] = field(default_factory=list)
    transport_profile: str = ""
    security_level: int = 0

    @property
    def security_policy(self) -> str:
        return self.security_policy_uri.rsplit("#", 1)[-1] if self.security_policy_uri else ""


def parse_get_endpoints_response(body: bytes) -> list[EndpointDescription]:
    """Endpoints from a GetEndpoints response body (after the symmetric headers)."""
    dec = Decoder(body, "GetEndpoints response")
    type_id = dec.node_id()
    if type_id == SERVICE_FAULT:
        status = dec.response_header()
        raise ScannerError(f"server refused GetEndpoints (status 0x{status:08x})")
    if type_id != GET_ENDPOINTS_RESPONSE:
        raise ScannerError(f"unexpected response type {type_id} to GetEndpoints")
    status = dec.response_header()
    if status & 0x80000000:
        raise ScannerError(f"GetEndpoints failed with status 0x{status:08x}")
    endpoints: list[EndpointDescription] = []
    for _ in range(dec.array_size()):
        url = dec.string() or ""
        app_uri, product_uri = dec.string() or "", dec.string() or ""
        app_name = dec.localized_text() or ""
        dec.u32()  # application type
        dec.string()  # gateway server uri
        dec.string()  # discovery profile uri
        for _ in range(dec.array_size()):
            dec.string()  # discovery urls
        certificate = dec.bytestring()
        mode = SECURITY_MODES.get(dec.u32(), "Invalid")
        policy = dec.string() or ""
        tokens: list[UserTokenPolicy] = []
        for _ in range(dec.array_size()):
            policy_id = dec.string() or ""
            token_type = TOKEN_TYPES.get(dec.u32(), "unknown")
            dec.string()  # issued token type
            dec.string()  # issuer endpoint url
            tokens.append(UserTokenPolicy(policy_id, token_type, dec.string() or ""))
        transport = dec.string() or ""
        level = dec.u8()
        endpoints.append(
            EndpointDescription(
                url, app_uri, product_uri, app_name, certificate, mode, policy, tokens, transport, level
            )
        )
    return endpoints


@dataclass(slots=True)
class Chunk:
    kind: bytes
    final: bytes
    body: bytes


def parse_chunk_header(header: bytes) -> tuple[bytes, bytes, int]:
    """(message type, chunk type, body size) of an 8-byte OPC UA TCP header."""
    kind, final, size = header[:3], header[3:4], struct.unpack("<I", header[4:8])[0]
    if kind not in (b"ACK", b"ERR", b"OPN", b"MSG", b"CLO") or final not in (b"F", b"C", b"A"):
        raise ScannerError(f"peer does not speak OPC UA binary (first bytes {header.hex()})")
    if size < 8 or size > MAX_CHUNK:
        raise ScannerError(f"OPC UA chunk of {size} bytes out of bounds")
    return kind, final, size - 8


def parse_error(body: bytes) -> str:
    dec = Decoder(body, "ERR message")
    status = dec.u32()
    reason = dec.string() or ""
    return f"server error 0x{status:08x} {reason[:200]}".strip()


def parse_open_response(body: bytes) -> tuple[int, int]:
    """(secure channel id, token id) from an OPN response chunk body (after the message header)."""
    dec = Decoder(body, "OpenSecureChannel response")
    dec.u32()  # secure channel id (repeated in the token)
    dec.string()  # security policy uri
    dec.bytestring()
    dec.bytestring()
    dec.take(8)  # sequence header
    type_id = dec.node_id()
    status = dec.response_header()
    if type_id == SERVICE_FAULT or status & 0x80000000:
        raise ScannerError(f"server refused a SecurityPolicy None channel (status 0x{status:08x})")
    if type_id != OPN_RESPONSE:
        raise ScannerError(f"unexpected response type {type_id} to OpenSecureChannel")
    dec.u32()  # server protocol version
    channel, token = dec.u32(), dec.u32()
    return channel, token
