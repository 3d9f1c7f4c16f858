"""strongSwan ``charon`` as an IKE responder on free UDP ports, configured through ``swanctl`` in a temp dir.

charon's socket plugin binds the wildcard address (it has no bind-address
option), so the ports are random and IPv6 is off; no route, virtual IP or
bypass policy is installed in the kernel, and the PSK is a throwaway test value.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.peers._net import free_port, stop

CHARON = "/usr/lib/ipsec/charon"

WEAK = """
    version = 1
    aggressive = yes
    proposals = 3des-md5-modp1024, aes128-sha1-modp1536
"""
STRONG = """
    version = 2
    proposals = aes256-sha256-modp3072, aes256gcm16-prfsha384-modp4096
"""


def available() -> bool:
    """charon and swanctl installed, and we are root (charon opens its kernel interfaces at start)."""
    return os.path.exists(CHARON) and shutil.which("swanctl") is not None and os.geteuid() == 0


@contextmanager
def charon(folder: Path, connection: str, port: int | None = None) -> Iterator[int]:
    """Start charon with one connection (``WEAK`` or ``STRONG`` settings); yields the IKE UDP port.

    Any port but 500 makes charon expect the NAT-T non-ESP marker on it.
    """
    folder.mkdir(parents=True, exist_ok=True)
    port, nat_port = port or free_port(socket.SOCK_DGRAM), free_port(socket.SOCK_DGRAM)
    vici = folder / "charon.vici"
    vici.unlink(missing_ok=True)
    conf = folder / "strongswan.conf"
    conf.write_text(
        f"""charon {{
  port = {port}
  port_nat_t = {nat_port}
  install_routes = no
  install_virtual_ip = no
  block_threshold = 1000
  # strongSwan refuses Aggressive Mode PSK as responder unless told this: exactly the weak setting probed
  i_dont_care_about_security_and_use_aggressive_mode_psk = yes
  syslog {{ identifier = xposture-test-charon }}
  filelog {{ stderr {{ default = 1
                       net = 2
                       enc = 2
                       ike = 2 }} }}
  plugins {{
    vici {{ socket = unix://{vici} }}
    socket-default {{ use_ipv6 = no }}
    bypass-lan {{ load = no }}
  }}
}}
"""
    )
    swanctl = folder / "swanctl.conf"
    swanctl.write_text(
        f"""connections {{
  probe {{
{connection}
    local_addrs = 127.0.0.1
    local {{ auth = psk
            id = vpn.example }}
    remote {{ auth = psk }}
    children {{ c {{ esp_proposals = aes128-sha256 }} }}
  }}
}}
secrets {{ ike-1 {{ secret = "throwaway-test-psk" }} }}
"""
    )
    env = {**os.environ, "STRONGSWAN_CONF": str(conf)}
    log = open(folder / "charon.log", "wb")  # noqa: SIM115 - closed with the process below
    proc = subprocess.Popen([CHARON], env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 15
        while not vici.exists():
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("charon did not start")
            time.sleep(0.05)
        subprocess.run(
            ["swanctl", "--load-all", "--uri", f"unix://{vici}", "--file", str(swanctl)],
            env=env, check=True, capture_output=True, timeout=15,
        )  # fmt: skip
        yield port
    finally:
        stop(proc)
        log.close()
