"""Find SBOM files and read each with the right reader, chosen by content rather than by file name.

Other tools name their SBOMs anything (``bom.json``, ``sbom.spdx``, ``x.cdx``):
sniffing the content is what keeps "found nothing" away.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

from xposture.errors import InputError
from xposture.sbom.buildroot import looks_like_manifest, looks_like_pkg_stats, read_manifest, read_pkg_stats
from xposture.sbom.cyclonedx import looks_like_cyclonedx_json, parse_json, parse_xml
from xposture.sbom.model import Document
from xposture.sbom.spdx import looks_like_spdx2, looks_like_spdx3, read_spdx2, read_spdx3

SBOM_SUFFIXES = (".json", ".xml", ".spdx", ".yaml", ".yml", ".rdf", ".cdx", ".jsonld", ".bom", "manifest.csv")
MAX_BYTES = 512 * 1024 * 1024


class NotAnSbom(InputError):
    """The file is readable but is not an SBOM (a VEX document, a README...): skipped, not failed."""


def iter_sbom_files(paths: list[Path]) -> Iterator[Path]:
    """Files named directly, plus files with SBOM-like suffixes below named folders, in a stable order."""
    for path in paths:
        if path.is_dir():
            yield from sorted(p for p in path.rglob("*") if p.is_file() and _has_suffix(p))
        elif path.is_file():
            yield path
        else:
            raise InputError("no such file or folder", file=str(path))


def _has_suffix(path: Path) -> bool:
    name = path.name.lower()
    return any(name.endswith(s) for s in SBOM_SUFFIXES) or name.endswith(".spdx.json")


def read_text(path: Path) -> str:
    try:
        if path.stat().st_size > MAX_BYTES:
            raise InputError(f"larger than {MAX_BYTES} bytes", file=str(path))
        return path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"not UTF-8 text: {exc.reason}", file=str(path), offset=exc.start) from exc
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror or exc}", file=str(path)) from exc


def read_sbom(path: Path, *, validate: bool = True) -> Document:
    """Read one SBOM file of any supported format; ``NotAnSbom`` for other documents, ``InputError`` for broken ones."""
    text = read_text(path)
    stripped = text.lstrip()
    if not stripped:
        raise InputError("empty file", file=str(path))
    if stripped.startswith("<"):
        if "cyclonedx.org/schema/bom" in stripped[:4000]:
            return parse_xml(path, text, validate=validate)
        if "spdx" in stripped[:4000].lower():
            return read_spdx2(path, text, "rdf")
        raise NotAnSbom("XML document that is neither CycloneDX nor SPDX", file=str(path))
    if stripped.startswith(("{", "[")):
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            if not path.name.lower().endswith((".json", ".cdx", ".bom", ".jsonld")):
                raise NotAnSbom("not JSON and not a recognised SBOM format", file=str(path)) from exc
            raise InputError(f"invalid JSON: {exc.msg}", file=str(path), line=exc.lineno, offset=exc.pos) from exc
        if looks_like_cyclonedx_json(data):
            return parse_json(path, data, text, validate=validate)
        if looks_like_spdx2(data):
            return read_spdx2(path, text, "json")
        if looks_like_spdx3(data):
            return read_spdx3(path, data, text)
        if looks_like_pkg_stats(data):
            return read_pkg_stats(path, data, text)
        raise NotAnSbom("JSON document that is neither CycloneDX nor SPDX", file=str(path))
    if looks_like_manifest(stripped):
        return read_manifest(path, text)
    if "SPDXVersion:" in stripped[:4000]:
        return read_spdx2(path, text, "tag-value")
    if "spdxVersion:" in stripped[:4000]:
        return read_spdx2(path, text, "yaml")
    raise NotAnSbom("not a recognised SBOM format", file=str(path))
