"""TUI benchmark: open a scan with N findings (store -> first screen) and apply filters.

Run: python bench/tui_bench.py [N]   (default 100000). Prints seconds; targets: open <= 1 s, filter <= 150 ms.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.tui.sample import sample_report
from xposture.commands.tui import PREVIEW_FINDINGS
from xposture.reports import ScanReport
from xposture.reports.data import RuleInfo
from xposture.store import ScanResult, Store
from xposture.tui import XpostureApp
from xposture.tui.screens import FindingsScreen


def rule_snapshot(rule: RuleInfo, report: ScanReport) -> dict[str, object]:
    """The rule row a real scan stores (the findings of a rule share its texts)."""
    sample = next(f for f in report.findings if f.rule_id == rule.id)
    return {
        "id": rule.id,
        "name": rule.name,
        "title": sample.title,
        "level": rule.level.label,
        "pack": rule.pack,
        "path": rule.path,
        "tags": sample.tags,
        "fields": [],
        "remediation": sample.remediation,
        "description": sample.description,
        "references": sample.references,
    }


def build_store(path: Path, count: int) -> None:
    report = sample_report(count)
    with Store.open(path) as store:
        scan_id = store.begin_scan("bench", {})
        store.complete_scan(
            scan_id,
            ScanResult(
                records=[],
                assets=report.assets,
                findings=report.findings,
                coverage=report.coverage,
                rules=[rule_snapshot(r, report) for r in report.rules],
                audit=[],
                summary={"findings": count},
            ),
        )


async def first_screen(path: Path) -> float:
    """Store -> first findings screen drawn, from the preview `xposture tui` opens with (no background load)."""
    started = time.perf_counter()
    with Store.open(path) as store:
        report = ScanReport.load(store, preview=PREVIEW_FINDINGS)
        async with XpostureApp(report, None).run_test(size=(160, 50)) as pilot:
            await pilot.pause()
            return time.perf_counter() - started


async def measure(path: Path) -> dict[str, float]:
    figures: dict[str, float] = {
        "open: first screen drawn (preview of the most severe findings)": await first_screen(path)
    }
    started = time.perf_counter()
    store = Store.open(path)
    report = ScanReport.load(store, preview=PREVIEW_FINDINGS)  # what `xposture tui` does
    app = XpostureApp(report, store)
    async with app.run_test(size=(160, 50)) as pilot:
        while not app.report.complete:
            await asyncio.sleep(0.02)
        await pilot.pause()
        figures["open: all findings loaded and shown (background thread)"] = time.perf_counter() - started
        screen = app.screen
        assert isinstance(screen, FindingsScreen)
        await asyncio.sleep(2.0)  # a person reads the first screen; the filter columns build meanwhile
        await pilot.pause()
        for label, text in (
            ("filter: free text 'modbus 10.10.1'", "modbus 10.10.1"),
            ("filter: sev:high+ layer:ot", "sev:high+ layer:ot"),
            ("filter: tag:iec62443 zone:cell-a", "tag:iec62443 zone:cell-a"),
        ):
            begin = time.perf_counter()
            screen.query_text = text
            screen.apply()
            await pilot.pause()
            figures[label] = time.perf_counter() - begin
        begin = time.perf_counter()
        await pilot.press("s")
        figures["quick filter key 's'"] = time.perf_counter() - begin
        begin = time.perf_counter()
        await pilot.press("pagedown", "pagedown", "end")
        figures["scroll page, page, end"] = time.perf_counter() - begin
    store.close()
    return figures


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bench.db"
        begin = time.perf_counter()
        build_store(path, count)
        print(f"built a store with {count:,} findings in {time.perf_counter() - begin:.2f} s")
        for label, seconds in asyncio.run(measure(path)).items():
            print(f"{label:<70} {seconds * 1000:8.1f} ms")


if __name__ == "__main__":
    main()
