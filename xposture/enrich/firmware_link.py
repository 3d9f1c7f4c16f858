"""The cross-stack join: which device on the floor runs which firmware, and can that firmware be trusted.

Three joins, in order:

1. firmware components (``hw_component`` from HBOMs, ``sbom_component`` of
   type firmware from SBOMs) <-> ``attestation`` records, by subject digest;
2. devices seen on the floor (any record with ``identity.vendor``/``model``/
   ``firmware``: pcap, SNMP, probes) and devices declared in the inventory
   <-> a firmware component: by the inventory's ``firmware_sbom`` mapping
   (confidence 1.0), else by a vendor/model/version heuristic whose
   confidence says how much of the identity agreed;
3. one ``firmware_link`` record per device saying what it runs, the
   provenance status of that firmware, and the vulnerabilities matched to
   its SBOM, so a finding can read "PLC 10.10.1.5 runs firmware X, whose
   provenance is unsigned and whose SBOM contains CVE-Y".
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, ClassVar

from xposture.errors import InputError
from xposture.model import ASSET_ID, TYPE, FieldValue, Layer, Record, as_list, make_record
from xposture.model import field_text as _s
from xposture.scanners.base import ScanContext
from xposture.scanners.supplychain.hbom_read import HwDocument, load_document

STATUS_ORDER = {"failed": 0, "unsigned": 1, "unverified": 2, "verified": 3}
OWN_TYPES = ("hw_component", "attestation", "firmware_link", "hbom")
SUPPLY_CHAIN_SCANNERS = ("sbom", "hbom", "attestation")
FIRMWARE_TYPES = ("firmware", "operating-system", "operating_system")
VULN_ID_FIELDS = ("vulnerability.id", "vuln.id", "advisory.id", "cve.id")


@dataclass(slots=True)
class Firmware:
    """A firmware image some BOM describes."""

    name: str
    version: str
    vendor: str
    model: str
    file: str
    digests: set[str] = field(default_factory=set)
    record: Record | None = None
    attestations: list[Record] = field(default_factory=list)


@dataclass(slots=True)
class Device:
    asset_id: str
    vendor: str
    model: str
    firmware: str
    ip: str = ""
    name: str = ""
    site: str = ""
    sbom: str = ""


class FirmwareLinkEnricher:
    """Join devices, firmware BOMs and attestations.

    Order 130: after zones and the asset merge, and after the ``vulnerabilities``
    enricher (120), whose ``vulnerability_match`` records the links cite.
    """

    name: ClassVar[str] = "firmware_link"
    order: ClassVar[int] = 130

    def enrich(self, records: list[Record], ctx: ScanContext) -> Iterable[Record]:
        firmware = list(_firmware(records))
        attestations = [r for r in records if r.get(TYPE) == "attestation"]
        _join_attestations(firmware, attestations)
        devices = _devices(records, ctx.inventory)
        if not devices or not (firmware or attestations or _supply_chain_in_scope(ctx.inventory, devices)):
            return []  # an OT-only scan is not told that every device lacks a firmware BOM
        vulns = _vulnerabilities(records)
        return list(_links(devices, firmware, vulns))


def _supply_chain_in_scope(inventory: Any, devices: list[Device]) -> bool:
    """Firmware provenance was asked about: a supply-chain BOM source or an asset's firmware_sbom."""
    sources = getattr(inventory, "supply_chain", None) or []
    return any(getattr(s, "scanner", "") in SUPPLY_CHAIN_SCANNERS for s in sources) or any(d.sbom for d in devices)


def _firmware(records: Iterable[Record]) -> Iterator[Firmware]:
    devices_by_asset: dict[str, Record] = {}
    for record in records:
        if record.get(TYPE) == "hw_component" and record.get("hw.top_level") and record.get("hw.type") == "device":
            devices_by_asset[str(record.get(ASSET_ID))] = record
    for record in records:
        rtype = record.get(TYPE)
        if rtype == "hw_component" and record.get("hw.type") == "firmware":
            owner = devices_by_asset.get(str(record.get(ASSET_ID)), {})
            yield Firmware(
                name=_s(record.get("hw.name")),
                version=_s(record.get("hw.version")),
                vendor=_s(owner.get("identity.vendor") or record.get("hw.manufacturer") or record.get("hw.supplier")),
                model=_s(owner.get("identity.model")),
                file=_s(record.get("source.file")),
                digests={_s(d).lower() for d in as_list(record.get("hw.digests")) if d},
                record=record,
            )
        elif rtype == "sbom_document" and _s(record.get("sbom.subject_type")).lower() in FIRMWARE_TYPES:
            # A firmware SBOM's subject is the firmware itself (the sbom scanner keeps it on the document record).
            file = _s(record.get("sbom.file") or record.get("source.file"))
            yield Firmware(
                name=_s(record.get("sbom.name")),
                version=_s(record.get("sbom.version")),
                vendor=_s(record.get("sbom.supplier")),
                model=_s(record.get("identity.model")),
                file=file,
                digests=_sbom_digests(file, "", _s(record.get("sbom.name")), subject=True),
                record=record,
            )
        elif rtype == "sbom_component" and _s(record.get("component.type")).lower() in FIRMWARE_TYPES:
            file = _s(record.get("sbom.file") or record.get("source.file"))
            yield Firmware(
                name=_s(record.get("component.name")),
                version=_s(record.get("component.version")),
                vendor=_s(record.get("component.manufacturer") or record.get("component.supplier")),
                model=_s(record.get("identity.model")),
                file=file,
                digests=_sbom_digests(file, _s(record.get("component.ref")), _s(record.get("component.name"))),
                record=record,
            )


def _sbom_digests(file: str, ref: str, name: str, *, subject: bool = False) -> set[str]:
    """Hash values of a firmware component of another scanner's SBOM, read again with the HBOM reader.

    ``sbom_component`` records say which hash algorithms a component has but
    not the values, and the join needs the values.
    """
    if not file:
        return set()
    doc = _load(file)
    if doc is None:
        return set()
    for comp in doc.components:
        if subject and comp.top_level and comp.depth == 0 and comp.name == name:
            return {f"{alg}:{value}" for alg, value in comp.hashes.items()}
        if not subject and ((ref and comp.bom_ref == ref) or (not ref and comp.name == name)):
            return {f"{alg}:{value}" for alg, value in comp.hashes.items()}
    return set()


@lru_cache(maxsize=256)
def _load(file: str) -> HwDocument | None:
    try:
        return load_document(Path(file))
    except InputError:
        return None


def _join_attestations(firmware: list[Firmware], attestations: list[Record]) -> None:
    """Digest equality links a BOM's firmware to its attestation; a same-name digest difference is a mismatch."""
    for att in attestations:
        digests = {_s(d).lower() for d in as_list(att.get("attestation.subject_digests")) if d}
        names = {_base(_s(n)) for n in as_list(att.get("attestation.subject_names")) if n}
        matched: list[str] = []
        mismatched = False
        for fw in firmware:
            if digests & fw.digests:
                fw.attestations.append(att)
                matched.append(f"{fw.name} {fw.version}".strip())
                if fw.record is not None and fw.record.get(TYPE) == "hw_component":
                    _set_provenance(fw.record, fw.attestations)
            elif fw.digests and _base(fw.name) in names and _algs(digests) & _algs(fw.digests):
                mismatched = True
        if matched:
            att["attestation.sbom_components"] = sorted(set(matched))
            att["attestation.sbom_digest_match"] = True
        elif mismatched:
            att["attestation.sbom_digest_match"] = False


def _set_provenance(record: Record, attestations: list[Record]) -> None:
    best = _best(attestations)
    record["hw.provenance_status"] = _s(best.get("attestation.status"))
    record["hw.attestations"] = [_s(a.get("record.key")) for a in attestations]


def _devices(records: Iterable[Record], inventory: Any) -> list[Device]:
    found: dict[str, Device] = {}
    for record in records:
        if record.get(TYPE) in OWN_TYPES:
            continue
        vendor, model = _s(record.get("identity.vendor")), _s(record.get("identity.model"))
        firmware = _s(record.get("identity.firmware"))
        if not (vendor or model) or record.get(TYPE) == "sbom_component":
            continue
        asset = _s(record.get(ASSET_ID))
        known = found.get(asset)
        if known is None:
            found[asset] = Device(
                asset,
                vendor,
                model,
                firmware,
                _s(record.get("asset.ip")),
                _s(record.get("asset.name")),
                _s(record.get("site")),
            )
        else:
            known.vendor, known.model = known.vendor or vendor, known.model or model
            known.firmware = known.firmware or firmware
    for site in getattr(inventory, "sites", []) or []:
        for declared in getattr(site, "assets", []) or []:
            device = _declared_device(declared, site.name, found)
            if device is not None:
                found[device.asset_id] = device
    return list(found.values())


def _declared_device(declared: Any, site: str, found: Mapping[str, Device]) -> Device | None:
    """An inventory asset adds its ``firmware_sbom`` to the device seen at its IP, or stands for it if unseen."""
    ip = _s(getattr(declared, "ip", ""))
    for device in found.values():
        if ip and (device.ip == ip or device.asset_id.endswith(f"/{ip}")):
            device.sbom = _s(getattr(declared, "firmware_sbom", "")) or device.sbom
            device.vendor = device.vendor or _s(getattr(declared, "vendor", ""))
            device.model = device.model or _s(getattr(declared, "model", ""))
            device.firmware = device.firmware or _s(getattr(declared, "firmware", ""))
            device.name = device.name or _s(getattr(declared, "name", ""))
            return None
    if not (getattr(declared, "firmware_sbom", "") or getattr(declared, "vendor", "")):
        return None
    asset = f"ip:{site}/{ip}" if ip else f"asset:{_s(getattr(declared, 'name', ''))}"
    return Device(
        asset,
        _s(getattr(declared, "vendor", "")),
        _s(getattr(declared, "model", "")),
        _s(getattr(declared, "firmware", "")),
        ip,
        _s(getattr(declared, "name", "")),
        site,
        _s(getattr(declared, "firmware_sbom", "")),
    )


def _vulnerabilities(records: Iterable[Record]) -> dict[str, set[str]]:
    """Vulnerability ids by ``file:<SBOM file name>`` (component matches) and ``asset:<id>`` (device matches)."""
    out: dict[str, set[str]] = {}
    for record in records:
        if record.get(TYPE) != "vulnerability_match":
            continue
        ident = next((record.get(f) for f in VULN_ID_FIELDS if record.get(f)), None)
        if not ident:
            continue
        source = _s(record.get("sbom.file") or record.get("source.file"))
        if source and _s(record.get("match.target")) != "device":
            out.setdefault(f"file:{Path(source).name}", set()).add(_s(ident))
        else:
            out.setdefault(f"asset:{_s(record.get(ASSET_ID))}", set()).add(_s(ident))
    return out


class _Catalogue:
    """Firmware indexed by file name, vendor prefix, model and version, so a device is scored against few."""

    def __init__(self, firmware: list[Firmware]) -> None:
        self.firmware = firmware
        self.by_file: dict[str, Firmware] = {}
        self.by_vendor: dict[str, list[int]] = {}
        self.by_model: dict[str, list[int]] = {}
        self.by_version: dict[str, list[int]] = {}
        for index, fw in enumerate(firmware):
            if fw.file:
                self.by_file.setdefault(Path(fw.file).name, fw)
            if _norm(fw.vendor):
                self.by_vendor.setdefault(_norm(fw.vendor), []).append(index)
            if _norm(fw.model):
                self.by_model.setdefault(_norm(fw.model), []).append(index)
            if fw.version:
                self.by_version.setdefault(_version(fw.version), []).append(index)
        self.vendor_keys = sorted(self.by_vendor)

    def candidates(self, device: Device) -> list[Firmware]:
        """Every firmware that could reach the 0.5 threshold shares the vendor prefix, the model or the version."""
        found: set[int] = set()
        vendor = _norm(device.vendor)
        if vendor:
            if len(vendor) >= 4:
                found.update(self.by_vendor.get(vendor[:4], ()))
            for key, indexes in self.by_vendor.items():
                if (len(key) < 4 and vendor.startswith(key)) or (len(vendor) < 4 and key.startswith(vendor)):
                    found.update(indexes)
        if _norm(device.model):
            found.update(self.by_model.get(_norm(device.model), ()))
        if device.firmware:
            found.update(self.by_version.get(_version(device.firmware), ()))
        return [self.firmware[i] for i in sorted(found)]


def _links(devices: list[Device], firmware: list[Firmware], vulns: Mapping[str, set[str]]) -> Iterator[Record]:
    catalogue = _Catalogue(firmware)
    for device in devices:
        match, method, confidence = _match(device, catalogue)
        fields: dict[str, FieldValue] = {
            "asset.ip": device.ip,
            "asset.name": device.name,
            "site": device.site,
            "link.device_vendor": device.vendor,
            "link.device_model": device.model,
            "link.device_firmware": device.firmware,
            "link.linked": match is not None,
            "link.method": method,
            "link.confidence": round(confidence, 2),
        }
        own = sorted(vulns.get(f"asset:{device.asset_id}", set()))
        if match is not None:
            fields.update(_firmware_fields(device, match, vulns, own))
        else:
            fields["link.vulnerabilities"] = own
            tail = f"; advisories for the device: {', '.join(own[:5])}" if own else ""
            fields["link.summary"] = (
                f"{_who(device)} runs firmware {device.firmware or '(unknown)'}: no firmware BOM linked{tail}"
            )
        yield make_record(
            "firmware_link",
            asset_id=device.asset_id,
            key="firmware_link",
            layer=Layer.SUPPLY_CHAIN,
            scanner=FirmwareLinkEnricher.name,
            fields={k: v for k, v in fields.items() if v != ""},
        )


def _firmware_fields(
    device: Device, fw: Firmware, vulns: Mapping[str, set[str]], own: list[str]
) -> dict[str, FieldValue]:
    best = _best(fw.attestations) if fw.attestations else None
    status = _s(best.get("attestation.status")) if best else "none"
    found = sorted(set(own) | (vulns.get(f"file:{Path(fw.file).name}", set()) if fw.file else set()))
    fields: dict[str, FieldValue] = {
        "link.firmware_name": fw.name,
        "link.firmware_version": fw.version,
        "link.firmware_source": fw.file,
        "link.firmware_digests": sorted(fw.digests),
        "link.version_match": bool(device.firmware) and _version(device.firmware) == _version(fw.version),
        "link.provenance_status": status,
        "link.attestations": [_s(a.get("record.key")) for a in fw.attestations],
        "link.provenance_reasons": [_s(r) for r in as_list(best.get("attestation.reasons")) if r] if best else [],
        "link.builder_id": _s(best.get("attestation.builder_id")) if best else "",
        "link.source_repo": _s(best.get("attestation.source_repo")) if best else "",
        "link.vulnerabilities": found,
    }
    provenance = {"none": "has no attestation"}.get(status, f"whose provenance is {status}")
    tail = f" and whose SBOM lists {', '.join(found[:5])}" if found else ""
    fields["link.summary"] = f"{_who(device)} runs firmware {fw.name} {fw.version}, {provenance}{tail}".strip()
    return fields


def _match(device: Device, catalogue: _Catalogue) -> tuple[Firmware | None, str, float]:
    if device.sbom:
        mapped = catalogue.by_file.get(Path(device.sbom).name)
        if mapped is not None:
            return mapped, "inventory", 1.0
    best: tuple[Firmware | None, str, float] = (None, "none", 0.0)
    for fw in catalogue.candidates(device):
        score = _score(device, fw)
        if score > best[2]:
            best = (fw, "vendor_model_version", score)
            if score >= 1.0:
                break
    if best[2] < 0.5:
        return None, "none", best[2]
    return best


def _score(device: Device, fw: Firmware) -> float:
    """Vendor 0.3, model 0.4 (0.25 if only named in the firmware's name), version 0.3."""
    score = 0.0
    if device.vendor and fw.vendor and _same(device.vendor, fw.vendor):
        score += 0.3
    if device.model and fw.model and _norm(device.model) == _norm(fw.model):
        score += 0.4
    elif device.model and _norm(device.model) and _norm(device.model) in _norm(fw.name):
        score += 0.25
    if device.firmware and fw.version and _version(device.firmware) == _version(fw.version):
        score += 0.3
    return score


def _best(attestations: list[Record]) -> Record:
    return max(attestations, key=lambda a: STATUS_ORDER.get(_s(a.get("attestation.status")), -1))


def _who(device: Device) -> str:
    what = " ".join(p for p in (device.vendor, device.model) if p)
    where = device.ip or device.name or device.asset_id
    return f"{what} {where}".strip() if what else where


def _same(a: str, b: str) -> bool:
    na, nb = _norm(a), _norm(b)
    return bool(na and nb) and (na == nb or na.startswith(nb) or nb.startswith(na))


@lru_cache(maxsize=65536)
def _version(text: str) -> str:
    text = text.strip().lower().removeprefix("v").removeprefix("version").strip()
    return ".".join(p.lstrip("0") or "0" for p in re.split(r"[._\-\s]+", text) if p)


@lru_cache(maxsize=65536)
def _norm(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


def _base(name: str) -> str:
    return name.rsplit("/", 1)[-1]


def _algs(digests: set[str]) -> set[str]:
    return {d.split(":", 1)[0] for d in digests}
