"""HTML report at scale: generation time, file size and time until interactive in headless Chromium.

Targets (issue #10): 100k findings -> <= 5 s to generate, <= 20 MB, interactive in <= 3 s.
The anchor is Prowler's HTML report, whose 121k-finding / 142 MB file never
finished loading in a browser: we print our figures next to that.

Usage: python bench/report_bench.py [--sizes 1000,10000,100000] [--no-browser]
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.peers.chromium import ARGS, CHROMIUM
from tests.reports.factory import make_report
from xposture.reports.html import render_html

TARGETS = {"generate_s": 5.0, "size_mb": 20.0, "interactive_s": 3.0}


def interactive_seconds(path: Path) -> tuple[float, float, float]:
    """(wall time from navigation to ready, script-reported ready time, first filter round-trip)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        start = time.perf_counter()
        page.goto(path.as_uri(), wait_until="commit")
        page.wait_for_selector("html[data-ready='1']", timeout=120_000)
        wall = time.perf_counter() - start
        ready_ms = page.evaluate("() => performance.now()")
        t0 = time.perf_counter()
        page.click(".sevbtn[data-sev='4']")
        page.wait_for_function("() => document.querySelectorAll('#f-list tr.frow').length > 0")
        filt = time.perf_counter() - t0
        browser.close()
    return wall, float(ready_ms) / 1000, filt


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--no-browser", action="store_true")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",") if s]
    out_dir = Path(tempfile.mkdtemp(prefix="xp-report-bench-"))
    print(
        f"{'findings':>9} {'assets':>7} {'generate s':>11} {'(cpu s)':>8} {'size MB':>8} {'MB/100k':>8}"
        f" {'interactive s':>14} {'filter s':>9}"
    )
    verdicts = []
    for n in sizes:
        report = make_report(n, n_assets=max(20, n // 8))
        gc.collect()
        start, cpu_start = time.perf_counter(), time.process_time()
        html = render_html(report)
        gen = time.perf_counter() - start
        cpu = time.process_time() - cpu_start
        path = out_dir / f"report-{n}.html"
        path.write_text(html, encoding="utf-8")
        size_mb = path.stat().st_size / 1e6
        inter = filt = float("nan")
        if not args.no_browser:
            inter, _, filt = interactive_seconds(path)
        print(
            f"{n:>9,} {len(report.assets):>7,} {gen:>11.2f} {cpu:>8.2f} {size_mb:>8.2f} {size_mb * 100_000 / n:>8.2f} "
            f"{inter:>14.2f} {filt:>9.2f}"
        )
        if n == 100_000:
            verdicts.append(("generate <= 5 s", gen <= TARGETS["generate_s"]))
            verdicts.append(("file <= 20 MB", size_mb <= TARGETS["size_mb"]))
            if not args.no_browser:
                verdicts.append(("interactive <= 3 s", inter <= TARGETS["interactive_s"]))
    load = os.getloadavg()[0]
    print(
        f"load average {load:.1f} on {os.cpu_count()} CPUs (wall times stretch when the machine is busy; cpu s does not)"
    )
    print("anchor: Prowler HTML, 121k findings -> 142 MB, never finished loading in a browser (ANCHORS.md)")
    for label, ok in verdicts:
        print(f"target {label}: {'met' if ok else 'MISSED'}")
    print(f"files kept in {out_dir}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
