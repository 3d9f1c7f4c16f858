"""Buildroot build outputs as SBOMs: ``make pkg-stats`` JSON and ``legal-info/manifest.csv``.

Embedded Linux firmware is often built with Buildroot, whose own outputs list
every package with its version, licence and (pkg-stats) CPE. Reading them
directly means such an image can be matched even when nobody produced a
CycloneDX or SPDX document for it.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from xposture.errors import InputError
from xposture.sbom.model import Component, Document
from xposture.sbom.textpos import LineIndex

MANIFEST_HEADER = ("PACKAGE", "VERSION", "LICENSE")


def looks_like_pkg_stats(data: Any) -> bool:
    packages = data.get("packages") if isinstance(data, Mapping) else None
    if not isinstance(packages, Mapping) or not packages:
        return False
    first = next(iter(packages.values()))
    return isinstance(first, Mapping) and "current_version" in first


def looks_like_manifest(text: str) -> bool:
    head = text.lstrip("\ufeff").split("\n", 1)[0]
    return all(f'"{column}"' in head or head.startswith(column) for column in MANIFEST_HEADER)


def read_pkg_stats(path: Path, data: Mapping[str, Any], text: str) -> Document:
    """``make pkg-stats`` JSON: target packages with version, CPE and licence (host tools are left out)."""
    doc = Document(path=str(path), format="buildroot", spec_version="pkg-stats", encoding="json")
    doc.timestamp = str(data.get("date") or "")
    doc.tools = ["buildroot pkg-stats" + (f" {data['commit']}" if data.get("commit") else "")]
    lines = LineIndex(text)
    for name, info in (data.get("packages") or {}).items():
        if not isinstance(info, Mapping):
            continue
        infras = info.get("infras") or []
        if infras and all(isinstance(i, list) and i and i[0] == "host" for i in infras):
            continue  # host-only tools are not in the image
        version = str(info.get("current_version") or "")
        license_text = str(info.get("license") or "")
        comp = Component(
            ref=str(name),
            name=str(name),
            version=version,
            cpe=str(info.get("cpeid") or ""),
            purl=f"pkg:generic/{name}@{version}" if version else f"pkg:generic/{name}",
            licenses=[license_text] if license_text else [],
            properties={"buildroot:path": str(info.get("pkg_path") or "")},
        )
        comp.line = lines.find_line(str(name))
        doc.components.append(comp)
    doc.schema_checked = False
    return doc


def read_manifest(path: Path, text: str) -> Document:
    """``legal-info/manifest.csv``: one row per target package (name, version, licence, source)."""
    doc = Document(path=str(path), format="buildroot", spec_version="legal-info", encoding="csv")
    try:
        rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    except csv.Error as exc:
        raise InputError(f"invalid CSV: {exc}", file=str(path)) from exc
    for number, row in enumerate(rows, start=2):
        name = (row.get("PACKAGE") or "").strip()
        if not name:
            continue
        version = (row.get("VERSION") or "").strip()
        license_text = (row.get("LICENSE") or "").strip()
        doc.components.append(
            Component(
                ref=name,
                name=name,
                version=version,
                purl=f"pkg:generic/{name}@{version}" if version else f"pkg:generic/{name}",
                licenses=[license_text] if license_text and license_text != "unknown" else [],
                external_refs=[(row.get("SOURCE SITE") or "").strip()] if row.get("SOURCE SITE") else [],
                line=number,
            )
        )
    return doc
