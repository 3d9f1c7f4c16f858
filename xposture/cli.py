"""The command line: parse, dispatch to a command module, map errors to exit codes.

Exit codes: 0 clean, 1 findings at or over ``--fail-on``, 2 usage or input
error (one clear line on stderr; a traceback only with ``-v``).
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence

from xposture import __version__
from xposture.commands import MODULES
from xposture.commands.common import EXIT_OK, EXIT_USAGE
from xposture.errors import XpostureError


class _Parser(argparse.ArgumentParser):
    """argparse exits 2 on usage errors already; keep its one-line message style."""


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="xposture", description="Cross-stack security posture scanner: cloud, OT/edge, comms, silicon."
    )
    parser.add_argument("--version", action="version", version=f"xposture {__version__}")
    parser.add_argument("--db", help="store file (default: $XPOSTURE_DB or .xposture/xposture.db)")
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress or summary on stderr")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more logging; tracebacks on errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module_name in MODULES:
        importlib.import_module(module_name).register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose > 1 else logging.INFO if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    try:
        return int(args.handler(args))
    except XpostureError as exc:
        if args.verbose:
            raise
        print(f"xposture: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("xposture: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return EXIT_OK
