"""One scan, end to end: inventory -> scanners -> enrichers -> rules -> findings -> store.

The flow goes one way. Scanner failures are recorded as coverage and the scan
goes on; only a scan that scanned nothing at all is a failed scan.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import dataclasses
import logging
import time
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from xposture.enrich.assets import AssetMerger
from xposture.enrich.base import Enricher, available_enrichers
from xposture.enrich.zones import ZoneEnricher
from xposture.errors import XpostureError
from xposture.inventory import Inventory, load_inventory
from xposture.model import ASSET_ID, KEY, LAYER, SOURCE_FIELDS, TYPE, Finding, Layer, Record, Severity, evidence_pointer
from xposture.rules import Match, Rule, RuleSet, builtin_pack_dirs
from xposture.scanners.base import SafetyPolicy, ScanContext, Scanner, SourceConfig, available_scanners
from xposture.store import ScanResult, Store, severity_counts

log = logging.getLogger("xposture")

BOOKKEEPING = {TYPE, KEY, LAYER, ASSET_ID, "asset.source_id"}


@dataclass(slots=True)
class ScanOptions:
    """What the person asked for on the command line (or a face asked for)."""

    rule_dirs: list[Path] = field(default_factory=list)
    builtin_rules: bool = True
    only_layers: set[str] = field(default_factory=set)
    passive: bool = False
    credential_tests: bool = False
    concurrency: int = 4
    timeout_s: float | None = None
    progress: Callable[[str, int, int | None], None] | None = None

    def to_params(self) -> dict[str, Any]:
        return {
            "rule_dirs": [str(p) for p in self.rule_dirs],
            "builtin_rules": self.builtin_rules,
            "only_layers": sorted(self.only_layers),
            "passive": self.passive,
            "credential_tests": self.credential_tests,
            "timeout_s": self.timeout_s,
        }


@dataclass(slots=True)
class ScanOutcome:
    scan_id: int
    records: int
    findings: list[Finding]
    failed_sources: int
    ok_sources: int
    rule_errors: list[str]

    @property
    def scanned_nothing(self) -> bool:
        return self.ok_sources == 0


def rule_snapshot(rule: Rule) -> dict[str, Any]:
    """What faces need about a rule, stored with the scan so reports outlive rule edits."""
    return {
        "id": rule.id,
        "name": rule.name,
        "title": rule.title,
        "level": rule.level.label,
        "pack": rule.pack,
        "path": str(rule.path),
        "tags": list(rule.tags),
        "fields": list(rule.fields),
        "remediation": rule.remediation,
        "description": rule.description,
        "references": list(rule.references),
        "category": rule.category,
    }


def finding_from_match(match: Match) -> Finding:
    """Evidence is the rule's ``fields:`` (or every judged field) plus where the record came from."""
    rule, record = match.rule, match.record
    wanted: Iterable[str] = rule.fields or (k for k in record if k not in BOOKKEEPING and not k.startswith("source."))
    evidence = {name: record[name] for name in wanted if name in record}
    for name in SOURCE_FIELDS:
        if name in record:
            evidence[name] = record[name]
    return Finding(
        rule_id=rule.id,
        rule_name=rule.name,
        title=rule.title,
        severity=rule.level,
        layer=str(record.get(LAYER, "")),
        asset_id=str(record.get(ASSET_ID, "")),
        record_key=str(record.get(KEY, "")),
        record_type=str(record.get(TYPE, "")),
        evidence=evidence,
        tags=list(rule.tags),
        remediation=rule.remediation,
        description=rule.description,
        references=list(rule.references),
        pack=rule.pack,
        source=evidence_pointer(record),
    )


def load_rules(options: ScanOptions, policy: Mapping[str, Any]) -> RuleSet:
    dirs = (builtin_pack_dirs() if options.builtin_rules else []) + list(options.rule_dirs)
    return RuleSet.load(dirs, policy=policy)


def make_context(inventory: Inventory, options: ScanOptions, data_dir: Path) -> ScanContext:
    return ScanContext(
        policy=inventory.policy,
        zones=inventory.zones(),
        safety=SafetyPolicy(
            scopes=inventory.scopes(),
            allow_active=not options.passive,
            allow_credential_tests=options.credential_tests,
        ),
        inventory=inventory,
        timeout_s=options.timeout_s,
        progress=options.progress or (lambda task, done, total: None),
        data_dir=data_dir,
    )


def run_scan(inventory_path: Path, store: Store, options: ScanOptions) -> ScanOutcome:
    """Load everything that can fail on bad input first, so a typo never leaves a scan row behind."""
    scanners = available_scanners()
    inventory = load_inventory(inventory_path, scanners)
    ruleset = load_rules(options, inventory.policy)
    ctx = make_context(inventory, options, store.path.parent)
    scan_id = store.begin_scan(str(inventory_path), options.to_params())
    try:
        records = collect(inventory.all_sources(), scanners, ctx, options)
        merger = AssetMerger()
        enrich(records, ctx, [ZoneEnricher(), merger, *available_enrichers()])
        findings = [finding_from_match(m) for m in ruleset.evaluate(records)]
        ok = sum(1 for c in ctx.coverage if c.status in ("ok", "partial"))
        failed = sum(1 for c in ctx.coverage if c.status in ("failed", "timeout"))
        summary = {
            "records": len(records),
            "assets": len(merger.assets),
            "findings": len(findings),
            "by_severity": severity_counts(findings),
            "sources_ok": ok,
            "sources_failed": failed,
            "rules": len(ruleset.rules),
            "rule_errors": [str(e) for e in ruleset.errors],
        }
        if ok == 0:
            store.fail_scan(scan_id, "the scan scanned nothing: every source failed or was skipped", ctx.coverage)
        else:
            store.complete_scan(
                scan_id,
                ScanResult(
                    records=records,
                    assets=list(merger.assets.values()),
                    findings=findings,
                    coverage=ctx.coverage,
                    rules=[rule_snapshot(r) for r in ruleset.rules],
                    audit=ctx.audit_log,
                    summary=summary,
                ),
            )
    except BaseException as exc:
        store.fail_scan(scan_id, f"scan aborted: {exc!r}", ctx.coverage)
        raise
    return ScanOutcome(scan_id, len(records), findings, failed, ok, [str(e) for e in ruleset.errors])


def collect(
    sources: Sequence[SourceConfig], scanners: Mapping[str, type[Scanner]], ctx: ScanContext, options: ScanOptions
) -> list[Record]:
    """Run every source (a few at a time); each gets its own deadline and failures become coverage."""
    runnable: list[SourceConfig] = []
    for source in sources:
        cls = scanners[source.scanner]
        reason = _skip_reason(source, cls, options)
        if reason:
            ctx.report(source.scanner, source.label, "skipped", reason, site=source.site)
        else:
            runnable.append(source)
    results: list[Record] = []
    workers = max(1, min(options.concurrency, len(runnable)))
    with concurrent.futures.ThreadPoolExecutor(max_workers=workers, thread_name_prefix="scanner") as pool:
        jobs = [pool.submit(_run_source, scanners[source.scanner], source, ctx) for source in runnable]
        for job in jobs:
            results.extend(job.result())
    return results


def _skip_reason(source: SourceConfig, cls: type[Scanner], options: ScanOptions) -> str:
    if not source.enabled:
        return "disabled in the inventory (enabled: false)"
    layer = str(source.options.get("layer") or cls.layer.value)  # scanners such as `records` take a layer option
    if options.only_layers and layer not in options.only_layers:
        return f"layer {layer} not selected (--only {','.join(sorted(options.only_layers))})"
    if options.passive and getattr(cls, "active", False):
        return "active scanner skipped in passive mode (--passive)"
    return ""


def _run_source(cls: type[Scanner], source: SourceConfig, ctx: ScanContext) -> list[Record]:
    """Run one scanner on one source, keeping whatever it yielded before a failure or its deadline."""
    timeout = source.timeout_s or ctx.timeout_s
    own = dataclasses.replace(ctx, deadline=time.monotonic() + timeout if timeout else None, coverage=[], audit_log=[])
    records: list[Record] = []
    try:
        _drain(cls().scan(source, own), records, own, timeout)
    except TimeoutError:
        own.report(
            source.scanner,
            source.label,
            "timeout",
            f"stopped after {timeout} s; kept {len(records)} records",
            len(records),
        )
    except XpostureError as exc:
        own.report(source.scanner, source.label, "partial" if records else "failed", str(exc), len(records))
    except Exception as exc:  # a plugin's bug must not end the whole scan
        log.debug("scanner %s crashed", source.scanner, exc_info=True)
        detail = f"internal error: {exc!r}"
        own.report(source.scanner, source.label, "partial" if records else "failed", detail, len(records))
    if not own.coverage:
        own.report(source.scanner, source.label, "ok", records=len(records))
    site = source.site
    for entry in own.coverage:
        entry.site = entry.site or site
    with ctx._lock:
        ctx.coverage.extend(own.coverage)
        ctx.audit_log.extend(own.audit_log)
    if site:
        for record in records:
            record.setdefault("site", site)
    return records


def _drain(
    produced: Iterator[Record] | AsyncIterator[Record], into: list[Record], ctx: ScanContext, timeout: float | None
) -> None:
    if isinstance(produced, AsyncIterator):
        asyncio.run(_drain_async(produced, into, timeout))
        return
    for record in produced:
        into.append(record)
        if ctx.cancelled():
            raise TimeoutError


async def _drain_async(produced: AsyncIterator[Record], into: list[Record], timeout: float | None) -> None:
    async def drain() -> None:
        async for record in produced:
            into.append(record)

    await asyncio.wait_for(drain(), timeout)


def enrich(records: list[Record], ctx: ScanContext, enrichers: Sequence[Enricher | AssetMerger]) -> None:
    """Run enrichers in order; their new records join the list, so later enrichers and the rules see them."""
    for enricher in sorted(enrichers, key=lambda e: e.order):
        try:
            added = list(enricher.enrich(records, ctx))
        except XpostureError as exc:
            ctx.report(f"enricher:{enricher.name}", "all records", "failed", str(exc))
            continue
        except Exception as exc:
            log.debug("enricher %s crashed", enricher.name, exc_info=True)
            ctx.report(f"enricher:{enricher.name}", "all records", "failed", f"internal error: {exc!r}")
            continue
        records.extend(added)


def severity_at_least(findings: Iterable[Finding], threshold: Severity) -> list[Finding]:
    return [f for f in findings if f.severity >= threshold]


def open_at_least(findings: Iterable[Finding], threshold: Severity, waived: set[str]) -> list[Finding]:
    """Findings that should fail CI: at or over the threshold and not waived."""
    return [f for f in findings if f.severity >= threshold and f.fingerprint not in waived]


def layer_names() -> list[str]:
    return [layer.value for layer in Layer]
