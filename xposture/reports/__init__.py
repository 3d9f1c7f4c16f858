"""Faces that turn a stored scan into documents: table, JSON, SARIF, HTML."""

from collections.abc import Callable

from xposture.reports.data import ScanReport
from xposture.reports.html import render_html
from xposture.reports.json_report import render_json
from xposture.reports.sarif import render_sarif
from xposture.reports.table import render_table

FORMATS: dict[str, Callable[[ScanReport], str]] = {
    "table": render_table,
    "json": render_json,
    "sarif": render_sarif,
    "html": render_html,
}
"""Output formats by name; a face registers itself here (``--format NAME``)."""

__all__ = ["FORMATS", "ScanReport"]
