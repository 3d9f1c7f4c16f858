"""Headless Chromium (Debian's ``chromium``) driven by Playwright for Python, for the HTML report tests.

We never run ``playwright install``: the browser is the system one, started
with everything that phones home switched off, so a test that counts network
requests sees only what the page itself asks for.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = os.environ.get("XP_CHROMIUM", "/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-default-apps",
    "--disable-extensions",
]
ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"


def chromium_or_skip() -> str:
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} not installed (apt-get install chromium; .ci/run does)")
    return CHROMIUM


@dataclass
class LoadedPage:
    """A report opened in a fresh page, with everything it logged and requested."""

    page: Any
    url: str
    console: list[tuple[str, str]] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)

    @property
    def errors(self) -> list[str]:
        return [text for kind, text in self.console if kind in ("error", "pageerror", "warning")]

    @property
    def foreign_requests(self) -> list[str]:
        """Every request but the document itself: a self-contained report makes none."""
        return [u for u in self.requests if u != self.url]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """One browser per test module: Playwright's sync API holds an event loop while it runs, so it must be
    closed before other modules' asyncio tests (the Textual ones) start."""
    executable = chromium_or_skip()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        instance = pw.chromium.launch(executable_path=executable, args=ARGS)
        try:
            yield instance
        finally:
            instance.close()


@pytest.fixture
def open_report(browser: Any) -> Iterator[Any]:
    """``open_report(path, width=1400, color_scheme="light")`` -> LoadedPage, once the page says it is ready."""
    contexts: list[Any] = []

    def load(path: Path, *, width: int = 1400, height: int = 1000, color_scheme: str = "light") -> LoadedPage:
        context = browser.new_context(
            viewport={"width": width, "height": height}, service_workers="block", color_scheme=color_scheme
        )
        contexts.append(context)
        page = context.new_page()
        loaded = LoadedPage(page=page, url=path.resolve().as_uri())
        page.on("console", lambda m: loaded.console.append((m.type, m.text)))
        page.on("pageerror", lambda e: loaded.console.append(("pageerror", str(e))))
        page.on("request", lambda r: loaded.requests.append(r.url))
        page.goto(loaded.url)
        page.wait_for_selector("html[data-ready='1']", timeout=30_000)
        return loaded

    yield load
    for context in contexts:
        context.close()


def axe_source(cache: Path) -> str | None:
    """axe-core's browser script: from ``XP_AXE_JS``, an earlier install in ``cache``, or ``npm install``.

    axe-core is a test-only tool (MPL-2.0), never shipped in the report. Returns
    None when it cannot be had (no npm, offline); callers then run the
    equivalent checks in ``A11Y_CHECKS`` and say so.
    """
    given = os.environ.get("XP_AXE_JS")
    if given and Path(given).is_file():
        return Path(given).read_text(encoding="utf-8")
    script = cache / "node_modules" / "axe-core" / "axe.min.js"
    if not script.is_file():
        npm = shutil.which("npm")
        if npm is None:
            return None
        cache.mkdir(parents=True, exist_ok=True)
        try:
            subprocess.run(
                [npm, "install", "--no-audit", "--no-fund", "--silent", "--prefix", str(cache), "axe-core@4"],
                check=True,
                capture_output=True,
                timeout=180,
            )
        except (subprocess.SubprocessError, OSError):
            return None
    return script.read_text(encoding="utf-8") if script.is_file() else None


# Checks equivalent to axe's serious/critical rules that matter for this page, used when axe-core
# is unavailable: names for controls, labels for inputs, unique ids, document language and title,
# no focusable element hidden from assistive technology, and WCAG AA text contrast.
A11Y_CHECKS = r"""
() => {
  const out = [];
  const visible = (e) => !!(e.offsetWidth || e.offsetHeight || e.getClientRects().length);
  const name = (e) => (e.getAttribute('aria-label') || e.textContent || e.getAttribute('title') || '').trim();
  if (!document.documentElement.lang) out.push('html-has-lang');
  if (!document.title.trim()) out.push('document-title');
  for (const e of document.querySelectorAll('button, a[href]')) if (visible(e) && !name(e)) out.push('name: ' + e.outerHTML.slice(0, 80));
  for (const e of document.querySelectorAll('input, select, textarea')) {
    if (!visible(e)) continue;
    if (!(e.labels && e.labels.length) && !e.getAttribute('aria-label')) out.push('label: ' + e.outerHTML.slice(0, 80));
  }
  const ids = new Map();
  for (const e of document.querySelectorAll('[id]')) ids.set(e.id, (ids.get(e.id) || 0) + 1);
  for (const [id, n] of ids) if (n > 1) out.push('duplicate-id: ' + id);
  for (const e of document.querySelectorAll('[aria-hidden="true"] a[href], [aria-hidden="true"] button')) out.push('aria-hidden-focus');
  const lum = (c) => { const m = c.match(/[\d.]+/g).map(Number); const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); }; return 0.2126 * f(m[0]) + 0.7152 * f(m[1]) + 0.0722 * f(m[2]); };
  const bg = (e) => { for (let n = e; n; n = n.parentElement) { const c = getComputedStyle(n).backgroundColor; const m = c.match(/[\d.]+/g); if (m && (m.length < 4 || Number(m[3]) > 0.5)) return c; } return 'rgb(255,255,255)'; };
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const seen = new Set();
  while (walker.nextNode()) {
    const t = walker.currentNode; const e = t.parentElement;
    if (!e || !t.textContent.trim() || seen.has(e) || !visible(e) || e.closest('svg')) continue;
    seen.add(e);
    const cs = getComputedStyle(e);
    const a = lum(cs.color), b = lum(bg(e));
    const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
    const large = parseFloat(cs.fontSize) >= 24 || (parseFloat(cs.fontSize) >= 18.6 && Number(cs.fontWeight) >= 700);
    if (ratio < (large ? 3 : 4.5)) out.push('contrast ' + ratio.toFixed(2) + ': ' + t.textContent.trim().slice(0, 40));
  }
  return out;
}
"""
