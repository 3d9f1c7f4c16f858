"""SPDX readers: 2.2/2.3 (JSON, YAML, tag-value, RDF via spdx-tools) and 3.0 JSON-LD.

SPDX 2 documents are parsed and validated with spdx-tools; when spdx-tools
rejects a JSON/YAML document (other tools' SBOMs often bend the schema) a
tolerant reader still yields its packages, and the rejection becomes a schema
error on the document instead of "found nothing". SPDX 3.0 JSON-LD is read
from its ``@graph`` directly: spdx-tools' 3.0 support is still experimental.
"""

from __future__ import annotations

import contextlib
import io
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from xposture.errors import InputError
from xposture.sbom.model import Component, Document
from xposture.sbom.model import as_list as _l
from xposture.sbom.model import as_mapping as _m
from xposture.sbom.model import as_text as _s
from xposture.sbom.textpos import LineIndex

MAX_SCHEMA_ERRORS = 20


def _is_package(type_name: str) -> bool:
    """``software_Package`` and profile packages (``ai_AIPackage``, ``dataset_DatasetPackage``)."""
    return type_name.endswith("Package")


def looks_like_spdx2(data: Any) -> bool:
    return isinstance(data, Mapping) and str(data.get("spdxVersion", "")).startswith("SPDX-2")


def looks_like_spdx3(data: Any) -> bool:
    if not isinstance(data, Mapping) or "@graph" not in data:
        return False
    context = data.get("@context")
    text = json.dumps(context) if not isinstance(context, str) else context
    return "spdx" in text.lower()


# --------------------------------------------------------------------------- SPDX 2


def read_spdx2(path: Path, text: str, encoding: str) -> Document:
    """Read an SPDX 2.x document; ``encoding`` is ``json``, ``yaml``, ``tag-value``, ``rdf`` or ``xml``."""
    parsed, parse_errors = _spdx_tools_parse(path)
    if parsed is not None:
        from spdx_tools.spdx.jsonschema.document_converter import DocumentConverter

        data = DocumentConverter().convert(parsed)  # type: ignore[no-untyped-call]
        doc = _from_json(path, data, text if encoding == "json" else "", encoding)
        doc.schema_checked = True
        doc.schema_errors = _spdx_tools_validate(parsed)
        return doc
    if encoding in ("json", "yaml"):
        data = _decode(path, text, encoding)
        if not looks_like_spdx2(data):
            raise InputError("not an SPDX 2 document (no spdxVersion)", file=str(path))
        doc = _from_json(path, data, text if encoding == "json" else "", encoding)
        doc.schema_checked = True
        doc.schema_errors = parse_errors[:MAX_SCHEMA_ERRORS] or ["spdx-tools could not parse the document"]
        return doc
    raise InputError("SPDX document could not be parsed: " + "; ".join(parse_errors[:3]), file=str(path))


def _spdx_tools_parse(path: Path) -> tuple[Any, list[str]]:
    from spdx_tools.spdx.parser.error import SPDXParsingError
    from spdx_tools.spdx.parser.parse_anything import parse_file

    try:
        # spdx-tools' tag-value grammar (ply) prints "Generating LALR tables" on stdout: keep stdout for payloads
        with contextlib.redirect_stdout(io.StringIO()):
            return parse_file(str(path)), []
    except SPDXParsingError as exc:
        return None, [str(m)[:300] for m in exc.get_messages()]  # type: ignore[no-untyped-call]
    except Exception as exc:  # spdx-tools raises bare exceptions on some malformed input
        return None, [f"{type(exc).__name__}: {str(exc)[:300]}"]


def _spdx_tools_validate(document: Any) -> list[str]:
    from spdx_tools.spdx.validation.document_validator import validate_full_spdx_document

    try:
        messages = validate_full_spdx_document(document)
    except Exception as exc:  # a validator crash is reported, not raised
        return [f"validator failed: {type(exc).__name__}"]
    return [m.validation_message[:300] for m in messages[:MAX_SCHEMA_ERRORS]]


def _decode(path: Path, text: str, encoding: str) -> Any:
    try:
        if encoding == "yaml":
            return yaml.safe_load(text)
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"invalid JSON: {exc.msg}", file=str(path), line=exc.lineno, offset=exc.pos) from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise InputError(f"invalid YAML: {exc}", file=str(path), line=mark.line + 1 if mark else None) from exc


def _from_json(path: Path, data: Mapping[str, Any], text: str, encoding: str) -> Document:
    spec = str(data.get("spdxVersion", "")).removeprefix("SPDX-")
    doc = Document(path=str(path), format="spdx", spec_version=spec, encoding=encoding)
    doc.serial = _s(data.get("documentNamespace"))
    doc.name = _s(data.get("name"))
    info = _m(data.get("creationInfo"))
    doc.timestamp = _s(info.get("created"))
    for creator in _l(info.get("creators")):
        kind, _, name = _s(creator).partition(":")
        (doc.tools if kind.strip() == "Tool" else doc.authors).append(name.strip())
    lines = LineIndex(text) if text else None
    described = [_s(x) for x in _l(data.get("documentDescribes"))]
    for rel in map(_m, _l(data.get("relationships"))):
        source, kind, target = (
            _s(rel.get("spdxElementId")),
            _s(rel.get("relationshipType")),
            _s(rel.get("relatedSpdxElement")),
        )
        if not (source and target) or target in ("NOASSERTION", "NONE"):
            continue
        if kind == "DESCRIBES":
            described.append(target)
        elif kind in ("DEPENDS_ON", "CONTAINS", "STATIC_LINK", "DYNAMIC_LINK", "HAS_PREREQUISITE", "PACKAGE_OF"):
            doc.dependencies.setdefault(source, []).append(target)
        elif kind in ("DEPENDENCY_OF", "CONTAINED_BY", "PREREQUISITE_FOR"):
            doc.dependencies.setdefault(target, []).append(source)
    for package in map(_m, _l(data.get("packages"))):
        comp = _package(package)
        if lines is not None:
            comp.line = lines.find_line(comp.ref)
        doc.components.append(comp)
    by_ref = {c.ref: c for c in doc.components}
    subject = next((by_ref[r] for r in described if r in by_ref), None)
    if subject is not None:
        doc.subject_ref, doc.subject_purl, doc.subject_supplier = subject.ref, subject.purl, subject.supplier
        doc.subject_type = subject.type
        doc.version = subject.version
        doc.name = doc.name or subject.name
    for comp in doc.components:
        comp.depends_on = doc.dependencies.get(comp.ref, [])
    return doc


def _package(package: Mapping[str, Any]) -> Component:
    purl = cpe = ""
    for ref in map(_m, _l(package.get("externalRefs"))):
        kind = _s(ref.get("referenceType")).lower()
        locator = _s(ref.get("referenceLocator"))
        if kind == "purl" and not purl:
            purl = locator
        elif kind in ("cpe23type", "cpe22type", "cpe23", "cpe22") and not cpe:
            cpe = locator
    licenses = [_s(package.get(k)) for k in ("licenseDeclared", "licenseConcluded")]
    return Component(
        ref=_s(package.get("SPDXID")) or _s(package.get("name")),
        name=_s(package.get("name")),
        version=_s(package.get("versionInfo")),
        type=(_s(package.get("primaryPackagePurpose")) or "library").lower().replace("_", "-"),
        purl=purl,
        cpe=cpe,
        supplier=_actor(package.get("supplier")),
        author=_actor(package.get("originator")),
        description=_s(package.get("summary")) or _s(package.get("description")),
        hashes={
            _s(c.get("algorithm")).upper(): _s(c.get("checksumValue")) for c in map(_m, _l(package.get("checksums")))
        },
        licenses=[x for x in licenses if x and x not in ("NOASSERTION", "NONE")],
        external_refs=[_s(package.get("downloadLocation"))]
        if _s(package.get("downloadLocation")) not in ("", "NOASSERTION", "NONE")
        else [],
    )


def _actor(value: Any) -> str:
    text = _s(value)
    if text in ("", "NOASSERTION", "NONE"):
        return ""
    _, _, name = text.partition(":")
    name = name or text
    return name.split("(")[0].strip()


# --------------------------------------------------------------------------- SPDX 3


def read_spdx3(path: Path, data: Mapping[str, Any], text: str) -> Document:
    """Read SPDX 3.0 JSON-LD: packages, agents, hashes, licences and relationships from the ``@graph``."""
    graph = [e for e in _l(data.get("@graph")) if isinstance(e, Mapping)]
    by_id: dict[str, Mapping[str, Any]] = {}
    for element in graph:
        key = _s(element.get("spdxId")) or _s(element.get("@id"))
        if key:
            by_id[key] = element
    infos = [e for e in graph if _type(e) == "CreationInfo"]
    spec = _s(infos[0].get("specVersion")) if infos else "3.0"
    doc = Document(path=str(path), format="spdx", spec_version=spec, encoding="json-ld")
    doc_element = next((e for e in graph if _type(e) == "SpdxDocument"), {})
    doc.serial = _s(doc_element.get("spdxId"))
    doc.name = _s(doc_element.get("name"))
    info = by_id.get(_s(doc_element.get("creationInfo"))) or (infos[0] if infos else {})
    doc.timestamp = _s(info.get("created"))
    doc.authors = [_name(by_id, a) for a in _l(info.get("createdBy")) if _name(by_id, a)]
    doc.tools = [_name(by_id, t) for t in _l(info.get("createdUsing")) if _name(by_id, t)]
    licenses: dict[str, list[str]] = {}
    for rel in (e for e in graph if _type(e).endswith("Relationship")):
        source, kind, targets = _s(rel.get("from")), _s(rel.get("relationshipType")), [_s(t) for t in _l(rel.get("to"))]
        if kind in ("hasDeclaredLicense", "hasConcludedLicense"):
            for target in targets:
                expr = _s(by_id.get(target, {}).get("simplelicensing_licenseExpression")) or _s(
                    by_id.get(target, {}).get("name")
                )
                if expr:
                    licenses.setdefault(source, []).append(expr)
        elif kind in ("dependsOn", "contains", "hasStaticLink", "hasDynamicLink", "hasPrerequisite"):
            doc.dependencies.setdefault(source, []).extend(t for t in targets if t)
    lines = LineIndex(text) if text else None
    for element in graph:
        if not _is_package(_type(element)):
            continue
        ref = _s(element.get("spdxId"))
        purl = _s(element.get("software_packageUrl"))
        cpe = ""
        for ident in map(_m, _l(element.get("externalIdentifier"))):
            kind = _s(ident.get("externalIdentifierType"))
            if kind.startswith("cpe") and not cpe:
                cpe = _s(ident.get("identifier"))
            elif kind == "packageUrl" and not purl:
                purl = _s(ident.get("identifier"))
        comp = Component(
            ref=ref,
            name=_s(element.get("name")),
            version=_s(element.get("software_packageVersion")),
            type=(_s(element.get("software_primaryPurpose")) or "library").lower(),
            purl=purl,
            cpe=cpe,
            supplier=_name(by_id, element.get("suppliedBy")),
            author=", ".join(n for n in (_name(by_id, o) for o in _l(element.get("originatedBy"))) if n),
            description=_s(element.get("summary")) or _s(element.get("description")),
            hashes={
                _s(h.get("algorithm")).upper(): _s(h.get("hashValue"))
                for h in map(_m, _l(element.get("verifiedUsing")))
                if _type(h) == "Hash"
            },
            licenses=licenses.get(ref, []),
            depends_on=doc.dependencies.get(ref, []),
        )
        if lines is not None:
            comp.line = lines.find_line(ref)
        doc.components.append(comp)
    roots = [_s(r) for r in _l(doc_element.get("rootElement"))]
    subject = next((c for c in doc.components if c.ref in roots), None)
    if subject is not None:
        doc.subject_ref, doc.subject_purl, doc.subject_supplier = subject.ref, subject.purl, subject.supplier
        doc.version, doc.subject_type = subject.version, subject.type
        doc.name = doc.name or subject.name
    doc.schema_checked = True
    if not doc_element:
        doc.schema_errors.append("no SpdxDocument element in @graph")
    if not infos:
        doc.schema_errors.append("no CreationInfo element in @graph")
    for comp in doc.components:
        if not comp.name:
            doc.schema_errors.append(f"package {comp.ref} has no name")
    return doc


def _type(element: Mapping[str, Any]) -> str:
    return _s(element.get("type") or element.get("@type"))


def _name(by_id: Mapping[str, Mapping[str, Any]], ref: Any) -> str:
    return _s(by_id.get(_s(ref), {}).get("name"))
