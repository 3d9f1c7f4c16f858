"""An asyncua OPC UA server (test-side only: asyncua is LGPL-3) on a free loopback port, in its own process.

``insecure``: SecurityPolicy None only, anonymous and user-name tokens.
``secure``: Basic256Sha256 SignAndEncrypt only, with a generated application certificate.
Run as ``python -m tests.peers.opcua PORT MODE FOLDER``.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.peers._net import free_port, stop, wait_listening


async def _serve(port: int, mode: str, folder: Path) -> None:
    from asyncua import Server, ua
    from asyncua.crypto.permission_rules import SimpleRoleRuleset

    from tests.peers.certs import make_cert

    server = Server()
    await server.init()
    server.set_endpoint(f"opc.tcp://127.0.0.1:{port}/xposture/")
    server.set_server_name("xposture test server")
    if mode == "insecure":
        server.set_security_policy([ua.SecurityPolicyType.NoSecurity])
    else:
        server.set_security_policy(
            [ua.SecurityPolicyType.Basic256Sha256_SignAndEncrypt], permission_ruleset=SimpleRoleRuleset()
        )
        server.set_security_IDs(["Username"])
        cert = make_cert(folder, "opcua-app", self_signed=True, hostnames=("localhost",))
        der = folder / "opcua-app.der"
        subprocess.run(["openssl", "x509", "-in", str(cert.cert), "-outform", "DER", "-out", str(der)], check=True)
        await server.load_certificate(str(der))
        key = folder / "opcua-app-key.pem"  # asyncua picks the key format from the file suffix
        key.write_bytes(cert.key.read_bytes())
        await server.load_private_key(str(key))
    async with server:
        while True:
            await asyncio.sleep(3600)


@contextmanager
def opcua_server(folder: Path, mode: str) -> Iterator[int]:
    folder.mkdir(parents=True, exist_ok=True)
    port = free_port()
    repo = Path(__file__).resolve().parents[2]
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.peers.opcua", str(port), mode, str(folder)],
        cwd=repo,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_listening(port, proc, timeout_s=30)
        yield port
    finally:
        stop(proc)


if __name__ == "__main__":
    asyncio.run(_serve(int(sys.argv[1]), sys.argv[2], Path(sys.argv[3])))
