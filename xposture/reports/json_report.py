"""The JSON output: a documented, versioned document (``docs/output-json.md``)."""

from __future__ import annotations

import json
from typing import Any

from xposture.reports.data import ScanReport
from xposture.store import severity_counts

SCHEMA_ID = "xposture.scan/1"


def report_document(report: ScanReport) -> dict[str, Any]:
    """The JSON document as a dict, for faces that embed it (HTML) or post-process it."""
    comparison = report.comparison
    findings = []
    for finding in report.findings:
        item = finding.to_dict()
        if comparison is not None:
            item["trend"] = "new" if finding.fingerprint in comparison.new else "still_open"
        findings.append(item)
    return {
        "schema": SCHEMA_ID,
        "scan": report.scan.to_dict(),
        "summary": {
            "findings": len(report.findings),
            "open": len(report.open_findings()),
            "by_severity": severity_counts(report.open_findings()),
            "records": report.records_by_type,
        },
        "findings": findings,
        "fixed": [f.to_dict() for f in comparison.fixed] if comparison else [],
        "compared_with": comparison.previous.id if comparison else None,
        "assets": [a.to_dict() for a in report.assets],
        "coverage": [c.to_dict() for c in report.coverage],
        "waivers": [w.to_dict() for w in report.waivers],
        "audit": report.audit,
    }


def render_json(report: ScanReport) -> str:
    return json.dumps(report_document(report), indent=2, sort_keys=False) + "\n"
