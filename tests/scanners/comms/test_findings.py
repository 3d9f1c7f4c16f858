"""Acceptance: each weak configuration yields its specific finding; each good configuration yields none.

Real peers on loopback, real scanners, the shipped ``comms`` pack evaluated by the engine.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.hazmat.primitives import hashes

from tests.peers.certs import make_cert
from tests.peers.mosquitto import mosquitto
from tests.peers.opcua import opcua_server
from tests.peers.openssl_server import openssl_server
from tests.peers.sshd import STRONG, WEAK, sshd
from tests.peers.strongswan import STRONG as IKE_STRONG
from tests.peers.strongswan import WEAK as IKE_WEAK
from tests.peers.strongswan import available as charon_available
from tests.peers.strongswan import charon
from tests.scanners.comms.helpers import run
from xposture.model import Record
from xposture.rules import PACKS_DIR, RuleSet
from xposture.scanners.comms.ike import IkeScanner
from xposture.scanners.comms.mqtt import MqttScanner
from xposture.scanners.comms.opcua import OpcUaScanner
from xposture.scanners.comms.ssh import SshScanner
from xposture.scanners.comms.tls import TlsScanner

pytestmark = [pytest.mark.peer, pytest.mark.slow]
WEAK_SUITES = ["-cipher", "ALL:eNULL:@SECLEVEL=0"]


def findings(records: list[Record]) -> set[str]:
    ruleset = RuleSet.load([PACKS_DIR / "comms"])
    return {m.rule.name for m in ruleset.evaluate(records)}


def tls_findings(tmp: Path, name: str, args: list[str], trusted: bool = True, **cert: object) -> set[str]:
    files = make_cert(tmp, name, **cert)  # type: ignore[arg-type]
    with openssl_server(files, args) as port:
        options: dict = {"endpoints": [f"127.0.0.1:{port}"]}
        if trusted and files.ca:
            options["trust_store"] = [str(files.ca)]
        records, _ = run(TlsScanner(), options)
    return findings(records)


@pytest.mark.parametrize(
    ("name", "args", "cert", "expected"),
    [
        ("tls10only", ["-tls1", *WEAK_SUITES], {}, {"comms.tls_obsolete_protocol"}),
        ("weaksuites", WEAK_SUITES, {}, {"comms.tls_null_or_anonymous_suite", "comms.tls_no_forward_secrecy"}),
        ("expired", [], {"expired": True}, {"comms.cert_expired"}),
        ("selfsigned", [], {"self_signed": True}, {"comms.cert_self_signed"}),
        ("rsa1024", WEAK_SUITES, {"key_bits": 1024}, {"comms.cert_weak_key"}),
        ("sha1", WEAK_SUITES, {"hash_alg": hashes.SHA1(), "self_signed": True}, {"comms.cert_weak_signature"}),
        ("longlived", [], {"days_valid": 3650}, {"comms.cert_validity_too_long"}),
    ],
)
def test_weak_tls_configurations(tmp_path: Path, name: str, args: list[str], cert: dict, expected: set[str]) -> None:
    assert expected <= tls_findings(tmp_path, name, args, **cert)


def test_good_tls13_configuration_has_no_finding(tmp_path: Path) -> None:
    assert tls_findings(tmp_path, "good", ["-tls1_3"], ec_key=True) == set()


def test_ssh_weak_and_strong(tmp_path: Path) -> None:
    with sshd(tmp_path / "weak", WEAK, [("rsa", 1024), ("dsa", None)]) as port:
        weak = findings(run(SshScanner(), {"endpoints": [f"127.0.0.1:{port}"]})[0])
    with sshd(tmp_path / "strong", STRONG, [("ed25519", None), ("rsa", 3072)]) as port:
        strong = findings(run(SshScanner(), {"endpoints": [f"127.0.0.1:{port}"]})[0])
    assert {
        "comms.ssh_weak_kex", "comms.ssh_weak_cipher", "comms.ssh_weak_mac",
        "comms.ssh_weak_host_key_algorithm", "comms.ssh_weak_host_key", "comms.ssh_deprecated_algorithms",
    } <= weak  # fmt: skip
    assert strong == set()


def test_mqtt_anonymous_and_authenticated(tmp_path: Path) -> None:
    with mosquitto(tmp_path) as broker:
        options = {"endpoints": [f"127.0.0.1:{broker.anonymous}"], "credential_tests": True}
        anonymous = findings(run(MqttScanner(), options)[0])
        options = {
            "endpoints": [f"127.0.0.1:{broker.authenticated}"],
            "tls_endpoints": [f"127.0.0.1:{broker.tls}"],
            "credential_tests": True,
        }
        authenticated = findings(run(MqttScanner(), options)[0])
    assert {"comms.mqtt_anonymous_access", "comms.mqtt_no_tls", "comms.mqtt_sys_exposed"} <= anonymous
    assert authenticated == set()


def test_opcua_none_and_secure(tmp_path: Path) -> None:
    with opcua_server(tmp_path / "none", "insecure") as port:
        insecure = findings(run(OpcUaScanner(), {"endpoints": [f"127.0.0.1:{port}"]})[0])
    with opcua_server(tmp_path / "secure", "secure") as port:
        secure = findings(run(OpcUaScanner(), {"endpoints": [f"127.0.0.1:{port}"]})[0])
    assert {
        "comms.opcua_security_mode_none",
        "comms.opcua_anonymous_access",
        "comms.opcua_cleartext_password",
    } <= insecure
    assert secure == set()


@pytest.mark.skipif(not charon_available(), reason="strongSwan charon/swanctl not installed")
def test_ike_weak_and_strong(tmp_path: Path) -> None:
    def scan(config: str) -> set[str]:
        with charon(tmp_path, config) as port:
            options = {"endpoints": [f"127.0.0.1:{port}"], "timeout_s": 1, "nat_t_ports": [port]}
            return findings(run(IkeScanner(), options)[0])

    weak = scan(IKE_WEAK)
    assert {
        "comms.ike_aggressive_mode_psk", "comms.ike_weak_dh_group", "comms.ike_weak_cipher",
        "comms.ike_weak_integrity", "comms.ike_v1_only",
    } <= weak  # fmt: skip
    assert scan(IKE_STRONG) == set()
