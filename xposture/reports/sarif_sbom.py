"""SARIF for ``sbom check``: one rule per advisory, results located at the SBOM file and component.

Built on the core writer (:mod:`xposture.reports.sarif`): matches become
findings whose rule is the advisory, whose evidence names the SBOM file and
line, and whose logical location is the component's purl. Rules carry
GitHub's ``security-severity`` from the advisory's CVSS score. Output stays
inside GitHub's limits: at most 25k results and 10 MB gzipped (evidence is
trimmed before results are dropped).
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Sequence
from typing import Any

from xposture.advisories.match import Match, confidence_label
from xposture.model import Finding, Severity, Status
from xposture.reports.data import RuleInfo
from xposture.reports.sarif import sarif_log

MAX_GZIP_BYTES = 10 * 1024 * 1024
SEVERITY = {"critical": Severity.CRITICAL, "high": Severity.HIGH, "medium": Severity.MEDIUM, "low": Severity.LOW}


def match_severity(match: Match) -> Severity:
    return SEVERITY.get(match.severity, Severity.LOW)


def match_finding(match: Match, sbom_file: str, line: int | None) -> Finding:
    target = match.target
    label = f"{target.name}@{target.effective_version}" if target.effective_version else target.name
    evidence: dict[str, Any] = {
        "source.file": sbom_file,
        "component": label,
        "component.purl": target.purl or None,
        "installed_version": target.effective_version or None,
        "fixed_version": match.fixed or None,
        "match.method": match.method,
        "match.confidence": match.confidence,
        "match.confidence_label": confidence_label(match.confidence),
        "vuln.kev": bool(match.kev_date),
        "vex.status": match.vex_status or None,
        "vex.justification": match.vex_justification or None,
    }
    if line:
        evidence["source.line"] = line
    summary = str(match.vuln.get("summary") or "")
    return Finding(
        rule_id=match.vuln_id,
        rule_name=match.vuln_id,
        title=f"{match.vuln_id} in {label}" + (f": {summary}" if summary else ""),
        severity=match_severity(match),
        layer="supply_chain",
        asset_id=target.purl or target.ref,
        record_key=f"{target.ref}|{match.vuln_id}",
        record_type="vulnerability_match",
        evidence={k: v for k, v in evidence.items() if v is not None},
        remediation=f"Update {target.name} to {match.fixed} or later."
        if match.fixed
        else "No fixed version is known: apply the vendor's mitigations.",
        references=[str(r) for r in match.vuln.get("references", [])[:3]],
        status=Status.WAIVED if match.suppressed else Status.OPEN,
        pack="advisories",
    )


def advisory_rule(match: Match) -> RuleInfo:
    vuln = match.vuln
    return RuleInfo(
        id=match.vuln_id,
        name=match.vuln_id,
        title=f"{match.vuln_id}: {vuln.get('summary') or 'known vulnerability'}"[:200],
        level=match_severity(match),
        pack="advisories",
        path="",
        tags=[str(c) for c in vuln.get("cwes", [])] + [f"source:{vuln.get('source')}"],
        remediation=str(vuln.get("remediation") or "")
        or (f"Update to {match.fixed} or later." if match.fixed else "See the advisory."),
        description=str(vuln.get("summary") or match.vuln_id),
        references=[str(r) for r in vuln.get("references", [])[:3]],
    )


def sbom_sarif(items: Sequence[tuple[Match, str, int | None]]) -> dict[str, Any]:
    """SARIF log for (match, SBOM file, line) triples."""
    findings = [match_finding(m, f, line) for m, f, line in items]
    rules: dict[str, RuleInfo] = {}
    scores: dict[str, float] = {}
    for match, _, _ in items:
        rules.setdefault(match.vuln_id, advisory_rule(match))
        score = match.vuln.get("cvss_score")
        if isinstance(score, (int, float)):
            scores[match.vuln_id] = max(scores.get(match.vuln_id, 0.0), float(score))
    log = sarif_log(findings, rules.values(), tool_name="xposture-sbom")
    by_fingerprint = {f.fingerprint: f for f in findings}
    run = log["runs"][0]
    for rule in run["tool"]["driver"]["rules"]:
        if rule["id"] in scores:
            rule["properties"]["security-severity"] = f"{scores[rule['id']]:.1f}"
    for result in run["results"]:
        finding = by_fingerprint.get(result["partialFingerprints"]["xposture/v1"])
        purl = finding.evidence.get("component.purl") if finding else None
        if isinstance(purl, str) and purl:
            result["locations"][0]["logicalLocations"] = [{"fullyQualifiedName": purl, "kind": "module"}]
    return _fit(log)


def _fit(log: dict[str, Any]) -> dict[str, Any]:
    """Trim evidence, then drop lowest-severity results, until the gzipped log is under GitHub's 10 MB."""
    if len(gzip.compress(json.dumps(log).encode())) <= MAX_GZIP_BYTES:
        return log
    run = log["runs"][0]
    for result in run["results"]:
        result.get("properties", {}).pop("evidence", None)
    while run["results"] and len(gzip.compress(json.dumps(log).encode())) > MAX_GZIP_BYTES:
        keep = max(1, int(len(run["results"]) * 0.8))
        run.setdefault("properties", {})["truncated"] = True
        run["results"] = run["results"][:keep]
    return log
