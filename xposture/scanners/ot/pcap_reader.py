"""Streaming reader for pcap and pcapng files (optionally gzip-compressed).

It never builds packet objects: it hands out ``(linktype, ts, buf, start,
caplen, file_offset)`` views into a reused read buffer, so the header fast
path in :mod:`flows` can decode frames with ``struct.unpack_from`` at a few
hundred thousand packets per second and memory stays flat however large the
capture is. Everything that can go wrong with a file becomes an ``InputError``
naming the file and the byte offset where reading stopped; frames yielded
before that point stay valid.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO, Protocol

from xposture.errors import InputError

CHUNK = 1 << 22
"""Bytes read per refill; large enough that refills cost nothing per packet."""

MAX_FRAME = 1 << 18
"""Larger captured lengths mean a corrupt record header (snaplen is at most 256 KiB in libpcap)."""

LINKTYPE_NULL = 0
LINKTYPE_ETHERNET = 1
LINKTYPE_RAW = 101
LINKTYPE_LOOP = 108
LINKTYPE_LINUX_SLL = 113
LINKTYPE_IPV4 = 228
LINKTYPE_IPV6 = 229
LINKTYPE_LINUX_SLL2 = 276
SUPPORTED_LINKTYPES = frozenset(
    {
        LINKTYPE_NULL,
        LINKTYPE_ETHERNET,
        LINKTYPE_RAW,
        12,
        14,
        LINKTYPE_LOOP,
        LINKTYPE_LINUX_SLL,
        LINKTYPE_IPV4,
        LINKTYPE_IPV6,
        LINKTYPE_LINUX_SLL2,
    }
)

PCAP_MAGICS = {
    b"\xd4\xc3\xb2\xa1": ("<", 1e-6),
    b"\xa1\xb2\xc3\xd4": (">", 1e-6),
    b"\x4d\x3c\xb2\xa1": ("<", 1e-9),
    b"\xa1\xb2\x3c\x4d": (">", 1e-9),
}
PCAPNG_SHB = b"\x0a\x0d\x0d\x0a"
GZIP_MAGIC = b"\x1f\x8b"

Frame = tuple[int, float, bytes, int, int, int]
"""``(linktype, timestamp_s, buffer, start, caplen, file_offset)``; ``buffer`` is valid until the next frame."""

Opener = Callable[[Path], "Stream"]


class Stream(Protocol):
    """What the reader needs from an opened capture: sized reads and closing."""

    def read(self, size: int = -1, /) -> bytes: ...

    def close(self) -> None: ...


def open_capture(path: Path) -> Stream:
    """Open a capture file, transparently decompressing gzip (``.gz`` or by magic)."""
    handle = path.open("rb")
    magic = handle.read(2)
    handle.seek(0)
    if magic == GZIP_MAGIC:
        return Gunzip(handle)
    return handle


class Gunzip:
    """Streaming gzip decompression that keeps every byte before a truncation.

    ``gzip.GzipFile`` discards the data of the read that hits a truncated end;
    feeding ``zlib`` ourselves hands out everything decompressed so far and
    only then reports the truncation. Concatenated gzip members are followed.
    """

    def __init__(self, raw: BinaryIO) -> None:
        self.raw = raw
        self.decompressor = zlib.decompressobj(31)
        self.pending = b""
        self.ended = False
        self.truncated = False

    def read(self, size: int = -1, /) -> bytes:
        while (size < 0 or len(self.pending) < size) and not self.ended:
            chunk = self.raw.read(CHUNK)
            if not chunk:
                self.ended = True
                self.truncated = not self.decompressor.eof
                break
            self.pending += self.decompressor.decompress(chunk)
            while self.decompressor.eof and self.decompressor.unused_data:
                rest = self.decompressor.unused_data
                self.decompressor = zlib.decompressobj(31)
                self.pending += self.decompressor.decompress(rest)
        if not self.pending and self.truncated:
            raise EOFError("compressed file ended before the end-of-stream marker was reached")
        if size < 0:
            size = len(self.pending)
        out, self.pending = self.pending[:size], self.pending[size:]
        return out

    def close(self) -> None:
        self.raw.close()


class _Buffer:
    """A refillable window over a byte stream that tracks the absolute offset of its first byte.

    A read error (truncated gzip, disk error) ends the stream: the bytes
    buffered before it are still handed out, then the error is raised with the
    offset where reading stopped.
    """

    __slots__ = ("base", "data", "eof", "error", "handle", "path")

    def __init__(self, handle: Stream, path: str) -> None:
        self.handle = handle
        self.path = path
        self.data = b""
        self.base = 0
        self.eof = False
        self.error: BaseException | None = None

    def fill(self, pos: int, need: int) -> int:
        """Make sure ``need`` bytes from local position ``pos`` are buffered; return the new local position."""
        if pos + need <= len(self.data):
            return pos
        rest = self.data[pos:]
        self.base += pos
        if self.eof:
            self.data = rest
            if self.error is not None:
                raise InputError(f"cannot read capture: {self.error}", file=self.path, offset=self.base + len(rest))
            return 0
        parts = [rest]
        wanted = max(CHUNK, need)
        got = 0
        while got < wanted:
            try:
                piece = self.handle.read(wanted - got)
            except (OSError, EOFError, zlib.error) as exc:
                self.error, self.eof = exc, True
                break
            if not piece:
                self.eof = True
                break
            parts.append(piece)
            got += len(piece)
        self.data = b"".join(parts)
        if self.eof and self.error is not None and len(self.data) < need:
            raise InputError(f"cannot read capture: {self.error}", file=self.path, offset=self.base + len(self.data))
        return 0


def read_frames(path: Path, opener: Opener = open_capture) -> Iterator[Frame]:
    """Frames of a pcap or pcapng file; ``InputError`` (file, offset) where the file breaks.

    The file is opened and its format recognised at once (so a missing or
    foreign file fails here); the frames then stream from the returned
    generator, which closes the file when it ends (no generator in between:
    delegating each frame would cost more than decoding its headers).
    """
    name = str(path)
    try:
        handle = opener(path)
    except OSError as exc:
        raise InputError(f"cannot open capture: {exc.strerror or exc}", file=name, offset=0) from exc
    try:
        buf = _Buffer(handle, name)
        buf.fill(0, 24)
        head = buf.data[:4]
        if head in PCAP_MAGICS:
            return _read_pcap(buf, head)  # closes the file when it ends
        if head == PCAPNG_SHB:
            return _read_pcapng(buf)
        if len(buf.data) == 0:
            raise InputError("empty file, not a capture", file=name, offset=0)
        raise InputError(f"not a pcap or pcapng file (magic {head.hex()})", file=name, offset=0)
    except BaseException:
        handle.close()
        raise


def _read_pcap(buf: _Buffer, magic: bytes) -> Iterator[Frame]:
    try:
        order, resolution = PCAP_MAGICS[magic]
        if len(buf.data) < 24:
            raise InputError("truncated pcap file header", file=buf.path, offset=0)
        _major, _minor, _zone, _sig, _snaplen, linktype = struct.unpack_from(order + "HHiIII", buf.data, 4)
        linktype &= 0x0FFFFFFF
        if linktype not in SUPPORTED_LINKTYPES:
            raise InputError(f"unsupported link type {linktype}", file=buf.path, offset=20)
        record = struct.Struct(order + "IIII").unpack_from
        pos = 24
        data = buf.data
        size = len(data)
        base = buf.base
        while True:
            if pos + 16 > size:
                pos = buf.fill(pos, 16)
                data, base = buf.data, buf.base
                size = len(data)
                if pos + 16 > size:
                    if pos < size:
                        raise InputError("truncated packet record header", file=buf.path, offset=base + pos)
                    return
            sec, frac, caplen, _origlen = record(data, pos)
            end = pos + 16 + caplen
            if end > size:
                if caplen > MAX_FRAME:
                    raise InputError(
                        f"corrupt packet record (captured length {caplen})", file=buf.path, offset=base + pos
                    )
                pos = buf.fill(pos, 16 + caplen)
                data, base = buf.data, buf.base
                size = len(data)
                end = pos + 16 + caplen
                if end > size:
                    raise InputError(
                        f"truncated packet data ({size - pos - 16} of {caplen} bytes)", file=buf.path, offset=base + pos
                    )
            elif caplen > MAX_FRAME:
                raise InputError(f"corrupt packet record (captured length {caplen})", file=buf.path, offset=base + pos)
            yield linktype, sec + frac * resolution, data, pos + 16, caplen, base + pos
            pos = end
    finally:
        buf.handle.close()


def _read_pcapng(buf: _Buffer) -> Iterator[Frame]:
    """Walk pcapng blocks: section headers set the byte order, interfaces set link type and time resolution."""
    try:
        order = "<"
        interfaces: list[tuple[int, float]] = []
        pos = 0
        while True:
            pos = buf.fill(pos, 12)
            data = buf.data
            if pos + 12 > len(data):
                if pos < len(data):
                    raise InputError("truncated block header", file=buf.path, offset=buf.base + pos)
                return
            block_type = data[pos : pos + 4]
            if block_type == PCAPNG_SHB:
                bom = data[pos + 8 : pos + 12]
                if bom == b"\x4d\x3c\x2b\x1a":
                    order = "<"
                elif bom == b"\x1a\x2b\x3c\x4d":
                    order = ">"
                else:
                    raise InputError("bad byte-order magic in section header", file=buf.path, offset=buf.base + pos + 8)
                interfaces = []
            btype, blen = struct.unpack_from(order + "II", data, pos)
            if blen < 12 or blen % 4 or blen > MAX_FRAME + 64:
                raise InputError(f"corrupt block length {blen}", file=buf.path, offset=buf.base + pos)
            pos = buf.fill(pos, blen)
            data = buf.data
            if pos + blen > len(data):
                raise InputError(
                    f"truncated block ({len(data) - pos} of {blen} bytes)", file=buf.path, offset=buf.base + pos
                )
            if btype == 1:  # interface description
                linktype = struct.unpack_from(order + "H", data, pos + 8)[0]
                interfaces.append((linktype, _tsresol(data, pos + 16, pos + blen - 4, order)))
            elif btype in (6, 2):  # enhanced / obsolete packet block
                iface, ts_hi, ts_lo, caplen = struct.unpack_from(order + "IIII", data, pos + 8)
                if btype == 2:
                    iface &= 0xFFFF
                if iface >= len(interfaces):
                    raise InputError(f"packet on undeclared interface {iface}", file=buf.path, offset=buf.base + pos)
                if 28 + caplen > blen:
                    raise InputError("packet longer than its block", file=buf.path, offset=buf.base + pos)
                linktype, resolution = interfaces[iface]
                if linktype in SUPPORTED_LINKTYPES:
                    yield linktype, ((ts_hi << 32) | ts_lo) * resolution, data, pos + 28, caplen, buf.base + pos
            elif btype == 3:  # simple packet block: interface 0, no timestamp
                if not interfaces:
                    raise InputError("packet before any interface block", file=buf.path, offset=buf.base + pos)
                caplen = min(struct.unpack_from(order + "I", data, pos + 8)[0], blen - 16)
                linktype = interfaces[0][0]
                if linktype in SUPPORTED_LINKTYPES:
                    yield linktype, 0.0, data, pos + 12, caplen, buf.base + pos
            pos += blen
    finally:
        buf.handle.close()


def _tsresol(data: bytes, pos: int, end: int, order: str) -> float:
    """Timestamp resolution from an interface block's ``if_tsresol`` option (default microseconds)."""
    while pos + 4 <= end:
        code, length = struct.unpack_from(order + "HH", data, pos)
        if code == 0:
            break
        if code == 9 and length >= 1:
            value = data[pos + 4]
            return 2.0 ** -(value & 0x7F) if value & 0x80 else 10.0**-value
        pos += 4 + ((length + 3) & ~3)
    return 1e-6
