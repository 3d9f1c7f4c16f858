"""SARIF 2.1.0 output, shaped for code-scanning dashboards (GitHub accepts <= 25k results).

Findings on things that are not files (a PLC, an S3 bucket) get a stable
pseudo-URI ``xposture://asset/<asset id>`` so dashboards can still group and
track them; findings whose evidence names a file point at that file.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any
from urllib.parse import quote

from xposture import __version__
from xposture.model import Finding, Severity
from xposture.reports.data import RuleInfo, ScanReport

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
MAX_RESULTS = 25_000
LEVELS = {
    Severity.CRITICAL: "error",
    Severity.HIGH: "error",
    Severity.MEDIUM: "warning",
    Severity.LOW: "note",
    Severity.INFORMATIONAL: "note",
}
# GitHub reads ``security-severity`` (0-10) to rank security alerts.
SECURITY_SEVERITY = {
    Severity.CRITICAL: "9.5",
    Severity.HIGH: "8.0",
    Severity.MEDIUM: "5.5",
    Severity.LOW: "3.0",
    Severity.INFORMATIONAL: "0.0",
}


def asset_uri(asset_id: str) -> str:
    """Stable pseudo-URI for a non-file asset."""
    return "xposture://asset/" + quote(asset_id, safe="")


def location(finding: Finding) -> dict[str, Any]:
    """Physical location when the evidence names a file, else the asset's pseudo-URI."""
    file = finding.evidence.get("source.file")
    if isinstance(file, str) and file:
        physical: dict[str, Any] = {"artifactLocation": {"uri": quote(file.lstrip("/"), safe="/")}}
        line = finding.evidence.get("source.line")
        if isinstance(line, int) and line > 0:
            physical["region"] = {"startLine": line}
        return {
            "physicalLocation": physical,
            "logicalLocations": [{"fullyQualifiedName": finding.asset_id, "kind": "resource"}],
        }
    return {
        "physicalLocation": {"artifactLocation": {"uri": asset_uri(finding.asset_id)}},
        "logicalLocations": [{"fullyQualifiedName": finding.asset_id, "kind": "resource"}],
    }


def sarif_rule(rule_id: str, info: RuleInfo | None, sample: Finding) -> dict[str, Any]:
    title = info.title if info else sample.title
    severity = info.level if info else sample.severity
    tags = info.tags if info else sample.tags
    rule: dict[str, Any] = {
        "id": rule_id,
        "name": (info.name if info else sample.rule_name) or rule_id,
        "shortDescription": {"text": title},
        "fullDescription": {"text": (info.description if info else sample.description) or title},
        "help": {"text": (info.remediation if info else sample.remediation) or "See the rule description."},
        "defaultConfiguration": {"level": LEVELS[severity]},
        "properties": {"tags": ["security", *tags], "security-severity": SECURITY_SEVERITY[severity]},
    }
    references = info.references if info else sample.references
    if references:
        rule["helpUri"] = references[0]
    return rule


def sarif_log(
    findings: Sequence[Finding], rules: Iterable[RuleInfo] = (), *, tool_name: str = "xposture"
) -> dict[str, Any]:
    """A SARIF log with one run; results beyond GitHub's limit are dropped lowest severity first."""
    infos = {r.id: r for r in rules}
    ranked = sorted(findings, key=lambda f: (-int(f.severity), f.fingerprint))
    kept = ranked[:MAX_RESULTS]
    rule_ids: list[str] = []
    samples: dict[str, Finding] = {}
    for finding in kept:
        if finding.rule_id not in samples:
            samples[finding.rule_id] = finding
            rule_ids.append(finding.rule_id)
    index = {rule_id: i for i, rule_id in enumerate(rule_ids)}
    results = []
    for finding in kept:
        result: dict[str, Any] = {
            "ruleId": finding.rule_id,
            "ruleIndex": index[finding.rule_id],
            "level": LEVELS[finding.severity],
            "message": {"text": _message(finding)},
            "locations": [location(finding)],
            "partialFingerprints": {"xposture/v1": finding.fingerprint},
            "properties": {
                "severity": finding.severity.label,
                "layer": finding.layer,
                "asset": finding.asset_id,
                "status": finding.status.value,
                "evidence": finding.evidence,
            },
        }
        if finding.status.value == "waived":
            result["suppressions"] = [{"kind": "external", "status": "accepted"}]
        results.append(result)
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": tool_name,
                "version": __version__,
                "rules": [sarif_rule(rid, infos.get(rid), samples[rid]) for rid in rule_ids],
            }
        },
        "results": results,
        "columnKind": "unicodeCodePoints",
    }
    if len(ranked) > MAX_RESULTS:
        run["properties"] = {"truncated": True, "total_results": len(ranked)}
    return {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}


def _message(finding: Finding) -> str:
    shown = ", ".join(f"{k}={v}" for k, v in finding.evidence.items() if not k.startswith("source."))
    return f"{finding.title} on {finding.asset_id}" + (f" ({shown})" if shown else "")


def render_sarif(report: ScanReport) -> str:
    return json.dumps(sarif_log(report.findings, report.rules), indent=2) + "\n"
