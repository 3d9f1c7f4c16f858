"""A fixed scan report for snapshot tests and the TUI benchmark: no clock, no store, same pixels every run."""

from __future__ import annotations

from xposture.model import Asset, Finding, Layer, Severity, Status
from xposture.reports.data import RuleInfo, ScanReport
from xposture.scanners.base import CoverageEntry
from xposture.store import ScanInfo

LAYERS = [layer.value for layer in Layer]
SEVERITIES = list(Severity)
RULE_NAMES = [
    ("ot.cleartext_control_protocol", "Cleartext industrial control protocol"),
    ("ot.program_download_non_engineering", "PLC program download from a non-engineering host"),
    ("comms.tls_obsolete_protocol", "TLS endpoint accepts TLS 1.0"),
    ("cloud.sg_ics_port_open_to_internet", "Security group opens an ICS port to the internet"),
    ("supply_chain.known_exploited", "Component with a known exploited vulnerability"),
]


def sample_report(count: int = 40, scan_id: int = 7) -> ScanReport:
    rules = [
        RuleInfo(
            id=f"00000000-0000-4000-8000-{i:012d}",
            name=name,
            title=title,
            level=SEVERITIES[(i + 2) % 5],
            pack=name.split(".")[0],
            path="",
            tags=["iec62443.sr_4_1", "attack.t0885"],
        )
        for i, (name, title) in enumerate(RULE_NAMES)
    ]
    assets = [
        Asset(
            id=f"ip:fab1/10.10.{i % 4}.{i % 50 + 1}",
            kind="ot_device",
            site="fab1",
            zone=["enterprise", "dmz", "cell-a", "cell-b"][i % 4],
            level=[4, 3, 1, 1][i % 4],
            identity={"vendor": "Siemens", "model": "6ES7 315-2EH14-0AB0", "firmware": "V3.2.6"},
            seen_by=["pcap", "snmp"],
        )
        for i in range(min(count, 200))
    ]
    findings = []
    for i in range(count):
        rule = rules[i % len(rules)]
        asset = assets[i % len(assets)]
        findings.append(
            Finding(
                rule_id=rule.id,
                rule_name=rule.name,
                title=rule.title,
                severity=SEVERITIES[(i * 7) % 5],
                layer=LAYERS[i % 4],
                asset_id=asset.id,
                record_key=f"key-{i}",
                record_type="network_flow",
                evidence={"flow.protocol": "modbus", "flow.dst_port": 502, "source.file": "captures/cell-a.pcap"},
                tags=list(rule.tags),
                remediation="Move the traffic into an encrypted conduit.",
                pack=rule.pack,
                source="scanner=pcap file=captures/cell-a.pcap offset=4242",
                status=Status.WAIVED if i % 11 == 0 else Status.OPEN,
            )
        )
    scan = ScanInfo(
        id=scan_id,
        started="2026-11-29T03:00:00+00:00",
        finished="2026-11-29T03:01:00+00:00",
        status="complete",
        inventory="examples/plant",
        params={},
        summary={"records": count * 3, "by_severity": {"high": 3}},
    )
    history = [
        ScanInfo(
            id=n,
            started=f"2026-11-2{n}T03:00:00+00:00",
            finished=None,
            status="complete",
            inventory="examples/plant",
            params={},
            summary={"by_severity": {"high": n}},
        )
        for n in range(1, scan_id)
    ]
    coverage = [
        CoverageEntry("pcap", "captures/", "ok", records=count),
        CoverageEntry("snmp", "10.10.1.0/28", "failed", "timeout talking to 10.10.1.3", 0, "fab1"),
    ]
    return ScanReport(
        scan=scan,
        findings=findings,
        assets=assets,
        coverage=coverage,
        rules=rules,
        waivers=[],
        comparison=None,
        history=list(reversed(history)),
        audit=[],
        records_by_type={"network_flow": count},
    )
