"""Bounds-checked reading of a peer's bytes, shared by the TLS, SSH, IKE and OPC UA parsers.

Every length a peer sends is a claim; reading past the data it actually
sent is the peer's fault and becomes a ``ScannerError`` naming what was
being read, never an ``IndexError`` or a silent short read.
"""

from __future__ import annotations

from typing import Literal

from xposture.errors import ScannerError


class Cursor:
    """Sequential reader over one message; ``little`` selects the byte order of its integers."""

    def __init__(self, data: bytes, what: str, *, little: bool = False) -> None:
        self.data, self.pos, self.what = data, 0, what
        self.order: Literal["little", "big"] = "little" if little else "big"

    def take(self, size: int) -> bytes:
        if size < 0 or self.pos + size > len(self.data):
            raise ScannerError(f"truncated {self.what}")
        chunk = self.data[self.pos : self.pos + size]
        self.pos += size
        return chunk

    def uint(self, size: int) -> int:
        return int.from_bytes(self.take(size), self.order)

    def u8(self) -> int:
        return self.take(1)[0]

    def u16(self) -> int:
        return self.uint(2)

    def u24(self) -> int:
        return self.uint(3)

    def u32(self) -> int:
        return self.uint(4)

    def i32(self) -> int:
        return int.from_bytes(self.take(4), self.order, signed=True)

    def vec(self, length_size: int) -> bytes:
        """A length-prefixed byte string (TLS ``opaque<..>``, SSH ``string``)."""
        return self.take(self.uint(length_size))

    @property
    def left(self) -> int:
        return len(self.data) - self.pos
