"""The header fast path: frames in, conversations, hosts and layer-2 sightings out.

Every frame costs a couple of ``struct.unpack_from`` calls and one dict
lookup; nothing is allocated per packet except the flow key tuple. Payloads
are handed to a protocol analyzer (see :mod:`analyzers`) only for
conversations whose protocol we dissect, and only when ``deep`` is on. Raw
addresses stay ints/bytes until :meth:`Capture.finish` turns them into
strings, so a capture of millions of packets keeps memory proportional to
the number of conversations, not packets.
"""

from __future__ import annotations

import ipaddress
import struct
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from xposture.scanners.ot import ports
from xposture.scanners.ot.dissect.base import ParseError
from xposture.scanners.ot.pcap_reader import Frame

IP4 = struct.Struct("!BxHxxHxBxxII").unpack_from
IP6 = struct.Struct("!xxxxHBx16s16s").unpack_from
TCP = struct.Struct("!HHIxxxxH").unpack_from
UDP = struct.Struct("!HH").unpack_from
H = struct.Struct("!H").unpack_from
LE32 = struct.Struct("<I").unpack_from
BE32 = struct.Struct(">I").unpack_from

MAX_CONNECTIONS = 1 << 18
"""Connection-table entries (two per connection) before idle connections are forgotten."""
IDLE_TIMEOUT_S = 300.0
MAX_SNIFF = 4
"""Payloads of an unlabelled conversation inspected for a protocol signature before giving up."""
VLAN_TAGS = frozenset({0x8100, 0x88A8, 0x9100})
NULL_IPV4 = frozenset({2})
NULL_IPV6 = frozenset({24, 28, 30})
FRAGMENT = 255
"""Pseudo protocol number for non-first IP fragments (no transport header to read)."""
TRANSPORTS = {
    255: "ip_fragment",
    6: "tcp",
    17: "udp",
    1: "icmp",
    58: "icmpv6",
    132: "sctp",
    47: "gre",
    50: "esp",
    2: "igmp",
}
ETHERTYPES = {
    0x0806: "arp",
    0x88CC: "lldp",
    0x8892: "profinet",
    0x88B8: "goose",
    0x88BA: "iec61850_sv",
    0x88F7: "ptp",
    0x88E3: "mrp",
    0x8204: "ethercat",
    0x88A4: "ethercat",
    0x88AB: "powerlink",
    0x2000: "cdp",
    0x0026: "stp",
    0x0000: "llc",
}

Address = int | bytes
Analyzer = Callable[["Capture", "Conversation", "Side", bytes, int, float, int], None]


class Conversation:
    """Traffic between one client and one server port (all connections aggregated), as Zeek's conn log summed up."""

    __slots__ = (
        "answered",
        "attrs",
        "c_bytes",
        "c_pkts",
        "client",
        "client_mac",
        "connections",
        "control",
        "file",
        "first",
        "first_offset",
        "functions",
        "handler",
        "last",
        "malformed",
        "parsed",
        "protocol",
        "reads",
        "rejected",
        "s_bytes",
        "s_pkts",
        "server",
        "server_mac",
        "server_port",
        "sniffed",
        "transport",
        "vlan",
        "writes",
    )

    def __init__(
        self, transport: str, client: Any, server: Any, server_port: int, protocol: str, ts: float, offset: int
    ) -> None:
        self.transport = transport
        self.client = client
        self.server = server
        self.server_port = server_port
        self.protocol = protocol
        self.handler: Analyzer | None = None
        self.client_mac: bytes | str = b""
        self.server_mac: bytes | str = b""
        self.vlan = 0
        self.c_pkts = self.c_bytes = self.s_pkts = self.s_bytes = 0
        self.connections = self.answered = self.rejected = 0
        self.reads = self.writes = self.control = self.malformed = self.parsed = self.sniffed = 0
        self.first = self.last = ts
        self.first_offset = offset
        self.file = ""
        self.functions: dict[str, int] = {}
        self.attrs: dict[str, Any] = {}

    def count(self, name: str, kind: str) -> None:
        """Count one application request by function name and class (read/write/control)."""
        self.functions[name] = self.functions.get(name, 0) + 1
        if kind == "read":
            self.reads += 1
        elif kind == "write":
            self.writes += 1
        elif kind == "control":
            self.control += 1

    def absorb(self, other: Conversation) -> None:
        """Add another file's view of the same conversation."""
        self.c_pkts += other.c_pkts
        self.c_bytes += other.c_bytes
        self.s_pkts += other.s_pkts
        self.s_bytes += other.s_bytes
        self.connections += other.connections
        self.answered += other.answered
        self.rejected += other.rejected
        self.reads += other.reads
        self.writes += other.writes
        self.control += other.control
        self.malformed += other.malformed
        self.parsed += other.parsed
        if other.first < self.first:
            self.first, self.first_offset, self.file = other.first, other.first_offset, other.file
        self.last = max(self.last, other.last)
        for name, n in other.functions.items():
            self.functions[name] = self.functions.get(name, 0) + n
        for key, value in other.attrs.items():
            self.attrs.setdefault(key, value)
        if self.protocol == "unknown":
            self.protocol = other.protocol
        self.client_mac = self.client_mac or other.client_mac
        self.server_mac = self.server_mac or other.server_mac
        self.vlan = self.vlan or other.vlan


class Side:
    """One direction of one transport connection: which conversation it feeds and its reassembly state."""

    __slots__ = ("conv", "is_client", "next_seq", "pending", "seen")

    def __init__(self, conv: Conversation, is_client: bool) -> None:
        self.conv = conv
        self.is_client = is_client
        self.pending = b""
        self.next_seq = -1
        self.seen = False


@dataclass(slots=True)
class Operation:
    """Aggregated control operations of one kind from one source to one device."""

    protocol: str
    operation: str
    client: Any
    server: Any
    port: int
    count: int = 0
    first: float = 0.0
    last: float = 0.0
    file: str = ""
    offset: int = 0
    functions: set[str] = field(default_factory=set)
    targets: set[str] = field(default_factory=set)
    """What was written or acted on (tag names, register ranges), a few of them: evidence for triage."""

    def absorb(self, other: Operation) -> None:
        self.count += other.count
        if other.first < self.first:
            self.first, self.file, self.offset = other.first, other.file, other.offset
        self.last = max(self.last, other.last)
        self.functions |= other.functions
        for target in other.targets:
            if len(self.targets) >= MAX_TARGETS:
                break
            self.targets.add(target)


@dataclass(slots=True)
class Credential:
    """A credential seen in cleartext: who, where, and a salted hash of the secret; never the secret."""

    protocol: str
    kind: str
    client: Any
    server: Any
    port: int
    user: str
    secret_hash: str
    hashes: list[str] = field(default_factory=list)
    anonymous: bool = False
    is_default: bool = False
    attempts: int = 0
    succeeded: bool | None = None
    failed: int = 0
    first: float = 0.0
    last: float = 0.0
    file: str = ""
    offset: int = 0

    def absorb(self, other: Credential) -> None:
        for digest in other.hashes:
            self.add_hash(digest)
        self.attempts += other.attempts
        self.failed += other.failed
        if other.succeeded is not None:
            self.succeeded = bool(self.succeeded) or other.succeeded
        if other.first < self.first:
            self.first, self.file, self.offset = other.first, other.file, other.offset
        self.last = max(self.last, other.last)

    def add_hash(self, digest: str) -> None:
        """Remember a distinct secret (by its salted hash); a few are kept, the count is what matters."""
        if digest and digest not in self.hashes and len(self.hashes) < MAX_HASHES:
            self.hashes.append(digest)


MAX_TARGETS = 16
"""Distinct targets (tags, registers) remembered per operation."""
MAX_HASHES = 32
"""Distinct secrets remembered per user: enough to show password guessing, bounded under brute force."""


@dataclass(slots=True)
class Layer2:
    """Non-IP frames between two MAC addresses of one ethertype (LLDP, PROFINET, GOOSE...)."""

    src: bytes | str
    dst: bytes | str
    ethertype: int
    packets: int = 0
    byte_count: int = 0
    first: float = 0.0
    last: float = 0.0
    file: str = ""
    offset: int = 0
    vlan: int = 0

    def absorb(self, other: Layer2) -> None:
        self.packets += other.packets
        self.byte_count += other.byte_count
        if other.first < self.first:
            self.first, self.file, self.offset = other.first, other.file, other.offset
        self.last = max(self.last, other.last)


@dataclass
class Capture:
    """Everything learnt from capture files: the state the fast path fills and analyzers add to.

    ``hasher`` turns a secret into its salted hash at the moment it is seen,
    so no cleartext secret is kept once the packet is processed.
    """

    hasher: Callable[[bytes], str]
    deep: bool = True
    file: str = ""
    packets: int = 0
    byte_count: int = 0
    non_ip: int = 0
    truncated: int = 0
    first: float = 0.0
    last: float = 0.0
    conversations: dict[tuple[str, Any, Any, int], Conversation] = field(default_factory=dict)
    table: dict[tuple[Any, ...], Side] = field(default_factory=dict)
    layer2: dict[tuple[bytes | str, bytes | str, int], Layer2] = field(default_factory=dict)
    operations: dict[tuple[str, str, Any, Any], Operation] = field(default_factory=dict)
    credentials: dict[tuple[str, Any, Any, int, str, str], Credential] = field(default_factory=dict)
    identities: dict[Any, dict[str, str]] = field(default_factory=dict)
    identity_sources: dict[Any, set[str]] = field(default_factory=dict)
    host_attrs: dict[Any, dict[str, set[str]]] = field(default_factory=dict)
    arp: dict[Any, bytes | str] = field(default_factory=dict)
    mac_identities: dict[bytes | str, dict[str, str]] = field(default_factory=dict)
    discovery: dict[Any, set[Any]] = field(default_factory=dict)
    """Identity/discovery requests sent: requester -> targets (ListIdentity, FC 43, SZL, Who-Is, GetEndpoints...)."""
    analyzers: dict[str, Analyzer] = field(default_factory=dict)
    sniffer: Analyzer | None = None
    finished: bool = False
    expired: int = 0
    """Times the connection table was pruned (see ``_expire``)."""
    _secret_memo: dict[bytes, str] = field(default_factory=dict, repr=False)

    # ------------------------------------------------------------------ fast path
    def process(self, frames: Iterable[Frame], progress: Callable[[int], None] | None = None) -> None:
        """Decode every frame's headers and feed the conversation table; the hot loop of the scanner.

        ``progress`` is called with the current file offset every 65536 packets
        (it may raise to stop reading: the counts so far are kept).
        """
        table = self.table
        get = table.get
        deep = self.deep
        packets = 0
        total_bytes = 0
        truncated = 0
        ts = 0.0
        first = self.first
        try:
            for linktype, ts, buf, off, caplen, foff in frames:
                packets += 1
                total_bytes += caplen
                if first == 0.0:
                    first = ts
                end = off + caplen
                vlan = 0
                try:
                    if linktype == 1:
                        if caplen < 14:
                            truncated += 1
                            continue
                        et = (buf[off + 12] << 8) | buf[off + 13]
                        p = off + 14
                        if et != 0x0800:
                            while et in VLAN_TAGS:
                                vlan = ((buf[p] << 8) | buf[p + 1]) & 0x0FFF
                                et = (buf[p + 2] << 8) | buf[p + 3]
                                p += 4
                        if et == 0x0800:
                            version = 4
                        elif et == 0x86DD:
                            version = 6
                        else:
                            self._layer2(buf, off, p, end, et, ts, foff, vlan)
                            continue
                    elif linktype in (0, 108):
                        family = LE32(buf, off)[0] if linktype == 0 else BE32(buf, off)[0]
                        if family > 0xFFFF:
                            family = BE32(buf, off)[0] if linktype == 0 else LE32(buf, off)[0]
                        p = off + 4
                        version = 4 if family in NULL_IPV4 else 6 if family in NULL_IPV6 else 0
                    elif linktype in (101, 12, 14, 228, 229):
                        p = off
                        version = buf[p] >> 4
                    elif linktype == 113:
                        p = off + 16
                        et = H(buf, off + 14)[0]
                        version = 4 if et == 0x0800 else 6 if et == 0x86DD else 0
                    elif linktype == 276:
                        p = off + 20
                        et = H(buf, off)[0]
                        version = 4 if et == 0x0800 else 6 if et == 0x86DD else 0
                    else:
                        version = 0
                        p = off
                    if version == 4:
                        vihl, tot, frag, proto, src, dst = IP4(buf, p)
                        l4 = p + (vihl & 15) * 4
                        ip_end = p + tot
                        if ip_end > end or tot < 20:
                            ip_end = end
                        wire = ip_end - p
                        if frag & 0x1FFF:
                            proto = FRAGMENT
                    elif version == 6:
                        plen6, proto, src, dst = IP6(buf, p)
                        l4 = p + 40
                        ip_end = l4 + plen6
                        if ip_end > end or plen6 == 0:
                            ip_end = end
                        wire = ip_end - p
                        # hop-by-hop, routing, destination options: skip to the transport header
                        while proto in (0, 43, 60) and l4 + 8 <= ip_end:
                            proto = buf[l4]
                            l4 += (buf[l4 + 1] + 1) * 8
                        if proto == 44 and l4 + 8 <= ip_end:
                            proto = FRAGMENT if H(buf, l4 + 2)[0] & 0xFFF8 else buf[l4]
                            l4 += 8
                    else:
                        self.non_ip += 1
                        continue
                    flags = 0
                    seq = 0
                    if proto == 6 and l4 + 20 <= ip_end:
                        sport, dport, seq, offflags = TCP(buf, l4)
                        flags = offflags & 0x3F
                        start = l4 + (offflags >> 12) * 4
                    elif proto == 17 and l4 + 8 <= ip_end:
                        sport, dport = UDP(buf, l4)
                        start = l4 + 8
                    else:
                        if proto in (6, 17):
                            truncated += 1
                        sport = dport = 0
                        start = ip_end
                    key = (src, dst, sport, dport, proto)
                    side = get(key)
                    if side is None:
                        side = self._open(key, flags, ts, foff, buf, off if linktype == 1 else -1, vlan)
                    conv = side.conv
                    if side.is_client:
                        conv.c_pkts += 1
                        conv.c_bytes += wire
                    else:
                        conv.s_pkts += 1
                        conv.s_bytes += wire
                        if not side.seen:
                            side.seen = True
                            if flags & 0x04:
                                conv.rejected += 1
                            else:
                                conv.answered += 1
                    conv.last = ts
                    if deep and ip_end > start:
                        handler = conv.handler
                        if handler is not None:
                            payload = buf[start:ip_end]
                            try:
                                handler(self, conv, side, payload, seq if proto == 6 else -1, ts, foff)
                            except ParseError:
                                self.parse_failed(conv, side, payload, seq if proto == 6 else -1, ts, foff)
                except (struct.error, IndexError):
                    truncated += 1
                if not packets & 0xFFFF and progress is not None:
                    progress(foff)
        finally:
            self.packets += packets
            self.byte_count += total_bytes
            self.truncated += truncated
            self.first = first
            if ts:
                self.last = max(self.last, ts)

    def _open(self, key: tuple[Any, ...], flags: int, ts: float, foff: int, buf: bytes, eth: int, vlan: int) -> Side:
        """Slow path for a new 5-tuple: decide who is the client, find or create the conversation."""
        src, dst, sport, dport, proto = key
        src_is_client = not flags & 16 if flags & 2 else ports.server_is_destination(proto, sport, dport)
        if src_is_client:
            client, server, server_port = src, dst, dport
        else:
            client, server, server_port = dst, src, sport
        transport = TRANSPORTS.get(proto, f"ip_{proto}")
        ckey = (transport, client, server, server_port)
        conv = self.conversations.get(ckey)
        if conv is None:
            protocol = ports.protocol(transport, server_port)
            conv = Conversation(transport, client, server, server_port, protocol, ts, foff)
            conv.file = self.file
            conv.vlan = vlan
            conv.handler = self.analyzers.get(protocol) or (self.sniffer if protocol == "unknown" else None)
            self.conversations[ckey] = conv
        if eth >= 0 and not conv.client_mac:
            dst_mac, src_mac = buf[eth : eth + 6], buf[eth + 6 : eth + 12]
            conv.client_mac, conv.server_mac = (src_mac, dst_mac) if src_is_client else (dst_mac, src_mac)
        conv.connections += 1
        if len(self.table) >= MAX_CONNECTIONS:
            self._expire(ts)
        side = Side(conv, src_is_client)
        peer = Side(conv, not src_is_client)
        self.table[key] = side
        self.table[(dst, src, dport, sport, proto)] = peer
        return side

    def _expire(self, now: float) -> None:
        """Forget connection state of idle conversations so memory stays flat on endless captures.

        Only per-connection state (direction, reassembly) goes; conversation
        totals stay. A connection that speaks again after being forgotten is
        counted as a new one, its direction taken from the port numbers.
        """
        idle = now - IDLE_TIMEOUT_S
        kept = {key: side for key, side in self.table.items() if side.conv.last >= idle}
        self.table.clear()  # in place: the fast path holds a reference to this dict
        if len(kept) < MAX_CONNECTIONS // 2:
            self.table.update(kept)
        self.expired += 1

    def _layer2(self, buf: bytes, off: int, p: int, end: int, et: int, ts: float, foff: int, vlan: int) -> None:
        """Non-IP frame: count it per (src, dst, ethertype) and dissect discovery protocols."""
        self.non_ip += 1
        dst, src = buf[off : off + 6], buf[off + 6 : off + 12]
        payload_start = p
        if et <= 1500:  # 802.3 length: LLC/SNAP
            if buf[p : p + 8] == b"\xaa\xaa\x03\x00\x00\x0c\x20\x00":
                et = 0x2000
                payload_start = p + 8
            elif buf[p : p + 2] == b"\x42\x42":
                et = 0x0026
            else:
                et = 0
        key = (src, dst, et)
        entry = self.layer2.get(key)
        if entry is None:
            entry = self.layer2[key] = Layer2(src, dst, et, first=ts, file=self.file, offset=foff, vlan=vlan)
        entry.packets += 1
        entry.byte_count += end - off
        entry.last = ts
        if et == 0x0806 and end - p >= 28:
            self.arp.setdefault(BE32(buf, p + 14)[0], buf[p + 8 : p + 14])
        if self.deep and et in (0x88CC, 0x2000, 0x8892, 0x88B8):
            analyzer = self.analyzers.get(ETHERTYPES[et])
            if analyzer is not None:
                conv = Conversation("ethernet", src, dst, 0, ETHERTYPES[et], ts, foff)
                analyzer(self, conv, Side(conv, True), buf[payload_start:end], -1, ts, foff)

    def dispatch(self, conv: Conversation, side: Side, payload: bytes, seq: int, ts: float, foff: int) -> None:
        """Hand one payload to the conversation's analyzer (what the fast path does inline)."""
        handler = conv.handler
        if handler is not None:
            try:
                handler(self, conv, side, payload, seq, ts, foff)
            except ParseError:
                self.parse_failed(conv, side, payload, seq, ts, foff)

    def parse_failed(self, conv: Conversation, side: Side, payload: bytes, seq: int, ts: float, foff: int) -> None:
        """A payload did not parse: count it, or re-label a conversation that never parsed by signature."""
        side.pending = b""
        if conv.parsed == 0 and conv.sniffed < MAX_SNIFF and self.sniffer is not None:
            conv.protocol = "unknown"
            conv.handler = self.sniffer
            self.dispatch(conv, side, payload, seq, ts, foff)
        else:
            conv.malformed += 1

    # ------------------------------------------------------------------ facts from analyzers
    def operation(
        self, conv: Conversation, protocol: str, operation: str, function: str, ts: float, foff: int, target: str = ""
    ) -> None:
        """Count a control operation from the conversation's client to its server (``target``: what it acted on)."""
        key = (protocol, operation, conv.client, conv.server)
        entry = self.operations.get(key)
        if entry is None:
            entry = Operation(protocol, operation, conv.client, conv.server, conv.server_port, first=ts)
            entry.file, entry.offset = self.file, foff
            self.operations[key] = entry
        entry.count += 1
        entry.last = ts
        entry.functions.add(function)
        if target and len(entry.targets) < MAX_TARGETS:
            entry.targets.add(target)

    def credential(
        self,
        conv: Conversation,
        kind: str,
        user: str,
        secret: bytes | None,
        ts: float,
        foff: int,
        *,
        anonymous: bool = False,
        is_default: bool = False,
    ) -> Credential:
        """Record a credential sighting; the secret is hashed here and not kept."""
        digest = ""
        if secret:
            digest = self._secret_memo.get(secret, "")
            if not digest:
                digest = self._secret_memo[secret] = self.hasher(secret)
        key = (conv.protocol, conv.client, conv.server, conv.server_port, user, kind)
        entry = self.credentials.get(key)
        if entry is None:
            entry = Credential(
                conv.protocol,
                kind,
                conv.client,
                conv.server,
                conv.server_port,
                user,
                digest,
                anonymous=anonymous,
                is_default=is_default,
                first=ts,
            )
            entry.file, entry.offset = self.file, foff
            self.credentials[key] = entry
        entry.add_hash(digest)
        entry.is_default = entry.is_default or is_default
        entry.attempts += 1
        entry.last = ts
        return entry

    def identify(self, address: Any, source: str, fields: dict[str, str]) -> None:
        """Identity fields a device reported about itself (first answer wins per field)."""
        known = self.identities.setdefault(address, {})
        for name, value in fields.items():
            if value and name not in known:
                known[name] = value
        self.identity_sources.setdefault(address, set()).add(source)

    def attr(self, address: Any, name: str, value: str) -> None:
        """A multi-valued host attribute (server software banners, OPC UA policies...)."""
        self.host_attrs.setdefault(address, {}).setdefault(name, set()).add(value)

    def discovered(self, conv: Conversation) -> None:
        """The client sent an identity/discovery request to the server."""
        self.discovery.setdefault(conv.client, set()).add(conv.server)

    # ------------------------------------------------------------------ hand-off
    def finish(self) -> Capture:
        """Turn raw addresses into strings and drop per-connection state, ready to pickle and merge."""
        if self.finished:
            return self
        text = _addresses()
        mac = _mac
        conversations: dict[tuple[str, Any, Any, int], Conversation] = {}
        for conv in self.conversations.values():
            conv.client, conv.server = text(conv.client), text(conv.server)
            conv.client_mac, conv.server_mac = mac(conv.client_mac), mac(conv.server_mac)  # type: ignore[assignment]
            conv.handler = None
            conv.attrs.pop("_state", None)
            for name in [k for k in conv.attrs if k.startswith("_")]:
                del conv.attrs[name]
            conversations[(conv.transport, conv.client, conv.server, conv.server_port)] = conv
        self.conversations = conversations
        self.table = {}
        self.operations = {(k[0], k[1], text(k[2]), text(k[3])): _retarget(v, text) for k, v in self.operations.items()}
        self.credentials = {
            (k[0], text(k[1]), text(k[2]), k[3], k[4], k[5]): _retarget(v, text) for k, v in self.credentials.items()
        }
        self.identities = {text(k): v for k, v in self.identities.items()}
        self.identity_sources = {text(k): v for k, v in self.identity_sources.items()}
        self.host_attrs = {text(k): v for k, v in self.host_attrs.items()}
        self.arp = {text(k): mac(v) for k, v in self.arp.items()}  # type: ignore[misc]
        self.discovery = {text(k): {text(t) for t in v} for k, v in self.discovery.items()}
        self.layer2 = {(mac(k[0]), mac(k[1]), k[2]): v for k, v in self.layer2.items()}  # type: ignore[misc]
        for entry in self.layer2.values():
            entry.src, entry.dst = mac(entry.src), mac(entry.dst)  # type: ignore[assignment]
        self.mac_identities = {mac(k): v for k, v in self.mac_identities.items()}  # type: ignore[misc]
        self.analyzers = {}
        self.sniffer = None
        self._secret_memo = {}
        self.finished = True
        return self

    def merge(self, other: Capture) -> None:
        """Add another finished capture (another file) into this finished one."""
        self.packets += other.packets
        self.byte_count += other.byte_count
        self.non_ip += other.non_ip
        self.truncated += other.truncated
        if other.first and (not self.first or other.first < self.first):
            self.first = other.first
        self.last = max(self.last, other.last)
        _merge(self.conversations, other.conversations)
        _merge(self.operations, other.operations)
        _merge(self.credentials, other.credentials)
        _merge(self.layer2, other.layer2)
        for address, fields in other.identities.items():
            known = self.identities.setdefault(address, {})
            for name, value in fields.items():
                known.setdefault(name, value)
        for address, sources in other.identity_sources.items():
            self.identity_sources.setdefault(address, set()).update(sources)
        for address, attrs in other.host_attrs.items():
            mine = self.host_attrs.setdefault(address, {})
            for name, values in attrs.items():
                mine.setdefault(name, set()).update(values)
        for address, targets in other.discovery.items():
            self.discovery.setdefault(address, set()).update(targets)
        for key, mac in other.arp.items():
            self.arp.setdefault(key, mac)
        for key, fields in other.mac_identities.items():
            known = self.mac_identities.setdefault(key, {})
            for name, value in fields.items():
                known.setdefault(name, value)


def _merge(mine: dict[Any, Any], theirs: dict[Any, Any]) -> None:
    for key, value in theirs.items():
        existing = mine.get(key)
        if existing is None:
            mine[key] = value
        else:
            existing.absorb(value)


def _retarget(entry: Any, text: Callable[[Any], str]) -> Any:
    entry.client, entry.server = text(entry.client), text(entry.server)
    return entry


def _addresses() -> Callable[[Any], str]:
    """A memoised raw-address-to-text converter (IPv4 ints, IPv6 16-byte strings)."""
    cache: dict[Any, str] = {}

    def convert(raw: Any) -> str:
        if isinstance(raw, str):
            return raw
        found = cache.get(raw)
        if found is None:
            found = cache[raw] = (
                raw.hex(":") if isinstance(raw, bytes) and len(raw) == 6 else str(ipaddress.ip_address(raw))
            )
        return found

    return convert


def _mac(raw: bytes | str) -> str:
    if isinstance(raw, str):
        return raw
    return raw.hex(":") if raw and raw != ZERO_MAC else ""


ZERO_MAC = b"\x00" * 6
