"""Inventory loading: good files load and merge; every error names file, line and key."""

from __future__ import annotations

import ipaddress
from pathlib import Path

import pytest

from xposture.errors import InventoryError
from xposture.inventory import load_inventory
from xposture.scanners.records import RecordsScanner

SCANNERS = {"records": RecordsScanner}

GOOD = """\
sites:
  - name: fab1
    zones:
      - {name: enterprise, cidrs: [10.0.0.0/16], level: 4}
      - {name: cell-a, cidrs: [10.10.1.0/24, "fd00::/64"], level: 1}
    conduits:
      - {from: enterprise, to: cell-a, protocols: [HTTPS]}
    engineering_hosts: [10.0.5.20]
    assets:
      - {name: plc-1, ip: 10.10.1.5, vendor: Siemens, firmware: "4.2.1"}
    sources:
      - {scanner: records, paths: [records/]}
links:
  - {name: fab1-to-cloud, from: fab1/enterprise, to: "aws:123456789012/ap-northeast-1", transport: ipsec, encrypted: true}
advisories: [advisories/]
policy:
  allowed_origin_countries: [JP, US]
"""


def write(tmp_path: Path, text: str, name: str = "inventory.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_good_inventory_loads_with_resolved_paths(tmp_path: Path) -> None:
    inventory = load_inventory(write(tmp_path, GOOD), SCANNERS)
    site = inventory.sites[0]
    assert site.name == "fab1"
    assert [z.name for z in site.zones] == ["enterprise", "cell-a"]
    assert site.zones[1].networks[1] == ipaddress.ip_network("fd00::/64")
    assert site.conduits[0].protocols == ["https"]
    assert site.sources[0].path_list() == [tmp_path / "records"]
    assert site.sources[0].site == "fab1"
    assert inventory.links[0].encrypted is True
    assert inventory.advisories == [tmp_path / "advisories"]
    assert inventory.policy == {"allowed_origin_countries": ["JP", "US"]}
    assert inventory.scopes() == [ipaddress.ip_network("10.0.0.0/16"), *site.zones[1].networks]


def test_folder_merges_sites_of_the_same_name(tmp_path: Path) -> None:
    write(tmp_path, "sites:\n  - name: fab1\n    zones: [{name: cell, cidrs: [10.1.0.0/24]}]\n", "a.yaml")
    write(tmp_path, "sites:\n  - name: fab1\n    sources: [{scanner: records, paths: [x.json]}]\n", "b.yml")
    inventory = load_inventory(tmp_path, SCANNERS)
    assert len(inventory.sites) == 1
    assert inventory.sites[0].zones[0].name == "cell"
    assert inventory.sites[0].sources[0].scanner == "records"


@pytest.mark.parametrize(
    ("text", "line", "key", "fragment"),
    [
        ("sites:\n  - name: fab1\n    zonez: []\n", 3, "zonez", "unknown key"),
        (
            "sites:\n  - name: fab1\n    zones:\n      - {name: a, cidrs: [10.0.0.0/33]}\n",
            4,
            "cidrs",
            "not a valid CIDR",
        ),
        ("sites:\n  - name: fab1\n    zones:\n      - {name: a, level: 9}\n", 4, "level", "Purdue level"),
        ("sites:\n  - name: fab1\n    sources:\n      - {scanner: nosuch}\n", 4, "scanner", "unknown scanner"),
        (
            "sites:\n  - name: fab1\n    sources:\n      - scanner: records\n        paths: x.json\n",
            5,
            "paths",
            "expected list",
        ),
        (
            "sites:\n  - name: fab1\n    sources:\n      - scanner: records\n        bogus: 1\n        paths: []\n",
            5,
            "bogus",
            "unknown option",
        ),
        ("links:\n  - {name: l, from: a, to: b, encrypted: 'yes'}\n", 2, "encrypted", "true or false"),
        ("cloud:\n  - scanner: records\n    paths: []\n    password: hunter2\n", 4, "password", "env:NAME"),
        ("sites:\n  - name: fab1\n  - name: fab2\n    name: fab3\n", 4, None, "duplicate key"),
        ("sites: [\n", 2, None, "YAML error"),
    ],
)
def test_errors_name_file_line_and_key(tmp_path: Path, text: str, line: int, key: str | None, fragment: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(InventoryError) as caught:
        load_inventory(path, SCANNERS)
    error = caught.value
    assert error.file == str(path)
    assert error.line == line
    assert error.key == key
    assert fragment in str(error)
    assert str(error).startswith(f"{path}:{line}:")


def test_conduit_to_unknown_zone_is_an_error(tmp_path: Path) -> None:
    text = "sites:\n  - name: fab1\n    zones: [{name: a}]\n    conduits: [{from: a, to: b}]\n"
    with pytest.raises(InventoryError, match="unknown zone 'b'"):
        load_inventory(write(tmp_path, text), SCANNERS)


def test_missing_path_and_empty_folder(tmp_path: Path) -> None:
    with pytest.raises(InventoryError, match="no such inventory"):
        load_inventory(tmp_path / "absent.yaml", SCANNERS)
    (tmp_path / "empty").mkdir()
    with pytest.raises(InventoryError, match="no .yaml"):
        load_inventory(tmp_path / "empty", SCANNERS)


def test_python_tags_are_refused(tmp_path: Path) -> None:
    """``yaml.safe_load`` semantics: no object construction from inventory files."""
    with pytest.raises(InventoryError, match="YAML error"):
        load_inventory(write(tmp_path, "policy: !!python/object/apply:os.system ['true']\n"), SCANNERS)
