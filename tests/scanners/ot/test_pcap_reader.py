"""The streaming reader: formats, link types, encapsulations, and clear errors on broken files."""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import pytest
from scapy.layers.inet import IP, TCP, UDP
from scapy.layers.inet6 import IPv6
from scapy.layers.l2 import CookedLinux, CookedLinuxV2, Dot1AD, Dot1Q, Ether, Loopback
from scapy.utils import PcapNgWriter, wrpcap

from xposture.errors import InputError
from xposture.scanners.ot.pcap_reader import read_frames

from .conftest import OT_DATA, of_type, scan

MODBUS_READ = bytes.fromhex("000100000006010300000002")


def frames(path: Path) -> list[tuple[int, float, bytes, int]]:
    return [(lt, ts, bytes(buf[off : off + n]), foff) for lt, ts, buf, off, n, foff in read_frames(path)]


def test_reads_classic_pcap_with_offsets() -> None:
    found = frames(OT_DATA / "enip_test.pcap")
    assert len(found) == 11
    assert found[0][3] == 24  # first record header right after the file header
    assert all(lt == 1 for lt, *_ in found)


def test_reads_pcapng_and_gzip(tmp_path: Path) -> None:
    ng = frames(OT_DATA / "multiple_service_packet_cip.pcapng")
    assert len(ng) == 1 and ng[0][0] == 1
    packed = tmp_path / "enip_test.pcap.gz"
    with (OT_DATA / "enip_test.pcap").open("rb") as src, gzip.open(packed, "wb") as dst:
        shutil.copyfileobj(src, dst)
    assert [f[2] for f in frames(packed)] == [f[2] for f in frames(OT_DATA / "enip_test.pcap")]


@pytest.mark.parametrize(
    ("linktype", "packet"),
    [
        (
            1,
            Ether()
            / Dot1AD(vlan=100)
            / Dot1Q(vlan=20)
            / IP(src="10.0.0.1", dst="10.0.0.2")
            / TCP(sport=40000, dport=502, flags="PA")
            / MODBUS_READ,
        ),
        (
            113,
            CookedLinux(proto=0x0800)
            / IP(src="10.0.0.1", dst="10.0.0.2")
            / TCP(sport=40000, dport=502, flags="PA")
            / MODBUS_READ,
        ),
        (
            276,
            CookedLinuxV2(proto=0x0800)
            / IP(src="10.0.0.1", dst="10.0.0.2")
            / TCP(sport=40000, dport=502, flags="PA")
            / MODBUS_READ,
        ),
        (
            0,
            Loopback(type=2)
            / IP(src="10.0.0.1", dst="10.0.0.2")
            / TCP(sport=40000, dport=502, flags="PA")
            / MODBUS_READ,
        ),
        (101, IP(src="10.0.0.1", dst="10.0.0.2") / TCP(sport=40000, dport=502, flags="PA") / MODBUS_READ),
    ],
    ids=["ethernet-qinq", "sll", "sll2", "null", "raw"],
)
def test_link_types_reach_the_modbus_analyzer(tmp_path: Path, linktype: int, packet: object) -> None:
    path = tmp_path / f"lt{linktype}.pcap"
    wrpcap(str(path), [packet], linktype=linktype)
    records, _ctx, error = scan([path])
    assert error is None
    flow = of_type(records, "network_flow", **{"flow.protocol": "modbus"})
    assert len(flow) == 1
    assert flow[0]["flow.src_ip"] == "10.0.0.1" and flow[0]["flow.dst_port"] == 502
    assert flow[0]["flow.functions"] == ["read_holding_registers"]
    if linktype == 1:
        assert flow[0]["flow.vlan"] == 20  # the customer (inner) tag of the QinQ stack


def test_ipv6_and_pcapng_writer(tmp_path: Path) -> None:
    path = tmp_path / "v6.pcapng"
    writer = PcapNgWriter(str(path))
    writer.write(
        Ether() / IPv6(src="fd00::1", dst="fd00::2") / UDP(sport=50000, dport=47808) / bytes.fromhex("810a000801040005")
    )
    writer.close()
    records, _ctx, error = scan([path])
    assert error is None
    assert of_type(records, "network_flow", **{"flow.src_ip": "fd00::1", "flow.protocol": "bacnet"})


def test_truncated_file_keeps_frames_and_names_the_offset(tmp_path: Path) -> None:
    data = (OT_DATA / "enip_test.pcap").read_bytes()
    broken = tmp_path / "cut.pcap"
    broken.write_bytes(data[: len(data) - 10])
    seen = []
    with pytest.raises(InputError) as info:
        for frame in read_frames(broken):
            seen.append(frame[5])
    assert len(seen) == 10
    assert info.value.file == str(broken)
    assert info.value.offset == seen[-1] + 16 + (frames(OT_DATA / "enip_test.pcap")[9][2].__len__())


def test_corrupt_record_length_is_an_input_error(tmp_path: Path) -> None:
    data = bytearray((OT_DATA / "enip_test.pcap").read_bytes())
    data[24 + 8 : 24 + 12] = (10**9).to_bytes(4, "little")
    broken = tmp_path / "corrupt.pcap"
    broken.write_bytes(bytes(data))
    with pytest.raises(InputError, match="corrupt packet record") as info:
        list(read_frames(broken))
    assert info.value.offset == 24


@pytest.mark.parametrize(
    "content",
    [b"", b"not a capture at all", b"\x0a\x0d\x0d\x0a\x1c\x00\x00\x00garbage!", b"\x1f\x8b\x08\x00 not deflate data"],
    ids=["empty", "text", "bad-pcapng", "bad-gzip"],
)
def test_wrong_format_is_an_input_error(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "bad.pcap"
    path.write_bytes(content)
    with pytest.raises(InputError) as info:
        list(read_frames(path))
    assert info.value.file == str(path)
    assert info.value.offset is not None


def test_missing_file_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot open"):
        list(read_frames(tmp_path / "absent.pcap"))


def test_truncated_gzip_keeps_frames(tmp_path: Path) -> None:
    packed = gzip.compress((OT_DATA / "EIP-RebootorRestart.pcap").read_bytes())
    broken = tmp_path / "cut.pcap.gz"
    broken.write_bytes(packed[: len(packed) // 2])
    seen = 0
    with pytest.raises(InputError) as info:
        for _frame in read_frames(broken):
            seen += 1
    assert seen > 100
    assert info.value.file == str(broken) and info.value.offset is not None
