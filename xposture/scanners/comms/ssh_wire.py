"""SSH transport on the wire (RFC 4253): banner, unencrypted binary packets, KEXINIT, and (EC)DH up to the host key.

The scanner never authenticates and never finishes a key exchange: it reads
the server's KEXINIT (its algorithm lists) and, per host key type, sends an
(EC)DH init so the server answers with its host key blob (RFC 5656 4,
RFC 8731 3, RFC 4253 8 for the fixed MODP groups old embedded servers
still offer alone), then disconnects. Every length from the peer is bounded.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import os
import struct
from dataclasses import dataclass

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, x25519

from xposture.errors import ScannerError
from xposture.scanners.comms import modp
from xposture.scanners.comms.endpoints import read_exactly
from xposture.scanners.comms.wire import Cursor

MSG_DISCONNECT, MSG_IGNORE, MSG_DEBUG, MSG_KEXINIT, MSG_KEX_ECDH_INIT, MSG_KEX_ECDH_REPLY = 1, 2, 4, 20, 30, 31
MAX_PACKET = 35000
"""RFC 4253 6.1: implementations must accept packets of 35000 bytes; anything larger is refused."""
MAX_BANNER_LINES = 32
CLIENT_BANNER = b"SSH-2.0-xposture_posture_probe\r\n"

ECDH_KEX = {
    "curve25519-sha256": "x25519",
    "curve25519-sha256@libssh.org": "x25519",
    "ecdh-sha2-nistp256": "p256",
    "ecdh-sha2-nistp384": "p384",
    "ecdh-sha2-nistp521": "p521",
}
DH_KEX = {
    "diffie-hellman-group14-sha256": 14,
    "diffie-hellman-group16-sha512": 16,
    "diffie-hellman-group14-sha1": 14,
    "diffie-hellman-group1-sha1": 2,
}
"""Fixed-group DH (RFC 4253 8, RFC 8268): KEXDH_INIT/REPLY reuse message numbers 30/31."""
KEX_FOR_HOST_KEY = (*ECDH_KEX, *DH_KEX)
_CURVES = {"p256": ec.SECP256R1(), "p384": ec.SECP384R1(), "p521": ec.SECP521R1()}


class _Cursor(Cursor):
    """SSH data types (RFC 4251 5): ``string`` and comma-separated ``name-list``."""

    def string(self) -> bytes:
        return self.vec(4)

    def name_list(self) -> list[str]:
        raw = self.string()
        try:
            text = raw.decode("ascii")
        except UnicodeDecodeError as exc:
            raise ScannerError(f"non-ASCII name-list in {self.what}") from exc
        return [n for n in text.split(",") if n]


def ssh_string(data: bytes) -> bytes:
    return struct.pack("!I", len(data)) + data


@dataclass(slots=True)
class Banner:
    line: str
    protocol: str
    software: str
    comments: str


def parse_banner(line: bytes) -> Banner:
    """``SSH-protoversion-softwareversion SP comments`` (RFC 4253 4.2)."""
    text = line.rstrip(b"\r\n").decode("utf-8", errors="replace")
    if not text.startswith("SSH-"):
        raise ScannerError("peer does not speak SSH (no SSH- identification)")
    body = text[4:]
    proto, _, rest = body.partition("-")
    software, _, comments = rest.partition(" ")
    return Banner(text, proto, software, comments)


@dataclass(slots=True)
class KexInit:
    kex: list[str]
    host_key: list[str]
    ciphers_c2s: list[str]
    ciphers_s2c: list[str]
    macs_c2s: list[str]
    macs_s2c: list[str]
    compression_c2s: list[str]
    compression_s2c: list[str]


def parse_kexinit(payload: bytes) -> KexInit:
    cur = _Cursor(payload, "KEXINIT")
    if cur.take(1)[0] != MSG_KEXINIT:
        raise ScannerError("expected KEXINIT")
    cur.take(16)
    lists = [cur.name_list() for _ in range(10)]
    return KexInit(*lists[:8])


def build_packet(payload: bytes) -> bytes:
    """Unencrypted binary packet with random padding to a multiple of 8 (RFC 4253 6)."""
    padding = 8 - ((5 + len(payload)) % 8)
    if padding < 4:
        padding += 8
    return struct.pack("!IB", 1 + len(payload) + padding, padding) + payload + os.urandom(padding)


def build_kexinit(kex: str, host_key: str, cipher: str, mac: str) -> bytes:
    lists = [kex, host_key, cipher, cipher, mac, mac, "none", "none", "", ""]
    payload = bytes([MSG_KEXINIT]) + os.urandom(16) + b"".join(ssh_string(n.encode()) for n in lists)
    return payload + b"\x00" + b"\x00\x00\x00\x00"


def mpint(value: int) -> bytes:
    """RFC 4251 5 mpint: big-endian two's complement, a leading zero byte when the top bit is set."""
    raw = value.to_bytes((value.bit_length() + 8) // 8, "big") if value else b""
    return ssh_string(raw)


class EphemeralKey:
    """Our side of the exchange; only its public half (ECDH point or DH ``e``) is ever sent."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        if kind.startswith("modp"):
            p = modp.prime(int(kind.removeprefix("modp")))
            exponent = int.from_bytes(os.urandom(64), "big") | 1
            self.public = mpint(pow(modp.GENERATOR, exponent, p))
        elif kind == "x25519":
            point = x25519.X25519PrivateKey.generate().public_key()
            self.public = ssh_string(point.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw))
        else:
            key = ec.generate_private_key(_CURVES[kind])
            self.public = ssh_string(
                key.public_key().public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
            )


@dataclass(slots=True)
class HostKey:
    type: str
    bits: int
    fingerprint: str

    def label(self) -> str:
        return f"{self.type} {self.bits} {self.fingerprint}"


def _mpint_bits(raw: bytes) -> int:
    return int.from_bytes(raw, "big").bit_length()


def parse_host_key(blob: bytes) -> HostKey:
    """Type and size of a public host key blob (RFC 4253 6.6, RFC 5656 3.1, RFC 8709 4)."""
    cur = _Cursor(blob, "host key")
    kind = cur.string().decode("ascii", errors="replace")
    bits = 0
    if kind == "ssh-rsa":
        cur.string()  # e
        bits = _mpint_bits(cur.string())
    elif kind == "ssh-dss":
        bits = _mpint_bits(cur.string())
    elif kind.startswith("ecdsa-sha2-"):
        curve = cur.string().decode("ascii", errors="replace")
        bits = {"nistp256": 256, "nistp384": 384, "nistp521": 521}.get(curve, 0)
    elif kind == "ssh-ed25519":
        bits = 256
    elif kind == "ssh-ed448":
        bits = 456
    digest = base64.b64encode(hashlib.sha256(blob).digest()).decode().rstrip("=")
    return HostKey(kind, bits, f"SHA256:{digest}")


class SshConnection:
    """One TCP connection speaking just enough SSH to read what the server offers."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, timeout_s: float) -> None:
        self.reader, self.writer, self.timeout_s = reader, writer, timeout_s

    async def _read(self, size: int, what: str) -> bytes:
        return await read_exactly(self.reader, size, self.timeout_s, what)

    async def banner(self) -> Banner:
        """Send ours, read theirs (skipping the pre-banner lines RFC 4253 4.2 allows)."""
        self.writer.write(CLIENT_BANNER)
        for _ in range(MAX_BANNER_LINES):
            try:
                line = await asyncio.wait_for(self.reader.readuntil(b"\n"), self.timeout_s)
            except asyncio.IncompleteReadError as exc:
                raise ScannerError("connection closed before the SSH identification") from exc
            except asyncio.LimitOverrunError as exc:
                raise ScannerError("peer does not speak SSH (overlong line)") from exc
            except TimeoutError as exc:
                raise ScannerError(f"no SSH identification within {self.timeout_s:g} s") from exc
            except ConnectionError as exc:
                raise ScannerError("connection reset before the SSH identification") from exc
            if len(line) > 8192:
                raise ScannerError("peer does not speak SSH (overlong line)")
            if line.startswith(b"SSH-"):
                return parse_banner(line)
        raise ScannerError("peer does not speak SSH (no identification in the first lines)")

    async def packet(self) -> bytes:
        """The next packet's payload, skipping IGNORE/DEBUG; DISCONNECT becomes an error."""
        while True:
            header = await self._read(5, "SSH packet header")
            length, padding = struct.unpack("!IB", header)
            if length > MAX_PACKET or length < padding + 1:
                raise ScannerError(f"peer sent an invalid SSH packet length {length}")
            rest = await self._read(length - 1, "SSH packet")
            payload = rest[: length - 1 - padding]
            if not payload:
                raise ScannerError("empty SSH packet")
            if payload[0] in (MSG_IGNORE, MSG_DEBUG):
                continue
            if payload[0] == MSG_DISCONNECT:
                cur = _Cursor(payload[1:], "DISCONNECT")
                try:
                    cur.u32()
                    reason = cur.string().decode("utf-8", errors="replace")
                except ScannerError:
                    reason = ""
                raise ScannerError(f"server disconnected: {reason[:200]}")
            return payload

    def send(self, payload: bytes) -> None:
        self.writer.write(build_packet(payload))

    async def host_key(self, kex: str, host_key_alg: str, cipher: str, mac: str) -> HostKey:
        """Run (EC)DH far enough for the server's reply and return the host key in it (unverified: we only look)."""
        self.send(build_kexinit(kex, host_key_alg, cipher, mac))
        ours = EphemeralKey(ECDH_KEX[kex] if kex in ECDH_KEX else f"modp{DH_KEX[kex]}")
        self.send(bytes([MSG_KEX_ECDH_INIT]) + ours.public)
        await self.writer.drain()
        for _ in range(8):
            payload = await self.packet()
            if payload[0] == MSG_KEX_ECDH_REPLY:
                return parse_host_key(_Cursor(payload[1:], "KEX_ECDH_REPLY").string())
        raise ScannerError("server did not answer the key exchange")
