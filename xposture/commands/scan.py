"""``xposture scan INVENTORY``: run every declared source, judge the records, store and print findings."""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path
from typing import Any

from rich.progress import Progress, TaskID

from xposture.commands.common import (
    EXIT_FINDINGS,
    EXIT_OK,
    EXIT_USAGE,
    open_store,
    severity,
    stderr_console,
    write_output,
)
from xposture.errors import UsageError
from xposture.model import Layer, Severity
from xposture.pipeline import ScanOptions, run_scan
from xposture.reports import FORMATS, ScanReport
from xposture.reports.text import terminal_safe


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("scan", help="scan what an inventory declares and report findings")
    parser.add_argument("inventory", type=Path, help="inventory YAML file or folder of YAML files")
    parser.add_argument(
        "--rules", action="append", type=Path, default=[], metavar="DIR", help="extra rule pack folder (repeatable)"
    )
    parser.add_argument("--no-builtin-rules", action="store_true", help="use only the packs given with --rules")
    parser.add_argument(
        "--only",
        action="append",
        default=[],
        metavar="LAYER",
        choices=[layer.value for layer in Layer],
        help="scan only this layer (repeatable)",
    )
    add_output_arguments(parser)
    parser.add_argument("--fail-on", type=severity, metavar="S", help="exit 1 when an open finding is at or over S")
    parser.add_argument("--passive", action="store_true", help="skip every active scanner (send no packet)")
    parser.add_argument(
        "--credential-tests", action="store_true", help="allow default/weak credential tests where sources enable them"
    )
    parser.add_argument("--timeout", type=float, metavar="S", help="default per-source time limit in seconds")
    parser.add_argument("--concurrency", type=int, default=4, metavar="N", help="sources scanned at once (default 4)")
    parser.set_defaults(handler=run)


def add_output_arguments(parser: argparse.ArgumentParser) -> None:
    """``--format FMT[=PATH]`` (repeatable), ``-o FILE`` and ``--severity`` shared by commands that print scans."""
    parser.add_argument(
        "--format",
        action="append",
        default=[],
        metavar="FMT[=PATH]",
        help=f"output format ({'|'.join(FORMATS)}); repeatable, each with its own path",
    )
    parser.add_argument(
        "-o", "--output", metavar="FILE", help="write the (single) format without a path here instead of stdout"
    )
    parser.add_argument(
        "--severity", type=severity, default=Severity.INFORMATIONAL, metavar="S", help="show findings at or over S"
    )


def output_plan(formats: list[str], output: str | None) -> list[tuple[str, str | None]]:
    """Pair each requested format with its destination; at most one goes to stdout."""
    plan: list[tuple[str, str | None]] = []
    for item in formats or ["table"]:
        name, _, path = item.partition("=")
        if name not in FORMATS:
            raise UsageError(f"unknown format {name!r} (available: {', '.join(FORMATS)})")
        plan.append((name, path or None))
    unrouted = [i for i, (_, path) in enumerate(plan) if path is None]
    if output is not None:
        if len(unrouted) != 1:
            raise UsageError("-o FILE needs exactly one --format without its own =PATH")
        plan[unrouted[0]] = (plan[unrouted[0]][0], output)
    elif len(unrouted) > 1:
        raise UsageError("only one format can go to stdout: give the others a path (--format json=out.json)")
    return plan


def emit_report(report: ScanReport, args: argparse.Namespace) -> None:
    shown = dataclasses.replace(report, findings=[f for f in report.findings if f.severity >= args.severity])
    for name, path in output_plan(args.format, args.output):
        write_output(FORMATS[name](shown), path)


def run(args: argparse.Namespace) -> int:
    output_plan(args.format, args.output)  # fail on a bad --format before scanning anything
    console = stderr_console(args)
    with open_store(args) as store, _progress(console) as progress:
        options = ScanOptions(
            rule_dirs=list(args.rules),
            builtin_rules=not args.no_builtin_rules,
            only_layers=set(args.only),
            passive=args.passive,
            credential_tests=args.credential_tests,
            concurrency=max(1, args.concurrency),
            timeout_s=args.timeout,
            progress=progress,
        )
        outcome = run_scan(args.inventory, store, options)
        for error in outcome.rule_errors:
            console.print(f"warning: rule skipped: {terminal_safe(error)}", markup=False)
        coverage = store.coverage(outcome.scan_id)
        for entry in coverage:
            if entry.status not in ("ok",):
                console.print(
                    f"{entry.status}: {entry.scanner} {terminal_safe(entry.target)}: {terminal_safe(entry.detail)}",
                    markup=False,
                )
        if outcome.scanned_nothing:
            console.print(
                f"xposture: error: scan {outcome.scan_id} scanned nothing (every source failed or was skipped)",
                markup=False,
            )
            return EXIT_USAGE
        report = ScanReport.load(store, outcome.scan_id)
        emit_report(report, args)
        _summary(console, report)
        if args.fail_on is not None and any(f.severity >= args.fail_on for f in report.open_findings()):
            return EXIT_FINDINGS
    return EXIT_OK


def _summary(console: Any, report: ScanReport) -> None:
    summary = report.scan.summary
    counts = summary.get("by_severity", {})
    by_sev = ", ".join(
        f"{counts.get(s.label, 0)} {s.label}" for s in sorted(Severity, reverse=True) if counts.get(s.label)
    )
    trend = ""
    if report.comparison is not None:
        trend = f"; vs scan {report.comparison.previous.id}: {len(report.comparison.new)} new, {len(report.comparison.fixed)} fixed"
    console.print(
        f"scan {report.scan.id}: {summary.get('records', 0)} records, {summary.get('assets', 0)} assets, "
        f"{len(report.findings)} findings ({by_sev or 'none'}), {summary.get('sources_failed', 0)} sources failed{trend}",
        markup=False,
    )


class _progress:
    """A Rich progress display on an interactive stderr; a no-op callback otherwise."""

    def __init__(self, console: Any) -> None:
        self.console = console
        self.live = console.is_terminal and not console.quiet
        self.bar: Progress | None = None
        self.tasks: dict[str, TaskID] = {}

    def __enter__(self) -> _progress:
        if self.live:
            self.bar = Progress(console=self.console, transient=True)
            self.bar.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.stop()

    def __call__(self, task: str, done: int, total: int | None) -> None:
        if self.bar is None:
            return
        if task not in self.tasks:
            self.tasks[task] = self.bar.add_task(terminal_safe(task, 60), total=total)
        self.bar.update(self.tasks[task], completed=done, total=total)
