"""The snmp and ot_probe packs load, pass their own examples, and fire on real scanner records."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.scanners.ot.snmp.helpers import loopback_context, scan
from xposture.rules.engine import RuleSet

PACKS = Path(__file__).resolve().parents[3] / "xposture" / "rules" / "packs"
DATA = Path(__file__).resolve().parents[2] / "data" / "snmp"


@pytest.mark.parametrize("pack", ["snmp", "ot_probe"])
def test_pack_loads_and_passes_its_examples(pack: str) -> None:
    ruleset = RuleSet.load([PACKS / pack])
    assert [str(e) for e in ruleset.errors] == []
    files = sorted((PACKS / pack).glob("*.yml"))
    assert len(ruleset.rules) == len(files)
    for path in files:
        doc: dict[str, Any] = yaml.safe_load(path.read_text())
        assert doc["name"] == f"{pack}.{path.stem}"
        names = lambda record: [r.name for r in ruleset.check(record)]  # noqa: E731
        for example in doc["tests"]["match"]:
            assert doc["name"] in names(example), (path.name, example)
        for example in doc["tests"]["nomatch"]:
            assert doc["name"] not in names(example), (path.name, example)


def test_rules_fire_on_offline_recordings(tmp_path: Path) -> None:
    records = scan({"paths": [str(DATA)]}, loopback_context(tmp_path))
    ruleset = RuleSet.load([PACKS / "snmp"])
    hits = {(m.rule.name, str(m.record["asset.id"])) for m in ruleset.evaluate(records)}
    assert ("snmp.agent_firmware_unidentified", "snmp:cts-media-converter") in hits
    assert ("snmp.agent_firmware_unidentified", "snmp:apc-8641") not in hits
    # offline recordings say nothing about versions or communities
    assert not any(name in ("snmp.v1_enabled", "snmp.default_community") for name, _ in hits)
