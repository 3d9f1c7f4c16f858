"""The ``pcap`` scanner: passive OT/edge discovery from packet captures, sending nothing.

Files are analysed independently (in parallel worker processes when there
are several), each into a :class:`~xposture.scanners.ot.flows.Capture`;
the captures are merged and turned into records for the source's site. A
file that breaks part-way keeps what was read before the break, is reported
as ``partial`` coverage with file and offset, and does not stop the others.
"""

from __future__ import annotations

import functools
import hashlib
import multiprocessing
import os
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from pathlib import Path
from typing import ClassVar

from xposture.errors import InputError
from xposture.model import Layer, Record
from xposture.scanners.base import OptionType, ScanContext, SourceConfig
from xposture.scanners.ot import oui
from xposture.scanners.ot.analyzers import install
from xposture.scanners.ot.emit import Builder
from xposture.scanners.ot.flows import Capture
from xposture.scanners.ot.pcap_reader import read_frames
from xposture.scanners.ot.zones import ZoneMap
from xposture.scanners.records import expand_paths

SUFFIXES = (".pcap", ".pcapng", ".cap", ".gz", ".dmp")
PBKDF2_ROUNDS = 10_000


class Cancelled(Exception):
    """Raised from the progress callback to stop reading a file when the scan is cancelled."""


def hash_secret(salt: bytes, secret: bytes) -> str:
    """Salted PBKDF2-SHA256 of a secret seen on the wire: lets people spot reuse, never recovers the secret."""
    digest = hashlib.pbkdf2_hmac("sha256", secret, salt, PBKDF2_ROUNDS)
    return f"pbkdf2_sha256${PBKDF2_ROUNDS}${salt.hex()}${digest.hex()}"


def analyse_file(
    path: Path,
    deep: bool,
    salt: bytes,
    progress: Callable[[int], None] | None = None,
    deadline: float | None = None,
) -> tuple[Capture, InputError | None, bool]:
    """Read one capture into a finished :class:`Capture`; ``(capture, error_or_None, cancelled)``.

    ``deadline`` is a ``time.monotonic()`` instant (the clock is shared by all
    processes of the machine), so worker processes stop on time as well.
    """
    capture = install(Capture(hasher=functools.partial(hash_secret, salt), deep=deep, file=str(path)))
    if progress is None and deadline is not None:
        progress = functools.partial(_check_deadline, deadline)
    error: InputError | None = None
    cancelled = False
    try:
        capture.process(read_frames(path), progress)
    except InputError as exc:
        error = exc
    except Cancelled:
        cancelled = True
    except OSError as exc:
        error = InputError(f"cannot read capture: {exc}", file=str(path))
    return capture.finish(), error, cancelled


def _check_deadline(deadline: float, _offset: int) -> None:
    if time.monotonic() > deadline:
        raise Cancelled


class PcapScanner:
    """Passive discovery of OT assets, conversations, control operations and cleartext credentials."""

    name: ClassVar[str] = "pcap"
    layer: ClassVar[Layer] = Layer.OT
    options: ClassVar[Mapping[str, OptionType]] = {
        "paths": (list, str),
        "workers": int,
        "deep": bool,
        "oui_file": str,
    }
    required: ClassVar[tuple[str, ...]] = ("paths",)
    active: ClassVar[bool] = False
    """Sends nothing: runs under ``--passive`` too."""

    def scan(self, source: SourceConfig, ctx: ScanContext) -> Iterator[Record]:
        files = expand_paths(source.path_list("paths"), SUFFIXES)
        if not files:
            ctx.report(
                self.name,
                ", ".join(str(p) for p in source.path_list("paths")),
                "skipped",
                "no capture files found",
                site=source.site,
            )
            return
        deep = bool(source.options.get("deep", True))
        workers = int(source.options.get("workers", 0)) or min(os.cpu_count() or 1, len(files))
        salt = os.urandom(16)
        merged: Capture | None = None
        errors: list[InputError] = []
        outcomes: list[tuple[Path, str, str]] = []
        for path, capture, error, cancelled in self._analyse(files, deep, salt, workers, ctx):
            status, detail = "ok", f"{capture.packets} packets, {len(capture.conversations)} conversations"
            if error is not None:
                status, detail = "partial" if capture.packets else "failed", f"{error} ({detail} read before)"
                errors.append(error)
            elif cancelled:
                status, detail = "timeout", f"stopped: scan cancelled or out of time ({detail} read)"
            outcomes.append((path, status, detail))
            if merged is None:
                merged = capture
            else:
                merged.merge(capture)
        per_file: Counter[str] = Counter()
        try:
            if merged is not None:
                for record in self.records(merged, source, ctx):
                    per_file[str(record.get("source.file", ""))] += 1
                    yield record
        finally:  # coverage even if the consumer stops early: "not scanned" must never look clean
            for path, status, detail in outcomes:
                ctx.report(self.name, str(path), status, detail, records=per_file[str(path)], site=source.site)
        if errors:
            first = errors[0]
            more = f" (and {len(errors) - 1} more files)" if len(errors) > 1 else ""
            raise InputError(first.message + more, file=first.file, offset=first.offset)

    def records(self, capture: Capture, source: SourceConfig, ctx: ScanContext) -> Iterator[Record]:
        """Records of a merged capture, with zones and inventory facts of the source's site."""
        zones = ZoneMap(ctx.zones, source.site, ctx.inventory)
        macs = {m for c in capture.conversations.values() for m in (c.client_mac, c.server_mac) if isinstance(m, str)}
        macs |= {str(m) for m in capture.mac_identities}
        macs |= {str(v) for v in capture.arp.values()}
        manuf = source.options.get("oui_file")
        vendors = oui.vendors(sorted(m for m in macs if m), Path(manuf) if manuf else None)
        yield from Builder(capture, zones, source.site, vendors, ctx.policy).records()

    def _analyse(
        self, files: list[Path], deep: bool, salt: bytes, workers: int, ctx: ScanContext
    ) -> Iterator[tuple[Path, Capture, InputError | None, bool]]:
        if workers <= 1 or len(files) == 1:
            for path in files:
                if ctx.cancelled():
                    yield path, Capture(hasher=str, file=str(path)).finish(), None, True
                    continue
                yield (path, *analyse_file(path, deep, salt, self._progress(path, ctx)))
            return
        # Scanners run in the pipeline's threads: forking a threaded process can inherit held locks,
        # so workers come from a fork server (a clean single-threaded parent) where the platform has one.
        methods = multiprocessing.get_all_start_methods()
        context = multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")
        with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
            futures: dict[Future[tuple[Capture, InputError | None, bool]], Path] = {
                pool.submit(analyse_file, path, deep, salt, None, ctx.deadline): path for path in files
            }
            for done, future in enumerate(as_completed(futures), start=1):
                path = futures[future]
                ctx.progress("pcap files", done, len(files))
                if ctx.cancelled():
                    for other in futures:
                        other.cancel()
                try:
                    yield (path, *future.result())
                except Exception as exc:  # a worker that died (signal, memory) must not stop the other files
                    yield (
                        path,
                        Capture(hasher=str, file=str(path)).finish(),
                        InputError(f"worker failed: {exc.__class__.__name__}: {exc}", file=str(path)),
                        False,
                    )

    @staticmethod
    def _progress(path: Path, ctx: ScanContext) -> Callable[[int], None]:
        """Progress in bytes of the file (unknown total for compressed files), and the cancellation check."""
        task = f"pcap {path.name}"
        total: int | None = None
        try:
            with path.open("rb") as handle:
                if handle.read(2) != b"\x1f\x8b":
                    total = path.stat().st_size
        except OSError:
            pass

        def report(offset: int) -> None:
            ctx.progress(task, offset, total)
            if ctx.cancelled():
                raise Cancelled

        return report
