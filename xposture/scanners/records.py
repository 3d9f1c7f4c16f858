"""The ``records`` scanner: load pre-collected records from JSON or JSONL files.

It is how other tools' output (and test fixtures) enter a scan without a
scanner of their own: nested objects are flattened to dotted names, so a
JSON log line becomes a record the rule engine can judge.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar, TypeVar

from xposture.errors import InputError
from xposture.model import ASSET_ID, KEY, LAYER, SOURCE_SCANNER, TYPE, Layer, Record, Scalar, field_text
from xposture.scanners.base import OptionType, ScanContext, SourceConfig

SUFFIXES = (".json", ".jsonl", ".ndjson")

_Loaded = TypeVar("_Loaded")


def flatten(obj: Mapping[str, Any], prefix: str = "") -> Record:
    """Flatten nested objects to dotted keys; lists of scalars stay lists, lists of objects become JSON text.

    Lists of objects cannot be judged per element by Sigma anyway (a condition
    over them does not hold per element), so we keep them as evidence text.
    """
    flat: Record = {}
    for key, value in obj.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            flat.update(flatten(value, name + "."))
        elif isinstance(value, list):
            if all(not isinstance(v, (Mapping, list)) for v in value):
                flat[name] = [_scalar(v) for v in value]
            else:
                flat[name] = json.dumps(value, sort_keys=True)
        else:
            flat[name] = _scalar(value)
    return flat


def _scalar(value: Any) -> Scalar:
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


def iter_json_documents(path: Path) -> Iterator[tuple[int, Any]]:
    """Yield ``(line, object)`` from a JSON array/object file or a JSON-lines file."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read: {exc}", file=str(path)) from exc
    stripped = text.lstrip()
    if path.suffix in (".jsonl", ".ndjson") or (
        stripped.startswith("{") and "\n{" in stripped and not _is_one_document(text)
    ):
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                yield number, json.loads(line)
            except json.JSONDecodeError as exc:
                raise InputError(f"invalid JSON: {exc.msg} (column {exc.colno})", file=str(path), line=number) from exc
        return
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(
            f"invalid JSON: {exc.msg} (column {exc.colno})", file=str(path), line=exc.lineno, offset=exc.pos
        ) from exc
    items = document.get("records", document.get("Records")) if isinstance(document, dict) else document
    if isinstance(items, list):
        for item in items:
            yield 1, item
    elif isinstance(document, dict):
        yield 1, document
    else:
        raise InputError("expected a JSON object, a list of objects or JSON lines", file=str(path))


def _is_one_document(text: str) -> bool:
    try:
        json.loads(text)
    except json.JSONDecodeError:
        return False
    return True


def expand_paths(paths: list[Path], suffixes: tuple[str, ...]) -> list[Path]:
    """Files named directly plus matching files below named folders, in a stable order."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in suffixes))
        elif path.exists():
            found.append(path)
        else:
            raise InputError("no such file or folder", file=str(path))
    return found


def scan_files(
    scanner: str,
    source: SourceConfig,
    ctx: ScanContext,
    files: Sequence[Path],
    load: Callable[[Path], _Loaded],
    judge: Callable[[_Loaded], tuple[list[Record], str, str]],
    *,
    none_found: str,
) -> Iterator[Record]:
    """Scan file by file with one coverage entry each; a bad file is reported and skipped, not fatal at once.

    ``load`` reads one file (an ``InputError`` marks that file failed);
    ``judge`` turns what was read into ``(records, status, detail)``. Every
    readable file is scanned first so one corrupt file does not hide the
    rest; the source still ends in error, naming the first bad file.
    """
    if not files:
        ctx.report(scanner, source.label, "skipped", none_found, site=source.site)
    errors: list[InputError] = []
    for path in files:
        if ctx.cancelled():
            ctx.report(scanner, str(path), "skipped", "cancelled", site=source.site)
            continue
        try:
            loaded = load(path)
        except InputError as exc:
            ctx.report(scanner, str(path), "failed", exc.message, site=source.site)
            errors.append(exc)
            continue
        records, status, detail = judge(loaded)
        ctx.report(scanner, str(path), status, detail, records=len(records), site=source.site)
        yield from records
    if errors:
        raise errors[0]


class RecordsScanner:
    """Load records written by another tool or an earlier export."""

    name: ClassVar[str] = "records"
    layer: ClassVar[Layer] = Layer.OT
    options: ClassVar[Mapping[str, OptionType]] = {
        "paths": list,
        "layer": str,
        "record_type": str,
        "asset_field": str,
        "key_field": str,
    }
    required: ClassVar[tuple[str, ...]] = ("paths",)

    def scan(self, source: SourceConfig, ctx: ScanContext) -> Iterator[Record]:
        layer = Layer(source.options.get("layer", self.layer.value))
        forced_type = source.options.get("record_type")
        asset_field = source.options.get("asset_field")
        key_field = source.options.get("key_field")
        for path in expand_paths(source.path_list(), SUFFIXES):
            count = 0
            for line, obj in iter_json_documents(path):
                if not isinstance(obj, Mapping):
                    raise InputError("expected a JSON object per record", file=str(path), line=line)
                record = flatten(obj)
                if forced_type:
                    record[TYPE] = forced_type
                if not isinstance(record.get(TYPE), str):
                    raise InputError("record has no 'record.type'", file=str(path), line=line)
                record.setdefault(LAYER, layer.value)
                if asset_field and ASSET_ID not in record:
                    record[ASSET_ID] = field_text(record.get(asset_field)) or f"file:{path.name}"
                record.setdefault(ASSET_ID, f"file:{path.name}")
                if key_field and KEY not in record:
                    record[KEY] = field_text(record.get(key_field))
                record.setdefault(KEY, f"{path.name}:{line}:{count}")
                record[SOURCE_SCANNER] = self.name
                record.setdefault("source.file", str(path))
                record.setdefault("source.line", line)
                count += 1
                yield record
            ctx.report(self.name, str(path), "ok", records=count, site=source.site)
