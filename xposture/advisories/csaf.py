"""CSAF 2.0 advisories (CISA ICS and vendor PSIRTs): product tree, model numbers, free-text version ranges.

ICS advisories carry no purl and rarely a CPE: products are named
("SIMATIC S7-1200 CPU 1211C ... (6ES7211-1BE40-0XB0)"), model numbers sit in
``product_identification_helper.model_numbers`` or in the name, and versions
are free text ("<V4.3.10", "vers:all/*", "<V18_Update_2"). Each product
becomes an affected entry keyed by vendor+model tokens and exact model
numbers, with its range parsed by :mod:`xposture.advisories.versions`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from xposture.advisories.cvss import cvss3_base_score
from xposture.advisories.keys import model_key, model_tokens, parse_cpe, purl_key, token_key, vendor_product_key
from xposture.advisories.model import Advisory, Affected, normalise_severity, severity_from_score
from xposture.advisories.versions import ALL, parse_range_text

_PAREN = re.compile(r"\(([^()]+)\)")


def looks_like_csaf(data: Any) -> bool:
    document = data.get("document") if isinstance(data, Mapping) else None
    return isinstance(document, Mapping) and "csaf_version" in document


@dataclass(slots=True)
class Product:
    product_id: str
    vendor: str = ""
    family: str = ""
    name: str = ""
    full_name: str = ""
    version_text: str = ""
    version_category: str = ""
    models: list[str] = field(default_factory=list)
    cpes: list[str] = field(default_factory=list)
    purls: list[str] = field(default_factory=list)


def iter_products(tree: Mapping[str, Any]) -> Iterator[Product]:
    """Walk ``product_tree.branches`` keeping vendor, product family, name and version range of each leaf."""

    def walk(branch: Mapping[str, Any], context: dict[str, str]) -> Iterator[Product]:
        category = str(branch.get("category") or "")
        name = str(branch.get("name") or "")
        local = dict(context)
        if category in ("vendor", "product_family", "product_name", "product_version_range", "product_version"):
            local[category] = name
        product = branch.get("product")
        if isinstance(product, Mapping):
            yield _product(product, local)
        for child in branch.get("branches") or []:
            if isinstance(child, Mapping):
                yield from walk(child, local)

    for branch in tree.get("branches") or []:
        if isinstance(branch, Mapping):
            yield from walk(branch, {})
    for product in tree.get("full_product_names") or []:
        if isinstance(product, Mapping):
            yield _product(product, {})


def _product(product: Mapping[str, Any], context: Mapping[str, str]) -> Product:
    helper = product.get("product_identification_helper") or {}
    helper = helper if isinstance(helper, Mapping) else {}
    version_text = context.get("product_version_range") or context.get("product_version") or ""
    category = (
        "product_version_range"
        if "product_version_range" in context
        else ("product_version" if "product_version" in context else "")
    )
    found = Product(
        product_id=str(product.get("product_id") or ""),
        vendor=context.get("vendor", ""),
        family=context.get("product_family", ""),
        name=context.get("product_name", "") or str(product.get("name") or ""),
        full_name=str(product.get("name") or ""),
        version_text=version_text,
        version_category=category,
    )
    found.models = [str(m) for m in helper.get("model_numbers") or []] + [str(s) for s in helper.get("skus") or []]
    if helper.get("cpe"):
        found.cpes.append(str(helper["cpe"]))
    if helper.get("purl"):
        found.purls.append(str(helper["purl"]))
    return found


def parse_csaf(data: Mapping[str, Any]) -> list[Advisory]:
    """One advisory per vulnerability of the document, affected through its ``known_affected`` products."""
    document = data.get("document") or {}
    tracking = document.get("tracking") or {}
    doc_id = str(tracking.get("id") or "")
    products = {p.product_id: p for p in iter_products(data.get("product_tree") or {}) if p.product_id}
    references = [
        str(r.get("url")) for r in document.get("references") or [] if isinstance(r, Mapping) and r.get("url")
    ]
    advisories: list[Advisory] = []
    for index, vuln in enumerate(data.get("vulnerabilities") or []):
        if not isinstance(vuln, Mapping):
            continue
        vid = str(vuln.get("cve") or "") or next(
            (str(i.get("text")) for i in vuln.get("ids") or [] if isinstance(i, Mapping)), ""
        )
        adv = Advisory(id=vid or f"{doc_id}#{index + 1}", source="csaf", advisory=doc_id)
        adv.aliases = [doc_id] if doc_id and vid else []
        adv.summary = str(vuln.get("title") or document.get("title") or "")[:300]
        adv.published = str(tracking.get("initial_release_date") or "")
        adv.modified = str(tracking.get("current_release_date") or adv.published)
        adv.references = references[:10]
        cwe = vuln.get("cwe")
        if isinstance(cwe, Mapping) and cwe.get("id"):
            adv.cwes = [str(cwe["id"])]
        _scores(adv, vuln.get("scores") or [])
        status = vuln.get("product_status") or {}
        affected_ids = [
            str(p) for key in ("known_affected", "first_affected", "last_affected") for p in status.get(key) or []
        ]
        fixes = _vendor_fixes(vuln.get("remediations") or [])
        adv.remediation = "; ".join(dict.fromkeys(fixes.values()))[:500]
        for pid in affected_ids:
            product = products.get(pid)
            if product is not None:
                entry = _affected(product, fixes.get(pid, ""))
                if entry is not None:
                    adv.affected.append(entry)
        advisories.append(adv)
    return advisories


def _scores(adv: Advisory, scores: list[Any]) -> None:
    for score in scores:
        if not isinstance(score, Mapping):
            continue
        for name in ("cvss_v4", "cvss_v3"):
            data = score.get(name)
            if isinstance(data, Mapping):
                value = data.get("baseScore")
                number = (
                    float(value)
                    if isinstance(value, (int, float))
                    else cvss3_base_score(str(data.get("vectorString") or ""))
                )
                if number is not None and (adv.cvss_score is None or number > adv.cvss_score):
                    adv.cvss_score = number
                    adv.cvss_vector = str(data.get("vectorString") or "")
                    adv.severity = (
                        normalise_severity(str(data.get("baseSeverity") or ""))
                        if data.get("baseSeverity")
                        else severity_from_score(number)
                    )
    if adv.severity == "unknown":
        adv.severity = severity_from_score(adv.cvss_score)


def _vendor_fixes(remediations: list[Any]) -> dict[str, str]:
    fixes: dict[str, str] = {}
    for item in remediations:
        if isinstance(item, Mapping) and item.get("category") == "vendor_fix":
            details = str(item.get("details") or "").strip()
            for pid in item.get("product_ids") or []:
                fixes.setdefault(str(pid), details[:200])
    return fixes


def _affected(product: Product, fix_text: str) -> Affected | None:
    parsed = (
        parse_range_text(product.version_text, exact_category=product.version_category == "product_version")
        if product.version_text
        else None
    )
    intervals = list(parsed.intervals) if parsed else [ALL]
    if parsed is None and product.full_name:
        # no version branch: the version, if any, is written in the product's name ("... : <=3.3")
        tail = product.full_name.rsplit(":", 1)[-1].strip() if ":" in product.full_name else ""
        if tail:
            parsed = parse_range_text(tail)
            intervals = list(parsed.intervals)
    keys: list[str] = []
    models = list(product.models)
    text = " ".join(x for x in (product.family, product.name, product.full_name) if x)
    models += [m for m in _PAREN.findall(text) if model_key(m) and re.search(r"\d", m) and "-" in m]
    for model in models:
        key = model_key(model)
        if key:
            keys.append(key)
    for token in model_tokens(text):
        keys.append(token_key(product.vendor, token))
    name_for_key = product.name or product.family
    if product.vendor and name_for_key:
        keys.append(vendor_product_key(product.vendor, name_for_key))
        bare = _without_version(name_for_key)
        if bare and bare != name_for_key:
            keys.append(vendor_product_key(product.vendor, bare))
    for cpe_text in product.cpes:
        cpe = parse_cpe(cpe_text)
        if cpe is not None:
            keys.append(cpe.key)
    keys.extend(purl_key(p) for p in product.purls)
    keys = [k for k in dict.fromkeys(keys) if k]
    if not keys:
        return None
    fixed = ""
    for interval in intervals:
        if interval.fixed:
            fixed = interval.fixed
    return Affected(
        keys=keys,
        intervals=intervals,
        range_text=product.version_text or "all versions",
        product=" ".join(x for x in (product.vendor, product.name) if x),
        conditional=bool(parsed and parsed.conditional),
        fixed=fixed or _fix_version(fix_text),
        model=bool(product.models),
    )


_TRAILING_VERSION = re.compile(r"(\s+(V|v|Version\s+|R)\d[\w.]*|\s+\d+\.\d[\w.]*|\s+\(.*\)|\s+(SP|Update|Upd)\s*\d+)+$")


def _without_version(name: str) -> str:
    """ "TIA Portal V17" -> "TIA Portal", "SINEC NMS V2.0 SP1" -> "SINEC NMS": the product an SBOM would name."""
    return _TRAILING_VERSION.sub("", name).strip(" ,:-")


def _fix_version(text: str) -> str:
    """The first version a vendor_fix remediation names ("Update to V3.1.4 or later version")."""
    match = re.search(r"\b[Vv]?(\d+(?:\.\d+)+(?:[_ ](?:SP|Update|HF)[_ ]?\d+)?)", text)
    return match.group(0) if match else ""
