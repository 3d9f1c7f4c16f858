"""``xposture advisories import PATH...`` and ``xposture advisories status``: the offline advisory database."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from xposture.advisories.db import AdvisoryDB, default_path
from xposture.commands.common import EXIT_FINDINGS, EXIT_OK, EXIT_USAGE, stderr_console, store_path, write_output
from xposture.reports.text import terminal_safe


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "advisories", help="import and inspect the offline advisory database (OSV, CSAF, CVE 5, KEV, EPSS)"
    )
    actions = parser.add_subparsers(dest="advisories_action", required=True)
    imp = actions.add_parser("import", help="import advisory files, folders or zips (unchanged files are skipped)")
    imp.add_argument("paths", nargs="+", type=Path, metavar="PATH")
    imp.add_argument(
        "--advisories-db", type=Path, metavar="FILE", help="advisory database (default: advisories.db beside the store)"
    )
    imp.add_argument("--force", action="store_true", help="re-import files even when unchanged")
    imp.set_defaults(handler=run_import)
    status = actions.add_parser("status", help="sources, counts and age of the advisory database")
    status.add_argument(
        "--advisories-db", type=Path, metavar="FILE", help="advisory database (default: advisories.db beside the store)"
    )
    status.add_argument("--format", choices=("table", "json"), default="table")
    status.add_argument("-o", "--output", metavar="FILE", help="write to FILE instead of stdout")
    status.add_argument(
        "--max-age-days", type=float, metavar="N", help="warn when the last import is older than N days"
    )
    status.add_argument(
        "--fail-stale", action="store_true", help="exit 1 (not just warn) when older than --max-age-days or empty"
    )
    status.set_defaults(handler=run_status)


def db_path(args: argparse.Namespace) -> Path:
    explicit = getattr(args, "advisories_db", None)
    return Path(explicit) if explicit else default_path(store_path(args))


def run_import(args: argparse.Namespace) -> int:
    console = stderr_console(args)
    with AdvisoryDB(db_path(args)) as db:
        report = db.import_paths(args.paths, force=args.force)
    console.print(
        f"imported {report.advisories} advisories, {report.kev} KEV and {report.epss} EPSS rows from {report.files} files "
        f"({report.skipped_unchanged} unchanged) in {report.seconds:.1f} s",
        markup=False,
        soft_wrap=True,
    )
    for error in report.errors[:20]:
        console.print("error: " + terminal_safe(error), markup=False, soft_wrap=True)
    for ignored in report.ignored[:5]:
        console.print("ignored (not an advisory): " + terminal_safe(ignored), markup=False, soft_wrap=True)
    return (
        EXIT_USAGE
        if report.errors and not (report.advisories or report.kev or report.epss or report.skipped_unchanged)
        else EXIT_OK
    )


def run_status(args: argparse.Namespace) -> int:
    console = stderr_console(args)
    path = db_path(args)
    if not path.exists():
        console.print(
            f"no advisory database at {path}; run 'xposture advisories import PATH'", markup=False, soft_wrap=True
        )
        return EXIT_FINDINGS if args.fail_stale else EXIT_OK
    with AdvisoryDB(path) as db:
        status = db.status()
    stale = not status["advisories"] or (
        args.max_age_days is not None and (status["age_days"] or 0) > args.max_age_days
    )
    status["stale"] = stale
    if args.format == "json":
        write_output(json.dumps(status, indent=2) + "\n", args.output)
    else:
        lines = [
            f"database: {status['path']}",
            f"advisories: {status['advisories']} ({', '.join(f'{k} {v}' for k, v in sorted(status['by_source'].items()))})",
            f"KEV entries: {status['kev']}   EPSS scores: {status['epss']}",
            f"newest advisory: {status['newest_advisory'] or '-'}   last import: {status['age_days']} days ago",
            "",
            f"{'kind':<12} {'advisories':>10} {'age (d)':>8}  source",
        ]
        lines += [
            f"{s['kind']:<12} {s['advisories']:>10} {s['age_days']:>8}  {terminal_safe(s['path'])}"
            for s in status["sources"]
        ]
        write_output("\n".join(lines) + "\n", args.output)
    if stale:
        console.print(
            f"warning: advisory database is stale (last import {status['age_days']} days ago, maximum {args.max_age_days})"
            if status["advisories"]
            else "warning: advisory database is empty",
            markup=False,
            soft_wrap=True,
        )
        return EXIT_FINDINGS if args.fail_stale else EXIT_OK
    return EXIT_OK
