"""The ``table`` output: findings as a Rich table for people at a terminal."""

from __future__ import annotations

import io
from collections.abc import Sequence

from rich.console import Console
from rich.table import Table
from rich.text import Text

from xposture.model import Finding, Severity
from xposture.reports.data import ScanReport
from xposture.reports.text import terminal_safe

STYLES = {
    Severity.CRITICAL: "bold white on red",
    Severity.HIGH: "bold red",
    Severity.MEDIUM: "yellow",
    Severity.LOW: "cyan",
    Severity.INFORMATIONAL: "dim",
}


def render_table(report: ScanReport) -> str:
    return findings_table(report.findings, f"xposture scan {report.scan.id}: {len(report.findings)} findings")


def findings_table(findings: Sequence[Finding], title: str) -> str:
    """Findings as a table; every cell built as ``Text`` so scanned strings are never markup."""
    table = Table(title=title, show_lines=False)
    for column in ("severity", "layer", "rule", "asset", "title", "status", "fingerprint"):
        table.add_column(column, overflow="fold")
    for finding in findings:
        table.add_row(
            Text(finding.severity.label.upper(), style=STYLES[finding.severity]),
            Text(finding.layer),
            Text(terminal_safe(finding.rule_name)),
            Text(terminal_safe(finding.asset_id, 80)),
            Text(terminal_safe(finding.title, 120)),
            Text(finding.status.value),
            Text(finding.fingerprint[:12]),
        )
    return plain_text(table)


def plain_text(renderable: object, width: int = 200) -> str:
    """Render to text without colour: the payload may be piped, diffed or stored."""
    buffer = io.StringIO()
    Console(file=buffer, width=width, color_system=None, no_color=True, highlight=False).print(renderable)
    return buffer.getvalue()
