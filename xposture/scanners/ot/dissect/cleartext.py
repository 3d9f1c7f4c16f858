"""Line-oriented cleartext protocols: FTP commands/replies, Telnet option stripping, HTTP requests/responses."""

from __future__ import annotations

import base64
import binascii

from xposture.scanners.ot.dissect.base import ParseError, text

HTTP_METHODS = (b"GET ", b"POST ", b"PUT ", b"DELETE ", b"HEAD ", b"OPTIONS ", b"PATCH ", b"CONNECT ", b"TRACE ")


def lines(data: bytes) -> list[bytes]:
    """Complete CRLF/LF-terminated lines (a trailing partial line is dropped)."""
    parts = data.split(b"\n")
    return [p.rstrip(b"\r") for p in parts[:-1]]


def ftp_command(line: bytes) -> tuple[str, bytes]:
    """``(VERB, argument)`` of an FTP client line."""
    verb, _, argument = line.partition(b" ")
    if not verb.isalpha() or len(verb) > 6:
        raise ParseError("not an FTP command")
    return verb.decode("ascii").upper(), argument


def reply_code(line: bytes) -> int:
    """Numeric code of an FTP/SMTP-style server reply line."""
    if len(line) < 3 or not line[:3].isdigit():
        raise ParseError("not a numbered reply")
    return int(line[:3])


def strip_telnet(data: bytes) -> bytes:
    """Telnet data with IAC option negotiation removed (IAC IAC kept as one 0xFF)."""
    out = bytearray()
    i = 0
    n = len(data)
    while i < n:
        byte = data[i]
        if byte != 0xFF:
            out.append(byte)
            i += 1
            continue
        if i + 1 >= n:
            break
        command = data[i + 1]
        if command == 0xFF:
            out.append(0xFF)
            i += 2
        elif command == 0xFA:
            end = data.find(b"\xff\xf0", i + 2)
            i = n if end < 0 else end + 2
        elif command in (0xFB, 0xFC, 0xFD, 0xFE):
            i += 3
        else:
            i += 2
    return bytes(out)


def is_http_request(data: bytes) -> bool:
    return data.startswith(HTTP_METHODS)


def http_headers(data: bytes) -> tuple[str, dict[str, str]]:
    """Start line and lower-cased headers of an HTTP request or response head."""
    head, _sep, _body = data.partition(b"\r\n\r\n")
    rows = head.split(b"\r\n")
    if not rows or not rows[0]:
        raise ParseError("empty HTTP head")
    headers: dict[str, str] = {}
    for row in rows[1:64]:
        name, colon, value = row.partition(b":")
        if colon:
            headers[text(name).lower()] = text(value)
    return text(rows[0]), headers


def basic_auth(value: str) -> tuple[str, bytes]:
    """``(user, password)`` from an ``Authorization: Basic`` header value."""
    scheme, _, token = value.partition(" ")
    if scheme.lower() != "basic":
        raise ParseError("not basic auth")
    try:
        decoded = base64.b64decode(token.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise ParseError("bad base64 in basic auth") from None
    user, _, password = decoded.partition(b":")
    return text(user), password
