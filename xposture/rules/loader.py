"""Read Sigma files into pySigma objects, one file at a time, so one broken file never hides the others.

``SigmaCollection.load_ruleset(..., collect_errors=True)`` still raises on a
YAML syntax error or an unreadable file; loading each file on its own turns
those into ``RuleError``s naming the file, and the good files load anyway.
Meta-filters (``filter:`` documents, for site-specific accepted exceptions)
found among the files are applied by pySigma when the files are merged.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from sigma.collection import SigmaCollection
from sigma.correlations import SigmaCorrelationRule
from sigma.exceptions import SigmaError
from sigma.rule import SigmaRule

from xposture.errors import RuleError

RULE_SUFFIXES = (".yml", ".yaml")
TESTS_SUFFIXES = (".tests.yml", ".tests.yaml")
"""A rule's examples may live beside it in ``<rule file stem>.tests.yml``; such files are not rules."""


@dataclass
class Loaded:
    """Rules (in file order) and the errors met while reading them."""

    rules: list[SigmaRule | SigmaCorrelationRule] = field(default_factory=list)
    errors: list[RuleError] = field(default_factory=list)


def rule_files(paths: Iterable[Path], errors: list[RuleError]) -> list[Path]:
    """Files named directly plus ``*.yml``/``*.yaml`` below named folders, sorted; a missing path is an error."""
    found: list[Path] = []
    for path in paths:
        path = Path(path)
        if path.is_dir():
            found.extend(
                sorted(
                    p
                    for p in path.rglob("*")
                    if p.is_file() and p.suffix.lower() in RULE_SUFFIXES and not p.name.lower().endswith(TESTS_SUFFIXES)
                )
            )
        elif path.is_file():
            found.append(path)
        else:
            errors.append(RuleError("no such file or folder", file=str(path)))
    return found


def error_text(exc: BaseException) -> str:
    """One line saying what is wrong (and where in the file, for YAML), without pySigma's location suffix."""
    if isinstance(exc, yaml.MarkedYAMLError):
        mark = exc.problem_mark
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark is not None else ""
        return f"invalid YAML: {exc.problem or exc.context or 'syntax error'}{where}"
    if isinstance(exc, SigmaError) and exc.args:
        return str(exc.args[0]).strip()
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def rule_label(rule: SigmaRule | SigmaCorrelationRule) -> str | None:
    """How an error names a rule: its ``name``, else its id, else its title."""
    if rule.name:
        return str(rule.name)
    if rule.id:
        return str(rule.id)
    return rule.title or None


def load_files(paths: Sequence[Path], extra_filters: Sequence[Path] = ()) -> Loaded:
    """Parse every rule, correlation and filter file; apply the filters; resolve correlation references."""
    loaded = Loaded()
    collections: list[SigmaCollection] = []
    seen_ids: dict[str, Path] = {}
    seen_names: dict[str, Path] = {}
    for path in rule_files([*paths, *extra_filters], loaded.errors):
        try:
            collection = SigmaCollection.load_ruleset([path], collect_errors=True, resolve_references=False)
        except Exception as exc:  # any broken file is reported with its reason; the others still load
            reason = error_text(exc)
            if isinstance(exc, TypeError | AttributeError):
                reason = "not a Sigma rule document (expected a YAML mapping)"
            loaded.errors.append(RuleError(f"cannot parse: {reason}", file=str(path)))
            continue
        for err in collection.errors:
            loaded.errors.append(RuleError(error_text(err), file=str(path)))
        good = []
        for rule in collection.rules:
            if rule.errors:
                continue  # already reported through collection.errors
            if rule.id is not None:
                first = seen_ids.setdefault(str(rule.id), path)
                if first != path:
                    loaded.errors.append(
                        RuleError(
                            f"duplicate rule id {rule.id} (first in {first})", file=str(path), rule=rule_label(rule)
                        )
                    )
                    continue
            if rule.name:
                first = seen_names.setdefault(str(rule.name), path)
                if first != path:
                    loaded.errors.append(
                        RuleError(
                            f"duplicate rule name {rule.name} (first in {first})", file=str(path), rule=str(rule.name)
                        )
                    )
                    continue
            good.append(rule)
        collection.rules = good
        collections.append(collection)
    merged = SigmaCollection.merge(collections, resolve_references=False)
    for rule in merged.rules:
        if isinstance(rule, SigmaCorrelationRule):
            try:
                rule.resolve_rule_references(merged)
            except SigmaError as exc:
                loaded.errors.append(RuleError(error_text(exc), file=_file_of(rule), rule=rule_label(rule)))
                continue
        loaded.rules.append(rule)
    return loaded


def _file_of(rule: SigmaRule | SigmaCorrelationRule) -> str | None:
    return str(rule.source.path) if rule.source is not None and rule.source.path else None


def sibling_tests(path: Path | None) -> dict[str, object] | None:
    """The ``match``/``nomatch`` mapping of a rule file's ``<stem>.tests.yml`` sibling, if there is one.

    Raises ``ValueError`` naming the file when it exists but is not a YAML mapping.
    """
    if path is None:
        return None
    for suffix in TESTS_SUFFIXES:
        sibling = path.with_name(path.stem + suffix)
        if sibling.is_file():
            try:
                document = yaml.safe_load(sibling.read_text(encoding="utf-8"))
            except (yaml.YAMLError, OSError, UnicodeDecodeError) as exc:
                raise ValueError(f"cannot read the tests file {sibling}: {error_text(exc)}") from exc
            if not isinstance(document, dict):
                raise ValueError(f"the tests file {sibling} must hold a mapping with 'match' and 'nomatch'")
            return document
    return None
