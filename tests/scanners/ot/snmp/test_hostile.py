"""Hostile agents: escape sequences, wrong types, oversized values and garbage datagrams never crash a scan."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.peers.hostile_snmp import Hostile, hostile_agent  # noqa: F401
from tests.peers.snmpsim import SnmpSim, free_udp_port, start_snmpsim
from tests.scanners.ot.snmp.helpers import by_type, loopback_context, scan

pytestmark = pytest.mark.peer

ESCAPES = "\x1b[2J\x1b[31mMOXA EDS-408A\x1b]0;owned\x07 V3.8\x00\x9b1m"
OVERSIZED = "A" * 20000


def hostile_recording() -> str:
    lines = [
        f"1.3.6.1.2.1.1.1.0|4x|{ESCAPES.encode('utf-8').hex()}",
        "1.3.6.1.2.1.1.2.0|4|1.3.6.1.4.1.8691.7.1",  # sysObjectID as a string
        "1.3.6.1.2.1.1.3.0|4|yesterday",  # sysUpTime as a string
        "1.3.6.1.2.1.1.4.0|2|42",  # sysContact as an integer
        f"1.3.6.1.2.1.1.5.0|4|{OVERSIZED}",
        "1.3.6.1.2.1.1.6.0|4x|" + b"plant\x00floor\x1b[5m".hex(),
        "1.3.6.1.2.1.2.2.1.2.1|4|eth0",
        "1.3.6.1.2.1.2.2.1.6.1|4x|0011",  # a 2-byte MAC
        "1.3.6.1.2.1.47.1.1.1.1.5.1|2|3",
        "1.3.6.1.2.1.47.1.1.1.1.11.1|2|12345",  # serial as an integer
        "1.3.6.1.2.1.47.1.1.1.1.13.1|4x|" + b"\x1b[1mEDS\x1b[0m".hex(),
        "1.3.6.1.2.1.47.1.1.1.1.13.2|4x|" + ("B" * 4000).encode().hex(),
    ]
    return _sorted(lines)


def lldp_recording() -> str:
    rem = "1.0.8802.1.1.2.1.4.1.1"
    lines = [
        "1.0.8802.1.1.2.1.3.2.0|4x|001b1b123456",
        "1.0.8802.1.1.2.1.3.3.0|4|cell-a-sw1",
        "1.0.8802.1.1.2.1.3.7.1.3.5|4|Gi0/5",
        "1.3.6.1.2.1.1.1.0|4|Hirschmann RSP35 HiOS-2A-08.0.00",
        "1.3.6.1.2.1.1.2.0|6|1.3.6.1.4.1.248.11.2",
        f"{rem}.4.0.5.1|2|4",
        f"{rem}.5.0.5.1|4x|0007ed112233",
        f"{rem}.6.0.5.1|2|5",
        f"{rem}.7.0.5.1|4|X1",
        f"{rem}.8.0.5.1|4|PROFINET port 1",
        f"{rem}.9.0.5.1|4|plc-cell-a",
        f"{rem}.10.0.5.1|4|Siemens, SIMATIC S7, CPU-1500, 6ES7 515-2AM01-0AB0, HW: 7, FW: V2.8.3",
        f"{rem}.12.0.5.1|4x|2800",
        "1.0.8802.1.1.2.1.4.2.1.4.0.5.1.1.4.10.10.1.5|2|2",
    ]
    return _sorted(lines)


def _sorted(lines: list[str]) -> str:
    """snmpsim binary-searches its recordings: lines must be in OID order."""
    return "\n".join(sorted(lines, key=lambda line: tuple(int(n) for n in line.split("|")[0].split(".")))) + "\n"


@pytest.fixture(scope="module")
def crafted_agent(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SnmpSim]:
    workdir = tmp_path_factory.mktemp("crafted")
    (workdir / "hostile.snmprec").write_text(hostile_recording())
    (workdir / "lldp.snmprec").write_text(lldp_recording())
    sim = start_snmpsim(
        [workdir / "hostile.snmprec", workdir / "lldp.snmprec"], workdir / "sim", [("127.0.0.1", free_udp_port())]
    )
    yield sim
    sim.stop()


def _scan_community(sim: SnmpSim, community: str, tmp_path: Path) -> tuple[list[dict[str, object]], object]:
    ctx = loopback_context(tmp_path, {"C": community})
    records = scan(
        {"targets": [f"127.0.0.1:{sim.port}"], "communities": "env:C", "retries": 0, "versions": ["v2c"]}, ctx
    )
    return records, ctx


def test_escape_sequences_are_stripped_and_reported(crafted_agent: SnmpSim, tmp_path: Path) -> None:
    records, ctx = _scan_community(crafted_agent, "hostile", tmp_path)
    agent = by_type(records, "snmp_agent")[0]
    for record in records:
        for value in record.values():
            for text in value if isinstance(value, list) else [value]:
                assert not any(ch in str(text) for ch in "\x1b\x00\x07\x9b"), record["record.type"]
    assert agent["system.descr"].startswith("MOXA EDS-408A")  # type: ignore[union-attr]
    assert agent["identity.vendor"] == "Moxa"
    errors = agent["snmp.errors"]
    assert any("sysDescr" in e and "escape" in e for e in errors)  # type: ignore[union-attr]
    assert any("sysObjectID: expected OBJECT IDENTIFIER" in e for e in errors)  # type: ignore[union-attr]
    assert any("sysUpTime: expected a number" in e for e in errors)  # type: ignore[union-attr]
    assert any("sysContact: expected OCTET STRING" in e for e in errors)  # type: ignore[union-attr]
    assert any("sysName" in e and "truncated" in e for e in errors)  # type: ignore[union-attr]
    assert len(str(agent["system.name"])) <= 256
    assert "system.uptime_s" not in agent and "system.object_id" not in agent
    hardware = by_type(records, "device_hardware")
    assert all(len(str(h.get("hardware.model", ""))) <= 256 for h in hardware)
    assert any("entPhysical serial.1: expected OCTET STRING" in e for e in errors)  # type: ignore[union-attr]
    interface = by_type(records, "snmp_interface")[0]
    assert "interface.mac" not in interface and "asset.mac" not in interface
    assert ctx.coverage[0].status == "partial"  # type: ignore[attr-defined]


def test_lldp_neighbours_become_comms_links(crafted_agent: SnmpSim, tmp_path: Path) -> None:
    records, _ = _scan_community(crafted_agent, "lldp", tmp_path)
    link = by_type(records, "comms_link")[0]
    assert link["link.kind"] == "lldp"
    assert link["link.local_port"] == "Gi0/5"
    assert link["link.local_chassis_id"] == "00:1b:1b:12:34:56"
    assert link["link.remote_chassis_id"] == "00:07:ed:11:22:33"
    assert link["link.remote_mac"] == "00:07:ed:11:22:33"
    assert link["link.remote_port"] == "X1"
    assert link["link.remote_device"] == "plc-cell-a"
    assert link["link.remote_address"] == "10.10.1.5"
    assert link["link.local_device"] == "cell-a-sw1"
    assert link["link.local_address"] == "127.0.0.1"
    assert link["link.remote_capabilities"] == ["bridge", "router"]
    agent = by_type(records, "snmp_agent")[0]
    assert agent["identity.vendor"] == "Hirschmann" and agent["identity.firmware"] == "08.0.00"


def test_garbage_datagrams_time_out_cleanly(hostile_agent: Hostile, tmp_path: Path) -> None:  # noqa: F811
    ctx = loopback_context(tmp_path, {"C": "public"})
    options = {
        "targets": [f"{hostile_agent.host}:{hostile_agent.port}"],
        "communities": "env:C",
        "timeout_s": 0.3,
        "retries": 0,
    }
    assert scan(options, ctx) == []
    assert hostile_agent.received  # it was asked
    assert [c.status for c in ctx.coverage] == ["timeout"]
