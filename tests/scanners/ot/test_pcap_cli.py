"""End to end through the CLI: inventory -> pcap scanner -> enrichers -> ot pack -> JSON."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from .conftest import REPO, shared_pcaps

EXAMPLE = REPO / "examples" / "plant" / "inventory" / "ot.yaml"


def run_json(cli: Callable[..., tuple[int, str, str]], inventory: Path, tmp_path: Path) -> dict:
    out = tmp_path / "scan.json"
    code, _stdout, stderr = cli("-q", "scan", str(inventory), "--only", "ot", "--format", f"json={out}")
    assert code in (0, 1), stderr
    return json.loads(out.read_text())


def test_example_plant_inventory(cli: Callable[..., tuple[int, str, str]], tmp_path: Path) -> None:
    doc = run_json(cli, EXAMPLE, tmp_path)
    rules = {f["rule"]["name"] for f in doc["findings"]}
    assert {
        "ot.mode_change_from_non_engineering_host",
        "ot.device_restart_from_non_engineering_host",
        "ot.it_to_control_direct",
        "ot.zone_crossing_without_conduit",
        "ot.ot_internet_communication",
        "ot.anonymous_login_accepted",
        "ot.opcua_security_none",
        "ot.uninventoried_ot_device",
    } <= rules
    downloads = {
        f["asset"] for f in doc["findings"] if f["rule"]["name"] == "ot.program_download_from_non_engineering_host"
    }
    assert "ip:fab1/192.168.10.120" in downloads  # CIP download transfer from 192.168.10.105
    assert "ip:fab1/192.168.1.40" not in downloads  # the S7 download came from engineering host 192.168.1.10
    assert all(f["layer"] == "ot" for f in doc["findings"])
    broker = {f["rule"]["name"] for f in doc["findings"] if f["asset"] == "ip:fab1/198.41.30.241"}
    assert "ot.ot_internet_communication" in broker  # the conversation with the internet broker is the finding...
    assert not broker & {"ot.uninventoried_ot_device", "ot.internet_exposed_ot_device"}  # ...not the broker itself
    assert {c["status"] for c in doc["coverage"]} == {"ok"}
    identities = {a["identity"].get("model") for a in doc["assets"]}
    assert {"1756-ENBT/A", "6ES7 315-2EH14-0AB0"} <= identities
    zones = {a["id"]: a.get("zone") for a in doc["assets"]}
    assert zones["ip:fab1/192.168.10.120"] == "cell-a"


@pytest.mark.slow
def test_inventory_over_the_shared_corpus(cli: Callable[..., tuple[int, str, str]], tmp_path: Path) -> None:
    corpus = shared_pcaps()
    inventory = tmp_path / "ot.yaml"
    inventory.write_text(
        "sites:\n"
        "  - name: corpus\n"
        "    zones:\n"
        "      - {name: control, cidrs: [192.168.0.0/16, 10.0.0.0/8, 172.16.0.0/12], level: 1}\n"
        f"    sources:\n      - {{scanner: pcap, paths: ['{corpus}']}}\n"
    )
    doc = run_json(cli, inventory, tmp_path)
    assert doc["summary"]["records"]["ot_device"] > 50
    models = {a["identity"].get("model") for a in doc["assets"]}
    assert {"1756-ENBT/A", "6ES7 315-2EH14-0AB0", "e-terracomm"} <= models
    assert {"ot.cleartext_credentials", "ot.default_snmp_community", "ot.password_guessing"} <= {
        f["rule"]["name"] for f in doc["findings"]
    }
