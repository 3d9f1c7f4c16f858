"""One agent's answers as an OID -> value map, whether they came off the wire or from a recording.

Keeping a single neutral shape (Python bytes/int/str tagged with the SNMP
type) is what lets the offline recordings and the live scans share one
record builder, and lets the builder check types instead of trusting them.
"""

from __future__ import annotations

import bisect
import ipaddress
from dataclasses import dataclass

Oid = tuple[int, ...]

OCTETS = "octets"
INTEGER = "integer"
OID = "oid"
IPADDR = "ipaddress"
COUNTER = "counter32"
GAUGE = "gauge32"
TIMETICKS = "timeticks"
OPAQUE = "opaque"
COUNTER64 = "counter64"
NULL = "null"

NUMERIC_KINDS = frozenset({INTEGER, COUNTER, GAUGE, TIMETICKS, COUNTER64})


@dataclass(frozen=True, slots=True)
class Value:
    """One SNMP value: ``kind`` is the SNMP type, ``value`` bytes (octets/opaque), int, or str (OID, IP)."""

    kind: str
    value: bytes | int | str | None

    def octets(self) -> bytes | None:
        return self.value if self.kind in (OCTETS, OPAQUE) and isinstance(self.value, bytes) else None

    def number(self) -> int | None:
        return self.value if self.kind in NUMERIC_KINDS and isinstance(self.value, int) else None

    def oid(self) -> str | None:
        return self.value if self.kind == OID and isinstance(self.value, str) else None


def parse_oid(text: str) -> Oid:
    """``.1.3.6.1`` / ``1.3.6.1`` -> (1, 3, 6, 1); raises ValueError on anything else."""
    parts = text.strip().lstrip(".").split(".")
    if not parts or not all(p.isdigit() and len(p) <= 10 for p in parts):
        raise ValueError(f"not a numeric OID: {text[:60]!r}")
    return tuple(int(p) for p in parts)


def oid_text(oid: Oid) -> str:
    return ".".join(str(n) for n in oid)


def ipaddr_value(raw: bytes) -> Value:
    """An IpAddress from its wire octets, as the BER codec and pysnmp both deliver them.

    Four octets read as a dotted quad; anything else, which a faulty agent may
    send, stays visible as hex instead of failing the whole response.
    """
    return Value(IPADDR, str(ipaddress.IPv4Address(raw)) if len(raw) == 4 else raw.hex())


class Walk:
    """OID -> Value for one agent, with table-column access by prefix."""

    def __init__(self, values: dict[Oid, Value] | None = None) -> None:
        self.values: dict[Oid, Value] = dict(values or {})
        self._keys: list[Oid] | None = None

    def __len__(self) -> int:
        return len(self.values)

    def set(self, oid: Oid, value: Value) -> None:
        self.values[oid] = value
        self._keys = None

    def update(self, other: dict[Oid, Value]) -> None:
        self.values.update(other)
        self._keys = None

    def get(self, oid: Oid) -> Value | None:
        return self.values.get(oid)

    def column(self, prefix: Oid) -> dict[Oid, Value]:
        """Rows under a table column: index suffix -> value, in OID order."""
        if self._keys is None:
            self._keys = sorted(self.values)
        start = bisect.bisect_right(self._keys, prefix)
        rows: dict[Oid, Value] = {}
        size = len(prefix)
        for key in self._keys[start:]:
            if key[:size] != prefix:
                break
            rows[key[size:]] = self.values[key]
        return rows

    def has_subtree(self, prefix: Oid) -> bool:
        return bool(self.column(prefix))
