"""Read the hardware side of a bill of materials: devices, firmware and their supply data.

CycloneDX 1.4-1.7 JSON or XML (``device``/``firmware`` components, nested to any
depth, ``manufacturer``/``supplier`` entities, the official ``cdx:device:*``
properties) and SPDX 3 JSON-LD packages whose primary purpose is ``device``
or ``firmware``. Fields that no standard carries yet (part number, country of
origin, ECCN, part lifecycle, distributor) are read from a small set of
property names, listed in ``PROPERTY_ALIASES`` and in docs/taxonomy/silicon.md,
so that BOMs written by different tools all land in the same record fields.

This module only parses; the general software SBOM reader lives elsewhere.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from xposture.errors import InputError
from xposture.sbom.model import as_list as _list
from xposture.sbom.model import as_mapping as _mapping
from xposture.sbom.model import as_text as _text
from xposture.scanners.supplychain.hbom_xml import parse_xml

HARDWARE_TYPES = ("device", "firmware")
"""CycloneDX component types this reader turns into ``hw_component`` records."""

# Canonical name -> accepted property names (case-insensitive). The ``xposture:hw:`` names are ours; the
# others are the spellings seen in the wild or in the CycloneDX property taxonomy (cdx/device.md).
PROPERTY_ALIASES: dict[str, tuple[str, ...]] = {
    "part_number": (
        "xposture:hw:mpn",
        "cdx:device:mpn",
        "cdx:device:partnumber",
        "cdx:device:manufacturerpartnumber",
        "mpn",
        "manufacturerpartnumber",
        "partnumber",
    ),
    "origin_country": (
        "xposture:hw:origincountry",
        "cdx:device:countryoforigin",
        "cdx:device:origincountry",
        "countryoforigin",
        "origincountry",
        "coo",
    ),
    "manufacturer_country": ("xposture:hw:manufacturercountry", "cdx:device:manufacturer:country"),
    "distributor": ("xposture:hw:distributor", "cdx:device:distributor", "distributor"),
    "lifecycle": ("xposture:hw:lifecycle", "cdx:device:lifecycle", "lifecyclestatus", "lifecycle"),
    "eol_date": ("xposture:hw:eoldate", "cdx:device:eoldate", "eoldate", "endoflife"),
    "ltb_date": ("xposture:hw:lasttimebuydate", "cdx:device:lasttimebuy", "lasttimebuydate", "ltbdate"),
    "eccn": ("xposture:hw:eccn", "cdx:device:eccn", "eccn", "exportcontrolclassificationnumber"),
    "lot": ("cdx:device:lotnumber", "xposture:hw:lot", "lotnumber", "lot"),
    "date_code": ("xposture:hw:datecode", "cdx:device:datecode", "datecode"),
    "serial": ("cdx:device:serialnumber", "xposture:hw:serial", "serialnumber"),
    "prod_timestamp": ("cdx:device:prodtimestamp",),
    "mac": ("cdx:device:macaddress",),
    "function": ("cdx:device:function",),
    "quantity": ("cdx:device:quantity",),
    "os_name": ("xposture:hw:osname", "cdx:device:os", "operatingsystem"),
    "os_version": ("xposture:hw:osversion", "cdx:device:osversion"),
}
_ALIAS_INDEX = {alias: canonical for canonical, aliases in PROPERTY_ALIASES.items() for alias in aliases}
_CERT_PREFIX = "cdx:device:certifications:"


@dataclass(slots=True)
class HwComponent:
    """One device or firmware component as the BOM states it (no policy applied)."""

    type: str
    name: str
    bom_ref: str = ""
    version: str = ""
    group: str = ""
    parent_ref: str = ""
    depth: int = 0
    top_level: bool = False
    manufacturer: str = ""
    manufacturer_country: str = ""
    supplier: str = ""
    supplier_country: str = ""
    purl: str = ""
    cpe: str = ""
    description: str = ""
    hashes: dict[str, str] = field(default_factory=dict)
    certifications: list[str] = field(default_factory=list)
    children: list[str] = field(default_factory=list)
    attributes: dict[str, str] = field(default_factory=dict)
    """Canonical property name (keys of ``PROPERTY_ALIASES``) -> value."""
    offset: int | None = None


@dataclass(slots=True)
class HwDocument:
    """What one hardware BOM file says, plus the SEMI E188 evidence it declares."""

    path: Path
    format: str
    spec_version: str = ""
    serial_number: str = ""
    subject_name: str = ""
    subject_version: str = ""
    components: list[HwComponent] = field(default_factory=list)
    software_components: int = 0
    dependencies: dict[str, list[str]] = field(default_factory=dict)
    evidence: list[str] = field(default_factory=list)
    """Lower-cased text of every declared evidence/claim/attestation, searched for scan reports."""


def load_document(path: Path) -> HwDocument:
    """Parse one BOM file; raise ``InputError`` naming the file for anything unreadable."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror or exc}", file=str(path)) from exc
    if raw.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<"):
        return _cyclonedx(path, parse_xml(raw, file=str(path)))
    try:
        data = json.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise InputError("not UTF-8 text (JSON or XML BOMs are read)", file=str(path), offset=exc.start) from exc
    except json.JSONDecodeError as exc:
        raise InputError(f"invalid JSON: {exc.msg}", file=str(path), line=exc.lineno, offset=exc.pos) from exc
    except RecursionError as exc:
        raise InputError("JSON nested too deeply", file=str(path)) from exc
    if not isinstance(data, dict):
        raise InputError("expected a JSON object (CycloneDX or SPDX 3)", file=str(path))
    if data.get("bomFormat") == "CycloneDX":
        return _cyclonedx(path, data)
    if "@graph" in data or "@context" in data:
        return _spdx3(path, data)
    raise InputError("neither a CycloneDX BOM (bomFormat) nor an SPDX 3 JSON-LD document (@graph)", file=str(path))


# --- CycloneDX ---------------------------------------------------------------------------------------------


def _cyclonedx(path: Path, data: Mapping[str, Any]) -> HwDocument:
    doc = HwDocument(path=path, format="cyclonedx", spec_version=_text(data.get("specVersion")))
    doc.serial_number = _text(data.get("serialNumber"))
    metadata = _mapping(data.get("metadata"))
    bom_manufacturer = _entity(metadata.get("manufacturer") or metadata.get("manufacture"))
    subject = _mapping(metadata.get("component"))
    if subject:
        doc.subject_name = _text(subject.get("name"))
        doc.subject_version = _text(subject.get("version"))
    counter = [0]
    top_refs: list[str] = []
    if subject:
        for comp in _walk(subject, "", 0, doc, counter, bom_manufacturer):
            if comp.depth == 0:
                comp.top_level = True
                top_refs.append(comp.bom_ref)
    for item in _list(data.get("components")):
        if isinstance(item, Mapping):
            for comp in _walk(item, "", 1 if subject else 0, doc, counter, bom_manufacturer):
                if comp.depth == 0:
                    comp.top_level = True
    for dep in _list(data.get("dependencies")):
        if isinstance(dep, Mapping) and isinstance(dep.get("ref"), str):
            doc.dependencies[dep["ref"]] = [d for d in _list(dep.get("dependsOn")) if isinstance(d, str)]
    _attach_dependencies(doc)
    doc.evidence = _declared_evidence(data)
    return doc


def _walk(
    item: Mapping[str, Any],
    parent: str,
    depth: int,
    doc: HwDocument,
    counter: list[int],
    bom_manufacturer: tuple[str, str],
) -> Iterator[HwComponent]:
    """Yield hardware components depth-first; software ones are only counted, they belong to the SBOM reader."""
    counter[0] += 1
    ctype = _text(item.get("type")).lower()
    ref = _text(item.get("bom-ref")) or f"#{counter[0]}"
    comp: HwComponent | None = None
    if ctype in HARDWARE_TYPES:
        comp = _component(item, ctype, ref, parent, depth, bom_manufacturer)
        yield comp
        doc.components.append(comp)
    else:
        doc.software_components += 1
    for child in _list(item.get("components")):
        if isinstance(child, Mapping):
            for sub in _walk(child, ref if comp else parent, depth + 1, doc, counter, bom_manufacturer):
                if comp is not None and sub.parent_ref == ref:
                    comp.children.append(sub.bom_ref)
                yield sub


def _component(
    item: Mapping[str, Any], ctype: str, ref: str, parent: str, depth: int, bom_manufacturer: tuple[str, str]
) -> HwComponent:
    manufacturer, m_country = _entity(item.get("manufacturer"))
    if not manufacturer:
        author = item.get("author")
        manufacturer = _text(author) if isinstance(author, str) else ""
    supplier, s_country = _entity(item.get("supplier"))
    if not manufacturer and depth == 0 and bom_manufacturer[0]:
        manufacturer, m_country = bom_manufacturer
    props = {_text(p.get("name")).lower() for p in _list(item.get("properties")) if isinstance(p, Mapping)}
    if not manufacturer and supplier and not props & set(PROPERTY_ALIASES["distributor"]):
        # Before CycloneDX 1.6 there was no component manufacturer: HBOMs name the maker as supplier.
        manufacturer, m_country = supplier, s_country
    comp = HwComponent(
        type=ctype,
        name=_text(item.get("name")),
        bom_ref=ref,
        version=_text(item.get("version")),
        group=_text(item.get("group")),
        parent_ref=parent,
        depth=depth,
        manufacturer=manufacturer,
        manufacturer_country=m_country,
        supplier=supplier,
        supplier_country=s_country,
        purl=_text(item.get("purl")),
        cpe=_text(item.get("cpe")),
        description=_text(item.get("description")),
    )
    for entry in _list(item.get("hashes")):
        if isinstance(entry, Mapping) and entry.get("alg") and entry.get("content"):
            comp.hashes[_hash_name(_text(entry["alg"]))] = _text(entry["content"]).lower()
    for prop in _list(item.get("properties")):
        if not isinstance(prop, Mapping):
            continue
        name = _text(prop.get("name"))
        value = _text(prop.get("value"))
        key = name.lower().replace(" ", "").replace("_", "")
        if key.startswith(_CERT_PREFIX) and not key.endswith((":id", ":url")):
            # cdx:device:certifications:<CC>:<AUTHORITY> -> "CC:AUTHORITY" (the value is often "true").
            comp.certifications.append(name[len(_CERT_PREFIX) :].upper())
            continue
        canonical = _ALIAS_INDEX.get(key)
        if canonical and value and canonical not in comp.attributes:
            comp.attributes[canonical] = value
    if "manufacturer_country" in comp.attributes and not comp.manufacturer_country:
        comp.manufacturer_country = comp.attributes["manufacturer_country"]
    return comp


def _attach_dependencies(doc: HwDocument) -> None:
    """A device 'has firmware' when the firmware is nested in it or listed in its ``dependsOn``."""
    by_ref = {c.bom_ref: c for c in doc.components}
    for ref, deps in doc.dependencies.items():
        owner = by_ref.get(ref)
        if owner is None:
            continue
        for dep in deps:
            if dep in by_ref and dep not in owner.children:
                owner.children.append(dep)


def _declared_evidence(data: Mapping[str, Any]) -> list[str]:
    """Text of CycloneDX 1.6 ``declarations`` (evidence, claims, attestations) and formulation/metadata hints.

    SEMI E188 asks for a malware scan report and SEMI E187 a vulnerability
    assessment before equipment ships; suppliers declare them as evidence.
    """
    texts: list[str] = []
    declarations = _mapping(data.get("declarations"))
    for section in ("evidence", "claims", "attestations", "targets"):
        for entry in _list(declarations.get(section)):
            texts.append(json.dumps(entry, sort_keys=True).lower())
    for prop in _list(_mapping(data.get("metadata")).get("properties")):
        if isinstance(prop, Mapping) and _text(prop.get("name")).lower().startswith("xposture:evidence:"):
            texts.append(json.dumps(prop, sort_keys=True).lower())
    return texts


# --- SPDX 3 ------------------------------------------------------------------------------------------------

_SPDX_PURPOSES = {"device": "device", "firmware": "firmware", "operatingsystem": "firmware"}


def _spdx3(path: Path, data: Mapping[str, Any]) -> HwDocument:
    """SPDX 3.0 has no hardware profile yet: take packages whose (additional) purpose is device or firmware."""
    doc = HwDocument(path=path, format="spdx3", spec_version="3.0")
    graph = [e for e in _list(data.get("@graph")) if isinstance(e, Mapping)]
    by_id = {_text(e.get("spdxId") or e.get("@id")): e for e in graph}
    for element in graph:
        etype = _text(element.get("type") or element.get("@type"))
        if etype not in ("software_Package", "Package", "software_File"):
            continue
        purposes = [_text(element.get("software_primaryPurpose"))] + [
            _text(p) for p in _list(element.get("software_additionalPurpose"))
        ]
        kind = next((_SPDX_PURPOSES[p.lower()] for p in purposes if p.lower() in _SPDX_PURPOSES), "")
        if not kind:
            doc.software_components += 1
            continue
        ref = _text(element.get("spdxId") or element.get("@id"))
        comp = HwComponent(type=kind, name=_text(element.get("name")), bom_ref=ref, top_level=True)
        comp.version = _text(element.get("software_packageVersion") or element.get("packageVersion"))
        comp.supplier = _agent_name(element.get("suppliedBy"), by_id)
        originators = _list(element.get("originatedBy"))
        comp.manufacturer = _agent_name(originators[0], by_id) if originators else ""
        comp.purl = _text(element.get("software_packageUrl"))
        for check in _list(element.get("verifiedUsing")):
            if isinstance(check, Mapping) and check.get("algorithm") and check.get("hashValue"):
                comp.hashes[_hash_name(_text(check["algorithm"]))] = _text(check["hashValue"]).lower()
        for ident in _list(element.get("externalIdentifier")):
            if isinstance(ident, Mapping) and _text(ident.get("externalIdentifierType")) == "cpe23":
                comp.cpe = _text(ident.get("identifier"))
        doc.components.append(comp)
    for element in graph:
        if _text(element.get("type")) == "Relationship" and _text(element.get("relationshipType")) == "contains":
            src = _text(element.get("from"))
            for target in _list(element.get("to")):
                doc.dependencies.setdefault(src, []).append(_text(target))
    _attach_dependencies(doc)
    return doc


def _agent_name(value: Any, by_id: Mapping[str, Mapping[str, Any]]) -> str:
    if isinstance(value, Mapping):
        return _text(value.get("name"))
    if isinstance(value, str):
        agent = by_id.get(value)
        return _text(agent.get("name")) if agent else ""
    return ""


# --- small helpers -----------------------------------------------------------------------------------------


def _entity(value: Any) -> tuple[str, str]:
    """Name and country of a CycloneDX organizational entity (``address.country`` since 1.6)."""
    if not isinstance(value, Mapping):
        return ("", "")
    address = _mapping(value.get("address"))
    return (_text(value.get("name")), _text(address.get("country")).upper())


def _hash_name(alg: str) -> str:
    return alg.lower().replace("-", "").replace("_", "")
