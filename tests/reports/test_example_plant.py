"""Acceptance: the report of ``examples/plant`` in Chromium shows findings from every layer that ran, with
charts, and prints to a readable PDF with ``chromium --headless --print-to-pdf``."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import REPO
from tests.peers.chromium import ARGS, ARTIFACTS, chromium_or_skip

EXAMPLE = REPO / "examples" / "plant"
PAYLOAD = re.compile(r'<script type="application/json" id="xp-data">(.*?)</script>', re.S)

pytestmark = [pytest.mark.peer, pytest.mark.slow]


@pytest.fixture(scope="module")
def plant_report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not any(EXAMPLE.rglob("*.yaml")):
        pytest.skip("examples/plant has no inventory yet (it grows as the layer scanners land)")
    work = tmp_path_factory.mktemp("plant")
    out = work / "plant.html"
    # --passive: the acceptance is about the report, and an example run must never probe a network
    from xposture.cli import main

    code = main(["--db", str(work / "x.db"), "scan", str(EXAMPLE), "--passive", "--format", "html", "-o", str(out)])
    assert code in (0, 1), f"scan exit {code}"
    return out


def test_every_layer_that_ran_shows_findings(open_report: Any, plant_report: Path) -> None:
    html = plant_report.read_text(encoding="utf-8")
    match = PAYLOAD.search(html)
    assert match
    data = json.loads(match.group(1))
    layers_with_findings = {data["layers"][f[3]] for f in data["f"]}
    ran = set(re.findall(r'<tr><th scope="row">([^<]+)</th><td><span class="cov cov-ok">', html))
    names = data["layerNames"]
    assert ran, "no layer ran"
    assert {names.get(layer, layer) for layer in layers_with_findings} >= ran
    loaded = open_report(plant_report)
    assert loaded.errors == [] and loaded.foreign_requests == []
    page = loaded.page
    assert page.locator("#summary svg.chart rect[class^='f']").count() > 0  # bars drawn
    assert page.locator("#summary .donut path").count() > 0
    shown = set(page.locator("#f-list tr.frow td:nth-child(4) .sub").all_inner_texts())
    assert shown, "no finding rows"
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "examples-plant.png"), full_page=True)


def test_prints_to_pdf_with_chromium_cli(plant_report: Path) -> None:
    chromium = chromium_or_skip()
    ARTIFACTS.mkdir(exist_ok=True)
    pdf = ARTIFACTS / "examples-plant.pdf"
    pdf.unlink(missing_ok=True)
    proc = subprocess.run(
        [chromium, "--headless", *ARGS, "--no-pdf-header-footer", f"--print-to-pdf={pdf}", plant_report.as_uri()],
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert pdf.exists(), proc.stderr
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF")
    assert len(re.findall(rb"/Type\s*/Page[^s]", data)) >= 7
