"""``mosquitto`` on free loopback ports: an anonymous listener, an authenticated one, and a TLS listener."""

from __future__ import annotations

import getpass
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.peers._net import free_port, stop, wait_listening
from tests.peers.certs import make_cert

USER, PASSWORD = "plant", "s3cret-for-tests"


@dataclass
class Broker:
    anonymous: int
    authenticated: int
    tls: int


@contextmanager
def mosquitto(folder: Path) -> Iterator[Broker]:
    folder.mkdir(parents=True, exist_ok=True)
    ports = Broker(free_port(), free_port(), free_port())
    passwords = folder / "passwd"
    passwords.write_text("")
    subprocess.run(["mosquitto_passwd", "-b", str(passwords), USER, PASSWORD], check=True, capture_output=True)
    cert = make_cert(folder, "broker")
    config = folder / "mosquitto.conf"
    config.write_text(
        "\n".join(
            [
                "per_listener_settings true",
                f"user {getpass.getuser()}",  # as root mosquitto would drop to a user who cannot read tmp_path
                "persistence false",
                "log_dest stderr",
                "log_type error",
                f"listener {ports.anonymous} 127.0.0.1",
                "allow_anonymous true",
                f"listener {ports.authenticated} 127.0.0.1",
                "allow_anonymous false",
                f"password_file {passwords}",
                f"listener {ports.tls} 127.0.0.1",
                "allow_anonymous false",
                f"password_file {passwords}",
                f"certfile {cert.cert}",
                f"keyfile {cert.key}",
                "",
            ]
        )
    )
    subprocess.run(["chmod", "0700", str(passwords)], check=True)
    proc = subprocess.Popen(["mosquitto", "-c", str(config)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        for port in (ports.anonymous, ports.authenticated, ports.tls):
            wait_listening(port, proc)
        yield ports
    finally:
        stop(proc)
