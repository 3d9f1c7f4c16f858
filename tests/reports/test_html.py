"""The HTML report as a document: self-contained, escaped, complete; no browser needed here."""

from __future__ import annotations

import html as htmllib
import json
import re
from dataclasses import replace
from html.parser import HTMLParser

import pytest

from tests.reports.factory import HOSTILE, make_report
from xposture.model import Severity
from xposture.reports import FORMATS
from xposture.reports.charts import columns, donut, stacked_bars
from xposture.reports.frameworks import control_label, control_sort_key, framework_of, tag_label
from xposture.reports.html import render_html, safe_url
from xposture.reports.html_model import build_view
from xposture.scanners.base import CoverageEntry

PAYLOAD = re.compile(r'<script type="application/json" id="xp-data">(.*?)</script>', re.S)
CODE = re.compile(r"<(script|style)\b[^>]*>.*?</\1>", re.S)


ALLOWED_TAGS = {
    *[
        "html",
        "head",
        "meta",
        "title",
        "link",
        "style",
        "body",
        "svg",
        "symbol",
        "path",
        "rect",
        "circle",
        "use",
        "a",
        "header",
        "div",
        "span",
        "h1",
        "h2",
        "h3",
        "p",
        "strong",
    ],
    *[
        "button",
        "kbd",
        "nav",
        "ul",
        "li",
        "main",
        "section",
        "figure",
        "figcaption",
        "title",
        "text",
        "g",
        "table",
        "caption",
        "thead",
        "tbody",
        "tr",
        "th",
        "td",
    ],
    *[
        "small",
        "line",
        "label",
        "input",
        "select",
        "option",
        "noscript",
        "article",
        "dl",
        "dt",
        "dd",
        "script",
        "colgroup",
        "col",
        "br",
        "optgroup",
    ],
}


class _Elements(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found.append((tag, attrs))


def parse(html: str) -> list[tuple[str, list[tuple[str, str | None]]]]:
    parser = _Elements()
    parser.feed(html)
    return parser.found


def payload(html: str) -> dict:
    match = PAYLOAD.search(html)
    assert match
    return json.loads(match.group(1))


def test_registered_as_output_format() -> None:
    assert FORMATS["html"] is render_html


def test_self_contained_no_external_reference() -> None:
    html = render_html(make_report(50))
    assert html.startswith("<!DOCTYPE html>")
    markup = CODE.sub("", html)
    # nothing that would make a browser fetch: no src/srcset, no stylesheet links, no @import or url() to a host
    assert not re.search(r"\ssrc(set)?\s*=", markup)
    assert not re.search(r"<link[^>]+rel=.?stylesheet", markup)
    assert "@import" not in html
    assert not re.search(r"url\(\s*['\"]?(https?:)?//", html)
    assert "//fonts." not in html
    # the Content-Security-Policy forbids any fetch and pins our one style and one script by hash
    csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', html)
    assert csp
    policy = htmllib.unescape(csp.group(1))
    assert "default-src 'none'" in policy
    assert re.search(r"script-src 'sha256-[A-Za-z0-9+/=]+'", policy)
    assert "unsafe-inline" not in policy


def test_data_embedded_once_as_json_that_cannot_close_its_script() -> None:
    report = make_report(120, hostile=True)
    html = render_html(report)
    assert html.count('id="xp-data"') == 1
    raw = PAYLOAD.search(html).group(1)
    assert "<" not in raw and ">" not in raw and "&" not in raw
    data = json.loads(raw)
    assert len(data["f"]) == 120
    assert len(data["fixed"]) == len(report.comparison.fixed)
    # every finding points at a real rule, asset and evidence shape
    for row in data["f"]:
        assert 0 <= row[0] < len(data["rules"]) and 0 <= row[1] < len(data["assets"])
        assert len(data["shapes"][row[7]]) == len(row[8])


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_strings_never_reach_markup_raw(text: str) -> None:
    html = render_html(make_report(60, hostile=True))
    markup = CODE.sub("", html)
    if any(c in text for c in "<>\"'&"):
        assert text not in markup, f"unescaped: {text!r}"
    # parsed as a browser would: no element carries an event handler, no link runs script, no stray element
    elements = parse(html)
    assert not [(tag, name) for tag, attrs in elements for name, _ in attrs if name.startswith("on")]
    assert not [
        v for _, attrs in elements for name, v in attrs if name == "href" and "javascript:" in (v or "").lower()
    ]
    assert {tag for tag, _ in elements} <= ALLOWED_TAGS


def test_hostile_values_appear_escaped_where_shown() -> None:
    html = render_html(make_report(60, hostile=True))
    assert "&lt;script&gt;window.__pwned=1&lt;/script&gt;" in html  # rule titles, server-rendered
    assert "&lt;/style&gt;&lt;img src=x onerror=window.__pwned=1&gt;" in html
    assert "Security group opens an ICS port to the internet {{ 7*7 }}" in html  # data, never a template


def test_safe_url_admits_http_only() -> None:
    assert safe_url("https://example.org/a?b=1") == "https://example.org/a?b=1"
    assert safe_url(" HTTP://x.test ") == "HTTP://x.test"
    for bad in (
        "javascript:alert(1)",
        "JaVaScRiPt:alert(1)",
        "data:text/html,x",
        "vbscript:x",
        "//x.test",
        "file:///etc",
    ):
        assert safe_url(bad) == ""


def test_summary_counts_match_findings() -> None:
    report = make_report(300)
    view = build_view(report)
    open_ = [f for f in report.findings if f.status.value == "open"]
    assert view.totals["open"] == len(open_)
    assert view.totals["waived"] == len(report.findings) - len(open_)
    for sev in Severity:
        assert view.sev_open[sev] == sum(1 for f in open_ if f.severity == sev)
    assert sum(layer["total"] for layer in view.layers) == len(open_)
    assert view.totals["new"] == len(report.comparison.new)
    assert view.totals["fixed"] == len(report.comparison.fixed)
    assert view.top_rules[0].info.level == Severity.CRITICAL


def test_layer_without_coverage_says_not_scanned() -> None:
    report = make_report(40)
    report = replace(
        report,
        findings=[f for f in report.findings if f.layer != "cloud"],
        assets=[a for a in report.assets if a.layer != "cloud"],
    )
    view = build_view(report)
    cloud = next(layer for layer in view.layers if layer["name"] == "cloud")
    assert cloud["state"] == "not scanned" and not cloud["scanned"]
    html = render_html(report)
    assert "not scanned" in html


def test_failed_scan_and_coverage_problems_are_announced() -> None:
    report = make_report(10)
    report = replace(report, scan=replace(report.scan, status="failed"))
    html = render_html(report)
    assert "This scan did not complete (status: failed)" in html
    assert "were not fully scanned" in html


def test_empty_scan_renders() -> None:
    report = replace(
        make_report(0, n_assets=0, compare=False), coverage=[], audit=[], waivers=[], history=[], records_by_type={}
    )
    html = render_html(report)
    assert "No scanner reported coverage. Nothing was scanned." in html
    assert "No active probe was sent during this scan." in html
    assert payload(html)["f"] == []


def test_compliance_views_group_by_framework() -> None:
    view = build_view(make_report(200))
    by = {fw.prefix: fw for fw in view.frameworks}
    assert set(by) >= {"iec62443", "nist_csf", "attack", "cis_aws", "slsa"}
    labels = [c.label for c in by["iec62443"].controls]
    assert "SR 4.1" in labels and "SR 5.1" in labels
    assert labels == sorted(labels, key=lambda x: [int(p) for p in x.split()[1].split(".")])
    sr41 = next(c for c in by["iec62443"].controls if c.label == "SR 4.1")
    assert sr41.title == "Information confidentiality" and sr41.open_total > 0
    assert {c.label for c in by["slsa"].controls} == {"Build L2"}


def test_waivers_appendix_marks_expired() -> None:
    view = build_view(make_report(200))
    assert view.waivers and any(w["expired"] for w in view.waivers) and any(not w["expired"] for w in view.waivers)
    assert view.waivers[0]["expired"]  # expired ones first: they need action
    assert all(w["finding"] for w in view.waivers)


def test_scan_parameters_and_audit_listed() -> None:
    html = render_html(make_report(20))
    assert "fail_on" in html and "Records collected by type" in html
    assert len(payload(html)["audit"]) == 60


@pytest.mark.parametrize(
    ("tag", "label", "title"),
    [
        ("iec62443.sr_1_10", "SR 1.10", "Authenticator feedback"),
        ("iec62443.cr_3_4", "CR 3.4", "Software and information integrity"),
        ("iec62443.sr_5_1_1", "SR 5.1 RE(1)", "Network segmentation"),
        ("nist_csf.pr_ds_02", "PR.DS-02", "Data Security"),
        ("attack.t0885", "T0885", "Commonly Used Port"),
        ("cis_aws.1_4", "1.4", ""),
        ("slsa.build_l3", "Build L3", ""),
        ("semi_e187.logging", "logging", ""),
    ],
)
def test_control_labels(tag: str, label: str, title: str) -> None:
    assert control_label(tag) == (label, title)
    assert framework_of(tag) is not None


def test_tag_labels_for_people() -> None:
    assert tag_label("iec62443.sr_4_1") == "IEC 62443 SR 4.1"
    assert tag_label("nist_csf.pr_ds_02") == "CSF PR.DS-02"
    assert tag_label("attack.t0885") == "ATT&CK T0885"
    assert tag_label("cwe.79") == "cwe.79"
    assert "ATT&amp;CK T0885" in render_html(make_report(30))


def test_control_order_is_numeric() -> None:
    tags = ["iec62443.sr_1_10", "iec62443.sr_1_2", "iec62443.sr_1_9"]
    assert sorted(tags, key=control_sort_key) == ["iec62443.sr_1_2", "iec62443.sr_1_9", "iec62443.sr_1_10"]
    assert framework_of("cwe.79") is None


def test_chart_geometry() -> None:
    chart = stacked_bars([("a", [1, 0, 0, 2, 1], "", ""), ("b", [0, 0, 0, 0, 0], "not scanned", "")])
    first = chart.bars[0]
    assert [s.severity for s in first.segments] == [4, 3, 0]  # critical first
    assert chart.bars[1].segments == [] and chart.bars[1].note == "not scanned"
    assert abs(sum(s.width for s in first.segments) - chart.plot_width) < 3
    assert len(donut([0, 0, 0, 0, 5])) == 1 and donut([0] * 5) == []
    cols = columns([("#1", 10, False), ("#2", 5, True)], width=200, height=100)
    assert cols.columns[0].height > cols.columns[1].height and cols.columns[1].current


def test_coverage_states_and_unknown_scanner_status() -> None:
    report = make_report(10)
    report.coverage.append(CoverageEntry("weird", "t<1>", "exploded", "x", 0, ""))
    view = build_view(report)
    assert view.coverage_totals["exploded"] == 1
    assert "t<1>" not in render_html(report)


def test_assets_only_named_by_fixed_findings_are_not_in_this_scans_inventory() -> None:
    report = make_report(50)
    gone = replace(report.comparison.fixed[0], asset_id="ip:fab9/10.99.0.1", fingerprint="")
    report = replace(report, comparison=replace(report.comparison, fixed=[*report.comparison.fixed, gone]))
    view = build_view(report)
    data = payload(render_html(report))
    assert view.totals["assets"] == len(report.assets) == data["nAssets"]
    assert data["assets"][-1][0] == "ip:fab9/10.99.0.1"
    assert all(s["name"] != "fab9" for s in view.sites)


def test_payload_survives_values_json_cannot_hold() -> None:
    report = make_report(5)
    odd = replace(report.findings[0], evidence={"a.float": float("nan"), "b.inf": float("inf")})
    html = render_html(replace(report, findings=[odd, *report.findings[1:]]))
    assert "NaN" not in PAYLOAD.search(html).group(1)
    payload(html)  # valid JSON for JSON.parse
    huge = replace(report.findings[0], evidence={"asset.serial_raw": 2**70, "x.nan": float("nan")})
    data = payload(render_html(replace(report, findings=[huge, *report.findings[1:]])))
    row = next(r for r in data["f"] if r[9] == huge.fingerprint)
    assert row[8] == [2**70, "nan"]
