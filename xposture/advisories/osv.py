"""OSV records (any ecosystem, including OSS-Fuzz with GIT ranges) to advisories."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from xposture.advisories.cvss import cvss3_base_score
from xposture.advisories.keys import distro_namespace, ecosystem_purl_type, name_key, purl_key
from xposture.advisories.model import Advisory, Affected, normalise_severity, severity_from_score
from xposture.advisories.versions import Interval


def looks_like_osv(data: Any) -> bool:
    return (
        isinstance(data, Mapping)
        and isinstance(data.get("id"), str)
        and ("affected" in data or "schema_version" in data)
        and "modified" in data
    )


def parse_osv(data: Mapping[str, Any]) -> Advisory:
    """One OSV record; ``affected[].ranges`` of type SEMVER/ECOSYSTEM become intervals, ``versions`` exact ones."""
    adv = Advisory(id=str(data["id"]), source="osv")
    adv.aliases = [str(a) for a in data.get("aliases") or [] if isinstance(a, str)]
    adv.summary = str(data.get("summary") or str(data.get("details") or "")[:200]).strip()
    adv.published = str(data.get("published") or "")
    adv.modified = str(data.get("modified") or "")
    adv.references = [
        str(r.get("url")) for r in data.get("references") or [] if isinstance(r, Mapping) and r.get("url")
    ]
    adv.cwes = (
        [str(c) for c in (data.get("database_specific") or {}).get("cwe_ids") or []]
        if isinstance(data.get("database_specific"), Mapping)
        else []
    )
    for sev in data.get("severity") or []:
        if isinstance(sev, Mapping) and str(sev.get("type", "")).startswith("CVSS_V3"):
            adv.cvss_vector = str(sev.get("score") or "")
            adv.cvss_score = cvss3_base_score(adv.cvss_vector)
    db_severity = (
        (data.get("database_specific") or {}).get("severity")
        if isinstance(data.get("database_specific"), Mapping)
        else None
    )
    adv.severity = (
        severity_from_score(adv.cvss_score)
        if adv.cvss_score is not None
        else normalise_severity(str(db_severity or "unknown"))
    )
    for entry in data.get("affected") or []:
        if not isinstance(entry, Mapping):
            continue
        affected = _affected(entry)
        if affected is not None:
            adv.affected.append(affected)
        eco = entry.get("ecosystem_specific")
        if adv.severity == "unknown" and isinstance(eco, Mapping) and eco.get("severity"):
            adv.severity = normalise_severity(str(eco["severity"]))
    return adv


def _affected(entry: Mapping[str, Any]) -> Affected | None:
    raw_package = entry.get("package")
    package: Mapping[str, Any] = raw_package if isinstance(raw_package, Mapping) else {}
    name = str(package.get("name") or "")
    ecosystem = str(package.get("ecosystem") or "")
    purl_type = ecosystem_purl_type(ecosystem) if ecosystem else ""
    keys = []
    purl = str(package.get("purl") or "")
    if purl:
        keys.append(purl_key(purl))
    elif name and purl_type:
        namespace, _, short = (
            name.rpartition("/") if purl_type in ("npm", "golang", "composer", "github") else ("", "", name)
        )
        if purl_type == "maven":
            namespace, _, short = name.partition(":")
        elif purl_type in ("deb", "apk", "rpm"):
            namespace = distro_namespace(ecosystem)
        keys.append(purl_key(f"pkg:{purl_type}/{namespace + '/' if namespace else ''}{short}"))
    if name:
        keys.append(name_key(name.rsplit("/", 1)[-1].rsplit(":", 1)[-1]))
    intervals: list[Interval] = []
    fixed = ""
    texts = []
    for rng in entry.get("ranges") or []:
        if not isinstance(rng, Mapping) or rng.get("type") not in ("SEMVER", "ECOSYSTEM"):
            continue
        introduced: str | None = None
        for event in rng.get("events") or []:
            if not isinstance(event, Mapping):
                continue
            if "introduced" in event:
                value = str(event["introduced"])
                introduced = None if value in ("0", "") else value
                if introduced is None:
                    introduced = ""
            elif "fixed" in event:
                intervals.append(Interval(introduced=introduced or None, fixed=str(event["fixed"])))
                fixed = fixed or str(event["fixed"])
                introduced = None
            elif "last_affected" in event:
                intervals.append(Interval(introduced=introduced or None, last_affected=str(event["last_affected"])))
                introduced = None
            elif "limit" in event and introduced is not None:
                intervals.append(Interval(introduced=introduced or None, fixed=str(event["limit"])))
                introduced = None
        if introduced is not None:
            intervals.append(Interval(introduced=introduced or None))
    for version in entry.get("versions") or []:
        intervals.append(Interval(exact=str(version)))
    texts = [i.describe() for i in intervals[:6]]
    if not intervals or not [k for k in keys if k]:
        return None
    return Affected(
        keys=[k for k in keys if k],
        intervals=intervals,
        scheme=purl_type,
        range_text="; ".join(texts),
        product=name,
        fixed=fixed,
    )
