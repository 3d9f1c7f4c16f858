"""Live scans against real agents on loopback: snmpsim with device recordings, net-snmp's snmpd."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.peers.snmpd import AUTH_KEY, PRIV_KEY, READ_COMMUNITY, WRITE_COMMUNITY, Snmpd, snmpd_agent  # noqa: F401
from tests.peers.snmpsim import SnmpSim, snmpsim_agent  # noqa: F401
from tests.scanners.ot.snmp.helpers import by_type, loopback_context, scan
from xposture.rules.engine import RuleSet

pytestmark = pytest.mark.peer
PACKS = Path(__file__).resolve().parents[4] / "xposture" / "rules" / "packs"


def test_configured_community_reads_identity_entity_and_interfaces(snmpsim_agent: SnmpSim, tmp_path: Path) -> None:  # noqa: F811
    ctx = loopback_context(tmp_path, {"XP_COMMUNITIES": "cisco-c3560"})
    target = f"{snmpsim_agent.host}:{snmpsim_agent.port}"
    records = scan({"targets": [target], "communities": "env:XP_COMMUNITIES", "retries": 0}, ctx)
    agent = by_type(records, "snmp_agent")[0]
    assert agent["asset.id"] == "ip:fab1/127.0.0.1"
    assert (agent["identity.vendor"], agent["identity.model"], agent["identity.firmware"]) == (
        "Cisco",
        "WS-C3560G-48TS-E",
        "12.2(55)SE3",
    )
    assert agent["asset.serial"] == "FOC1408Z61U"
    assert agent["snmp.v2c_enabled"] is True and agent["snmp.v1_enabled"] is True
    assert agent["snmp.v3_enabled"] is True  # snmpsim answers engine discovery
    assert agent["snmp.engine.enterprise_number"] == 20408
    assert agent["snmp.default_community_accepted"] is False
    assert by_type(records, "device_hardware") and len(by_type(records, "snmp_interface")) > 10
    # the community itself never appears in any record
    assert not any("cisco-c3560" in str(v) for r in records for v in r.values())
    assert [c.status for c in ctx.coverage] == ["ok"]
    assert ctx.audit_log and all(a["scanner"] == "snmp" and a["target"] == target for a in ctx.audit_log)
    assert agent["snmp.requests_sent"] == len(ctx.audit_log) - 1  # all but the shared engine discovery


def test_default_community_test_is_opt_in(snmpsim_agent: SnmpSim, tmp_path: Path) -> None:  # noqa: F811
    target = f"{snmpsim_agent.host}:{snmpsim_agent.port}"
    defaults = ["public", "private", "apc-8641"]  # the simulator's 'default' is the APC recording
    ctx = loopback_context(tmp_path)
    records = scan({"targets": [target], "default_communities": defaults, "retries": 0, "timeout_s": 0.5}, ctx)
    assert not by_type(records, "snmp_community")
    ctx = loopback_context(tmp_path)
    options = {
        "targets": [target],
        "default_communities": defaults,
        "credential_tests": True,
        "retries": 0,
        "timeout_s": 0.5,
    }
    records = scan(options, ctx)
    communities = by_type(records, "snmp_community")
    assert [c["snmp.community.label"] for c in communities] == ["apc-8641"]
    assert communities[0]["snmp.community.default"] is True
    agent = by_type(records, "snmp_agent")[0]
    assert agent["snmp.default_community_accepted"] is True
    assert agent["identity.model"] == "AP8641"
    fired = {m.rule.name for m in RuleSet.load([PACKS / "snmp"]).evaluate(records)}
    assert "snmp.default_community" in fired


def test_v3_users_security_levels_and_write_test(snmpd_agent: Snmpd, tmp_path: Path) -> None:  # noqa: F811
    env = {"RO": READ_COMMUNITY, "RW": WRITE_COMMUNITY, "AK": AUTH_KEY, "PK": PRIV_KEY}
    users = [
        {"user": "xp-noauth"},
        {"user": "xp-md5des", "auth": "md5", "auth_key": "env:AK", "priv": "des", "priv_key": "env:PK"},
        {"user": "xp-sha256aes", "auth": "sha256", "auth_key": "env:AK", "priv": "aes", "priv_key": "env:PK"},
        {"user": "xp-nobody", "auth": "sha", "auth_key": "env:AK"},
    ]
    ctx = loopback_context(tmp_path, env)
    options = {
        "targets": [f"127.0.0.1:{snmpd_agent.port}"],
        "communities": ["env:RO", "env:RW"],
        "v3_users": users,
        "write_test": True,
        "timeout_s": 0.5,
        "retries": 0,
    }
    records = scan(options, ctx)
    v3 = {r["snmp.v3.user"]: r for r in by_type(records, "snmp_v3_user")}
    assert v3["xp-noauth"]["snmp.v3.accepted"] is True
    assert v3["xp-noauth"]["snmp.v3.security_level"] == "noAuthNoPriv"
    assert v3["xp-md5des"]["snmp.v3.accepted"] is True
    assert v3["xp-md5des"]["snmp.v3.weak_auth"] is True and v3["xp-md5des"]["snmp.v3.weak_priv"] is True
    assert v3["xp-sha256aes"]["snmp.v3.accepted"] is True
    assert v3["xp-sha256aes"]["snmp.v3.weak_auth"] is False and v3["xp-sha256aes"]["snmp.v3.weak_priv"] is False
    assert v3["xp-nobody"]["snmp.v3.accepted"] is False
    communities = by_type(records, "snmp_community")
    writable = {c["snmp.community.writable"] for c in communities}
    assert writable == {True, False}
    assert all(str(c["snmp.community.label"]).startswith("configured:") for c in communities)
    agent = by_type(records, "snmp_agent")[0]
    assert agent["snmp.writable_community"] is True
    assert agent["snmp.engine.format"] in ("enterprise", "mac", "text", "ipv4", "octets")
    assert agent["snmp.engine.enterprise_number"] == 8072
    assert agent["system.location"] == "Unknown"  # written back unchanged
    sets = [a for a in ctx.audit_log if " SET " in a["sent"]]
    assert len(sets) == 2 and all("1.3.6.1.2.1.1.6.0" in a["sent"] for a in sets)
    for secret in env.values():
        assert not any(secret in str(v) for r in records for v in r.values())
    fired = {m.rule.name for m in RuleSet.load([PACKS / "snmp"]).evaluate(records)}
    assert {
        "snmp.v1_enabled",
        "snmp.v2c_enabled",
        "snmp.writable_community",
        "snmp.v3_no_authentication",
        "snmp.v3_md5_authentication",
        "snmp.v3_des_privacy",
    } <= fired
    assert "snmp.default_community" not in fired


def test_v1_only_agent_is_walked_with_getnext(snmpd_agent: Snmpd, tmp_path: Path) -> None:  # noqa: F811
    ctx = loopback_context(tmp_path, {"RO": READ_COMMUNITY})
    options = {
        "targets": [f"127.0.0.1:{snmpd_agent.port}"],
        "communities": "env:RO",
        "versions": ["v1"],
        "timeout_s": 0.5,
    }
    records = scan(options, ctx)
    agent = by_type(records, "snmp_agent")[0]
    assert agent["snmp.versions"] == ["v1"]
    assert agent["identity.os"] == "Linux"
    assert by_type(records, "snmp_interface")
    assert all("GETBULK" not in a["sent"] for a in ctx.audit_log)


def test_targets_outside_scope_and_silent_hosts_are_reported_not_clean(snmpsim_agent: SnmpSim, tmp_path: Path) -> None:  # noqa: F811
    ctx = loopback_context(tmp_path, {"C": "public"})
    options = {
        "targets": ["10.20.30.40", "192.168.0.0/16", "127.0.0.250:9", "not-an-ip"],
        "communities": "env:C",
        "timeout_s": 0.3,
        "retries": 0,
    }
    records = scan(options, ctx)
    assert records == []
    status = {c.target: (c.status, c.detail) for c in ctx.coverage}
    assert status["10.20.30.40"][0] == "skipped"
    assert status["192.168.0.0/16"] == ("skipped", "CIDR not inside a declared scope; not expanded")
    assert status["not-an-ip"][0] == "skipped"
    assert status["127.0.0.250:9"][0] == "timeout"
    assert all(a["target"] == "127.0.0.250:9" for a in ctx.audit_log)


def test_cidr_inside_scope_is_expanded(snmpsim_agent: SnmpSim, tmp_path: Path) -> None:  # noqa: F811
    ctx = loopback_context(tmp_path, {"C": "eaton-93e-80"})
    options = {
        "targets": ["127.0.0.0/30"],
        "port": snmpsim_agent.port,
        "communities": "env:C",
        "timeout_s": 0.3,
        "retries": 0,
    }
    records = scan(options, ctx)
    agents = by_type(records, "snmp_agent")
    assert [a["asset.ip"] for a in agents] == ["127.0.0.1"]
    assert {c.target for c in ctx.coverage} == {f"127.0.0.1:{snmpsim_agent.port}", f"127.0.0.2:{snmpsim_agent.port}"}


def test_management_zone_policy_marks_agents_reachable_from_outside(snmpsim_agent: SnmpSim, tmp_path: Path) -> None:  # noqa: F811
    import ipaddress

    from xposture.scanners.base import Zone

    ctx = loopback_context(tmp_path, {"C": "geist-temperature-sensor"})
    ctx.zones = [Zone("cell-a", "fab1", [ipaddress.ip_network("127.0.0.0/24")], 1)]
    ctx.policy = {"snmp_management_zones": ["mgmt"]}
    options = {"targets": [f"127.0.0.1:{snmpsim_agent.port}"], "communities": "env:C", "retries": 0}
    agent = by_type(scan(options, ctx), "snmp_agent")[0]
    assert agent["snmp.probe_source_zone"] == "cell-a"
    assert agent["snmp.outside_management_zone"] is False  # same zone as the agent
    ctx.zones = [
        Zone("cell-a", "fab1", [ipaddress.ip_network("127.0.0.0/31")], 1),
        Zone("it", "fab1", [ipaddress.ip_network("127.0.0.0/8")], 4),
    ]
    options["targets"] = [f"127.0.0.1:{snmpsim_agent.port}"]
    agent = by_type(scan(options, ctx), "snmp_agent")[0]
    assert agent.get("snmp.probe_source_zone") == "cell-a"


def test_builtin_default_list_finds_public_on_net_snmp(snmpd_agent: Snmpd, tmp_path: Path) -> None:  # noqa: F811
    ctx = loopback_context(tmp_path, credential_tests=True)  # as with `xposture scan --credential-tests`
    options = {"targets": [f"127.0.0.1:{snmpd_agent.port}"], "versions": ["v2c"], "timeout_s": 0.5, "retries": 0}
    records = scan(options, ctx)
    [community] = by_type(records, "snmp_community")
    assert community["snmp.community.label"] == "public" and community["snmp.community.default"] is True
    fired = {m.rule.name for m in RuleSet.load([PACKS / "snmp"]).evaluate(records)}
    assert "snmp.default_community" in fired
    tried = [a for a in ctx.audit_log if "community GET" in a["sent"]]
    assert len(tried) == 15  # the whole built-in list, each once, no retries
