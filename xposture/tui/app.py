"""The Textual app: one stored scan, several screens, keyboard first (k9s / lazygit habits)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import ClassVar

from textual import work
from textual.app import App, SystemCommand
from textual.binding import Binding, Keymap
from textual.screen import Screen
from textual.widgets import ProgressBar

from xposture.errors import XpostureError
from xposture.model import Finding
from xposture.pipeline import ScanOptions, run_scan
from xposture.reports import FORMATS, ScanReport
from xposture.store import ScanInfo, Store
from xposture.tui.dialogs import ExportAnswer, ExportDialog, ScanDialog, WaiveDialog, WaiverAnswer
from xposture.tui.findings_list import FindingsList
from xposture.tui.screens import (
    AppScreen,
    AssetsScreen,
    DashboardScreen,
    FindingsScreen,
    HelpScreen,
    RulesScreen,
    ScansScreen,
)

MODE_SCREENS: dict[str, type[AppScreen]] = {
    "dashboard": DashboardScreen,
    "findings": FindingsScreen,
    "assets": AssetsScreen,
    "rules": RulesScreen,
    "scans": ScansScreen,
}


class XpostureApp(App[None]):
    """Triage a whole scan from the keyboard.

    ``store`` may be None (a report shown read-only, e.g. in snapshot tests);
    waivers and scans then explain that they need a store.
    """

    TITLE = "xposture"
    CSS_PATH = "xposture.tcss"
    BINDINGS: ClassVar[list[Binding | tuple[str, str] | tuple[str, str, str]]] = [
        Binding("1", "switch_mode('dashboard')", "Dashboard", id="app.dashboard"),
        Binding("2", "switch_mode('findings')", "Findings", id="app.findings"),
        Binding("3", "switch_mode('assets')", "Assets", id="app.assets"),
        Binding("4", "switch_mode('rules')", "Rules", id="app.rules"),
        Binding("5", "switch_mode('scans')", "Scans", id="app.scans"),
        Binding("n", "new_scan", "New scan", id="app.new_scan", show=False),
        Binding("question_mark", "help", "Help", id="app.help"),
        Binding("q", "quit", "Quit", id="app.quit"),
    ]

    def __init__(
        self,
        report: ScanReport,
        store: Store | None = None,
        *,
        keymap: Keymap | None = None,
        start: str = "findings",
        inventory_hint: str = "",
    ) -> None:
        super().__init__()
        self.report = report
        self.store = store
        self.screens_by_mode: dict[str, AppScreen] = {}
        self.start_mode = start
        self.inventory_hint = inventory_hint
        self.user_keymap = keymap or {}
        for name in MODE_SCREENS:
            self.add_mode(name, self._mode_factory(name))

    def _mode_factory(self, name: str) -> Callable[[], Screen[None]]:
        """Build each mode's screen on first visit and remember it, so reloads can reach it."""

        def build() -> Screen[None]:
            screen = MODE_SCREENS[name]()
            self.screens_by_mode[name] = screen
            return screen

        return build

    def on_mount(self) -> None:
        if self.user_keymap:
            self.set_keymap(self.user_keymap)
        self.sub_title = f"scan {self.report.scan.id}"
        self.switch_mode(self.start_mode)
        if not self.report.complete and self.store is not None:
            # After the first screen is drawn, so the loading thread does not slow that first paint down.
            self.call_after_refresh(self.load_rest, self.store.path, self.report.scan.id)

    @work(thread=True, exclusive=True, group="load")
    def load_rest(self, path: Path, scan_id: int) -> None:
        """Read the whole scan behind a preview, on a thread with its own connection; the UI stays usable."""
        with Store.open(path) as store:
            report = ScanReport.load(store, scan_id)
        self.call_from_thread(self._show_full, report)

    def _show_full(self, report: ScanReport) -> None:
        if report.scan.id != self.report.scan.id:  # another scan was opened meanwhile
            return
        self.report = report
        for screen in self.screens_by_mode.values():
            if screen.is_mounted:
                screen.reload()

    # -- data -------------------------------------------------------------------------
    def scans(self) -> list[ScanInfo]:
        return self.store.scans() if self.store is not None else [self.report.scan]

    def reload(self, scan_id: int | None = None) -> None:
        """Read the scan again (after a waiver or a new scan) and redraw every screen built so far."""
        if self.store is None:
            return
        self.report = ScanReport.load(self.store, scan_id if scan_id is not None else self.report.scan.id)
        self.sub_title = f"scan {self.report.scan.id}"
        for screen in self.screens_by_mode.values():
            if screen.is_mounted:
                screen.reload()

    def open_scan(self, scan_id: int) -> None:
        self.reload(scan_id)
        self.notify(f"opened scan {scan_id}")
        self.switch_mode("findings")

    # -- actions ------------------------------------------------------------------------
    def action_home(self) -> None:
        """Esc on a top-level screen goes back to the dashboard, as k9s does."""
        if self.current_mode != "dashboard":
            self.switch_mode("dashboard")

    def action_help(self) -> None:
        rows = []
        for active in self.screen.active_bindings.values():
            binding = active.binding
            rows.append((self.get_key_display(binding), binding.description or binding.action, binding.id or ""))
        self.push_screen(HelpScreen(sorted(rows, key=lambda r: r[2])))

    def waive(self, findings: list[Finding]) -> None:
        if not findings:
            return
        if self.store is None:
            self.notify("waivers need a store (start with --db)", severity="error")
            return
        store = self.store

        def done(answer: WaiverAnswer | None) -> None:
            if answer is None:
                return
            count = store.waive(
                [f.fingerprint for f in findings], reason=answer.reason, owner=answer.owner, expires=answer.expires
            )
            self._clear_marks()
            self.reload()
            self.notify(f"waived {count} finding(s) until {answer.expires.isoformat()}")

        self.push_screen(WaiveDialog(len(findings)), done)

    def unwaive(self, findings: list[Finding]) -> None:
        if self.store is None or not findings:
            return
        count = self.store.unwaive([f.fingerprint for f in findings])
        self._clear_marks()
        self.reload()
        self.notify(f"removed {count} waiver(s)")

    def _clear_marks(self) -> None:
        findings_screen = self.screens_by_mode.get("findings")
        if isinstance(findings_screen, FindingsScreen) and findings_screen.is_mounted:
            findings_screen.query_one(FindingsList).marked.clear()

    def export(self, findings: list[Finding]) -> None:
        """Write the current view (the filtered findings) in any registered format."""
        report = dataclasses.replace(self.report, findings=findings)

        def done(answer: ExportAnswer | None) -> None:
            if answer is None:
                return
            try:
                answer.path.parent.mkdir(parents=True, exist_ok=True)
                answer.path.write_text(FORMATS[answer.format](report), encoding="utf-8")
            except OSError as exc:
                self.notify(f"export failed: {exc}", severity="error")
                return
            self.notify(f"exported {len(findings)} finding(s) to {answer.path}")

        self.push_screen(ExportDialog(list(FORMATS), f"xposture-scan-{self.report.scan.id}"), done)

    def action_new_scan(self) -> None:
        if self.store is None:
            self.notify("scanning needs a store (start with --db)", severity="error")
            return

        def done(inventory: Path | None) -> None:
            if inventory is not None:
                self.inventory_hint = str(inventory)
                self.scan_inventory(inventory)

        self.push_screen(ScanDialog(self.inventory_hint or self.report.scan.inventory), done)

    @work(thread=True, exclusive=True, group="scan")
    def scan_inventory(self, inventory: Path) -> None:
        """Run a scan in a worker thread with its own store connection; the UI stays responsive."""
        assert self.store is not None
        bar = ProgressBar(total=None, show_eta=False, id="scan-progress")
        self.call_from_thread(self._show_progress, bar)

        def progress(task: str, done: int, total: int | None) -> None:
            self.call_from_thread(bar.update, total=total, progress=done)

        try:
            with Store.open(self.store.path) as store:
                outcome = run_scan(inventory, store, ScanOptions(progress=progress))
        except XpostureError as exc:
            self.call_from_thread(self.notify, f"scan failed: {exc}", severity="error", timeout=10)
            return
        finally:
            self.call_from_thread(self._hide_progress, bar)
        if outcome.scanned_nothing:
            self.call_from_thread(self.notify, f"scan {outcome.scan_id} scanned nothing", severity="error")
            return
        self.call_from_thread(self.open_scan, outcome.scan_id)

    def _show_progress(self, bar: ProgressBar) -> None:
        self.screen.mount(bar)

    def _hide_progress(self, bar: ProgressBar) -> None:
        bar.remove()

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        for name in MODE_SCREENS:
            yield SystemCommand(f"Go to {name}", f"Show the {name} screen", lambda name=name: self.switch_mode(name))
        yield SystemCommand("New scan", "Scan an inventory and open the result", self.action_new_scan)
        yield SystemCommand("Help", "Show the keys of this screen", self.action_help)
