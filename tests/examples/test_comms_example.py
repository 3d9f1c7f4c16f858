"""The fab1 example's comms layer runs offline and shows its findings; with the pcap layer, the contradicted links too."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import REPO
from xposture.scanners.base import available_scanners

INVENTORY = REPO / "examples" / "plant" / "inventory"


@pytest.fixture
def comms_findings(cli: Callable[..., tuple[int, str, str]], tmp_path: Path) -> dict[tuple[str, str], dict]:
    out = tmp_path / "scan.json"
    code, _, err = cli("scan", str(INVENTORY), "--format", f"json={out}")
    assert code == 0, err
    document = json.loads(out.read_text())
    return {(f["rule"]["name"], f["asset"]): f for f in document["findings"] if f["rule"]["name"].startswith("comms.")}


def test_offline_certificates_and_saved_scan(comms_findings: dict[tuple[str, str], dict]) -> None:
    expected = {
        ("comms.cert_expired", "ip:fab1/10.0.1.4"),
        ("comms.cert_weak_key", "ip:fab1/10.0.1.4"),
        ("comms.cert_self_signed", "ip:fab1/10.0.1.20"),
        ("comms.cert_hostname_mismatch", "ip:fab1/10.0.1.20"),
        ("comms.tls_obsolete_protocol", "ip:fab1/10.0.1.21"),
        ("comms.tls_null_or_anonymous_suite", "ip:fab1/10.0.1.21"),
        ("comms.unencrypted_vendor_remote_access", "link:vendor-remote-access-cell-a"),
        ("comms.cellular_link_unencrypted", "link:vendor-remote-access-cell-a"),
        ("comms.link_encryption_undeclared", "link:historian-replication"),
        ("comms.link_weak_endpoint", "link:historian-replication"),
    }
    assert expected <= set(comms_findings)


def test_declared_encrypted_links_contradicted_by_the_captures(comms_findings: dict[tuple[str, str], dict]) -> None:
    if "pcap" not in available_scanners() or not (INVENTORY / "ot.yaml").exists():
        pytest.skip("the pcap scanner and examples/plant/inventory/ot.yaml (pcap layer) are not in this checkout")
    modbus = comms_findings[("comms.declared_encrypted_link_carries_cleartext", "link:enterprise-to-cell-b")]
    assert modbus["evidence"]["link.observed_cleartext_protocols"] == ["modbus"]
    mqtt = comms_findings[("comms.declared_encrypted_link_carries_cleartext", "link:iiot-gateway-to-cloud-broker")]
    assert mqtt["evidence"]["link.observed_cleartext_protocols"] == ["mqtt"]
