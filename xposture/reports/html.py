"""The self-contained HTML report: one file, no network request, readable on an offline plant PC and on paper.

Jinja2 renders the page with autoescaping on, so every string that came from a
scanned device or file is escaped where it is written. Styles and script are
inlined and pinned by a Content-Security-Policy of hashes: even if a hostile
value slipped past escaping, the browser would neither run it nor fetch
anything (``default-src 'none'``).
"""

from __future__ import annotations

import base64
import functools
import hashlib
from datetime import datetime
from importlib import resources
from urllib.parse import urlsplit

import jinja2
from markupsafe import Markup

from xposture import __version__
from xposture.reports.data import ScanReport
from xposture.reports.frameworks import tag_label
from xposture.reports.html_model import COVERAGE_STATES, SERVER_ROWS, SEVERITIES, SEVERITY_NAMES, build_view

TEMPLATES = "templates"
SAFE_SCHEMES = {"http", "https"}


def safe_url(value: object) -> str:
    """A reference URL fit for ``href``: http(s) only, so ``javascript:`` or ``data:`` never becomes a link."""
    text = str(value).strip()
    try:
        scheme = urlsplit(text).scheme.lower()
    except ValueError:
        return ""
    return text if scheme in SAFE_SCHEMES else ""


def _asset_text(name: str) -> str:
    return (resources.files("xposture.reports") / TEMPLATES / name).read_text(encoding="utf-8")


def _csp_hash(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii") + "'"


@functools.cache
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("xposture.reports", TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["safe_url"] = safe_url
    env.filters["control"] = tag_label
    env.filters["thousands"] = lambda n: f"{n:,}"
    env.globals.update(
        SEVERITIES=SEVERITIES, SEVERITY_NAMES=SEVERITY_NAMES, COVERAGE_STATES=COVERAGE_STATES, SERVER_ROWS=SERVER_ROWS
    )
    return env


@functools.cache
def _static() -> tuple[str, str]:
    return _asset_text("report.css"), _asset_text("report.js")


def render_html(report: ScanReport, *, now: datetime | None = None) -> str:
    """Render ``report`` as one HTML document (a string; the caller writes it)."""
    css, js = _static()
    view = build_view(report, now=now)
    csp = (
        "default-src 'none'; "
        f"style-src {_csp_hash(css)}; script-src {_csp_hash(js)}; "
        "img-src data:; base-uri 'none'; form-action 'none'"
    )
    template = _environment().get_template("report.html.j2")
    return template.render(
        v=view,
        css=Markup(css),  # noqa: S704 - our own packaged stylesheet, not data
        js=Markup(js),  # noqa: S704 - our own packaged script, not data
        payload=Markup(view.payload),  # noqa: S704 - JSON with every '<', '>' and '&' escaped
        csp=csp,
        version=__version__,
    )
