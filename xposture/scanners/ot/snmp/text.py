"""Make strings that came from an agent safe to store and to show.

sysDescr, sysName, LLDP names... are whatever the device (or an attacker on
the wire) put there: escape sequences that repaint a terminal, NUL bytes,
megabytes of padding. We strip control and escape sequences, collapse
whitespace and cap the length, and say when we did.
"""

from __future__ import annotations

import re

MAX_TEXT = 1024
"""Longest string kept from one agent value; longer values are truncated and flagged."""

# CSI (ESC [ ... final), OSC (ESC ] ... BEL/ST), other two-byte ESC sequences, and 8-bit CSI.
_ESCAPES = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[@-_]|\x9b[0-?]*[ -/]*[@-~]")
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069]")
_SPACES = re.compile(r"\s+")
_LAYOUT = str.maketrans("\r\n\t", "   ")


def decode_octets(raw: bytes) -> str:
    """Bytes to text: UTF-8 when valid, else Latin-1 (every byte maps, nothing raises)."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def clean_text(value: str | bytes, limit: int = MAX_TEXT) -> tuple[str, bool]:
    """Return ``(safe text, changed)``; ``changed`` is True when escapes were removed or it was truncated."""
    text = decode_octets(value) if isinstance(value, bytes) else value
    stripped = _CONTROLS.sub(" ", _ESCAPES.sub("", text))
    collapsed = _SPACES.sub(" ", stripped).strip()
    hostile = bool(_ESCAPES.search(text)) or bool(_CONTROLS.search(text.translate(_LAYOUT)))
    truncated = len(collapsed) > limit
    if truncated:
        collapsed = collapsed[:limit] + "…"
    return collapsed, hostile or truncated


def safe_text(value: str | bytes, limit: int = MAX_TEXT) -> str:
    """``clean_text`` without the flag, for values whose alteration is not worth an error line."""
    return clean_text(value, limit)[0]


def printable_ratio(raw: bytes) -> float:
    """Share of printable ASCII bytes: tells a text OCTET STRING from a binary one (MAC, engine id)."""
    if not raw:
        return 1.0
    printable = sum(1 for b in raw if 32 <= b < 127 or b in (9, 10, 13))
    return printable / len(raw)


def format_mac(raw: bytes) -> str | None:
    """Six bytes as ``aa:bb:cc:dd:ee:ff``; None for anything else (or the all-zero MAC)."""
    if len(raw) != 6 or raw == b"\x00" * 6:
        return None
    return ":".join(f"{b:02x}" for b in raw)
