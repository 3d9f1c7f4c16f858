"""Identity objects outside MIB-2's system group: UPS-MIB, IEEE 802.11 and a few vendor MIBs.

Many devices keep their real firmware version and serial number here rather
than in sysDescr (an Eaton UPS says only ``EATON 93E 80`` there). Each entry
was checked against a real device recording in ``tests/data/snmp``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from xposture.scanners.ot.snmp.walk import Oid


@dataclass(frozen=True, slots=True)
class IdentityObject:
    """One scalar that names part of a device's identity; ``enterprise`` limits vendor MIB entries."""

    oid: Oid
    field: str  # vendor | model | firmware | serial | hardware | product | agent_firmware
    mib: str
    enterprise: int | None = None
    parse: str = ""
    """How to read the value: ``""`` as text, ``cisco_image`` as a Cisco IOS image file name."""


UPS_IDENT = (1, 3, 6, 1, 2, 1, 33, 1, 1)
DOT11_RESOURCE = (1, 2, 840, 10036, 3, 1, 2, 1)
DOT11_COLUMNS: tuple[tuple[Oid, str], ...] = (
    ((*DOT11_RESOURCE, 2), "vendor"),
    ((*DOT11_RESOURCE, 3), "model"),
    ((*DOT11_RESOURCE, 4), "firmware"),
)

STANDARD: tuple[IdentityObject, ...] = (
    IdentityObject((*UPS_IDENT, 1, 0), "vendor", "UPS-MIB upsIdentManufacturer"),
    IdentityObject((*UPS_IDENT, 2, 0), "model", "UPS-MIB upsIdentModel"),
    IdentityObject((*UPS_IDENT, 3, 0), "firmware", "UPS-MIB upsIdentUPSSoftwareVersion"),
    IdentityObject((*UPS_IDENT, 4, 0), "agent_firmware", "UPS-MIB upsIdentAgentSoftwareVersion"),
)

_E = (1, 3, 6, 1, 4, 1)
VENDOR: tuple[IdentityObject, ...] = (
    IdentityObject((*_E, 318, 1, 1, 4, 1, 1, 0), "hardware", "PowerNet-MIB sPDUIdentHardwareRev", 318),
    IdentityObject((*_E, 318, 1, 1, 4, 1, 2, 0), "firmware", "PowerNet-MIB sPDUIdentFirmwareRev", 318),
    IdentityObject((*_E, 318, 1, 1, 4, 1, 4, 0), "model", "PowerNet-MIB sPDUIdentModelNumber", 318),
    IdentityObject((*_E, 318, 1, 1, 4, 1, 5, 0), "serial", "PowerNet-MIB sPDUIdentSerialNumber", 318),
    IdentityObject((*_E, 534, 1, 1, 2, 0), "model", "XUPS-MIB xupsIdentModel", 534),
    IdentityObject((*_E, 534, 1, 1, 3, 0), "firmware", "XUPS-MIB xupsIdentSoftwareVersion", 534),
    IdentityObject((*_E, 705, 1, 1, 1, 0), "model", "MG-SNMP-UPS-MIB upsmgIdentFamilyName", 705),
    IdentityObject((*_E, 705, 1, 1, 4, 0), "firmware", "MG-SNMP-UPS-MIB upsmgIdentFirmwareVersion", 705),
    IdentityObject((*_E, 705, 1, 1, 7, 0), "serial", "MG-SNMP-UPS-MIB upsmgIdentSerialNumber", 705),
    IdentityObject((*_E, 850, 1, 2, 1, 1, 3, 0), "firmware", "TRIPPLITE-PRODUCTS tlpAgentVersion", 850),
    IdentityObject((*_E, 21239, 5, 1, 1, 1, 0), "model", "GEIST-V5-MIB productTitle", 21239),
    IdentityObject((*_E, 21239, 5, 1, 1, 2, 0), "firmware", "GEIST-V5-MIB productVersion", 21239),
    IdentityObject((*_E, 9, 3, 6, 2, 0), "hardware", "OLD-CISCO-CHASSIS-MIB chassisVersion", 9),
    IdentityObject((*_E, 9, 3, 6, 3, 0), "serial", "OLD-CISCO-CHASSIS-MIB chassisId", 9),
    IdentityObject((*_E, 9, 2, 1, 73, 0), "firmware", "OLD-CISCO-SYSTEM-MIB boot image", 9, "cisco_image"),
    IdentityObject((*_E, 9, 2, 1, 73, 0), "model", "OLD-CISCO-SYSTEM-MIB boot image", 9, "cisco_platform"),
    IdentityObject((*_E, 232, 22, 2, 3, 1, 1, 1, 3, 1), "model", "CPQRACK-MIB cpqRackCommonEnclosureModel", 232),
    IdentityObject((*_E, 232, 22, 2, 3, 1, 1, 1, 7, 1), "serial", "CPQRACK-MIB cpqRackCommonEnclosureSerialNum", 232),
    IdentityObject((*_E, 232, 22, 2, 3, 1, 1, 1, 8, 1), "firmware", "CPQRACK-MIB cpqRackCommonEnclosureFWRev", 232),
    IdentityObject((*_E, 2011, 6, 174, 1, 2, 100, 1, 2, 1), "model", "HUAWEI-UPS-MIB hwUpsDeviceModel", 2011),
    IdentityObject(
        (*_E, 2011, 6, 174, 1, 2, 100, 1, 3, 1), "firmware", "HUAWEI-UPS-MIB hwUpsDeviceSoftwareVersion", 2011
    ),
    IdentityObject(
        (*_E, 2011, 6, 174, 1, 2, 100, 1, 4, 1), "hardware", "HUAWEI-UPS-MIB hwUpsDeviceHardwareVersion", 2011
    ),
    IdentityObject((*_E, 2011, 6, 174, 1, 2, 100, 1, 5, 1), "serial", "HUAWEI-UPS-MIB hwUpsDeviceSerialNumber", 2011),
)
"""HP enterprise 232 is Compaq's arc, used by HP's Onboard Administrator; 705 is MGE (now Eaton)."""

# HP's OA registers under 11 in sysObjectID but keeps enclosure data under Compaq's 232.
ENTERPRISE_ALIASES = {11: (11, 232), 705: (705, 534), 534: (534, 705)}


def objects_for(enterprises: set[int]) -> tuple[IdentityObject, ...]:
    """Standard objects plus the vendor objects of the given enterprises (and their aliases)."""
    wanted: set[int] = set()
    for number in enterprises:
        wanted.update(ENTERPRISE_ALIASES.get(number, (number,)))
    return STANDARD + tuple(o for o in VENDOR if o.enterprise in wanted)


_PREFIX = re.compile(r"^(?:[A-Za-z][A-Za-z ]{0,12}:\s*)")
_LEADING_V = re.compile(r"^[vV](?=\d+\.)")
_VERSION_WORD = re.compile(r"^[vV]?\d")


def normalise_version(text: str) -> str:
    """``v6.7.2`` -> ``6.7.2``; ``INV: 2.08.0011`` -> ``2.08.0011``; ``15.5.4 (Build 1045)`` -> ``15.5.4``.

    The version is the first word after any label, without a ``v`` before a
    dotted number; Cisco's ``12.1(8)EA1c`` and Huawei's ``V100R001C10SPC600``
    are kept as they are.
    """
    stripped = _PREFIX.sub("", text.strip()) if not text.strip()[:1].isdigit() else text.strip()
    words = stripped.split()
    word = next((w for w in words if _VERSION_WORD.match(w)), words[0] if words else "")
    return _LEADING_V.sub("", word)


_CISCO_IMAGE = re.compile(
    r"(?:^|[/:])(?P<platform>c\d{3,4}[a-z]*|cat\d{4}|[a-z]+\d{3,4}[a-z]*)-[\w]+-m[a-z]*\.(?P<major>\d{2})(?P<minor>\d)-(?P<rebuild>\d+)\.?(?P<train>[A-Za-z]+\d*[a-z]?)?",
    re.IGNORECASE,
)


def cisco_image(text: str, part: str) -> str:
    """``flash:c3550-i9q3l2-mz.121-8.EA1c.bin`` -> ``12.1(8)EA1c`` (``firmware``) or ``C3550`` (``platform``).

    Old IOS devices name their release only in the boot image file; its name
    encodes platform, feature set and version (``121-8.EA1c`` = 12.1(8)EA1c).
    """
    match = _CISCO_IMAGE.search(text)
    if match is None:
        return ""
    if part == "platform":
        return match.group("platform").upper()
    major = str(int(match.group("major")[0] + match.group("major")[1]))
    version = f"{major}.{match.group('minor')}({match.group('rebuild')})"
    return version + (match.group("train") or "")
