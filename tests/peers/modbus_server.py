"""pymodbus's TCP server with device identification, in its own process, on a free loopback port."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from tests.peers._net import free_port, wait_listening

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


def start_modbus(unit_id: int = 1, timeout_s: float = 15.0) -> ModbusServer:
    port = free_port()
    code = SERVER.format(identity=IDENTITY, unit=unit_id, port=port)
    process = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        wait_listening(port, process, timeout_s)
    except RuntimeError:
        process.kill()
        raise
    return ModbusServer(process, port, unit_id)


@pytest.fixture(scope="module")
def modbus_server() -> Iterator[ModbusServer]:
    server = start_modbus()
    yield server
    server.stop()
