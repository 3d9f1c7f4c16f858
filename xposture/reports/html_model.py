"""What the HTML report shows, computed from a ``ScanReport``: aggregates for the server-rendered
sections and one compact JSON payload for the rows the browser renders on demand.

The split matters at scale. Summaries, charts and compliance tables are small
whatever the scan size, so they are rendered here and print without
JavaScript. Findings, assets, coverage targets and the probe audit log grow
with the plant, so they go into the payload once, as arrays indexed into
string tables (rules, assets, evidence field lists), and the page renders only
the rows in view: 100k findings stay a few megabytes and open in a second.
"""

from __future__ import annotations

import functools
import json
import math
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from importlib.metadata import entry_points
from typing import Any
from urllib.parse import quote

import orjson

from xposture.model import Asset, Finding, Layer, Severity, Status
from xposture.reports import charts
from xposture.reports.data import RuleInfo, ScanReport
from xposture.reports.frameworks import FRAMEWORKS, control_label, control_sort_key, framework_of
from xposture.scanners.base import ENTRY_POINT_GROUP
from xposture.store import ScanInfo

SEVERITIES = [s.label for s in Severity]  # index = Severity value
SEVERITY_NAMES = [s.label.capitalize() for s in Severity]
LAYER_NAMES = {
    Layer.CLOUD.value: "Cloud",
    Layer.OT.value: "OT / edge",
    Layer.COMMS.value: "Comms links",
    Layer.SUPPLY_CHAIN.value: "Supply chain",
}
COVERAGE_STATES = ("ok", "partial", "failed", "timeout", "skipped")
STATUS_OPEN, STATUS_WAIVED, STATUS_FIXED = 0, 1, 2
SERVER_ROWS = 200
"""Tables longer than this (waivers) are rendered by the page, paged, instead of as static HTML:
a static table of thousands of rows costs seconds of layout before the page can respond."""
CHANGE_NONE, CHANGE_NEW, CHANGE_STILL = 0, 1, 2


@functools.cache
def _declared_layer(scanner: str) -> str:
    """The layer a scanner plugin declares, loading only that plugin (not every installed one)."""
    try:
        for ep in entry_points(group=ENTRY_POINT_GROUP, name=scanner):
            return str(getattr(ep.load(), "layer", ""))
    except Exception:  # a broken third-party plugin must not break the report
        return ""
    return ""


def scanner_layers(report: ScanReport) -> dict[str, str]:
    """Layer of each scanner in the coverage list, so coverage can say which layers were scanned at all.

    The scanner's own declaration wins; a scanner that declares none (the
    generic ``records`` loader) takes the layer of the assets it saw, if one.
    """
    seen: dict[str, set[str]] = defaultdict(set)
    for asset in report.assets:
        for scanner in asset.seen_by:
            if asset.layer:
                seen[scanner].add(asset.layer)
    out: dict[str, str] = {}
    for scanner in {c.scanner for c in report.coverage}:
        declared = _declared_layer(scanner)
        only = seen.get(scanner, set())
        out[scanner] = declared or (next(iter(only)) if len(only) == 1 else "")
    return out


def _zero() -> list[int]:
    return [0] * len(SEVERITIES)


class _Table:
    """Interns strings (or tuples) into a list so the payload stores each once."""

    def __init__(self) -> None:
        self.items: list[Any] = []
        self.index: dict[Any, int] = {}

    def add(self, item: Any) -> int:
        try:
            return self.index[item]
        except KeyError:
            found = self.index[item] = len(self.items)
            self.items.append(item)
            return found


@dataclass(slots=True)
class RuleRow:
    index: int
    info: RuleInfo
    open: list[int] = field(default_factory=_zero)
    waived: int = 0
    assets: set[str] = field(default_factory=set)

    @property
    def open_total(self) -> int:
        return sum(self.open)


@dataclass(slots=True)
class Control:
    tag: str
    label: str
    title: str
    rules: list[RuleRow] = field(default_factory=list)
    open: list[int] = field(default_factory=_zero)
    waived: int = 0

    @property
    def open_total(self) -> int:
        return sum(self.open)

    @property
    def worst(self) -> int:
        return max((i for i, n in enumerate(self.open) if n), default=-1)


@dataclass(slots=True)
class FrameworkView:
    prefix: str
    name: str
    about: str
    controls: list[Control]

    @property
    def failing(self) -> int:
        return sum(1 for c in self.controls if c.open_total)


@dataclass
class ReportView:
    """Everything the templates read; the ``payload`` string is embedded verbatim (already escaped)."""

    scan: ScanInfo
    generated: str
    duration: str
    sev_open: list[int]
    totals: dict[str, int]
    layers: list[dict[str, Any]]
    sites: list[dict[str, Any]]
    top_rules: list[RuleRow]
    rules: list[RuleRow]
    frameworks: list[FrameworkView]
    coverage_by_scanner: list[dict[str, Any]]
    coverage_totals: dict[str, int]
    coverage_problems: int
    waivers: list[dict[str, Any]]
    params: list[tuple[str, str]]
    records_by_type: list[tuple[str, int]]
    trend: charts.ColumnChart | None
    trend_rows: list[dict[str, Any]]
    comparison: dict[str, Any] | None
    layer_chart: charts.BarChart
    site_chart: charts.BarChart
    donut: list[charts.Arc]
    audit_count: int
    payload: str


def _json_for_script(data: Any) -> str:
    """JSON that cannot end its ``<script>`` element early nor open a comment in it.

    orjson because the payload of a 100k-finding scan is 15 MB; the standard
    library for what orjson refuses (integers past 64 bits), with non-finite
    floats written as text, since ``NaN`` is not JSON and would stop the page.
    """
    try:
        text = orjson.dumps(data, option=orjson.OPT_NON_STR_KEYS, default=str).decode("utf-8")
    except TypeError:
        text = json.dumps(_finite(data), separators=(",", ":"), ensure_ascii=False, default=str, allow_nan=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _finite(value: Any) -> Any:
    """Non-finite floats as text ("nan", "inf"): JSON has no such numbers and the page must always parse."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    return value


def _flatten_params(params: Mapping[str, Any], prefix: str = "") -> list[tuple[str, str]]:
    rows: list[tuple[str, str]] = []
    for key in sorted(params, key=str):
        value = params[key]
        name = f"{prefix}{key}"
        if isinstance(value, Mapping) and value:
            rows.extend(_flatten_params(value, name + "."))
        elif isinstance(value, str):
            rows.append((name, value))
        else:
            rows.append((name, json.dumps(value, ensure_ascii=False, default=str)))
    return rows


def _parse_time(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _duration(scan: ScanInfo) -> str:
    start, end = _parse_time(scan.started), _parse_time(scan.finished)
    if not start or not end:
        return ""
    seconds = int((end - start).total_seconds())
    if seconds < 60:
        return f"{seconds} s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {seconds} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min"


def _finding_count(summary: Mapping[str, Any]) -> int | None:
    """Findings of an earlier scan, from whichever summary keys the store wrote."""
    for key in ("findings", "open"):
        value = summary.get(key)
        if isinstance(value, int):
            return value
        if isinstance(value, Mapping):
            total = value.get("open", value.get("total"))
            if isinstance(total, int):
                return total
    by_sev = summary.get("by_severity")
    if isinstance(by_sev, Mapping):
        return sum(v for v in by_sev.values() if isinstance(v, int))
    return None


def _rule_from_finding(f: Finding) -> RuleInfo:
    return RuleInfo(
        id=f.rule_id,
        name=f.rule_name,
        title=f.title,
        level=f.severity,
        pack=f.pack,
        path="",
        tags=list(f.tags),
        fields=list(f.evidence),
        remediation=f.remediation,
        description=f.description,
        references=list(f.references),
    )


class _Builder:
    """Walks the report once, filling string tables, payload rows and aggregates together."""

    def __init__(self, report: ScanReport) -> None:
        self.report = report
        self.rules: dict[str, RuleRow] = {}
        for info in report.rules:
            self.rules.setdefault(info.id, RuleRow(len(self.rules), info))
        self.assets: dict[str, int] = {}
        self.asset_rows: list[list[Any]] = []
        self.asset_objs: dict[str, Asset] = {}
        for asset in report.assets:
            self._asset(asset.id, asset)
        self.layers = _Table()
        self.shapes = _Table()
        self.sources = _Table()

    def _asset(self, asset_id: str, asset: Asset | None = None) -> int:
        found = self.assets.get(asset_id)
        if found is not None:
            return found
        if asset is None:  # a finding on an asset the store did not list: show it, placed by its id if it can be
            kind, _, name = asset_id.partition(":")
            site = name.split("/", 1)[0] if kind == "ip" and "/" in name else ""  # ip:<site>/<addr>
            asset = Asset(id=asset_id, kind=kind, name=name, site=site)
        self.asset_objs[asset_id] = asset
        self.assets[asset_id] = len(self.asset_rows)
        self.asset_rows.append(
            [
                asset.id,
                asset.name,
                asset.kind,
                asset.site,
                asset.zone,
                asset.level,
                asset.layer,
                {k: str(v) for k, v in asset.identity.items()},
                list(asset.seen_by),
                {k: list(v) for k, v in asset.identifiers.items()},
            ]
        )
        return self.assets[asset_id]

    def _rule(self, f: Finding) -> RuleRow:
        row = self.rules.get(f.rule_id)
        if row is None:
            row = self.rules[f.rule_id] = RuleRow(len(self.rules), _rule_from_finding(f))
        return row

    def finding_row(self, f: Finding, status: int, change: int) -> list[Any]:
        """One finding as a payload row (the hot loop at 100k findings: plain dict lookups only)."""
        rule = self.rules.get(f.rule_id) or self._rule(f)
        asset = self.assets.get(f.asset_id)
        if asset is None:
            asset = self._asset(f.asset_id)
        evidence = f.evidence
        head, sep, tail = f.source.rpartition(" ")
        return [
            rule.index,
            asset,
            int(f.severity),
            self.layers.add(f.layer),
            status,
            change,
            f.record_key,
            self.shapes.add(tuple(evidence)),
            [v if type(v) is str or type(v) is int else _finite(v) for v in evidence.values()],
            f.fingerprint,
            # evidence pointers repeat but for their last part (``scanner=pcap file=x.pcap offset=N``):
            # the repeated head goes into a table once, only the tail stays per finding
            self.sources.add(head) if sep else -1,
            tail if sep else f.source,
        ]


def build_view(report: ScanReport, *, now: datetime | None = None) -> ReportView:
    """Compute the aggregates and the payload in one pass over the findings."""
    now = now or datetime.now(UTC)
    b = _Builder(report)
    comparison = report.comparison
    sev_open = _zero()
    waived = 0
    layer_counts: dict[str, list[int]] = defaultdict(_zero)
    site_counts: dict[str, list[int]] = defaultdict(_zero)
    zone_counts: dict[tuple[str, str], list[int]] = defaultdict(_zero)
    rows: list[list[Any]] = []
    by_fingerprint: dict[str, Finding] = {}
    new = still = 0
    for f in report.findings:
        by_fingerprint[f.fingerprint] = f
        change = CHANGE_NONE
        if comparison is not None:
            if f.fingerprint in comparison.new:
                change, new = CHANGE_NEW, new + 1
            elif f.fingerprint in comparison.still_open:
                change, still = CHANGE_STILL, still + 1
        status = STATUS_WAIVED if f.status == Status.WAIVED else STATUS_OPEN
        row = b.finding_row(f, status, change)
        rows.append(row)
        rule = b.rules[f.rule_id]
        if status == STATUS_WAIVED:
            waived += 1
            rule.waived += 1
            continue
        sev = int(f.severity)
        sev_open[sev] += 1
        rule.open[sev] += 1
        rule.assets.add(f.asset_id)
        layer_counts[f.layer][sev] += 1
        asset = b.asset_objs[f.asset_id]
        site_counts[asset.site][sev] += 1
        zone_counts[(asset.site, asset.zone)][sev] += 1
    # Assets of this scan end here; fixed findings may name assets that are gone, which get rows in the
    # table (so the fixed list can show them) but are not part of this scan's inventory.
    current_assets = list(b.asset_objs.values())
    fixed_rows = [b.finding_row(f, STATUS_FIXED, CHANGE_NONE) for f in comparison.fixed] if comparison else []

    rule_rows = sorted(b.rules.values(), key=lambda r: r.index)
    # Rows go out in display order (worst first, then rule title, then asset), so the page need not sort
    # 100k rows before it can show the first hundred.
    titles = [r.info.title.lower() for r in rule_rows]
    asset_ids = [row[0] for row in b.asset_rows]

    def display_order(row: list[Any]) -> tuple[int, str, str]:
        return (-row[2], titles[row[0]], asset_ids[row[1]])

    rows.sort(key=display_order)
    fixed_rows.sort(key=display_order)
    fired = [r for r in rule_rows if r.open_total]
    fired.sort(key=lambda r: (-max(i for i, n in enumerate(r.open) if n), -r.open_total, r.info.title))

    layer_of = scanner_layers(report)
    cov_layers = _coverage_layers(report, layer_of)
    layers_view = _layers(layer_counts, cov_layers, {a.layer for a in b.asset_objs.values() if a.layer})
    sites_view = _sites(current_assets, site_counts, zone_counts)
    trend, trend_rows = _trend(report, len(report.findings))
    frameworks = _frameworks(rule_rows)
    cov_by_scanner, cov_totals = _coverage(report, layer_of)
    waivers = _waivers(report, by_fingerprint, now.date())

    payload = {
        "v": 1,
        "sorted": True,
        "sev": SEVERITY_NAMES,
        "layers": b.layers.items,
        "layerNames": LAYER_NAMES,
        "rules": [
            [
                r.info.id,
                r.info.name,
                r.info.title,
                int(r.info.level),
                r.info.pack,
                r.info.tags,
                r.info.remediation,
                r.info.description,
                r.info.references,
            ]
            for r in rule_rows
        ],
        "assets": b.asset_rows,
        "nAssets": len(current_assets),
        "shapes": [list(s) for s in b.shapes.items],
        "sources": b.sources.items,
        "f": rows,
        "fixed": fixed_rows,
        "cov": [[c.scanner, c.target, c.status, c.detail, c.records, c.site] for c in report.coverage],
        "audit": [
            [a.get("time"), a.get("scanner", ""), a.get("target", ""), a.get("protocol", ""), a.get("sent", "")]
            for a in report.audit
        ],
        "fw": [[fw.prefix, fw.name] for fw in FRAMEWORKS],
        "waiverOf": {
            w["fingerprint"]: [w["reason"], w["owner"], w["expires"], w["expired"]] for w in waivers if w["finding"]
        },
        "waivers": (
            [
                [w["expired"], w["finding"], w["fingerprint"], w["reason"], w["owner"], w["expires"], w["created"]]
                for w in waivers
            ]
            if len(waivers) > SERVER_ROWS
            else []
        ),
        "cmp": {"previous": comparison.previous.id} if comparison else None,
    }
    totals = {
        "open": sum(sev_open),
        "waived": waived,
        "findings": len(report.findings),
        "assets": len(current_assets),
        "rules_fired": len(fired),
        "rules": len(rule_rows),
        "records": sum(report.records_by_type.values()),
        "new": new,
        "still_open": still,
        "fixed": len(fixed_rows),
        "expired_waivers": sum(1 for w in waivers if w["expired"]),
    }
    return ReportView(
        scan=report.scan,
        generated=now.strftime("%Y-%m-%d %H:%M UTC"),
        duration=_duration(report.scan),
        sev_open=sev_open,
        totals=totals,
        layers=layers_view,
        sites=sites_view,
        top_rules=fired[:10],
        rules=sorted(fired, key=lambda r: (-max(i for i, n in enumerate(r.open) if n), -r.open_total)),
        frameworks=frameworks,
        coverage_by_scanner=cov_by_scanner,
        coverage_totals=cov_totals,
        coverage_problems=sum(n for k, n in cov_totals.items() if k != "ok"),
        waivers=waivers,
        params=_flatten_params(report.scan.params),
        records_by_type=sorted(report.records_by_type.items(), key=lambda kv: (-kv[1], kv[0])),
        trend=trend,
        trend_rows=trend_rows,
        comparison=(
            {"previous": comparison.previous, "new": new, "fixed": len(fixed_rows), "still_open": still}
            if comparison
            else None
        ),
        layer_chart=charts.stacked_bars(
            [
                (v["label"], v["counts"], "" if v["scanned"] else "not scanned", f"#findings?layer={v['name']}")
                for v in layers_view
            ]
        ),
        site_chart=charts.stacked_bars(
            [
                (s["name"] or "(no site)", s["counts"], "", f"#findings?site={quote(s['name'])}" if s["name"] else "")
                for s in sites_view[:12]
            ]
        ),
        donut=charts.donut(sev_open),
        audit_count=len(report.audit),
        payload=_json_for_script(payload),
    )


def _coverage_layers(report: ScanReport, layers: Mapping[str, str]) -> dict[str, Counter[str]]:
    """Coverage statuses per layer, through each scanner's layer."""
    out: dict[str, Counter[str]] = defaultdict(Counter)
    for c in report.coverage:
        out[layers.get(c.scanner, "")][c.status] += 1
    return out


def _layers(
    counts: Mapping[str, list[int]], coverage: Mapping[str, Counter[str]], seen: set[str]
) -> list[dict[str, Any]]:
    """One row per layer; a layer nobody scanned says so instead of showing zero findings.

    A layer counts as scanned when a scanner of that layer reached a target, or
    when assets or findings of the layer exist (generic scanners such as
    ``records`` load data of any layer).
    """
    names = [layer.value for layer in Layer] + sorted(set(counts) - {layer.value for layer in Layer})
    view = []
    for name in names:
        cov = coverage.get(name, Counter())
        c = counts.get(name, _zero())
        scanned = bool(cov.get("ok") or cov.get("partial")) or sum(c) > 0 or name in seen
        state = "scanned" if scanned else ("failed" if cov else "not scanned")
        view.append(
            {
                "name": name,
                "label": LAYER_NAMES.get(name, name or "(unknown)"),
                "counts": c,
                "total": sum(c),
                "scanned": scanned,
                "state": state,
                "targets": sum(cov.values()),
                "problems": sum(n for k, n in cov.items() if k != "ok"),
            }
        )
    return view


def _sites(
    assets: Sequence[Asset], site_counts: Mapping[str, list[int]], zone_counts: Mapping[tuple[str, str], list[int]]
) -> list[dict[str, Any]]:
    assets_per: Counter[tuple[str, str]] = Counter()
    levels: dict[tuple[str, str], int | None] = {}
    for asset in assets:
        assets_per[(asset.site, asset.zone)] += 1
        if asset.level is not None:
            levels.setdefault((asset.site, asset.zone), asset.level)
    sites: dict[str, dict[str, Any]] = {}
    for site, zone in sorted(assets_per, key=lambda k: (k[0] == "", k[0], k[1] == "", k[1])):
        entry = sites.setdefault(
            site, {"name": site, "counts": site_counts.get(site, _zero()), "zones": [], "assets": 0}
        )
        entry["assets"] += assets_per[(site, zone)]
        entry["zones"].append(
            {
                "name": zone,
                "level": levels.get((site, zone)),
                "assets": assets_per[(site, zone)],
                "counts": zone_counts.get((site, zone), _zero()),
            }
        )
    return sorted(sites.values(), key=lambda s: (-sum(s["counts"][3:]), -sum(s["counts"]), s["name"]))


def _trend(report: ScanReport, current: int) -> tuple[charts.ColumnChart | None, list[dict[str, Any]]]:
    """Findings per scan for the last completed scans of the same inventory (oldest first), ending with this one."""
    rows: list[tuple[int, str, int, bool]] = []
    same = [s for s in report.history if s.inventory == report.scan.inventory and s.id != report.scan.id]
    for scan in sorted(same, key=lambda s: s.id)[-11:]:
        value = _finding_count(scan.summary)
        if scan.status == "complete" and value is not None:
            rows.append((scan.id, scan.started[:10], value, False))
    rows.append((report.scan.id, report.scan.started[:10], current, True))
    view = [{"id": i, "started": started, "open": n, "current": cur} for i, started, n, cur in rows]
    if len(rows) < 2:
        return None, view
    chart = charts.columns([(f"#{i}", n, cur) for i, _, n, cur in rows], width=1000, height=120)
    return chart, view


def _frameworks(rules: Sequence[RuleRow]) -> list[FrameworkView]:
    """Controls of each framework that loaded rules map to, with the open findings under them."""
    controls: dict[str, dict[str, Control]] = defaultdict(dict)
    for rule in rules:
        for tag in dict.fromkeys(t.lower() for t in rule.info.tags):
            fw = framework_of(tag)
            if fw is None:
                continue
            control = controls[fw.prefix].get(tag)
            if control is None:
                label, title = control_label(tag)
                control = controls[fw.prefix][tag] = Control(tag, label, title)
            control.rules.append(rule)
            control.waived += rule.waived
            for i, n in enumerate(rule.open):
                control.open[i] += n
    return [
        FrameworkView(
            fw.prefix,
            fw.name,
            fw.about,
            sorted(controls[fw.prefix].values(), key=lambda c: control_sort_key(c.tag)),
        )
        for fw in FRAMEWORKS
    ]


def _coverage(report: ScanReport, layers: Mapping[str, str]) -> tuple[list[dict[str, Any]], dict[str, int]]:
    per: dict[str, dict[str, Any]] = {}
    totals: Counter[str] = Counter()
    for c in report.coverage:
        row = per.setdefault(
            c.scanner,
            {"scanner": c.scanner, "layer": LAYER_NAMES.get(layers.get(c.scanner, ""), ""), "states": Counter()},
        )
        row["states"][c.status] += 1
        row["records"] = row.get("records", 0) + c.records
        totals[c.status] += 1
    rows = sorted(per.values(), key=lambda r: (-sum(n for k, n in r["states"].items() if k != "ok"), r["scanner"]))
    return rows, {
        state: totals.get(state, 0) for state in (*COVERAGE_STATES, *sorted(set(totals) - set(COVERAGE_STATES)))
    }


def _waivers(report: ScanReport, findings: Mapping[str, Finding], today: date) -> list[dict[str, Any]]:
    out = []
    for w in report.waivers:
        try:
            expired = date.fromisoformat(w.expires[:10]) < today
        except ValueError:
            expired = False
        f = findings.get(w.fingerprint)
        out.append(
            {
                "fingerprint": w.fingerprint,
                "reason": w.reason,
                "owner": w.owner,
                "expires": w.expires,
                "created": w.created,
                "expired": expired,
                "finding": f"{f.title} — {f.asset_id}" if f else "",
            }
        )
    out.sort(key=lambda w: (not w["expired"], w["expires"]))
    return out
