"""``openssl s_server`` on a free loopback port, in the configurations the TLS checks must tell apart."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from tests.peers._net import free_port, stop, wait_listening
from tests.peers.certs import CertFiles


@contextmanager
def openssl_server(cert: CertFiles, args: Sequence[str] = ()) -> Iterator[int]:
    """Run ``openssl s_server`` with ``args`` (e.g. ``-tls1``, ``-cipher ALL:@SECLEVEL=0``); yields the port."""
    port = free_port()
    chain = ["-cert_chain", str(cert.ca)] if cert.ca else []
    cmd = [
        "openssl", "s_server", "-accept", f"127.0.0.1:{port}", "-cert", str(cert.cert), "-key", str(cert.key),
        *chain, "-quiet", "-naccept", "100000", *args,
    ]  # fmt: skip
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        wait_listening(port, proc)
        yield port
    finally:
        stop(proc)
