"""TLS posture throughput: endpoints/s for versions + weak classes + certificate on many loopback servers.

Starts N Python ``ssl`` servers (one server process, N ports, an ECDSA P-256
certificate from a throwaway CA), scans them with the ``tls`` scanner, and
when sslyze is installed as a separate tool (it is AGPL: never a dependency)
runs it over the same kind of servers with the equivalent checks
(``--sslv2 --sslv3 --tlsv1 --tlsv1_1 --tlsv1_2 --tlsv1_3 --certinfo``) and
prints both figures. Run: ``python bench/comms_bench.py [--endpoints 200]``.

Honest notes printed with the figures: every server shares 127.0.0.1, so
the per-host limit is raised to the endpoint count (on a plant network each
device is its own host and keeps the default of 4); endpoint starts are not
rate-limited (the safety policy's rate is set to 0 for the bench).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import ipaddress
import json
import multiprocessing
import os
import shutil
import ssl
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.peers.certs import make_cert  # noqa: E402
from xposture.scanners.base import SafetyPolicy, ScanContext, SourceConfig  # noqa: E402
from xposture.scanners.comms.tls import TlsScanner  # noqa: E402

SSLYZE_CANDIDATES = ("/tmp/sslyze-venv/bin/sslyze", shutil.which("sslyze") or "")


def _serve(cert: str, key: str, count: int, ports: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    """Server process: ``count`` TLS listeners on one event loop (TLS 1.2 and 1.3, OpenSSL default suites)."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(OSError, TimeoutError, ssl.SSLError):
            await asyncio.wait_for(reader.read(1), 10)
        writer.close()

    async def main() -> None:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        servers = []
        for _ in range(count):
            server = await asyncio.start_server(handle, "127.0.0.1", 0, ssl=context, backlog=512)
            servers.append(server)
            ports.put(server.sockets[0].getsockname()[1])
        await asyncio.Event().wait()

    asyncio.run(main())


def start_servers(folder: Path, count: int) -> tuple[multiprocessing.Process, list[int], Path]:
    files = make_cert(folder, "bench", ec_key=True)
    chain = folder / "bench-chain.pem"
    chain.write_bytes(files.cert.read_bytes() + (files.ca.read_bytes() if files.ca else b""))
    queue: multiprocessing.Queue = multiprocessing.Queue()  # type: ignore[type-arg]
    proc = multiprocessing.Process(target=_serve, args=(str(chain), str(files.key), count, queue), daemon=True)
    proc.start()
    ports = [queue.get(timeout=60) for _ in range(count)]
    assert files.ca is not None
    return proc, ports, files.ca


def run_xposture(ports: list[int], ca: Path) -> tuple[float, int, int]:
    ctx = ScanContext(safety=SafetyPolicy(scopes=[ipaddress.ip_network("127.0.0.0/8")], max_rate_per_s=0))
    options = {
        "endpoints": [f"127.0.0.1:{p}" for p in ports],
        "trust_store": [str(ca)],
        "per_host_limit": len(ports),
        "concurrency": len(ports),
        "timeout_s": 10,
    }
    source = SourceConfig("tls", options, REPO)

    async def drain() -> list[dict[str, object]]:
        return [r async for r in TlsScanner().scan(source, ctx)]

    start = time.perf_counter()
    records = asyncio.run(drain())
    elapsed = time.perf_counter() - start
    ok = sum(1 for c in ctx.coverage if c.status == "ok")
    handshakes = sum(int(r.get("tls.handshakes", 0)) for r in records if r["record.type"] == "tls_endpoint")  # type: ignore[call-overload]
    return elapsed, ok, handshakes


def run_sslyze(binary: str, ports: list[int], ca: Path) -> tuple[float, int]:
    with tempfile.TemporaryDirectory() as tmp:
        targets = Path(tmp) / "targets.txt"
        targets.write_text("".join(f"127.0.0.1:{p}\n" for p in ports))
        out = Path(tmp) / "out.json"
        cmd = [binary, "--quiet", "--mozilla_config", "disable", "--sslv2", "--sslv3", "--tlsv1", "--tlsv1_1",
               "--tlsv1_2", "--tlsv1_3", "--certinfo", "--certinfo_ca_file", str(ca), "--targets_in", str(targets),
               "--json_out", str(out)]  # fmt: skip
        start = time.perf_counter()
        subprocess.run(cmd, check=False, capture_output=True, timeout=3600)
        elapsed = time.perf_counter() - start
        done = 0
        if out.exists():
            document = json.loads(out.read_text())
            done = sum(1 for r in document.get("server_scan_results", []) if r.get("scan_status") == "COMPLETED")
    return elapsed, done


def run_link_join(flow_count: int, link_count: int) -> float:
    """Seconds for the comms_links enricher to join ``flow_count`` flows with ``link_count`` declared links."""
    import random

    from xposture.enrich.comms_links import CommsLinkEnricher
    from xposture.inventory.model import Inventory, Link
    from xposture.scanners.base import Zone

    rng = random.Random(7)
    zones = [Zone(f"z{i}", "fab", [ipaddress.ip_network(f"10.{i}.0.0/16")]) for i in range(10)]
    links = [Link(f"l{i}", f"fab/z{i % 10}", f"fab/z{(i + 1) % 10}", encrypted=True) for i in range(link_count)]
    flows = [
        {
            "record.type": "network_flow",
            "flow.src_ip": f"10.{rng.randrange(10)}.{rng.randrange(4)}.{rng.randrange(250)}",
            "flow.dst_ip": f"10.{rng.randrange(10)}.{rng.randrange(4)}.{rng.randrange(250)}",
            "flow.protocol": rng.choice(["modbus", "https", "s7comm"]),
            "flow.bytes": 100,
        }
        for _ in range(flow_count)
    ]
    ctx = ScanContext(zones=zones, inventory=Inventory(links=links))
    start = time.perf_counter()
    list(CommsLinkEnricher().enrich(flows, ctx))  # type: ignore[arg-type]
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--endpoints", type=int, default=200, help="loopback TLS servers (default 200)")
    parser.add_argument(
        "--sslyze-endpoints", type=int, default=40, help="servers given to sslyze (default 40: it is much slower)"
    )
    parser.add_argument("--flows", type=int, default=100000, help="flows for the link-join figure (default 100000)")
    args = parser.parse_args()
    join_s = run_link_join(args.flows, 20)
    print(f"comms_links join: {args.flows} flows x 20 declared links in {join_s:.2f} s")
    sslyze = next((c for c in SSLYZE_CANDIDATES if c and os.access(c, os.X_OK)), None)
    with tempfile.TemporaryDirectory() as tmp:
        proc, ports, ca = start_servers(Path(tmp), args.endpoints)
        try:
            elapsed, ok, handshakes = run_xposture(ports, ca)
            rate = ok / elapsed if elapsed else 0.0
            print(f"xposture tls: {ok}/{len(ports)} endpoints ok in {elapsed:.2f} s = {rate:.1f} endpoints/s "
                  f"({handshakes} handshakes, {handshakes / elapsed:.0f} handshakes/s)")  # fmt: skip
            print(f"  target: {args.endpoints} endpoints in <= 20 s -> {'met' if elapsed <= 20 else 'NOT met'}")
            if sslyze is None:
                print("sslyze: not installed as a separate tool - not measured")
                return 0
            subset = ports[: args.sslyze_endpoints]
            s_elapsed, s_done = run_sslyze(sslyze, subset, ca)
            s_rate = s_done / s_elapsed if s_elapsed else 0.0
            print(
                f"sslyze ({sslyze}): {s_done}/{len(subset)} endpoints in {s_elapsed:.2f} s = {s_rate:.2f} endpoints/s"
            )
            if s_rate:
                print(f"  throughput ratio xposture/sslyze: {rate / s_rate:.1f}x (target >= 3x)")
        finally:
            proc.kill()
    return 0


if __name__ == "__main__":
    sys.exit(main())
