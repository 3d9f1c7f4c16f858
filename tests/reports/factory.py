"""Build realistic ``ScanReport`` objects for the HTML report tests and benchmark.

The shapes follow what the scanners and rule packs emit (rule names, tags,
evidence fields, asset ids per the conventions), so the page is exercised the
way a plant's scan will exercise it. ``hostile`` puts attack strings into
every field the report shows.
"""

from __future__ import annotations

import random
from dataclasses import replace

from xposture.model import Asset, Finding, Severity, Status
from xposture.reports.data import Comparison, RuleInfo, ScanReport
from xposture.scanners.base import CoverageEntry
from xposture.store import ScanInfo, Waiver

HOSTILE = [
    "<script>window.__pwned=1</script>",
    '"onerror=window.__pwned=1 x="',
    "</style><img src=x onerror=window.__pwned=1>",
    "</script><script>window.__pwned=1</script>",
    "'><svg onload=window.__pwned=1>",
    "<!--<script>",
    "javascript:window.__pwned=1",
    "{{ 7*7 }}",
    "\u202eevil\u2028line",
]

RULES = [
    (
        "ot.cleartext_control_protocol",
        "Cleartext industrial control protocol",
        Severity.HIGH,
        "ot",
        ["attack.t0885", "iec62443.sr_4_1", "iec62443.sr_3_1", "nist_csf.pr_ds_02"],
        ["flow.src_ip", "flow.dst_ip", "flow.protocol", "flow.dst_port"],
    ),
    (
        "ot.flow_crosses_zone_without_conduit",
        "Traffic between zones without a declared conduit",
        Severity.CRITICAL,
        "ot",
        ["attack.t0886", "iec62443.sr_5_1", "iec62443.sr_5_2", "nist_csf.pr_ir_01"],
        ["flow.src_zone", "flow.dst_zone", "flow.protocol"],
    ),
    (
        "snmp.default_community",
        "SNMP agent accepts a default community string",
        Severity.CRITICAL,
        "ot",
        ["attack.t0812", "iec62443.sr_1_5", "nist_csf.pr_aa_01"],
        ["snmp.community", "snmp.version", "identity.vendor"],
    ),
    (
        "snmp.v1_v2c_enabled",
        "SNMP v1/v2c enabled on a control network device",
        Severity.MEDIUM,
        "ot",
        ["iec62443.sr_4_1", "nist_csf.pr_ds_02"],
        ["snmp.version", "snmp.sys_descr"],
    ),
    (
        "comms.tls_obsolete_protocol",
        "Endpoint accepts TLS 1.0 or 1.1",
        Severity.HIGH,
        "comms",
        ["iec62443.sr_4_3", "nist_csf.pr_ds_02", "attack.t0830"],
        ["tls.versions", "tls.cert.subject"],
    ),
    (
        "comms.tls_cert_expiring",
        "Certificate expires within 30 days",
        Severity.LOW,
        "comms",
        ["iec62443.sr_1_8", "nist_csf.pr_ds_02"],
        ["tls.cert.subject", "tls.cert.days_to_expiry"],
    ),
    (
        "comms.ssh_weak_kex",
        "SSH server offers weak key exchange",
        Severity.MEDIUM,
        "comms",
        ["iec62443.sr_4_3"],
        ["ssh.kex", "ssh.banner"],
    ),
    (
        "cloud.sg_ics_port_open_to_world",
        "Security group opens an ICS port to the internet",
        Severity.CRITICAL,
        "cloud",
        ["cis_aws.5_2", "attack.t0883", "nist_csf.pr_ir_01", "iec62443.sr_5_2"],
        ["sg.group_id", "sg.from_port", "sg.cidr"],
    ),
    (
        "cloud.s3_bucket_public",
        "S3 bucket allows public access",
        Severity.HIGH,
        "cloud",
        ["cis_aws.2_1_4", "nist_csf.pr_ds_01"],
        ["s3.bucket", "s3.public_access_block"],
    ),
    (
        "cloud.root_mfa_disabled",
        "Root account without MFA",
        Severity.CRITICAL,
        "cloud",
        ["cis_aws.1_5", "nist_csf.pr_aa_03"],
        ["iam.account", "iam.mfa_enabled"],
    ),
    (
        "supply_chain.known_exploited_vulnerability",
        "Component with a known exploited vulnerability",
        Severity.CRITICAL,
        "supply_chain",
        ["nist_csf.id_ra_01", "attack.t0862", "semi_e187.vulnerability"],
        ["component.purl", "vuln.id", "vuln.cvss"],
    ),
    (
        "supply_chain.vulnerable_component",
        "Firmware component with a known vulnerability",
        Severity.MEDIUM,
        "supply_chain",
        ["nist_csf.id_ra_01", "iec62443.sr_3_4"],
        ["component.purl", "vuln.id", "vuln.fixed_in"],
    ),
    (
        "supply_chain.no_provenance",
        "Firmware without SLSA provenance",
        Severity.LOW,
        "supply_chain",
        ["slsa.build_l2", "nist_csf.gv_sc_05"],
        ["artifact.name", "artifact.sha256"],
    ),
    (
        "ot.device_firmware_eol",
        "Device firmware past end of support",
        Severity.INFORMATIONAL,
        "ot",
        ["iec62443.sr_7_8", "nist_csf.id_am_02"],
        ["identity.vendor", "identity.model", "identity.firmware"],
    ),
]
LAYER_OF = {"ot": "ot", "snmp": "ot", "comms": "comms", "cloud": "cloud", "supply_chain": "supply_chain"}
VENDORS = [
    ("Siemens", "SIMATIC S7-1500", "V2.9.4"),
    ("Rockwell Automation", "1756-L83E", "33.011"),
    ("Schneider Electric", "Modicon M580", "SV3.20"),
    ("Moxa", "EDS-408A", "3.8"),
    ("Hirschmann", "RSP35", "09.1.00"),
]


def _rule_infos(hostile: bool) -> list[RuleInfo]:
    infos = []
    for i, (name, title, level, pack, tags, fields) in enumerate(RULES):
        h = HOSTILE[i % len(HOSTILE)] if hostile else ""
        infos.append(
            RuleInfo(
                id=f"00000000-0000-4000-8000-{i:012d}",
                name=name + (h if i % 4 == 1 else ""),
                title=title + (" " + h if h else ""),
                level=level,
                pack=pack.split(".")[0] + (h if i % 4 == 2 else ""),
                path=f"xposture/rules/packs/{pack}/{name.split('.', 1)[1]}.yml",
                tags=tags + (["custom." + h] if h else []),
                fields=fields,
                remediation=("Restrict the conduit to the declared protocols and enable secure transport." + h),
                description=("An attacker on the network can read and forge process traffic." + h),
                references=[
                    "https://www.cisa.gov/topics/industrial-control-systems",
                    *([h, "javascript:alert(1)"] if hostile else []),
                ],
            )
        )
    return infos


def make_assets(n: int, rng: random.Random, hostile: bool) -> list[Asset]:
    assets = []
    for i in range(n):
        h = HOSTILE[i % len(HOSTILE)] if hostile else ""
        kind_pick = i % 10
        if kind_pick < 6:
            site = "fab1" if i % 3 else "fab2"
            zone = ["cell-a", "cell-b", "supervisory", "enterprise"][i % 4]
            level = {"cell-a": 1, "cell-b": 1, "supervisory": 2, "enterprise": 4}[zone]
            vendor, model, fw = VENDORS[i % len(VENDORS)]
            addr = f"10.{10 + i % 4}.{(i // 250) % 250}.{i % 250 + 1}"
            assets.append(
                Asset(
                    id=f"ip:{site}/{addr}",
                    kind="ot_device",
                    name=f"plc-{i:05d}{h}",
                    site=site + (h if i % 11 == 5 else ""),
                    zone=zone + (h if i % 7 == 0 else ""),
                    level=level,
                    layer="ot",
                    identifiers={"asset.ip": [addr], "asset.mac": [f"00:1b:1b:{i % 256:02x}:{(i >> 8) % 256:02x}:01"]},
                    identity={"vendor": vendor + h, "model": model, "firmware": fw + h, "serial": f"S{i:08d}"},
                    seen_by=["pcap", "snmp"],
                )
            )
        elif kind_pick < 8:
            arn = f"arn:aws:ec2:ap-northeast-1:123456789012:security-group/sg-{i:08x}"
            assets.append(
                Asset(
                    id=arn,
                    kind="cloud_resource",
                    name=f"sg-{i:08x}{h}",
                    site="aws:123456789012",
                    zone="ap-northeast-1",
                    layer="cloud",
                    identifiers={"asset.arn": [arn]},
                    seen_by=["aws"],
                )
            )
        else:
            purl = f"pkg:generic/firmware-{i % 40}@1.{i % 9}.{i % 5}"
            assets.append(
                Asset(
                    id=purl,
                    kind="firmware",
                    name=f"firmware-{i % 40}{h}",
                    site="",
                    zone="",
                    layer="supply_chain",
                    identifiers={"asset.purl": [purl]},
                    identity={"vendor": VENDORS[i % 5][0]},
                    seen_by=["sbom"],
                )
            )
    return assets


def _evidence(fields: list[str], i: int, h: str) -> dict[str, object]:
    ev: dict[str, object] = {}
    for j, name in enumerate(fields):
        if name.endswith(("_port", "days_to_expiry", "from_port")):
            ev[name] = 502 + (i + j) % 40
        elif name.endswith("versions"):
            ev[name] = ["TLSv1", "TLSv1.1", "TLSv1.2"]
        elif name.endswith(("mfa_enabled", "public_access_block")):
            ev[name] = False
        elif name.endswith("cvss"):
            ev[name] = 9.8
        else:
            ev[name] = f"{name.rsplit('.', 1)[-1]}-{i % 997}" + h
    if h:
        ev["raw." + h] = h  # the records scanner flattens arbitrary JSON keys into field names
    return ev


def make_report(
    n_findings: int = 300,
    *,
    n_assets: int | None = None,
    seed: int = 7,
    hostile: bool = False,
    compare: bool = True,
    waived_every: int = 37,
) -> ScanReport:
    """A scan of ``n_findings`` findings over a plant, a cloud account and firmware, with history and waivers."""
    rng = random.Random(seed)
    rules = _rule_infos(hostile)
    assets = make_assets(n_assets or max(20, n_findings // 8), rng, hostile)
    by_layer: dict[str, list[Asset]] = {}
    for a in assets:
        by_layer.setdefault(a.layer, []).append(a)
    findings: list[Finding] = []
    for i in range(n_findings):
        rule = rules[i % len(rules)]
        layer = LAYER_OF[rule.name.split(".")[0]]
        pool = by_layer.get(layer) or by_layer.get("ot") or assets
        asset = pool[(i * 7919) % len(pool)]
        h = HOSTILE[i % len(HOSTILE)] if hostile else ""
        findings.append(
            Finding(
                rule_id=rule.id,
                rule_name=rule.name,
                title=rule.title,
                severity=rule.level,
                layer=layer,
                asset_id=asset.id,
                record_key=f"key-{i}" + h,
                record_type=rule.name.split(".")[0] + "_record",
                evidence=_evidence(rule.fields, i, h),
                tags=rule.tags,
                remediation=rule.remediation,
                description=rule.description,
                references=rule.references,
                pack=rule.pack,
                source=f"scanner=pcap file=captures/plant-{i % 12}.pcapng offset={i * 1514}" + h,
                status=Status.WAIVED if waived_every and i % waived_every == waived_every - 1 else Status.OPEN,
            )
        )
    h0 = HOSTILE[0] if hostile else ""
    scan = ScanInfo(
        id=42,
        started="2026-11-29T02:00:00Z",
        finished="2026-11-29T02:07:31Z",
        status="complete",
        inventory="examples/plant/inventory" + h0,
        params={
            "inventory": "examples/plant/inventory",
            "severity": "low",
            "fail_on": "high",
            "scanners": ["pcap", "snmp", "tls", "aws_offline", "sbom"],
            "active": True,
            "note" + h0: h0 or "nightly",
        },
        summary={"open": sum(1 for f in findings if f.status == Status.OPEN)},
    )
    history = [
        ScanInfo(
            id=41 - k,
            started=f"2026-11-{28 - k:02d}T02:00:00Z",
            finished=None,
            status="complete",
            inventory=scan.inventory,
            params={},
            summary={"open": int(n_findings * (1.25 - 0.04 * (5 - k)))},
        )
        for k in range(5)
    ]
    comparison = None
    if compare:
        new = {f.fingerprint for f in findings[::5]}
        still = {f.fingerprint for f in findings} - new
        fixed = [
            replace(f, record_key=f.record_key + "-old", fingerprint="") for f in findings[: max(1, n_findings // 10)]
        ]
        comparison = Comparison(previous=history[0], new=new, fixed=fixed, still_open=still)
    waivers = [
        Waiver(
            fingerprint=f.fingerprint,
            reason="Vendor patch scheduled for the next shutdown" + (HOSTILE[k % 9] if hostile else ""),
            owner="ot-security@example.com" + (HOSTILE[(k + 1) % 9] if hostile else ""),
            expires="2027-03-31" if k % 4 else "2026-10-01",
            created="2026-09-01",
        )
        for k, f in enumerate(f for f in findings if f.status == Status.WAIVED)
    ]
    statuses = ["ok"] * 8 + ["partial", "failed", "timeout", "skipped"]
    coverage = [
        CoverageEntry(
            scanner=s + (HOSTILE[k % 9] if hostile and k % 5 == 4 else ""),
            target=f"10.10.1.{k}:{p}" + (HOSTILE[k % 9] if hostile else ""),
            status=statuses[k % 12],
            detail=("connection refused" if statuses[k % 12] != "ok" else "") + (HOSTILE[k % 9] if hostile else ""),
            records=k * 3,
            site="fab1",
        )
        for k, (s, p) in enumerate([("snmp", 161), ("tls", 443), ("ssh", 22), ("pcap", 0)] * 6)
    ]
    audit = [
        {
            "time": 1795917600.0 + k,
            "scanner": "snmp",
            "target": f"10.10.1.{k % 20}" + (HOSTILE[k % 9] if hostile else ""),
            "protocol": "snmp" + (HOSTILE[(k + 4) % 9] if hostile else ""),
            "sent": "GetRequest sysDescr.0" + (HOSTILE[k % 9] if hostile else ""),
        }
        for k in range(60)
    ]
    records = {
        "network_flow": n_findings * 3,
        "snmp_agent": 40,
        "tls_endpoint": 25,
        "sbom_component": 900,
        "aws_security_group_rule": 60,
    }
    if hostile:
        records["evil" + HOSTILE[2]] = 1
    return ScanReport(
        scan=scan,
        findings=findings,
        assets=assets,
        coverage=coverage,
        rules=rules,
        waivers=waivers,
        comparison=comparison,
        history=history,
        audit=audit,
        records_by_type=records,
    )
