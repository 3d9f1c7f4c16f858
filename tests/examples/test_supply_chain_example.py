"""The example plant end to end: firmware SBOM findings, and the CISA finding of a device seen in a capture."""

from __future__ import annotations

import json
from collections.abc import Callable

from tests.conftest import REPO

Cli = Callable[..., tuple[int, str, str]]


def test_example_supply_chain_scan(cli: Cli) -> None:
    code, out, err = cli(
        "scan",
        str(REPO / "examples" / "plant" / "inventory"),
        "--format",
        "json",
        "--fail-on",
        "high",
    )
    assert code == 1, err
    report = json.loads(out)
    by_rule: dict[str, set[str]] = {}
    for finding in report["findings"]:
        by_rule.setdefault(finding["rule"]["name"], set()).add(finding["asset"])
    # the 1756-ENBT/A the pcap source reads from enip_test.pcap is named by ICSA-26-246-05 (all versions, no fix)
    assert "ip:fab1/10.1.1.164" in by_rule["supply_chain.ot_device_vulnerable_firmware"]
    assert "ip:fab1/10.1.1.164" in by_rule["supply_chain.vulnerability_without_fix"]
    assert by_rule["supply_chain.known_exploited_vulnerability"] == {"firmware:cell-gateway-firmware@2.4.1"}
    assert "supply_chain.critical_vulnerability_in_component" in by_rule
    # zlib's CVE-2023-45853 is not_affected per the example VEX: no finding names it
    assert not [f for f in report["findings"] if f["evidence"].get("vuln.id") == "CVE-2023-45853"]
    supply = [c for c in report["coverage"] if c["scanner"] in ("sbom", "enricher:vulnerabilities")]
    assert supply and {c["status"] for c in supply} == {"ok"}
