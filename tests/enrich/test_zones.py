"""Zone assignment: longest prefix wins, per site, IPv4 and IPv6."""

from __future__ import annotations

import ipaddress

from xposture.enrich.zones import ZoneEnricher
from xposture.model import Layer, make_record
from xposture.scanners.base import ScanContext, Zone


def zone(name: str, site: str, cidr: str, level: int | None) -> Zone:
    return Zone(name=name, site=site, networks=[ipaddress.ip_network(cidr)], level=level)


def test_most_specific_zone_wins_and_site_is_respected() -> None:
    ctx = ScanContext(
        zones=[
            zone("plant", "fab1", "10.10.0.0/16", 3),
            zone("cell-a", "fab1", "10.10.1.0/24", 1),
            zone("other-site", "fab2", "10.10.1.0/24", 2),
            zone("v6-cell", "fab1", "fd00:1::/64", 1),
        ]
    )

    def rec(ip: str, site: str | None = None) -> dict[str, object]:
        return make_record(
            "x", asset_id=ip, key="k", layer=Layer.OT, scanner="t", fields={"asset.ip": ip, "site": site}
        )

    records = [
        rec("10.10.1.5", "fab1"),
        rec("10.10.2.9"),
        rec("10.10.1.5", "fab2"),
        rec("fd00:1::5"),
        rec("192.0.2.1"),
        rec("not-an-ip"),
    ]
    list(ZoneEnricher().enrich(records, ctx))  # type: ignore[arg-type]
    assert [(r.get("zone.name"), r.get("zone.level")) for r in records] == [
        ("cell-a", 1),
        ("plant", 3),
        ("other-site", 2),
        ("v6-cell", 1),
        (None, None),
        (None, None),
    ]
    assert records[1]["site"] == "fab1"
