"""Packets per second of the pcap scanner, next to scapy's full dissection and tshark field extraction.

Run on demand (not part of the test suite):

    python bench/pcap_bench.py [CAPTURE] [--scapy-packets N] [--repeat N] [--no-memory]

CAPTURE defaults to the merged throughput capture in ``../shared/data/pcaps/throughput/``.
All three are measured in the same run on the same file. Ours is end to end
(file -> records, one worker process, ``deep`` on and off); scapy is
``PcapReader`` with the ICS contrib layers loaded, over the first
``--scapy-packets`` packets (its rate is per packet, so a prefix is enough to
keep the run short); tshark is ``tshark -T fields`` over the whole file.
The memory check scans the capture concatenated ``--repeat`` times (by
mergecap) in a fresh process and compares peak RSS: streaming means it
stays flat however long the capture is.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from xposture.scanners.base import ScanContext, SourceConfig  # noqa: E402
from xposture.scanners.ot.pcap import PcapScanner  # noqa: E402
from xposture.scanners.ot.pcap_reader import read_frames  # noqa: E402

TSHARK_FIELDS = [
    "frame.number",
    "frame.time_epoch",
    "eth.src",
    "ip.src",
    "ip.dst",
    "tcp.srcport",
    "tcp.dstport",
    "udp.srcport",
    "udp.dstport",
    "_ws.col.Protocol",
]


def default_capture() -> Path:
    bases = [Path(os.environ["XPOSTURE_SHARED_DATA"])] if os.environ.get("XPOSTURE_SHARED_DATA") else []
    for base in [*bases, REPO.parent / "shared" / "data", REPO.parent.parent / "shared" / "data"]:
        path = base / "pcaps" / "throughput" / "ics_mixed_concat_12MB.pcap"
        if path.is_file():
            return path
    sys.exit("no capture given and ../shared/data/pcaps/throughput/ics_mixed_concat_12MB.pcap is absent")


def count_packets(path: Path) -> int:
    return sum(1 for _ in read_frames(path))


def ours(path: Path, deep: bool) -> tuple[float, float, int]:
    """``(wall_s, cpu_s, records)`` of one end-to-end scan in this process (one worker)."""
    source = SourceConfig("pcap", {"paths": [str(path)], "workers": 1, "deep": deep}, path.parent, site="bench")
    ctx = ScanContext()
    wall, cpu = time.perf_counter(), time.process_time()
    records = sum(1 for _ in PcapScanner().scan(source, ctx))
    return time.perf_counter() - wall, time.process_time() - cpu, records


def scapy_full(path: Path, limit: int) -> tuple[float, float, int]:
    """``(wall_s, cpu_s, packets)`` of scapy's PcapReader with the ICS contrib layers, over ``limit`` packets."""
    from scapy.all import load_contrib
    from scapy.utils import PcapReader

    for name in ("modbus", "enipTCP", "mqtt", "scada.iec104", "pnio", "pnio_dcp", "lldp", "cdp"):
        with contextlib.suppress(Exception):  # a contrib layer missing in this build only makes scapy faster
            load_contrib(name)
    wall, cpu = time.perf_counter(), time.process_time()
    n = 0
    with PcapReader(str(path)) as reader:
        for packet in reader:
            packet.summary()
            n += 1
            if n >= limit:
                break
    return time.perf_counter() - wall, time.process_time() - cpu, n


def tshark_fields(path: Path) -> tuple[float, float, int] | None:
    """``(wall_s, cpu_s, lines)`` of ``tshark -T fields`` over the whole file, or ``None`` when tshark is absent.

    CPU time is the child's user+system time, so a busy machine skews neither side of the comparison.
    """
    exe = shutil.which("tshark")
    if exe is None:
        return None
    args = [exe, "-n", "-r", str(path), "-T", "fields"]
    for name in TSHARK_FIELDS:
        args += ["-e", name]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    wall = time.perf_counter()
    done = subprocess.run(args, capture_output=True, check=False)
    wall = time.perf_counter() - wall
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, done.stdout.count(b"\n")


def peak_rss_mb(path: Path) -> float:
    """Peak RSS of a fresh process that scans ``path`` end to end."""
    code = (
        "import resource,sys;from pathlib import Path;"
        "from xposture.scanners.base import ScanContext,SourceConfig;"
        "from xposture.scanners.ot.pcap import PcapScanner;"
        f"s=SourceConfig('pcap',{{'paths':[{str(path)!r}],'workers':1}},Path('.'),site='bench');"
        "n=sum(1 for _ in PcapScanner().scan(s,ScanContext()));"
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO)
    return int(out.stdout.strip().splitlines()[-1]) / 1024


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("capture", nargs="?", type=Path)
    parser.add_argument("--scapy-packets", type=int, default=5000, help="packets scapy dissects (default 5000)")
    parser.add_argument("--repeat", type=int, default=4, help="copies of the capture for the memory check")
    parser.add_argument("--no-memory", action="store_true", help="skip the memory check")
    args = parser.parse_args()
    path = args.capture or default_capture()
    packets = count_packets(path)
    size_mb = path.stat().st_size / 1e6
    print(f"capture: {path} ({size_mb:.1f} MB, {packets} packets); cpus: {os.cpu_count()}", flush=True)

    ours(path, True)  # warm imports and page cache
    rows: list[tuple[str, float, float]] = []
    for deep in (True, False):
        best = min((ours(path, deep) for _ in range(3)), key=lambda r: r[1])
        label = "xposture pcap, deep (records out)" if deep else "xposture pcap, headers only (records out)"
        rows.append((label, packets / best[0], packets / best[1]))
    s_wall, s_cpu, s_n = scapy_full(path, args.scapy_packets)
    rows.append((f"scapy PcapReader full dissection ({s_n} pkts)", s_n / s_wall, s_n / s_cpu))
    shark = tshark_fields(path)
    if shark is not None:
        rows.append(("tshark -T fields (its own process)", packets / shark[0], packets / shark[1]))

    print(f"\n{'tool':<48} {'pkts/s (wall)':>14} {'pkts/s (cpu)':>14}")
    for label, wall_rate, cpu_rate in rows:
        print(f"{label:<48} {wall_rate:>14,.0f} {cpu_rate:>14,.0f}")
    deep_rate = rows[0][2]
    print(f"\nxposture deep vs scapy (cpu):  {deep_rate / rows[2][2]:.0f}x")
    if shark is not None:
        print(f"xposture deep vs tshark (cpu):  {deep_rate / rows[3][2]:.1f}x   (wall: {rows[0][1] / rows[3][1]:.1f}x)")
    target = "meets" if deep_rate >= 300_000 else "misses"
    print(f"target >= 300k packets/s per core end to end: {target} ({deep_rate:,.0f} cpu-time rate)")

    if not args.no_memory and shutil.which("mergecap"):
        with tempfile.TemporaryDirectory() as tmp:
            big = Path(tmp) / f"x{args.repeat}.pcap"
            subprocess.run(["mergecap", "-a", "-F", "pcap", "-w", str(big)] + [str(path)] * args.repeat, check=True)
            one, many = peak_rss_mb(path), peak_rss_mb(big)
            print(
                f"\npeak RSS: {one:.0f} MB for 1x ({size_mb:.0f} MB), {many:.0f} MB for {args.repeat}x "
                f"({big.stat().st_size / 1e6:.0f} MB)"
            )
    print(f"\n(max RSS of this process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
