"""OpenSSH ``sshd`` on a free loopback port with its own host keys and config in a temp dir (``-D -e -f cfg``)."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.peers._net import free_port, stop, wait_listening

SSHD = "/usr/sbin/sshd"

WEAK = (
    "KexAlgorithms diffie-hellman-group1-sha1,diffie-hellman-group14-sha1,curve25519-sha256",
    "Ciphers 3des-cbc,aes128-cbc,aes128-ctr",
    "MACs hmac-md5,hmac-sha1-96,hmac-sha1",
    "HostKeyAlgorithms ssh-rsa,ssh-dss",
    "PubkeyAcceptedAlgorithms +ssh-rsa",
)
STRONG = (
    "KexAlgorithms curve25519-sha256,curve25519-sha256@libssh.org",
    "Ciphers aes256-gcm@openssh.com,aes128-gcm@openssh.com,aes256-ctr",
    "MACs hmac-sha2-512-etm@openssh.com,hmac-sha2-256-etm@openssh.com",
    "HostKeyAlgorithms ssh-ed25519,rsa-sha2-512,rsa-sha2-256",
)


def _keygen(path: Path, kind: str, bits: int | None) -> None:
    cmd = ["ssh-keygen", "-q", "-N", "", "-t", kind, "-f", str(path)]
    if bits:
        cmd += ["-b", str(bits)]
    subprocess.run(cmd, check=True, capture_output=True)


@contextmanager
def sshd(folder: Path, config: Sequence[str], keys: Sequence[tuple[str, int | None]]) -> Iterator[int]:
    """Start sshd with ``config`` lines and host keys ``[(type, bits)]``; yields the port."""
    folder.mkdir(parents=True, exist_ok=True)
    try:
        Path("/run/sshd").mkdir(parents=True, exist_ok=True)  # privilege separation directory sshd insists on
    except PermissionError:
        pytest.skip("sshd needs /run/sshd (create it as root once, or run the tests as root)")
    port = free_port()
    lines = [f"ListenAddress 127.0.0.1:{port}", f"PidFile {folder / 'sshd.pid'}", "UsePAM no",
             "PasswordAuthentication no", "KbdInteractiveAuthentication no", "LogLevel ERROR", *config]  # fmt: skip
    for kind, bits in keys:
        path = folder / f"host_{kind}_{bits or 0}"
        if not path.exists():
            _keygen(path, kind, bits)
        os.chmod(path, 0o600)
        lines.append(f"HostKey {path}")
    cfg = folder / f"sshd_config_{port}"
    cfg.write_text("\n".join(lines) + "\n")
    proc = subprocess.Popen([SSHD, "-D", "-e", "-f", str(cfg)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        wait_listening(port, proc)
        yield port
    finally:
        stop(proc)
