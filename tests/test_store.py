"""The store: migrations, one transaction per scan, reaping killed scans, waivers that expire."""

from __future__ import annotations

import datetime as dt
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from xposture.errors import StoreError
from xposture.model import Asset, Finding, Layer, Severity, Status, make_record
from xposture.scanners.base import CoverageEntry
from xposture.store import SCHEMA_VERSION, ScanResult, Store, resolve_path


def finding(
    rule: str = "r1", asset: str = "ip:fab1/10.0.0.1", key: str = "k", severity: Severity = Severity.HIGH
) -> Finding:
    return Finding(
        rule_id=rule,
        rule_name=f"test.{rule}",
        title=f"Rule {rule}",
        severity=severity,
        layer="ot",
        asset_id=asset,
        record_key=key,
        record_type="network_flow",
        evidence={"flow.protocol": "modbus"},
    )


def result(*findings: Finding) -> ScanResult:
    record = make_record("network_flow", asset_id="ip:fab1/10.0.0.1", key="k", layer=Layer.OT, scanner="pcap")
    return ScanResult(
        records=[record],
        assets=[Asset(id="ip:fab1/10.0.0.1", kind="ot_device")],
        findings=list(findings),
        coverage=[CoverageEntry("pcap", "a.pcap", "ok", records=1)],
        rules=[{"id": "r1", "name": "test.r1", "title": "Rule r1", "level": "high", "pack": "t", "path": "x"}],
        audit=[],
        summary={"findings": len(findings)},
    )


def test_new_store_is_migrated_to_the_current_schema(tmp_path: Path) -> None:
    with Store.open(tmp_path / "s.db") as store:
        assert store.db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert store.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_a_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    connection = sqlite3.connect(path)
    connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    connection.close()
    with pytest.raises(StoreError, match="newer than this xposture"):
        Store.open(path)


def test_a_file_that_is_not_a_database_is_a_store_error(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StoreError, match="not a database"):
        Store.open(path)


def test_complete_scan_round_trips_findings_and_assets(tmp_path: Path) -> None:
    with Store.open(tmp_path / "s.db") as store:
        scan_id = store.begin_scan("inv.yaml", {})
        store.complete_scan(scan_id, result(finding(), finding(key="other", severity=Severity.LOW)))
        assert store.scan().id == scan_id
        assert store.scan().status == "complete"
        stored = store.findings(scan_id)
        assert [f.severity for f in stored] == [Severity.HIGH, Severity.LOW]
        assert stored[0].evidence == {"flow.protocol": "modbus"}
        assert store.assets(scan_id)[0].kind == "ot_device"
        assert store.record_counts(scan_id) == {"network_flow": 1}
        assert store.coverage(scan_id)[0].target == "a.pcap"


def test_a_failed_write_rolls_back_and_keeps_earlier_scans(tmp_path: Path) -> None:
    with Store.open(tmp_path / "s.db") as store:
        first = store.begin_scan("inv.yaml", {})
        store.complete_scan(first, result(finding()))
        second = store.begin_scan("inv.yaml", {})
        bad = result(finding())
        bad.rules = [{"no id": True}]  # KeyError half-way through the transaction
        with pytest.raises(KeyError):
            store.complete_scan(second, bad)
        assert store.record_counts(second) == {}
        assert len(store.findings(first)) == 1
        assert store.scan().id == first


def test_scan_of_a_dead_process_is_reaped_as_failed(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    with Store.open(path) as store:
        done = store.begin_scan("inv.yaml", {})
        store.complete_scan(done, result(finding()))
    # A child process begins a scan and dies without finishing it.
    code = (
        "import os, sys; from pathlib import Path; from xposture.store import Store;"
        f"s = Store.open(Path({str(path)!r})); s.begin_scan('inv.yaml', {{}}); os._exit(9)"
    )
    subprocess.run([sys.executable, "-c", code], check=False, cwd=Path(__file__).parent.parent)
    with Store.open(path) as store:
        statuses = {s.id: s.status for s in store.scans()}
        assert statuses[done] == "complete"
        assert list(statuses.values()).count("failed") == 1
        failed = next(s for s in store.scans() if s.status == "failed")
        assert "ended before" in failed.summary["error"]


def test_waivers_hide_until_expiry_then_reopen(tmp_path: Path) -> None:
    with Store.open(tmp_path / "s.db") as store:
        scan_id = store.begin_scan("inv.yaml", {})
        target = finding()
        store.complete_scan(scan_id, result(target))
        today = dt.datetime.now(dt.UTC).date()
        store.waive([target.fingerprint], reason="compensating control", owner="ot-sec", expires=today)
        assert store.findings(scan_id)[0].status is Status.WAIVED
        store.waive(
            [target.fingerprint], reason="compensating control", owner="ot-sec", expires=today - dt.timedelta(days=1)
        )
        assert store.findings(scan_id)[0].status is Status.OPEN
        with pytest.raises(StoreError, match="reason and an owner"):
            store.waive([target.fingerprint], reason=" ", owner="x", expires=today)
        assert store.unwaive([target.fingerprint]) == 1
        assert store.waivers() == []


def test_fingerprint_prefixes_resolve_like_git(tmp_path: Path) -> None:
    with Store.open(tmp_path / "s.db") as store:
        scan_id = store.begin_scan("inv.yaml", {})
        one = finding(key="a")
        store.complete_scan(scan_id, result(one, finding(key="b")))
        assert store.resolve_fingerprint(one.fingerprint[:10]) == one.fingerprint
        with pytest.raises(StoreError, match="ambiguous"):
            store.resolve_fingerprint("")
        with pytest.raises(StoreError, match="no finding"):
            store.resolve_fingerprint("zzzz")


def test_db_path_resolution_order(tmp_path: Path) -> None:
    assert resolve_path("x.db", {"XPOSTURE_DB": "y.db"}) == Path("x.db")
    assert resolve_path(None, {"XPOSTURE_DB": "y.db"}) == Path("y.db")
    assert resolve_path(None, {}) == Path(".xposture/xposture.db")


def test_values_orjson_refuses_still_store(tmp_path: Path) -> None:
    """A device reporting a serial past 64 bits must not fail the scan's transaction."""
    with Store.open(tmp_path / "s.db") as store:
        scan_id = store.begin_scan("inv.yaml", {})
        big = result(finding())
        big.records = [{**big.records[0], "identity.serial_number": 2**80}]
        store.complete_scan(scan_id, big)
        assert next(store.records(scan_id))["identity.serial_number"] == 2**80
