"""pymodbus's TCP server with device identification, in its own process, on a free loopback port."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

IDENTITY = {
    "VendorName": "Schneider Electric",
    "ProductCode": "BMXP342020",
    "MajorMinorRevision": "3.10",
    "VendorUrl": "https://example.invalid",
    "ProductName": "Modicon M340",
    "ModelName": "BMX P34 2020",
    "UserApplicationName": "line-3 filler",
}

SERVER = """
import asyncio, sys
from pymodbus.datastore import ModbusDeviceContext, ModbusServerContext, ModbusSequentialDataBlock
from pymodbus.pdu.device import ModbusDeviceIdentification
from pymodbus.server import StartAsyncTcpServer
identity = ModbusDeviceIdentification(info_name={identity!r})
block = ModbusSequentialDataBlock(1, [0] * 16)
context = ModbusServerContext(devices={{{unit}: ModbusDeviceContext(di=block, co=block, hr=block, ir=block)}}, single=False)
asyncio.run(StartAsyncTcpServer(context, identity=identity, address=("127.0.0.1", {port})))
"""


@dataclass
class ModbusServer:
    process: subprocess.Popen[bytes]
    port: int
    unit_id: int

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)


def _free_tcp_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_modbus(unit_id: int = 1, timeout_s: float = 15.0) -> ModbusServer:
    port = _free_tcp_port()
    code = SERVER.format(identity=IDENTITY, unit=unit_id, port=port)
    process = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"pymodbus server exited: {process.stderr.read().decode(errors='replace') if process.stderr else ''}"
            )
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return ModbusServer(process, port, unit_id)
        except OSError:
            time.sleep(0.05)
    process.kill()
    raise RuntimeError("pymodbus server did not listen")


@pytest.fixture(scope="module")
def modbus_server() -> Iterator[ModbusServer]:
    server = start_modbus()
    yield server
    server.stop()
