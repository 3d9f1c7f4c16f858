"""Every field the SNMP and probe scanners emit in these tests is listed in docs/taxonomy/snmp.md."""

from __future__ import annotations

import re
from pathlib import Path

from tests.scanners.ot.snmp.helpers import loopback_context, scan
from tests.scanners.ot.snmp.test_hostile import hostile_recording, lldp_recording
from xposture.scanners.ot.snmp.build import Origin, agent_records
from xposture.scanners.ot.snmp.engineid import parse_engine_id
from xposture.scanners.ot.snmp.posture import AgentPosture, CommunityResult, V3UserResult
from xposture.scanners.ot.snmp.recordings import parse_snmprec

REPO = Path(__file__).resolve().parents[4]
DATA = REPO / "tests" / "data" / "snmp"


def listed_fields() -> dict[str, set[str]]:
    fields: dict[str, set[str]] = {}
    for page in (REPO / "docs" / "taxonomy.md", REPO / "docs" / "taxonomy" / "snmp.md"):
        current = ""
        for line in page.read_text().splitlines():
            heading = re.match(r"^## (.+?)\s*$", line)
            if heading:
                current = heading.group(1)
                fields.setdefault(current, set())
            row = re.match(r"^\| ([a-z0-9_.*]+) \| ", line)
            if row and current and row.group(1) != "field":
                fields[current].add(row.group(1))
    return fields


def test_emitted_fields_are_listed(tmp_path: Path) -> None:
    records = scan({"paths": [str(DATA)]}, loopback_context(tmp_path))
    posture = AgentPosture(
        "10.0.0.5",
        versions=["v2c", "v3"],
        communities=[CommunityResult("public", True, ["v2c"], True, "accepted")],
        v3_users=[V3UserResult("ops", "authPriv", "sha256", "aes", True, "")],
        engine=parse_engine_id(bytes.fromhex("800000090300001b1b123456")),
        engine_boots=3,
        engine_time_s=10,
    )
    for text in (hostile_recording(), lldp_recording()):
        records += agent_records(parse_snmprec(text), Origin("ip:fab1/10.0.0.5", "fab1", "10.0.0.5", name="x"), posture)
    listed = listed_fields()
    common = listed["(every record)"]
    missing = {
        (r["record.type"], name)
        for r in records
        for name in r
        if name not in common and name not in listed.get(str(r["record.type"]), set())
    }
    assert not missing
