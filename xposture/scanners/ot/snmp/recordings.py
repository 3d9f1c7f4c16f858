"""Read offline agent data: snmpsim ``.snmprec`` recordings and net-snmp ``snmpwalk -On`` output.

The quick start and air-gapped sites have recordings, not agents; both
formats are untrusted input, so every malformed line becomes an
``InputError`` naming the file and line, never another exception.
"""

from __future__ import annotations

import ipaddress
import re
from pathlib import Path

from xposture.errors import InputError
from xposture.scanners.ot.snmp.walk import (
    COUNTER,
    COUNTER64,
    GAUGE,
    INTEGER,
    IPADDR,
    NULL,
    OCTETS,
    OID,
    OPAQUE,
    TIMETICKS,
    Value,
    Walk,
    oid_text,
    parse_oid,
)

SNMPREC_SUFFIXES = (".snmprec",)
WALK_SUFFIXES = (".walk", ".snmpwalk")
SUFFIXES = SNMPREC_SUFFIXES + WALK_SUFFIXES
MAX_FILE_BYTES = 256 * 1024 * 1024

_SNMPREC_TAGS = {
    2: INTEGER,
    4: OCTETS,
    5: NULL,
    6: OID,
    64: IPADDR,
    65: COUNTER,
    66: GAUGE,
    67: TIMETICKS,
    68: OPAQUE,
    70: COUNTER64,
}


def read_recording(path: Path) -> Walk:
    """Parse a recording file by its suffix."""
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise InputError(f"recording larger than {MAX_FILE_BYTES} bytes", file=str(path))
        text = path.read_bytes().decode("utf-8", errors="surrogateescape")
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror or exc}", file=str(path)) from exc
    if path.suffix.lower() in SNMPREC_SUFFIXES:
        return parse_snmprec(text, file=str(path))
    return parse_walk(text, file=str(path))


def parse_snmprec(text: str, *, file: str = "") -> Walk:
    """snmpsim format: ``OID|TAG[x][:variation]|VALUE`` per line; ``#`` lines are comments."""
    walk = Walk()
    values = walk.values
    # split on LF only: raw values may hold form feeds or other bytes str.splitlines() would break on
    for number, line in enumerate(text.split("\n"), start=1):
        line = line.removesuffix("\r")
        if not line or line.startswith("#"):
            continue
        parts = line.split("|", 2)
        if len(parts) != 3:
            raise InputError("expected OID|TAG|VALUE", file=file, line=number)
        oid_part, tag_part, raw = parts
        try:
            oid = parse_oid(oid_part)
        except ValueError as exc:
            raise InputError(str(exc), file=file, line=number) from None
        tag, _, variation = tag_part.partition(":")
        hexed = tag.endswith("x")
        tag = tag.removesuffix("x")
        if not tag.isdigit() or int(tag) not in _SNMPREC_TAGS:
            raise InputError(f"unknown snmprec type tag {tag_part[:20]!r}", file=file, line=number)
        if variation:
            params = dict(p.partition("=")[::2] for p in raw.split(","))
            if "value" in params:
                raw = params["value"]
            elif "initial" in params:
                raw = params["initial"]
            else:
                continue  # a simulation-only entry with no recorded value
        values[oid] = _snmprec_value(_SNMPREC_TAGS[int(tag)], raw, hexed, file, number)
    return walk


def _snmprec_value(kind: str, raw: str, hexed: bool, file: str, line: int) -> Value:
    try:
        if kind in (OCTETS, OPAQUE):
            return Value(kind, bytes.fromhex(raw) if hexed else raw.encode("utf-8", errors="surrogateescape"))
        if kind == NULL:
            return Value(NULL, None)
        if kind == OID:
            return Value(OID, oid_text(parse_oid(raw)))
        if kind == IPADDR:
            if hexed:
                return Value(IPADDR, str(ipaddress.IPv4Address(bytes.fromhex(raw))))
            if raw.count(".") == 3:
                return Value(IPADDR, str(ipaddress.IPv4Address(raw)))
            # snmprec writes printable addresses as their four raw bytes
            return Value(IPADDR, str(ipaddress.IPv4Address(raw.encode("utf-8", errors="surrogateescape"))))
        return Value(kind, int(raw))
    except ValueError as exc:
        raise InputError(f"bad {kind} value: {exc}", file=file, line=line) from None


_WALK_LINE = re.compile(r"^\s*(?P<oid>\.?\d+(?:\.\d+)+)\s*=\s*(?:(?P<type>[A-Za-z0-9-]+):\s?)?(?P<value>.*)$")
_WALK_TYPES = {
    "STRING": OCTETS,
    "Hex-STRING": OCTETS,
    "OID": OID,
    "INTEGER": INTEGER,
    "Gauge32": GAUGE,
    "Counter32": COUNTER,
    "Counter64": COUNTER64,
    "Timeticks": TIMETICKS,
    "IpAddress": IPADDR,
    "Opaque": OPAQUE,
    "Network Address": IPADDR,
    "BITS": OCTETS,
}


def parse_walk(text: str, *, file: str = "") -> Walk:
    """net-snmp ``snmpwalk -On`` output; quoted strings may continue on the following lines."""
    walk = Walk()
    pending: tuple[int, tuple[int, ...], str, str] | None = None

    def flush() -> None:
        if pending is not None:
            line, oid, kind, value = pending
            walk.values[oid] = _walk_value(kind, value, file, line)

    for number, line in enumerate(text.splitlines(), start=1):
        match = _WALK_LINE.match(line)
        if match is None:
            if pending is not None:  # continuation of a multi-line STRING
                pending = (pending[0], pending[1], pending[2], pending[3] + "\n" + line)
                continue
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            raise InputError("expected '.OID = TYPE: value' (snmpwalk -On output)", file=file, line=number)
        flush()
        kind = match.group("type") or ""
        value = match.group("value")
        if kind not in _WALK_TYPES:
            if value.startswith(("No Such", "No more variables")) or kind == "":
                pending = None
                continue
            raise InputError(f"unknown snmpwalk type {kind[:20]!r}", file=file, line=number)
        pending = (number, parse_oid(match.group("oid")), kind, value)
    flush()
    return walk


def _walk_value(kind: str, raw: str, file: str, line: int) -> Value:
    try:
        if kind == "STRING":
            text = raw.strip()
            if len(text) >= 2 and text.startswith('"') and text.endswith('"'):
                text = text[1:-1].replace('\\"', '"')
            return Value(OCTETS, text.encode("utf-8", errors="surrogateescape"))
        if kind in ("Hex-STRING", "BITS"):
            return Value(OCTETS, bytes.fromhex(re.sub(r"[^0-9A-Fa-f]", "", raw.split("  ")[0])))
        if kind == "OID":
            return Value(OID, oid_text(parse_oid(raw.strip())))
        if kind in ("IpAddress", "Network Address"):
            return Value(IPADDR, str(ipaddress.IPv4Address(raw.strip())))
        if kind == "Opaque":
            return Value(OPAQUE, raw.strip().encode())
        if kind == "Timeticks":
            inner = re.match(r"\s*\((\d+)\)", raw)
            return Value(TIMETICKS, int(inner.group(1)) if inner else int(raw.split()[0]))
        number = re.search(r"-?\d+", raw.rsplit("(", 1)[-1] if "(" in raw else raw)
        if number is None:
            raise ValueError(f"no number in {raw[:40]!r}")
        return Value(_WALK_TYPES[kind], int(number.group(0)))
    except ValueError as exc:
        raise InputError(f"bad {kind} value: {exc}", file=file, line=line) from None
