"""Offline recordings: every copied device recording yields its identity, through the real scanner."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import shared_data_or_skip
from tests.scanners.ot.snmp.helpers import by_type, loopback_context, scan
from xposture.errors import InputError
from xposture.scanners.ot.snmp.recordings import parse_snmprec, parse_walk, read_recording

DATA = Path(__file__).resolve().parents[3] / "data" / "snmp"

EXPECTED = {
    # recording: (vendor, model, firmware)
    "apc-8641": ("APC", "AP8641", "6.7.2"),
    "cisco-c3560": ("Cisco", "WS-C3560G-48TS-E", "12.2(55)SE3"),
    "eaton-93e-80": ("Eaton", "EATON 93E 80", "2.08.0011"),
    "geist-temperature-sensor": ("Vertiv", "Geist WD15", "3.4.0"),
    "hp-onboard-administrator": ("HP", "BladeSystem c7000 Enclosure G2", "3.60"),
    "huawei-gse200m": ("Huawei", "UPS5000", "V100R001C10B003SP00"),
    "metel-poe-box": ("Metel", "2G-2S.0.2.F-BOX-PoE (M-PoE)", "60.7050"),
    "paloalto-pa-5000": ("Palo Alto Networks", "PA-5050", "8.0.1"),
    "tripplite-poweralert": ("Tripp Lite", None, "15.5.4"),
    "ubiquiti-m5": ("Ubiquiti", "NanoStation M5", "XW.ar934x.v5.6-beta4.22359.140521.1836"),
    "windows-xp": ("Microsoft", None, "5.1 build 2600"),
    "linux-slackware": (None, None, "2.6.21.5-smp"),
    "cts-media-converter": ("Connection Technology Systems", None, None),
}


@pytest.fixture(scope="module")
def offline_records(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, object]]:
    ctx = loopback_context(tmp_path_factory.mktemp("offline"))
    return scan({"paths": [str(DATA)]}, ctx)


def test_every_recording_has_an_agent_record(offline_records: list[dict[str, object]]) -> None:
    agents = {str(r["asset.id"]).removeprefix("snmp:"): r for r in by_type(offline_records, "snmp_agent")}
    assert set(agents) == set(EXPECTED)
    for name, (vendor, model, firmware) in EXPECTED.items():
        agent = agents[name]
        assert agent.get("identity.vendor") == vendor, name
        assert agent.get("identity.model") == model, name
        assert agent.get("identity.firmware") == firmware, name
        assert agent["snmp.offline"] is True


def test_apc_firmware_and_serial_from_the_card(offline_records: list[dict[str, object]]) -> None:
    apc = next(r for r in by_type(offline_records, "snmp_agent") if r["asset.id"] == "snmp:apc-8641")
    assert apc["identity.os"] == "AOS"
    assert apc["identity.os_version"] == "6.7.2"
    assert apc["identity.hardware"] == "02"
    assert apc["system.object_id"] == "1.3.6.1.4.1.318.1.3.4.6"
    assert apc["snmp.enterprise_number"] == 318


def test_entity_mib_hardware_where_recorded(offline_records: list[dict[str, object]]) -> None:
    hardware = by_type(offline_records, "device_hardware")
    cisco = [r for r in hardware if r["asset.id"] == "snmp:cisco-c3560"]
    chassis = next(r for r in cisco if r.get("hardware.class") == "chassis")
    assert chassis["hardware.serial"] == "FOC1408Z61U"
    assert chassis["hardware.model"] == "WS-C3560G-48TS-E"
    assert chassis["source.oid"].startswith("1.3.6.1.2.1.47.1.1.1.1.2.")
    palo = [r for r in hardware if r["asset.id"] == "snmp:paloalto-pa-5000"]
    assert palo and palo[0]["hardware.software_rev"] == "8.0.1"


def test_interfaces_carry_macs_for_the_asset_merge(offline_records: list[dict[str, object]]) -> None:
    interfaces = [r for r in by_type(offline_records, "snmp_interface") if r["asset.id"] == "snmp:cisco-c3560"]
    macs = [r["asset.mac"] for r in interfaces if "asset.mac" in r]
    assert macs and all(len(str(m)) == 17 and str(m) == str(m).lower() for m in macs)


def test_addresses_option_maps_a_recording_to_an_ip_asset(tmp_path: Path) -> None:
    ctx = loopback_context(tmp_path)
    records = scan({"paths": [str(DATA / "eaton-93e-80.snmprec")], "addresses": {"eaton-93e-80": "10.10.1.20"}}, ctx)
    agent = by_type(records, "snmp_agent")[0]
    assert agent["asset.id"] == "ip:fab1/10.10.1.20"
    assert agent["asset.ip"] == "10.10.1.20"
    assert agent["asset.serial"] == "4K234LXX06"
    assert ctx.coverage[0].status == "ok"


def test_walk_output_reads_like_the_recording(tmp_path: Path) -> None:
    walk = parse_walk(
        '.1.3.6.1.2.1.1.1.0 = STRING: "Siemens, SIMATIC NET, SCALANCE X208, 6GK5 208-0BA10-2AA3, HW: 7, FW: V4.03"\n'
        ".1.3.6.1.2.1.1.2.0 = OID: .1.3.6.1.4.1.4329.6.1.2\n"
        ".1.3.6.1.2.1.1.3.0 = Timeticks: (12345) 0:02:03.45\n"
        ".1.3.6.1.2.1.2.2.1.6.1 = Hex-STRING: 00 1B 1B 12 34 56 \n"
        '.1.3.6.1.2.1.1.4.0 = STRING: "line one\nline two"\n'
        ".1.3.6.1.2.1.2.2.1.7.1 = INTEGER: up(1)\n"
    )
    path = tmp_path / "scalance.walk"
    path.write_text("")
    assert walk.get((1, 3, 6, 1, 2, 1, 1, 3, 0)).value == 12345  # type: ignore[union-attr]
    assert walk.get((1, 3, 6, 1, 2, 1, 2, 2, 1, 7, 1)).value == 1  # type: ignore[union-attr]
    assert walk.get((1, 3, 6, 1, 2, 1, 1, 4, 0)).value == b"line one\nline two"  # type: ignore[union-attr]
    lines = [
        '.1.3.6.1.2.1.1.1.0 = STRING: "Siemens, SIMATIC NET, SCALANCE X208, 6GK5 208-0BA10-2AA3, HW: 7, FW: V4.03"',
        ".1.3.6.1.2.1.1.2.0 = OID: .1.3.6.1.4.1.4329.6.1.2",
        ".1.3.6.1.2.1.2.2.1.6.1 = Hex-STRING: 00 1B 1B 12 34 56 ",
    ]
    path.write_text("\n".join(lines) + "\n")
    records = scan({"paths": [str(path)]}, loopback_context(tmp_path))
    agent = by_type(records, "snmp_agent")[0]
    assert (agent["identity.vendor"], agent["identity.model"], agent["identity.firmware"]) == (
        "Siemens",
        "SCALANCE X208",
        "4.03",
    )
    assert agent["identity.product_code"] == "6GK5 208-0BA10-2AA3"


def test_broken_recording_is_an_input_error_with_its_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.snmprec"
    bad.write_text("1.3.6.1.2.1.1.1.0|4|fine\nnot a line\n")
    with pytest.raises(InputError) as caught:
        read_recording(bad)
    assert caught.value.line == 2
    ctx = loopback_context(tmp_path)
    with pytest.raises(InputError):
        scan({"paths": [str(bad)]}, ctx)
    assert ctx.coverage[0].status == "failed"


def test_one_broken_recording_does_not_hide_the_others(tmp_path: Path) -> None:
    (tmp_path / "bad.snmprec").write_text("1.3.6.1.2.1.1.1.0|99|what\n")
    (tmp_path / "good.snmprec").write_text("1.3.6.1.2.1.1.1.0|4|EATON 9PX\n1.3.6.1.2.1.1.2.0|6|1.3.6.1.4.1.534.1\n")
    ctx = loopback_context(tmp_path)
    records = scan({"paths": [str(tmp_path)]}, ctx)
    assert by_type(records, "snmp_agent")[0]["identity.vendor"] == "Eaton"
    assert sorted(c.status for c in ctx.coverage) == ["failed", "ok"]


def test_variation_entries_keep_their_recorded_value() -> None:
    walk = parse_snmprec("1.3.6.1.2.1.1.5.0|4:writecache|value=pdu-01\n1.3.6.1.2.1.1.7.0|2:numeric|min=1,max=2\n")
    assert walk.get((1, 3, 6, 1, 2, 1, 1, 5, 0)).value == b"pdu-01"  # type: ignore[union-attr]
    assert walk.get((1, 3, 6, 1, 2, 1, 1, 7, 0)) is None


def test_shared_corpus_every_recording_identifies_a_device(tmp_path: Path) -> None:
    corpus = shared_data_or_skip("snmp")
    records = scan({"paths": [str(corpus)]}, loopback_context(tmp_path))
    agents = by_type(records, "snmp_agent")
    assert len(agents) == len(list(corpus.glob("*.snmprec")))
    for agent in agents:
        assert agent.get("identity.vendor") or agent.get("identity.os"), agent["asset.id"]
