"""The OIDs the SNMP scanner reads: MIB-2 system, IF-MIB, IP-MIB, ENTITY-MIB, LLDP-MIB.

Numeric OIDs only, so no MIB compilation is needed at run time.
"""

from __future__ import annotations

from xposture.scanners.ot.snmp.walk import Oid

SYSTEM = (1, 3, 6, 1, 2, 1, 1)
SYS_DESCR = (*SYSTEM, 1, 0)
SYS_OBJECT_ID = (*SYSTEM, 2, 0)
SYS_UPTIME = (*SYSTEM, 3, 0)
SYS_CONTACT = (*SYSTEM, 4, 0)
SYS_NAME = (*SYSTEM, 5, 0)
SYS_LOCATION = (*SYSTEM, 6, 0)
SYS_SERVICES = (*SYSTEM, 7, 0)
SYSTEM_SCALARS: tuple[Oid, ...] = (
    SYS_DESCR,
    SYS_OBJECT_ID,
    SYS_UPTIME,
    SYS_CONTACT,
    SYS_NAME,
    SYS_LOCATION,
    SYS_SERVICES,
)

IF_ENTRY = (1, 3, 6, 1, 2, 1, 2, 2, 1)
IF_DESCR = (*IF_ENTRY, 2)
IF_TYPE = (*IF_ENTRY, 3)
IF_SPEED = (*IF_ENTRY, 5)
IF_PHYS_ADDRESS = (*IF_ENTRY, 6)
IF_ADMIN_STATUS = (*IF_ENTRY, 7)
IF_OPER_STATUS = (*IF_ENTRY, 8)
IF_NAME = (1, 3, 6, 1, 2, 1, 31, 1, 1, 1, 1)
IF_ALIAS = (1, 3, 6, 1, 2, 1, 31, 1, 1, 1, 18)
INTERFACE_COLUMNS: tuple[Oid, ...] = (
    IF_DESCR,
    IF_TYPE,
    IF_SPEED,
    IF_PHYS_ADDRESS,
    IF_ADMIN_STATUS,
    IF_OPER_STATUS,
    IF_NAME,
)

IP_AD_ENT_IF_INDEX = (1, 3, 6, 1, 2, 1, 4, 20, 1, 2)
IP_AD_ENT_NETMASK = (1, 3, 6, 1, 2, 1, 4, 20, 1, 3)
ADDRESS_COLUMNS: tuple[Oid, ...] = (IP_AD_ENT_IF_INDEX,)

ENT_PHYSICAL_ENTRY = (1, 3, 6, 1, 2, 1, 47, 1, 1, 1, 1)
ENT = {
    "descr": 2,
    "vendor_type": 3,
    "contained_in": 4,
    "class": 5,
    "name": 7,
    "hardware_rev": 8,
    "firmware_rev": 9,
    "software_rev": 10,
    "serial": 11,
    "mfg_name": 12,
    "model": 13,
    "is_fru": 16,
}
ENTITY_COLUMNS: tuple[Oid, ...] = tuple((*ENT_PHYSICAL_ENTRY, n) for n in ENT.values())
ENT_CLASSES = {
    1: "other",
    2: "unknown",
    3: "chassis",
    4: "backplane",
    5: "container",
    6: "power_supply",
    7: "fan",
    8: "sensor",
    9: "module",
    10: "port",
    11: "stack",
    12: "cpu",
}

LLDP = (1, 0, 8802, 1, 1, 2, 1)
LLDP_LOC_CHASSIS_ID_SUBTYPE = (*LLDP, 3, 1, 0)
LLDP_LOC_CHASSIS_ID = (*LLDP, 3, 2, 0)
LLDP_LOC_SYS_NAME = (*LLDP, 3, 3, 0)
LLDP_LOC_PORT_ID = (*LLDP, 3, 7, 1, 3)
LLDP_LOC_PORT_DESC = (*LLDP, 3, 7, 1, 4)
LLDP_REM_ENTRY = (*LLDP, 4, 1, 1)
LLDP_REM = {
    "chassis_id_subtype": 4,
    "chassis_id": 5,
    "port_id_subtype": 6,
    "port_id": 7,
    "port_descr": 8,
    "sys_name": 9,
    "sys_descr": 10,
    "caps_enabled": 12,
}
LLDP_REM_MAN_ADDR_IF_ID = (*LLDP, 4, 2, 1, 4)
LLDP_COLUMNS: tuple[Oid, ...] = (
    LLDP_LOC_PORT_ID,
    LLDP_LOC_PORT_DESC,
    *((*LLDP_REM_ENTRY, n) for n in LLDP_REM.values()),
    LLDP_REM_MAN_ADDR_IF_ID,
)
LLDP_SCALARS: tuple[Oid, ...] = (LLDP_LOC_CHASSIS_ID_SUBTYPE, LLDP_LOC_CHASSIS_ID, LLDP_LOC_SYS_NAME)
LLDP_CAPABILITIES = ("other", "repeater", "bridge", "wlan_access_point", "router", "telephone", "docsis", "station")

ENTITY_DETAIL_CLASSES = frozenset({"chassis", "module", "stack", "cpu"})
"""Live scans read the identity columns of these entity classes only (offline recordings keep every row)."""
ENTITY_DETAIL_COLUMNS = ("descr", "name", "hardware_rev", "firmware_rev", "software_rev", "serial", "mfg_name", "model")
MAX_ENTITY_DETAIL_ROWS = 64

COLLECT_COLUMNS: dict[str, tuple[Oid, ...]] = {
    "entity": ENTITY_COLUMNS,
    "interfaces": INTERFACE_COLUMNS,
    "addresses": ADDRESS_COLUMNS,
    "lldp": LLDP_COLUMNS,
}
"""Table columns walked per ``collect`` option value (the system group is always read)."""
