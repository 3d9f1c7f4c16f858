"""The ``comms_links`` enricher: declared links from a real inventory file, joined with other scanners' records."""

from __future__ import annotations

from pathlib import Path

from tests.scanners.comms.helpers import assert_in_taxonomy
from xposture.enrich.base import available_enrichers
from xposture.enrich.comms_links import CommsLinkEnricher, resolve_end
from xposture.inventory.loader import load_inventory
from xposture.model import Record
from xposture.scanners.base import ScanContext, available_scanners

INVENTORY = """
sites:
  - name: fab1
    zones:
      - {name: enterprise, cidrs: [10.0.0.57/32], level: 4}
      - {name: cell-b, cidrs: [10.0.0.0/24], level: 1}
      - {name: iiot, cidrs: [10.0.1.0/24], level: 3}
links:
  - {name: ent-to-cell-b, from: fab1/enterprise, to: fab1/cell-b, transport: ipsec, encrypted: true,
     protocols: [esp, https]}
  - {name: iiot-to-broker, from: fab1/iiot, to: 198.41.30.241/32, transport: tls, encrypted: true,
     endpoints: ["198.41.30.241:8883"]}
  - {name: vendor-cell, from: fab1/cell-b, to: 203.0.113.0/24, transport: cellular, encrypted: false,
     vendor_remote_access: true, cellular: true}
  - {name: fab1-to-aws, from: fab1/enterprise, to: aws:123456789012/ap-northeast-1, transport: ipsec,
     encrypted: true, redundancy: dual_tunnel}
  - {name: unstated, from: fab1/iiot, to: fab1/cell-b}
"""


def flow(src: str, dst: str, port: int, protocol: str, **extra: object) -> Record:
    record: Record = {
        "record.type": "network_flow",
        "record.key": f"{src}-{dst}-{port}",
        "record.layer": "ot",
        "asset.id": f"ip:fab1/{dst}",
        "source.scanner": "pcap",
        "site": "fab1",
        "flow.src_ip": src,
        "flow.dst_ip": dst,
        "flow.dst_port": port,
        "flow.protocol": protocol,
        "flow.bytes": 1000,
    }
    record.update(extra)  # type: ignore[arg-type]
    return record


def context(tmp_path: Path) -> ScanContext:
    path = tmp_path / "comms.yaml"
    path.write_text(INVENTORY)
    inventory = load_inventory(path, available_scanners())
    return ScanContext(inventory=inventory, zones=inventory.zones())


def by_name(records: list[Record]) -> dict[str, Record]:
    return {str(r["link.name"]): r for r in records}


def test_enricher_is_registered() -> None:
    assert any(isinstance(e, CommsLinkEnricher) for e in available_enrichers())
    assert CommsLinkEnricher.order >= 100


def test_declared_encrypted_link_seen_carrying_modbus(tmp_path: Path) -> None:
    records = [
        flow("10.0.0.57", "10.0.0.3", 502, "modbus", **{"flow.encrypted": False, "flow.cleartext_ot": True}),
        flow("10.0.0.57", "10.0.0.8", 443, "https", **{"flow.encrypted": True, "flow.tls": True}),
        flow("10.0.0.9", "10.0.0.3", 502, "modbus"),  # inside cell-b only: not on the link
    ]
    links = by_name(list(CommsLinkEnricher().enrich(records, context(tmp_path))))
    link = links["ent-to-cell-b"]
    assert link["link.encryption_contradicted"] is True
    assert link["link.observed_cleartext_protocols"] == ["modbus"]
    assert link["link.observed_cleartext_ot"] is True
    assert link["link.observed_flows"] == 2 and link["link.observed_bytes"] == 2000
    assert link["link.undeclared_protocols"] == ["modbus"]
    assert link["link.observed_flow_samples"] == ["10.0.0.57->10.0.0.3:502/modbus", "10.0.0.57->10.0.0.8:443/https"]
    assert link["asset.id"] == "link:ent-to-cell-b" and link["source.file"].endswith("comms.yaml")
    assert_in_taxonomy(list(links.values()))


def test_endpoint_posture_and_declared_only_facts(tmp_path: Path) -> None:
    tls = {
        "record.type": "tls_endpoint", "record.key": "tcp/8883", "record.layer": "comms",
        "asset.id": "ip:fab1/198.41.30.241", "asset.ip": "198.41.30.241", "source.scanner": "tls",
        "source.target": "198.41.30.241:8883", "tls.obsolete_versions": ["TLSv1.0"], "tls.weak_classes": ["rc4"],
    }  # fmt: skip
    records: list[Record] = [tls, flow("10.0.1.4", "198.41.30.241", 1883, "mqtt")]  # type: ignore[list-item]
    links = by_name(list(CommsLinkEnricher().enrich(records, context(tmp_path))))
    broker = links["iiot-to-broker"]
    assert broker["link.weak_endpoints"] == ["198.41.30.241:8883: TLSv1.0, rc4"]
    assert broker["link.encryption_contradicted"] is True and broker["link.observed_cleartext_protocols"] == ["mqtt"]
    vendor = links["vendor-cell"]
    assert vendor["link.vendor_remote_access"] is True and vendor["link.encrypted"] is False
    assert vendor["link.observed"] is False
    assert "link.encrypted" not in links["unstated"]


def test_aws_tunnels_and_lldp_are_joined(tmp_path: Path) -> None:
    def tunnel(index: int, up: bool, **flags: object) -> Record:
        record: Record = {
            "record.type": "comms_link", "record.key": f"tunnel/52.0.0.{index}", "record.layer": "cloud",
            "asset.id": "arn:aws:ec2:ap-northeast-1:123456789012:vpn-connection/vpn-1", "source.scanner": "aws",
            "link.kind": "site_to_site_vpn", "link.name": f"plant-vpn/tunnel{index}", "link.up": up,
            "cloud.account_id": "123456789012", "cloud.region": "ap-northeast-1",
        }  # fmt: skip
        record.update(flags)  # type: ignore[arg-type]
        return record

    lldp: Record = {
        "record.type": "comms_link", "record.key": "lldp/1", "record.layer": "ot", "asset.id": "ip:fab1/10.0.0.2",
        "source.scanner": "snmp", "link.kind": "lldp", "link.local_device": "sw-cell-b", "link.local_port": "Gi0/1",
        "link.local_address": "10.0.0.2", "link.remote_device": "fw-ent", "link.remote_port": "eth3",
        "link.remote_address": "10.0.0.57",
    }  # fmt: skip
    records = [tunnel(1, True, **{"vpn.ikev1_allowed": True}), tunnel(2, False), lldp]
    links = by_name(list(CommsLinkEnricher().enrich(records, context(tmp_path))))
    aws = links["fab1-to-aws"]
    assert (aws["link.cloud_vpn_tunnels"], aws["link.cloud_vpn_tunnels_up"]) == (2, 1)
    assert aws["link.redundancy_degraded"] is True
    assert aws["link.cloud_vpn_weak"] == ["plant-vpn/tunnel1: ikev1_allowed"]
    assert links["ent-to-cell-b"]["link.lldp_path"] == ["sw-cell-b:Gi0/1->fw-ent:eth3"]


def test_link_ends_resolve(tmp_path: Path) -> None:
    zones = context(tmp_path).zones
    assert resolve_end("fab1", zones).contains("10.0.1.9")
    assert resolve_end("fab1/cell-b", zones).contains("10.0.0.3")
    assert not resolve_end("fab1/cell-b", zones).contains("10.0.1.3")
    aws = resolve_end("aws:123456789012/ap-northeast-1", zones)
    assert (aws.cloud_account, aws.cloud_region) == ("123456789012", "ap-northeast-1")
    assert resolve_end("192.0.2.0/24", zones).contains("192.0.2.7")
    assert not resolve_end("nowhere/zone", zones).networks


def test_no_links_no_records(tmp_path: Path) -> None:
    assert list(CommsLinkEnricher().enrich([], ScanContext())) == []
