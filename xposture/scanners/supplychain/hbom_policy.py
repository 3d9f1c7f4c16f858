"""Turn what a hardware BOM says into the yes/no facts the ``silicon`` rules judge.

Sigma cannot compare dates, look up a manufacturer's distributor list or
match an ECCN prefix, so these derivations happen here, once, with the
inventory's ``policy:`` values. A fact that cannot be established (no
country stated, no policy given) is left out rather than guessed, so the
rule on it stays silent and the missing datum has its own rule.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from xposture.model import FieldValue
from xposture.scanners.supplychain.hbom_read import HwComponent
from xposture.scanners.supplychain.os_eol import lookup

LIFECYCLE_ALIASES = {
    "active": "active",
    "production": "active",
    "inproduction": "active",
    "new": "active",
    "preview": "active",
    "nrnd": "nrnd",
    "notrecommendedfornewdesigns": "nrnd",
    "notrecommendedfornewdesign": "nrnd",
    "ltb": "ltb",
    "lasttimebuy": "ltb",
    "eol": "eol",
    "endoflife": "eol",
    "discontinued": "eol",
    "obsolete": "obsolete",
}
"""Normalised part lifecycle: ``active``, ``nrnd``, ``ltb``, ``eol``, ``obsolete`` (else ``unknown``)."""

AT_RISK_LIFECYCLES = ("nrnd", "ltb", "eol", "obsolete")

FIRMWARE_BEARING_FUNCTIONS = (
    "microcontroller",
    "microprocessor",
    "mcu",
    "cpu",
    "soc",
    "fpga",
    "cpld",
    "plc",
    "controller",
    "bmc",
    "network",
    "ethernet",
    "wifi",
    "bluetooth",
    "modem",
    "storage controller",
    "tpm",
)
"""``cdx:device:function`` values of parts that run code and so should have firmware listed."""

COUNTRY_NAMES = {
    "united states": "US",
    "usa": "US",
    "japan": "JP",
    "germany": "DE",
    "netherlands": "NL",
    "taiwan": "TW",
    "south korea": "KR",
    "korea": "KR",
    "china": "CN",
    "people's republic of china": "CN",
    "russia": "RU",
    "russian federation": "RU",
    "iran": "IR",
    "north korea": "KP",
    "united kingdom": "GB",
    "uk": "GB",
    "france": "FR",
    "switzerland": "CH",
    "malaysia": "MY",
    "singapore": "SG",
    "vietnam": "VN",
    "thailand": "TH",
    "philippines": "PH",
    "mexico": "MX",
    "india": "IN",
    "israel": "IL",
    "italy": "IT",
    "austria": "AT",
}


@dataclass(slots=True)
class HwPolicy:
    """The policy keys the hardware checks read, parsed once per scan."""

    allowed_countries: frozenset[str] | None
    denied_countries: frozenset[str]
    distributors: Mapping[str, tuple[str, ...]]
    horizon_months: int | None
    require_eccn: bool
    eccn_types: tuple[str, ...]
    restricted_eccns: tuple[str, ...]
    today: dt.date

    @classmethod
    def from_policy(cls, policy: Mapping[str, Any], today: dt.date | None = None) -> HwPolicy:
        allowed = policy.get("allowed_origin_countries")
        export = policy.get("export_control") or {}
        if isinstance(export, bool):
            export = {"require_eccn": export}
        horizon = policy.get("eol_horizon_months")
        distributors: dict[str, tuple[str, ...]] = {}
        raw = policy.get("authorized_distributors") or {}
        if isinstance(raw, Mapping):
            for maker, names in raw.items():
                values = [names] if isinstance(names, str) else list(names or [])
                distributors[_norm(str(maker))] = tuple(_norm(str(v)) for v in values)
        elif isinstance(raw, list):
            distributors["*"] = tuple(_norm(str(v)) for v in raw)
        return cls(
            allowed_countries=frozenset(country_code(str(c)) for c in allowed) if isinstance(allowed, list) else None,
            denied_countries=frozenset(country_code(str(c)) for c in policy.get("denied_origin_countries") or []),
            distributors=distributors,
            horizon_months=int(horizon)
            if isinstance(horizon, (int, float)) and not isinstance(horizon, bool)
            else None,
            require_eccn=bool(export.get("require_eccn", False)) if isinstance(export, Mapping) else False,
            eccn_types=tuple(export.get("types", ("device",))) if isinstance(export, Mapping) else ("device",),
            restricted_eccns=tuple(str(e).upper() for e in export.get("restricted_eccns", []))
            if isinstance(export, Mapping)
            else (),
            today=today or dt.date.today(),
        )


def country_code(text: str) -> str:
    """ISO 3166-1 alpha-2 for a code or a common English country name (upper case)."""
    value = text.strip()
    return COUNTRY_NAMES.get(value.lower(), value.upper())


def lifecycle(text: str) -> str:
    if not text:
        return ""
    return LIFECYCLE_ALIASES.get(re.sub(r"[^a-z]", "", text.lower()), "unknown")


def derive(comp: HwComponent, policy: HwPolicy, all_components: Mapping[str, HwComponent]) -> dict[str, FieldValue]:
    """Every derived ``hw.*`` field for one component."""
    out: dict[str, FieldValue] = {}
    attrs = comp.attributes
    is_device = comp.type == "device"
    if is_device:
        out["hw.part_number_missing"] = not attrs.get("part_number")
        out["hw.manufacturer_missing"] = not comp.manufacturer
    origin = country_code(attrs.get("origin_country") or comp.manufacturer_country or "")
    if origin:
        out["hw.origin_country"] = origin
        if policy.allowed_countries is not None:
            out["hw.origin_allowed"] = origin in policy.allowed_countries
        out["hw.origin_denied"] = origin in policy.denied_countries
    out.update(_distributor(comp, policy))
    out.update(_lifecycle(comp, policy))
    eccn = attrs.get("eccn", "").upper()
    if policy.require_eccn and comp.type in policy.eccn_types:
        out["hw.eccn_required"] = True
        out["hw.eccn_missing"] = not eccn
    if eccn and policy.restricted_eccns:
        out["hw.eccn_restricted"] = any(eccn.startswith(p.rstrip("*")) for p in policy.restricted_eccns)
    out.update(_os_support(comp, policy))
    if is_device:
        function = attrs.get("function", "").lower()
        expected = comp.top_level or any(f in function for f in FIRMWARE_BEARING_FUNCTIONS)
        out["hw.firmware_expected"] = expected
        out["hw.has_firmware"] = _has_firmware(comp, all_components, set())
    return out


def _distributor(comp: HwComponent, policy: HwPolicy) -> dict[str, FieldValue]:
    distributor = comp.attributes.get("distributor") or (
        comp.supplier if comp.supplier and _norm(comp.supplier) != _norm(comp.manufacturer) else ""
    )
    out: dict[str, FieldValue] = {}
    if not distributor:
        return out
    out["hw.distributor"] = distributor
    maker = _norm(comp.manufacturer)
    allowed = policy.distributors.get(maker) or policy.distributors.get("*")
    if allowed is None:
        return out
    name = _norm(distributor)
    out["hw.distributor_authorized"] = name == maker or any(name == a or name.startswith(a + " ") for a in allowed)
    return out


def _lifecycle(comp: HwComponent, policy: HwPolicy) -> dict[str, FieldValue]:
    out: dict[str, FieldValue] = {}
    phase = lifecycle(comp.attributes.get("lifecycle", ""))
    if phase:
        out["hw.lifecycle"] = phase
    dates = [d for d in (_date(comp.attributes.get("eol_date", "")), _date(comp.attributes.get("ltb_date", ""))) if d]
    if dates:
        first = min(dates)
        out["hw.eol_date"] = first.isoformat()
        months = (first.year - policy.today.year) * 12 + (first.month - policy.today.month)
        out["hw.months_to_eol"] = months
        if policy.horizon_months is not None:
            out["hw.eol_within_horizon"] = months <= policy.horizon_months
    if phase or dates:
        out["hw.lifecycle_at_risk"] = phase in AT_RISK_LIFECYCLES or bool(out.get("hw.eol_within_horizon"))
    return out


def _os_support(comp: HwComponent, policy: HwPolicy) -> dict[str, FieldValue]:
    attrs = comp.attributes
    candidates: Sequence[tuple[str, str]] = (
        (attrs.get("os_name", ""), attrs.get("os_version", "")),
        (comp.name, comp.version),
    )
    for name, version in candidates:
        if not name:
            continue
        entry = lookup(name, version)
        if entry is not None:
            days = (entry.eol - policy.today).days
            return {
                "hw.os_product": entry.product,
                "hw.os_cycle": entry.cycle,
                "hw.os_end_of_support": entry.eol.isoformat(),
                "hw.os_days_to_end_of_support": days,
                "hw.os_end_of_support_passed": days < 0,
            }
    return {}


def _has_firmware(comp: HwComponent, components: Mapping[str, HwComponent], seen: set[str]) -> bool:
    for ref in comp.children:
        if ref in seen:
            continue
        seen.add(ref)
        child = components.get(ref)
        if child is None:
            continue
        if child.type == "firmware" or _has_firmware(child, components, seen):
            return True
    return False


def _date(text: str) -> dt.date | None:
    """ISO dates, ``YYYY-MM`` and ``YYYY`` (last-time-buy notices are often month-precise)."""
    text = text.strip()
    for pattern, fmt in ((r"\d{4}-\d{2}-\d{2}", "%Y-%m-%d"), (r"\d{4}-\d{2}", "%Y-%m"), (r"\d{4}", "%Y")):
        match = re.match(pattern, text)
        if match:
            try:
                return dt.datetime.strptime(match.group(0), fmt).date()
            except ValueError:
                return None
    return None


def _norm(text: str) -> str:
    return " ".join(re.sub(r"[^a-z0-9 ]", " ", text.lower()).split())
