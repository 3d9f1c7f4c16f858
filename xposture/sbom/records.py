"""SBOM documents, components and VEX statements as records: the fields rules and the matcher judge.

NTIA minimum-element facts and the quality counts are derived here, never in
a rule, so ``supply_chain`` rules stay plain field comparisons.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from xposture.model import FieldValue, Layer, Record, make_record
from xposture.sbom.eol import days_past, end_of_support
from xposture.sbom.model import Component, Document
from xposture.sbom.vex import VexStatement

SCANNER = "sbom"


def subject_asset(doc: Document) -> tuple[str, str, str]:
    """(asset id, kind, name) of what the SBOM describes: the firmware image or product."""
    kind = "firmware" if doc.subject_type in ("firmware", "device", "operating-system") else "sbom"
    name = doc.name or re.sub(
        r"(\.(cdx|spdx|bom|sbom))*\.(json|xml|yaml|yml|spdx|rdf)$", "", doc.path.rsplit("/", 1)[-1]
    )
    if doc.subject_purl:
        return doc.subject_purl, kind, name
    label = f"{name}@{doc.version}" if doc.version else name
    return f"{kind}:{label}", kind, name


def _clean(fields: dict[str, FieldValue]) -> dict[str, FieldValue]:
    """Drop empty strings: an absent field and an empty one must look the same to a rule."""
    return {k: v for k, v in fields.items() if v != ""}


def has_unique_id(comp: Component) -> bool:
    return bool(comp.purl or comp.cpe or comp.swid)


def ntia_missing(doc: Document) -> list[str]:
    """NTIA minimum elements (2021) the document lacks."""
    missing = []
    comps = doc.components
    if comps and any(not c.vendor for c in comps):
        missing.append("supplier")
    if any(not c.name for c in comps):
        missing.append("component_name")
    if comps and any(not c.version for c in comps):
        missing.append("version")
    if comps and any(not has_unique_id(c) for c in comps):
        missing.append("unique_identifier")
    if len(comps) > 1 and not doc.dependencies and not any(c.parent for c in comps):
        missing.append("dependency_relationship")
    if not doc.authors and not doc.tools:
        missing.append("author")
    if not doc.timestamp:
        missing.append("timestamp")
    return missing


def document_record(doc: Document, site: str = "") -> Record:
    asset_id, kind, name = subject_asset(doc)
    comps = doc.components
    missing = ntia_missing(doc)
    fields: dict[str, FieldValue] = {
        "asset.kind": kind,
        "asset.name": name,
        "asset.purl": doc.subject_purl or None,
        "site": site or None,
        "sbom.file": doc.path,
        "sbom.format": doc.format,
        "sbom.spec_version": doc.spec_version,
        "sbom.encoding": doc.encoding,
        "sbom.serial": doc.serial,
        "sbom.name": name,
        "sbom.version": doc.version,
        "sbom.subject_type": doc.subject_type,
        "sbom.supplier": doc.subject_supplier,
        "sbom.authors": doc.authors,
        "sbom.tools": doc.tools,
        "sbom.timestamp": doc.timestamp,
        "sbom.has_author": bool(doc.authors or doc.tools),
        "sbom.has_timestamp": bool(doc.timestamp),
        "sbom.has_relationships": bool(doc.dependencies) or any(c.parent for c in comps),
        "sbom.components": len(comps),
        "sbom.relationships": doc.relationship_count,
        "sbom.components_without_supplier": sum(1 for c in comps if not c.vendor),
        "sbom.components_without_version": sum(1 for c in comps if not c.version),
        "sbom.components_without_unique_id": sum(1 for c in comps if not has_unique_id(c)),
        "sbom.components_without_hash": sum(1 for c in comps if not c.hashes),
        "sbom.components_without_license": sum(1 for c in comps if not c.licenses),
        "sbom.all_components_have_supplier": all(c.vendor for c in comps),
        "sbom.all_components_have_hash": all(c.hashes for c in comps),
        "sbom.all_components_have_license": all(c.licenses for c in comps),
        "sbom.ntia_minimum_elements": not missing,
        "sbom.ntia_missing": missing,
        "sbom.schema_checked": doc.schema_checked,
        "sbom.schema_valid": doc.schema_checked and not doc.schema_errors,
        "sbom.schema_error_count": len(doc.schema_errors),
        "sbom.schema_errors": doc.schema_errors[:10],
        "sbom.empty": not comps,
        "sbom.embedded_vex": len(doc.vulnerabilities),
    }
    return make_record(
        "sbom_document",
        asset_id=asset_id,
        key=f"sbom:{doc.path}",
        layer=Layer.SUPPLY_CHAIN,
        scanner=SCANNER,
        fields=_clean(fields),
        file=doc.path,
        line=1,
    )


def component_records(doc: Document, site: str = "") -> Iterator[Record]:
    asset_id, kind, name = subject_asset(doc)
    for comp in doc.components:
        eol = end_of_support(comp.name, comp.version)
        past = days_past(eol) if eol else None
        fields: dict[str, FieldValue] = {
            "asset.kind": kind,
            "asset.name": name,
            "site": site or None,
            "sbom.file": doc.path,
            "sbom.format": doc.format,
            "sbom.name": name,
            "component.ref": comp.ref,
            "component.name": comp.name,
            "component.version": comp.version,
            "component.type": comp.type,
            "component.purl": comp.purl,
            "component.cpe": comp.cpe,
            "component.swid": comp.swid,
            "component.group": comp.group,
            "component.supplier": comp.supplier,
            "component.manufacturer": comp.manufacturer,
            "component.author": comp.author,
            "component.vendor": comp.vendor,
            "component.model": comp.model,
            "component.licenses": comp.licenses,
            "component.hash_algorithms": sorted(comp.hashes),
            "component.has_hash": bool(comp.hashes),
            "component.has_supplier": bool(comp.vendor),
            "component.has_license": bool(comp.licenses),
            "component.has_version": bool(comp.version),
            "component.has_unique_id": has_unique_id(comp),
            "component.parent": comp.parent,
            "component.depth": comp.depth,
            "component.dependencies": len(comp.depends_on),
            "component.eol_date": eol,
            "component.eol": past is not None and past > 0,
            "component.days_past_eol": past if past is not None and past > 0 else None,
        }
        yield make_record(
            "sbom_component",
            asset_id=asset_id,
            key=f"component:{comp.purl or comp.ref}",
            layer=Layer.SUPPLY_CHAIN,
            scanner=SCANNER,
            fields=_clean(fields),
            file=doc.path,
            line=comp.line,
        )


def vex_record(statement: VexStatement, index: int) -> Record:
    fields: dict[str, FieldValue] = {
        "asset.kind": "vex",
        "vex.vulnerability": statement.vulnerability,
        "vex.aliases": statement.aliases,
        "vex.products": statement.products,
        "vex.status": statement.status,
        "vex.justification": statement.justification,
        "vex.detail": statement.detail,
        "vex.timestamp": statement.timestamp,
        "vex.format": statement.fmt,
    }
    return make_record(
        "vex_statement",
        asset_id=f"vex:{statement.source.rsplit('/', 1)[-1]}",
        key=f"vex:{index}:{statement.vulnerability}",
        layer=Layer.SUPPLY_CHAIN,
        scanner=SCANNER,
        fields=_clean(fields),
        file=statement.source,
    )


def statement_from_record(record: Record) -> VexStatement:
    def strings(name: str) -> list[str]:
        value = record.get(name)
        return [str(v) for v in value] if isinstance(value, list) else ([str(value)] if value else [])

    return VexStatement(
        vulnerability=str(record.get("vex.vulnerability") or ""),
        aliases=strings("vex.aliases"),
        products=strings("vex.products"),
        status=str(record.get("vex.status") or ""),
        justification=str(record.get("vex.justification") or ""),
        detail=str(record.get("vex.detail") or ""),
        timestamp=str(record.get("vex.timestamp") or ""),
        source=str(record.get("source.file") or ""),
        fmt=str(record.get("vex.format") or ""),
    )
