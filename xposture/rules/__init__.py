"""The rule engine: Sigma rule packs compiled once into native predicates over records.

``RuleSet.load(paths, policy=...)`` reads packs (files or folders),
``ruleset.evaluate(records)`` yields a ``Match`` per (rule, record) that holds.
Semantics are written down in ``docs/rules.md``.
"""

from __future__ import annotations

from pathlib import Path

from xposture.rules.engine import RuleSet
from xposture.rules.model import Match, Rule

PACKS_DIR = Path(__file__).parent / "packs"


def builtin_pack_dirs() -> list[Path]:
    """The shipped packs: one folder per pack under ``xposture/rules/packs/``, sorted by name."""
    if not PACKS_DIR.is_dir():
        return []
    return sorted(p for p in PACKS_DIR.iterdir() if p.is_dir() and not p.name.startswith((".", "_")))


__all__ = ["PACKS_DIR", "Match", "Rule", "RuleSet", "builtin_pack_dirs"]
