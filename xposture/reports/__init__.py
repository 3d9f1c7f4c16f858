"""Report formats (stand-in until main's registry lands)."""

from __future__ import annotations

from collections.abc import Callable

from xposture.reports.data import ScanReport
from xposture.reports.html import render_html

FORMATS: dict[str, Callable[[ScanReport], str]] = {}
FORMATS["html"] = render_html
