"""The vulnerability enricher: SBOM components and device identities against the advisory database.

It runs after the asset merge (order 120) so a PLC's finding lands on the
merged asset, imports the inventory's ``advisories:`` paths first (unchanged
files are skipped by hash) and applies the VEX statements the ``sbom``
scanner read.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import ClassVar

from xposture.advisories.db import AdvisoryDB
from xposture.advisories.match import match_targets
from xposture.advisories.records import (
    apply_vex,
    match_record,
    statements_from_records,
    targets_from_inventory,
    targets_from_records,
)
from xposture.errors import XpostureError
from xposture.model import Record
from xposture.scanners.base import ScanContext

NAME = "vulnerabilities"


class VulnerabilityEnricher:
    name: ClassVar[str] = NAME
    order: ClassVar[int] = 120

    def enrich(self, records: list[Record], ctx: ScanContext) -> Iterable[Record]:
        return list(self._run(records, ctx))

    def _run(self, records: list[Record], ctx: ScanContext) -> Iterator[Record]:
        targets = targets_from_records(records)
        targets += targets_from_inventory(ctx.inventory, records, targets)
        paths = list(getattr(ctx.inventory, "advisories", None) or [])
        if not targets and not paths:
            return
        db_path = ctx.data_dir / "advisories.db"
        has_components = any(t.kind == "component" for t in targets)
        if not paths and not has_components and not db_path.exists():
            # device identities only, and no advisory database was ever built: vulnerability matching is not set up
            return
        with AdvisoryDB(db_path) as db:
            for path in paths:
                try:
                    report = db.import_paths([path])
                except XpostureError as exc:
                    ctx.report(f"enricher:{NAME}", str(path), "failed", str(exc))
                    continue
                outcome = "partial" if report.errors else "ok"
                detail = f"{report.advisories} advisories imported, {report.skipped_unchanged} files unchanged"
                if report.errors:
                    detail += f", {len(report.errors)} errors: {report.errors[0]}"
                ctx.report(f"enricher:{NAME}", str(path), outcome, detail, records=report.advisories)
            status = db.status()
            if not status["advisories"]:
                if paths or has_components:
                    # SBOMs or advisory paths were given: unmatched must not read as "no vulnerabilities"
                    ctx.report(
                        f"enricher:{NAME}", str(db_path), "skipped", "advisory database is empty: nothing was matched"
                    )
                return
            name_matching = bool(ctx.policy.get("sbom_name_matching", True))
            min_confidence = float(ctx.policy.get("vulnerability_min_confidence", 0.0))
            matches = match_targets(targets, db, name_matching=name_matching, min_confidence=min_confidence)
            apply_vex(matches, statements_from_records(records))
            max_age = ctx.policy.get("advisories_max_age_days")
            age = status.get("age_days")
            if isinstance(max_age, (int, float)) and age is not None and age > max_age:
                ctx.report(
                    f"enricher:{NAME}",
                    str(db_path),
                    "partial",
                    f"advisory database is {age:.0f} days old (policy maximum {max_age})",
                )
            ctx.report(
                f"enricher:{NAME}",
                str(db_path),
                "ok",
                f"{len(targets)} components/devices matched against {status['advisories']} advisories: {len(matches)} matches",
                records=len(matches),
            )
        # one record per (asset, thing, vulnerability): two scanners reporting one device's identity make one match
        best: dict[tuple[str, str], Record] = {}
        for match in matches:
            record = match_record(match)
            key = (str(record["asset.id"]), str(record["record.key"]))
            kept = best.get(key)
            if kept is None or float(record["match.confidence"] or 0) > float(kept["match.confidence"] or 0):  # type: ignore[arg-type]
                best[key] = record
        yield from best.values()
