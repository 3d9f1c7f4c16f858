"""CycloneDX XML, turned into the JSON shape ``hbom_read`` understands.

Hardware suppliers' tools often emit XML only. Rather than a second
reader, the handful of elements the hardware checks need are mapped onto
the JSON names (``bom-ref`` attribute, ``properties/property@name``,
``hashes/hash@alg`` ...). Parsing goes through defusedxml: a BOM is
untrusted input and must not be able to expand entities or fetch DTDs.
"""

from __future__ import annotations

from typing import Any
from xml.etree.ElementTree import Element

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import ParseError, fromstring

from xposture.errors import InputError

NS_PREFIX = "http://cyclonedx.org/schema/bom/"
TEXT_FIELDS = ("name", "version", "group", "purl", "cpe", "description")


def parse_xml(raw: bytes, *, file: str) -> dict[str, Any]:
    """A CycloneDX XML document as the equivalent JSON dict (only the parts the HBOM reader uses)."""
    try:
        root = fromstring(raw)
    except (ParseError, DefusedXmlException, ValueError) as exc:
        raise InputError(f"invalid XML: {exc}", file=file) from exc
    namespace, local = _split(root.tag)
    if local != "bom" or not namespace.startswith(NS_PREFIX):
        raise InputError("not a CycloneDX XML BOM (root element bom in the CycloneDX namespace)", file=file)
    ns = {"c": namespace}
    doc: dict[str, Any] = {
        "bomFormat": "CycloneDX",
        "specVersion": namespace.removeprefix(NS_PREFIX),
        "serialNumber": root.get("serialNumber", ""),
    }
    metadata = root.find("c:metadata", ns)
    if metadata is not None:
        meta: dict[str, Any] = {}
        component = metadata.find("c:component", ns)
        if component is not None:
            meta["component"] = _component(component, ns)
        maker = metadata.find("c:manufacturer", ns)
        if maker is None:
            maker = metadata.find("c:manufacture", ns)
        if maker is not None:
            meta["manufacturer"] = _entity(maker, ns)
        meta["properties"] = _properties(metadata, ns)
        doc["metadata"] = meta
    doc["components"] = [_component(c, ns) for c in root.findall("c:components/c:component", ns)]
    doc["dependencies"] = [
        {"ref": dep.get("ref", ""), "dependsOn": [d.get("ref", "") for d in dep.findall("c:dependency", ns)]}
        for dep in root.findall("c:dependencies/c:dependency", ns)
    ]
    declarations = root.find("c:declarations", ns)
    if declarations is not None:
        doc["declarations"] = {
            section: [_text_of(e) for e in declarations.findall(f"c:{section}/*", ns)]
            for section in ("evidence", "claims", "attestations", "targets")
        }
    return doc


def _component(element: Element, ns: dict[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = {"type": element.get("type", ""), "bom-ref": element.get("bom-ref", "")}
    for name in TEXT_FIELDS:
        child = element.find(f"c:{name}", ns)
        if child is not None and child.text:
            out[name] = child.text.strip()
    for role in ("manufacturer", "supplier"):
        child = element.find(f"c:{role}", ns)
        if child is not None:
            out[role] = _entity(child, ns)
    out["hashes"] = [
        {"alg": h.get("alg", ""), "content": (h.text or "").strip()} for h in element.findall("c:hashes/c:hash", ns)
    ]
    out["properties"] = _properties(element, ns)
    out["components"] = [_component(c, ns) for c in element.findall("c:components/c:component", ns)]
    return out


def _entity(element: Element, ns: dict[str, str]) -> dict[str, Any]:
    name = element.find("c:name", ns)
    country = element.find("c:address/c:country", ns)
    out: dict[str, Any] = {"name": (name.text or "").strip() if name is not None else ""}
    if country is not None and country.text:
        out["address"] = {"country": country.text.strip()}
    return out


def _properties(element: Element, ns: dict[str, str]) -> list[dict[str, str]]:
    return [
        {"name": p.get("name", ""), "value": (p.text or "").strip()}
        for p in element.findall("c:properties/c:property", ns)
    ]


def _text_of(element: Element) -> str:
    return " ".join(t.strip() for t in element.itertext() if t.strip())


def _split(tag: str) -> tuple[str, str]:
    if tag.startswith("{"):
        namespace, _, local = tag[1:].partition("}")
        return namespace, local
    return "", tag
