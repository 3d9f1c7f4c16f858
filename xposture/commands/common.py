"""Small pieces every command shares: the store, output files, severities, stderr console."""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
from pathlib import Path

from rich.console import Console

from xposture.errors import UsageError
from xposture.model import Severity
from xposture.store import Store, resolve_path

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2


def open_store(args: argparse.Namespace) -> Store:
    return Store.open(resolve_path(args.db))


def store_path(args: argparse.Namespace) -> Path:
    return resolve_path(args.db)


def severity(text: str) -> Severity:
    """argparse ``type=`` for severities, with the list of valid names in the error."""
    try:
        return Severity.parse(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def iso_date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date as YYYY-MM-DD, got {text!r}") from None


def stderr_console(args: argparse.Namespace) -> Console:
    """Progress, logs and summaries go to stderr; colour only on a terminal and never with NO_COLOR."""
    no_color = bool(os.environ.get("NO_COLOR")) or not sys.stderr.isatty()
    return Console(stderr=True, no_color=no_color, highlight=False, quiet=bool(getattr(args, "quiet", False)))


def write_output(text: str, path: str | None) -> None:
    """Payload to ``-o FILE`` (written whole, then renamed, so a reader never sees half a report) or stdout."""
    if not path or path == "-":
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    target = Path(path)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(target.name + ".partial")
        partial.write_text(text, encoding="utf-8")
        partial.replace(target)
    except OSError as exc:
        raise UsageError(f"cannot write {path}: {exc}") from exc
