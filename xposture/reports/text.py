"""Terminal-safe text: strings from scanned data must never drive the terminal or Rich markup."""

from __future__ import annotations

import re

# C0/C1 controls (ESC starts ANSI sequences), DEL, and bidi overrides that can reorder what people read.
_UNSAFE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def terminal_safe(value: object, limit: int = 400) -> str:
    """Printable text for a terminal: control and escape characters shown as ``\\xNN``, long values cut."""
    text = str(value)
    text = _UNSAFE.sub(lambda m: f"\\x{ord(m.group()):02x}", text)
    return text if len(text) <= limit else text[: limit - 1] + "…"
