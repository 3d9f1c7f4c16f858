"""``xposture sbom check SBOM...``: the CI gate for firmware SBOMs.

Exit 0 when nothing open is at or over ``--fail-on`` (or KEV with
``--fail-on-kev``), 1 when something is, 2 on usage/input errors or when no
component could be parsed (an SBOM that yields nothing must not pass as clean).
Name-only matches are off by default here and matches below
``--min-confidence`` do not count, so a guess never breaks a build.
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from xposture.advisories.db import AdvisoryDB, default_path
from xposture.advisories.match import CONFIDENCE, Match, confidence_label, match_targets
from xposture.advisories.model import SEVERITY_RANK
from xposture.advisories.records import apply_vex, targets_from_records
from xposture.commands.common import (
    EXIT_FINDINGS,
    EXIT_OK,
    EXIT_USAGE,
    severity,
    stderr_console,
    store_path,
    write_output,
)
from xposture.errors import InputError, UsageError
from xposture.model import Severity
from xposture.reports.sarif_sbom import sbom_sarif
from xposture.reports.text import terminal_safe
from xposture.sbom.loader import NotAnSbom, iter_sbom_files, read_sbom
from xposture.sbom.model import Component, Document
from xposture.sbom.records import component_records
from xposture.sbom.vex import (
    VexRow,
    VexStatement,
    embedded_statements,
    read_vex,
    to_cyclonedx_vex,
    to_openvex,
    vex_files,
)

FORMATS = ("table", "json", "sarif", "cyclonedx-vex", "openvex")
LEVELS = {"low": 0.0, "medium": 0.5, "high": 0.8}


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("sbom", help="SBOM commands (CI gate)")
    actions = parser.add_subparsers(dest="sbom_action", required=True)
    check = actions.add_parser("check", help="match SBOMs against the advisory database and gate on severity")
    check.add_argument("sboms", nargs="+", type=Path, metavar="SBOM", help="SBOM file, or a folder of them")
    check.add_argument(
        "--advisories",
        action="append",
        type=Path,
        default=[],
        metavar="DB|PATH",
        help="advisory database file, or advisory files/folders to import first (default: advisories.db beside the store)",
    )
    check.add_argument(
        "--vex",
        action="append",
        type=Path,
        default=[],
        metavar="PATH",
        help="VEX file or folder (OpenVEX, CycloneDX, CSAF); repeatable",
    )
    check.add_argument(
        "--fail-on", type=severity, metavar="SEVERITY", help="exit 1 when an open match is at or over SEVERITY"
    )
    check.add_argument(
        "--fail-on-kev", action="store_true", help="exit 1 when an open match is in CISA's KEV catalogue"
    )
    check.add_argument(
        "--min-confidence",
        choices=tuple(LEVELS),
        default="medium",
        help="ignore matches below this confidence (default medium)",
    )
    check.add_argument(
        "--name-matching", action="store_true", help="also match by bare name + version (low confidence)"
    )
    check.add_argument(
        "--max-age-days",
        type=float,
        metavar="N",
        help="warn when the advisory database was last imported more than N days ago",
    )
    check.add_argument(
        "--fail-stale", action="store_true", help="with --max-age-days: exit 2 instead of warning on a stale database"
    )
    check.add_argument("--format", choices=FORMATS, default="table")
    check.add_argument("-o", "--output", metavar="FILE", help="write the report to FILE instead of stdout")
    check.set_defaults(handler=run)


def _open_db(args: argparse.Namespace) -> AdvisoryDB:
    given: list[Path] = args.advisories
    databases = [p for p in given if p.is_file() and _is_sqlite(p)]
    sources = [p for p in given if p not in databases]
    if len(databases) > 1:
        raise UsageError("give at most one advisory database file")
    path = databases[0] if databases else default_path(store_path(args))
    if not databases and not sources and not path.exists():
        raise UsageError(
            f"no advisory database at {path}: run 'xposture advisories import PATH' or pass --advisories PATH"
        )
    db = AdvisoryDB(path)
    if sources:
        report = db.import_paths(sources)
        if report.errors:
            db.close()
            raise InputError("; ".join(report.errors[:3]))
    return db


def _is_sqlite(path: Path) -> bool:
    try:
        with path.open("rb") as handle:
            return handle.read(16) == b"SQLite format 3\x00"
    except OSError:
        return False


def run(args: argparse.Namespace) -> int:
    console = stderr_console(args)
    documents: list[Document] = []
    for given in args.sboms:
        for path in iter_sbom_files([given]):
            try:
                documents.append(read_sbom(path))
            except NotAnSbom as exc:
                if path == given:
                    raise InputError(f"not an SBOM: {exc.message}", file=str(path)) from exc
                console.print(
                    f"skipped {terminal_safe(path)}: {terminal_safe(exc.message)}", markup=False, soft_wrap=True
                )
    for doc in documents:
        for error in doc.schema_errors[:3]:
            console.print(f"schema: {terminal_safe(doc.path)}: {terminal_safe(error)}", markup=False, soft_wrap=True)
    records = [r for doc in documents for r in component_records(doc)]
    if not records:
        console.print(
            "error: no components parsed from the SBOM(s): refusing to report clean", markup=False, soft_wrap=True
        )
        return EXIT_USAGE
    statements: list[VexStatement] = []
    for doc in documents:
        statements.extend(embedded_statements(doc.vulnerabilities, doc.path, doc.timestamp))
    for path in vex_files(args.vex):
        statements.extend(read_vex(path))
    targets = targets_from_records(records)
    try:
        db = _open_db(args)
    except sqlite3.Error as exc:
        raise UsageError(f"advisory database unreadable: {exc}") from exc
    with db:
        status = db.status()
        if not status["advisories"]:
            raise UsageError(f"advisory database {db.path} is empty: nothing to match against")
        age = status["age_days"]
        if args.max_age_days is not None and age is not None and age > args.max_age_days:
            message = (
                f"advisory database {db.path} was last imported {age:.1f} days ago (maximum {args.max_age_days:g})"
            )
            if args.fail_stale:
                raise UsageError(message)
            console.print("warning: " + message, markup=False, soft_wrap=True)
        matches = match_targets(
            targets, db, name_matching=args.name_matching, min_confidence=LEVELS[args.min_confidence]
        )
    apply_vex(matches, statements)
    matches.sort(key=lambda m: (-SEVERITY_RANK.get(m.severity, 0), m.vuln_id, m.target.name))
    failing = _failing(matches, args.fail_on, args.fail_on_kev)
    write_output(_render(args.format, matches, documents), args.output)
    open_count = sum(1 for m in matches if not m.suppressed)
    console.print(
        f"{len(records)} components, {len(matches)} matches ({open_count} open, {len(matches) - open_count} suppressed by VEX)"
        + (f", {len(failing)} at or over the threshold" if failing else ""),
        markup=False,
        soft_wrap=True,
    )
    return EXIT_FINDINGS if failing else EXIT_OK


def _failing(matches: Sequence[Match], fail_on: Severity | None, fail_on_kev: bool) -> list[Match]:
    out = []
    for match in matches:
        if match.suppressed:
            continue
        rank = SEVERITY_RANK.get(match.severity, 0)
        if (fail_on is not None and rank >= int(fail_on) and rank > 0) or (fail_on_kev and match.kev_date):
            out.append(match)
    return out


def _relative(path: str) -> str:
    try:
        return os.path.relpath(path)
    except ValueError:
        return path


def _render(fmt: str, matches: Sequence[Match], documents: Sequence[Document]) -> str:
    by_ref: dict[str, tuple[Document, Component | None]] = {}
    for doc in documents:
        for component in doc.components:
            by_ref[f"component:{component.purl or component.ref}"] = (doc, component)
    if fmt == "sarif":
        items = []
        for match in matches:
            doc, comp = by_ref.get(match.target.ref, (documents[0], None))
            items.append((match, _relative(doc.path), comp.line if comp else None))
        return json.dumps(sbom_sarif(items), indent=2) + "\n"
    if fmt in ("cyclonedx-vex", "openvex"):
        rows = []
        for match in matches:
            doc, comp = by_ref.get(match.target.ref, (documents[0], None))
            rows.append(
                VexRow(
                    vuln_id=match.vuln_id,
                    aliases=match.aliases,
                    product=match.target.purl,
                    ref=comp.ref if comp else match.target.ref,
                    status=match.vex_status or "affected",
                    justification=match.vex_justification,
                    detail=match.vex_detail,
                    severity=match.severity,
                    cvss_score=match.vuln.get("cvss_score"),
                    fixed=match.fixed,
                )
            )
        serial = documents[0].serial if len(documents) == 1 and documents[0].serial.startswith("urn:uuid:") else ""
        out = (
            to_cyclonedx_vex(rows, serial_ref=f"{serial}/1" if serial else "")
            if fmt == "cyclonedx-vex"
            else to_openvex(rows)
        )
        return json.dumps(out, indent=2) + "\n"
    if fmt == "json":
        return json.dumps({"matches": [_as_dict(m) for m in matches]}, indent=2) + "\n"
    lines = [f"{'severity':<9} {'vulnerability':<18} {'component':<40} {'fixed in':<14} {'conf.':<6} {'KEV':<4} vex"]
    for match in matches:
        label = f"{match.target.name}@{match.target.effective_version}"
        lines.append(
            f"{match.severity:<9} {terminal_safe(match.vuln_id, 18):<18} {terminal_safe(label, 40):<40} "
            f"{terminal_safe(match.fixed or '-', 14):<14} {confidence_label(match.confidence):<6} {'yes' if match.kev_date else '':<4} "
            f"{match.vex_status or ''}"
        )
    if not matches:
        lines.append("no known vulnerabilities matched")
    return "\n".join(lines) + "\n"


def _as_dict(match: Match) -> dict[str, Any]:
    target = match.target
    return {
        "vulnerability": match.vuln_id,
        "aliases": match.aliases,
        "severity": match.severity,
        "cvss_score": match.vuln.get("cvss_score"),
        "kev": bool(match.kev_date),
        "kev_date_added": match.kev_date or None,
        "epss": match.vuln.get("epss"),
        "summary": match.vuln.get("summary"),
        "source": match.vuln.get("source"),
        "advisory": match.vuln.get("advisory") or None,
        "component": {
            "name": target.name,
            "version": target.effective_version,
            "purl": target.purl or None,
            "cpe": target.cpe or None,
            "ref": target.ref,
        },
        "match": {
            "method": match.method,
            "confidence": match.confidence,
            "confidence_label": confidence_label(match.confidence),
            "base_confidence": CONFIDENCE[match.method],
            "key": match.key,
            "range": match.range_text,
            "fixed_version": match.fixed or None,
            "version_evaluated": match.version_evaluated,
            "conditional": match.conditional,
        },
        "vex": {
            "status": match.vex_status or None,
            "justification": match.vex_justification or None,
            "detail": match.vex_detail or None,
            "source": match.vex_source or None,
        },
    }
