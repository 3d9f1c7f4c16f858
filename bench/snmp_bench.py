"""SNMP benchmark: fingerprint N loopback agents, and sweep communities, beside onesixtyone and snmpget.

Agents are snmpsim processes, each listening on many 127.1.x.y addresses
(``--agent-udpv4-endpoint`` repeated); every process serves one real device
recording as community ``public``. Figures printed, in the same run:

1. xposture fingerprint of N agents (system group, sysObjectID vendor, identity MIBs, ENTITY-MIB);
2. a sequential ``snmpget`` loop over the same agents (system group only);
3. a community sweep of S agents x C communities: xposture, onesixtyone, and a plain pysnmp asyncio gather.

Run: ``python bench/snmp_bench.py`` (defaults: 500 agents, 30 x 10 sweep; under two minutes).
"""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.peers.snmpsim import SnmpSim, start_snmpsim  # noqa: E402
from xposture.model import Record  # noqa: E402
from xposture.scanners.base import SafetyPolicy, ScanContext, SourceConfig  # noqa: E402
from xposture.scanners.ot.snmp.scanner import SnmpScanner  # noqa: E402

DATA = REPO / "tests" / "data" / "snmp"
RECORDINGS = sorted(p.stem for p in DATA.glob("*.snmprec"))
PORT = 16161


def addresses(count: int) -> list[str]:
    base = int(ipaddress.IPv4Address("127.1.0.1"))
    return [str(ipaddress.IPv4Address(base + i + (i // 250) * 6)) for i in range(count)]


def start_agents(hosts: list[str], processes: int, workdir: Path) -> list[SnmpSim]:
    sims: list[SnmpSim] = []
    chunk = (len(hosts) + processes - 1) // processes
    for k in range(processes):
        part = hosts[k * chunk : (k + 1) * chunk]
        if not part:
            continue
        folder = workdir / f"p{k}"
        folder.mkdir()
        recording = folder / "public.snmprec"
        shutil.copyfile(DATA / f"{RECORDINGS[k % len(RECORDINGS)]}.snmprec", recording)
        sims.append(start_snmpsim([recording], folder, [(h, PORT) for h in part], timeout_s=120))
    return sims


def context(environ: dict[str, str], workdir: Path) -> ScanContext:
    safety = SafetyPolicy(
        scopes=[ipaddress.ip_network("127.0.0.0/8")], max_rate_per_s=100000, allow_credential_tests=False
    )
    return ScanContext(safety=safety, environ=environ, data_dir=workdir / "store", concurrency=1024)


def run_scanner(options: dict[str, object], ctx: ScanContext) -> tuple[list[Record], float]:
    source = SourceConfig("snmp", options, REPO, site="bench")

    async def collect() -> list[Record]:
        return [r async for r in SnmpScanner().scan(source, ctx)]

    started = time.perf_counter()
    records = asyncio.run(collect())
    return records, time.perf_counter() - started


def fingerprint(hosts: list[str], workdir: Path, in_flight: int) -> None:
    ctx = context({"XP_BENCH": "public"}, workdir)
    options = {
        "targets": [f"{h}:{PORT}" for h in hosts],
        "communities": "env:XP_BENCH",
        "versions": ["v2c"],
        "collect": ["identity", "entity"],
        "concurrency": 512,
        "max_in_flight": in_flight,
        "rate": 100000,
        "timeout_s": 3.0,
        "retries": 1,
    }
    cpu = time.process_time()
    records, elapsed = run_scanner(options, ctx)
    cpu = time.process_time() - cpu
    agents = [r for r in records if r["record.type"] == "snmp_agent"]
    identified = [a for a in agents if a.get("identity.vendor") and a.get("system.object_id")]
    hardware = sum(1 for r in records if r["record.type"] == "device_hardware")
    with_firmware = sum(1 for a in agents if a.get("identity.firmware"))
    print(
        f"xposture fingerprint: {len(identified)}/{len(hosts)} agents (vendor+sysObjectID), "
        f"{with_firmware} with firmware, {hardware} ENTITY-MIB entries, "
        f"{len(ctx.audit_log)} requests in {elapsed:.2f} s ({len(hosts) / elapsed:.0f} agents/s; "
        f"scanner CPU {cpu:.2f} s)"
    )
    print("  coverage:", dict(Counter(c.status for c in ctx.coverage)))
    for (status, detail), count in Counter(
        (c.status, c.detail[:90]) for c in ctx.coverage if c.status != "ok"
    ).most_common(4):
        print(f"    {count} {status}: {detail}")


def system_only(hosts: list[str], workdir: Path, in_flight: int) -> None:
    """The same work as the snmpget loop (one GET of the system group per agent), through the scanner."""
    ctx = context({"XP_BENCH": "public"}, workdir)
    options = {
        "targets": [f"{h}:{PORT}" for h in hosts],
        "communities": "env:XP_BENCH",
        "versions": ["v2c"],
        "collect": [],
        "engine_discovery": False,
        "concurrency": 512,
        "max_in_flight": in_flight,
        "rate": 100000,
        "timeout_s": 3.0,
        "retries": 1,
    }
    records, elapsed = run_scanner(options, ctx)
    agents = sum(1 for r in records if r["record.type"] == "snmp_agent" and r.get("system.descr"))
    print(f"xposture system group only: {agents}/{len(hosts)} agents in {elapsed:.2f} s")


def snmpget_loop(hosts: list[str]) -> None:
    if shutil.which("snmpget") is None:
        print("snmpget loop: skipped (net-snmp's snmpget not installed)")
        return
    started = time.perf_counter()
    answered = 0
    for host in hosts:
        done = subprocess.run(
            [
                "snmpget",
                "-v2c",
                "-c",
                "public",
                "-t",
                "2",
                "-r",
                "1",
                "-On",
                f"{host}:{PORT}",
                *(f"1.3.6.1.2.1.1.{n}.0" for n in range(1, 8)),
            ],
            capture_output=True,
            check=False,
        )
        answered += done.returncode == 0
    elapsed = time.perf_counter() - started
    print(f"sequential snmpget loop (system group only): {answered}/{len(hosts)} agents in {elapsed:.2f} s")


def sweep(hosts: list[str], communities: list[str], workdir: Path) -> None:
    env = {"XP_SWEEP": ",".join(communities)}
    ctx = context(env, workdir)
    options = {
        "targets": [f"{h}:{PORT}" for h in hosts],
        "communities": "env:XP_SWEEP",
        "versions": ["v1"],
        "collect": [],
        "engine_discovery": False,
        "concurrency": 1024,
        "rate": 100000,
        "timeout_s": 1.0,
        "retries": 0,
    }
    records, elapsed = run_scanner(options, ctx)
    found = sum(1 for r in records if r["record.type"] == "snmp_community")
    print(f"xposture sweep: {len(hosts)} agents x {len(communities)} communities, {found} accepted, {elapsed:.2f} s")
    if shutil.which("onesixtyone"):
        (workdir / "hosts.txt").write_text("\n".join(hosts) + "\n")
        (workdir / "communities.txt").write_text("\n".join(communities) + "\n")
        started = time.perf_counter()
        done = subprocess.run(
            ["onesixtyone", "-p", str(PORT), "-c", str(workdir / "communities.txt"), "-i", str(workdir / "hosts.txt")],
            capture_output=True,
            text=True,
            check=False,
        )
        elapsed = time.perf_counter() - started
        hits = sum(1 for line in done.stdout.splitlines() if "[public]" in line)
        print(f"onesixtyone sweep (default -w 10 ms): {hits} accepted, {elapsed:.2f} s")
    else:
        print("onesixtyone: skipped (not installed)")
    print(f"plain pysnmp asyncio gather: {asyncio.run(_plain_gather(hosts, communities)):.2f} s")


async def _plain_gather(hosts: list[str], communities: list[str]) -> float:
    from pysnmp.hlapi.v3arch.asyncio import (
        CommunityData,
        ContextData,
        ObjectIdentity,
        ObjectType,
        SnmpEngine,
        UdpTransportTarget,
        get_cmd,
    )

    engine = SnmpEngine()
    started = time.perf_counter()
    targets = {h: await UdpTransportTarget.create((h, PORT), timeout=1, retries=0) for h in hosts}
    await asyncio.gather(
        *(
            get_cmd(
                engine,
                CommunityData(c, mpModel=0),
                targets[h],
                ContextData(),
                ObjectType(ObjectIdentity("1.3.6.1.2.1.1.1.0")),
            )
            for h in hosts
            for c in communities
        )
    )
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agents", type=int, default=500, help="agents to fingerprint (default 500)")
    parser.add_argument("--processes", type=int, default=max(2, (os.cpu_count() or 2) * 2), help="snmpsim processes")
    parser.add_argument("--sweep-agents", type=int, default=30)
    parser.add_argument("--communities", type=int, default=10, help="communities per agent in the sweep (one is right)")
    parser.add_argument("--no-snmpget", action="store_true", help="skip the sequential snmpget loop")
    parser.add_argument("--in-flight", type=int, default=0, help="requests in flight (default 8 per simulator process)")
    args = parser.parse_args()
    hosts = addresses(args.agents)
    load = os.getloadavg()[0]
    print(f"machine: {os.cpu_count()} CPUs, load average {load:.1f} at start (simulators and scanner share them)")
    with tempfile.TemporaryDirectory(prefix="xp-snmp-bench-") as tmp:
        workdir = Path(tmp)
        started = time.perf_counter()
        sims = start_agents(hosts, args.processes, workdir)
        print(
            f"{len(sims)} snmpsim processes serving {len(hosts)} agents, started in {time.perf_counter() - started:.1f} s"
        )
        try:
            fingerprint(hosts, workdir, args.in_flight or 8 * len(sims))
            system_only(hosts, workdir, args.in_flight or 8 * len(sims))
            if not args.no_snmpget:
                snmpget_loop(hosts)
            wrong = [f"guess{i:02d}" for i in range(args.communities - 1)]
            sweep(hosts[: args.sweep_agents], [*wrong, "public"], workdir)
        finally:
            for sim in sims:
                sim.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
