"""The command line end to end, as a user runs it: scan, outputs, exit codes, diff, waivers, crash safety."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import jsonschema
import pytest

from tests.conftest import DATA, REPO, run_subprocess

PLANT = DATA / "core" / "plant"
RULES = DATA / "core" / "rules"
SARIF_SCHEMA = DATA / "schemas" / "sarif-2.1.0-rtm.5.json"
JSON_SCHEMA = REPO / "xposture" / "reports" / "schemas" / "scan-1.schema.json"

Cli = Callable[..., tuple[int, str, str]]


def scan_args(*extra: str, inventory: Path = PLANT) -> list[str]:
    return ["scan", str(inventory), "--no-builtin-rules", "--rules", str(RULES), *extra]


def test_scan_prints_findings_from_two_layers_and_exits_0(cli: Cli) -> None:
    code, out, err = cli(*scan_args())
    assert code == 0
    assert "demo.cleartext_modbus" in out
    assert "demo.ssh_open_to_world" in out
    assert "2 findings (1 critical, 1 high)" in err


def test_fail_on_threshold_sets_exit_1(cli: Cli) -> None:
    assert cli(*scan_args("--fail-on", "critical"))[0] == 1
    code, out, _ = cli(*scan_args("--fail-on", "critical", "--severity", "critical"))
    assert code == 1
    assert "cleartext_modbus" not in out


def test_json_output_validates_against_its_schema(cli: Cli, tmp_path: Path) -> None:
    target = tmp_path / "out" / "scan.json"
    code, out, _ = cli(*scan_args("--format", f"json={target}", "--format", "table"))
    assert code == 0
    assert "demo.cleartext_modbus" in out  # the table still went to stdout
    document = json.loads(target.read_text())
    jsonschema.validate(document, json.loads(JSON_SCHEMA.read_text()))
    assert document["schema"] == "xposture.scan/1"
    flows = [f for f in document["findings"] if f["rule"]["name"] == "demo.cleartext_modbus"]
    assert flows[0]["evidence"]["flow.protocol"] == "modbus"
    assert flows[0]["evidence"]["source.file"].endswith("ot.jsonl")
    assets = {a["id"]: a for a in document["assets"]}
    assert assets["ip:fab1/10.10.1.5"]["zone"] == "cell-a"
    assert assets["ip:fab1/10.10.1.5"]["level"] == 1
    assert {c["status"] for c in document["coverage"]} == {"ok"}


def test_sarif_output_validates_against_the_official_schema(cli: Cli) -> None:
    code, out, _ = cli(*scan_args("--format", "sarif"))
    assert code == 0
    log = json.loads(out)
    jsonschema.validate(log, json.loads(SARIF_SCHEMA.read_text()))
    results = log["runs"][0]["results"]
    assert {r["level"] for r in results} == {"error"}
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in results}
    assert any(u.endswith("records/cloud.jsonl") for u in uris)
    assert all(len(r["partialFingerprints"]["xposture/v1"]) == 24 for r in results)


def test_yaml_error_is_one_line_exit_2_and_touches_no_scan(cli: Cli, tmp_path: Path, db: Path) -> None:
    assert cli(*scan_args())[0] == 0
    broken = tmp_path / "broken.yaml"
    broken.write_text("sites:\n  - name: fab1\n    zones: [\n")
    code, out, err = cli(*scan_args(inventory=broken))
    assert code == 2
    assert out == ""
    assert err.strip().startswith(f"xposture: error: {broken}:4:")
    assert len(err.strip().splitlines()) == 1
    code, out, _ = cli("scans", "--format", "json")
    assert [s["status"] for s in json.loads(out)] == ["complete"]


def test_bad_format_is_a_usage_error_before_scanning(cli: Cli) -> None:
    code, _, err = cli(*scan_args("--format", "pdf"))
    assert code == 2
    assert "unknown format 'pdf'" in err
    assert json.loads(cli("scans", "--format", "json")[1]) == []


def test_failed_source_is_reported_and_the_rest_goes_on(cli: Cli, tmp_path: Path) -> None:
    plant = tmp_path / "plant"
    shutil.copytree(PLANT, plant)
    (plant / "records" / "cloud.jsonl").unlink()
    code, out, err = cli(*scan_args("--format", "json", inventory=plant))
    assert code == 0
    document = json.loads(out)
    statuses = {c["scanner"] + ":" + c["status"] for c in document["coverage"]}
    assert statuses == {"records:ok", "records:failed"}
    assert "no such file" in err
    assert [f["rule"]["name"] for f in document["findings"]] == ["demo.cleartext_modbus"]


def test_scan_that_scanned_nothing_exits_2(cli: Cli, tmp_path: Path) -> None:
    plant = tmp_path / "plant"
    shutil.copytree(PLANT, plant)
    shutil.rmtree(plant / "records")
    code, _, err = cli(*scan_args(inventory=plant))
    assert code == 2
    assert "scanned nothing" in err
    assert [s["status"] for s in json.loads(cli("scans", "--format", "json")[1])] == ["failed"]


def test_only_layer_skips_the_others_and_says_so(cli: Cli) -> None:
    code, out, _ = cli(*scan_args("--only", "cloud", "--format", "json"))
    assert code == 0
    document = json.loads(out)
    assert [f["layer"] for f in document["findings"]] == ["cloud"]
    skipped = [c for c in document["coverage"] if c["status"] == "skipped"]
    assert skipped and "not selected" in skipped[0]["detail"]


def test_diff_reports_new_fixed_and_still_open(cli: Cli, tmp_path: Path) -> None:
    plant = tmp_path / "plant"
    shutil.copytree(PLANT, plant)
    assert cli(*scan_args(inventory=plant))[0] == 0
    flows = (plant / "records" / "ot.jsonl").read_text().splitlines()
    changed = flows[0].replace("10.10.1.5", "10.10.1.9")  # the Modbus PLC moved: old finding fixed, new one
    (plant / "records" / "ot.jsonl").write_text(changed + "\n" + flows[1] + "\n")
    assert cli(*scan_args(inventory=plant))[0] == 0
    code, out, _ = cli("diff", "--format", "json")
    assert code == 0
    diff = json.loads(out)
    assert (diff["old"], diff["new"]) == (1, 2)
    assert [f["asset"] for f in diff["new_findings"]] == ["ip:fab1/10.10.1.9"]
    assert [f["asset"] for f in diff["fixed"]] == ["ip:fab1/10.10.1.5"]
    assert [f["rule"]["name"] for f in diff["still_open"]] == ["demo.ssh_open_to_world"]
    code, out, _ = cli("diff", "1", "2")
    assert "new: 1" in out and "fixed: 1" in out and "still open: 1" in out


def test_waived_finding_stays_hidden_until_its_expiry_passes(cli: Cli, db: Path) -> None:
    code, out, _ = cli(*scan_args("--format", "json"))
    critical = next(f for f in json.loads(out)["findings"] if f["severity"] == "critical")
    today = dt.datetime.now(dt.UTC).date()
    code, _, err = cli(
        "waive",
        critical["fingerprint"][:10],
        "--reason",
        "bastion only",
        "--owner",
        "cloud-team",
        "--expires",
        today.isoformat(),
    )
    assert code == 0 and "waived 1" in err
    code, out, _ = cli(*scan_args("--fail-on", "critical", "--format", "json"))
    assert code == 0  # waived findings do not fail CI
    statuses = {f["fingerprint"]: f["status"] for f in json.loads(out)["findings"]}
    assert statuses[critical["fingerprint"]] == "waived"
    # The expiry passes: move the waiver's date into the past, as time would.
    with sqlite3.connect(db) as connection:
        connection.execute("UPDATE waivers SET expires = ?", ((today - dt.timedelta(days=1)).isoformat(),))
    code, out, _ = cli("findings", "--status", "open", "--format", "json")
    assert critical["fingerprint"] in {f["fingerprint"] for f in json.loads(out)["findings"]}
    assert cli(*scan_args("--fail-on", "critical"))[0] == 1


def test_waive_needs_a_valid_date(cli: Cli) -> None:
    with pytest.raises(SystemExit) as caught:
        cli("waive", "abc", "--reason", "r", "--owner", "o", "--expires", "next week")
    assert caught.value.code == 2


@pytest.mark.slow
def test_sigkill_mid_scan_leaves_earlier_scans_intact(db: Path, tmp_path: Path) -> None:
    first = run_subprocess(db, *scan_args())
    assert first.returncode == 0, first.stderr
    # A scan big enough to be killed while it runs.
    big = tmp_path / "big"
    (big / "records").mkdir(parents=True)
    line = json.loads((PLANT / "records" / "ot.jsonl").read_text().splitlines()[0])
    with (big / "records" / "ot.jsonl").open("w") as handle:
        for i in range(300_000):
            line["record.key"] = f"flow-{i}"
            handle.write(json.dumps(line) + "\n")
    (big / "inventory.yaml").write_text(
        "sites:\n  - name: fab1\n    sources:\n      - {scanner: records, paths: [records/]}\n"
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "xposture", "--db", str(db), *scan_args(inventory=big)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        cwd=REPO,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with sqlite3.connect(db) as connection:
            if connection.execute("SELECT COUNT(*) FROM scans WHERE status = 'running'").fetchone()[0]:
                break
        time.sleep(0.05)
    time.sleep(0.5)
    assert process.poll() is None, "the scan finished before it could be killed; make it bigger"
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    listing = run_subprocess(db, "scans", "--format", "json")
    assert listing.returncode == 0
    scans = {s["id"]: s for s in json.loads(listing.stdout)}
    assert scans[1]["status"] == "complete"
    assert scans[2]["status"] == "failed"
    findings = run_subprocess(db, "findings", "--scan", "1", "--format", "json")
    assert len(json.loads(findings.stdout)["findings"]) == 2
