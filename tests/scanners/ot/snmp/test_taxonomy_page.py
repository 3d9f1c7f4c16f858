"""Every field the SNMP and probe scanners emit in these tests is listed in docs/taxonomy/snmp.md."""

from __future__ import annotations

from pathlib import Path

from tests.scanners.ot.snmp.helpers import assert_fields_listed, loopback_context, scan
from tests.scanners.ot.snmp.test_hostile import hostile_recording, lldp_recording
from xposture.scanners.ot.snmp.build import Origin, agent_records
from xposture.scanners.ot.snmp.engineid import parse_engine_id
from xposture.scanners.ot.snmp.posture import AgentPosture, CommunityResult, V3UserResult
from xposture.scanners.ot.snmp.recordings import parse_snmprec

DATA = Path(__file__).resolve().parents[3] / "data" / "snmp"


def test_emitted_fields_are_listed(tmp_path: Path) -> None:
    records = scan({"paths": [str(DATA)]}, loopback_context(tmp_path))
    posture = AgentPosture(
        "10.0.0.5",
        versions=["v2c", "v3"],
        communities=[CommunityResult("public", True, ["v2c"], True, "accepted")],
        v3_users=[V3UserResult("ops", "authPriv", "sha256", "aes", True, "")],
        engine=parse_engine_id(bytes.fromhex("8000000903001b1b123456")),
        engine_boots=3,
        engine_time_s=10,
    )
    for text in (hostile_recording(), lldp_recording()):
        records += agent_records(parse_snmprec(text), Origin("ip:fab1/10.0.0.5", "fab1", "10.0.0.5", name="x"), posture)
    assert_fields_listed(records)
