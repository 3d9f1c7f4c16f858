"""The app's screens: dashboard, findings, detail, assets, rules, scans (and diff), help.

Every string that came from scanned data is shown through ``terminal_safe``
inside ``rich.text.Text`` or with markup off: a sysDescr holding escape
sequences or ``[bold]`` must show as the characters it is.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import DataTable, Footer, Header, Input, Sparkline, Static, Tree

from xposture.model import Finding, Layer, Severity
from xposture.reports.data import ScanReport, compare_with_stored
from xposture.reports.text import terminal_safe
from xposture.tui.findings_list import BADGES, FindingsList, header_line
from xposture.tui.query import FindingIndex, parse_query

if TYPE_CHECKING:
    from xposture.tui.app import XpostureApp

SEVERITIES = sorted(Severity, reverse=True)
LAYERS = [layer.value for layer in Layer]


def safe(value: object, limit: int = 400) -> Text:
    return Text(terminal_safe(value, limit))


class AppScreen(Screen[None]):
    """A screen that shows the app's current report and redraws when it changes."""

    @property
    def xapp(self) -> XpostureApp:
        return self.app  # type: ignore[return-value]

    @property
    def report(self) -> ScanReport:
        return self.xapp.report

    def reload(self) -> None:
        """Redraw from ``self.report``; called after a scan, a waiver or a scan switch."""


class DashboardScreen(AppScreen):
    """Where the scan stands: severity by layer, by site/zone, trend, coverage gaps."""

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="dashboard"):
            yield Static(id="dash-summary")
            with Horizontal(id="dash-row"):
                yield Static(id="dash-matrix", classes="panel")
                yield Static(id="dash-sites", classes="panel")
            yield Static("Open findings over past scans", classes="panel-title")
            yield Sparkline([], id="dash-trend")
            yield Static(id="dash-trend-text")
            yield Static(id="dash-coverage", classes="panel")
        yield Footer()

    def on_mount(self) -> None:
        self.reload()

    def reload(self) -> None:
        report = self.report
        open_findings = report.open_findings()
        scan = report.scan
        summary = Text.assemble(
            (f"Scan {scan.id}", "bold"),
            f"  {scan.started}  ",
            safe(scan.inventory, 120),
            f"\n{scan.summary.get('records', 0)} records · {len(report.assets)} assets · "
            f"{len(report.findings)} findings ({len(open_findings)} open, {len(report.findings) - len(open_findings)} waived)",
        )
        if report.comparison is not None:
            comparison = report.comparison
            summary.append(
                f"\nvs scan {comparison.previous.id}: {len(comparison.new)} new · {len(comparison.fixed)} fixed · "
                f"{len(comparison.still_open)} still open"
            )
        self.query_one("#dash-summary", Static).update(summary)
        self.query_one("#dash-matrix", Static).update(self._matrix(open_findings))
        self.query_one("#dash-sites", Static).update(self._sites(open_findings))
        history = [*reversed(report.history), scan]
        totals = [sum(s.summary.get("by_severity", {}).values()) for s in history if s.status == "complete"]
        self.query_one("#dash-trend", Sparkline).data = totals or [0]
        self.query_one("#dash-trend-text", Static).update(
            Text(" → ".join(str(t) for t in totals[-12:]) + f"  (last {min(12, len(totals))} scans)")
        )
        self.query_one("#dash-coverage", Static).update(self._coverage())

    def _matrix(self, findings: list[Finding]) -> Table:
        counts = Counter((f.severity, f.layer) for f in findings)
        table = Table(title="Open findings: severity by layer", expand=True)
        table.add_column("severity")
        for layer in LAYERS:
            table.add_column(layer, justify="right")
        for severity in SEVERITIES:
            badge, style = BADGES[severity]
            table.add_row(Text(badge, style=style), *(str(counts.get((severity, layer), 0)) for layer in LAYERS))
        return table

    def _sites(self, findings: list[Finding]) -> Table:
        place = {a.id: (a.site or "(no site)", a.zone or "(no zone)") for a in self.report.assets}
        counts = Counter(place.get(f.asset_id, ("(no site)", "(no zone)")) for f in findings)
        table = Table(title="Open findings by site / zone", expand=True)
        table.add_column("site")
        table.add_column("zone")
        table.add_column("findings", justify="right")
        for (site, zone), count in sorted(counts.items(), key=lambda item: -item[1])[:15]:
            table.add_row(safe(site, 40), safe(zone, 40), str(count))
        return table

    def _coverage(self) -> Table:
        table = Table(title="Coverage: what was not scanned is not clean", expand=True)
        for column in ("scanner", "target", "status", "detail"):
            table.add_column(column)
        problems = [c for c in self.report.coverage if c.status != "ok"]
        for entry in problems[:30]:
            table.add_row(
                safe(entry.scanner), safe(entry.target, 60), Text(entry.status, style="bold"), safe(entry.detail, 120)
            )
        if not problems:
            table.add_row("all sources", "", Text("ok"), f"{len(self.report.coverage)} targets scanned")
        return table


class FindingsScreen(AppScreen):
    """The triage list: filter, sort, mark, waive, export, open."""

    BINDINGS = [
        Binding("/", "filter", "Filter", id="findings.filter"),
        Binding("s", "cycle_severity", "Min severity", id="findings.severity"),
        Binding("l", "cycle_layer", "Layer", id="findings.layer"),
        Binding("t", "cycle_status", "Status", id="findings.status", show=False),
        Binding("o", "cycle_sort", "Sort", id="findings.sort", show=False),
        Binding("w", "waive", "Waive", id="findings.waive"),
        Binding("u", "unwaive", "Unwaive", id="findings.unwaive", show=False),
        Binding("x", "export", "Export", id="findings.export"),
        Binding("escape", "clear", "Clear filter", id="findings.clear", show=False),
    ]
    STATUSES = ["open", "waived", ""]
    SORT_ORDER = ["severity", "asset", "rule", "layer"]

    def __init__(self) -> None:
        super().__init__()
        self.index: FindingIndex | None = None
        self.query_text = ""
        self.min_severity: Severity | None = None
        self.layer_filter = ""
        self.status = "open"
        self.sort = "severity"

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical():
            yield Input(
                placeholder="filter: sev:high+ layer:ot site:fab1 zone:cell-a tag:iec62443 rule:ot. status:open words…",
                id="filter",
            )
            yield Static(id="findings-header")
            yield FindingsList(id="findings")
            yield Static(id="findings-status")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#filter", Input).display = False
        self.reload()
        self.query_one(FindingsList).focus()

    def _warm(self) -> None:
        if self.index is not None:
            self.run_worker(self.index.warm, thread=True, exclusive=True, group="warm")

    def on_resize(self) -> None:
        self.query_one("#findings-header", Static).update(Text(header_line(self.size.width), style="bold"))

    def reload(self) -> None:
        self.index = FindingIndex(self.report.findings, self.report.assets)
        self.apply()
        # Filter columns build in a thread shortly after the list is up: the first search is then as quick as the rest.
        self.set_timer(0.5, self._warm)

    def apply(self) -> None:
        """Re-run the filter over the index and show the rows (the 150 ms path)."""
        assert self.index is not None
        query = parse_query(self.query_text)
        rows = self.index.select(
            query, status=self.status, layer=self.layer_filter, min_severity=self.min_severity, sort=self.sort
        )
        listing = self.query_one(FindingsList)
        listing.set_rows(rows)
        total = f"{len(self.index.findings):,}"
        if not self.report.complete:
            total = f"the {total} most severe of {self.report.scan.summary.get('findings', '?')} (loading the rest)"
        parts = [
            f"{len(rows):,} of {total} findings",
            f"status={self.status or 'all'}",
            f"sort={self.sort}",
        ]
        if self.min_severity is not None:
            parts.append(f"severity≥{self.min_severity.label}")
        if self.layer_filter:
            parts.append(f"layer={self.layer_filter}")
        if self.query_text:
            parts.append(f"filter: {self.query_text}")
        if listing.marked:
            parts.append(f"{len(listing.marked)} marked")
        status = Text(" · ".join(parts))
        if query.errors:
            status.append("  ⚠ " + "; ".join(query.errors), style="bold red")
        self.query_one("#findings-status", Static).update(status)

    # -- filter input ------------------------------------------------------------
    def action_filter(self) -> None:
        box = self.query_one("#filter", Input)
        box.display = True
        box.value = self.query_text
        box.focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id == "filter":
            self.query_text = event.value.strip()
            self.apply()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "filter":
            self.query_one(FindingsList).focus()

    def action_clear(self) -> None:
        box = self.query_one("#filter", Input)
        listing = self.query_one(FindingsList)
        if box.has_focus or self.query_text:
            box.value = ""
            box.display = False
            self.query_text = ""
            listing.focus()
            self.apply()
        elif listing.marked:
            listing.marked.clear()
            self.apply()
        else:
            self.xapp.action_home()

    # -- quick filters -------------------------------------------------------------
    def action_cycle_severity(self) -> None:
        order: list[Severity | None] = [None, *SEVERITIES]
        self.min_severity = order[(order.index(self.min_severity) + 1) % len(order)]
        self.apply()

    def action_cycle_layer(self) -> None:
        order = ["", *LAYERS]
        self.layer_filter = order[(order.index(self.layer_filter) + 1) % len(order)]
        self.apply()

    def action_cycle_status(self) -> None:
        self.status = self.STATUSES[(self.STATUSES.index(self.status) + 1) % len(self.STATUSES)]
        self.apply()

    def action_cycle_sort(self) -> None:
        self.sort = self.SORT_ORDER[(self.SORT_ORDER.index(self.sort) + 1) % len(self.SORT_ORDER)]
        self.apply()

    # -- actions -------------------------------------------------------------------
    def shown_findings(self) -> list[Finding]:
        return self.query_one(FindingsList).rows

    def action_waive(self) -> None:
        self.xapp.waive(self.query_one(FindingsList).selection())

    def action_unwaive(self) -> None:
        self.xapp.unwaive(self.query_one(FindingsList).selection())

    def action_export(self) -> None:
        self.xapp.export(self.shown_findings())

    def on_findings_list_opened(self, message: FindingsList.Opened) -> None:
        self.xapp.push_screen(DetailScreen(message.finding))


class DetailScreen(AppScreen):
    """One finding in full: evidence, where it came from, how to fix it, its history."""

    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back", id="detail.back"),
        Binding("w", "waive", "Waive", id="detail.waive"),
    ]

    def __init__(self, finding: Finding) -> None:
        super().__init__()
        self.finding = finding

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="detail"):
            yield Static(self._body(), id="detail-body")
        yield Footer()

    def _body(self) -> Table:
        f = self.finding
        badge, style = BADGES[f.severity]
        table = Table.grid(padding=(0, 2))
        table.add_column(style="bold", no_wrap=True)
        table.add_column()
        table.add_row("Finding", safe(f.title))
        table.add_row("Severity", Text(badge, style=style))
        table.add_row("Status", Text(f.status.value))
        table.add_row("Rule", safe(f"{f.rule_name} ({f.rule_id}) pack {f.pack}"))
        table.add_row("Asset", safe(f.asset_id))
        table.add_row("Layer", Text(f.layer))
        table.add_row("Fingerprint", Text(f.fingerprint))
        table.add_row("Description", safe(f.description or "-", 2000))
        evidence = Table(show_header=True, box=None)
        evidence.add_column("field", style="cyan")
        evidence.add_column("value")
        for name, value in f.evidence.items():
            evidence.add_row(safe(name), safe(value, 1000))
        table.add_row("Evidence", evidence)
        table.add_row("Source", safe(f.source or "-"))
        table.add_row("Remediation", safe(f.remediation or "-", 2000))
        table.add_row("References", safe("\n".join(f.references) or "-", 2000))
        table.add_row("Frameworks", safe(", ".join(f.tags) or "-"))
        table.add_row("History", Text(self._history()))
        return table

    def _history(self) -> str:
        store = self.xapp.store
        seen = store.first_seen(self.finding.fingerprint) if store is not None else None
        if seen is None:
            return "-"
        first, count = seen
        return f"first seen in scan {first}; present in {count} scan(s)"

    def action_waive(self) -> None:
        self.xapp.waive([self.finding])


class AssetsScreen(AppScreen):
    """Site → zone → asset, with identity and each asset's findings."""

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal():
            yield Tree("assets", id="asset-tree")
            with VerticalScroll(id="asset-detail"):
                yield Static(id="asset-info")
        yield Footer()

    def on_mount(self) -> None:
        self.reload()

    def reload(self) -> None:
        tree: Tree[str] = self.query_one("#asset-tree", Tree)
        tree.clear()
        tree.root.expand()
        per_asset = Counter(f.asset_id for f in self.report.open_findings())
        grouped: dict[str, dict[str, list[Any]]] = {}
        for asset in self.report.assets:
            grouped.setdefault(asset.site or "(no site)", {}).setdefault(asset.zone or "(no zone)", []).append(asset)
        for site, zones in sorted(grouped.items()):
            site_node = tree.root.add(safe(site), expand=True)
            for zone, assets in sorted(zones.items()):
                zone_node = site_node.add(safe(f"{zone} ({len(assets)})"), expand=len(assets) < 50)
                for asset in sorted(assets, key=lambda a: (-per_asset[a.id], a.id)):
                    identity = " ".join(asset.identity.get(k, "") for k in ("vendor", "model", "firmware")).strip()
                    label = safe(f"{asset.id}  {identity}  [{per_asset[asset.id]}]", 160)
                    zone_node.add_leaf(label, data=asset.id)

    def on_tree_node_highlighted(self, event: Tree.NodeHighlighted[str]) -> None:
        asset_id = event.node.data
        if not asset_id:
            return
        asset = next((a for a in self.report.assets if a.id == asset_id), None)
        if asset is None:
            return
        table = Table.grid(padding=(0, 2))
        table.add_column(style="bold")
        table.add_column()
        table.add_row("Asset", safe(asset.id))
        table.add_row("Kind", safe(asset.kind or "-"))
        table.add_row("Name", safe(asset.name or "-"))
        table.add_row(
            "Site / zone",
            safe(
                f"{asset.site or '-'} / {asset.zone or '-'} (level {asset.level if asset.level is not None else '-'})"
            ),
        )
        for key, value in asset.identity.items():
            table.add_row(f"  {key}", safe(value))
        for key, values in asset.identifiers.items():
            table.add_row(f"  {key}", safe(", ".join(values)))
        table.add_row("Seen by", safe(", ".join(asset.seen_by)))
        findings = [f for f in self.report.findings if f.asset_id == asset.id]
        table.add_row("Findings", Text(str(len(findings))))
        for finding in findings[:200]:
            badge, style = BADGES[finding.severity]
            table.add_row(Text(badge, style=style), safe(f"{finding.title} ({finding.status.value})"))
        self.query_one("#asset-info", Static).update(table)


class RulesScreen(AppScreen):
    """Packs and rules with how many findings each produced; Enter opens a rule's YAML."""

    BINDINGS = [Binding("enter", "open_rule", "Open YAML", id="rules.open")]

    def compose(self) -> ComposeResult:
        yield Header()
        yield DataTable(id="rules-table", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("pack", "rule", "level", "findings", "title")
        self.reload()

    def reload(self) -> None:
        table = self.query_one(DataTable)
        table.clear()
        counts = Counter(f.rule_id for f in self.report.findings)
        for rule in sorted(self.report.rules, key=lambda r: (-counts[r.id], r.pack, r.name)):
            table.add_row(
                safe(rule.pack),
                safe(rule.name),
                Text(rule.level.label),
                str(counts[rule.id]),
                safe(rule.title, 100),
                key=rule.id,
            )

    def action_open_rule(self) -> None:
        table = self.query_one(DataTable)
        if table.row_count == 0:
            return
        rule_id = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        rule = next((r for r in self.report.rules if r.id == rule_id), None)
        if rule is not None:
            self.app.push_screen(TextScreen(f"{rule.name} — {rule.path}", _read(rule.path)))

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        self.action_open_rule()


def _read(path: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return f"cannot read {path}: {exc}"


class ScansScreen(AppScreen):
    """Scan history; Enter compares the highlighted scan with the one before it, `o` opens it."""

    BINDINGS = [
        Binding("enter", "diff", "Diff with previous", id="scans.diff"),
        Binding("o", "open_scan", "Open scan", id="scans.open"),
    ]

    def compose(self) -> ComposeResult:
        yield Header()
        yield DataTable(id="scans-table", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(DataTable).add_columns("id", "started", "status", "records", "findings", "inventory")
        self.reload()

    def reload(self) -> None:
        table = self.query_one(DataTable)
        table.clear()
        for scan in self.xapp.scans():
            table.add_row(
                str(scan.id),
                scan.started,
                scan.status,
                str(scan.summary.get("records", "")),
                str(scan.summary.get("findings", "")),
                safe(scan.inventory, 80),
                key=str(scan.id),
            )

    def _selected(self) -> int | None:
        table = self.query_one(DataTable)
        if table.row_count == 0:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return int(key) if key else None

    def action_diff(self) -> None:
        scan_id = self._selected()
        store = self.xapp.store
        if scan_id is None or store is None:
            return
        current = store.scan(scan_id)
        previous = store.previous_scan(scan_id)
        if previous is None:
            self.notify(f"scan {scan_id} has no earlier complete scan", severity="warning")
            return
        findings = store.findings(scan_id)
        comparison = compare_with_stored(store, findings, previous)
        lines = Text(f"scan {previous.id} → {current.id}\n\n", style="bold")
        groups = (
            ("new", [f for f in findings if f.fingerprint in comparison.new]),
            ("fixed", comparison.fixed),
            ("still open", [f for f in findings if f.fingerprint in comparison.still_open]),
        )
        for label, items in groups:
            lines.append(f"{label}: {len(items)}\n", style="bold")
            for finding in items[:500]:
                lines.append(f"  {BADGES[finding.severity][0]}  ")
                lines.append(terminal_safe(f"{finding.rule_name}  {finding.asset_id}  {finding.title}", 200) + "\n")
        self.app.push_screen(TextScreen("diff", lines))

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        self.action_diff()

    def action_open_scan(self) -> None:
        scan_id = self._selected()
        if scan_id is not None:
            self.xapp.open_scan(scan_id)


class TextScreen(ModalScreen[None]):
    """Read-only text (a rule's YAML, a diff); Esc closes it."""

    BINDINGS = [Binding("escape,q", "app.pop_screen", "Close", id="text.close")]

    def __init__(self, title: str, body: str | Text) -> None:
        super().__init__()
        self.title_text = title
        self.body = body if isinstance(body, Text) else Text(terminal_safe(body, 200_000))

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="text-screen"):
            yield Static(safe(self.title_text), classes="panel-title")
            yield Static(self.body)
        yield Footer()


class HelpScreen(ModalScreen[None]):
    """Every key that works on the screen below, generated from its bindings (and their ids, for remapping)."""

    BINDINGS = [Binding("escape,question_mark,q", "app.pop_screen", "Close", id="help.close")]

    def __init__(self, bindings: list[tuple[str, str, str]]) -> None:
        super().__init__()
        self.rows = bindings

    def compose(self) -> ComposeResult:
        table = Table(title="Keys (remap by id with --keymap FILE)", expand=True)
        table.add_column("key", style="bold")
        table.add_column("action")
        table.add_column("binding id", style="dim")
        for key, description, binding_id in self.rows:
            table.add_row(key, description, binding_id)
        with VerticalScroll(id="help"):
            yield Static(table)
        yield Footer()
