"""The TUI driven from the keyboard with Textual's Pilot: navigate, filter, open, waive, export."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from tests.conftest import DATA
from xposture.cli import main
from xposture.model import Status
from xposture.reports import ScanReport
from xposture.store import Store
from xposture.tui import XpostureApp
from xposture.tui.findings_list import FindingsList
from xposture.tui.screens import DetailScreen, FindingsScreen, HelpScreen

PLANT = DATA / "core" / "plant"
RULES = DATA / "core" / "rules"


@pytest.fixture
def scanned(tmp_path: Path) -> Path:
    db = tmp_path / "x.db"
    assert (
        main(
            [
                "--db",
                str(db),
                "-q",
                "scan",
                str(PLANT),
                "--no-builtin-rules",
                "--rules",
                str(RULES),
                "--format",
                f"json={tmp_path / 'o.json'}",
            ]
        )
        == 0
    )
    return db


def open_app(db: Path) -> tuple[XpostureApp, Store]:
    store = Store.open(db)
    return XpostureApp(ScanReport.load(store), store), store


async def test_filter_open_waive_and_export_from_the_keyboard(scanned: Path, tmp_path: Path) -> None:
    app, store = open_app(scanned)
    async with app.run_test(size=(140, 40)) as pilot:
        screen = app.screen
        assert isinstance(screen, FindingsScreen)
        listing = screen.query_one(FindingsList)
        assert len(listing.rows) == 2
        # Filter to critical cloud findings with the query language.
        await pilot.press("slash")
        await pilot.press(*"sev:critical layer:cloud")
        await pilot.press("enter")
        assert [f.rule_name for f in listing.rows] == ["demo.ssh_open_to_world"]
        # Open it.
        await pilot.press("enter")
        assert isinstance(app.screen, DetailScreen)
        assert app.screen.finding.rule_name == "demo.ssh_open_to_world"
        # Waive it from the detail screen, with an expiry.
        await pilot.press("w")
        await pilot.press(*"bastion only", "enter", *"cloud-team", "enter")
        expires = app.screen.query_one("#expires").value  # type: ignore[attr-defined]
        await pilot.press("enter")
        await pilot.pause()
        waivers = store.waivers()
        assert [(w.owner, w.expires) for w in waivers] == [("cloud-team", expires)]
        assert dt.date.fromisoformat(expires) > dt.datetime.now(dt.UTC).date()
        await pilot.press("escape")
        # The waived finding left the open view; show all statuses and export the view to HTML/JSON.
        assert listing.rows == []
        await pilot.press("t")  # status: waived
        assert [f.status for f in listing.rows] == [Status.WAIVED]
        await pilot.press("x")
        target = tmp_path / "view.json"
        await pilot.press("ctrl+u", *str(target))  # clear the proposed name, type ours: .json picks JSON
        await pilot.press("enter")
        await pilot.pause()
    exported = json.loads(target.read_text())
    assert [f["status"] for f in exported["findings"]] == ["waived"]
    store.close()


async def test_quick_filters_marks_and_bulk_waive(scanned: Path) -> None:
    app, store = open_app(scanned)
    async with app.run_test(size=(140, 40)) as pilot:
        listing = app.screen.query_one(FindingsList)
        await pilot.press("s")  # minimum severity: none -> critical
        assert [f.severity.label for f in listing.rows] == ["critical"]
        await pilot.press("s", "l", "l")  # severity >= high; layer: all -> cloud -> ot
        assert [(f.severity.label, f.layer) for f in listing.rows] == [("high", "ot")]
        await pilot.press("l", "l", "l", *"ssss")  # layer back to all, severity back to none
        assert len(listing.rows) == 2
        await pilot.press("space", "space")
        assert len(listing.marked) == 2
        await pilot.press("w", *"accepted", "enter", *"ot-sec", "enter", "enter")
        await pilot.pause()
        assert len(store.waivers()) == 2
        assert listing.rows == [] and not listing.marked
    store.close()


async def test_screens_help_and_hostile_strings(tmp_path: Path) -> None:
    records = tmp_path / "plant" / "records"
    records.mkdir(parents=True)
    hostile = "\x1b[31m[bold red]PWN[/]\x1b]0;title\x07 <script>"
    (records / "ot.jsonl").write_text(
        json.dumps(
            {
                "record.type": "network_flow",
                "record.key": "k",
                "asset.id": hostile,
                "flow.protocol": "modbus",
                "identity.vendor": hostile,
            }
        )
        + "\n"
    )
    (tmp_path / "plant" / "inventory.yaml").write_text(
        "sites:\n  - name: fab1\n    sources:\n      - {scanner: records, paths: [records/]}\n"
    )
    db = tmp_path / "x.db"
    assert (
        main(
            [
                "--db",
                str(db),
                "-q",
                "scan",
                str(tmp_path / "plant"),
                "--no-builtin-rules",
                "--rules",
                str(RULES),
                "--format",
                f"json={tmp_path / 'o.json'}",
            ]
        )
        == 0
    )
    app, store = open_app(db)
    async with app.run_test(size=(140, 40)) as pilot:
        listing = app.screen.query_one(FindingsList)
        line = "".join(segment.text for segment in listing.render_line(0))
        assert "\x1b" not in line and "\\x1b" in line
        for key in ("1", "3", "4", "5", "2"):
            await pilot.press(key)
            await pilot.pause()
        assert app.current_mode == "findings"
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        assert any(row[2] == "findings.filter" for row in app.screen.rows)
        await pilot.press("escape")
    store.close()


async def test_keymap_remaps_a_binding_by_id(scanned: Path) -> None:
    store = Store.open(scanned)
    app = XpostureApp(ScanReport.load(store), store, keymap={"findings.filter": "f"})
    async with app.run_test(size=(140, 40)) as pilot:
        await pilot.press("f")
        assert app.screen.query_one("#filter").has_focus
    store.close()


async def test_acceptance_on_the_example_plant(tmp_path: Path) -> None:
    """Open the examples/plant scan, filter to critical OT findings, open one, waive it, export the view to HTML."""
    from tests.conftest import REPO

    db = tmp_path / "plant.db"
    assert (
        main(
            [
                "--db",
                str(db),
                "-q",
                "scan",
                str(REPO / "examples" / "plant"),
                "--passive",
                "--format",
                f"json={tmp_path / 'o.json'}",
            ]
        )
        == 0
    )
    app, store = open_app(db)
    target = tmp_path / "critical-ot.html"
    async with app.run_test(size=(160, 45)) as pilot:
        listing = app.screen.query_one(FindingsList)
        await pilot.press("slash", *"sev:critical layer:ot", "enter")
        assert listing.rows and {(f.severity.label, f.layer) for f in listing.rows} == {("critical", "ot")}
        chosen = listing.rows[0]
        await pilot.press("enter")
        assert isinstance(app.screen, DetailScreen) and app.screen.finding.fingerprint == chosen.fingerprint
        await pilot.press(
            "w", *"isolated by firewall", "enter", *"ot-security", "enter", "ctrl+u", *"2027-03-31", "enter"
        )
        await pilot.pause()
        assert [(w.fingerprint, w.expires) for w in store.waivers()] == [(chosen.fingerprint, "2027-03-31")]
        await pilot.press("escape", "t")  # back to the list; show waived findings too
        await pilot.press("x", "ctrl+u", *str(target), "enter")
        await pilot.pause()
    html = target.read_text()
    assert html.lstrip().lower().startswith("<!doctype html")
    assert chosen.fingerprint in html
    store.close()


async def test_a_preview_opens_first_and_the_rest_loads_in_the_background(scanned: Path) -> None:
    """`xposture tui` shows the most severe findings at once and fills in the rest without blocking."""
    store = Store.open(scanned)
    preview = ScanReport.load(store, preview=1)
    assert not preview.complete and [f.severity.label for f in preview.findings] == ["critical"]
    app = XpostureApp(preview, store)
    async with app.run_test(size=(140, 40)) as pilot:
        for _ in range(200):
            if app.report.complete:
                break
            await pilot.pause(0.05)
        assert app.report.complete
        assert len(app.screen.query_one(FindingsList).rows) == 2
    store.close()
