"""SBOM matching benchmark: 10k components against >= 100k advisories shaped like the real ones.

Generates OSV records (purl + SEMVER/ECOSYSTEM ranges), CVE JSON 5 records
(CNA vendor/product + CISA-ADP CPEs with lessThan ranges) and CISA-style CSAF
advisories (vendor / product name / model numbers / free-text ranges such as
"vers:all/<V3.1.4" and "<V18_Update_2"), packs them in a zip as osv.dev ships
its dumps, imports them, then matches a CycloneDX SBOM of 10k components
(purls, CPEs, some firmware/device components) plus 500 OT device identities.

    python bench/sbom_bench.py                 # 10k components x 100k advisories
    python bench/sbom_bench.py --advisories 20000 --components 2000   # quick

Targets (issue #7): import of 100k advisories <= 60 s; matching 10k components <= 2 s.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import tempfile
import time
import zipfile
from pathlib import Path

from xposture.advisories.db import AdvisoryDB
from xposture.advisories.match import match_targets
from xposture.advisories.records import targets_from_records
from xposture.sbom.loader import read_sbom
from xposture.sbom.records import component_records

ECOSYSTEMS = [("npm", "npm"), ("PyPI", "pypi"), ("Maven", "maven"), ("Go", "golang"), ("OSS-Fuzz", "generic")]
VENDORS = [
    "Siemens",
    "Rockwell Automation",
    "Schneider Electric",
    "Mitsubishi Electric",
    "ABB",
    "Moxa",
    "Hitachi Energy",
]
CSAF_RANGES = [
    "vers:all/<V{a}.{b}.{c}",
    "<V{a}.{b}",
    "vers:all/*",
    "<V{a}_Update_{b}",
    ">=V{a}.0|<V{a}.{b}.{c}",
    "<=v{a}.{b}{c}",
]


MODELS = [f"6ES7{i % 900 + 100}-{i % 9 + 1}AB{i % 90 + 10}-0AB0" for i in range(3000)]


def rmem_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def package(i: int) -> str:
    return f"pkg{i:05d}"


def version(rng: random.Random) -> str:
    return f"{rng.randint(0, 9)}.{rng.randint(0, 20)}.{rng.randint(0, 30)}"


def osv(i: int, rng: random.Random, packages: int) -> dict[str, object]:
    eco, _ = ECOSYSTEMS[i % len(ECOSYSTEMS)]
    name = package(rng.randrange(packages))
    if eco == "Maven":
        name = f"org.example:{name}"
    fixed = version(rng)
    return {
        "schema_version": "1.6.0",
        "id": f"GHSA-{i:04x}-bench-{i}",
        "modified": "2026-10-01T00:00:00Z",
        "published": "2026-09-01T00:00:00Z",
        "aliases": [f"CVE-2026-{i:06d}"],
        "summary": "Generated advisory in the OSV shape",
        "severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}],
        "affected": [
            {
                "package": {"ecosystem": eco, "name": name},
                "ranges": [
                    {
                        "type": "ECOSYSTEM" if eco != "npm" else "SEMVER",
                        "events": [{"introduced": "0"}, {"fixed": fixed}],
                    }
                ],
            }
        ],
        "references": [{"type": "ADVISORY", "url": f"https://example.invalid/{i}"}],
    }


def cve5(i: int, rng: random.Random, packages: int) -> dict[str, object]:
    name = package(rng.randrange(packages))
    return {
        "dataType": "CVE_RECORD",
        "dataVersion": "5.1",
        "cveMetadata": {"cveId": f"CVE-2025-{i:06d}", "state": "PUBLISHED", "datePublished": "2025-05-01T00:00:00Z"},
        "containers": {
            "cna": {
                "descriptions": [{"lang": "en", "value": "Generated CVE record in the CVE JSON 5 shape."}],
                "affected": [
                    {
                        "vendor": f"vendor{name}",
                        "product": name,
                        "versions": [
                            {"version": "0", "lessThan": version(rng), "status": "affected", "versionType": "custom"}
                        ],
                    }
                ],
                "metrics": [
                    {
                        "cvssV3_1": {
                            "baseScore": 7.5,
                            "baseSeverity": "HIGH",
                            "vectorString": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N",
                        }
                    }
                ],
            },
            "adp": [
                {
                    "title": "CISA ADP Vulnrichment",
                    "affected": [
                        {
                            "cpes": [f"cpe:2.3:a:vendor{name}:{name}:*:*:*:*:*:*:*:*"],
                            "vendor": f"vendor{name}",
                            "product": name,
                            "versions": [
                                {
                                    "version": "1.0",
                                    "lessThan": version(rng),
                                    "status": "affected",
                                    "versionType": "custom",
                                }
                            ],
                        }
                    ],
                }
            ],
        },
    }


def csaf(i: int, rng: random.Random, vulns: int) -> dict[str, object]:
    vendor = VENDORS[i % len(VENDORS)]
    branches = []
    for p in range(5):
        model = rng.choice(MODELS)
        text = rng.choice(CSAF_RANGES).format(a=rng.randint(1, 30), b=rng.randint(0, 9), c=rng.randint(0, 9))
        branches.append(
            {
                "category": "product_name",
                "name": f"SIMATIC S7-{rng.choice([1200, 1500, 300])} CPU {p} ({model})",
                "branches": [
                    {
                        "category": "product_version_range",
                        "name": text,
                        "product": {
                            "name": f"{vendor} product {p}",
                            "product_id": f"CSAFPID-{p:04d}",
                            "product_identification_helper": {"model_numbers": [model]},
                        },
                    }
                ],
            }
        )
    return {
        "document": {
            "csaf_version": "2.0",
            "title": f"{vendor} generated",
            "tracking": {"id": f"ICSA-26-{i:05d}", "current_release_date": "2026-10-01T00:00:00Z"},
        },
        "product_tree": {"branches": [{"category": "vendor", "name": vendor, "branches": branches}]},
        "vulnerabilities": [
            {
                "cve": f"CVE-2026-9{i:05d}{v}",
                "product_status": {"known_affected": [f"CSAFPID-{p:04d}" for p in range(5)]},
                "scores": [
                    {
                        "cvss_v3": {
                            "baseScore": 8.1,
                            "baseSeverity": "HIGH",
                            "vectorString": "CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:H/A:H",
                        },
                        "products": ["CSAFPID-0000"],
                    }
                ],
            }
            for v in range(vulns)
        ],
    }


def build_advisories(path: Path, total: int, packages: int, rng: random.Random) -> int:
    """Zip of OSV (60%), CVE 5 (30%) and CSAF (10% of vulnerabilities, 2 per document) files."""
    n_osv, n_cve = int(total * 0.6), int(total * 0.3)
    n_csaf_docs = (total - n_osv - n_cve) // 2
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        for i in range(n_osv):
            zf.writestr(f"osv/GHSA-{i}.json", json.dumps(osv(i, rng, packages)))
        for i in range(n_cve):
            zf.writestr(f"cve/CVE-2025-{i}.json", json.dumps(cve5(i, rng, packages)))
        for i in range(n_csaf_docs):
            zf.writestr(f"csaf/icsa-{i}.json", json.dumps(csaf(i, rng, 2)))
    return n_osv + n_cve + n_csaf_docs * 2


def build_sbom(path: Path, components: int, packages: int, rng: random.Random) -> None:
    comps = []
    for i in range(components):
        name = package(rng.randrange(packages))
        eco = ECOSYSTEMS[i % len(ECOSYSTEMS)][1]
        namespace = "org.example/" if eco == "maven" else ""
        ver = version(rng)
        comp = {
            "type": "library",
            "bom-ref": f"c{i}",
            "name": name,
            "version": ver,
            "purl": f"pkg:{eco}/{namespace}{name}@{ver}",
        }
        if i % 3 == 0:
            comp["cpe"] = f"cpe:2.3:a:vendor{name}:{name}:{ver}:*:*:*:*:*:*:*"
        if i % 50 == 0:
            comp.update({"type": "firmware", "supplier": {"name": rng.choice(VENDORS)}, "name": rng.choice(MODELS)})
        comps.append(comp)
    doc = {
        "bomFormat": "CycloneDX",
        "specVersion": "1.6",
        "version": 1,
        "metadata": {"component": {"type": "firmware", "name": "bench", "version": "1"}},
        "components": comps,
    }
    path.write_text(json.dumps(doc))


def devices(count: int, rng: random.Random) -> list[dict[str, object]]:
    return [
        {
            "record.type": "ot_device",
            "asset.id": f"ip:bench/10.0.{i // 250}.{i % 250}",
            "identity.vendor": rng.choice(VENDORS),
            "identity.model": rng.choice(MODELS).replace("6ES7", "6ES7 "),
            "identity.firmware": f"V{rng.randint(1, 30)}.{rng.randint(0, 9)}.{rng.randint(0, 9)}",
        }
        for i in range(count)
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--advisories", type=int, default=100_000)
    parser.add_argument("--components", type=int, default=10_000)
    parser.add_argument("--devices", type=int, default=500)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    packages = max(1000, args.advisories // 5)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        t0 = time.perf_counter()
        archive = work / "advisories.zip"
        generated = build_advisories(archive, args.advisories, packages, rng)
        sbom = work / "bench.cdx.json"
        build_sbom(sbom, args.components, packages, rng)
        print(
            f"generated {generated} advisories ({archive.stat().st_size / 1e6:.1f} MB zip) and {args.components} components in {time.perf_counter() - t0:.1f} s"
        )

        db = AdvisoryDB(work / "advisories.db")
        t0, c0 = time.perf_counter(), time.process_time()
        report = db.import_paths([archive])
        import_s, import_cpu = time.perf_counter() - t0, time.process_time() - c0
        status = db.status()
        print(
            f"import: {report.advisories} advisories, {status['affected_rows']} affected rows in {import_s:.1f} s wall / {import_cpu:.1f} s CPU "
            f"({report.advisories / import_s:,.0f}/s); db {(work / 'advisories.db').stat().st_size / 1e6:.0f} MB; "
            f"max RSS {rmem_mb():.0f} MB  [target <= 60 s]"
        )
        db.close()

        db = AdvisoryDB(work / "advisories.db")  # cold: nothing cached in the process
        rss_before = rmem_mb()
        t0 = time.perf_counter()
        doc = read_sbom(sbom, validate=False)
        records = list(component_records(doc)) + devices(args.devices, rng)  # type: ignore[arg-type]
        targets = targets_from_records(records)
        t1, c1 = time.perf_counter(), time.process_time()
        matches = match_targets(targets, db, name_matching=True)
        t2, c2 = time.perf_counter(), time.process_time()
        by_method: dict[str, int] = {}
        for m in matches:
            by_method[m.method] = by_method.get(m.method, 0) + 1
        print(
            f"match: {len(targets)} targets ({args.components} components + {args.devices} devices) -> {len(matches)} matches "
            f"in {t2 - t1:.2f} s wall / {c2 - c1:.2f} s CPU (SBOM read + records {t1 - t0:.2f} s); by method {dict(sorted(by_method.items()))}; "
            f"max RSS {rmem_mb():.0f} MB (was {rss_before:.0f})  [target <= 2 s]"
        )
        db.close()
    load = os.getloadavg()[0]
    print(f"load average {load:.1f} on {os.cpu_count()} CPUs: wall times above include waiting for other processes")
    print(
        "anchor figures (grype/osv-scanner/trivy) not measured: those tools and their databases are not installed on this offline machine"
    )


if __name__ == "__main__":
    main()
