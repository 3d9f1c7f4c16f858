"""Fixtures for the report tests: a real headless Chromium (tests/peers/chromium.py) and rendered reports."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.peers.chromium import browser, open_report  # noqa: F401 - fixtures
from tests.reports.factory import make_report
from xposture.reports.html import render_html


@pytest.fixture(scope="session")
def report_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("html")


@pytest.fixture(scope="session")
def sample_html(report_dir: Path) -> Path:
    """A 600-finding report over a plant, a cloud account and firmware, compared with a previous scan."""
    path = report_dir / "sample.html"
    path.write_text(render_html(make_report(600)), encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def hostile_html(report_dir: Path) -> Path:
    path = report_dir / "hostile.html"
    path.write_text(render_html(make_report(200, hostile=True)), encoding="utf-8")
    return path
