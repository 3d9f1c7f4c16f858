"""The scanner plugin contract: what a scanner gets, what it yields, how it is found.

Built-in scanners register through the ``xposture.scanners`` entry-point group
exactly as a third-party package would, so the core never imports a scanner
by name and a plugin is a first-class citizen.
"""

from __future__ import annotations

import ipaddress
import os
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any, ClassVar, Protocol, runtime_checkable

from xposture.errors import InventoryError, ScannerError
from xposture.model import Layer, Record

ENTRY_POINT_GROUP = "xposture.scanners"

OptionType = type | tuple[type, ...]
"""Type (or types) an inventory option must have; ``list`` means a YAML sequence."""


@dataclass(slots=True)
class SourceConfig:
    """One ``{scanner: ...}`` entry of the inventory, with where it came from."""

    scanner: str
    options: dict[str, Any]
    base_dir: Path
    site: str = ""
    file: str = ""
    line: int | None = None
    enabled: bool = True
    timeout_s: float | None = None

    def path_list(self, key: str = "paths") -> list[Path]:
        """Option ``key`` as paths resolved against the inventory file's folder."""
        raw = self.options.get(key, [])
        if isinstance(raw, str):
            raw = [raw]
        # normpath: evidence pointers read "examples/plant/captures/x.pcap", not ".../inventory/../captures/x.pcap"
        return [
            Path(os.path.normpath(p if p.is_absolute() else self.base_dir / p))
            for p in (Path(str(item)) for item in raw)
        ]

    @property
    def label(self) -> str:
        """Short name for coverage lines and errors: ``scanner@site``."""
        return f"{self.scanner}@{self.site}" if self.site else self.scanner


@dataclass(slots=True)
class Zone:
    """An IEC 62443 zone with its CIDRs and Purdue level."""

    name: str
    site: str
    networks: list[ipaddress.IPv4Network | ipaddress.IPv6Network]
    level: int | None = None


@dataclass(slots=True)
class CoverageEntry:
    """What one scanner was asked to look at and what became of it: never confuse 'not scanned' with 'clean'."""

    scanner: str
    target: str
    status: str  # "ok" | "partial" | "failed" | "skipped" | "timeout"
    detail: str = ""
    records: int = 0
    site: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "scanner": self.scanner,
            "target": self.target,
            "status": self.status,
            "detail": self.detail,
            "records": self.records,
            "site": self.site,
        }


@dataclass(slots=True)
class SafetyPolicy:
    """Where active scanners may send packets: inside declared scopes, and nowhere else."""

    scopes: list[ipaddress.IPv4Network | ipaddress.IPv6Network] = field(default_factory=list)
    allow_active: bool = True
    allow_credential_tests: bool = False
    max_rate_per_s: float = 50.0

    def check_target(self, host: str, *, scanner: str) -> None:
        """Raise unless ``host`` (an IP address) lies inside a declared scope."""
        if not self.allow_active:
            raise ScannerError("active scanning is disabled for this scan", scanner=scanner, target=host)
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            raise ScannerError(
                "active targets must be IP addresses inside a declared scope", scanner=scanner, target=host
            ) from None
        if not any(address in net for net in self.scopes):
            raise ScannerError("target outside every declared scope; nothing sent", scanner=scanner, target=host)


ProgressCallback = Callable[[str, int, int | None], None]
"""``(task, done, total)``: scanners report progress; faces draw it."""


def _no_progress(task: str, done: int, total: int | None) -> None:
    return None


@dataclass
class ScanContext:
    """Everything a scanner needs from the run besides its own inventory entry.

    Scanners receive their I/O seams here (or through their own constructor)
    instead of reaching for globals, so tests can swap in loopback peers.
    """

    policy: Mapping[str, Any] = field(default_factory=dict)
    zones: list[Zone] = field(default_factory=list)
    safety: SafetyPolicy = field(default_factory=SafetyPolicy)
    concurrency: int = 64
    timeout_s: float | None = None
    progress: ProgressCallback = _no_progress
    environ: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    inventory: Any = None
    cancel_event: threading.Event = field(default_factory=threading.Event)
    coverage: list[CoverageEntry] = field(default_factory=list)
    audit_log: list[dict[str, Any]] = field(default_factory=list)
    deadline: float | None = None
    data_dir: Path = field(default_factory=lambda: Path(".xposture"))
    """Folder of the store; scanners and enrichers keep their own caches/databases here."""
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def cancelled(self) -> bool:
        """True once the run is cancelled or this scanner's time is up; long loops should check it."""
        if self.deadline is not None and time.monotonic() > self.deadline:
            return True
        return self.cancel_event.is_set()

    def report(
        self, scanner: str, target: str, status: str, detail: str = "", records: int = 0, site: str = ""
    ) -> None:
        """Record coverage for one target (thread-safe)."""
        with self._lock:
            self.coverage.append(CoverageEntry(scanner, target, status, detail, records, site))

    def audit(self, scanner: str, target: str, protocol: str, sent: str) -> None:
        """Write down every packet an active scanner sends, for the scan record and the report."""
        with self._lock:
            self.audit_log.append(
                {"time": time.time(), "scanner": scanner, "target": target, "protocol": protocol, "sent": sent}
            )

    def secret(self, reference: str | None) -> str | None:
        """Resolve an ``env:NAME`` reference; inventory files never hold secrets themselves."""
        if reference is None:
            return None
        if not reference.startswith("env:"):
            raise ScannerError("secrets must be given as env:NAME references", target=reference)
        name = reference.removeprefix("env:")
        value = self.environ.get(name)
        if value is None:
            raise ScannerError(f"environment variable {name} is not set", target=reference)
        return value


@runtime_checkable
class Scanner(Protocol):
    """A plugin that observes one part of the stack and yields records; it never judges them."""

    name: ClassVar[str]
    layer: ClassVar[Layer]
    options: ClassVar[Mapping[str, OptionType]]
    """Inventory keys this scanner accepts (besides ``scanner``) and their types."""
    required: ClassVar[Sequence[str]]
    """Inventory keys that must be present."""

    def scan(self, source: SourceConfig, ctx: ScanContext) -> Iterator[Record] | AsyncIterator[Record]:
        """Yield records; raise ``ScannerError``/``InputError`` for what could not be done."""
        ...


def available_scanners() -> dict[str, type[Scanner]]:
    """Every scanner installed in this environment, by name, through entry points."""
    found: dict[str, type[Scanner]] = {}
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        cls = ep.load()
        found[getattr(cls, "name", ep.name)] = cls
    return found


def validate_source_options(
    cls: type[Scanner], options: Mapping[str, Any], *, file: str = "", lines: Mapping[str, int] | None = None
) -> None:
    """Check one inventory entry against the scanner's declared options (unknown keys, types, required)."""
    lines = lines or {}
    for key, value in options.items():
        expected = cls.options.get(key)
        if expected is None:
            known = ", ".join(sorted(cls.options)) or "none"
            raise InventoryError(
                f"unknown option for scanner {cls.name!r} (known: {known})", file=file, line=lines.get(key), key=key
            )
        if not isinstance(value, expected) or (isinstance(value, bool) and expected in (int, float)):
            names = expected.__name__ if isinstance(expected, type) else " or ".join(t.__name__ for t in expected)
            raise InventoryError(
                f"expected {names}, got {type(value).__name__}", file=file, line=lines.get(key), key=key
            )
    for key in cls.required:
        if key not in options:
            raise InventoryError(
                f"scanner {cls.name!r} needs option {key!r}", file=file, line=lines.get("scanner"), key=key
            )
