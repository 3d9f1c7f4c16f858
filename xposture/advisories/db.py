"""The advisory database: a SQLite file beside the store, filled by the importers, read by the matcher.

One ``affected`` row per (advisory, lookup key) with an index on the key is
what makes matching 10k components against 100k advisories a handful of
indexed lookups instead of a scan. Imports are idempotent: a file whose
SHA-256 is unchanged is skipped, a changed one replaces what it brought.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import sqlite3
import time
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from xposture.advisories.csaf import looks_like_csaf, parse_csaf
from xposture.advisories.cve5 import looks_like_cve5, parse_cve5
from xposture.advisories.epss import EpssEntry, looks_like_epss_csv, parse_epss_csv
from xposture.advisories.kev import KevEntry, looks_like_kev_csv, looks_like_kev_json, parse_kev_csv, parse_kev_json
from xposture.advisories.model import Advisory
from xposture.advisories.osv import looks_like_osv, parse_osv
from xposture.advisories.versions import Interval
from xposture.errors import InputError, StoreError

SCHEMA_VERSION = "2"
_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS sources(
    path TEXT PRIMARY KEY, sha256 TEXT, kind TEXT, imported_at REAL, advisories INTEGER, newest TEXT);
CREATE TABLE IF NOT EXISTS vulns(
    id INTEGER PRIMARY KEY, uid TEXT UNIQUE, vid TEXT, source TEXT, advisory TEXT, aliases TEXT, summary TEXT,
    severity TEXT, cvss_score REAL, cvss_vector TEXT, published TEXT, modified TEXT, refs TEXT, cwes TEXT,
    kev_date TEXT, remediation TEXT, origin TEXT);
CREATE INDEX IF NOT EXISTS vulns_origin ON vulns(origin);
CREATE TABLE IF NOT EXISTS affected(
    vuln INTEGER, key TEXT, scheme TEXT, ranges TEXT, range_text TEXT, product TEXT, conditional INTEGER,
    fixed TEXT, model INTEGER);
CREATE INDEX IF NOT EXISTS affected_key ON affected(key);
CREATE INDEX IF NOT EXISTS affected_vuln ON affected(vuln);
CREATE TABLE IF NOT EXISTS kev(cve TEXT PRIMARY KEY, date_added TEXT, due_date TEXT, ransomware TEXT, vendor TEXT, product TEXT);
CREATE TABLE IF NOT EXISTS epss(cve TEXT PRIMARY KEY, score REAL, percentile REAL, date TEXT);
"""
_VULN_SELECT = (
    "SELECT v.id, v.vid, v.source, v.advisory, v.aliases, v.summary, v.severity, v.cvss_score, v.cvss_vector,"
    " v.published, v.modified, v.refs, v.cwes, v.kev_date, v.remediation, k.date_added, e.score, e.percentile"
    " FROM vulns v LEFT JOIN kev k ON k.cve=v.vid LEFT JOIN epss e ON e.cve=v.vid WHERE v.id IN "
)
ADVISORY_SUFFIXES = (".json", ".json.gz", ".csv", ".csv.gz", ".zip")


@dataclass(slots=True)
class ImportReport:
    files: int = 0
    skipped_unchanged: int = 0
    advisories: int = 0
    kev: int = 0
    epss: int = 0
    ignored: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    seconds: float = 0.0


@dataclass(slots=True)
class Candidate:
    """One affected row joined with its advisory, as the matcher needs it."""

    key: str
    scheme: str
    intervals: list[Interval]
    ranges: str
    range_text: str
    product: str
    conditional: bool
    fixed: str
    model: bool
    vuln_row: int


def default_path(store_path: Path) -> Path:
    """``advisories.db`` next to the store (``args.db.with_name(...)``)."""
    return store_path.with_name("advisories.db")


class AdvisoryDB:
    """Open (and create) the advisory database at ``path``."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self.conn = sqlite3.connect(str(path))
            self.conn.execute("PRAGMA journal_mode=WAL")
            self.conn.execute("PRAGMA synchronous=NORMAL")
            self.conn.executescript(_SCHEMA)
            row = self.conn.execute("SELECT value FROM meta WHERE key='schema'").fetchone()
            if row is not None and row[0] != SCHEMA_VERSION:
                # the database is a cache of its sources: an older layout is dropped and re-imported
                self.conn.executescript(
                    "DROP TABLE IF EXISTS affected; DROP TABLE IF EXISTS vulns; DROP TABLE IF EXISTS sources;"
                    " DROP TABLE IF EXISTS kev; DROP TABLE IF EXISTS epss; DELETE FROM meta;"
                )
                self.conn.executescript(_SCHEMA)
            self.conn.execute("INSERT OR REPLACE INTO meta VALUES('schema', ?)", (SCHEMA_VERSION,))
            self.conn.commit()
        except sqlite3.Error as exc:
            raise StoreError(f"{path}: cannot open advisory database: {exc}") from exc
        self._vuln_cache: dict[int, dict[str, Any]] = {}

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> AdvisoryDB:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ import

    def import_paths(
        self, paths: Iterable[Path], *, force: bool = False, progress: Callable[[str], None] | None = None
    ) -> ImportReport:
        """Import every advisory file below ``paths`` (files, folders, zips), skipping unchanged files."""
        report = ImportReport()
        started = time.monotonic()
        for path in _expand(paths):
            report.files += 1
            try:
                digest = _sha256(path)
            except OSError as exc:
                report.errors.append(f"{path}: {exc}")
                continue
            key = str(path.resolve())
            row = self.conn.execute("SELECT sha256 FROM sources WHERE path=?", (key,)).fetchone()
            if row and row[0] == digest and not force:
                report.skipped_unchanged += 1
                continue
            if progress:
                progress(str(path))
            try:
                with self.conn:
                    self._forget(key)
                    kind, count, newest = self._import_file(path, key, report)
                    self.conn.execute(
                        "INSERT OR REPLACE INTO sources VALUES(?,?,?,?,?,?)",
                        (key, digest, kind, time.time(), count, newest),
                    )
            except InputError as exc:
                report.errors.append(str(exc))
        report.seconds = time.monotonic() - started
        self._vuln_cache.clear()
        return report

    def _forget(self, origin: str) -> None:
        self.conn.execute("DELETE FROM affected WHERE vuln IN (SELECT id FROM vulns WHERE origin=?)", (origin,))
        self.conn.execute("DELETE FROM vulns WHERE origin=?", (origin,))

    def _import_file(self, path: Path, origin: str, report: ImportReport) -> tuple[str, int, str]:
        if path.suffix.lower() == ".zip":
            return self._import_zip(path, origin, report)
        data = _read(path)
        return self._import_blob(data, str(path), origin, report)

    def _import_zip(self, path: Path, origin: str, report: ImportReport) -> tuple[str, int, str]:
        kinds: set[str] = set()
        total, newest = 0, ""
        try:
            archive = zipfile.ZipFile(path)
        except (zipfile.BadZipFile, OSError) as exc:
            raise InputError(f"bad zip: {exc}", file=str(path)) from exc
        with archive:
            for info in archive.infolist():
                if info.is_dir() or not info.filename.lower().endswith((".json", ".csv")):
                    continue
                if info.file_size > 256 * 1024 * 1024:
                    report.errors.append(f"{path}!{info.filename}: member too large, skipped")
                    continue
                data = archive.read(info)
                try:
                    kind, count, member_newest = self._import_blob(data, f"{path}!{info.filename}", origin, report)
                except InputError as exc:
                    report.errors.append(str(exc))
                    continue
                kinds.add(kind)
                total += count
                newest = max(newest, member_newest)
        return ",".join(sorted(kinds)) or "empty", total, newest

    def _import_blob(self, data: bytes, label: str, origin: str, report: ImportReport) -> tuple[str, int, str]:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise InputError(f"not UTF-8: {exc.reason}", file=label, offset=exc.start) from exc
        head = text[:2000]
        if label.lower().endswith((".csv", ".csv.gz")) or not text.lstrip().startswith(("{", "[")):
            if looks_like_kev_csv(head):
                return "kev", self._store_kev(parse_kev_csv(text), report), ""
            if looks_like_epss_csv(head):
                return "epss", self._store_epss(parse_epss_csv(text), report), ""
            report.ignored.append(label)
            return "ignored", 0, ""
        try:
            doc = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InputError(f"invalid JSON: {exc.msg}", file=label, line=exc.lineno, offset=exc.pos) from exc
        documents = doc if isinstance(doc, list) else [doc]
        kinds: set[str] = set()
        advisories: list[Advisory] = []
        for item in documents:
            kind = _kind(item)
            if kind == "kev":
                return "kev", self._store_kev(parse_kev_json(item), report), ""
            if not kind:
                report.ignored.append(label)
                continue
            try:
                advisories.extend(_PARSERS[kind](item))
            except (AttributeError, TypeError, ValueError, KeyError, IndexError) as exc:
                # advisories are untrusted input: a document of an unexpected shape is reported, never raised
                raise InputError(f"malformed {kind} document: {type(exc).__name__}: {exc}", file=label) from exc
            kinds.add(kind)
        self._store(advisories, origin)
        report.advisories += len(advisories)
        newest = max((a.modified for a in advisories), default="")
        return ",".join(sorted(kinds)) or "ignored", len(advisories), newest

    def _store(self, advisories: Sequence[Advisory], origin: str) -> None:
        affected_rows: list[tuple[Any, ...]] = []
        ranges_text: dict[tuple[Interval, ...], str] = {}
        for adv in advisories:
            cursor = self.conn.execute(_INSERT_VULN_IF_NEW, _vuln_row(adv, origin))
            if cursor.rowcount == 0:  # the same advisory from another file: the newer import wins
                old = self.conn.execute("SELECT id FROM vulns WHERE uid=?", (adv.uid,)).fetchone()[0]
                self.conn.execute("DELETE FROM affected WHERE vuln=?", (old,))
                self.conn.execute("DELETE FROM vulns WHERE id=?", (old,))
                cursor = self.conn.execute(_INSERT_VULN, _vuln_row(adv, origin))
            rowid = cursor.lastrowid
            for entry in adv.affected:
                span = tuple(entry.intervals)
                ranges = ranges_text.get(span)
                if ranges is None:
                    ranges = ranges_text[span] = json.dumps(
                        [i.to_json() for i in entry.intervals], separators=(",", ":")
                    )
                for key in entry.keys:
                    affected_rows.append(
                        (
                            rowid,
                            key,
                            entry.scheme,
                            ranges,
                            entry.range_text,
                            entry.product,
                            int(entry.conditional),
                            entry.fixed,
                            int(entry.model),
                        )
                    )
        self.conn.executemany("INSERT INTO affected VALUES(?,?,?,?,?,?,?,?,?)", affected_rows)

    def _store_kev(self, entries: Iterable[KevEntry], report: ImportReport) -> int:
        rows = [(e.cve, e.date_added, e.due_date, e.ransomware, e.vendor, e.product) for e in entries]
        self.conn.executemany("INSERT OR REPLACE INTO kev VALUES(?,?,?,?,?,?)", rows)
        report.kev += len(rows)
        return len(rows)

    def _store_epss(self, entries: Iterable[EpssEntry], report: ImportReport) -> int:
        rows = [(e.cve, e.score, e.percentile, e.date) for e in entries]
        self.conn.executemany("INSERT OR REPLACE INTO epss VALUES(?,?,?,?)", rows)
        report.epss += len(rows)
        return len(rows)

    # ------------------------------------------------------------------ read

    def candidates(self, keys: Iterable[str]) -> dict[str, list[Candidate]]:
        """Affected rows for each key (one indexed lookup per 500 keys); advisories are loaded later, for hits only."""
        wanted = sorted({k for k in keys if k})
        found: dict[str, list[Candidate]] = {}
        rows: list[tuple[Any, ...]] = []
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            marks = ",".join("?" * len(chunk))
            rows.extend(
                self.conn.execute(
                    f"SELECT vuln, key, scheme, ranges, range_text, product, conditional, fixed, model FROM affected WHERE key IN ({marks})",  # noqa: S608 - placeholders only
                    chunk,
                )
            )
        interval_cache: dict[str, list[Interval]] = {}
        for vuln, key, scheme, ranges, range_text, product, conditional, fixed, model in rows:
            intervals = interval_cache.get(ranges)
            if intervals is None:
                intervals = interval_cache[ranges] = [Interval.from_json(x) for x in json.loads(ranges)]
            found.setdefault(key, []).append(
                Candidate(
                    key,
                    scheme,
                    intervals,
                    ranges,
                    range_text,
                    product,
                    bool(conditional),
                    fixed,
                    bool(model),
                    vuln,
                )
            )
        return found

    def vulns(self, ids: Iterable[int]) -> dict[int, dict[str, Any]]:
        """Advisory details (with KEV date and EPSS) by row id, loaded in batches and cached."""
        wanted = set(ids)
        self._load_vulns(wanted)
        return {i: self._vuln_cache[i] for i in wanted if i in self._vuln_cache}

    def _load_vulns(self, ids: set[int]) -> None:
        missing = sorted(i for i in ids if i not in self._vuln_cache)
        for start in range(0, len(missing), 500):
            chunk = missing[start : start + 500]
            marks = ",".join("?" * len(chunk))
            query = _VULN_SELECT + f"({marks})"
            for row in self.conn.execute(query, chunk):
                self._vuln_cache[row[0]] = {
                    "id": row[1],
                    "source": row[2],
                    "advisory": row[3],
                    "aliases": _json_list(row[4]),
                    "summary": row[5],
                    "severity": row[6],
                    "cvss_score": row[7],
                    "cvss_vector": row[8],
                    "published": row[9],
                    "modified": row[10],
                    "references": _json_list(row[11]),
                    "cwes": _json_list(row[12]),
                    "kev_date": row[13] or row[15] or "",
                    "remediation": row[14],
                    "epss": row[16],
                    "epss_percentile": row[17],
                }

    def kev_lookup(self, cves: Iterable[str]) -> dict[str, str]:
        """KEV dateAdded for the CVEs given (aliases of non-CVE advisories included)."""
        wanted = sorted(set(cves))
        found: dict[str, str] = {}
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            marks = ",".join("?" * len(chunk))
            for cve, date in self.conn.execute(f"SELECT cve, date_added FROM kev WHERE cve IN ({marks})", chunk):  # noqa: S608
                found[cve] = date
        return found

    def epss_lookup(self, cves: Iterable[str]) -> dict[str, tuple[float, float]]:
        """EPSS (score, percentile) for the CVEs given."""
        wanted = sorted(set(cves))
        found: dict[str, tuple[float, float]] = {}
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            marks = ",".join("?" * len(chunk))
            query = f"SELECT cve, score, percentile FROM epss WHERE cve IN ({marks})"  # noqa: S608
            for cve, score, percentile in self.conn.execute(query, chunk):
                found[cve] = (score, percentile)
        return found

    def status(self) -> dict[str, Any]:
        """Sources with counts and ages, totals by kind: what ``advisories status`` shows."""
        now = time.time()
        sources = [
            {
                "path": p,
                "kind": k,
                "imported_at": t,
                "age_days": round((now - t) / 86400, 2),
                "advisories": n,
                "newest": newest,
            }
            for p, k, t, n, newest in self.conn.execute(
                "SELECT path, kind, imported_at, advisories, newest FROM sources ORDER BY path"
            )
        ]
        by_source = dict(self.conn.execute("SELECT source, COUNT(*) FROM vulns GROUP BY source").fetchall())
        newest = self.conn.execute("SELECT MAX(modified) FROM vulns").fetchone()[0] or ""
        last_import = max((s["imported_at"] for s in sources), default=None)
        return {
            "path": str(self.path),
            "advisories": sum(by_source.values()),
            "by_source": by_source,
            "affected_rows": self.conn.execute("SELECT COUNT(*) FROM affected").fetchone()[0],
            "kev": self.conn.execute("SELECT COUNT(*) FROM kev").fetchone()[0],
            "epss": self.conn.execute("SELECT COUNT(*) FROM epss").fetchone()[0],
            "newest_advisory": newest,
            "last_import": last_import,
            "age_days": round((now - last_import) / 86400, 2) if last_import else None,
            "sources": sources,
        }


_INSERT_VULN = (
    "INSERT INTO vulns(uid, vid, source, advisory, aliases, summary, severity, cvss_score, cvss_vector, published,"
    " modified, refs, cwes, kev_date, remediation, origin) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"
)


_INSERT_VULN_IF_NEW = _INSERT_VULN.replace("INSERT", "INSERT OR IGNORE", 1)


def _vuln_row(adv: Advisory, origin: str) -> tuple[Any, ...]:
    return (
        adv.uid,
        adv.id,
        adv.source,
        adv.advisory,
        _join(adv.aliases),
        adv.summary,
        adv.severity,
        adv.cvss_score,
        adv.cvss_vector,
        adv.published,
        adv.modified,
        _join(adv.references),
        _join(adv.cwes),
        adv.kev_date,
        adv.remediation,
        origin,
    )


def _join(values: Sequence[str]) -> str:
    """Lists of ids and URLs stored newline-joined: splitting is far cheaper than JSON on 100k rows."""
    return "\n".join(v.replace("\n", " ") for v in values)


def _json_list(text: str | None) -> list[str]:
    return text.split("\n") if text else []


def _kind(item: Any) -> str:
    if looks_like_csaf(item):
        return "csaf"
    if looks_like_cve5(item):
        return "cve5"
    if looks_like_osv(item):
        return "osv"
    if looks_like_kev_json(item):
        return "kev"
    return ""


def _cve5_list(item: Any) -> list[Advisory]:
    parsed = parse_cve5(item)
    return [parsed] if parsed is not None else []


_PARSERS: dict[str, Callable[[Any], list[Advisory]]] = {
    "csaf": parse_csaf,
    "cve5": _cve5_list,
    "osv": lambda item: [parse_osv(item)],
}


def _expand(paths: Iterable[Path]) -> Iterator[Path]:
    for path in paths:
        if path.is_dir():
            yield from sorted(p for p in path.rglob("*") if p.is_file() and p.name.lower().endswith(ADVISORY_SUFFIXES))
        elif path.is_file():
            yield path
        else:
            raise InputError("no such file or folder", file=str(path))


def _read(path: Path) -> bytes:
    try:
        raw = path.read_bytes()
        if path.name.lower().endswith(".gz"):
            return gzip.decompress(raw)
        return raw
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        raise InputError(f"cannot read: {exc}", file=str(path)) from exc


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
