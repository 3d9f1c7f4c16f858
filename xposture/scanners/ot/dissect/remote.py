"""Handshakes that identify remote-access and encrypted sessions: TLS hellos, SSH banners, RFB, RDP."""

from __future__ import annotations

from xposture.scanners.ot.dissect.base import ParseError, need, text

TLS_VERSIONS = {
    0x0002: "SSLv2",
    0x0300: "SSLv3",
    0x0301: "TLSv1.0",
    0x0302: "TLSv1.1",
    0x0303: "TLSv1.2",
    0x0304: "TLSv1.3",
}


def tls_hello(data: bytes) -> dict[str, str | int]:
    """``kind`` (client/server), ``version`` and for clients the SNI, from the first TLS record.

    SSLv2-framed ClientHellos are recognised too, since legacy stacks in OT
    gear still send them.
    """
    need(data, 6, "tls record")
    if data[0] & 0x80 and data[2] == 1:
        return {"kind": "client", "version": TLS_VERSIONS.get(int.from_bytes(data[3:5], "big"), "SSLv2")}
    if data[0] & 0x80 and data[2] == 4:
        return {"kind": "server", "version": "SSLv2"}
    if data[0] in (0x14, 0x15, 0x17) and data[1] == 0x03:
        return {"kind": "other", "version": TLS_VERSIONS.get(int.from_bytes(data[1:3], "big"), "unknown")}
    if data[0] != 0x16 or data[1] != 0x03:
        raise ParseError("not a TLS handshake record")
    end = min(len(data), 5 + int.from_bytes(data[3:5], "big"))
    need(data, 11, "tls handshake")
    hs_type = data[5]
    if hs_type not in (1, 2):
        raise ParseError("not a hello")
    version = int.from_bytes(data[9:11], "big")
    pos = 11 + 32
    need(data, pos + 1, "tls session id")
    pos += 1 + data[pos]
    result: dict[str, str | int] = {"kind": "client" if hs_type == 1 else "server"}
    if hs_type == 1:
        need(data, pos + 2, "tls cipher suites")
        pos += 2 + int.from_bytes(data[pos : pos + 2], "big")
        need(data, pos + 1, "tls compression")
        pos += 1 + data[pos]
    else:
        need(data, pos + 3, "tls cipher")
        result["cipher"] = f"0x{int.from_bytes(data[pos : pos + 2], 'big'):04x}"
        pos += 3
    if pos + 2 <= end:
        ext_end = min(end, pos + 2 + int.from_bytes(data[pos : pos + 2], "big"))
        pos += 2
        while pos + 4 <= ext_end:
            ext_type = int.from_bytes(data[pos : pos + 2], "big")
            length = int.from_bytes(data[pos + 2 : pos + 4], "big")
            body = data[pos + 4 : pos + 4 + length]
            if ext_type == 0 and hs_type == 1 and len(body) > 5:
                result["sni"] = text(body[5 : 5 + int.from_bytes(body[3:5], "big")])
            elif ext_type == 43 and hs_type == 2 and len(body) == 2:
                version = int.from_bytes(body, "big")
            pos += 4 + length
    result["version"] = TLS_VERSIONS.get(version, f"0x{version:04x}")
    return result


def ssh_banner(data: bytes) -> tuple[str, str]:
    """``(protocol_version, software)`` of an SSH identification string (``SSH-2.0-OpenSSH_8.9``)."""
    if not data.startswith(b"SSH-"):
        raise ParseError("not an SSH banner")
    line = text(data.split(b"\n", 1)[0])
    parts = line.split("-", 2)
    if len(parts) < 3:
        raise ParseError("short SSH banner")
    return parts[1], parts[2]


def rfb_version(data: bytes) -> str:
    """``3.8`` from a VNC/RFB ``RFB 003.008`` greeting."""
    if len(data) < 12 or not data.startswith(b"RFB ") or data[7:8] != b".":
        raise ParseError("not an RFB greeting")
    try:
        return f"{int(data[4:7])}.{int(data[8:11])}"
    except ValueError:
        raise ParseError("bad RFB version") from None


def rdp_cookie(data: bytes) -> str:
    """User name from the ``Cookie: mstshash=`` of an RDP X.224 connection request ('' if none)."""
    need(data, 11, "rdp x.224")
    if data[0] != 3 or data[5] != 0xE0:
        raise ParseError("not an X.224 connection request")
    marker = data.find(b"Cookie: mstshash=")
    if marker < 0:
        return ""
    return text(data[marker + 17 :].split(b"\r\n", 1)[0])
