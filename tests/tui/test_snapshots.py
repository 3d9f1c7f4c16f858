"""Snapshot tests of the main screens at a fixed size (pytest-textual-snapshot).

Regenerate after an intended change with ``pytest tests/tui/test_snapshots.py --snapshot-update``
and review the SVGs in ``tests/tui/__snapshots__/`` before committing them.
"""

from __future__ import annotations

from typing import Any

from tests.tui.sample import sample_report
from xposture.tui import XpostureApp

SIZE = (120, 36)


def app(start: str) -> XpostureApp:
    return XpostureApp(sample_report(), None, start=start)


def test_findings_screen(snap_compare: Any) -> None:
    assert snap_compare(app("findings"), terminal_size=SIZE)


def test_findings_filtered(snap_compare: Any) -> None:
    assert snap_compare(app("findings"), press=["slash", *"sev:high+ layer:ot", "enter"], terminal_size=SIZE)


def test_dashboard_screen(snap_compare: Any) -> None:
    assert snap_compare(app("dashboard"), terminal_size=SIZE)


def test_detail_screen(snap_compare: Any) -> None:
    assert snap_compare(app("findings"), press=["down", "enter"], terminal_size=SIZE)


def test_assets_screen(snap_compare: Any) -> None:
    assert snap_compare(app("assets"), press=["down", "down", "down"], terminal_size=SIZE)


def test_rules_screen(snap_compare: Any) -> None:
    assert snap_compare(app("rules"), terminal_size=SIZE)
