"""snmpsim serving real device recordings on loopback; the community is the recording's file stem.

One process can listen on many ``127.0.0.x`` endpoints (``--agent-udpv4-endpoint``
repeated), which is how the tests and the benchmark get many agents.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

DATA = Path(__file__).resolve().parent.parent / "data" / "snmp"
COMMAND = "snmpsim-command-responder"


def free_udp_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


@dataclass
class SnmpSim:
    """A running simulator: where it listens and which recordings (communities) it serves."""

    process: subprocess.Popen[bytes]
    endpoints: list[tuple[str, int]]
    data_dir: Path
    log: Path

    @property
    def host(self) -> str:
        return self.endpoints[0][0]

    @property
    def port(self) -> int:
        return self.endpoints[0][1]

    def communities(self) -> list[str]:
        return sorted(p.stem for p in self.data_dir.glob("*.snmprec"))

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)


def start_snmpsim(
    recordings: Sequence[Path], workdir: Path, endpoints: Sequence[tuple[str, int]], *, timeout_s: float = 60.0
) -> SnmpSim:
    """Copy ``recordings`` into a data dir and start one simulator listening on every endpoint."""
    if shutil.which(COMMAND) is None:
        pytest.skip(f"{COMMAND} is not installed (pip install snmpsim pysmi)")
    data_dir = workdir / "data"
    data_dir.mkdir(parents=True, exist_ok=True)
    for path in recordings:
        shutil.copyfile(path, data_dir / path.name)
    log = workdir / "snmpsim.log"
    args = [
        COMMAND,
        f"--data-dir={data_dir}",
        f"--cache-dir={workdir / 'cache'}",
        "--log-level=error",
        *(f"--agent-udpv4-endpoint={host}:{port}" for host, port in endpoints),
    ]
    env = {**os.environ, "SNMPSIM_ALLOW_ROOT": "true"}
    with log.open("wb") as sink:
        process = subprocess.Popen(args, stdout=sink, stderr=subprocess.STDOUT, env=env)
    sim = SnmpSim(process, list(endpoints), data_dir, log)
    # snmpsim indexes each recording on first use: touch every one so tests never race the indexer
    for community in sorted({p.stem for p in recordings}) or ["public"]:
        _wait_ready(sim, community, timeout_s)
    return sim


def _wait_ready(sim: SnmpSim, community: str, timeout_s: float) -> None:
    """Poll the last endpoint with a raw v2c GET until it answers (indexing big recordings takes seconds)."""
    host, port = sim.endpoints[-1]
    packet = _v2c_get_sysdescr(community)
    deadline = time.monotonic() + timeout_s
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(0.3)
        while time.monotonic() < deadline:
            if sim.process.poll() is not None:
                raise RuntimeError(f"snmpsim exited: {sim.log.read_text(errors='replace')[-2000:]}")
            sock.sendto(packet, (host, port))
            try:
                sock.recvfrom(65535)
                return
            except OSError:
                continue
    sim.stop()
    raise RuntimeError(f"snmpsim did not answer on {host}:{port} within {timeout_s} s")


def _v2c_get_sysdescr(community: str) -> bytes:
    from pyasn1.codec.ber import encoder
    from pysnmp.proto import api

    pmod = api.PROTOCOL_MODULES[api.SNMP_VERSION_2C]
    pdu = pmod.GetRequestPDU()
    pmod.apiPDU.set_defaults(pdu)
    pmod.apiPDU.set_varbinds(pdu, [((1, 3, 6, 1, 2, 1, 1, 1, 0), pmod.Null(""))])
    message = pmod.Message()
    pmod.apiMessage.set_defaults(message)
    pmod.apiMessage.set_community(message, community)
    pmod.apiMessage.set_pdu(message, pdu)
    return bytes(encoder.encode(message))


@pytest.fixture(scope="module")
def snmpsim_agent(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SnmpSim]:
    """Every recording in tests/data/snmp on one loopback endpoint."""
    workdir = tmp_path_factory.mktemp("snmpsim")
    sim = start_snmpsim(sorted(DATA.glob("*.snmprec")), workdir, [("127.0.0.1", free_udp_port())])
    yield sim
    sim.stop()


if __name__ == "__main__":  # manual use: python -m tests.peers.snmpsim PORT
    started = start_snmpsim(sorted(DATA.glob("*.snmprec")), Path("/tmp/xp-snmpsim"), [("127.0.0.1", int(sys.argv[1]))])
    print("listening", started.endpoints)
    started.process.wait()
