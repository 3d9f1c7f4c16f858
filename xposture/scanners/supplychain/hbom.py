"""The ``hbom`` scanner: what chips and firmware are inside each machine, and where they came from.

One ``hw_component`` record per CycloneDX ``device``/``firmware`` component
(or SPDX 3 device/firmware package), all under the asset of the BOM's
subject device, and one ``hbom`` record per file carrying the SEMI E187/E188
evidence found in its ``declarations``. The supply-chain judgement (origin,
distributors, lifecycle, ECCN, OS support) is reduced to booleans by
``hbom_policy`` so the rules stay plain Sigma.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator, Mapping
from typing import ClassVar

from xposture.errors import InputError
from xposture.model import FieldValue, Layer, Record, make_record
from xposture.scanners.base import OptionType, ScanContext, SourceConfig
from xposture.scanners.records import expand_paths, scan_files
from xposture.scanners.supplychain.hbom_policy import HwPolicy, derive
from xposture.scanners.supplychain.hbom_read import HwComponent, HwDocument, load_document

SUFFIXES = (".json", ".xml")

MALWARE_WORDS = ("malware", "anti-virus", "antivirus", "virus scan", "semi e188", "e188")
VULN_WORDS = ("vulnerability scan", "vulnerability assessment", "vulnerability report", "scap", "semi e187", "e187")


class HbomScanner:
    """Read hardware BOMs (CycloneDX JSON/XML, SPDX 3 JSON-LD) into ``hw_component`` and ``hbom`` records."""

    name: ClassVar[str] = "hbom"
    layer: ClassVar[Layer] = Layer.SUPPLY_CHAIN
    options: ClassVar[Mapping[str, OptionType]] = {"paths": (list, str), "today": str}
    required: ClassVar[tuple[str, ...]] = ("paths",)

    def scan(self, source: SourceConfig, ctx: ScanContext) -> Iterator[Record]:
        today = dt.date.fromisoformat(source.options["today"]) if source.options.get("today") else None
        policy = HwPolicy.from_policy(ctx.policy or {}, today=today)
        try:
            files = expand_paths(source.path_list(), SUFFIXES)
        except InputError as exc:
            ctx.report(self.name, exc.file or source.label, "failed", exc.message, site=source.site)
            raise

        def judge(doc: HwDocument) -> tuple[list[Record], str, str]:
            records = list(document_records(doc, policy, self.name, site=source.site))
            if doc.components:
                return records, "ok", ""
            return records, "partial", "no device or firmware components in this BOM"

        yield from scan_files(
            self.name, source, ctx, files, load_document, judge, none_found="no .json or .xml BOM files found"
        )


def document_records(doc: HwDocument, policy: HwPolicy, scanner: str, *, site: str = "") -> Iterator[Record]:
    """All records for one parsed BOM (public so the benchmark and the enricher tests can reuse it)."""
    by_ref = {c.bom_ref: c for c in doc.components}
    subject = next((c for c in doc.components if c.top_level and c.type == "device"), None)
    asset_id, asset_fields = _asset(doc, subject)
    for comp in doc.components:
        fields: dict[str, FieldValue] = dict(asset_fields)
        fields.update(_stated_fields(comp, by_ref))
        fields.update(derive(comp, policy, by_ref))
        if comp is subject:
            fields.update(_identity(comp, by_ref))
        yield make_record(
            "hw_component",
            asset_id=asset_id,
            key=comp.bom_ref,
            layer=Layer.SUPPLY_CHAIN,
            scanner=scanner,
            fields=fields | ({"site": site} if site else {}),
            file=str(doc.path),
        )
    if not doc.components:
        return
    evidence = " ".join(doc.evidence)
    devices = sum(1 for c in doc.components if c.type == "device")
    yield make_record(
        "hbom",
        asset_id=asset_id,
        key=f"hbom:{doc.path.name}",
        layer=Layer.SUPPLY_CHAIN,
        scanner=scanner,
        fields=asset_fields
        | _nonempty(
            {
                "hbom.format": doc.format,
                "hbom.spec_version": doc.spec_version,
                "hbom.serial_number": doc.serial_number,
                "hbom.subject": doc.subject_name,
                "hbom.subject_version": doc.subject_version,
                "hbom.devices": devices,
                "hbom.firmware": len(doc.components) - devices,
                "hbom.software_components": doc.software_components,
                "hbom.declarations": len(doc.evidence),
                "hbom.malware_scan_evidence": any(w in evidence for w in MALWARE_WORDS),
                "hbom.vulnerability_scan_evidence": any(w in evidence for w in VULN_WORDS),
            }
        )
        | ({"site": site} if site else {}),
        file=str(doc.path),
    )


def _asset(doc: HwDocument, subject: HwComponent | None) -> tuple[str, dict[str, FieldValue]]:
    """The machine the BOM describes is the asset; its parts are records of that asset."""
    if subject is None:
        firmware = next((c for c in doc.components if c.top_level and c.type == "firmware"), None)
        if firmware is not None:
            name = f"{_slug(firmware.name)}@{_slug(firmware.version)}" if firmware.version else _slug(firmware.name)
            return f"firmware:{name}", {"asset.kind": "firmware", "asset.name": firmware.name}
        return f"hbom:{doc.path.stem}", {"asset.kind": "hbom", "asset.name": doc.subject_name or doc.path.stem}
    vendor = subject.manufacturer or subject.group or subject.supplier
    model = subject.attributes.get("part_number") or subject.name
    serial = subject.attributes.get("serial", "")
    parts = [p for p in (_slug(vendor), _slug(model), _slug(serial)) if p]
    fields: dict[str, FieldValue] = {"asset.kind": "device", "asset.name": subject.name}
    if serial:
        fields["asset.serial"] = serial
    return "device:" + "/".join(parts), fields


def _identity(comp: HwComponent, by_ref: Mapping[str, HwComponent]) -> dict[str, FieldValue]:
    firmware = next((by_ref[r] for r in comp.children if r in by_ref and by_ref[r].type == "firmware"), None)
    return {
        "identity.vendor": comp.manufacturer or comp.group or comp.supplier,
        "identity.model": comp.attributes.get("part_number") or comp.name,
        "identity.serial": comp.attributes.get("serial"),
        "identity.hardware": comp.version,
        "identity.firmware": firmware.version if firmware else None,
    }


def _stated_fields(comp: HwComponent, by_ref: Mapping[str, HwComponent]) -> dict[str, FieldValue]:
    attrs = comp.attributes
    parent = by_ref.get(comp.parent_ref)
    fields: dict[str, FieldValue] = {
        "hw.type": comp.type,
        "hw.name": comp.name,
        "hw.bom_ref": comp.bom_ref,
        "hw.version": comp.version,
        "hw.group": comp.group,
        "hw.parent_ref": comp.parent_ref,
        "hw.parent_name": parent.name if parent else None,
        "hw.depth": comp.depth,
        "hw.top_level": comp.top_level,
        "hw.manufacturer": comp.manufacturer,
        "hw.manufacturer_country": comp.manufacturer_country,
        "hw.supplier": comp.supplier,
        "hw.supplier_country": comp.supplier_country,
        "hw.part_number": attrs.get("part_number"),
        "hw.serial": attrs.get("serial"),
        "hw.lot": attrs.get("lot"),
        "hw.date_code": attrs.get("date_code") or attrs.get("prod_timestamp"),
        "hw.eccn": attrs.get("eccn", "").upper() or None,
        "hw.function": attrs.get("function"),
        "hw.mac": attrs.get("mac", "").lower() or None,
        "hw.os_name": attrs.get("os_name"),
        "hw.os_version": attrs.get("os_version"),
        "hw.purl": comp.purl,
        "hw.cpe": comp.cpe,
        "hw.certifications": sorted(set(comp.certifications)),
        "hw.children": list(comp.children),
        "hw.digests": [f"{alg}:{value}" for alg, value in sorted(comp.hashes.items())],
    }
    return _nonempty(fields)


def _nonempty(fields: dict[str, FieldValue]) -> dict[str, FieldValue]:
    return {k: v for k, v in fields.items() if v not in ("", None)}


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9._-]+", "-", text.lower()).strip("-")
