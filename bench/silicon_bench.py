"""Silicon benchmark: HBOM parsing, attestation verification and the device join (prints figures; not a test).

Run: ``.venv/bin/python bench/silicon_bench.py [--parts N] [--devices N]``. The anchor is
sigstore-python's own ``Verifier.verify_dsse`` on the same bundle, timed in the same run, so the
overhead of our extra checks (local signature, statement reading, policy) is visible.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from sigstore.models import Bundle, TrustedRoot
from sigstore.verify import Verifier

from xposture.enrich.firmware_link import FirmwareLinkEnricher
from xposture.model import Layer, make_record
from xposture.scanners.base import ScanContext, SourceConfig
from xposture.scanners.supplychain.attestation import AttestationScanner
from xposture.scanners.supplychain.hbom import HbomScanner

DATA = Path(__file__).resolve().parent.parent / "tests" / "data" / "silicon"
BUNDLE = DATA / "shared" / "slsa" / "gha_generic_v2.1.0_workflow_dispatch.sigstore.intoto.jsonl"
ROOT = DATA / "shared" / "sigstore" / "trusted_root_production.json"


class _Any:
    def verify(self, cert: object) -> None:
        return None


def big_hbom(path: Path, parts: int) -> None:
    components = [
        {
            "type": "device",
            "bom-ref": f"p{i}",
            "name": f"part-{i}",
            "manufacturer": {"name": "NXP", "address": {"country": "NL"}},
            "supplier": {"name": "Avnet"},
            "properties": [
                {"name": "cdx:device:mpn", "value": f"MPN-{i}"},
                {"name": "xposture:hw:lifecycle", "value": "Active"},
            ],
            "components": [{"type": "firmware", "bom-ref": f"f{i}", "name": f"fw-{i}", "version": "1.0"}]
            if i % 10 == 0
            else [],
        }
        for i in range(parts)
    ]
    bom = {
        "bomFormat": "CycloneDX",
        "specVersion": "1.6",
        "metadata": {"component": {"type": "device", "name": "tool", "components": components}},
    }
    path.write_text(json.dumps(bom))


def timed(label: str, count: int, unit: str, fn: object) -> None:
    start = time.perf_counter()
    fn()  # type: ignore[operator]
    elapsed = time.perf_counter() - start
    print(f"{label:<48} {count:>8} {unit:<12} {elapsed:8.3f} s  {count / elapsed:12.0f} {unit}/s")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--parts", type=int, default=20000)
    parser.add_argument("--bundles", type=int, default=50)
    parser.add_argument("--devices", type=int, default=2000)
    args = parser.parse_args()
    policy = {
        "allowed_origin_countries": ["NL"],
        "authorized_distributors": {"NXP": ["Avnet"]},
        "eol_horizon_months": 24,
    }
    with tempfile.TemporaryDirectory() as tmp:
        hbom = Path(tmp) / "big.cdx.json"
        big_hbom(hbom, args.parts)
        ctx = ScanContext(policy=policy)
        source = SourceConfig("hbom", {"paths": [str(hbom)]}, Path("."))
        records: list = []
        timed(
            "hbom: parse + derive (hw_component records)",
            args.parts,
            "parts",
            lambda: records.extend(HbomScanner().scan(source, ctx)),
        )

        att_dir = Path(tmp) / "att"
        att_dir.mkdir()
        for i in range(args.bundles):
            (att_dir / f"b{i}.intoto.jsonl").write_bytes(BUNDLE.read_bytes())
        att_source = SourceConfig("attestation", {"paths": [str(att_dir)], "trusted_roots": [str(ROOT)]}, Path("."))
        out: list = []
        timed(
            "attestation: sigstore bundle, full xposture checks",
            args.bundles,
            "bundles",
            lambda: out.extend(AttestationScanner().scan(att_source, ScanContext())),
        )
        assert all(r["attestation.status"] == "verified" for r in out)
        verifier = Verifier(trusted_root=TrustedRoot.from_file(str(ROOT)))
        raw = BUNDLE.read_bytes()

        def anchor() -> None:
            for _ in range(args.bundles):
                verifier.verify_dsse(Bundle.from_json(raw), _Any())

        timed("anchor: sigstore-python Verifier.verify_dsse only", args.bundles, "bundles", anchor)

        # A fleet: one firmware BOM per product (200 vendors x 10 models), devices reporting vendor/model/version.
        firmware = [
            make_record(
                "hw_component",
                asset_id=f"firmware:v{i % 200}-m{i}",
                key=f"fw{i}",
                layer=Layer.SUPPLY_CHAIN,
                scanner="hbom",
                fields={
                    "hw.type": "firmware",
                    "hw.name": f"model-{i}-fw",
                    "hw.version": f"{i % 7}.{i % 3}.0",
                    "hw.manufacturer": f"Vendor {i % 200}",
                },
            )
            for i in range(args.devices)
        ]
        devices = [
            make_record(
                "ot_device",
                asset_id=f"ip:fab/10.0.{i // 250}.{i % 250}",
                key="id",
                layer=Layer.OT,
                scanner="snmp",
                fields={
                    "identity.vendor": f"Vendor {i % 200}",
                    "identity.model": f"model-{i}",
                    "identity.firmware": f"{i % 7}.{i % 3}.0",
                },
            )
            for i in range(args.devices)
        ]
        all_records = firmware + devices
        joined: list = []
        timed(
            "firmware_link: join devices x firmware BOMs",
            args.devices,
            "devices",
            lambda: joined.extend(FirmwareLinkEnricher().enrich(all_records, ScanContext())),
        )
        print(f"  linked {sum(1 for r in joined if r['link.linked'])} of {len(joined)} devices")


if __name__ == "__main__":
    main()
