"""Turn one agent's MIB values (and, for live scans, its posture) into records.

One function per record type, all pure: the same walk gives the same records
whether it came from a device or a ``.snmprec`` file. Values are type-checked
and sanitised here; what does not fit is reported in ``snmp.errors`` rather
than trusted.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from dataclasses import dataclass, field

from xposture.model import FieldValue, Layer, Record, make_record
from xposture.scanners.ot.snmp import enterprises, identity_mibs, mib
from xposture.scanners.ot.snmp.posture import AgentPosture
from xposture.scanners.ot.snmp.sysdescr import parse_sysdescr
from xposture.scanners.ot.snmp.text import clean_text, format_mac, printable_ratio, safe_text
from xposture.scanners.ot.snmp.walk import IPADDR, OCTETS, Oid, Value, Walk, oid_text

SCANNER = "snmp"
AGENT_IMPLEMENTERS = frozenset({8072, 2021})
"""net-snmp/UCD: the agent's author, not the device's vendor."""
HARDWARE_CLASSES = frozenset({"chassis", "module", "stack", "cpu"})
MAX_TABLE_ROWS = 4096


@dataclass(slots=True)
class Origin:
    """Where the values came from: a live agent or a file, and the asset they belong to."""

    asset_id: str
    site: str = ""
    ip: str = ""
    target: str = ""
    file: str = ""
    name: str = ""


@dataclass(slots=True)
class Problems:
    """Type errors and sanitised values found while reading one agent."""

    items: list[str] = field(default_factory=list)

    def add(self, text: str) -> None:
        if len(self.items) < 50:
            self.items.append(text)


def agent_records(walk: Walk, origin: Origin, posture: AgentPosture | None = None) -> Iterator[Record]:
    """Every record for one agent: snmp_agent first, then credentials, hardware, interfaces, neighbours."""
    problems = Problems()
    if posture is not None:
        problems.items.extend(posture.errors)
    port = posture.port if posture else 161
    interfaces = list(_interfaces(walk, problems))
    hardware = list(_hardware(walk, problems))
    agent_mac = _agent_mac(walk, interfaces, origin.ip, posture)
    system = _system_fields(walk, problems)
    if not origin.name and isinstance(system.get("system.name"), str) and system["system.name"]:
        origin = Origin(origin.asset_id, origin.site, origin.ip, origin.target, origin.file, str(system["system.name"]))
    base = _base_fields(origin, agent_mac)
    identity = _identity(walk, system, hardware, posture)
    fields: dict[str, FieldValue] = {**base, **system, **identity}
    fields.update(_posture_fields(posture))
    addresses = _addresses(walk)
    if addresses:
        fields["snmp.addresses"] = addresses
    fields["snmp.interface_count"] = len(interfaces)
    fields["snmp.hardware_count"] = len(hardware)
    if problems.items:
        fields["snmp.errors"] = list(problems.items)
    yield _record("snmp_agent", origin, f"snmp/{port}/udp", fields, oid=oid_text(mib.SYS_DESCR))
    if posture is not None:
        yield from _credential_records(origin, base, posture)
    for row in hardware:
        index = row.pop("hardware.index")
        yield _record(
            "device_hardware",
            origin,
            f"entity/{index}",
            {**base, "hardware.index": index, **row},
            oid=oid_text((*mib.ENT_PHYSICAL_ENTRY, 2, int(str(index)))),
        )
    for row in interfaces:
        index = row["interface.index"]
        mac = row.get("interface.mac")
        fields_if = {**base, **row}
        if isinstance(mac, str):
            fields_if["asset.mac"] = mac
        yield _record(
            "snmp_interface", origin, f"if/{index}", fields_if, oid=oid_text((*mib.IF_DESCR, int(str(index))))
        )
    yield from _lldp_links(walk, origin, base, problems)


def _record(record_type: str, origin: Origin, key: str, fields: dict[str, FieldValue], *, oid: str) -> Record:
    return make_record(
        record_type,
        asset_id=origin.asset_id,
        key=key,
        layer=Layer.OT,
        scanner=SCANNER,
        fields=fields,
        file=origin.file or None,
        target=origin.target or None,
        oid=oid,
    )


def _base_fields(origin: Origin, mac: str | None) -> dict[str, FieldValue]:
    fields: dict[str, FieldValue] = {"asset.kind": "network_host"}
    if origin.ip:
        fields["asset.ip"] = origin.ip
    if origin.site:
        fields["site"] = origin.site
    if mac:
        fields["asset.mac"] = mac
    if origin.name:
        fields["asset.name"] = origin.name
    return fields


def _text(walk: Walk, oid: Oid, label: str, problems: Problems, limit: int = 1024) -> str | None:
    value = walk.get(oid)
    if value is None:
        return None
    raw = value.octets()
    if raw is None:
        problems.add(f"{label}: expected OCTET STRING, got {value.kind}")
        return None
    text, changed = clean_text(raw, limit)
    if changed:
        problems.add(f"{label}: control/escape sequences removed or value truncated")
    return text


def _number(walk: Walk, oid: Oid, label: str, problems: Problems) -> int | None:
    value = walk.get(oid)
    if value is None:
        return None
    number = value.number()
    if number is None:
        problems.add(f"{label}: expected a number, got {value.kind}")
    return number


def _system_fields(walk: Walk, problems: Problems) -> dict[str, FieldValue]:
    fields: dict[str, FieldValue] = {}
    descr = _text(walk, mib.SYS_DESCR, "sysDescr", problems)
    object_id = walk.get(mib.SYS_OBJECT_ID)
    if object_id is not None:
        oid = object_id.oid()
        if oid is None:
            problems.add(f"sysObjectID: expected OBJECT IDENTIFIER, got {object_id.kind}")
        else:
            fields["system.object_id"] = oid
            number = enterprises.number_from_oid(oid)
            if number is not None:
                fields["snmp.enterprise_number"] = number
                known = enterprises.lookup(number)
                if known:
                    fields["snmp.enterprise"] = known.organization
    private = sorted({index[0] for index in walk.column(enterprises.ENTERPRISES_ARC) if index})
    if private:
        fields["snmp.private_enterprises"] = private[:32]
    uptime = _number(walk, mib.SYS_UPTIME, "sysUpTime", problems)
    fields["system.descr"] = descr
    fields["system.name"] = _text(walk, mib.SYS_NAME, "sysName", problems, 255)
    fields["system.contact"] = _text(walk, mib.SYS_CONTACT, "sysContact", problems, 255)
    fields["system.location"] = _text(walk, mib.SYS_LOCATION, "sysLocation", problems, 255)
    fields["system.uptime_s"] = uptime // 100 if uptime is not None else None
    fields["system.services"] = _number(walk, mib.SYS_SERVICES, "sysServices", problems)
    return fields


def _mib_identity(walk: Walk, system: dict[str, FieldValue]) -> dict[str, tuple[str, str]]:
    """field -> (value, MIB object) from UPS-MIB, IEEE 802.11 and vendor identity objects, first found wins."""
    numbers: set[int] = set()
    number = system.get("snmp.enterprise_number")
    if isinstance(number, int):
        numbers.add(number)
    private = system.get("snmp.private_enterprises")
    numbers.update(n for n in (private if isinstance(private, list) else []) if isinstance(n, int))
    found: dict[str, tuple[str, str]] = {}
    for obj in identity_mibs.objects_for(numbers):
        value = walk.get(obj.oid)
        raw = value.octets() if value else None
        text = safe_text(raw, 128) if raw else ""
        if obj.parse and text:
            text = identity_mibs.cisco_image(text, "platform" if obj.parse == "cisco_platform" else "version")
        if text and text.lower() not in ("none", "unknown", "n/a") and obj.field not in found:
            found[obj.field] = (text, obj.mib)
    for column, name in identity_mibs.DOT11_COLUMNS:
        rows = walk.column(column)
        raw = next(iter(rows.values())).octets() if rows else None
        text = safe_text(raw, 128) if raw else ""
        if text and name not in found:
            found[name] = (text, "IEEE802dot11-MIB dot11ResourceInfo")
    return found


def _identity(
    walk: Walk, system: dict[str, FieldValue], hardware: list[dict[str, FieldValue]], posture: AgentPosture | None
) -> dict[str, FieldValue]:
    """Merge what ENTITY-MIB, identity MIBs, sysDescr, sysObjectID and the engine id say, best source first."""
    descr = system.get("system.descr")
    parsed = parse_sysdescr(descr) if isinstance(descr, str) else parse_sysdescr("")
    from_mib = _mib_identity(walk, system)
    number = system.get("snmp.enterprise_number")
    enterprise = enterprises.lookup(number) if isinstance(number, int) else None
    if enterprise is None and posture is not None and posture.engine is not None:
        enterprise = enterprises.lookup(posture.engine.enterprise)
    chassis = next((h for h in hardware if h.get("hardware.class") == "chassis"), None)
    chassis = chassis or next(iter(hardware), None)

    def entity(name: str) -> str:
        return str(chassis.get(name) or "") if chassis else ""

    def mib_value(name: str) -> str:
        return from_mib.get(name, ("", ""))[0]

    fields: dict[str, FieldValue] = {}
    vendor = parsed.vendor
    if not vendor and enterprise is not None and enterprise.number not in AGENT_IMPLEMENTERS:
        vendor = enterprise.vendor
    if not vendor:
        private = system.get("snmp.private_enterprises")
        for candidate in private if isinstance(private, list) else []:
            known = enterprises.lookup(candidate) if isinstance(candidate, int) else None
            if known is not None and known.number not in AGENT_IMPLEMENTERS:
                vendor = known.vendor
                break
    vendor = vendor or mib_value("vendor") or entity("hardware.mfg_name")
    fields["identity.vendor"] = vendor or None
    fields["identity.model"] = entity("hardware.model") or mib_value("model") or parsed.model or None
    candidates = (
        (entity("hardware.software_rev") or entity("hardware.firmware_rev"), "ENTITY-MIB"),
        (identity_mibs.normalise_version(mib_value("firmware")), from_mib.get("firmware", ("", ""))[1]),
        (parsed.firmware, "sysDescr"),
        (identity_mibs.normalise_version(mib_value("agent_firmware")), "UPS-MIB upsIdentAgentSoftwareVersion"),
        (parsed.os_version, "sysDescr (operating system)"),
    )
    firmware, source = next(((v, s) for v, s in candidates if v), ("", ""))
    fields["identity.firmware"] = firmware or None
    fields["identity.firmware_source"] = source or None
    fields["identity.serial"] = entity("hardware.serial") or mib_value("serial") or parsed.serial or None
    fields["asset.serial"] = fields["identity.serial"]
    fields["identity.hardware"] = entity("hardware.hardware_rev") or mib_value("hardware") or parsed.hardware or None
    fields["identity.product_code"] = parsed.product_code or None
    fields["identity.product_name"] = parsed.product or mib_value("product") or None
    fields["identity.os"] = parsed.os or None
    fields["identity.os_version"] = parsed.os_version or None
    fields["identity.source_pattern"] = parsed.pattern or None
    fields["identity.name"] = system.get("system.name") or None
    fields["identity.description"] = descr or None
    fields["ot.identity_sources"] = ["snmp_system"] if (vendor or firmware) else None
    fields["ot.identity_known"] = bool(fields["identity.model"] or firmware)
    fields["identity.firmware_known"] = bool(firmware)
    return fields


def _posture_fields(posture: AgentPosture | None) -> dict[str, FieldValue]:
    if posture is None:
        return {"snmp.offline": True}
    fields: dict[str, FieldValue] = {
        "snmp.offline": posture.offline,
        "snmp.port": posture.port,
        "snmp.versions": sorted(set(posture.versions)),
        "snmp.v1_enabled": "v1" in posture.versions,
        "snmp.v2c_enabled": "v2c" in posture.versions,
        "snmp.v3_enabled": "v3" in posture.versions,
        "snmp.community_test": posture.community_test,
        "snmp.write_test": posture.write_test,
        "snmp.communities_accepted": [c.label for c in posture.communities],
        "snmp.default_community_accepted": any(c.default for c in posture.communities),
        "snmp.writable_community": any(c.writable for c in posture.communities),
        "snmp.requests_sent": None if posture.offline else posture.requests,
    }
    levels = sorted({u.security_level for u in posture.v3_users if u.accepted})
    fields["snmp.v3.security_levels"] = levels
    engine = posture.engine
    if engine is not None:
        fields["snmp.engine.id"] = engine.hex
        fields["snmp.engine.format"] = engine.format
        fields["snmp.engine.enterprise_number"] = engine.enterprise
        fields["snmp.engine.vendor"] = engine.vendor or None
        fields["snmp.engine.mac"] = engine.mac or None
        fields["snmp.engine.ip"] = engine.ip or None
        fields["snmp.engine.text"] = engine.text or None
        fields["snmp.engine.boots"] = posture.engine_boots
        fields["snmp.engine.time_s"] = posture.engine_time_s
    return fields


def _credential_records(origin: Origin, base: dict[str, FieldValue], posture: AgentPosture) -> Iterator[Record]:
    for community in posture.communities:
        fields: dict[str, FieldValue] = {
            **base,
            "snmp.port": posture.port,
            "snmp.community.label": community.label,
            "snmp.community.default": community.default,
            "snmp.community.versions": sorted(community.versions),
            "snmp.community.write_tested": community.writable is not None,
            "snmp.community.writable": community.writable,
            "snmp.community.write_detail": community.write_detail or None,
        }
        key = f"snmp/{posture.port}/community/{community.label}"
        yield _record("snmp_community", origin, key, fields, oid=oid_text(mib.SYS_DESCR))
    for user in posture.v3_users:
        fields = {
            **base,
            "snmp.port": posture.port,
            "snmp.v3.user": safe_text(user.user, 64),
            "snmp.v3.security_level": user.security_level,
            "snmp.v3.auth_protocol": user.auth_protocol,
            "snmp.v3.priv_protocol": user.priv_protocol,
            "snmp.v3.accepted": user.accepted,
            "snmp.v3.weak_auth": user.auth_protocol in ("none", "md5"),
            "snmp.v3.weak_priv": user.priv_protocol in ("none", "des", "3des"),
            "snmp.v3.detail": user.detail or None,
        }
        key = f"snmp/{posture.port}/v3/{safe_text(user.user, 64)}"
        yield _record("snmp_v3_user", origin, key, fields, oid=oid_text(mib.SYS_DESCR))


def _hardware(walk: Walk, problems: Problems) -> Iterator[dict[str, FieldValue]]:
    columns = {name: walk.column((*mib.ENT_PHYSICAL_ENTRY, number)) for name, number in mib.ENT.items()}
    indexes = sorted(set().union(*(c.keys() for c in columns.values())))[:MAX_TABLE_ROWS]
    for index in indexes:
        if len(index) != 1:
            continue
        row: dict[str, FieldValue] = {"hardware.index": index[0]}
        class_value = columns["class"].get(index)
        class_number = class_value.number() if class_value else None
        row["hardware.class"] = mib.ENT_CLASSES.get(class_number or 0, "unknown") if class_number else None
        for name in ("descr", "name", "hardware_rev", "firmware_rev", "software_rev", "serial", "mfg_name", "model"):
            value = columns[name].get(index)
            if value is None:
                continue
            raw = value.octets()
            if raw is None:
                problems.add(f"entPhysical {name}.{index[0]}: expected OCTET STRING, got {value.kind}")
                continue
            text, changed = clean_text(raw, 255)
            if changed:
                problems.add(f"entPhysical {name}.{index[0]}: control/escape sequences removed or value truncated")
            row[f"hardware.{name}"] = text or None
        vendor_type = columns["vendor_type"].get(index)
        if vendor_type is not None and vendor_type.oid() and vendor_type.oid() not in ("0.0", "0"):
            row["hardware.vendor_type_oid"] = vendor_type.oid()
        fru = columns["is_fru"].get(index)
        if fru is not None and fru.number() in (1, 2):
            row["hardware.is_fru"] = fru.number() == 1
        interesting = row.get("hardware.class") in HARDWARE_CLASSES or any(
            row.get(f"hardware.{n}") for n in ("serial", "firmware_rev", "software_rev", "model")
        )
        if interesting:
            yield {k: v for k, v in row.items() if v is not None}


def _interfaces(walk: Walk, problems: Problems) -> Iterator[dict[str, FieldValue]]:
    descr = walk.column(mib.IF_DESCR)
    names = walk.column(mib.IF_NAME)
    kinds = walk.column(mib.IF_TYPE)
    speeds = walk.column(mib.IF_SPEED)
    macs = walk.column(mib.IF_PHYS_ADDRESS)
    admin = walk.column(mib.IF_ADMIN_STATUS)
    oper = walk.column(mib.IF_OPER_STATUS)
    indexes = sorted(set(descr) | set(macs) | set(names))[:MAX_TABLE_ROWS]
    for index in indexes:
        if len(index) != 1:
            continue
        row: dict[str, FieldValue] = {"interface.index": index[0]}
        for label, column, field_name in (("ifDescr", descr, "interface.descr"), ("ifName", names, "interface.name")):
            value = column.get(index)
            raw = value.octets() if value else None
            if value is not None and raw is None:
                problems.add(f"{label}.{index[0]}: expected OCTET STRING, got {value.kind}")
            if raw is not None:
                row[field_name] = safe_text(raw, 255) or None
        mac_value = macs.get(index)
        mac_raw = mac_value.octets() if mac_value else None
        if mac_raw:
            row["interface.mac"] = format_mac(mac_raw)
        for column, field_name in ((kinds, "interface.type"), (speeds, "interface.speed_bps")):
            value = column.get(index)
            row[field_name] = value.number() if value else None
        for column, field_name in ((admin, "interface.admin_up"), (oper, "interface.oper_up")):
            value = column.get(index)
            number = value.number() if value else None
            row[field_name] = None if number is None else number == 1
        yield {k: v for k, v in row.items() if v is not None}


def _addresses(walk: Walk) -> list[str]:
    found: list[str] = []
    for index in walk.column(mib.IP_AD_ENT_IF_INDEX):
        if len(index) == 4 and all(0 <= n < 256 for n in index):
            address = ipaddress.IPv4Address(bytes(index))
            if not address.is_loopback:
                found.append(str(address))
    return found[:256]


def _agent_mac(
    walk: Walk, interfaces: list[dict[str, FieldValue]], ip: str, posture: AgentPosture | None
) -> str | None:
    """The MAC that identifies the device: the engine id's, else the one on the interface carrying ``ip``."""
    if posture is not None and posture.engine is not None and posture.engine.mac:
        return posture.engine.mac
    by_index = {row["interface.index"]: row.get("interface.mac") for row in interfaces}
    if ip:
        try:
            key = tuple(ipaddress.IPv4Address(ip).packed)
        except ValueError:
            key = ()
        value = walk.get((*mib.IP_AD_ENT_IF_INDEX, *key)) if key else None
        if value is not None and isinstance(by_index.get(value.number()), str):
            return str(by_index[value.number()])
    return None


def _lldp_links(walk: Walk, origin: Origin, base: dict[str, FieldValue], problems: Problems) -> Iterator[Record]:
    columns = {name: walk.column((*mib.LLDP_REM_ENTRY, number)) for name, number in mib.LLDP_REM.items()}
    local_ports = walk.column(mib.LLDP_LOC_PORT_ID)
    local_descr = walk.column(mib.LLDP_LOC_PORT_DESC)
    addresses = walk.column(mib.LLDP_REM_MAN_ADDR_IF_ID)
    local_chassis = walk.get(mib.LLDP_LOC_CHASSIS_ID)
    local_name = walk.get(mib.LLDP_LOC_SYS_NAME)
    indexes = sorted(set(columns["chassis_id"]) | set(columns["sys_name"]))[:MAX_TABLE_ROWS]
    for index in indexes:
        if len(index) != 3:  # (timeMark, localPortNum, remIndex)
            continue
        _, port_num, rem_index = index
        fields: dict[str, FieldValue] = {**base, "link.kind": "lldp", "link.local_port_num": port_num}
        local_id = local_ports.get((port_num,))
        local_desc = local_descr.get((port_num,))
        fields["link.local_port"] = _lldp_id(local_id, None) or _lldp_id(local_desc, None)
        fields["link.local_chassis_id"] = _lldp_id(local_chassis, 4)
        fields["link.local_device"] = (
            _lldp_id(local_name, None) or _text_field(base, "asset.name") or origin.name or None
        )
        fields["link.local_address"] = origin.ip or None
        subtype = columns["chassis_id_subtype"].get(index)
        fields["link.remote_chassis_id"] = _lldp_id(
            columns["chassis_id"].get(index), subtype.number() if subtype else None
        )
        port_subtype = columns["port_id_subtype"].get(index)
        fields["link.remote_port"] = _lldp_id(
            columns["port_id"].get(index), port_subtype.number() if port_subtype else None
        )
        fields["link.remote_port_descr"] = _lldp_id(columns["port_descr"].get(index), None)
        fields["link.remote_device"] = _lldp_id(columns["sys_name"].get(index), None)
        fields["link.remote_system_descr"] = _lldp_id(columns["sys_descr"].get(index), None)
        if subtype is not None and subtype.number() == 4:
            fields["link.remote_mac"] = fields["link.remote_chassis_id"]
        caps = columns["caps_enabled"].get(index)
        raw_caps = caps.octets() if caps else None
        if raw_caps:
            bits = int.from_bytes(raw_caps[:2].ljust(2, b"\x00"), "big")
            fields["link.remote_capabilities"] = [
                name for i, name in enumerate(mib.LLDP_CAPABILITIES) if bits & (0x8000 >> i)
            ]
        remote_ips = [_man_address(suffix) for suffix in addresses if suffix[:3] == index]
        fields["link.remote_address"] = next((ip for ip in remote_ips if ip), None)
        key = f"lldp/{port_num}/{rem_index}"
        fields["link.source"] = "snmp:lldp-mib"
        yield _record("comms_link", origin, key, fields, oid=oid_text((*mib.LLDP_REM_ENTRY, 5, *index)))
    if len(indexes) >= MAX_TABLE_ROWS:
        problems.add("lldpRemTable: row limit reached")


def _text_field(fields: dict[str, FieldValue], name: str) -> str | None:
    value = fields.get(name)
    return value if isinstance(value, str) and value else None


def _lldp_id(value: Value | None, subtype: int | None) -> str | None:
    """LLDP ids are octet strings: MACs (subtype 3/4) as ``aa:bb:..``, text as text, binary as hex."""
    if value is None:
        return None
    raw = value.octets()
    if raw is None:
        return None
    if subtype in (3, 4) or (len(raw) == 6 and printable_ratio(raw) < 0.8):
        return format_mac(raw) or raw.hex()
    if printable_ratio(raw) < 0.8:
        return raw.hex()
    return safe_text(raw, 255) or None


def _man_address(suffix: Oid) -> str | None:
    # index: timeMark, localPort, remIndex, addrSubtype, addrLen, addr octets...
    rest = suffix[3:]
    if len(rest) >= 6 and rest[0] == 1 and rest[1] == 4 and all(0 <= n < 256 for n in rest[2:6]):
        return str(ipaddress.IPv4Address(bytes(rest[2:6])))
    return None


def value_kind_ok(value: Value, kind: str) -> bool:
    """True when ``value`` has the SNMP type ``kind`` (used by tests of hostile agents)."""
    return value.kind == kind or (kind == OCTETS and value.kind == IPADDR)
