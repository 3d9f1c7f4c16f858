"""The ``mqtt`` probe against a real mosquitto with anonymous, authenticated and TLS listeners."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.peers.mosquitto import PASSWORD, USER, Broker, mosquitto
from tests.scanners.comms.helpers import loopback_ctx, run
from xposture.errors import ScannerError
from xposture.scanners.comms import mqtt_wire
from xposture.scanners.comms.mqtt import MqttScanner


@pytest.fixture(scope="module")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Broker]:
    with mosquitto(tmp_path_factory.mktemp("mosquitto")) as ports:
        yield ports


def by_port(records: list[dict]) -> dict[int, dict]:
    return {r["mqtt.port"]: r for r in records}


@pytest.mark.peer
def test_anonymous_listener_is_found_and_sys_is_readable(broker: Broker) -> None:
    options = {
        "endpoints": [f"127.0.0.1:{broker.anonymous}", f"127.0.0.1:{broker.authenticated}"],
        "tls_endpoints": [f"127.0.0.1:{broker.tls}"],
        "credential_tests": True,
    }
    records, ctx = run(MqttScanner(), options)
    found = by_port(records)
    anon, auth, tls = found[broker.anonymous], found[broker.authenticated], found[broker.tls]
    assert anon["mqtt.anonymous_allowed"] is True and anon["mqtt.sys_readable"] is True
    assert anon["mqtt.broker_version"].startswith("mosquitto version")
    assert auth["mqtt.anonymous_allowed"] is False and auth["mqtt.connack_reason"] == "not authorized"
    assert tls["mqtt.tls"] is True and tls["mqtt.anonymous_allowed"] is False
    assert all(r["mqtt.tls_listener_on_host"] for r in records)
    assert {c.status for c in ctx.coverage} == {"ok"}
    assert any("CONNECT (anonymous" in a["sent"] for a in ctx.audit_log)


@pytest.mark.peer
def test_no_anonymous_connect_without_credential_tests(broker: Broker) -> None:
    records, ctx = run(MqttScanner(), {"endpoints": [f"127.0.0.1:{broker.anonymous}"]})
    (rec,) = records
    assert "mqtt.anonymous_allowed" not in rec and rec["mqtt.reachable"] is True
    assert rec["mqtt.tls_listener_on_host"] is False
    assert ctx.coverage[0].status == "partial" and "credential tests" in ctx.coverage[0].detail
    assert not any("CONNECT" in a["sent"] for a in ctx.audit_log)


@pytest.mark.peer
def test_configured_credentials_read_the_version(broker: Broker) -> None:
    ctx = loopback_ctx()
    ctx.environ = {"XP_MQTT_PASSWORD": PASSWORD}
    options = {"endpoints": [f"127.0.0.1:{broker.authenticated}"], "username": USER, "password": "env:XP_MQTT_PASSWORD"}
    (rec,), _ = run(MqttScanner(), options, ctx)
    assert rec["mqtt.credentials_accepted"] is True
    assert rec["mqtt.broker_version"].startswith("mosquitto version")


@pytest.mark.peer
def test_non_mqtt_peers_fail_cleanly() -> None:
    from tests.peers.bad_tls import bad_tls_servers

    with bad_tls_servers() as ports:
        targets = [f"127.0.0.1:{ports[b]}" for b in ("garbage", "stall", "reset")]
        records, ctx = run(MqttScanner(), {"endpoints": targets, "credential_tests": True, "timeout_s": 1})
    assert all(r.get("mqtt.anonymous_allowed") is None for r in records)
    assert {c.status for c in ctx.coverage if c.target in targets} <= {"failed", "partial"}


@given(st.binary(max_size=64))
@settings(max_examples=300, deadline=None)
def test_packet_parsers_raise_only_scanner_errors(data: bytes) -> None:
    import asyncio

    async def parse() -> None:
        reader = asyncio.StreamReader()
        reader.feed_data(data)
        reader.feed_eof()
        packet = await mqtt_wire.read_packet(reader, 1)
        if packet.kind == mqtt_wire.PUBLISH:
            mqtt_wire.publish_topic_payload(packet)
        else:
            mqtt_wire.connack_code(packet)

    with contextlib.suppress(ScannerError):
        asyncio.run(parse())


@pytest.mark.peer
def test_tls_listener_is_looked_for_on_undeclared_port(broker: Broker) -> None:
    options = {"endpoints": [f"127.0.0.1:{broker.anonymous}"], "tls_ports": [broker.tls], "credential_tests": True}
    records, ctx = run(MqttScanner(), options)
    found = by_port(records)
    assert found[broker.tls]["mqtt.tls"] is True and found[broker.tls]["mqtt.anonymous_allowed"] is False
    assert found[broker.anonymous]["mqtt.tls_listener_on_host"] is True
    assert {c.status for c in ctx.coverage} == {"ok"}


@pytest.mark.peer
def test_tls_not_looked_for_leaves_the_question_open(broker: Broker) -> None:
    options = {"endpoints": [f"127.0.0.1:{broker.anonymous}"], "discover_tls": False, "credential_tests": True}
    (rec,), _ = run(MqttScanner(), options)
    assert "mqtt.tls_listener_on_host" not in rec
