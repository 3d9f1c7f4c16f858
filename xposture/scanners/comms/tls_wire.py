"""TLS on the wire, built by hand: ClientHellos for every version, and a bounded reader for the answers.

The local OpenSSL refuses to offer SSLv3, TLS 1.0/1.1 or NULL/EXPORT/RC4
suites, so a posture scanner cannot ask with ``ssl``: it writes the
ClientHello itself (RFC 5246 7.4.1.2, RFC 8446 4.1.2) and reads only as far as
the ServerHello, or to the end of the server's certificate chain. For a
TLS 1.3-only server the chain is encrypted, so this module also runs the
TLS 1.3 key schedule (RFC 8446 7.1) far enough to decrypt the server's
handshake flight. Every length read from the peer is bounded: a hostile or
broken server produces a ``ScannerError``, never an exception of another kind
or unbounded memory.
"""

from __future__ import annotations

import os
import struct
from collections.abc import Sequence
from dataclasses import dataclass, field

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, x25519
from cryptography.hazmat.primitives.ciphers.aead import AESGCM, ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.hkdf import HKDFExpand

from xposture.errors import ScannerError
from xposture.scanners.comms.wire import Cursor

SSL3, TLS10, TLS11, TLS12, TLS13 = 0x0300, 0x0301, 0x0302, 0x0303, 0x0304
VERSION_NAMES = {SSL3: "SSLv3", TLS10: "TLSv1.0", TLS11: "TLSv1.1", TLS12: "TLSv1.2", TLS13: "TLSv1.3"}

CHANGE_CIPHER_SPEC, ALERT, HANDSHAKE, APPLICATION_DATA = 20, 21, 22, 23
SERVER_HELLO, CERTIFICATE, SERVER_HELLO_DONE, ENCRYPTED_EXTENSIONS = 2, 11, 14, 8
X25519, SECP256R1, SECP384R1, SECP521R1, X448, FFDHE2048, FFDHE3072 = 0x1D, 0x17, 0x18, 0x19, 0x1E, 0x100, 0x101
HRR_RANDOM = bytes.fromhex("cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c")

MAX_RECORD = (1 << 14) + 2048
"""Largest record a conforming peer may send (RFC 5246 6.2.3)."""
DEFAULT_MAX_HANDSHAKE_BYTES = 256 * 1024
"""Stop reading a server's first flight beyond this: no honest certificate chain is larger."""

# Signature schemes offered: everything, including SHA-1 and MD5, so that old servers still answer.
_SIGNATURE_SCHEMES = (
    0x0403, 0x0503, 0x0603, 0x0807, 0x0808, 0x0804, 0x0805, 0x0806, 0x0809, 0x080A, 0x080B,
    0x0401, 0x0501, 0x0601, 0x0203, 0x0201, 0x0202, 0x0402, 0x0502, 0x0602, 0x0101,
)  # fmt: skip
_GROUPS = (X25519, SECP256R1, SECP384R1, SECP521R1, X448, FFDHE2048, FFDHE3072)


def _u8(data: bytes) -> bytes:
    return struct.pack("!B", len(data)) + data


def _u16(data: bytes) -> bytes:
    return struct.pack("!H", len(data)) + data


def _u24(data: bytes) -> bytes:
    return struct.pack("!I", len(data))[1:] + data


def _extension(kind: int, body: bytes) -> bytes:
    return struct.pack("!H", kind) + _u16(body)


def _u16_list(values: Sequence[int]) -> bytes:
    return b"".join(struct.pack("!H", v) for v in values)


@dataclass(slots=True)
class KeyShares:
    """Our ephemeral TLS 1.3 keys: real ones when we must decrypt, random bytes when we only ask."""

    public: dict[int, bytes]
    x25519_private: x25519.X25519PrivateKey | None = None
    p256_private: ec.EllipticCurvePrivateKey | None = None

    @classmethod
    def probe_only(cls) -> KeyShares:
        """Any 32 bytes are a valid X25519 share; the server answers without us doing any maths."""
        return cls(public={X25519: os.urandom(32)})

    @classmethod
    def real(cls) -> KeyShares:
        xk = x25519.X25519PrivateKey.generate()
        pk = ec.generate_private_key(ec.SECP256R1())
        public = {
            X25519: xk.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw),
            SECP256R1: pk.public_key().public_bytes(
                serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
            ),
        }
        return cls(public=public, x25519_private=xk, p256_private=pk)

    def shared_secret(self, group: int, peer: bytes) -> bytes:
        try:
            if group == X25519 and self.x25519_private is not None:
                return self.x25519_private.exchange(x25519.X25519PublicKey.from_public_bytes(peer))
            if group == SECP256R1 and self.p256_private is not None:
                point = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), peer)
                return self.p256_private.exchange(ec.ECDH(), point)
        except ValueError as exc:
            raise ScannerError(f"server key share is invalid: {exc}") from exc
        raise ScannerError(f"server chose key share group 0x{group:04x} we did not offer")


@dataclass(slots=True)
class ClientHello:
    record: bytes
    handshake: bytes


def client_hello(
    version: int,
    suites: Sequence[int],
    server_name: str | None = None,
    key_shares: KeyShares | None = None,
) -> ClientHello:
    """A ClientHello offering ``suites`` at ``version``; with ``key_shares`` it offers TLS 1.3 only.

    SSLv3 hellos carry no extensions (SSLv3 stacks predate them); the others
    carry SNI, groups, point formats, signature schemes and secure
    renegotiation so that picky servers still answer.
    """
    legacy_version = min(version, TLS12)
    body = struct.pack("!H", legacy_version) + os.urandom(32) + _u8(os.urandom(32))
    body += _u16(_u16_list(suites)) + _u8(b"\x00")
    if version != SSL3:
        extensions = b""
        if server_name:
            name = server_name.encode("idna")
            extensions += _extension(0, _u16(b"\x00" + _u16(name)))
        extensions += _extension(10, _u16(_u16_list(_GROUPS)))
        extensions += _extension(11, _u8(b"\x00"))
        extensions += _extension(13, _u16(_u16_list(_SIGNATURE_SCHEMES)))
        extensions += _extension(23, b"")
        extensions += _extension(0xFF01, b"\x00")
        if key_shares is not None:
            extensions += _extension(43, _u8(struct.pack("!H", TLS13)))
            extensions += _extension(45, _u8(b"\x01"))
            shares = b"".join(struct.pack("!H", g) + _u16(k) for g, k in key_shares.public.items())
            extensions += _extension(51, _u16(shares))
        body += _u16(extensions)
    handshake = struct.pack("!B", 1) + _u24(body)
    record_version = SSL3 if version == SSL3 else TLS10
    record = struct.pack("!BH", HANDSHAKE, record_version) + _u16(handshake)
    return ClientHello(record, handshake)


@dataclass(slots=True)
class ServerHello:
    version: int
    suite: int
    retry_request: bool = False
    key_share_group: int | None = None
    key_share: bytes = b""
    extensions: list[int] = field(default_factory=list)


def parse_server_hello(body: bytes) -> ServerHello:
    """Negotiated version (honouring supported_versions), suite and TLS 1.3 key share of a ServerHello body."""
    cur = Cursor(body, "ServerHello")
    version = cur.u16()
    random = cur.take(32)
    cur.vec(1)
    suite = cur.u16()
    cur.u8()
    hello = ServerHello(version, suite, retry_request=random == HRR_RANDOM)
    if cur.left >= 2:
        ext = Cursor(cur.vec(2), "ServerHello extensions")
        while ext.left:
            kind, data = ext.u16(), ext.vec(2)
            hello.extensions.append(kind)
            if kind == 43 and len(data) == 2:
                hello.version = int.from_bytes(data, "big")
            elif kind == 51 and len(data) >= 2:
                share = Cursor(data, "key_share")
                hello.key_share_group = share.u16()
                if share.left:
                    hello.key_share = share.vec(2)
    return hello


def parse_certificate_list(body: bytes, tls13: bool) -> list[bytes]:
    """DER certificates of a Certificate handshake message (TLS 1.3 adds a context and per-entry extensions)."""
    cur = Cursor(body, "Certificate message")
    if tls13:
        cur.vec(1)
    entries = Cursor(cur.vec(3), "certificate list")
    chain: list[bytes] = []
    while entries.left:
        chain.append(entries.vec(3))
        if tls13:
            entries.vec(2)
    return chain


def _hkdf_expand_label(secret: bytes, label: str, context: bytes, length: int, hash_alg: hashes.HashAlgorithm) -> bytes:
    info = struct.pack("!H", length) + _u8(b"tls13 " + label.encode()) + _u8(context)
    return HKDFExpand(hash_alg, length, info).derive(secret)


def _hkdf_extract(salt: bytes, ikm: bytes, hash_alg: hashes.HashAlgorithm) -> bytes:
    from cryptography.hazmat.primitives import hmac

    mac = hmac.HMAC(salt or b"\x00" * hash_alg.digest_size, hash_alg)
    mac.update(ikm)
    return mac.finalize()


def _digest(data: bytes, hash_alg: hashes.HashAlgorithm) -> bytes:
    h = hashes.Hash(hash_alg)
    h.update(data)
    return h.finalize()


@dataclass(slots=True)
class Tls13Decryptor:
    """Server handshake traffic keys (RFC 8446 7.1/7.3) for reading EncryptedExtensions and Certificate."""

    aead: AESGCM | ChaCha20Poly1305
    iv: bytes
    seq: int = 0

    @classmethod
    def create(cls, suite: int, shared: bytes, transcript: bytes) -> Tls13Decryptor:
        hash_alg: hashes.HashAlgorithm = hashes.SHA384() if suite == 0x1302 else hashes.SHA256()
        size = hash_alg.digest_size
        early = _hkdf_extract(b"", b"\x00" * size, hash_alg)
        derived = _hkdf_expand_label(early, "derived", _digest(b"", hash_alg), size, hash_alg)
        handshake_secret = _hkdf_extract(derived, shared, hash_alg)
        traffic = _hkdf_expand_label(handshake_secret, "s hs traffic", _digest(transcript, hash_alg), size, hash_alg)
        iv = _hkdf_expand_label(traffic, "iv", b"", 12, hash_alg)
        aead: AESGCM | ChaCha20Poly1305
        if suite == 0x1303:
            aead = ChaCha20Poly1305(_hkdf_expand_label(traffic, "key", b"", 32, hash_alg))
        elif suite in (0x1301, 0x1302):
            aead = AESGCM(_hkdf_expand_label(traffic, "key", b"", 32 if suite == 0x1302 else 16, hash_alg))
        else:
            raise ScannerError(f"cannot decrypt TLS 1.3 suite 0x{suite:04x} (CCM)")
        return cls(aead, iv)

    def open(self, header: bytes, payload: bytes) -> tuple[int, bytes]:
        """Decrypt one record: (inner content type, plaintext)."""
        nonce = bytes(a ^ b for a, b in zip(self.iv, self.seq.to_bytes(12, "big"), strict=True))
        self.seq += 1
        try:
            plain = self.aead.decrypt(nonce, payload, header)
        except Exception as exc:
            raise ScannerError("cannot decrypt the server's TLS 1.3 handshake (bad key share or tampering)") from exc
        stripped = plain.rstrip(b"\x00")
        if not stripped:
            raise ScannerError("TLS 1.3 record without content type")
        return stripped[-1], stripped[:-1]


@dataclass(slots=True)
class HelloOutcome:
    """What one ClientHello got back."""

    server_hello: ServerHello | None = None
    alert: int | None = None
    certificates: list[bytes] = field(default_factory=list)
    closed: bool = False

    @property
    def version(self) -> int | None:
        return self.server_hello.version if self.server_hello else None

    @property
    def suite(self) -> int | None:
        return self.server_hello.suite if self.server_hello else None


class HandshakeReader:
    """Feeds the server's bytes through record and handshake framing, keeping only what posture needs."""

    def __init__(
        self,
        hello: ClientHello,
        *,
        want_certificates: bool,
        key_shares: KeyShares | None = None,
        max_bytes: int = DEFAULT_MAX_HANDSHAKE_BYTES,
    ) -> None:
        self.outcome = HelloOutcome()
        self.want_certificates = want_certificates
        self.key_shares = key_shares
        self.max_bytes = max_bytes
        self.total = 0
        self.transcript = hello.handshake
        self.plain = b""  # handshake bytes not yet framed into messages
        self.decryptor: Tls13Decryptor | None = None
        self.done = False

    def record(self, header: bytes, payload: bytes) -> None:
        """Consume one record; sets ``done`` once the outcome is known."""
        content_type = header[0]
        self.total += len(header) + len(payload)
        if self.total > self.max_bytes:
            raise ScannerError(f"server's handshake exceeds {self.max_bytes} bytes (enormous certificate chain?)")
        if content_type == ALERT:
            if len(payload) >= 2:
                self.outcome.alert = payload[1]
            self.done = True
            return
        if content_type == CHANGE_CIPHER_SPEC:
            return
        if content_type == APPLICATION_DATA and self.decryptor is not None:
            inner, plain = self.decryptor.open(header, payload)
            if inner == ALERT:
                self.outcome.alert = plain[1] if len(plain) >= 2 else None
                self.done = True
                return
            if inner != HANDSHAKE:
                raise ScannerError(f"unexpected encrypted content type {inner} in TLS 1.3 handshake")
            self._handshake_bytes(plain)
            return
        if content_type != HANDSHAKE:
            raise ScannerError(f"unexpected TLS content type {content_type} before the handshake finished")
        self._handshake_bytes(payload)

    def _handshake_bytes(self, data: bytes) -> None:
        self.plain += data
        while len(self.plain) >= 4 and not self.done:
            size = int.from_bytes(self.plain[1:4], "big")
            if size > self.max_bytes:
                raise ScannerError(f"handshake message of {size} bytes exceeds {self.max_bytes} (enormous chain?)")
            if len(self.plain) < 4 + size:
                return
            message, self.plain = self.plain[: 4 + size], self.plain[4 + size :]
            self._message(message[0], message[4:], message)

    def _message(self, kind: int, body: bytes, whole: bytes) -> None:
        out = self.outcome
        if out.server_hello is None:
            if kind != SERVER_HELLO:
                raise ScannerError(f"expected ServerHello, got handshake message type {kind}")
            out.server_hello = parse_server_hello(body)
            hello = out.server_hello
            if not self.want_certificates or hello.retry_request:
                self.done = True
            elif hello.version == TLS13:
                if self.key_shares is None or hello.key_share_group is None:
                    self.done = True
                    return
                shared = self.key_shares.shared_secret(hello.key_share_group, hello.key_share)
                self.decryptor = Tls13Decryptor.create(hello.suite, shared, self.transcript + whole)
            return
        if kind == CERTIFICATE:
            out.certificates = parse_certificate_list(body, tls13=out.server_hello.version == TLS13)
            self.done = True
        elif kind == SERVER_HELLO_DONE:
            self.done = True  # no Certificate message: anonymous or PSK suite


def parse_record_header(header: bytes) -> int:
    """Length of the record that follows ``header``; anything not TLS-shaped is garbage."""
    if len(header) != 5:
        raise ScannerError("truncated TLS record header")
    content_type, major, length = header[0], header[1], int.from_bytes(header[3:5], "big")
    if content_type not in (CHANGE_CIPHER_SPEC, ALERT, HANDSHAKE, APPLICATION_DATA) or major != 3:
        raise ScannerError(f"peer does not speak TLS (first bytes {header[:5].hex()})")
    if length > MAX_RECORD:
        raise ScannerError(f"TLS record of {length} bytes exceeds the protocol maximum")
    return length


# SSL 2.0 (draft-hickman-netscape-ssl-00): every cipher kind it has is broken; DROWN (CVE-2016-0800) uses
# an SSLv2-enabled server to decrypt TLS sessions that share its RSA key.
SSL2_CIPHERS = {
    0x010080: "SSL_CK_RC4_128_WITH_MD5",
    0x020080: "SSL_CK_RC4_128_EXPORT40_WITH_MD5",
    0x030080: "SSL_CK_RC2_128_CBC_WITH_MD5",
    0x040080: "SSL_CK_RC2_128_CBC_EXPORT40_WITH_MD5",
    0x050080: "SSL_CK_IDEA_128_CBC_WITH_MD5",
    0x060040: "SSL_CK_DES_64_CBC_WITH_MD5",
    0x0700C0: "SSL_CK_DES_192_EDE3_CBC_WITH_MD5",
}
SSL2_CLIENT_HELLO, SSL2_SERVER_HELLO = 1, 4


def sslv2_client_hello() -> bytes:
    """An SSL 2.0 CLIENT-HELLO offering every SSLv2 cipher kind (2-byte record header, no padding)."""
    specs = b"".join(code.to_bytes(3, "big") for code in SSL2_CIPHERS)
    challenge = os.urandom(16)
    body = struct.pack("!BHHHH", SSL2_CLIENT_HELLO, 0x0002, len(specs), 0, len(challenge)) + specs + challenge
    return struct.pack("!H", 0x8000 | len(body)) + body


@dataclass(slots=True)
class Ssl2ServerHello:
    ciphers: list[int]
    certificate: bytes


def sslv2_record_length(header: bytes) -> int | None:
    """Body length of an SSLv2 record with a 2-byte header, or None when the bytes are not one."""
    if len(header) != 2 or not header[0] & 0x80:
        return None
    return ((header[0] & 0x7F) << 8) | header[1]


def parse_sslv2_server_hello(body: bytes) -> Ssl2ServerHello:
    """Cipher kinds and certificate of an SSL 2.0 SERVER-HELLO body."""
    cur = Cursor(body, "SSLv2 SERVER-HELLO")
    if cur.u8() != SSL2_SERVER_HELLO:
        raise ScannerError("expected an SSLv2 SERVER-HELLO")
    cur.u8()  # session id hit
    cur.u8()  # certificate type
    cur.u16()  # version
    cert_len, specs_len, conn_len = cur.u16(), cur.u16(), cur.u16()
    certificate = cur.take(cert_len)
    specs = cur.take(specs_len)
    cur.take(conn_len)
    if specs_len % 3:
        raise ScannerError("SSLv2 cipher specs not a multiple of 3 bytes")
    ciphers = [int.from_bytes(specs[i : i + 3], "big") for i in range(0, specs_len, 3)]
    return Ssl2ServerHello(ciphers, certificate)
