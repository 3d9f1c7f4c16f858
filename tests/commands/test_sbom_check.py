"""``xposture sbom check`` as a CI job runs it, and ``xposture advisories import|status``."""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable
from pathlib import Path

import jsonschema
import pytest

from tests.conftest import DATA, REPO

Cli = Callable[..., tuple[int, str, str]]
HANDMADE = DATA / "sbom" / "handmade"
ADVISORIES = DATA / "sbom" / "advisories"
SARIF_SCHEMA = json.loads((DATA / "schemas" / "sarif-2.1.0-rtm.5.json").read_text())


@pytest.fixture
def imported(cli: Cli) -> Cli:
    code, _, err = cli("advisories", "import", str(ADVISORIES))
    assert code == 0, err
    return cli


def test_acceptance_high_match_fails_then_vex_clears_it(imported: Cli, tmp_path: Path) -> None:
    sarif = tmp_path / "out.sarif"
    code, _, err = imported(
        "sbom",
        "check",
        str(HANDMADE / "zlib-only.cdx.json"),
        "--fail-on",
        "high",
        "--format",
        "sarif",
        "-o",
        str(sarif),
    )
    assert code == 1, err
    log = json.loads(sarif.read_text())
    jsonschema.validate(log, SARIF_SCHEMA)
    run = log["runs"][0]
    assert [r["id"] for r in run["tool"]["driver"]["rules"]] == ["CVE-2023-45853"]
    result = run["results"][0]
    location = result["locations"][0]
    assert location["physicalLocation"]["artifactLocation"]["uri"].endswith("zlib-only.cdx.json")
    assert location["physicalLocation"]["region"]["startLine"] > 1
    assert location["logicalLocations"][0]["fullyQualifiedName"] == "pkg:generic/zlib@1.2.13"
    assert run["tool"]["driver"]["rules"][0]["properties"]["security-severity"] == "8.8"  # CISA ADP CVSS 3.1

    code, _, err = imported(
        "sbom",
        "check",
        str(HANDMADE / "zlib-only.cdx.json"),
        "--fail-on",
        "high",
        "--format",
        "sarif",
        "-o",
        str(sarif),
        "--vex",
        str(HANDMADE / "zlib-not-affected.openvex.json"),
    )
    assert code == 0, err
    log = json.loads(sarif.read_text())
    jsonschema.validate(log, SARIF_SCHEMA)
    assert log["runs"][0]["results"][0]["suppressions"][0]["status"] == "accepted"


def test_fail_on_kev_and_thresholds(imported: Cli) -> None:
    gateway = str(HANDMADE / "gateway.cdx.json")
    assert imported("sbom", "check", gateway)[0] == 0
    assert imported("sbom", "check", gateway, "--fail-on", "critical")[0] == 0  # nothing critical at medium+ confidence
    assert imported("sbom", "check", gateway, "--fail-on", "high")[0] == 1  # CVE-2023-45853 (8.8), CVE-2024-6119 (7.5)
    # the KEV match (linux-kernel by name) is low confidence: it counts only when asked for
    assert imported("sbom", "check", gateway, "--fail-on-kev")[0] == 0
    code, out, _ = imported(
        "sbom", "check", gateway, "--fail-on-kev", "--name-matching", "--min-confidence", "low", "--format", "json"
    )
    assert code == 1
    kev = [m for m in json.loads(out)["matches"] if m["kev"]]
    assert [m["vulnerability"] for m in kev] == ["CVE-2024-1086"]


def test_cyclonedx_vex_and_openvex_out(imported: Cli) -> None:
    from cyclonedx.schema import SchemaVersion
    from cyclonedx.validation.json import JsonStrictValidator

    args = (
        "sbom",
        "check",
        str(HANDMADE / "zlib-only.cdx.json"),
        "--vex",
        str(HANDMADE / "zlib-not-affected.openvex.json"),
    )
    code, out, _ = imported(*args, "--format", "cyclonedx-vex")
    assert code == 0
    assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(out) is None
    vuln = json.loads(out)["vulnerabilities"][0]
    assert vuln["analysis"] == {
        "state": "not_affected",
        "justification": "code_not_present",
        "detail": "minizip is not built into this image",
    }
    assert vuln["affects"][0]["ref"] == "urn:uuid:5d1e0c2a-9b7e-4f3a-8c6d-1e2f3a4b5c6d/1#zlib"
    code, out, _ = imported(*args, "--format", "openvex")
    statement = json.loads(out)["statements"][0]
    assert (statement["status"], statement["justification"]) == ("not_affected", "vulnerable_code_not_present")


def test_no_components_is_exit_2(imported: Cli, tmp_path: Path) -> None:
    empty = tmp_path / "empty.cdx.json"
    empty.write_text('{"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1, "components": []}')
    code, _, err = imported("sbom", "check", str(empty), "--fail-on", "low")
    assert code == 2 and "no components" in err


def test_input_and_usage_errors_are_exit_2(imported: Cli, tmp_path: Path) -> None:
    assert imported("sbom", "check", str(tmp_path / "missing.json"))[0] == 2
    assert imported("sbom", "check", str(DATA / "sbom" / "vex" / "intel-csme.vex.json"))[0] == 2


def test_without_database_is_exit_2(cli: Cli) -> None:
    code, _, err = cli("sbom", "check", str(HANDMADE / "zlib-only.cdx.json"))
    assert code == 2 and "advisories import" in err


def test_advisories_given_as_files_are_imported_on_the_fly(cli: Cli) -> None:
    code, out, _ = cli(
        "sbom",
        "check",
        str(HANDMADE / "zlib-only.cdx.json"),
        "--advisories",
        str(ADVISORIES / "CVE-2023-45853.json"),
        "--format",
        "json",
    )
    assert code == 0 and json.loads(out)["matches"][0]["vulnerability"] == "CVE-2023-45853"


def test_sarif_stays_within_github_limits() -> None:
    from xposture.advisories.match import Match, Target
    from xposture.reports.sarif_sbom import sbom_sarif

    big = "x" * 2000
    items = []
    for i in range(30_000):
        target = Target("component", f"component:c{i}", name=f"c{i}", version="1.0", purl=f"pkg:generic/c{i}@1.0")
        vuln = {
            "id": f"CVE-2024-{i:05d}",
            "severity": "high",
            "summary": big,
            "references": [],
            "cwes": [],
            "source": "cve5",
        }
        items.append((Match(target, vuln["id"], [], vuln, "purl", 0.95, "k", "<2", "2", True, False), "sbom.json", 3))
    log = sbom_sarif(items)
    assert len(log["runs"][0]["results"]) <= 25_000
    assert len(gzip.compress(json.dumps(log).encode())) <= 10 * 1024 * 1024
    assert log["runs"][0]["properties"]["truncated"] is True


def test_advisories_status_and_staleness(imported: Cli) -> None:
    code, out, _ = imported("advisories", "status", "--format", "json")
    status = json.loads(out)
    assert code == 0 and status["advisories"] == 8 and not status["stale"]
    code, _, err = imported("advisories", "status", "--max-age-days", "-1", "--fail-stale")
    assert code == 1 and "stale" in err
    code, _, err = imported("advisories", "import", str(ADVISORIES))
    assert code == 0 and "8 unchanged" in err


def test_example_plant_gateway_firmware(cli: Cli) -> None:
    plant = REPO / "examples" / "plant"
    assert cli("advisories", "import", str(plant / "advisories"))[0] == 0
    code, out, _ = cli(
        "sbom",
        "check",
        str(plant / "firmware" / "gateway-fw-2.4.1.cdx.json"),
        "--vex",
        str(plant / "vex"),
        "--format",
        "json",
    )
    assert code == 0
    found = {(m["component"]["name"], m["vulnerability"]): m["vex"]["status"] for m in json.loads(out)["matches"]}
    assert found[("zlib", "CVE-2023-45853")] == "not_affected"
    assert ("linux", "CVE-2024-1086") in found and ("openssl", "CVE-2024-6119") in found


def test_stale_database_warns_or_fails(imported: Cli) -> None:
    zlib = str(HANDMADE / "zlib-only.cdx.json")
    code, _, err = imported("sbom", "check", zlib, "--max-age-days", "-1")
    assert code == 0 and "last imported" in err
    code, _, err = imported("sbom", "check", zlib, "--max-age-days", "-1", "--fail-stale")
    assert code == 2 and "last imported" in err


def test_a_folder_of_sboms(imported: Cli) -> None:
    code, out, err = imported("sbom", "check", str(HANDMADE), "--format", "json")
    assert code == 0 and "skipped" in err  # the OpenVEX and CSV files in the folder are not SBOMs
    assert {m["component"]["name"] for m in json.loads(out)["matches"]} >= {"zlib", "openssl"}
