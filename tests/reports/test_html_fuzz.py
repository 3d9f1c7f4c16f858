"""Property test: whatever text scanned devices and files carry, the report renders and never emits it as markup."""

from __future__ import annotations

import json
import math
import re
from dataclasses import replace

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.reports.factory import make_report
from xposture.model import Asset
from xposture.reports.html import render_html
from xposture.scanners.base import CoverageEntry

PAYLOAD = re.compile(r'<script type="application/json" id="xp-data">(.*?)</script>', re.S)
CODE = re.compile(r"<(script|style)\b[^>]*>.*?</\1>", re.S)
BASE = make_report(12, n_assets=6)
text = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=40)
value = st.one_of(text, st.integers(), st.floats(allow_nan=False), st.booleans(), st.none(), st.lists(text, max_size=3))


def shown(value: object) -> object:
    """What the payload holds for an evidence value: JSON as is, non-finite floats as text."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, list):
        return [shown(v) for v in value]
    return value


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(title=text, name=text, vendor=text, evidence=st.dictionaries(text, value, max_size=4), target=text, ref=text)
def test_any_text_renders_and_stays_data(
    title: str, name: str, vendor: str, evidence: dict[str, object], target: str, ref: str
) -> None:
    marker = "<i>x</i>"
    finding = replace(
        BASE.findings[0], title=title + marker, evidence=evidence, references=[ref], record_key=name + marker
    )
    asset = Asset(id=BASE.findings[0].asset_id, kind="ot_device", name=name + marker, identity={"vendor": vendor})
    rules = [replace(r, title=title + marker) for r in BASE.rules]
    report = replace(
        BASE,
        findings=[finding, *BASE.findings[1:]],
        assets=[asset, *BASE.assets[1:]],
        rules=rules,
        coverage=[CoverageEntry("snmp", target + marker, "failed", name, 0, vendor)],
    )
    html = render_html(report)
    data = json.loads(PAYLOAD.search(html).group(1))  # type: ignore[union-attr]
    (row,) = [r for r in data["f"] if r[6] == name + marker and r[9] == finding.fingerprint]
    assert row[8] == [shown(v) for v in evidence.values()]
    assert marker not in CODE.sub("", html)
