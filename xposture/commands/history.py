"""Commands over stored scans: ``scans``, ``findings``, ``diff``, ``waive``, ``unwaive``."""

from __future__ import annotations

import argparse
import dataclasses
import json

from rich.table import Table
from rich.text import Text

from xposture.commands.common import EXIT_OK, iso_date, open_store, stderr_console, write_output
from xposture.commands.scan import add_output_arguments, emit_report
from xposture.errors import UsageError
from xposture.model import Finding, Layer, Status
from xposture.reports import ScanReport
from xposture.reports.data import compare_with_stored
from xposture.reports.table import findings_table, plain_text
from xposture.reports.text import terminal_safe


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    scans = sub.add_parser("scans", help="scan history, newest first")
    scans.add_argument("--format", choices=["table", "json"], default="table")
    scans.set_defaults(handler=run_scans)

    findings = sub.add_parser("findings", help="findings of a stored scan, filtered")
    findings.add_argument("--scan", type=int, metavar="ID", help="scan id (default: latest complete scan)")
    findings.add_argument("--layer", choices=[layer.value for layer in Layer])
    findings.add_argument("--rule", metavar="NAME", help="rule name or id (prefix)")
    findings.add_argument("--asset", metavar="ID", help="asset id (substring)")
    findings.add_argument("--status", choices=[s.value for s in Status])
    findings.add_argument("--site", metavar="NAME", help="site of the finding's asset")
    add_output_arguments(findings)
    findings.set_defaults(handler=run_findings)

    diff = sub.add_parser("diff", help="new / still open / fixed findings between two scans")
    diff.add_argument("old", nargs="?", type=int, help="earlier scan id (default: the scan before NEW)")
    diff.add_argument("new", nargs="?", type=int, help="later scan id (default: latest complete scan)")
    diff.add_argument("--format", choices=["table", "json"], default="table")
    diff.add_argument("-o", "--output", metavar="FILE")
    diff.set_defaults(handler=run_diff)

    waive = sub.add_parser("waive", help="accept findings until a date (they reopen when it passes)")
    waive.add_argument("fingerprints", nargs="+", metavar="FINGERPRINT", help="fingerprint or unique prefix")
    waive.add_argument("--reason", required=True)
    waive.add_argument("--owner", required=True)
    waive.add_argument("--expires", required=True, type=iso_date, metavar="YYYY-MM-DD")
    waive.set_defaults(handler=run_waive)

    unwaive = sub.add_parser("unwaive", help="remove waivers")
    unwaive.add_argument("fingerprints", nargs="+", metavar="FINGERPRINT")
    unwaive.set_defaults(handler=run_unwaive)


def run_scans(args: argparse.Namespace) -> int:
    with open_store(args) as store:
        scans = store.scans()
    if args.format == "json":
        write_output(json.dumps([s.to_dict() for s in scans], indent=2) + "\n", None)
        return EXIT_OK
    table = Table(title="scans")
    for column in ("id", "started", "status", "records", "findings", "inventory"):
        table.add_column(column)
    for scan in scans:
        table.add_row(
            str(scan.id),
            scan.started,
            scan.status,
            str(scan.summary.get("records", "")),
            str(scan.summary.get("findings", "")),
            Text(terminal_safe(scan.inventory)),
        )
    write_output(plain_text(table), None)
    return EXIT_OK


def run_findings(args: argparse.Namespace) -> int:
    with open_store(args) as store:
        report = ScanReport.load(store, args.scan)
    kept = [f for f in report.findings if _wanted(f, args, report)]
    emit_report(dataclasses.replace(report, findings=kept), args)
    return EXIT_OK


def _wanted(finding: Finding, args: argparse.Namespace, report: ScanReport) -> bool:
    if args.layer and finding.layer != args.layer:
        return False
    if args.rule and not (finding.rule_name.startswith(args.rule) or finding.rule_id.startswith(args.rule)):
        return False
    if args.asset and args.asset not in finding.asset_id:
        return False
    if args.status and finding.status.value != args.status:
        return False
    if args.site:
        sites = {a.id: a.site for a in report.assets}
        if sites.get(finding.asset_id) != args.site:
            return False
    return True


def run_diff(args: argparse.Namespace) -> int:
    with open_store(args) as store:
        new_scan = store.scan(args.new)
        old_scan = store.scan(args.old) if args.old is not None else store.previous_scan(new_scan.id)
        if old_scan is None:
            raise UsageError(f"scan {new_scan.id} has no earlier complete scan to compare with")
        current = store.findings(new_scan.id)
        comparison = compare_with_stored(store, current, old_scan)
    new = [f for f in current if f.fingerprint in comparison.new]
    still = [f for f in current if f.fingerprint in comparison.still_open]
    if args.format == "json":
        document = {
            "old": old_scan.id,
            "new": new_scan.id,
            "new_findings": [f.to_dict() for f in new],
            "still_open": [f.to_dict() for f in still],
            "fixed": [f.to_dict() for f in comparison.fixed],
        }
        write_output(json.dumps(document, indent=2) + "\n", args.output)
        return EXIT_OK
    parts = []
    for label, items in (("new", new), ("fixed", comparison.fixed), ("still open", still)):
        header = f"{label}: {len(items)} (scan {old_scan.id} -> {new_scan.id})\n"
        parts.append(header + (findings_table(items, label) if items else ""))
    write_output("\n".join(parts), args.output)
    return EXIT_OK


def run_waive(args: argparse.Namespace) -> int:
    with open_store(args) as store:
        fingerprints = [store.resolve_fingerprint(fp) for fp in args.fingerprints]
        count = store.waive(fingerprints, reason=args.reason, owner=args.owner, expires=args.expires)
    stderr_console(args).print(f"waived {count} finding(s) until {args.expires.isoformat()}", markup=False)
    return EXIT_OK


def run_unwaive(args: argparse.Namespace) -> int:
    with open_store(args) as store:
        fingerprints = [store.resolve_fingerprint(fp) for fp in args.fingerprints]
        count = store.unwaive(fingerprints)
    stderr_console(args).print(f"removed {count} waiver(s)", markup=False)
    return EXIT_OK
