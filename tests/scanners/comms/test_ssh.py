"""The ``ssh`` scanner against real OpenSSH ``sshd`` in weak and strong configurations."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.peers.sshd import STRONG, WEAK, sshd
from tests.scanners.comms.helpers import run
from xposture.scanners.comms import ssh_policy
from xposture.scanners.comms.ssh import SshScanner


@pytest.mark.peer
def test_weak_sshd(tmp_path: Path) -> None:
    with sshd(tmp_path, WEAK, [("rsa", 1024), ("dsa", None)]) as port:
        records, ctx = run(SshScanner(), {"endpoints": [f"127.0.0.1:{port}"]})
    (rec,) = records
    assert rec["ssh.product"] == "OpenSSH" and rec["ssh.protocol_version"] == "2.0"
    assert rec["ssh.weak_kex"] == ["diffie-hellman-group1-sha1"]
    assert rec["ssh.weak_ciphers"] == ["3des-cbc"]
    assert set(rec["ssh.weak_macs"]) == {"hmac-md5", "hmac-sha1-96"}
    assert set(rec["ssh.weak_host_key_algorithms"]) == {"ssh-rsa", "ssh-dss"}
    assert {"diffie-hellman-group14-sha1", "aes128-cbc", "hmac-sha1"} <= set(rec["ssh.deprecated_algorithms"])
    assert rec["ssh.rsa_key_bits"] == 1024
    assert len(rec["ssh.weak_host_keys"]) == 2
    assert ctx.coverage[0].status == "ok"
    assert len(ctx.audit_log) == 3  # one KEXINIT read + one per host key


@pytest.mark.peer
def test_strong_sshd_has_nothing_weak(tmp_path: Path) -> None:
    with sshd(tmp_path, STRONG, [("ed25519", None), ("rsa", 3072)]) as port:
        records, _ = run(SshScanner(), {"endpoints": [f"127.0.0.1:{port}"]})
    (rec,) = records
    for key in ("ssh.weak_kex", "ssh.weak_ciphers", "ssh.weak_macs", "ssh.weak_host_key_algorithms",
                "ssh.deprecated_algorithms", "ssh.weak_host_keys"):  # fmt: skip
        assert key not in rec
    assert rec["ssh.fail_count"] == 0 and rec["ssh.terrapin_vulnerable"] is False
    assert sorted(rec["ssh.host_key_types"]) == ["ssh-ed25519", "ssh-rsa"]
    assert rec["ssh.rsa_key_bits"] == 3072


@pytest.mark.peer
def test_non_ssh_and_silent_peers_fail_cleanly(tmp_path: Path) -> None:
    from tests.peers.bad_tls import bad_tls_servers

    with bad_tls_servers() as ports:
        targets = [f"127.0.0.1:{ports['garbage']}", f"127.0.0.1:{ports['stall']}", f"127.0.0.1:{ports['reset']}"]
        records, ctx = run(SshScanner(), {"endpoints": targets, "timeout_s": 1})
    assert records == []
    assert {c.status for c in ctx.coverage} == {"failed"}
    assert all(c.detail for c in ctx.coverage)


def test_terrapin_needs_chacha_or_cbc_etm_without_strict_kex() -> None:
    assert ssh_policy.terrapin_vulnerable(["curve25519-sha256"], ["chacha20-poly1305@openssh.com"], [])
    assert ssh_policy.terrapin_vulnerable(["curve25519-sha256"], ["aes128-cbc"], ["hmac-sha2-256-etm@openssh.com"])
    assert not ssh_policy.terrapin_vulnerable(
        ["curve25519-sha256", "kex-strict-s-v00@openssh.com"], ["chacha20-poly1305@openssh.com"], []
    )
    assert not ssh_policy.terrapin_vulnerable(["curve25519-sha256"], ["aes128-gcm@openssh.com"], ["hmac-sha2-256"])


@pytest.mark.peer
def test_host_keys_read_over_fixed_group_dh_only(tmp_path: Path) -> None:
    config = ("KexAlgorithms diffie-hellman-group1-sha1,diffie-hellman-group14-sha1", "HostKeyAlgorithms ssh-rsa")
    with sshd(tmp_path, config, [("rsa", 1024)]) as port:
        records, ctx = run(SshScanner(), {"endpoints": [f"127.0.0.1:{port}"]})
    (rec,) = records
    assert rec["ssh.rsa_key_bits"] == 1024 and rec["ssh.weak_kex"] == ["diffie-hellman-group1-sha1"]
    assert ctx.coverage[0].status == "ok"
    assert "diffie-hellman-group14-sha1" in ctx.audit_log[-1]["sent"]


def test_modp_primes_match_the_rfcs() -> None:
    from xposture.scanners.comms import modp

    # leading and trailing digits as printed in RFC 2409 6.2 and RFC 3526 3/5
    assert hex(modp.prime(2)).startswith("0xffffffffffffffffc90fdaa22168c234c4c6628b80dc1cd1")
    assert hex(modp.prime(2)).endswith("ece65381ffffffffffffffff")
    assert hex(modp.prime(14)).endswith("15728e5a8aacaa68ffffffffffffffff")
    assert hex(modp.prime(16)).endswith("34063199ffffffffffffffff")
    for group, bits in ((2, 1024), (14, 2048), (16, 4096)):
        p = modp.prime(group)
        assert p.bit_length() == bits and pow(2, p - 1, p) == 1
