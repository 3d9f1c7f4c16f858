"""``xposture rules convert``: the same packs as SIEM / warehouse queries, through pySigma backends.

Records shipped to a SIEM keep their ``record.type`` field, so every query gets
``record.type = <routed type>`` added by a processing pipeline (one item per
distinct logsource): the query then selects the same records the native
engine routes to the rule. Backends are optional extras; a missing one is
reported with the package that provides it.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sigma.correlations import SigmaCorrelationRule
from sigma.processing.conditions import LogsourceCondition
from sigma.processing.pipeline import ProcessingItem, ProcessingPipeline
from sigma.processing.transformations import AddConditionTransformation
from sigma.rule import SigmaRule

from xposture.errors import UsageError
from xposture.model import TYPE
from xposture.rules.loader import error_text, load_files, rule_label
from xposture.rules.routing import record_type_for


@dataclass(frozen=True)
class Target:
    """A conversion target: the backend class and the package that provides it."""

    module: str
    backend: str
    package: str
    note: str = ""


TARGETS: dict[str, Target] = {
    "sqlite": Target("sigma.backends.sqlite", "sqliteBackend", "pysigma-backend-sqlite"),
    "elasticsearch": Target("sigma.backends.elasticsearch", "LuceneBackend", "pysigma-backend-elasticsearch"),
    "opensearch": Target("sigma.backends.opensearch", "OpensearchLuceneBackend", "pysigma-backend-opensearch"),
    "splunk": Target("sigma.backends.splunk", "SplunkBackend", "pysigma-backend-splunk"),
    "clickhouse": Target(
        "sigma.backends.clickhouse",
        "ClickHouseBackend",
        "pysigma-backend-clickhouse",
        "its releases require Python >= 3.13",
    ),
}


class TargetUnavailable(UsageError):
    """The backend for a target is not installed (or cannot be on this Python)."""


@dataclass(frozen=True)
class Converted:
    """One rule's queries, or the reason it could not be converted."""

    rule: str
    title: str
    file: str
    queries: list[str]
    error: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "title": self.title,
            "file": self.file,
            "queries": self.queries,
            "error": self.error or None,
        }


def backend_class(target: str) -> type[Any]:
    """Import the backend of a target or raise ``TargetUnavailable`` saying what to install."""
    spec = TARGETS.get(target)
    if spec is None:
        raise UsageError(f"unknown target {target!r} (choose from {', '.join(TARGETS)})")
    try:
        module = importlib.import_module(spec.module)
    except ImportError:
        hint = f"pip install {spec.package}" + (f" ({spec.note})" if spec.note else "")
        raise TargetUnavailable(
            f"target {target!r} needs the {spec.package} backend, which is not installed: {hint}"
        ) from None
    backend: type[Any] = getattr(module, spec.backend)
    return backend


def available_targets() -> dict[str, str]:
    """Each target with ``ok`` or the reason it is unavailable."""
    status: dict[str, str] = {}
    for name in TARGETS:
        try:
            backend_class(name)
            status[name] = "ok"
        except UsageError as exc:
            status[name] = str(exc)
    return status


def routing_pipeline(rules: Sequence[SigmaRule | SigmaCorrelationRule]) -> ProcessingPipeline:
    """Add ``record.type = <type>`` to each rule, one pipeline item per distinct logsource."""
    items: list[ProcessingItem] = []
    seen: set[tuple[str | None, str | None, str | None]] = set()
    for rule in rules:
        if not isinstance(rule, SigmaRule):
            continue
        source = rule.logsource
        key = (source.category, source.product, source.service)
        if key in seen:
            continue
        seen.add(key)
        record_type = record_type_for(*key)
        items.append(
            ProcessingItem(
                identifier=f"xposture_route_{len(items)}",
                transformation=AddConditionTransformation({TYPE: record_type}),
                rule_conditions=[LogsourceCondition(category=key[0], product=key[1], service=key[2])],
                rule_condition_linking=all,
            )
        )
    return ProcessingPipeline(name="xposture record.type routing", priority=10, items=items)


def convert(
    paths: Sequence[Path],
    target: str,
    *,
    route: bool = True,
    output_format: str | None = None,
    options: Mapping[str, str] | None = None,
) -> list[Converted]:
    """Convert every rule under ``paths``; rules the backend rejects come back with their error.

    ``options`` go to the backend (e.g. ``table`` or ``timestamp_field`` for SQLite).
    """
    backend_type = backend_class(target)
    loaded = load_files([Path(p) for p in paths])
    results = [Converted(e.rule or "", "", e.file or "", [], e.message) for e in loaded.errors]
    pipeline = routing_pipeline(loaded.rules) if route else ProcessingPipeline()
    try:
        backend = backend_type(pipeline, **dict(options or {}))
    except (TypeError, ValueError) as exc:
        raise UsageError(f"backend options for {target!r} rejected: {exc}") from exc
    ordered = [r for r in loaded.rules if isinstance(r, SigmaRule)] + [
        r for r in loaded.rules if isinstance(r, SigmaCorrelationRule)
    ]  # correlations need their rules converted first
    for rule in ordered:
        file = str(rule.source.path) if rule.source is not None and rule.source.path else ""
        label = rule_label(rule) or ""
        try:
            if isinstance(rule, SigmaCorrelationRule):
                queries = backend.convert_correlation_rule(rule, output_format)
            else:
                queries = backend.convert_rule(rule, output_format)
        except Exception as exc:  # a backend's refusal or its own bug: report the rule, convert the others
            results.append(Converted(label, rule.title, file, [], error_text(exc)))
            continue
        if rule._output:
            results.append(Converted(label, rule.title, file, [str(q) for q in queries]))
    return results
