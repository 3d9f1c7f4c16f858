"""Safe YAML loading that remembers the line of every mapping key.

Inventory errors must name file, line and key; plain ``yaml.safe_load``
forgets positions, so mappings are built as ``LineMap`` which keeps them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from xposture.errors import InventoryError


class LineMap(dict[str, Any]):
    """A dict that knows the (1-based) line of itself and of each key."""

    line: int = 0
    key_lines: dict[str, int]

    def line_of(self, key: str) -> int:
        return self.key_lines.get(key, self.line)


class _LineLoader(yaml.SafeLoader):
    """SafeLoader (no object construction) that builds LineMaps and rejects duplicate keys."""


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> LineMap:
    loader.flatten_mapping(node)
    result = LineMap()
    result.line = node.start_mark.line + 1
    result.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, str):
            key = str(key)
        if key in result:
            raise yaml.constructor.ConstructorError(None, None, f"duplicate key {key!r}", key_node.start_mark)
        result[key] = loader.construct_object(value_node, deep=True)
        result.key_lines[key] = key_node.start_mark.line + 1
    return result


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def load_yaml_with_lines(path: Path) -> Any:
    """Parse one YAML file safely; syntax errors become ``InventoryError(file, line)``."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InventoryError(f"cannot read: {exc}", file=str(path)) from exc
    try:
        return yaml.load(text, Loader=_LineLoader)  # noqa: S506 - _LineLoader derives from SafeLoader
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        raise InventoryError(f"YAML error: {exc.problem or exc.context}", file=str(path), line=line) from exc
    except yaml.YAMLError as exc:
        raise InventoryError(f"YAML error: {exc}", file=str(path)) from exc
