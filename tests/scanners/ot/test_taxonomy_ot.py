"""Every field the pcap scanner emits is listed in the taxonomy pages, with the type it is documented with."""

from __future__ import annotations

import re
from pathlib import Path

from xposture.inventory.model import DeclaredAsset, Inventory, Site
from xposture.scanners.base import ScanContext, Zone

from .conftest import OT_DATA, REPO, scan

ROW = re.compile(r"^\| *([a-z0-9_.*]+) *\| *([a-z\[\]]+) *\|")
PY_TYPES = {"str": str, "int": int, "float": (int, float), "bool": bool}


def documented() -> dict[str, dict[str, str]]:
    """``{record_type: {field: type}}`` from docs/taxonomy.md and docs/taxonomy/ot.md."""
    found: dict[str, dict[str, str]] = {}
    for page in (REPO / "docs" / "taxonomy.md", REPO / "docs" / "taxonomy" / "ot.md"):
        current = None
        for line in page.read_text().splitlines():
            if line.startswith("## "):
                current = line[3:].strip()
                found.setdefault(current, {})
            elif line.startswith("# "):
                current = None
            elif current and (match := ROW.match(line)) and match.group(1) != "field":
                found[current][match.group(1)] = match.group(2)
    return found


def test_every_emitted_field_is_documented_with_its_type() -> None:
    import ipaddress

    zones = [Zone("cell", "fab1", [ipaddress.ip_network("10.0.0.0/8")], 1)]
    inventory = Inventory(
        sites=[
            Site(
                "fab1",
                zones=zones,
                engineering_hosts=["10.1.1.167"],
                assets=[DeclaredAsset(name="x", ip="10.1.1.164", firmware="1")],
            )
        ]
    )
    records, _ctx, _error = scan(
        sorted(Path(OT_DATA).glob("*.pcap*")), ctx=ScanContext(zones=zones, inventory=inventory)
    )
    docs = documented()
    common = docs["(every record)"]
    missing: set[str] = set()
    wrong: set[str] = set()
    for record in records:
        fields = {**common, **docs.get(str(record["record.type"]), {})}
        assert str(record["record.type"]) in docs, record["record.type"]
        for name, value in record.items():
            kind = fields.get(name)
            if kind is None:
                missing.add(f"{record['record.type']}: {name}")
                continue
            if kind.startswith("list["):
                inner = PY_TYPES[kind[5:-1]]
                if not isinstance(value, list) or not all(isinstance(v, inner) for v in value):
                    wrong.add(f"{record['record.type']}: {name} = {value!r}")
            elif not isinstance(value, PY_TYPES[kind]) or (kind != "bool" and isinstance(value, bool)):
                wrong.add(f"{record['record.type']}: {name} = {value!r}")
    assert not missing, sorted(missing)
    assert not wrong, sorted(wrong)
    assert {r["record.type"] for r in records} == {
        "network_host",
        "ot_device",
        "network_flow",
        "ot_operation",
        "cleartext_credential",
        "remote_access_session",
    }
