"""VEX in (OpenVEX, CycloneDX VEX embedded or separate, CSAF VEX) and out (CycloneDX VEX, OpenVEX).

A statement always names a vulnerability *and* products; it is applied to a
match only when both agree, never by vulnerability id alone, so "not
affected" for one component cannot silence the same CVE in another.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from xposture.advisories.keys import model_number, parse_cpe, parse_purl
from xposture.errors import InputError
from xposture.sbom.model import Vulnerability

STATUSES = ("not_affected", "affected", "fixed", "under_investigation")
_CDX_STATE = {
    "resolved": "fixed",
    "resolved_with_pedigree": "fixed",
    "exploitable": "affected",
    "in_triage": "under_investigation",
    "false_positive": "not_affected",
    "not_affected": "not_affected",
}
_TO_CDX_STATE = {
    "fixed": "resolved",
    "affected": "exploitable",
    "under_investigation": "in_triage",
    "not_affected": "not_affected",
}
_OPENVEX_TO_CDX_JUSTIFICATION = {
    "component_not_present": "code_not_present",
    "vulnerable_code_not_present": "code_not_present",
    "vulnerable_code_not_in_execute_path": "code_not_reachable",
    "vulnerable_code_cannot_be_controlled_by_adversary": "requires_environment",
    "inline_mitigations_already_exist": "protected_by_mitigating_control",
}
_CDX_TO_OPENVEX_JUSTIFICATION = {
    "code_not_present": "vulnerable_code_not_present",
    "code_not_reachable": "vulnerable_code_not_in_execute_path",
    "requires_configuration": "vulnerable_code_cannot_be_controlled_by_adversary",
    "requires_dependency": "component_not_present",
    "requires_environment": "vulnerable_code_cannot_be_controlled_by_adversary",
    "protected_by_compiler": "inline_mitigations_already_exist",
    "protected_at_runtime": "inline_mitigations_already_exist",
    "protected_at_perimeter": "inline_mitigations_already_exist",
    "protected_by_mitigating_control": "inline_mitigations_already_exist",
}


@dataclass(slots=True)
class VexStatement:
    vulnerability: str
    aliases: list[str]
    products: list[str]
    status: str
    justification: str = ""
    detail: str = ""
    timestamp: str = ""
    source: str = ""
    fmt: str = ""

    @property
    def ids(self) -> set[str]:
        return {self.vulnerability, *self.aliases}


@dataclass(slots=True)
class ProductIdentity:
    """How a VEX statement's product may name the matched thing."""

    refs: set[str] = field(default_factory=set)
    purl: str = ""
    cpe: str = ""
    model: str = ""
    name: str = ""
    version: str = ""


def vex_files(paths: Iterable[Path]) -> list[Path]:
    """Files named directly plus ``*.json``/``*.vex`` files below named folders; ``InputError`` for missing paths."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(
                sorted(p for p in path.rglob("*") if p.is_file() and p.name.lower().endswith((".json", ".vex")))
            )
        elif path.is_file():
            found.append(path)
        else:
            raise InputError("no such file or folder", file=str(path))
    return found


def read_vex(path: Path) -> list[VexStatement]:
    """Statements from one VEX file of any supported format; ``InputError`` if it is none of them."""
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read: {exc}", file=str(path)) from exc
    except json.JSONDecodeError as exc:
        raise InputError(f"invalid JSON: {exc.msg}", file=str(path), line=exc.lineno, offset=exc.pos) from exc
    statements = parse_vex(data, str(path))
    if statements is None:
        raise InputError("not an OpenVEX, CycloneDX or CSAF VEX document", file=str(path))
    return statements


def parse_vex(data: Any, source: str) -> list[VexStatement] | None:
    """Statements of an OpenVEX, CycloneDX or CSAF document; ``None`` if it is none of them."""
    try:
        return _parse_vex(data, source)
    except (AttributeError, TypeError, ValueError, KeyError, IndexError) as exc:
        # VEX documents are untrusted input: an unexpected shape is an input error, never a crash
        raise InputError(f"malformed VEX document: {type(exc).__name__}: {exc}", file=source) from exc


def _parse_vex(data: Any, source: str) -> list[VexStatement] | None:
    if not isinstance(data, Mapping):
        return None
    if "openvex" in str(data.get("@context", "")):
        return _openvex(data, source)
    if data.get("bomFormat") == "CycloneDX" or ("specVersion" in data and "vulnerabilities" in data):
        return cyclonedx_statements(
            data.get("vulnerabilities") or [], source, str(data.get("metadata", {}).get("timestamp") or "")
        )
    document = data.get("document")
    if isinstance(document, Mapping) and "csaf_version" in document:
        return _csaf(data, source)
    return None


def _openvex(data: Mapping[str, Any], source: str) -> list[VexStatement]:
    out = []
    default_time = str(data.get("timestamp") or "")
    for item in data.get("statements") or []:
        if not isinstance(item, Mapping):
            continue
        vuln = item.get("vulnerability")
        name = str(vuln.get("name") or vuln.get("@id") or "") if isinstance(vuln, Mapping) else str(vuln or "")
        aliases = [str(a) for a in vuln.get("aliases") or []] if isinstance(vuln, Mapping) else []
        products: list[str] = []
        for product in item.get("products") or []:
            if isinstance(product, Mapping):
                products.append(str(product.get("@id") or ""))
                identifiers = product.get("identifiers") or {}
                if isinstance(identifiers, Mapping):
                    products.extend(str(v) for v in identifiers.values())
                products.extend(
                    str(s.get("@id") or "") for s in product.get("subcomponents") or [] if isinstance(s, Mapping)
                )
            else:
                products.append(str(product))
        status = str(item.get("status") or "")
        if name and status in STATUSES:
            out.append(
                VexStatement(
                    vulnerability=name,
                    aliases=aliases,
                    products=[p for p in products if p],
                    status=status,
                    justification=str(item.get("justification") or ""),
                    detail=str(
                        item.get("impact_statement") or item.get("action_statement") or item.get("status_notes") or ""
                    ),
                    timestamp=str(item.get("timestamp") or default_time),
                    source=source,
                    fmt="openvex",
                )
            )
    return out


def cyclonedx_statements(vulnerabilities: Iterable[Any], source: str, timestamp: str = "") -> list[VexStatement]:
    """CycloneDX ``vulnerabilities[]`` with an ``analysis`` (embedded in an SBOM or a separate VEX BOM)."""
    out = []
    for item in vulnerabilities:
        if not isinstance(item, Mapping):
            continue
        analysis = item.get("analysis") or {}
        state = str(analysis.get("state") or "") if isinstance(analysis, Mapping) else ""
        if state not in _CDX_STATE:
            continue
        aliases = [str(r.get("id")) for r in item.get("references") or [] if isinstance(r, Mapping) and r.get("id")]
        products = [str(a.get("ref")) for a in item.get("affects") or [] if isinstance(a, Mapping) and a.get("ref")]
        out.append(
            VexStatement(
                vulnerability=str(item.get("id") or ""),
                aliases=aliases,
                products=products,
                status=_CDX_STATE[state],
                justification=str(analysis.get("justification") or ""),
                detail=str(analysis.get("detail") or ""),
                timestamp=str(analysis.get("lastUpdated") or analysis.get("firstIssued") or timestamp),
                source=source,
                fmt="cyclonedx",
            )
        )
    return out


def embedded_statements(
    vulnerabilities: Iterable[Vulnerability], source: str, timestamp: str = ""
) -> list[VexStatement]:
    """Statements from the ``vulnerabilities`` a CycloneDX SBOM carries itself (embedded VEX)."""
    return cyclonedx_statements(
        (
            {
                "id": v.id,
                "affects": [{"ref": r} for r in v.affects],
                "analysis": {"state": v.state, "justification": v.justification, "detail": v.detail},
            }
            for v in vulnerabilities
        ),
        source,
        timestamp,
    )


def _csaf(data: Mapping[str, Any], source: str) -> list[VexStatement]:
    from xposture.advisories.csaf import iter_products

    names: dict[str, list[str]] = {}
    for product in iter_products(data.get("product_tree") or {}):
        idents = [*product.purls, *product.cpes, *product.models]
        if product.full_name:
            idents.append(product.full_name)
        names[product.product_id] = idents
    timestamp = str((data.get("document") or {}).get("tracking", {}).get("current_release_date") or "")
    mapping = {
        "known_not_affected": "not_affected",
        "known_affected": "affected",
        "fixed": "fixed",
        "first_fixed": "fixed",
        "under_investigation": "under_investigation",
    }
    out = []
    for vuln in data.get("vulnerabilities") or []:
        if not isinstance(vuln, Mapping) or not vuln.get("cve"):
            continue
        labels: dict[str, str] = {}
        for flag in vuln.get("flags") or []:
            if isinstance(flag, Mapping):
                for pid in flag.get("product_ids") or []:
                    labels[str(pid)] = str(flag.get("label") or "")
        details: dict[str, str] = {}
        for threat in vuln.get("threats") or []:
            if isinstance(threat, Mapping) and threat.get("category") == "impact":
                for pid in threat.get("product_ids") or []:
                    details[str(pid)] = str(threat.get("details") or "")
        for key, status in mapping.items():
            for pid in (vuln.get("product_status") or {}).get(key) or []:
                out.append(
                    VexStatement(
                        vulnerability=str(vuln["cve"]),
                        aliases=[],
                        products=[str(pid), *names.get(str(pid), [])],
                        status=status,
                        justification=labels.get(str(pid), ""),
                        detail=details.get(str(pid), ""),
                        timestamp=timestamp,
                        source=source,
                        fmt="csaf",
                    )
                )
    return out


def product_matches(statement_product: str, target: ProductIdentity) -> bool:
    """Does one product reference of a statement name this component or device?"""
    ref = statement_product.strip()
    if not ref:
        return False
    if ref in target.refs or (("#" in ref) and ref.rsplit("#", 1)[1] in target.refs):
        return True
    purl = parse_purl(ref)
    if purl is not None and target.purl:
        mine = parse_purl(target.purl)
        if mine is not None and mine.key == purl.key:
            return not purl.version or purl.version == (mine.version or target.version)
        return False
    cpe = parse_cpe(ref)
    if cpe is not None and target.cpe:
        mine_cpe = parse_cpe(target.cpe)
        return (
            mine_cpe is not None
            and mine_cpe.key == cpe.key
            and (not cpe.version or cpe.version == (mine_cpe.version or target.version))
        )
    if target.model and model_number(ref) and model_number(ref) == model_number(target.model):
        return True
    return bool(target.name) and ref.lower() in (f"{target.name}@{target.version}".lower(), target.name.lower())


def find_statement(
    vuln_ids: set[str], target: ProductIdentity, statements: Sequence[VexStatement]
) -> VexStatement | None:
    """Latest statement for (any of these vulnerability ids, this product)."""
    chosen: VexStatement | None = None
    for statement in statements:
        if not (statement.ids & vuln_ids):
            continue
        newer = chosen is None or statement.timestamp >= chosen.timestamp
        if newer and any(product_matches(p, target) for p in statement.products):
            chosen = statement
    return chosen


# --------------------------------------------------------------------------- out


@dataclass(slots=True)
class VexRow:
    """What the writers need of one match."""

    vuln_id: str
    aliases: list[str]
    product: str
    ref: str
    status: str
    justification: str = ""
    detail: str = ""
    severity: str = ""
    cvss_score: float | None = None
    fixed: str = ""


def _now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def to_openvex(rows: Sequence[VexRow], *, author: str = "xposture") -> dict[str, Any]:
    statements = []
    for row in rows:
        statement: dict[str, Any] = {
            "vulnerability": {"name": row.vuln_id, **({"aliases": row.aliases} if row.aliases else {})},
            "products": [{"@id": row.product or row.ref}],
            "status": row.status,
        }
        if row.status == "not_affected":
            statement["justification"] = (
                _CDX_TO_OPENVEX_JUSTIFICATION.get(row.justification, row.justification) or "vulnerable_code_not_present"
            )
            if row.detail:
                statement["impact_statement"] = row.detail
        elif row.status == "affected":
            statement["action_statement"] = (
                f"Update to {row.fixed} or later." if row.fixed else "No fixed version is known; apply mitigations."
            )
        statements.append(statement)
    return {
        "@context": "https://openvex.dev/ns/v0.2.0",
        "@id": f"urn:uuid:{uuid.uuid4()}",
        "author": author,
        "timestamp": _now(),
        "version": 1,
        "statements": statements,
    }


def to_cyclonedx_vex(rows: Sequence[VexRow], *, serial_ref: str = "") -> dict[str, Any]:
    vulnerabilities = []
    for row in rows:
        analysis: dict[str, Any] = {"state": _TO_CDX_STATE.get(row.status, "in_triage")}
        if row.status == "not_affected":
            analysis["justification"] = (
                _OPENVEX_TO_CDX_JUSTIFICATION.get(row.justification, row.justification) or "code_not_present"
            )
        if row.detail:
            analysis["detail"] = row.detail
        ref = f"{serial_ref}#{row.ref}" if serial_ref else row.ref
        entry: dict[str, Any] = {"id": row.vuln_id, "affects": [{"ref": ref}], "analysis": analysis}
        if row.aliases:
            entry["references"] = [{"id": a, "source": {"name": "xposture"}} for a in row.aliases]
        if row.cvss_score is not None:
            entry["ratings"] = [
                {
                    "score": row.cvss_score,
                    "severity": row.severity
                    if row.severity in ("critical", "high", "medium", "low", "none")
                    else "unknown",
                    "method": "CVSSv31",
                }
            ]
        if row.fixed:
            entry["recommendation"] = f"Update to {row.fixed} or later."
        vulnerabilities.append(entry)
    return {
        "bomFormat": "CycloneDX",
        "specVersion": "1.6",
        "serialNumber": f"urn:uuid:{uuid.uuid4()}",
        "version": 1,
        "metadata": {"timestamp": _now(), "tools": {"components": [{"type": "application", "name": "xposture"}]}},
        "vulnerabilities": vulnerabilities,
    }
