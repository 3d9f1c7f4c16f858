"""Read the record taxonomy (``docs/taxonomy.md`` + ``docs/taxonomy/*.md``) to check rule field names.

The taxonomy ships in the source tree, not in the installed package; when it
cannot be found, ``find_taxonomy`` returns ``None`` and the lint is skipped
with a warning rather than failing every rule.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

EVERY_RECORD = "(every record)"
_HEADING = re.compile(r"^##\s+(.+?)\s*$")
_ROW = re.compile(r"^\|(.+)\|\s*$")


@dataclass
class Taxonomy:
    """Field names per record type, plus the fields every record may carry and ``.*`` family patterns."""

    types: dict[str, set[str]] = field(default_factory=dict)
    value_types: dict[str, dict[str, str]] = field(default_factory=dict)
    sources: list[Path] = field(default_factory=list)

    def known(self, record_type: str, name: str) -> bool:
        """Whether ``name`` is listed for ``record_type`` (or for every record), directly or by a ``.*`` family."""
        for group in (self.types.get(record_type, set()), self.types.get(EVERY_RECORD, set())):
            if name in group:
                return True
            for pattern in group:
                if pattern.endswith(".*") and name.startswith(pattern[:-1]):
                    return True
        return False

    def has_type(self, record_type: str) -> bool:
        return record_type in self.types

    def value_type(self, record_type: str, name: str) -> str | None:
        """The listed value type (``str``, ``int``, ``list[str]``...) of a field, when listed by its exact name."""
        for group in (record_type, EVERY_RECORD):
            found = self.value_types.get(group, {}).get(name)
            if found:
                return found
        return None


def parse_taxonomy(paths: list[Path]) -> Taxonomy:
    """Parse ``## record_type`` headings and their ``| field | type | unit | description |`` tables."""
    taxonomy = Taxonomy(sources=list(paths))
    for path in paths:
        current: str | None = None
        for line in path.read_text(encoding="utf-8").splitlines():
            heading = _HEADING.match(line)
            if heading:
                title = heading.group(1).strip().strip("`")
                current = title if title == EVERY_RECORD or re.fullmatch(r"[a-z0-9_]+", title) else None
                if current is not None:
                    taxonomy.types.setdefault(current, set())
                continue
            if line.startswith("# "):
                current = None
                continue
            row = _ROW.match(line.strip())
            if current is None or not row:
                continue
            cells = [cell.strip().strip("`") for cell in row.group(1).split("|")]
            first = cells[0]
            if not first or first == "field" or set(first) <= {"-", ":", " "}:
                continue
            taxonomy.types[current].add(first)
            if len(cells) > 1 and cells[1]:
                taxonomy.value_types.setdefault(current, {})[first] = cells[1]
    return taxonomy


def find_taxonomy(start: Path | None = None) -> Taxonomy | None:
    """The taxonomy of the source tree holding this package (or ``start``), or ``None`` when not shipped."""
    root = start or Path(__file__).resolve().parents[2]
    main = root / "docs" / "taxonomy.md"
    if not main.is_file():
        return None
    pages = [main, *sorted((root / "docs" / "taxonomy").glob("*.md"))]
    return parse_taxonomy(pages)
