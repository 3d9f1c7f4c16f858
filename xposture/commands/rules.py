"""``xposture rules list|test|check|convert``: look at, test, lint and export the rule packs.

By default the commands work on the shipped packs (``xposture/rules/packs/*``);
``--rules PATH`` adds packs, ``--no-builtin-rules`` leaves the shipped ones out.
Exit codes: 0 ok, 1 a rule test or an error-level lint failed (or a rule did
not convert), 2 usage error (unknown pack, unavailable conversion target).
"""

from __future__ import annotations

import argparse
import io
import json
from collections.abc import Sequence
from pathlib import Path

from rich.console import Console
from rich.table import Table
from rich.text import Text

from xposture.commands.common import EXIT_FINDINGS, EXIT_OK, severity, stderr_console, write_output
from xposture.errors import UsageError
from xposture.rules import Rule, RuleSet, builtin_pack_dirs
from xposture.rules.convert import TARGETS, convert
from xposture.rules.lint import lint
from xposture.rules.ruletests import run_rule_tests
from xposture.rules.taxonomy import find_taxonomy


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("rules", help="list, test, lint and convert rule packs")
    sub = parser.add_subparsers(dest="rules_command", metavar="ACTION", required=True)

    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "--rules", type=Path, action="append", default=[], metavar="PATH", help="extra rule file or folder"
        )
        p.add_argument("--no-builtin-rules", action="store_true", help="leave the shipped packs out")
        p.add_argument("-o", "--output", metavar="FILE", help="write the payload to FILE instead of stdout")

    listing = sub.add_parser("list", help="rules with id, title, level, logsource, tags and pack")
    common(listing)
    listing.add_argument("--pack", action="append", default=[], metavar="P", help="only this pack (repeatable)")
    listing.add_argument(
        "--tag", action="append", default=[], metavar="T", help="only rules with a tag starting with T (e.g. iec62443)"
    )
    listing.add_argument("--level", type=severity, metavar="S", help="only rules at or over this level")
    listing.add_argument("--record-type", metavar="TYPE", help="only rules routed to this record type")
    listing.add_argument("--format", choices=("table", "json"), default="table")
    listing.set_defaults(handler=run_list)

    testing = sub.add_parser("test", help="run the match/nomatch examples every rule ships")
    common(testing)
    testing.add_argument("packs", nargs="*", metavar="PACK", help="pack names or paths (default: all packs)")
    testing.add_argument(
        "--allow-untested",
        action="store_true",
        help="skip rules with no tests: section (foreign packs such as SigmaHQ's)",
    )
    testing.set_defaults(handler=run_test)

    check = sub.add_parser("check", help="sigma check (offline validators) plus xposture's lints")
    common(check)
    check.add_argument("packs", nargs="*", metavar="PACK", help="pack names or paths (default: all packs)")
    check.add_argument("--format", choices=("text", "json"), default="text")
    check.add_argument("--strict", action="store_true", help="warnings fail too")
    check.add_argument(
        "--taxonomy", type=Path, metavar="ROOT", help="source tree whose docs/taxonomy.md to check fields against"
    )
    check.set_defaults(handler=run_check)

    conv = sub.add_parser("convert", help="convert packs to SIEM / warehouse queries with pySigma backends")
    common(conv)
    conv.add_argument("packs", nargs="*", metavar="PACK", help="pack names or paths (default: all packs)")
    conv.add_argument("--target", "-t", required=True, choices=sorted(TARGETS), help="query language")
    conv.add_argument("--backend-format", metavar="F", help="backend output format (e.g. zircolite for sqlite)")
    conv.add_argument("--no-routing", action="store_true", help="do not add the record.type condition")
    conv.add_argument(
        "--backend-option",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="backend setting, e.g. table=records or timestamp_field=record.time for sqlite (repeatable)",
    )
    conv.add_argument("--format", choices=("text", "json"), default="text")
    conv.set_defaults(handler=run_convert)


# -- selecting packs -------------------------------------------------------------------------------------


def rule_paths(args: argparse.Namespace, names: Sequence[str] = ()) -> list[Path]:
    """Paths for the packs a command works on: named packs (builtin names or paths), else all packs."""
    builtin = [] if args.no_builtin_rules else builtin_pack_dirs()
    extra = list(args.rules)
    if not names:
        return [*builtin, *extra]
    by_name = {p.name: p for p in [*builtin_pack_dirs(), *extra]}
    chosen: list[Path] = []
    for name in names:
        if name in by_name:
            chosen.append(by_name[name])
        elif Path(name).exists():
            chosen.append(Path(name))
        else:
            known = ", ".join(sorted(by_name)) or "none"
            raise UsageError(f"no pack or path named {name!r} (packs: {known})")
    return chosen


def _console() -> tuple[Console, io.StringIO]:
    buffer = io.StringIO()
    return Console(file=buffer, width=160, no_color=True, highlight=False, markup=False, emoji=False), buffer


# -- list ----------------------------------------------------------------------------------------------


def run_list(args: argparse.Namespace) -> int:
    ruleset = RuleSet.load(rule_paths(args))
    rules = [r for r in ruleset.rules if _selected(r, args)]
    _report_load_errors(args, ruleset)
    if args.format == "json":
        write_output(json.dumps([r.to_dict() for r in rules], indent=2) + "\n", args.output)
        return EXIT_OK
    write_output(rules_table(rules), args.output)
    return EXIT_OK


def _selected(rule: Rule, args: argparse.Namespace) -> bool:
    if args.pack and rule.pack not in args.pack:
        return False
    if args.tag and not any(t.lower().startswith(p.lower()) for p in args.tag for t in rule.tags):
        return False
    if args.level is not None and rule.level < args.level:
        return False
    return args.record_type is None or rule.record_type == args.record_type


def rules_table(rules: Sequence[Rule]) -> str:
    """A plain-text table (rule text is data: never parsed as markup)."""
    console, buffer = _console()
    table = Table(box=None, show_edge=False, pad_edge=False)
    for column in ("id", "name", "title", "level", "logsource", "tags", "pack"):
        wrap = column in ("title", "tags")
        table.add_column(column, overflow="fold" if wrap else "ellipsis", no_wrap=not wrap)
    for rule in rules:
        table.add_row(
            Text(rule.id),
            Text("" if rule.name == rule.id else rule.name),
            Text(rule.title),
            Text(rule.level.label),
            Text(rule.logsource + (f" [{rule.correlation}]" if rule.correlation else "")),
            Text(", ".join(rule.tags)),
            Text(rule.pack),
        )
    console.print(table)
    return buffer.getvalue()


def _report_load_errors(args: argparse.Namespace, ruleset: RuleSet) -> None:
    if ruleset.errors:
        console = stderr_console(args)
        for err in ruleset.errors:
            console.print(Text(f"rule error: {err}"))


# -- test ----------------------------------------------------------------------------------------------


def run_test(args: argparse.Namespace) -> int:
    ruleset = RuleSet.load(rule_paths(args, args.packs))
    report = run_rule_tests(ruleset, allow_untested=args.allow_untested)
    lines = [f"rule error: {err}" for err in ruleset.errors]
    lines += [f"FAIL {failure}" for failure in report.failures]
    failed = len(ruleset.errors) + len(report.failures)
    skipped = f" ({report.untested} retired or without tests skipped)" if report.untested else ""
    lines.append(f"{report.rules} rules, {report.cases} examples, {failed} failures{skipped}")
    write_output("\n".join(lines) + "\n", args.output)
    return EXIT_FINDINGS if failed else EXIT_OK


# -- check ---------------------------------------------------------------------------------------------


def run_check(args: argparse.Namespace) -> int:
    paths = rule_paths(args, args.packs)
    taxonomy = find_taxonomy(args.taxonomy)
    console = stderr_console(args)
    if taxonomy is None and args.taxonomy is not None:
        raise UsageError(f"no docs/taxonomy.md under {args.taxonomy}")
    if taxonomy is None:
        console.print(Text("warning: docs/taxonomy.md not found (installed package?): taxonomy lint skipped"))
    issues = lint(paths, taxonomy)
    errors = [i for i in issues if i.severity == "error"]
    if args.format == "json":
        write_output(json.dumps([i.to_dict() for i in issues], indent=2) + "\n", args.output)
    else:
        text = "".join(f"{issue}\n" for issue in issues)
        text += f"{len(errors)} errors, {len(issues) - len(errors)} warnings\n"
        write_output(text, args.output)
    failing = issues if args.strict else errors
    return EXIT_FINDINGS if failing else EXIT_OK


# -- convert -------------------------------------------------------------------------------------------


def run_convert(args: argparse.Namespace) -> int:
    paths = rule_paths(args, args.packs)
    options: dict[str, str] = {}
    for item in args.backend_option:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise UsageError(f"--backend-option wants KEY=VALUE, got {item!r}")
        options[key.strip()] = value
    results = convert(paths, args.target, route=not args.no_routing, output_format=args.backend_format, options=options)
    failed = [r for r in results if r.error]
    if args.format == "json":
        write_output(json.dumps([r.to_dict() for r in results], indent=2) + "\n", args.output)
    else:
        chunks = []
        for result in results:
            if result.error:
                continue
            chunks.append(f"-- {result.rule}: {result.title}\n" + "\n".join(result.queries) + "\n")
        write_output("\n".join(chunks), args.output)
    if failed:
        console = stderr_console(args)
        for result in failed:
            console.print(Text(f"not converted: {result.file} [{result.rule}]: {result.error}"))
    return EXIT_FINDINGS if failed else EXIT_OK
