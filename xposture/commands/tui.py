"""``xposture tui``: open a stored scan in the terminal UI."""

from __future__ import annotations

import argparse
from pathlib import Path

import yaml

from xposture.commands.common import EXIT_OK, open_store
from xposture.errors import UsageError
from xposture.reports import ScanReport

PREVIEW_FINDINGS = 2000
"""The most severe findings shown at once; the app loads the rest in the background (big scans open instantly)."""


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("tui", help="triage a stored scan in the terminal UI")
    parser.add_argument("--scan", type=int, metavar="ID", help="scan to open (default: latest complete scan)")
    parser.add_argument(
        "--keymap", type=Path, metavar="FILE", help="YAML mapping of binding ids to keys (see the help screen, ?)"
    )
    parser.add_argument("--screen", choices=["dashboard", "findings", "assets", "rules", "scans"], default="findings")
    parser.set_defaults(handler=run)


def load_keymap(path: Path | None) -> dict[str, str]:
    if path is None:
        return {}
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise UsageError(f"{path}: cannot read the keymap: {exc}") from exc
    if not isinstance(data, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in data.items()):
        raise UsageError(f"{path}: a keymap maps binding ids to keys, e.g. 'findings.filter: f'")
    return data


def run(args: argparse.Namespace) -> int:
    from xposture.tui import XpostureApp  # Textual loads only for this command

    keymap = load_keymap(args.keymap)
    with open_store(args) as store:
        report = ScanReport.load(store, args.scan, preview=PREVIEW_FINDINGS)
        XpostureApp(report, store, keymap=keymap, start=args.screen).run()
    return EXIT_OK
