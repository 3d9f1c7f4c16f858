"""moto's standalone AWS server on 127.0.0.1 and a free port, for the live ``aws`` scanner tests.

The scanner talks to it over real HTTP through ``AWS_ENDPOINT_URL`` exactly as
it would talk to AWS; nothing in xposture is patched.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

NO_FILE = "/nonexistent/xposture-tests/aws-config"
"""A config/credentials path that does not exist, so the developer's own ~/.aws never leaks into tests."""


@dataclass
class MotoServer:
    """A running moto_server: its URL and how to wipe its state between tests."""

    url: str
    process: subprocess.Popen[bytes]

    def reset(self) -> None:
        request = urllib.request.Request(f"{self.url}/moto-api/reset", method="POST")
        with urllib.request.urlopen(request, timeout=10):
            pass

    def env(self) -> dict[str, str]:
        """Environment a boto3 client needs to talk to this server with dummy credentials."""
        return {
            "AWS_ENDPOINT_URL": self.url,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_SESSION_TOKEN": "testing",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_CONFIG_FILE": NO_FILE,
            "AWS_SHARED_CREDENTIALS_FILE": NO_FILE,
        }


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _command(port: int) -> list[str]:
    binary = shutil.which("moto_server") or str(Path(sys.executable).with_name("moto_server"))
    if Path(binary).exists():
        return [binary, "-H", "127.0.0.1", "-p", str(port)]
    return [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)]


@contextmanager
def moto_server(extra_env: Mapping[str, str] | None = None) -> Iterator[MotoServer]:
    """Start moto_server, wait until it answers, yield it, stop it."""
    port = free_port()
    env = dict(os.environ)
    env.update(extra_env or {})
    process = subprocess.Popen(_command(port), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"{url}/moto-api/", timeout=1):
                    break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("moto_server did not start") from None
                time.sleep(0.1)
        yield MotoServer(url, process)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
