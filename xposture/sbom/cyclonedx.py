"""CycloneDX 1.0-1.7 readers (JSON and XML): every component, nested ones included, of every type.

This module is the one place CycloneDX components are parsed: the ``sbom``
scanner turns them into ``sbom_component`` records and the hardware BOM reader
imports :func:`read_cyclonedx` for ``device``/``firmware`` components. Parsing
is tolerant (SBOMs made by other tools are often slightly off-schema, and a
reader that gives up reports "nothing found"); schema validation runs
separately through cyclonedx-python-lib and its errors become facts on the
document, not crashes.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import Element

from defusedxml import ElementTree as SafeET

from xposture.errors import InputError
from xposture.sbom.model import Component, Document, Vulnerability
from xposture.sbom.model import as_list as _l
from xposture.sbom.model import as_mapping as _m
from xposture.sbom.model import as_text as _s
from xposture.sbom.textpos import LineIndex

MAX_SCHEMA_ERRORS = 20


def looks_like_cyclonedx_json(data: Any) -> bool:
    return isinstance(data, Mapping) and (
        data.get("bomFormat") == "CycloneDX" or ("specVersion" in data and "components" in data)
    )


def read_cyclonedx(path: Path, text: str | None = None, *, validate: bool = True) -> Document:
    """Read a CycloneDX file (JSON or XML, chosen by content); raise ``InputError`` if it is neither."""
    if text is None:
        text = _read_text(path)
    stripped = text.lstrip()
    if stripped.startswith("<"):
        return parse_xml(path, text, validate=validate)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"invalid JSON: {exc.msg}", file=str(path), line=exc.lineno, offset=exc.pos) from exc
    return parse_json(path, data, text, validate=validate)


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read: {exc}", file=str(path)) from exc


# --------------------------------------------------------------------------- JSON


def parse_json(path: Path, data: Any, text: str = "", *, validate: bool = True) -> Document:
    """Turn a decoded CycloneDX JSON object into a :class:`Document`."""
    if not isinstance(data, Mapping):
        raise InputError("a CycloneDX document must be a JSON object", file=str(path))
    spec = str(data.get("specVersion") or "")
    doc = Document(path=str(path), format="cyclonedx", spec_version=spec, encoding="json")
    doc.serial = _s(data.get("serialNumber"))
    meta = _m(data.get("metadata"))
    doc.timestamp = _s(meta.get("timestamp"))
    doc.authors = [a for a in (_party(x) for x in _l(meta.get("authors"))) if a]
    if not doc.authors and meta.get("manufacture"):
        doc.authors = [_party(meta.get("manufacture"))]
    doc.tools = _json_tools(meta.get("tools"))
    subject = _m(meta.get("component"))
    if subject:
        doc.name = _s(subject.get("name"))
        doc.version = _s(subject.get("version"))
        doc.subject_ref = _s(subject.get("bom-ref")) or _s(subject.get("purl"))
        doc.subject_purl = _s(subject.get("purl"))
        doc.subject_type = _s(subject.get("type"))
        doc.subject_supplier = _party(subject.get("supplier")) or _party(subject.get("manufacturer"))
    doc.subject_supplier = doc.subject_supplier or _party(meta.get("supplier")) or _party(meta.get("manufacturer"))
    lines = LineIndex(text) if text else None
    doc.components = list(_json_components(_l(data.get("components")), "", 0, lines))
    for dep in _l(data.get("dependencies")):
        dep = _m(dep)
        ref = _s(dep.get("ref"))
        if ref:
            targets = [_s(t) if not isinstance(t, Mapping) else _s(t.get("ref")) for t in _l(dep.get("dependsOn"))]
            doc.dependencies[ref] = [t for t in targets if t]
    for comp in doc.components:
        comp.depends_on = doc.dependencies.get(comp.ref, [])
    doc.vulnerabilities = list(_json_vulnerabilities(_l(data.get("vulnerabilities"))))
    if validate and spec:
        _validate_json(doc, text or json.dumps(data), spec)
    return doc


def _json_components(items: list[Any], parent: str, depth: int, lines: LineIndex | None) -> Iterator[Component]:
    for position, raw in enumerate(items):
        item = _m(raw)
        if not item:
            continue
        name = _s(item.get("name"))
        purl = _s(item.get("purl"))
        ref = _s(item.get("bom-ref")) or purl or f"{parent}/{position}:{name}"
        comp = Component(
            ref=ref,
            name=name,
            version=_s(item.get("version")),
            type=_s(item.get("type")) or "library",
            purl=purl,
            cpe=_s(item.get("cpe")),
            group=_s(item.get("group")),
            supplier=_party(item.get("supplier")),
            manufacturer=_party(item.get("manufacturer")),
            author=_s(item.get("author")) or ", ".join(a for a in (_party(x) for x in _l(item.get("authors"))) if a),
            publisher=_s(item.get("publisher")),
            description=_s(item.get("description")),
            hashes={_s(h.get("alg")).upper(): _s(h.get("content")) for h in map(_m, _l(item.get("hashes"))) if h},
            licenses=_json_licenses(item.get("licenses")),
            parent=parent,
            depth=depth,
            properties={_s(p.get("name")): _s(p.get("value")) for p in map(_m, _l(item.get("properties"))) if p},
            external_refs=[_s(r.get("url")) for r in map(_m, _l(item.get("externalReferences"))) if r.get("url")],
            swid=_s(_m(item.get("swid")).get("tagId")),
        )
        if lines is not None:
            comp.line = lines.find_line(_s(item.get("bom-ref")), purl, name)
        yield comp
        yield from _json_components(_l(item.get("components")), ref, depth + 1, lines)


def _json_licenses(raw: Any) -> list[str]:
    found: list[str] = []
    for entry in map(_m, _l(raw)):
        if entry.get("expression"):
            found.append(_s(entry.get("expression")))
        lic = _m(entry.get("license"))
        value = _s(lic.get("id")) or _s(lic.get("name"))
        if value:
            found.append(value)
    return found


def _json_tools(raw: Any) -> list[str]:
    tools: list[Any] = []
    tools = _l(raw.get("components")) + _l(raw.get("services")) if isinstance(raw, Mapping) else _l(raw)
    names = []
    for tool in map(_m, tools):
        label = " ".join(p for p in (_party(tool.get("vendor")), _s(tool.get("name")), _s(tool.get("version"))) if p)
        if label:
            names.append(label)
    return names


def _json_vulnerabilities(items: list[Any]) -> Iterator[Vulnerability]:
    for item in map(_m, items):
        vid = _s(item.get("id"))
        if not vid:
            continue
        analysis = _m(item.get("analysis"))
        affects = [_s(_m(a).get("ref")) for a in _l(item.get("affects"))]
        yield Vulnerability(
            id=vid,
            affects=[a for a in affects if a],
            state=_s(analysis.get("state")),
            justification=_s(analysis.get("justification")),
            detail=_s(analysis.get("detail")),
            response=[_s(r) for r in _l(analysis.get("response"))],
        )


def _validate_json(doc: Document, text: str, spec: str) -> None:
    from cyclonedx.schema import SchemaVersion
    from cyclonedx.validation.json import JsonStrictValidator

    try:
        version = SchemaVersion.from_version(spec)
    except ValueError:
        doc.schema_errors.append(f"unknown CycloneDX specVersion {spec!r}")
        doc.schema_checked = True
        return
    try:
        errors = JsonStrictValidator(version).validate_str(text, all_errors=True)
    except Exception as exc:  # the validator's own dependency failures must not stop the scan
        doc.warnings.append(f"schema validation not run: {type(exc).__name__}: {exc}")
        return
    doc.schema_checked = True
    if errors:
        for error in list(errors)[:MAX_SCHEMA_ERRORS]:
            doc.schema_errors.append(_short(str(getattr(error, "data", error))))


# --------------------------------------------------------------------------- XML

_NS = re.compile(r"^\{(http://cyclonedx\.org/schema/bom/(\d+\.\d+))\}bom$")


def parse_xml(path: Path, text: str, *, validate: bool = True) -> Document:
    """Parse a CycloneDX XML document (namespaces 1.0-1.7) with a hardened XML parser."""
    try:
        root = SafeET.fromstring(text)
    except SafeET.ParseError as exc:
        line = exc.position[0] if getattr(exc, "position", None) else None
        raise InputError(f"invalid XML: {exc}", file=str(path), line=line) from exc
    except Exception as exc:  # defusedxml raises its own types for entity bombs and DTDs
        raise InputError(f"rejected XML: {type(exc).__name__}", file=str(path)) from exc
    match = _NS.match(root.tag)
    if not match:
        raise InputError("not a CycloneDX XML document (root element is not a CycloneDX bom)", file=str(path))
    ns = {"c": match.group(1)}
    spec = match.group(2)
    doc = Document(path=str(path), format="cyclonedx", spec_version=spec, encoding="xml")
    doc.serial = root.get("serialNumber", "")
    meta = root.find("c:metadata", ns)
    if meta is not None:
        doc.timestamp = _t(meta.find("c:timestamp", ns))
        doc.authors = [_t(a.find("c:name", ns)) for a in meta.findall("c:authors/c:author", ns)]
        for tool in meta.findall("c:tools/c:tool", ns) + meta.findall("c:tools/c:components/c:component", ns):
            label = " ".join(
                p
                for p in (_t(tool.find("c:vendor", ns)), _t(tool.find("c:name", ns)), _t(tool.find("c:version", ns)))
                if p
            )
            if label:
                doc.tools.append(label)
        subject = meta.find("c:component", ns)
        if subject is not None:
            doc.name = _t(subject.find("c:name", ns))
            doc.version = _t(subject.find("c:version", ns))
            doc.subject_purl = _t(subject.find("c:purl", ns))
            doc.subject_ref = subject.get("bom-ref", "") or doc.subject_purl
            doc.subject_type = subject.get("type", "")
            doc.subject_supplier = _t(subject.find("c:supplier/c:name", ns))
        doc.subject_supplier = (
            doc.subject_supplier or _t(meta.find("c:supplier/c:name", ns)) or _t(meta.find("c:manufacture/c:name", ns))
        )
    lines = LineIndex(text)
    components = root.find("c:components", ns)
    if components is not None:
        doc.components = list(_xml_components(components, ns, "", 0, lines))
    for dep in root.findall("c:dependencies/c:dependency", ns):
        ref = dep.get("ref", "")
        if ref:
            doc.dependencies[ref] = [d.get("ref", "") for d in dep.findall("c:dependency", ns) if d.get("ref")]
    for comp in doc.components:
        comp.depends_on = doc.dependencies.get(comp.ref, [])
    for vuln in root.findall("c:vulnerabilities/c:vulnerability", ns):
        vid = _t(vuln.find("c:id", ns))
        if vid:
            analysis = vuln.find("c:analysis", ns)
            doc.vulnerabilities.append(
                Vulnerability(
                    id=vid,
                    affects=[_t(r) for r in vuln.findall("c:affects/c:target/c:ref", ns)],
                    state=_t(analysis.find("c:state", ns)) if analysis is not None else "",
                    justification=_t(analysis.find("c:justification", ns)) if analysis is not None else "",
                    detail=_t(analysis.find("c:detail", ns)) if analysis is not None else "",
                )
            )
    if validate:
        _validate_xml(doc, text, spec)
    return doc


def _xml_components(
    parent_el: Element, ns: dict[str, str], parent: str, depth: int, lines: LineIndex
) -> Iterator[Component]:
    for position, el in enumerate(parent_el.findall("c:component", ns)):
        name = _t(el.find("c:name", ns))
        purl = _t(el.find("c:purl", ns))
        ref = el.get("bom-ref", "") or purl or f"{parent}/{position}:{name}"
        licenses = [
            _t(x) for x in el.findall("c:licenses/c:license/c:id", ns) + el.findall("c:licenses/c:license/c:name", ns)
        ]
        licenses += [_t(x) for x in el.findall("c:licenses/c:expression", ns)]
        swid = el.find("c:swid", ns)
        comp = Component(
            ref=ref,
            name=name,
            version=_t(el.find("c:version", ns)),
            type=el.get("type", "library"),
            purl=purl,
            cpe=_t(el.find("c:cpe", ns)),
            group=_t(el.find("c:group", ns)),
            supplier=_t(el.find("c:supplier/c:name", ns)),
            manufacturer=_t(el.find("c:manufacturer/c:name", ns)),
            author=_t(el.find("c:author", ns)),
            publisher=_t(el.find("c:publisher", ns)),
            description=_t(el.find("c:description", ns)),
            hashes={h.get("alg", "").upper(): _t(h) for h in el.findall("c:hashes/c:hash", ns)},
            licenses=[x for x in licenses if x],
            parent=parent,
            depth=depth,
            properties={p.get("name", ""): _t(p) for p in el.findall("c:properties/c:property", ns)},
            external_refs=[_t(u) for u in el.findall("c:externalReferences/c:reference/c:url", ns)],
            swid=swid.get("tagId", "") if swid is not None else "",
        )
        comp.line = lines.find_line(
            f'bom-ref="{el.get("bom-ref", "")}"' if el.get("bom-ref") else "", purl, json_quoted=False
        )
        yield comp
        nested = el.find("c:components", ns)
        if nested is not None:
            yield from _xml_components(nested, ns, ref, depth + 1, lines)


def _validate_xml(doc: Document, text: str, spec: str) -> None:
    try:
        from cyclonedx.schema import SchemaVersion
        from cyclonedx.validation.xml import XmlValidator

        errors = XmlValidator(SchemaVersion.from_version(spec)).validate_str(text, all_errors=True)
    except Exception as exc:  # lxml missing or schema unknown: say so, do not crash
        doc.warnings.append(f"schema validation not run: {type(exc).__name__}: {exc}")
        return
    doc.schema_checked = True
    if errors:
        for error in list(errors)[:MAX_SCHEMA_ERRORS]:
            doc.schema_errors.append(_short(str(getattr(error, "data", error))))


# --------------------------------------------------------------------------- helpers


def _t(el: Element | None) -> str:
    return (el.text or "").strip() if el is not None else ""


def _party(value: Any) -> str:
    """Name of an organisational entity or contact (or the string itself in old specs)."""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, Mapping):
        return _s(value.get("name"))
    return ""


def _short(text: str, limit: int = 300) -> str:
    first = text.strip().splitlines()[0] if text.strip() else text
    return first[:limit]
