"""From records to match targets, and from matches back to ``vulnerability_match`` records (with VEX applied)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from xposture.advisories.match import Match, Target, confidence_label
from xposture.advisories.model import SEVERITY_RANK
from xposture.model import ASSET_ID, KEY, TYPE, FieldValue, Layer, Record, make_record
from xposture.sbom.vex import ProductIdentity, VexStatement, find_statement

SCANNER = "vulnerabilities"
_COPY = ("asset.kind", "asset.name", "asset.ip", "asset.mac", "asset.serial", "site", "zone.name", "zone.level")
_SKIP_TYPES = {"vulnerability_match", "vex_statement", "sbom_component", "sbom_document"}


def _text(record: Record, name: str) -> str:
    value = record.get(name)
    if value is None or isinstance(value, list):
        return ""
    return str(value)


def targets_from_records(records: Iterable[Record]) -> list[Target]:
    """SBOM components, plus one device per (asset, identity) for records carrying ``identity.vendor/model``."""
    targets: list[Target] = []
    seen_devices: set[tuple[str, str, str, str]] = set()
    for record in records:
        kind = record.get(TYPE)
        if kind == "sbom_component":
            hardware = _text(record, "component.type") in ("device", "firmware")
            targets.append(
                Target(
                    kind="component",
                    ref=_text(record, KEY),
                    name=_text(record, "component.name"),
                    version=_text(record, "component.version"),
                    purl=_text(record, "component.purl"),
                    cpe=_text(record, "component.cpe"),
                    vendor=_text(record, "component.vendor"),
                    model=_text(record, "component.model") or (_text(record, "component.name") if hardware else ""),
                    names=[_text(record, "component.name")] if hardware and _text(record, "component.model") else [],
                    type=_text(record, "component.type"),
                    record=record,
                )
            )
        elif kind not in _SKIP_TYPES and (record.get("identity.vendor") or record.get("identity.model")):
            identity = (
                _text(record, ASSET_ID),
                _text(record, "identity.vendor"),
                _text(record, "identity.model"),
                _text(record, "identity.firmware"),
            )
            if identity in seen_devices or not (identity[2] or _text(record, "identity.name")):
                continue
            seen_devices.add(identity)
            names = [_text(record, n) for n in ("identity.name", "identity.product_code") if _text(record, n)]
            targets.append(
                Target(
                    kind="device",
                    ref=identity[0],
                    name=_text(record, "identity.name") or identity[2],
                    version=identity[3],
                    cpe=_text(record, "identity.cpe"),
                    vendor=identity[1],
                    model=identity[2],
                    names=names,
                    type="device",
                    record=record,
                )
            )
    return targets


def targets_from_inventory(inventory: Any, records: Iterable[Record], seen: Iterable[Target]) -> list[Target]:
    """Devices the inventory declares with vendor/model/firmware, unless a scanner already saw that asset's identity.

    A declared PLC is matched even when no capture or probe reached it; its
    asset id is the one scanners give an IP (``ip:<site>/<addr>``), or the
    merged id a record with that IP already carries.
    """
    observed = {t.ref for t in seen if t.kind == "device"}
    by_ip: dict[tuple[str, str], str] = {}
    for record in records:
        ip, site = _text(record, "asset.ip"), _text(record, "site")
        if ip:
            by_ip.setdefault((site, ip), _text(record, ASSET_ID))
    targets: list[Target] = []
    for site in getattr(inventory, "sites", None) or []:
        for declared in getattr(site, "assets", None) or []:
            vendor, model = str(getattr(declared, "vendor", "") or ""), str(getattr(declared, "model", "") or "")
            if not (vendor and model):
                continue
            ip, name = str(getattr(declared, "ip", "") or ""), str(getattr(declared, "name", "") or "")
            asset_id = by_ip.get((site.name, ip)) or (f"ip:{site.name}/{ip}" if ip else f"asset:{name}")
            if asset_id in observed:
                continue
            firmware = str(getattr(declared, "firmware", "") or "")
            declared_record: Record = {
                ASSET_ID: asset_id,
                "asset.kind": "ot_device",
                "asset.name": name,
                "asset.ip": ip,
                "site": site.name,
                "identity.vendor": vendor,
                "identity.model": model,
                "identity.firmware": firmware,
                "identity.name": name,
            }
            if getattr(declared, "serial", ""):
                declared_record["identity.serial"] = str(declared.serial)
            clean = {k: v for k, v in declared_record.items() if v != ""}
            targets.append(
                Target(
                    kind="device",
                    ref=asset_id,
                    name=name or model,
                    version=firmware,
                    vendor=vendor,
                    model=model,
                    type="device",
                    record=clean,
                )
            )
    return targets


def statements_from_records(records: Iterable[Record]) -> list[VexStatement]:
    from xposture.sbom.records import statement_from_record

    return [statement_from_record(r) for r in records if r.get(TYPE) == "vex_statement"]


def identity_of(target: Target) -> ProductIdentity:
    refs = {target.ref}
    if target.record is not None:
        ref = _text(target.record, "component.ref")
        if ref:
            refs.add(ref)
    return ProductIdentity(
        refs=refs,
        purl=target.purl,
        cpe=target.cpe,
        model=target.model,
        name=target.name,
        version=target.effective_version,
    )


def apply_vex(matches: Sequence[Match], statements: Sequence[VexStatement]) -> None:
    """Set each match's VEX status from the latest statement naming both its vulnerability and its product."""
    if not statements:
        return
    for match in matches:
        statement = find_statement({match.vuln_id, *match.aliases}, identity_of(match.target), statements)
        if statement is not None:
            match.vex_status = statement.status
            match.vex_justification = statement.justification
            match.vex_detail = statement.detail
            match.vex_source = statement.source


def match_record(match: Match) -> Record:
    target, vuln = match.target, match.vuln
    base = target.record or {}
    asset_id = _text(base, ASSET_ID) or target.ref
    fields: dict[str, FieldValue] = {name: base[name] for name in _COPY if name in base}
    fields.update(
        {
            "vuln.id": match.vuln_id,
            "vuln.aliases": match.aliases,
            "vuln.source": str(vuln.get("source") or ""),
            "vuln.advisory": str(vuln.get("advisory") or ""),
            "vuln.summary": str(vuln.get("summary") or ""),
            "vuln.severity": match.severity,
            "vuln.severity_rank": SEVERITY_RANK.get(match.severity, 0),
            "vuln.cvss_score": vuln.get("cvss_score"),
            "vuln.cvss_vector": str(vuln.get("cvss_vector") or ""),
            "vuln.kev": bool(match.kev_date),
            "vuln.kev_date_added": match.kev_date,
            "vuln.epss": vuln.get("epss"),
            "vuln.epss_percentile": vuln.get("epss_percentile"),
            "vuln.published": str(vuln.get("published") or ""),
            "vuln.references": [str(r) for r in vuln.get("references", [])[:5]],
            "vuln.cwes": [str(c) for c in vuln.get("cwes", [])],
            "vuln.remediation": str(vuln.get("remediation") or ""),
            "match.target": target.kind,
            "match.method": match.method,
            "match.confidence": match.confidence,
            "match.confidence_label": confidence_label(match.confidence),
            "match.key": match.key,
            "match.range": match.range_text,
            "match.installed_version": target.effective_version,
            "match.fixed_version": match.fixed,
            "match.has_fix": bool(match.fixed),
            "match.version_evaluated": match.version_evaluated,
            "match.conditional": match.conditional,
            "vex.status": match.vex_status,
            "vex.justification": match.vex_justification,
            "vex.detail": match.vex_detail,
            "vex.source": match.vex_source,
            "vex.suppressed": match.suppressed,
        }
    )
    if target.kind == "component":
        for name in (
            "component.name",
            "component.version",
            "component.purl",
            "component.cpe",
            "component.ref",
            "component.type",
            "sbom.file",
            "sbom.name",
        ):
            if name in base:
                fields[name] = base[name]
    else:
        for name in ("identity.vendor", "identity.model", "identity.firmware", "identity.name", "identity.serial"):
            if name in base:
                fields[name] = base[name]
    clean = {k: v for k, v in fields.items() if v != ""}
    return make_record(
        "vulnerability_match",
        asset_id=asset_id,
        key=f"{target.ref if target.kind == 'component' else 'device'}|{match.vuln_id}",
        layer=Layer.SUPPLY_CHAIN if target.kind == "component" else Layer.OT,
        scanner=SCANNER,
        fields=clean,
        file=_text(base, "source.file") or None,
        line=base.get("source.line") if isinstance(base.get("source.line"), int) else None,
        target=_text(base, "source.target") or None,
    )
