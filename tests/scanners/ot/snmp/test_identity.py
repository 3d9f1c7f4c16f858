"""sysDescr pattern library, engine-id decoding and the IANA enterprise table, on real-shaped inputs."""

from __future__ import annotations

import pytest

from xposture.scanners.ot.snmp import enterprises
from xposture.scanners.ot.snmp.engineid import parse_engine_id
from xposture.scanners.ot.snmp.identity_mibs import cisco_image, normalise_version
from xposture.scanners.ot.snmp.sysdescr import parse_sysdescr

CASES = [
    # (sysDescr, vendor, model, firmware, pattern)
    (
        "APC Web/SNMP Management Card (MB:v4.1.0 PF:v6.7.2 PN:apc_hw05_aos_672.bin AF1:v6.7.2 "
        "AN1:apc_hw05_rpdu2g_672.bin MN:AP8641 HR:02 SN: 5A26833B4526 MD:04/16/2019)",
        "APC",
        "AP8641",
        "6.7.2",
        "apc_management_card",
    ),
    (
        "Cisco IOS Software, C3560 Software (C3560-IPSERVICESK9-M), Version 12.2(55)SE3, RELEASE SOFTWARE (fc1) "
        "Technical Support: http://www.cisco.com/techsupport",
        "Cisco",
        "C3560",
        "12.2(55)SE3",
        "cisco_ios",
    ),
    (
        "Cisco IOS Software [Amsterdam], Catalyst L3 Switch Software (CAT9K_IOSXE), Version 17.3.4, RELEASE SOFTWARE",
        "Cisco",
        "",
        "17.3.4",
        "cisco_ios",
    ),
    (
        "Cisco Internetwork Operating System Software IOS (tm) C2600 Software (C2600-I-M), Version 12.2(15)T5, RELEASE",
        "Cisco",
        "C2600",
        "12.2(15)T5",
        "cisco_ios_legacy",
    ),
    (
        "Cisco NX-OS(tm) n5000, Software (n5000-uk9), Version 5.2(1)N1(1), RELEASE SOFTWARE",
        "Cisco",
        "",
        "5.2(1)N1(1)",
        "cisco_ios",
    ),
    (
        "Siemens, SIMATIC NET, SCALANCE X208, 6GK5 208-0BA10-2AA3, HW: Version 7, FW: Version V4.03",
        "Siemens",
        "SCALANCE X208",
        "4.03",
        "siemens_simatic",
    ),
    (
        "Siemens, SIMATIC S7, CPU-1500, 6ES7 515-2AM01-0AB0, HW: 7, FW: V2.8.3, SVPT1003497",
        "Siemens",
        "CPU-1500",
        "2.8.3",
        "siemens_simatic",
    ),
    (
        "Brocade Communications Systems, Inc. ICX6430-24, IronWare Version 08.0.30tT311 Compiled on Feb 13 2019",
        "Brocade",
        "ICX6430-24",
        "08.0.30tT311",
        "brocade_ironware",
    ),
    (
        "Juniper Networks, Inc. ex4200-48t internet router, kernel JUNOS 12.3R6.6, Build date: 2014-03-13",
        "Juniper",
        "ex4200-48t",
        "12.3R6.6",
        "juniper_junos",
    ),
    (
        "HP J9280A Switch 2510G-48, revision Y.11.16, ROM N.10.02 (/sw/code/build/cod(cod11))",
        "HP",
        "J9280A Switch 2510G-48",
        "Y.11.16",
        "hp_procurve",
    ),
    ("Palo Alto Networks PA-5000 series firewall", "Palo Alto Networks", "PA-5000", "", "palo_alto"),
    ("FortiGate-60E v6.0.4,build0231,190107 (GA)", "Fortinet", "FortiGate-60E", "6.0.4", "fortigate"),
    ("RouterOS RB951Ui-2HnD", "MikroTik", "RB951Ui-2HnD", "", "mikrotik"),
    ("MOXA EDS-408A", "Moxa", "EDS-408A", "", "moxa"),
    ("Hirschmann RSP35 HiOS-2A-08.0.00", "Hirschmann", "RSP35", "08.0.00", "hirschmann"),
    ("Schneider Electric BMX NOE 0100 V3.1", "Schneider Electric", "BMX NOE 0100", "3.1", "schneider"),
    ("EATON 93E 80", "Eaton", "93E 80", "", "eaton"),
    ("2G-2S.0.2.F-BOX-PoE (M-PoE), fw:60.7050, PoEfw:118", "", "2G-2S.0.2.F-BOX-PoE (M-PoE)", "60.7050", "generic"),
    (
        "Ubuntu 16.04.4 LTS Linux 4.4.31 flash: 3.4G ram: 247204kB processor: armv7l software: PowerAlert 15.5.4 (Build 1045)",
        "Tripp Lite",
        "",
        "15.5.4",
        "tripplite_poweralert",
    ),
    (
        "Hardware: x86 Family 6 Model 9 Stepping 5 AT/AT COMPATIBLE - Software: Windows 2000 Version 5.1 (Build 2600 Uniprocessor Free)",
        "Microsoft",
        "",
        "5.1 build 2600",
        "windows",
    ),
    ("Linux GSE200M 2.6.27-SPEAr310 #591 Wed Sep 4 16:10:51 CST 2013 armv5tejl", "", "", "", "linux"),
    ("Data Center 01 Temp Sensor", "", "", "", ""),
]


@pytest.mark.parametrize(("text", "vendor", "model", "firmware", "pattern"), CASES, ids=[c[4] or "none" for c in CASES])
def test_sysdescr_patterns(text: str, vendor: str, model: str, firmware: str, pattern: str) -> None:
    found = parse_sysdescr(text)
    assert (found.vendor, found.model, found.firmware, found.pattern) == (vendor, model, firmware, pattern)


def test_linux_kernel_is_the_os_version() -> None:
    assert (
        parse_sysdescr("Linux cray 2.6.21.5-smp #2 SMP Tue Jun 19 14:58:11 CDT 2007 i686").os_version == "2.6.21.5-smp"
    )


@pytest.mark.parametrize(
    ("engine_hex", "fmt", "enterprise", "vendor", "detail"),
    [
        ("8000000903001b1b123456", "mac", 9, "Cisco", "00:1b:1b:12:34:56"),
        ("80001f8880c71100000a1b2c3d", "enterprise", 8072, "net-snmp", ""),
        ("800010e50100000000", "ipv4", 4325, "", "0.0.0.0"),
        ("80000009010a0a0105", "ipv4", 9, "Cisco", "10.10.1.5"),
        ("8000112904706c632d31", "text", 4393, "", "plc-1"),
        ("000000090000000102030405", "rfc1910", 9, "Cisco", ""),
        ("8000", "invalid", None, "", ""),
    ],
)
def test_engine_ids(engine_hex: str, fmt: str, enterprise: int | None, vendor: str, detail: str) -> None:
    engine = parse_engine_id(bytes.fromhex(engine_hex))
    assert (engine.format, engine.enterprise, engine.vendor) == (fmt, enterprise, vendor)
    assert detail in (engine.mac, engine.ip, engine.text, "")
    if detail:
        assert detail in (engine.mac, engine.ip, engine.text)


def test_enterprise_table_and_oid_numbers() -> None:
    assert enterprises.number_from_oid("1.3.6.1.4.1.318.1.3.4.6") == 318
    assert enterprises.number_from_oid(".1.3.6.1.4.1.9") == 9
    assert enterprises.number_from_oid("1.3.6.1.2.1.1") is None
    assert enterprises.lookup(4329).vendor == "Siemens"  # type: ignore[union-attr]
    assert enterprises.lookup(8691).vendor == "Moxa"  # type: ignore[union-attr]
    assert enterprises.lookup(1) is None
    assert len(enterprises.table()) >= 150


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("v6.7.2", "6.7.2"),
        ("INV: 2.08.0011", "2.08.0011"),
        ("15.5.4 (Build 1045)", "15.5.4"),
        ("V100R001C10SPC600", "V100R001C10SPC600"),
    ],
)
def test_version_normalisation(raw: str, expected: str) -> None:
    assert normalise_version(raw) == expected


@pytest.mark.parametrize(
    ("image", "version", "platform"),
    [
        ("flash:c3550-i9q3l2-mz.121-8.EA1c/c3550-i9q3l2-mz.121-8.EA1c.bin", "12.1(8)EA1c", "C3550"),
        ("flash:c2600-i-mz.122-15.T5.bin", "12.2(15)T5", "C2600"),
        ("bootflash:c7200-adventerprisek9-mz.151-4.M4.bin", "15.1(4)M4", "C7200"),
        ("not an image", "", ""),
    ],
)
def test_cisco_boot_image_names(image: str, version: str, platform: str) -> None:
    assert (cisco_image(image, "version"), cisco_image(image, "platform")) == (version, platform)
