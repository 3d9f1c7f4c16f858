"""The matching ladder: purl -> CPE -> vendor + model -> vendor + product -> name + version, each with a confidence.

Every match says how it was made and how sure it is, so a CI gate can ignore
guesses (``min_confidence``) while an analyst still sees them. Classic CPE
false positives are kept out by matching CPEs only from the component's own
CPE (never one synthesised from its name) and by refusing name matches across
ecosystems (an npm ``openssl`` package is not the C library).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from xposture.advisories.db import AdvisoryDB, Candidate
from xposture.advisories.keys import (
    model_key,
    model_tokens,
    name_key,
    parse_cpe,
    parse_purl,
    token_key,
    vendor_norm,
    vendor_product_key,
)
from xposture.advisories.model import SEVERITY_RANK
from xposture.advisories.versions import SCHEMES, Interval, evaluate

# method -> confidence when the version was evaluated and is inside the range
CONFIDENCE = {
    "purl": 0.95,
    "model_number": 0.9,
    "cpe": 0.85,
    "vendor_model": 0.75,
    "vendor_product": 0.65,
    "name_version": 0.35,
}
UNEVALUATED_FACTOR = 0.5
CONDITIONAL_FACTOR = 0.8


def confidence_label(value: float) -> str:
    return "high" if value >= 0.8 else "medium" if value >= 0.5 else "low"


@dataclass(slots=True)
class Target:
    """Something that can be vulnerable: an SBOM component or a device seen on the network."""

    kind: str  # "component" | "device"
    ref: str
    name: str = ""
    version: str = ""
    purl: str = ""
    cpe: str = ""
    vendor: str = ""
    model: str = ""
    names: list[str] = field(default_factory=list)
    type: str = ""
    record: dict[str, Any] | None = None

    def keys(self, name_matching: bool) -> list[tuple[str, str]]:
        """(lookup key, method) pairs, strongest first."""
        out: list[tuple[str, str]] = []
        purl = parse_purl(self.purl) if self.purl else None
        if purl is not None:
            out.append((purl.key, "purl"))
        cpe = parse_cpe(self.cpe) if self.cpe else None
        if cpe is not None:
            out.append((cpe.key, "cpe"))
        hardware = self.kind == "device" or self.type in ("device", "firmware")
        if hardware:
            for text in [self.model, *self.names]:
                key = model_key(text)
                if key:
                    out.append((key, "model_number"))
            if self.vendor:
                for text in [self.model, self.name, *self.names]:
                    for token in model_tokens(text):
                        out.append((token_key(self.vendor, token), "vendor_model"))
        vendor = self.vendor or (purl.namespace.rsplit("/", 1)[-1] if purl and purl.namespace else "")
        if vendor:
            for text in [self.name, self.model] if hardware else [self.name]:
                if text:
                    out.append((vendor_product_key(vendor, text), "vendor_product"))
        if name_matching and self.name and not hardware and cpe is None:
            # a component with its own CPE is matched through it; the bare name would only add guesses
            out.append((name_key(self.name), "name_version"))
        seen: set[str] = set()
        unique = []
        for key, method in out:
            if key and key not in seen:
                seen.add(key)
                unique.append((key, method))
        return unique

    @property
    def effective_version(self) -> str:
        if self.version:
            return self.version
        purl = parse_purl(self.purl) if self.purl else None
        if purl is not None and purl.version:
            return purl.version
        cpe = parse_cpe(self.cpe) if self.cpe else None
        return cpe.version if cpe is not None else ""

    @property
    def ecosystem(self) -> str:
        purl = parse_purl(self.purl) if self.purl else None
        return purl.type if purl is not None else ""


@dataclass(slots=True)
class Match:
    target: Target
    vuln_id: str
    aliases: list[str]
    vuln: dict[str, Any]
    method: str
    confidence: float
    key: str
    range_text: str
    fixed: str
    version_evaluated: bool
    conditional: bool
    kev_date: str = ""
    vex_status: str = ""
    vex_justification: str = ""
    vex_detail: str = ""
    vex_source: str = ""

    @property
    def severity(self) -> str:
        return str(self.vuln.get("severity") or "unknown")

    @property
    def suppressed(self) -> bool:
        return self.vex_status in ("not_affected", "fixed")


def canonical_id(vuln: dict[str, Any]) -> str:
    """CVE id when the advisory has one (so OSV, CSAF and CVE records of one flaw merge), else its own id."""
    ident = str(vuln["id"])
    if ident.startswith("CVE-"):
        return ident
    return next((a for a in vuln.get("aliases", []) if str(a).startswith("CVE-")), ident)


@dataclass(slots=True)
class _Hit:
    """A candidate whose range holds (or cannot be told): a match once its advisory is loaded."""

    cand: Candidate
    method: str
    key: str
    confidence: float
    verdict: bool | None
    interval: Interval | None


def match_targets(
    targets: Sequence[Target], db: AdvisoryDB, *, name_matching: bool = True, min_confidence: float = 0.0
) -> list[Match]:
    """Match every target against the database; one :class:`Match` per (target, vulnerability).

    Ranges are judged first and advisories loaded only for the hits; an
    affected entry reached through several keys (CPE, vendor/product and name
    of one CVE record) is judged once, at its strongest rung.
    """
    target_keys = [t.keys(name_matching) for t in targets]
    table = db.candidates(key for keys in target_keys for key, _ in keys)
    verdicts: dict[tuple[str, str, str], tuple[bool | None, Interval | None]] = {}
    hits: list[list[_Hit]] = []
    for target, keys in zip(targets, target_keys, strict=True):
        version, ecosystem = target.effective_version, target.ecosystem
        seen: set[tuple[int, str, str]] = set()
        found: list[_Hit] = []
        for key, method in keys:
            for cand in table.get(key, ()):
                entry = (cand.vuln_row, cand.ranges, cand.product)
                if entry in seen:
                    continue
                seen.add(entry)
                hit = _judge(version, ecosystem, key, method, cand, verdicts)
                if hit is not None and hit.confidence >= min_confidence:
                    found.append(hit)
        hits.append(found)
    details = db.vulns(h.cand.vuln_row for found in hits for h in found)
    matches: list[Match] = []
    for target, found in zip(targets, hits, strict=True):
        best: dict[str, Match] = {}
        for hit in found:
            _merge(best, _match(target, hit, details[hit.cand.vuln_row]))
        matches.extend(best.values())
    _apply_kev(matches, db)
    return matches


LANGUAGE_ECOSYSTEMS = {
    "npm",
    "pypi",
    "maven",
    "gem",
    "nuget",
    "golang",
    "cargo",
    "composer",
    "hex",
    "pub",
    "swift",
    "cran",
}


def _other_ecosystem(ecosystem: str, scheme: str) -> bool:
    """Name matches across ecosystems are refused: a language package never matches a C library's advisory."""
    if not ecosystem or ecosystem == "generic" or scheme == ecosystem:
        return False
    return scheme not in ("", "generic") or ecosystem in LANGUAGE_ECOSYSTEMS


def _judge(
    version: str,
    ecosystem: str,
    key: str,
    method: str,
    cand: Candidate,
    verdicts: dict[tuple[str, str, str], tuple[bool | None, Interval | None]],
) -> _Hit | None:
    if method == "name_version" and _other_ecosystem(ecosystem, cand.scheme):
        return None  # same name, different ecosystem (an npm "openssl" is not the C library)
    scheme = (
        cand.scheme
        if cand.scheme in SCHEMES
        and (not ecosystem or ecosystem == cand.scheme or cand.scheme in SCHEMES.get(ecosystem, ""))
        else ""
    )
    memo = (version, cand.ranges, scheme)
    decided = verdicts.get(memo)
    if decided is None:
        decided = verdicts[memo] = evaluate(version, cand.intervals, scheme)
    verdict, interval = decided
    if verdict is False:
        return None
    confidence = CONFIDENCE[method]
    if method == "model_number" and not cand.model:
        confidence = CONFIDENCE["vendor_model"]
    if verdict is None:
        if confidence < 0.6:
            return None
        confidence *= UNEVALUATED_FACTOR
    if cand.conditional:
        confidence *= CONDITIONAL_FACTOR
    return _Hit(cand, method, key, round(confidence, 3), verdict, interval)


def _match(target: Target, hit: _Hit, vuln: dict[str, Any]) -> Match:
    cand, interval = hit.cand, hit.interval
    fixed = interval.fixed if interval is not None and interval.fixed else cand.fixed
    return Match(
        target=target,
        vuln_id=canonical_id(vuln),
        aliases=[],
        vuln=vuln,
        method=hit.method,
        confidence=hit.confidence,
        key=hit.key,
        range_text=cand.range_text or (interval.describe() if interval else ""),
        fixed=fixed,
        version_evaluated=hit.verdict is True,
        conditional=cand.conditional,
        kev_date=str(vuln.get("kev_date") or ""),
    )


def _merge(best: dict[str, Match], found: Match) -> None:
    ids = {str(found.vuln["id"]), *map(str, found.vuln.get("aliases", []))}
    current = best.get(found.vuln_id)
    if current is None:
        found.aliases = sorted(ids - {found.vuln_id})
        best[found.vuln_id] = found
        return
    aliases = set(current.aliases) | ids
    winner = found if found.confidence > current.confidence else current
    loser = current if winner is found else found
    stronger = SEVERITY_RANK.get(loser.severity, 0) > SEVERITY_RANK.get(winner.severity, 0)
    if loser.severity != "unknown" and (stronger or winner.severity == "unknown"):
        winner.vuln = {
            **winner.vuln,
            "severity": loser.severity,
            "cvss_score": loser.vuln.get("cvss_score"),
            "cvss_vector": loser.vuln.get("cvss_vector"),
        }
    winner.kev_date = winner.kev_date or loser.kev_date
    winner.fixed = winner.fixed or loser.fixed
    winner.aliases = sorted(aliases - {winner.vuln_id})
    best[found.vuln_id] = winner


def _apply_kev(matches: Iterable[Match], db: AdvisoryDB) -> None:
    """KEV and EPSS by the canonical id and every alias (an OSV or CSAF record's CVE is in KEV, not its own id)."""
    matches = list(matches)
    ids = {m.vuln_id for m in matches} | {a for m in matches for a in m.aliases}
    kev = db.kev_lookup(ids)
    epss = db.epss_lookup(ids)
    for match in matches:
        names = [match.vuln_id, *match.aliases]
        if not match.kev_date:
            match.kev_date = next((kev[n] for n in names if n in kev), "")
        if match.vuln.get("epss") is None:
            score = next((epss[n] for n in names if n in epss), None)
            if score is not None:
                match.vuln = {**match.vuln, "epss": score[0], "epss_percentile": score[1]}


def vendor_matches(a: str, b: str) -> bool:
    return bool(a and b) and vendor_norm(a) == vendor_norm(b)
