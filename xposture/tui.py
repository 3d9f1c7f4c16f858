"""Terminal UI (Textual): a first screen listing the latest scan's findings.

The full keyboard-first triage app grows from here (issue: Textual terminal UI).
"""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.widgets import Footer, Header, Static

from xposture.reports.data import ScanReport
from xposture.reports.text import terminal_safe


class XpostureApp(App[None]):
    """Shows one stored scan; strings from scanned data are shown as text, never markup."""

    TITLE = "xposture"
    BINDINGS = [("q", "quit", "Quit")]

    def __init__(self, report: ScanReport) -> None:
        super().__init__()
        self.report = report

    def compose(self) -> ComposeResult:
        yield Header()
        lines = [f"scan {self.report.scan.id}: {len(self.report.findings)} findings"]
        lines += [
            f"{f.severity.label.upper():<13} {f.layer:<12} {terminal_safe(f.asset_id, 60):<60} {terminal_safe(f.title, 80)}"
            for f in self.report.findings
        ]
        yield Static("\n".join(lines), markup=False, id="findings")
        yield Footer()
