"""Shared bits of the silicon tests: data paths, the policy, and a fixture that cuts the network."""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

SILICON = Path(__file__).resolve().parents[2] / "data" / "silicon"
SHARED = SILICON / "shared"
CRAFTED = SILICON / "crafted"

POLICY: dict[str, Any] = {
    "allowed_origin_countries": ["JP", "US", "NL", "DE", "TW", "KR"],
    "denied_origin_countries": ["CN"],
    "authorized_distributors": {
        "STMicroelectronics": ["Digi-Key", "Mouser Electronics"],
        "NXP": ["Avnet", "Arrow"],
        "Molex": ["Mouser Electronics"],
        "TI": ["Digi-Key"],
    },
    "eol_horizon_months": 24,
    "export_control": {"require_eccn": True, "restricted_eccns": ["3A001*"]},
}


def _loopback(address: Any) -> bool:
    host = address[0] if isinstance(address, tuple) else address
    if isinstance(host, (bytes, str)) and str(host).startswith("/"):
        return True  # unix socket
    try:
        return ipaddress.ip_address(str(host).split("%")[0]).is_loopback
    except ValueError:
        return str(host) == "localhost"


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Verification must be fully offline: refuse every non-loopback connect and DNS lookup."""
    real_connect = socket.socket.connect

    def guarded_connect(self: socket.socket, address: Any) -> Any:
        if not _loopback(address):
            raise AssertionError(f"network access attempted: {address!r}")
        return real_connect(self, address)

    def no_dns(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host in (None, "localhost") or _loopback(host):
            return real_getaddrinfo(host, *args, **kwargs)
        raise AssertionError(f"DNS lookup attempted: {host!r}")

    real_getaddrinfo = socket.getaddrinfo
    monkeypatch.setattr(socket.socket, "connect", guarded_connect)
    monkeypatch.setattr(socket, "getaddrinfo", no_dns)
    yield
