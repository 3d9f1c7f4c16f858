"""The ``sbom`` scanner: SBOM files and VEX documents in, ``sbom_document``/``sbom_component``/``vex_statement`` out.

Matching against advisories happens later, in the vulnerability enricher, so
that device identities from the OT scanners and SBOM components meet the same
advisory database in one place.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import ClassVar

from xposture.errors import InputError
from xposture.model import Layer, Record
from xposture.sbom.loader import NotAnSbom, iter_sbom_files, read_sbom
from xposture.sbom.records import component_records, document_record, vex_record
from xposture.sbom.vex import embedded_statements, read_vex, vex_files
from xposture.scanners.base import OptionType, ScanContext, SourceConfig


class SbomScanner:
    """Read CycloneDX and SPDX SBOMs (and VEX files) from the paths an inventory names."""

    name: ClassVar[str] = "sbom"
    layer: ClassVar[Layer] = Layer.SUPPLY_CHAIN
    options: ClassVar[Mapping[str, OptionType]] = {
        "paths": list,
        "vex": list,
        "validate": bool,
        "layer": str,
    }
    required: ClassVar[tuple[str, ...]] = ("paths",)

    def scan(self, source: SourceConfig, ctx: ScanContext) -> Iterator[Record]:
        validate = bool(source.options.get("validate", True))
        vex_paths = [p.resolve() for p in source.path_list("vex")]
        statements = 0
        failures: list[InputError] = []
        for path in self._files(source.path_list("paths"), source, ctx, failures):
            if ctx.cancelled():
                ctx.report(self.name, str(path), "timeout", "scan cancelled", site=source.site)
                break
            if any(path.resolve().is_relative_to(v) for v in vex_paths if v.is_dir()) or path.resolve() in vex_paths:
                continue
            try:
                doc = read_sbom(path, validate=validate)
            except NotAnSbom as exc:
                try:
                    found = read_vex(path)  # a supplier's VEX shipped next to its SBOMs
                except InputError:
                    ctx.report(self.name, str(path), "skipped", exc.message, site=source.site)
                    continue
                for statement in found:
                    statements += 1
                    yield vex_record(statement, statements)
                ctx.report(
                    self.name, str(path), "ok", f"{len(found)} VEX statements", records=len(found), site=source.site
                )
                continue
            except InputError as exc:
                ctx.report(self.name, str(path), "failed", exc.message, site=source.site)
                failures.append(exc)
                continue
            if not doc.components and doc.vulnerabilities:
                for statement in embedded_statements(doc.vulnerabilities, str(path), doc.timestamp):
                    statements += 1
                    yield vex_record(statement, statements)
                ctx.report(
                    self.name,
                    str(path),
                    "ok",
                    "CycloneDX VEX document",
                    records=len(doc.vulnerabilities),
                    site=source.site,
                )
                continue
            yield document_record(doc, source.site)
            count = 1
            for record in component_records(doc, source.site):
                count += 1
                yield record
            for statement in embedded_statements(doc.vulnerabilities, str(path), doc.timestamp):
                statements += 1
                count += 1
                yield vex_record(statement, statements)
            status = "ok" if doc.components else "partial"
            detail = f"{doc.format} {doc.spec_version} {doc.encoding}, {len(doc.components)} components"
            if doc.schema_errors:
                detail += f", {len(doc.schema_errors)} schema errors"
            ctx.report(self.name, str(path), status, detail, records=count, site=source.site)
        for path in self._vex_files(source.path_list("vex"), source, ctx, failures):
            try:
                found = read_vex(path)
            except InputError as exc:
                ctx.report(self.name, str(path), "failed", exc.message, site=source.site)
                failures.append(exc)
                continue
            for statement in found:
                statements += 1
                yield vex_record(statement, statements)
            ctx.report(self.name, str(path), "ok", f"{len(found)} VEX statements", records=len(found), site=source.site)
        if failures:
            raise failures[0]

    def _files(
        self, paths: list[Path], source: SourceConfig, ctx: ScanContext, failures: list[InputError]
    ) -> Iterator[Path]:
        for path in paths:
            try:
                yield from iter_sbom_files([path])
            except InputError as exc:
                ctx.report(self.name, str(path), "failed", exc.message, site=source.site)
                failures.append(exc)

    def _vex_files(
        self, paths: list[Path], source: SourceConfig, ctx: ScanContext, failures: list[InputError]
    ) -> Iterator[Path]:
        for path in paths:
            try:
                yield from vex_files([path])
            except InputError as exc:
                ctx.report(self.name, str(path), "failed", exc.message, site=source.site)
                failures.append(exc)
