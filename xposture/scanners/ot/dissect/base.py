"""What every payload parser shares: its one error type and safe byte readers."""

from __future__ import annotations

import struct

from xposture.errors import InputError

_CONTROL = dict.fromkeys(range(32))
_CONTROL.update(dict.fromkeys(range(127, 160)))


class ParseError(InputError):
    """A payload is not the protocol we expected or is malformed; the packet is counted, the scan goes on."""

    def __init__(self, message: str) -> None:
        super().__init__(message)


def need(data: bytes, end: int, what: str) -> None:
    """Raise ``ParseError`` unless ``data`` holds ``end`` bytes."""
    if end > len(data):
        raise ParseError(f"{what}: need {end} bytes, have {len(data)}")


def unpack(fmt: struct.Struct, data: bytes, offset: int, what: str) -> tuple[int, ...]:
    """``fmt.unpack_from`` that turns short buffers into ``ParseError``."""
    need(data, offset + fmt.size, what)
    return fmt.unpack_from(data, offset)  # type: ignore[no-any-return]


def text(raw: bytes) -> str:
    """Device-reported bytes as printable text: NULs and padding trimmed, control characters dropped.

    Strings from the wire end up in reports and terminals, so escape sequences
    must not survive (the faces escape markup; we strip the controls here).
    """
    return raw.split(b"\x00", 1)[0].decode("latin-1").translate(_CONTROL).strip()


U8 = struct.Struct("B")
BE16 = struct.Struct(">H")
LE16 = struct.Struct("<H")
BE32 = struct.Struct(">I")
LE32 = struct.Struct("<I")


def ber_tlv(data: bytes, pos: int) -> tuple[int, int, int]:
    """``(tag, value_start, value_end)`` of the BER TLV at ``pos`` (single-byte tags, definite lengths)."""
    need(data, pos + 2, "ber")
    tag, length = data[pos], data[pos + 1]
    pos += 2
    if length & 0x80:
        octets = length & 0x7F
        if not 0 < octets <= 3:
            raise ParseError("ber: unsupported length")
        need(data, pos + octets, "ber length")
        length = int.from_bytes(data[pos : pos + octets], "big")
        pos += octets
    need(data, pos + length, "ber value")
    return tag, pos, pos + length
