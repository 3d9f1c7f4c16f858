"""net-snmp's snmpd on loopback with a generated configuration: v3 USM users and a writable community.

Users cover the security levels the ``snmp`` rules judge: noAuthNoPriv,
MD5+DES (weak) and SHA-256+AES (strong). ``xp-rw`` is a read-write community;
sysLocation is left unset in the config so that it is writable.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.peers.snmpsim import free_udp_port

SNMPD = shutil.which("snmpd") or "/usr/sbin/snmpd"
READ_COMMUNITY = "xp-ro-7f3a"
WRITE_COMMUNITY = "xp-rw-91c2"
AUTH_KEY = "authpass-1234"
PRIV_KEY = "privpass-5678"
USERS = {
    "xp-noauth": ("none", "none"),
    "xp-md5des": ("md5", "des"),
    "xp-sha256aes": ("sha256", "aes"),
}


@dataclass
class Snmpd:
    process: subprocess.Popen[bytes]
    port: int
    workdir: Path

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)


def config(port: int) -> str:
    return "\n".join(
        [
            f"agentAddress udp:127.0.0.1:{port}",
            "sysContact ops@example.invalid",
            "sysServices 72",
            f"rocommunity {READ_COMMUNITY} 127.0.0.1",
            "rocommunity public 127.0.0.1",  # the factory default the credential test must find
            f"rwcommunity {WRITE_COMMUNITY} 127.0.0.1",
            "createUser xp-noauth",
            f'createUser xp-md5des MD5 "{AUTH_KEY}" DES "{PRIV_KEY}"',
            f'createUser xp-sha256aes SHA-256 "{AUTH_KEY}" AES "{PRIV_KEY}"',
            "rouser xp-noauth noauth",
            "rouser xp-md5des priv",
            "rouser xp-sha256aes priv",
            "",
        ]
    )


def start_snmpd(workdir: Path, timeout_s: float = 20.0) -> Snmpd:
    if not Path(SNMPD).exists():
        pytest.skip("snmpd is not installed (apt-get install snmpd)")
    port = free_udp_port()
    persistent = workdir / "persist"
    persistent.mkdir(parents=True, exist_ok=True)
    conf = workdir / "snmpd.conf"
    conf.write_text(config(port))
    log = workdir / "snmpd.log"
    args = [SNMPD, "-f", "-C", "-c", str(conf), "-Lf", str(log), "-p", str(workdir / "snmpd.pid")]
    process = subprocess.Popen(
        args,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
        env={"SNMP_PERSISTENT_DIR": str(persistent), "MIBS": "", "PATH": "/usr/bin:/bin"},
    )
    agent = Snmpd(process, port, workdir)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"snmpd exited: {log.read_text(errors='replace')[-2000:] if log.exists() else ''}")
        probe = subprocess.run(
            ["snmpget", "-v2c", "-c", READ_COMMUNITY, "-t", "0.3", "-r", "0", f"127.0.0.1:{port}", "1.3.6.1.2.1.1.5.0"],
            capture_output=True,
            check=False,
        )
        if probe.returncode == 0:
            return agent
        time.sleep(0.1)
    agent.stop()
    raise RuntimeError(f"snmpd did not answer on 127.0.0.1:{port}")


@pytest.fixture(scope="module")
def snmpd_agent(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Snmpd]:
    agent = start_snmpd(tmp_path_factory.mktemp("snmpd"))
    yield agent
    agent.stop()
