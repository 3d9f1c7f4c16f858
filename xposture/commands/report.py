"""``xposture report``: write a stored scan as a document, by default the self-contained HTML report.

Reports are made from the store, not during the scan, so an operator can
produce one for any earlier scan (``--scan``) against any baseline
(``--compare``) on a machine that never touched the plant network.
"""

from __future__ import annotations

import argparse
import dataclasses

from xposture.commands.common import EXIT_OK, open_store, stderr_console, write_output
from xposture.commands.scan import add_output_arguments, emit_report
from xposture.errors import UsageError
from xposture.reports import ScanReport
from xposture.reports.html import render_html


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "report",
        help="write a stored scan as a report (self-contained HTML by default)",
        description="Write a stored scan as a report. Without --html or --format the HTML report goes to stdout.",
    )
    parser.add_argument("--scan", type=int, metavar="ID", help="scan id (default: latest complete scan)")
    parser.add_argument(
        "--compare", type=int, metavar="ID", help="scan to compare with (default: the complete scan before it)"
    )
    parser.add_argument("--html", metavar="FILE", help="write the HTML report to FILE ('-' for stdout)")
    add_output_arguments(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    if args.compare is not None and args.scan is not None and args.compare == args.scan:
        raise UsageError("--compare must name another scan than --scan")
    with open_store(args) as store:
        report = ScanReport.load(store, args.scan, args.compare)
    if args.format or args.output:
        emit_report(report, args)
    if args.html or not (args.format or args.output):
        shown = dataclasses.replace(report, findings=[f for f in report.findings if f.severity >= args.severity])
        write_output(render_html(shown), args.html)
        if args.html and args.html != "-":
            stderr_console(args).print(
                f"wrote {args.html}: scan {report.scan.id}, {len(report.findings)} findings",
                markup=False,
                soft_wrap=True,
            )
    return EXIT_OK
