"""Target expansion: CIDRs only inside declared scopes, every host scope-checked, nothing resolved by name."""

from __future__ import annotations

import ipaddress

from xposture.scanners.base import SafetyPolicy
from xposture.scanners.ot.active.targets import expand_targets, split_host_port


def policy(*scopes: str, active: bool = True) -> SafetyPolicy:
    return SafetyPolicy(scopes=[ipaddress.ip_network(s) for s in scopes], allow_active=active)


def test_host_port_forms() -> None:
    assert split_host_port("10.0.0.1") == ("10.0.0.1", None)
    assert split_host_port("10.0.0.1:1161") == ("10.0.0.1", 1161)
    assert split_host_port("[fd00::1]:161") == ("fd00::1", 161)
    assert split_host_port("fd00::1") == ("fd00::1", None)
    assert split_host_port("10.0.0.0/30") == ("10.0.0.0/30", None)


def test_cidr_expands_inside_scope_only() -> None:
    hosts, rejected = expand_targets(
        ["10.10.1.0/30", "10.0.0.0/8", "10.10.1.1"], policy("10.10.1.0/24"), scanner="snmp"
    )
    assert [h.host for h in hosts] == ["10.10.1.1", "10.10.1.2"]  # the duplicate is probed once
    assert [r.origin for r in rejected] == ["10.0.0.0/8"]


def test_single_hosts_outside_scope_and_names_are_refused() -> None:
    hosts, rejected = expand_targets(
        ["192.168.1.1", "plc.local", "[fd00::5]:502"], policy("10.0.0.0/8", "fd00::/64"), scanner="x"
    )
    assert [(h.host, h.port) for h in hosts] == [("fd00::5", 502)]
    assert {r.origin for r in rejected} == {"192.168.1.1", "plc.local"}


def test_passive_mode_refuses_everything() -> None:
    hosts, rejected = expand_targets(["10.10.1.5"], policy("10.10.1.0/24", active=False), scanner="snmp")
    assert hosts == [] and "disabled" in rejected[0].reason


def test_huge_cidr_is_not_expanded_even_in_scope() -> None:
    hosts, rejected = expand_targets(["10.0.0.0/8"], policy("10.0.0.0/8"), scanner="snmp")
    assert hosts == [] and "larger" in rejected[0].reason
