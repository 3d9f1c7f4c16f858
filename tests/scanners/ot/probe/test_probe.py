"""ot_probe against real responders on loopback: pymodbus's server and small ENIP/S7/BACnet peers."""

from __future__ import annotations

import asyncio
import ipaddress
from pathlib import Path
from typing import Any

import pytest

from tests.peers.bacnet_responder import UdpResponder, bacnet_responder  # noqa: F401
from tests.peers.enip_responder import Responder, enip_responder, start_enip  # noqa: F401
from tests.peers.modbus_server import ModbusServer, modbus_server  # noqa: F401
from tests.peers.s7_responder import s7_responder  # noqa: F401
from tests.scanners.ot.snmp.helpers import assert_fields_listed
from xposture.errors import ScannerError
from xposture.model import Record
from xposture.scanners.base import SafetyPolicy, ScanContext, SourceConfig
from xposture.scanners.ot.probe.scanner import OtProbeScanner

pytestmark = pytest.mark.peer


def context(tmp_path: Path) -> ScanContext:
    return ScanContext(safety=SafetyPolicy(scopes=[ipaddress.ip_network("127.0.0.0/8")]), data_dir=tmp_path)


def probe(options: dict[str, Any], ctx: ScanContext) -> list[Record]:
    source = SourceConfig("ot_probe", options, Path("."), site="fab1")

    async def collect() -> list[Record]:
        return [r async for r in OtProbeScanner().scan(source, ctx)]

    records = asyncio.run(collect())
    assert_fields_listed(records)
    return records


def test_disabled_unless_the_inventory_enables_it(modbus_server: ModbusServer, tmp_path: Path) -> None:  # noqa: F811
    ctx = context(tmp_path)
    assert (
        probe({"targets": ["127.0.0.1"], "protocols": ["modbus"], "ports": {"modbus": modbus_server.port}}, ctx) == []
    )
    assert ctx.coverage[0].status == "skipped" and "enabled" in ctx.coverage[0].detail
    assert ctx.audit_log == []


def test_modbus_device_identification_with_the_configured_unit(modbus_server: ModbusServer, tmp_path: Path) -> None:  # noqa: F811
    ctx = context(tmp_path)
    options = {
        "targets": ["127.0.0.1"],
        "protocols": ["modbus"],
        "enabled": True,
        "modbus_unit_id": modbus_server.unit_id,
        "ports": {"modbus": modbus_server.port},
    }
    [record] = probe(options, ctx)
    assert record["record.type"] == "ot_identity"
    assert record["asset.id"] == "ip:fab1/127.0.0.1"
    assert record["identity.vendor"] == "Schneider Electric"
    assert record["identity.model"] == "BMX P34 2020"
    assert record["identity.firmware"] == "3.10"
    assert record["identity.product_code"] == "BMXP342020"
    assert record["modbus.unit_id"] == 1
    assert record["ot.identity_sources"] == ["modbus_device_identification"]
    assert record["probe.requests"] == 1
    assert len(ctx.audit_log) == 1 and "unit 1" in ctx.audit_log[0]["sent"]


def test_enip_list_identity(enip_responder: Responder, tmp_path: Path) -> None:  # noqa: F811
    ctx = context(tmp_path)
    options = {"targets": ["127.0.0.1"], "protocols": ["enip"], "enabled": True, "ports": {"enip": enip_responder.port}}
    [record] = probe(options, ctx)
    assert record["identity.vendor"] == "Rockwell Automation/Allen-Bradley"
    assert record["identity.model"] == "1756-L83E/B LOGIX5583E"
    assert record["identity.firmware"] == "33.011"
    assert record["identity.serial"] == "c0ffee42" and record["asset.serial"] == "c0ffee42"
    assert record["enip.device_type_name"] == "programmable logic controller"
    assert len(enip_responder.requests) == 1


def test_s7_read_szl(s7_responder: Responder, tmp_path: Path) -> None:  # noqa: F811
    ctx = context(tmp_path)
    options = {"targets": ["127.0.0.1"], "protocols": ["s7"], "enabled": True, "ports": {"s7": s7_responder.port}}
    [record] = probe(options, ctx)
    assert record["identity.vendor"] == "Siemens"
    assert record["identity.model"] == "6ES7 515-2AM01-0AB0"
    assert record["identity.firmware"] == "2.8.3"
    assert record["probe.requests"] == 3
    assert [a["sent"] for a in ctx.audit_log] == record["probe.sent"]


def test_bacnet_device_object(bacnet_responder: UdpResponder, tmp_path: Path) -> None:  # noqa: F811
    ctx = context(tmp_path)
    options = {
        "targets": ["127.0.0.1"],
        "protocols": ["bacnet"],
        "enabled": True,
        "ports": {"bacnet": bacnet_responder.port},
    }
    [record] = probe(options, ctx)
    assert (record["identity.vendor"], record["identity.model"], record["identity.firmware"]) == (
        "Example Controls",
        "DDC-500",
        "4.2.1",
    )
    assert record["identity.name"] == "AHU-3 controller"
    assert record["bacnet.device_instance"] == 1234 and record["bacnet.vendor_id"] == 42


def test_hostile_and_silent_devices_are_errors_not_crashes(tmp_path: Path) -> None:
    hostile = start_enip("hostile")
    try:
        ctx = context(tmp_path)
        options = {
            "targets": ["127.0.0.1", "10.1.2.3"],
            "protocols": ["enip", "s7"],
            "enabled": True,
            "ports": {"enip": hostile.port, "s7": 9},
            "timeout_s": 1,
        }
        records = probe(options, ctx)
    finally:
        hostile.stop()
    [record] = records
    assert record["probe.answered"] is False and "too long" in str(record["probe.error"])
    statuses = {c.target: c.status for c in ctx.coverage}
    assert statuses[f"127.0.0.1:{hostile.port}"] == "failed"
    assert statuses["127.0.0.1:9"] == "failed"  # connection refused
    assert statuses["10.1.2.3"] == "skipped"
    assert all(a["target"].startswith("127.0.0.1:") for a in ctx.audit_log)


@pytest.mark.parametrize("protocol", ["iec104", "profinet_dcp", "modbus_sweep"])
def test_unsafe_protocols_do_not_exist(protocol: str, tmp_path: Path) -> None:
    ctx = context(tmp_path)
    with pytest.raises(ScannerError):
        probe({"targets": ["127.0.0.1"], "protocols": [protocol], "enabled": True}, ctx)
    assert ctx.audit_log == []
