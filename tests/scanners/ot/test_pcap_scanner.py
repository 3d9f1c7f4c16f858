"""The pcap scanner on real captures: identities, operations, credentials, remote access, zones, coverage."""

from __future__ import annotations

import ipaddress
import shutil
from pathlib import Path

import pytest

from xposture.errors import InputError
from xposture.inventory.model import Conduit, DeclaredAsset, Inventory, Site
from xposture.scanners.base import ScanContext, Zone
from xposture.scanners.ot.pcap import PcapScanner, hash_secret

from .conftest import OT_DATA, of_type, scan


def device(records: list, ip: str) -> dict:
    found = of_type(records, "ot_device", **{"asset.ip": ip})
    assert found, f"no ot_device for {ip}"
    return found[0]


def test_enip_list_identity_gives_the_rockwell_enbt() -> None:
    records, ctx, error = scan([OT_DATA / "enip_test.pcap"])
    assert error is None
    enbt = device(records, "10.1.1.164")
    assert enbt["identity.model"] == "1756-ENBT/A"
    assert enbt["identity.vendor"] == "Rockwell Automation/Allen-Bradley"
    assert enbt["identity.firmware"] == "4.03"
    assert enbt["identity.serial"] == "00524d8e"
    assert enbt["identity.product_code"] == "58"
    assert enbt["ot.identity_sources"] == ["enip_list_identity"]
    assert enbt["identity.vendor_id"] == "1" and enbt["identity.device_type"] == "communications_adapter"
    assert enbt["asset.id"] == "ip:fab1/10.1.1.164"
    assert [c.status for c in ctx.coverage] == ["ok"]


def test_s7_szl_gives_order_number_and_firmware() -> None:
    records, _ctx, _error = scan([OT_DATA / "s7ident.pcap"])
    plc = device(records, "172.17.0.2")
    assert plc["identity.model"] == "6ES7 315-2EH14-0AB0"
    assert plc["identity.firmware"] == "V3.2.6"
    assert plc["identity.vendor"] == "Siemens"
    assert plc["identity.product_name"] == "CPU 315-2 PN/DP"
    assert plc["identity.serial"] == "S C-C2UR28922012"
    assert "s7comm" in plc["ot.protocols"]
    flow = of_type(records, "network_flow", **{"flow.protocol": "s7comm"})[0]
    assert "read_szl" in flow["flow.functions"]


def test_mqtt_anonymous_connect_is_a_credential_sighting_without_secret() -> None:
    records, _ctx, _error = scan([OT_DATA / "zeek_mqtt.pcap"])
    cred = of_type(records, "cleartext_credential", **{"cred.protocol": "mqtt"})
    assert len(cred) == 1
    assert cred[0]["cred.anonymous"] is True
    assert cred[0]["cred.succeeded"] is True
    assert cred[0]["cred.secret_seen"] is False
    assert "cred.secret_hash" not in cred[0]
    flow = of_type(records, "network_flow", **{"flow.protocol": "mqtt"})[0]
    assert flow["flow.mqtt_connect_accepted"] is True
    assert flow["flow.internet"] is True  # the broker 198.41.30.241 is public


def test_opcua_get_endpoints_over_security_policy_none() -> None:
    records, _ctx, _error = scan([OT_DATA / "open62541_client-server-getEndpoints.pcap"])
    flow = of_type(records, "network_flow", **{"flow.protocol": "opcua"})[0]
    assert flow["flow.opcua_security_policy"] == "None"
    assert "get_endpoints" in flow["flow.functions"]
    server = device(records, "::1")
    assert server["opcua.security_policies"] == ["None"]
    assert server["opcua.security_none_offered"] is True


def test_opcua_endpoints_found_on_a_non_standard_port() -> None:
    records, _ctx, _error = scan([OT_DATA / "open62541_non-standard-port.pcap"])
    flow = of_type(records, "network_flow", **{"flow.protocol": "opcua"})[0]
    assert flow["flow.dst_port"] == 48010
    server = device(records, "192.168.224.102")
    assert server["opcua.anonymous_offered"] is True
    assert "none" in server["opcua.security_modes"]
    assert server["opcua.endpoint_urls"] == ["opc.tcp://192.168.224.102:4840"]


def test_opcua_encrypted_endpoints_list_every_policy() -> None:
    records, _ctx, _error = scan([OT_DATA / "open62541_client-server_encrypted.pcap"])
    server = device(records, "::1")
    assert {"Basic256Sha256", "None"} <= set(server["opcua.security_policies"])
    assert "sign_and_encrypt" in server["opcua.security_modes"]


def test_cip_restart_and_mode_change_are_operations() -> None:
    records, _ctx, _error = scan([OT_DATA / "EIP-RebootorRestart.pcap"])
    ops = {r["op.operation"]: r for r in of_type(records, "ot_operation")}
    assert {"mode_change", "restart"} <= set(ops)
    assert ops["mode_change"]["op.src_ip"] == "192.168.10.105"
    assert ops["mode_change"]["op.dst_ip"] == "192.168.10.120"
    assert ops["mode_change"]["op.attack_technique"] == "T0858"
    assert ops["restart"]["op.attack_technique"] == "T0816"
    assert ops["mode_change"]["op.targets"] == ["class 0x8e"]  # the Logix controller object
    assert ops["mode_change"]["source.file"].endswith("EIP-RebootorRestart.pcap")
    assert isinstance(ops["mode_change"]["source.offset"], int)
    adapter = device(records, "192.168.10.120")  # the ENBT routes the identity request to the controller
    assert adapter["ot.modules"] == ["slot 0: 1756-L61/B LOGIX5561 firmware 16.20 serial 0051823f"]


def test_s7_download_and_dnp3_cold_restart() -> None:
    records, _ctx, _error = scan(
        [OT_DATA / "s7comm_downloading_block_db1.pcap", OT_DATA / "cold_restart_and_response.pcap"]
    )
    ops = {(r["op.protocol"], r["op.operation"]) for r in of_type(records, "ot_operation")}
    assert ("s7comm", "program_download") in ops
    assert ("dnp3", "restart") in ops


def test_cleartext_logins_are_hashed_never_stored() -> None:
    records, _ctx, _error = scan(
        [OT_DATA / "ftp_ipv4.pcap", OT_DATA / "telnet_session.pcap", OT_DATA / "snmpv1_get.pcap"]
    )
    creds = {r["cred.protocol"]: r for r in of_type(records, "cleartext_credential")}
    assert creds["ftp"]["cred.user"] == "anonymous" and creds["ftp"]["cred.anonymous"] is True
    assert creds["telnet"]["cred.user"] == "fake"
    assert creds["telnet"]["cred.secret_seen"] is True
    assert creds["telnet"]["cred.secret_hash"].startswith("pbkdf2_sha256$")
    assert creds["snmp"]["cred.kind"] == "community" and creds["snmp"]["cred.is_default"] is True
    values = [
        v
        for r in records
        for k, field in r.items()
        if k != "flow.functions"  # FTP verbs: "user", "pass"...
        for v in (field if isinstance(field, list) else [field])
    ]
    for secret in ("user", "test", "public"):  # telnet password, FTP password, SNMP community
        assert secret not in values
        assert not any(isinstance(v, str) and secret in v.split("$") for v in values)
    salt = bytes.fromhex(creds["telnet"]["cred.secret_hash"].split("$")[2])
    assert creds["telnet"]["cred.secret_hash"] == hash_secret(salt, b"user")


def test_ftp_brute_force_is_one_record_with_guessing_flag() -> None:
    records, _ctx, _error = scan([OT_DATA / "ftp_bruteforce.pcap"])
    creds = of_type(records, "cleartext_credential", **{"cred.protocol": "ftp"})
    assert len(creds) == 1
    assert creds[0]["cred.password_guessing"] is True
    assert creds[0]["cred.failed_attempts"] >= 5


def test_remote_access_sessions_and_legacy_ssh() -> None:
    records, _ctx, _error = scan([OT_DATA / "ssh1-ssh2-fingerprints.pcap", OT_DATA / "telnet_session.pcap"])
    sessions = of_type(records, "remote_access_session")
    assert {r["ra.protocol"] for r in sessions} == {"ssh", "telnet"}
    assert any(r.get("ra.legacy_version") for r in sessions)
    telnet = next(r for r in sessions if r["ra.protocol"] == "telnet")
    assert telnet["ra.encrypted"] is False


def test_layer2_discovery_identities() -> None:
    records, _ctx, _error = scan([OT_DATA / "lldp_and_cdp.pcap", OT_DATA / "profinet_dcp.pcap"])
    l2 = [r for r in records if r["record.key"] == "l2_identity"]
    assert any("cdp" in r["ot.identity_sources"] and r.get("identity.model") for r in l2)
    dcp = of_type(records, "network_flow", **{"flow.protocol": "profinet", "flow.transport": "ethernet"})
    assert len(dcp) >= 10  # ten devices multicasting DCP Identify requests


def test_mms_identify_and_modbus_non_modbus_on_502() -> None:
    records, _ctx, _error = scan([OT_DATA / "iec61850_mms.pcap", OT_DATA / "modbus-and-non-modbus-p502.pcap"])
    ied = device(records, "10.101.1.2")
    assert ied["identity.vendor"] == "AREVA T&D Corporation"
    assert ied["identity.firmware"] == "2.3.1"
    flows = of_type(records, "network_flow", **{"flow.dst_port": 502})
    assert flows  # parsed without error whatever rides on 502


def test_zones_conduits_engineering_hosts_and_inventory() -> None:
    net = ipaddress.ip_network
    zones = [
        Zone("engineering", "fab1", [net("192.168.10.105/32")], 3),
        Zone("cell-a", "fab1", [net("192.168.10.0/24"), net("10.1.1.0/24")], 1),
        Zone("enterprise", "fab1", [net("10.1.1.167/32")], 4),
    ]
    site = Site(
        name="fab1",
        zones=zones,
        conduits=[Conduit("engineering", "cell-a", ["enip"])],
        engineering_hosts=["192.168.1.10"],
        assets=[
            DeclaredAsset(name="plc", ip="192.168.10.120", firmware="16.19"),
            DeclaredAsset(name="enbt", ip="10.1.1.164", model="1756-ENBT/A", firmware="4.02"),
        ],
    )
    ctx = ScanContext(zones=zones, inventory=Inventory(sites=[site]))
    records, ctx, _error = scan([OT_DATA / "EIP-RebootorRestart.pcap", OT_DATA / "enip_test.pcap"], ctx=ctx)
    cip = of_type(records, "network_flow", **{"flow.protocol": "enip", "flow.dst_ip": "192.168.10.120"})[0]
    assert cip["flow.src_zone"] == "engineering" and cip["flow.dst_zone"] == "cell-a"
    assert cip["flow.crosses_zone"] is True and cip["flow.conduit_allowed"] is True
    direct = of_type(records, "network_flow", **{"flow.protocol": "enip", "flow.dst_ip": "10.1.1.164"})[0]
    assert direct["flow.it_to_control"] is True and direct["flow.conduit_allowed"] is False
    op = of_type(records, "ot_operation", **{"op.operation": "mode_change"})[0]
    assert op["op.src_is_engineering_host"] is False and op["op.crosses_zone"] is True
    assert op["op.conduit_allowed"] is True  # engineering -> cell-a allows enip
    plc = device(records, "192.168.10.120")
    assert plc["ot.declared"] is True
    enbt = device(records, "10.1.1.164")
    assert enbt["ot.declared"] is True and enbt["ot.firmware_differs_from_declared"] is True
    assert enbt["ot.declared_firmware"] == "4.02" and enbt["identity.firmware"] == "4.03"
    host = of_type(records, "network_host", **{"host.ip": "10.1.1.167"})[0]
    assert host["host.declared"] is False and host["host.speaks_ot_as_client"] is True


def test_broken_file_in_a_folder_does_not_stop_the_others(tmp_path: Path) -> None:
    folder = tmp_path / "captures"
    folder.mkdir()
    shutil.copy(OT_DATA / "enip_test.pcap", folder / "a_good.pcap")
    shutil.copy(OT_DATA / "s7ident.pcap", folder / "c_good.pcap")
    data = (OT_DATA / "zeek_mqtt.pcap").read_bytes()
    (folder / "b_cut.pcap").write_bytes(data[:-7])
    (folder / "d_text.pcap").write_bytes(b"hello, not a capture\n")
    for workers in (1, 2):
        records, ctx, error = scan([folder], workers=workers)
        assert isinstance(error, InputError)
        status = {Path(c.target).name: c.status for c in ctx.coverage}
        assert status == {"a_good.pcap": "ok", "b_cut.pcap": "partial", "c_good.pcap": "ok", "d_text.pcap": "failed"}
        cut = next(c for c in ctx.coverage if c.target.endswith("b_cut.pcap"))
        assert "offset" in cut.detail
        assert device(records, "10.1.1.164")["identity.model"] == "1756-ENBT/A"
        assert device(records, "172.17.0.2")["identity.firmware"] == "V3.2.6"
        assert of_type(records, "network_flow", **{"flow.protocol": "mqtt"})  # what was read before the cut


def test_empty_folder_is_reported_as_skipped(tmp_path: Path) -> None:
    records, ctx, error = scan([tmp_path])
    assert records == [] and error is None
    assert ctx.coverage[0].status == "skipped"


def test_header_only_mode_still_maps_conversations() -> None:
    records, _ctx, _error = scan([OT_DATA / "enip_test.pcap"], deep=False)
    assert of_type(records, "network_flow", **{"flow.protocol": "enip"})
    device_record = device(records, "10.1.1.164")  # it serves EtherNet/IP...
    assert "identity.model" not in device_record  # ...but no payload was read for its identity


def test_cancelled_scan_reports_timeout() -> None:
    ctx = ScanContext()
    ctx.cancel_event.set()
    _records, ctx, _error = scan([OT_DATA / "enip_test.pcap"], ctx=ctx, workers=1)
    assert [c.status for c in ctx.coverage] == ["timeout"]


def test_scanner_contract() -> None:
    assert PcapScanner.name == "pcap" and PcapScanner.layer.value == "ot"
    assert set(PcapScanner.options) >= {"paths", "workers", "deep"}


@pytest.mark.slow
def test_whole_shared_corpus(tmp_path: Path) -> None:
    from .conftest import shared_pcaps

    records, ctx, error = scan([shared_pcaps()])
    assert error is None, error
    assert all(c.status == "ok" for c in ctx.coverage), [c for c in ctx.coverage if c.status != "ok"]
    models = {r.get("identity.model") for r in of_type(records, "ot_device")}
    assert {"1756-ENBT/A", "6ES7 315-2EH14-0AB0", "6ES7 151-8AB01-0AB0", "MS-NAE4510-2", "e-terracomm"} <= models


def test_progress_reports_file_offsets(tmp_path: Path) -> None:
    import struct

    from scapy.layers.inet import IP, UDP
    from scapy.layers.l2 import Ether

    frame = bytes(Ether() / IP(src="10.0.0.1", dst="10.0.0.2") / UDP(sport=1000, dport=161))
    record = struct.pack("<IIII", 1, 0, len(frame), len(frame)) + frame
    path = tmp_path / "many.pcap"
    path.write_bytes(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1) + record * 70000)
    seen: list[tuple[str, int, int | None]] = []
    ctx = ScanContext(progress=lambda task, done, total: seen.append((task, done, total)))
    scan([path], ctx=ctx, workers=1)
    assert seen and all(task == "pcap many.pcap" and total == path.stat().st_size for task, _done, total in seen)
    assert 0 < seen[0][1] < path.stat().st_size


def test_modbus_read_device_identification_response(tmp_path: Path) -> None:
    """FC 43/14 answers (none in the corpus) are built with scapy's own Modbus layer and read back."""
    from scapy.contrib.modbus import (
        ModbusADURequest,
        ModbusADUResponse,
        ModbusObjectId,
        ModbusPDU2B0EReadDeviceIdentificationRequest,
        ModbusPDU2B0EReadDeviceIdentificationResponse,
    )
    from scapy.layers.inet import IP, TCP
    from scapy.layers.l2 import Ether
    from scapy.utils import wrpcap

    ip = Ether() / IP(src="10.0.0.5", dst="10.0.0.9")
    request = (
        ip
        / TCP(sport=41000, dport=502, flags="PA", seq=1)
        / ModbusADURequest(transId=1, unitId=1)
        / (ModbusPDU2B0EReadDeviceIdentificationRequest(readCode=1))
    )
    objects = (
        ModbusObjectId(id=0, value=b"Schneider Electric")
        / ModbusObjectId(id=1, value=b"BMX P34 2020")
        / ModbusObjectId(id=2, value=b"v2.70")
    )
    reply = ModbusADUResponse(transId=1, unitId=1) / ModbusPDU2B0EReadDeviceIdentificationResponse(objCount=3) / objects
    response = Ether() / IP(src="10.0.0.9", dst="10.0.0.5") / TCP(sport=502, dport=41000, flags="PA", seq=1) / reply
    path = tmp_path / "fc43.pcap"
    wrpcap(str(path), [request, response])
    records, _ctx, _error = scan([path])
    plc = device(records, "10.0.0.9")
    assert plc["identity.vendor"] == "Schneider Electric"
    assert plc["identity.product_code"] == "BMX P34 2020"
    assert plc["identity.firmware"] == "v2.70"
    assert plc["ot.identity_sources"] == ["modbus_device_identification"]
    host = of_type(records, "network_host", **{"host.ip": "10.0.0.5"})[0]
    assert host["host.ot_discovery_requests"] == 1


def test_connection_state_is_bounded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A long capture of short connections prunes per-connection state instead of growing without end."""
    import struct

    from scapy.layers.inet import IP, TCP
    from scapy.layers.l2 import Ether

    from xposture.scanners.ot import flows
    from xposture.scanners.ot.analyzers import install
    from xposture.scanners.ot.pcap_reader import read_frames

    monkeypatch.setattr(flows, "MAX_CONNECTIONS", 64)
    template = bytes(Ether() / IP(src="10.0.0.1", dst="10.0.0.2") / TCP(sport=1, dport=80, flags="S"))
    head = struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)
    body = b"".join(
        struct.pack("<IIII", 1000 + i, 0, len(template), len(template))
        + template[:34]
        + struct.pack("!H", 1024 + i)
        + template[36:]
        for i in range(1000)
    )
    path = tmp_path / "syns.pcap"
    path.write_bytes(head + body)
    capture = install(flows.Capture(hasher=str))
    capture.process(read_frames(path))
    assert capture.expired > 0 and len(capture.table) <= 64
    conv = next(iter(capture.conversations.values()))
    assert conv.connections == 1000 and conv.c_pkts == 1000


def test_opcua_session_logins() -> None:
    """ActivateSession tokens: a cleartext user password (policy None) and an anonymous login, both accepted."""
    records, _ctx, _error = scan([OT_DATA / "open62541_client-server_minimal.pcap"])
    cred = of_type(records, "cleartext_credential", **{"cred.protocol": "opcua"})
    assert len(cred) == 1
    assert cred[0]["cred.user"] == "user1" and cred[0]["cred.kind"] == "password"
    assert cred[0]["cred.secret_seen"] is True and cred[0]["cred.succeeded"] is True
    records, _ctx, _error = scan([OT_DATA / "python_opcua-client-server_minimal.pcap"])
    cred = of_type(records, "cleartext_credential", **{"cred.protocol": "opcua"})
    assert cred[0]["cred.anonymous"] is True and cred[0]["cred.succeeded"] is True


def test_bacnet_i_am_and_device_object() -> None:
    records, _ctx, _error = scan([OT_DATA / "bacnet_test.pcap"])
    controller = device(records, "10.1.1.165")
    assert controller["identity.model"] == "MS-NAE4510-2"
    assert controller["identity.firmware"] == "5.1.0.4400"
    assert controller["ot.bacnet_device_instance"]
    assert controller["identity.vendor_id"] == "5"


def test_deadline_stops_worker_processes(tmp_path: Path) -> None:
    import struct
    import time

    from scapy.layers.inet import IP, UDP
    from scapy.layers.l2 import Ether

    frame = bytes(Ether() / IP(src="10.0.0.1", dst="10.0.0.2") / UDP(sport=1000, dport=161))
    record = struct.pack("<IIII", 1, 0, len(frame), len(frame)) + frame
    head = struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)
    for name in ("a.pcap", "b.pcap"):
        (tmp_path / name).write_bytes(head + record * 70000)
    ctx = ScanContext(deadline=time.monotonic() - 1)
    records, ctx, error = scan([tmp_path], ctx=ctx, workers=2)
    assert error is None
    assert [c.status for c in ctx.coverage] == ["timeout", "timeout"]
    assert all("65536 packets" in c.detail for c in ctx.coverage)  # what was read is kept and said
    assert records  # ...and still turned into records


def test_profinet_dcp_identify_response_and_set(tmp_path: Path) -> None:
    """A DCP Identify answer (none in the corpus; written out block by block) and a DCP Set request."""
    from scapy.contrib.pnio import ProfinetIO
    from scapy.contrib.pnio_dcp import ProfinetDCP
    from scapy.layers.l2 import Ether
    from scapy.packet import Raw
    from scapy.utils import wrpcap

    device_mac, tool_mac = "00:1b:1b:aa:bb:cc", "00:0c:29:11:22:33"
    blocks = bytes.fromhex(
        "0201000900005337" + b"-1500".hex() + "00"  # type of station "S7-1500" (+ pad)
        "0202000c0000"
        + b"plc-line-3".hex()  # name of station
        + "020300060000002a010e"  # vendor 0x002a (Siemens), device 0x010e
        + "0102000e0001c0a8000affffff0000000000"  # IP 192.168.0.10/24
    )
    header = bytes.fromhex("0501" + "01000001" + "0000") + len(blocks).to_bytes(2, "big")
    answer = Ether(src=device_mac, dst=tool_mac) / ProfinetIO(frameID=0xFEFF) / Raw(header + blocks)
    set_name = (
        Ether(src=tool_mac, dst=device_mac)
        / ProfinetIO(frameID=0xFEFD)
        / ProfinetDCP(
            service_id=4, service_type=0, option=2, sub_option=2, dcp_block_length=12, name_of_station=b"evil-name"
        )
    )
    path = tmp_path / "dcp.pcap"
    wrpcap(str(path), [answer, set_name])
    records, _ctx, _error = scan([path])
    found = [r for r in records if r["record.key"] == "l2_identity"]
    assert len(found) == 1 and found[0]["record.type"] == "ot_device"
    assert found[0]["asset.mac"] == device_mac and found[0]["asset.ip"] == "192.168.0.10"
    assert found[0]["identity.model"] == "S7-1500" and found[0]["identity.name"] == "plc-line-3"
    assert found[0]["identity.product_code"] == "0x010e"
    op = of_type(records, "ot_operation", **{"op.operation": "dcp_set"})
    assert op and op[0]["asset.id"] == f"mac:{device_mac}"


def test_goose_publishers_are_layer2_devices() -> None:
    records, _ctx, _error = scan([OT_DATA / "iec61850_goose.pcap"])
    ieds = {r["asset.mac"]: r for r in of_type(records, "ot_device") if r["record.key"] == "l2_identity"}
    assert len(ieds) == 3
    ied = ieds["0a:bb:fe:10:c9:02"]
    assert ied["identity.name"] == "AA1C1Q01A1LD0"
    assert ied["ot.goose_control_block"] == "AA1C1Q01A1LD0/LLN0$GO$gcb_A"
    assert ied["ot.goose_dataset"] == "AA1C1Q01A1LD0/LLN0$InterlockingA"
    assert ied["ot.goose_app_id"] == "0x3001" and ied["ot.goose_simulation"] is False
    assert ied["ot.protocols"] == ["goose"]


def test_modbus_write_targets_as_register_ranges() -> None:
    records, _ctx, _error = scan([OT_DATA / "digitalbond_modbus_test_data_part1.pcap"])
    write = of_type(records, "ot_operation", **{"op.protocol": "modbus", "op.operation": "write"})[0]
    assert write["op.targets"] == ["coil 00002", "coil 00003", "holding 40006"]


def test_http_basic_auth_rdp_vnc_and_tftp(tmp_path: Path) -> None:
    """Sessions the corpus lacks, written with scapy: HTTP basic auth, an RDP cookie, a VNC greeting, a TFTP write."""
    import base64

    from scapy.layers.inet import IP, TCP, UDP
    from scapy.layers.l2 import Ether
    from scapy.utils import wrpcap

    def tcp(src: str, dst: str, sport: int, dport: int, payload: bytes, seq: int = 1) -> object:
        return Ether() / IP(src=src, dst=dst) / TCP(sport=sport, dport=dport, flags="PA", seq=seq) / payload

    auth = base64.b64encode(b"admin:s3cret-pw").decode()
    frames = [
        tcp(
            "10.0.0.5",
            "10.0.0.9",
            41000,
            80,
            f"GET /cfg HTTP/1.1\r\nHost: plc\r\nAuthorization: Basic {auth}\r\n\r\n".encode(),
        ),
        tcp("10.0.0.9", "10.0.0.5", 80, 41000, b"HTTP/1.1 200 OK\r\nServer: GoAhead-Webs\r\n\r\n"),
        tcp(
            "10.0.0.5",
            "10.0.0.20",
            41001,
            3389,
            bytes.fromhex("0300002a25e00000000000") + b"Cookie: mstshash=operator\r\n",
        ),
        tcp("10.0.0.21", "10.0.0.5", 5900, 41002, b"RFB 003.008\n"),
        Ether()
        / IP(src="10.0.0.5", dst="10.0.0.30")
        / UDP(sport=41003, dport=69)
        / b"\x00\x02firmware.bin\x00octet\x00",
    ]
    path = tmp_path / "sessions.pcap"
    wrpcap(str(path), frames)
    records, _ctx, _error = scan([path])
    cred = of_type(records, "cleartext_credential", **{"cred.protocol": "http"})[0]
    assert cred["cred.kind"] == "basic_auth" and cred["cred.user"] == "admin" and cred["cred.secret_seen"] is True
    assert "s3cret-pw" not in str(records)
    host = of_type(records, "network_host", **{"host.ip": "10.0.0.9"})[0]
    assert host["host.server_software"] == ["GoAhead-Webs"]
    sessions = {r["ra.protocol"]: r for r in of_type(records, "remote_access_session")}
    assert sessions["rdp"]["ra.user"] == "operator"
    assert sessions["vnc"]["ra.version"] == "3.8" and sessions["vnc"]["ra.encrypted"] is False
    assert "tftp" in sessions
    op = of_type(records, "ot_operation", **{"op.protocol": "tftp"})[0]
    assert op["op.operation"] == "file_write" and op["op.dst_ip"] == "10.0.0.30"


def test_iec104_s7comm_plus_and_cip_multiple_service_packet() -> None:
    records, _ctx, _error = scan(
        [
            OT_DATA / "TestDissectIec104.pcap",
            OT_DATA / "s7-1200-hmi.pcap",
            OT_DATA / "multiple_service_packet_cip.pcapng",
        ]
    )
    ops = {(r["op.protocol"], r["op.operation"]) for r in of_type(records, "ot_operation")}
    assert {("iec104", "operate"), ("iec104", "time_set"), ("s7comm_plus", "write")} <= ops
    iec = of_type(records, "network_flow", **{"flow.protocol": "iec104"})[0]
    assert {"startdt_act", "single_command", "interrogation"} <= set(iec["flow.functions"])
    assert iec["flow.control_count"] >= 6  # STARTDT acts and commands
    cip = of_type(records, "network_flow", **{"flow.protocol": "enip"})[0]
    assert cip["flow.functions"] == ["get_attribute_list"] and cip["flow.read_count"] == 11  # unwrapped from 0x0a
