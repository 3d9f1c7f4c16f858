"""Asset merge: sightings sharing an identifier become one asset with a stable id."""

from __future__ import annotations

from xposture.enrich.assets import AssetMerger, canonical_id
from xposture.model import Layer, make_record


def test_pcap_and_snmp_sightings_of_one_plc_merge() -> None:
    pcap = make_record(
        "ot_device",
        asset_id="ip:fab1/10.10.1.5",
        key="device",
        layer=Layer.OT,
        scanner="pcap",
        fields={"asset.ip": "10.10.1.5", "asset.mac": "00:1B:1B:AA:BB:CC", "site": "fab1", "asset.kind": "ot_device"},
    )
    snmp = make_record(
        "snmp_agent",
        asset_id="snmp:plc",
        key="agent",
        layer=Layer.OT,
        scanner="snmp",
        fields={"asset.mac": "00:1b:1b:aa:bb:cc", "identity.vendor": "Siemens", "identity.firmware": "V3.2.6"},
    )
    other = make_record(
        "ot_device",
        asset_id="ip:fab1/10.10.1.6",
        key="d",
        layer=Layer.OT,
        scanner="pcap",
        fields={"asset.ip": "10.10.1.6", "site": "fab1"},
    )
    records = [pcap, snmp, other]
    merger = AssetMerger()
    links = list(merger.enrich(records, object()))
    assert pcap["asset.id"] == snmp["asset.id"] == "ip:fab1/10.10.1.5"
    assert snmp["asset.source_id"] == "snmp:plc"
    assert other["asset.id"] == "ip:fab1/10.10.1.6"
    plc = merger.assets["ip:fab1/10.10.1.5"]
    assert plc.identity == {"vendor": "Siemens", "firmware": "V3.2.6"}
    assert sorted(plc.seen_by) == ["pcap", "snmp"]
    assert plc.identifiers["mac"] == ["00:1b:1b:aa:bb:cc"]
    assert [link["asset.id"] for link in links] == ["ip:fab1/10.10.1.5"]
    assert links[0]["link.scanners"] == ["pcap", "snmp"]


def test_canonical_id_prefers_stable_identifiers_in_order() -> None:
    assert canonical_id(["id:x", "mac:aa", "ip:s/1.2.3.4"]) == "ip:s/1.2.3.4"
    assert canonical_id(["id:x", "arn:arn:aws:s3:::b"]) == "arn:aws:s3:::b"
    assert canonical_id(["id:zz", "id:aa"]) == "aa"


def test_merge_is_transitive_and_order_independent() -> None:
    def build() -> list[dict[str, object]]:
        return [
            make_record("a", asset_id="x1", key="1", layer=Layer.OT, scanner="s1", fields={"asset.ip": "10.0.0.1"}),
            make_record(
                "a",
                asset_id="x2",
                key="2",
                layer=Layer.OT,
                scanner="s2",
                fields={"asset.ip": "10.0.0.1", "asset.serial": "S1"},
            ),
            make_record("a", asset_id="x3", key="3", layer=Layer.OT, scanner="s3", fields={"asset.serial": "S1"}),
        ]

    forward = build()
    AssetMerger().enrich(forward, object())  # type: ignore[arg-type]
    backward = list(reversed(build()))
    AssetMerger().enrich(backward, object())  # type: ignore[arg-type]
    assert {r["asset.id"] for r in forward} == {r["asset.id"] for r in backward} == {"ip:/10.0.0.1"}
