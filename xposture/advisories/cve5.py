"""CVE JSON 5.x records (CNA and ADP containers, e.g. CISA vulnrichment) to advisories.

The CNA's vendor/product/versions and the ADP's CPEs each become affected
entries; CISA's ADP container also gives CVSS when the CNA has none and the
KEV date when the CVE is known exploited.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from xposture.advisories.cvss import cvss3_base_score
from xposture.advisories.keys import name_key, parse_cpe, vendor_product_key
from xposture.advisories.model import Advisory, Affected, normalise_severity, severity_from_score
from xposture.advisories.versions import ALL, Interval, is_version_like, parse_range_text

_SKIP_TYPES = {"git", "rpm"}


def looks_like_cve5(data: Any) -> bool:
    return (isinstance(data, Mapping) and data.get("dataType") == "CVE_RECORD") or (
        isinstance(data, Mapping)
        and isinstance(data.get("cveMetadata"), Mapping)
        and isinstance(data.get("containers"), Mapping)
    )


def parse_cve5(data: Mapping[str, Any]) -> Advisory | None:
    meta = data.get("cveMetadata") or {}
    cve_id = str(meta.get("cveId") or "")
    if not cve_id or meta.get("state") == "REJECTED":
        return None
    containers = data.get("containers") or {}
    cna = containers.get("cna") or {}
    adps = [a for a in containers.get("adp") or [] if isinstance(a, Mapping)]
    adv = Advisory(id=cve_id, source="cve5")
    adv.published = str(meta.get("datePublished") or "")
    adv.modified = str(meta.get("dateUpdated") or adv.published)
    adv.summary = next(
        (
            str(d.get("value"))
            for d in cna.get("descriptions") or []
            if isinstance(d, Mapping) and str(d.get("lang", "")).startswith("en")
        ),
        "",
    )
    adv.summary = adv.summary.strip().replace("\n", " ")[:300]
    adv.references = [
        str(r.get("url")) for r in cna.get("references") or [] if isinstance(r, Mapping) and r.get("url")
    ][:20]
    for problem in cna.get("problemTypes") or []:
        for desc in problem.get("descriptions") or [] if isinstance(problem, Mapping) else []:
            if isinstance(desc, Mapping) and desc.get("cweId"):
                adv.cwes.append(str(desc["cweId"]))
    for container in [cna, *adps]:
        _metrics(adv, container.get("metrics") or [])
    if adv.severity == "unknown":
        adv.severity = severity_from_score(adv.cvss_score)
    for container in [cna, *adps]:
        for entry in container.get("affected") or []:
            if isinstance(entry, Mapping):
                adv.affected.extend(_affected(entry))
    return adv


def _metrics(adv: Advisory, metrics: list[Any]) -> None:
    for metric in metrics:
        if not isinstance(metric, Mapping):
            continue
        for name in ("cvssV4_0", "cvssV3_1", "cvssV3_0"):
            data = metric.get(name)
            if isinstance(data, Mapping) and adv.cvss_score is None:
                score = data.get("baseScore")
                adv.cvss_score = (
                    float(score)
                    if isinstance(score, (int, float))
                    else cvss3_base_score(str(data.get("vectorString") or ""))
                )
                adv.cvss_vector = str(data.get("vectorString") or "")
                if data.get("baseSeverity"):
                    adv.severity = normalise_severity(str(data["baseSeverity"]))
        other = metric.get("other")
        if isinstance(other, Mapping) and other.get("type") == "kev":
            content = other.get("content") or {}
            adv.kev_date = str(content.get("dateAdded") or "") if isinstance(content, Mapping) else ""


def _affected(entry: Mapping[str, Any]) -> list[Affected]:
    vendor = str(entry.get("vendor") or "")
    product = str(entry.get("product") or "")
    intervals, text, fixed = _versions(entry)
    if not intervals:
        return []
    keys: list[str] = []
    for cpe_text in entry.get("cpes") or []:
        cpe = parse_cpe(str(cpe_text))
        if cpe is not None and cpe.key not in keys:
            keys.append(cpe.key)
    if product and product.lower() != "n/a":
        keys.append(vendor_product_key(vendor, product))
        keys.append(name_key(product))
    keys = [k for k in dict.fromkeys(keys) if k]
    if not keys:
        return []
    return [
        Affected(keys=keys, intervals=intervals, range_text=text, product=f"{vendor} {product}".strip(), fixed=fixed)
    ]


def _versions(entry: Mapping[str, Any]) -> tuple[list[Interval], str, str]:
    intervals: list[Interval] = []
    texts: list[str] = []
    fixed = ""
    for item in entry.get("versions") or []:
        if not isinstance(item, Mapping) or item.get("status") not in ("affected", None):
            continue
        if str(item.get("versionType") or "").lower() in _SKIP_TYPES:
            continue
        version = str(item.get("version") or "").strip()
        less = item.get("lessThan")
        less_eq = item.get("lessThanOrEqual")
        lower = None if version in ("0", "*", "", "n/a", "unspecified") else version
        if lower is not None and lower.endswith(("x", ".*")):
            lower = lower.rstrip("x*").rstrip(".") or None
        if less not in (None, "", "*"):
            intervals.append(Interval(introduced=lower, fixed=str(less)))
            fixed = fixed or str(less)
        elif less_eq not in (None, ""):
            upper = str(less_eq)
            if upper == "*":
                intervals.append(Interval(introduced=lower))
            elif upper.endswith((".*", "x")) and upper[:-1].rstrip("."):
                intervals.append(Interval(introduced=lower, fixed=_next_family(upper.rstrip("*x").rstrip(".") + ".*")))
            else:
                intervals.append(Interval(introduced=lower, last_affected=upper))
        elif less == "*":
            intervals.append(Interval(introduced=lower))
        elif version == "*":
            intervals.append(ALL)
        elif version and version.lower() not in ("n/a", "unspecified"):
            if is_version_like(version) and re.fullmatch(r"[\w.\-+~:]+", version):
                intervals.append(Interval(exact=version))
            else:
                intervals.extend(i for i in parse_range_text(version).intervals if i.unknown is None)
        texts.append(_describe(item))
    if not intervals and entry.get("defaultStatus") == "affected" and not entry.get("versions"):
        intervals.append(ALL)
        texts.append("all versions (defaultStatus affected)")
    return intervals, "; ".join(t for t in texts if t)[:300], fixed


def _next_family(upper: str) -> str:
    """``4.19.*`` as an upper bound means below 4.20."""
    head = upper[:-2]
    parts = head.split(".")
    if parts and parts[-1].isdigit():
        parts[-1] = str(int(parts[-1]) + 1)
    return ".".join(parts)


def _describe(item: Mapping[str, Any]) -> str:
    version = str(item.get("version") or "")
    if item.get("lessThan"):
        return f">={version}, <{item['lessThan']}" if version not in ("0", "*") else f"<{item['lessThan']}"
    if item.get("lessThanOrEqual"):
        return (
            f">={version}, <={item['lessThanOrEqual']}" if version not in ("0", "*") else f"<={item['lessThanOrEqual']}"
        )
    return version
