"""Layer-2 discovery protocols: LLDP, Cisco CDP and PROFINET DCP (identity of switches and field devices)."""

from __future__ import annotations

import ipaddress

from xposture.scanners.ot.dissect.base import ParseError, ber_tlv, need, text

CDP_SNAP = b"\xaa\xaa\x03\x00\x00\x0c\x20\x00"
UNSET_IP = "0.0.0.0"  # noqa: S104 - a DCP device without an address, not a bind
DCP_SERVICES = {3: "get", 4: "set", 5: "identify", 6: "hello"}


def lldp(data: bytes) -> dict[str, str]:
    """System name/description, port and management address of an LLDPDU."""
    found: dict[str, str] = {}
    pos = 0
    while pos + 2 <= len(data):
        head = int.from_bytes(data[pos : pos + 2], "big")
        kind, length = head >> 9, head & 0x1FF
        pos += 2
        if kind == 0:
            break
        need(data, pos + length, "lldp tlv")
        value = data[pos : pos + length]
        if kind == 1 and length > 1:
            found["chassis_id"] = value[1:].hex(":") if value[0] == 4 else text(value[1:])
        elif kind == 2 and length > 1:
            found["port"] = text(value[1:])
        elif kind == 5:
            found["name"] = text(value)
        elif kind == 6:
            found["description"] = text(value)
        elif kind == 8 and length > 2:
            size = value[0]
            if value[1] == 1 and size == 5:
                found["management_ip"] = str(ipaddress.IPv4Address(value[2:6]))
        pos += length
    if not found:
        raise ParseError("empty LLDPDU")
    return found


def cdp(data: bytes) -> dict[str, str]:
    """Device id, software version, platform and first address of a CDP frame (after the SNAP header)."""
    need(data, 4, "cdp header")
    found: dict[str, str] = {}
    pos = 4
    while pos + 4 <= len(data):
        kind = int.from_bytes(data[pos : pos + 2], "big")
        length = int.from_bytes(data[pos + 2 : pos + 4], "big")
        if length < 4:
            raise ParseError("cdp: bad TLV length")
        need(data, pos + length, "cdp tlv")
        value = data[pos + 4 : pos + length]
        if kind == 1:
            found["name"] = text(value)
        elif kind == 5:
            found["description"] = text(value)
        elif kind == 6:
            found["model"] = text(value)
        elif kind == 3:
            found["port"] = text(value)
        elif kind == 2 and len(value) >= 13 and value[4:9] == b"\x01\x01\xcc\x00\x04":
            found["management_ip"] = str(ipaddress.IPv4Address(value[9:13]))
        pos += length
    return found


def dcp(data: bytes) -> dict[str, str]:
    """Service, station name, type of station, vendor/device id and IP of a PROFINET DCP frame (after the frame id).

    Responses are decoded with scapy's ``pnio_dcp`` contrib layer (its DCP
    blocks); for requests only the service matters (Identify = discovery,
    Set = a change of name or IP), read from the header.
    """
    need(data, 10, "dcp header")
    service, service_type = data[0], data[1]
    found: dict[str, str] = {
        "service": DCP_SERVICES.get(service, f"service_{service}"),
        "response": "true" if service_type & 0x01 else "false",
    }
    if not service_type & 0x01:
        return found
    from scapy.contrib.pnio_dcp import (
        DCPDeviceIDBlock,
        DCPIPBlock,
        DCPManufacturerSpecificBlock,
        DCPNameOfStationBlock,
        ProfinetDCP,
    )

    try:
        packet = ProfinetDCP(bytes(data))
        for block in packet.dcp_blocks:
            if isinstance(block, DCPNameOfStationBlock):
                found["name"] = text(bytes(block.name_of_station))
            elif isinstance(block, DCPManufacturerSpecificBlock):
                found["model"] = text(bytes(block.device_vendor_value))
            elif isinstance(block, DCPDeviceIDBlock):
                found["vendor_id"] = f"0x{int(block.vendor_id):04x}"
                found["device_id"] = f"0x{int(block.device_id):04x}"
            elif isinstance(block, DCPIPBlock) and str(block.ip) != UNSET_IP:
                found["ip"] = str(block.ip)
    except Exception as exc:  # scapy raises anything from struct.error to IndexError on garbage
        raise ParseError(f"dcp: {exc.__class__.__name__}") from None
    return found


GOOSE_FIELDS = {0x80: "gocb_ref", 0x82: "dataset", 0x83: "go_id", 0x87: "simulation", 0x88: "conf_rev"}


def goose(data: bytes) -> dict[str, str]:
    """Publisher facts of an IEC 61850 GOOSE frame (after the ethertype): APPID, control block, dataset.

    The control-block reference names the IED and logical device
    (``AA1C1Q01A1LD0/LLN0$GO$gcb_A``): the identity of a substation device
    that never speaks IP. ``simulation`` set means test traffic on a live bus.
    """
    need(data, 10, "goose header")
    found: dict[str, str] = {"app_id": f"0x{int.from_bytes(data[0:2], 'big'):04x}"}
    pos = 8
    if data[pos] != 0x61:
        raise ParseError("goose: expected goosePdu")
    _tag, pos, end = ber_tlv(data, pos)
    while pos < end and len(found) < 8:
        tag, start, stop = ber_tlv(data, pos)
        name = GOOSE_FIELDS.get(tag)
        if name == "simulation":
            found[name] = "true" if data[start:stop] not in (b"", b"\x00") else "false"
        elif name == "conf_rev":
            found[name] = str(int.from_bytes(data[start:stop], "big"))
        elif name:
            found[name] = text(data[start:stop])
        pos = stop
    if "gocb_ref" in found:
        found["name"] = found["gocb_ref"].split("/", 1)[0]
    return found
