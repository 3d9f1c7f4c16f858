"""Importing OSV, CSAF, CVE 5, KEV and EPSS files (folders, zips, unchanged-file skipping) and reading them back."""

from __future__ import annotations

import json
import shutil
import zipfile
from pathlib import Path

import pytest

from tests.conftest import DATA, shared_data_or_skip
from xposture.advisories.csaf import parse_csaf
from xposture.advisories.cve5 import parse_cve5
from xposture.advisories.db import AdvisoryDB
from xposture.advisories.osv import parse_osv
from xposture.errors import InputError

ADVISORIES = DATA / "sbom" / "advisories"


def test_import_folder_then_skip_unchanged(tmp_path: Path) -> None:
    with AdvisoryDB(tmp_path / "advisories.db") as db:
        first = db.import_paths([ADVISORIES])
        assert first.files == 8 and not first.errors
        again = db.import_paths([ADVISORIES])
        assert again.skipped_unchanged == 8 and again.advisories == 0
        status = db.status()
    assert status["by_source"] == {"csaf": 2, "cve5": 5, "osv": 1}
    assert status["age_days"] is not None and len(status["sources"]) == 8


def test_changed_file_replaces_what_it_brought(tmp_path: Path) -> None:
    source = tmp_path / "adv"
    source.mkdir()
    shutil.copy(ADVISORIES / "CVE-2024-6119.json", source / "a.json")
    with AdvisoryDB(tmp_path / "advisories.db") as db:
        db.import_paths([source])
        rows = db.conn.execute("SELECT COUNT(*) FROM affected").fetchone()[0]
        data = json.loads((source / "a.json").read_text())
        data["containers"]["adp"] = []
        (source / "a.json").write_text(json.dumps(data))
        report = db.import_paths([source])
        assert report.advisories == 1
        assert db.conn.execute("SELECT COUNT(*) FROM affected").fetchone()[0] < rows
        assert db.status()["advisories"] == 1


def test_zip_and_kev_and_epss(tmp_path: Path) -> None:
    archive = tmp_path / "osv-all.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.write(ADVISORIES / "OSV-2022-785.json", "OSV-2022-785.json")
        zf.write(ADVISORIES / "CVE-2024-1086.json", "nested/CVE-2024-1086.json")
    with AdvisoryDB(tmp_path / "advisories.db") as db:
        report = db.import_paths(
            [archive, DATA / "sbom" / "handmade" / "kev.csv", DATA / "sbom" / "handmade" / "epss.csv"]
        )
        assert (report.advisories, report.kev, report.epss) == (2, 2, 2)
        assert db.kev_lookup(["CVE-2024-1086", "CVE-2099-0001"]) == {"CVE-2024-1086": "2024-05-30"}
        found = db.candidates(["cpe:linux:linux_kernel"])["cpe:linux:linux_kernel"]
        assert db.vulns([found[0].vuln_row])[found[0].vuln_row]["epss"] == 0.85


def test_bad_files_are_reported_not_raised(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with AdvisoryDB(tmp_path / "advisories.db") as db:
        report = db.import_paths([bad])
    assert report.errors and "invalid JSON" in report.errors[0]
    with AdvisoryDB(tmp_path / "advisories.db") as db, pytest.raises(InputError):
        db.import_paths([tmp_path / "missing"])


def test_csaf_products_models_and_fixes() -> None:
    advisories = parse_csaf(json.loads((ADVISORIES / "icsa-24-214-09.json").read_text()))
    adv = advisories[0]
    assert (adv.id, adv.aliases, adv.severity) == ("CVE-2024-6242", ["ICSA-24-214-09"], "high")
    keys = {k for a in adv.affected for k in a.keys}
    assert "mtok:rockwell:1756-EN2T" in keys and "model:1756L8Z" in keys
    en4tr = next(a for a in adv.affected if "mtok:rockwell:1756-EN4TR" in a.keys)
    assert en4tr.fixed == "V5.001"


def test_cve5_cna_and_adp_entries() -> None:
    adv = parse_cve5(json.loads((ADVISORIES / "CVE-2024-1086.json").read_text()))
    assert adv is not None and adv.kev_date == "2024-05-30" and adv.severity == "high"
    assert any("cpe:linux:linux_kernel" in a.keys for a in adv.affected)


def test_osv_versions_list() -> None:
    adv = parse_osv(json.loads((ADVISORIES / "OSV-2022-785.json").read_text()))
    assert adv.affected[0].keys[0] == "purl:generic//dnsmasq"
    assert any(i.exact == "v2.86" for i in adv.affected[0].intervals)


def test_corpus_imports_cleanly(tmp_path: Path) -> None:
    root = shared_data_or_skip("advisories")
    with AdvisoryDB(tmp_path / "advisories.db") as db:
        report = db.import_paths([root])
    assert not report.errors and not report.ignored
    assert report.advisories >= 300
