"""``xposture scan`` over an inventory naming loopback peers: loader validation, pipeline drain, rules, coverage."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.peers.certs import make_cert
from tests.peers.openssl_server import openssl_server
from tests.peers.sshd import WEAK, sshd

pytestmark = pytest.mark.peer


def test_scan_command_with_live_comms_sources(cli: Callable[..., tuple[int, str, str]], tmp_path: Path) -> None:
    cert = make_cert(tmp_path / "certs", "cli", expired=True)
    with (
        openssl_server(cert, ["-tls1", "-cipher", "ALL:@SECLEVEL=0"]) as tls_port,
        sshd(tmp_path / "sshd", WEAK, [("rsa", 1024)]) as ssh_port,
    ):
        inventory = tmp_path / "inventory.yaml"
        inventory.write_text(
            f"""
sites:
  - name: lab
    scopes: [127.0.0.0/8]
    sources:
      - {{scanner: tls, endpoints: ["127.0.0.1:{tls_port}", "192.0.2.1:443"], trust_store: [{cert.ca}], timeout_s: 3}}
      - {{scanner: ssh, endpoints: ["127.0.0.1:{ssh_port}"], per_host_limit: 2}}
links:
  - {{name: lab-ssh, from: lab, to: 127.0.0.1/32, transport: ssh, encrypted: true, endpoints: ["127.0.0.1:{ssh_port}"]}}
"""
        )
        out = tmp_path / "scan.json"
        code, _, err = cli("scan", str(inventory), "--format", f"json={out}")
    assert code == 0, err
    document = json.loads(out.read_text())
    rules = {f["rule"]["name"] for f in document["findings"]}
    assert {
        "comms.tls_obsolete_protocol",
        "comms.cert_expired",
        "comms.ssh_weak_kex",
        "comms.link_weak_endpoint",
    } <= rules
    coverage = {(c["scanner"], c["target"]): c["status"] for c in document["coverage"]}
    assert coverage[("tls", f"127.0.0.1:{tls_port}")] == "ok"
    assert coverage[("tls", "192.0.2.1:443")] == "skipped"  # outside every scope: nothing sent
    assert any(a["scanner"] == "ssh" for a in document["audit"])
    assert not any("192.0.2.1" in a["target"] for a in document["audit"])


def test_inventory_rejects_a_bad_option_type(cli: Callable[..., tuple[int, str, str]], tmp_path: Path) -> None:
    inventory = tmp_path / "inventory.yaml"
    inventory.write_text("sites:\n  - name: lab\n    sources:\n      - {scanner: tls, endpoints: 127.0.0.1:443}\n")
    code, _, err = cli("scan", str(inventory))
    assert code == 2 and "endpoints" in err
