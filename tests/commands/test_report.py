"""``xposture report`` and ``scan --format html`` end to end, over real scans stored by the real pipeline."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import DATA

PLANT = DATA / "core" / "plant"
RULES = DATA / "core" / "rules"
PAYLOAD = re.compile(r'<script type="application/json" id="xp-data">(.*?)</script>', re.S)

Cli = Callable[..., tuple[int, str, str]]


def scan(cli: Cli, *extra: str) -> None:
    code, _, err = cli("scan", str(PLANT), "--no-builtin-rules", "--rules", str(RULES), *extra)
    assert code == 0, err


def payload(html: str) -> dict[str, Any]:
    match = PAYLOAD.search(html)
    assert match, "no embedded data"
    data: dict[str, Any] = json.loads(match.group(1))
    return data


def test_report_html_of_latest_scan(cli: Cli, tmp_path: Path) -> None:
    scan(cli)
    scan(cli)
    out = tmp_path / "r" / "report.html"
    code, stdout, err = cli("report", "--html", str(out))
    assert code == 0, err
    assert stdout == ""
    assert f"wrote {out}" in err
    html = out.read_text(encoding="utf-8")
    assert "Scan <strong>#2</strong>" in html
    data = payload(html)
    assert len(data["f"]) == 2 and {r[1] for r in data["rules"]} >= {"demo.cleartext_modbus", "demo.ssh_open_to_world"}
    assert data["cmp"] == {"previous": 1}
    assert "Since scan #1" in html


def test_report_picks_scan_and_baseline(cli: Cli, tmp_path: Path) -> None:
    scan(cli)
    scan(cli)
    scan(cli)
    out = tmp_path / "r.html"
    assert cli("report", "--scan", "3", "--compare", "1", "--html", str(out))[0] == 0
    html = out.read_text(encoding="utf-8")
    assert "Scan <strong>#3</strong>" in html and "Since scan #1" in html


def test_report_defaults_to_html_on_stdout_and_other_formats_work(cli: Cli, tmp_path: Path) -> None:
    scan(cli)
    code, stdout, _ = cli("report")
    assert code == 0 and stdout.startswith("<!DOCTYPE html>")
    code, stdout, _ = cli("report", "--format", "json")
    assert code == 0 and json.loads(stdout)["scan"]["id"] == 1
    both = tmp_path / "both.html"
    code, stdout, _ = cli("report", "--format", "sarif", "--html", str(both))
    assert code == 0 and json.loads(stdout)["version"] == "2.1.0" and both.exists()


def test_scan_writes_html_through_the_format_registry(cli: Cli, tmp_path: Path) -> None:
    out = tmp_path / "scan.html"
    scan(cli, "--format", "html", "-o", str(out))
    data = payload(out.read_text(encoding="utf-8"))
    assert len(data["f"]) == 2


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["report", "--scan", "99", "--html", "x.html"], "no scan with id 99"),
        (["report", "--scan", "1", "--compare", "1"], "--compare must name another scan"),
    ],
)
def test_report_usage_errors_exit_2(cli: Cli, args: list[str], message: str) -> None:
    scan(cli)
    code, _, err = cli(*args)
    assert code == 2 and message in err


def test_report_without_any_scan_exits_2(cli: Cli) -> None:
    code, _, err = cli("report", "--html", "x.html")
    assert code == 2 and "no complete scan" in err


def test_report_severity_filter_applies_to_html(cli: Cli, tmp_path: Path) -> None:
    scan(cli)
    out = tmp_path / "crit.html"
    assert cli("report", "--severity", "critical", "--html", str(out))[0] == 0
    data = payload(out.read_text(encoding="utf-8"))
    assert len(data["f"]) == 1 and data["f"][0][2] == 4
