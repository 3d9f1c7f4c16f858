"""``xposture rules check``: pySigma's validators (offline ones only) plus the lints our packs need.

pySigma's ``attacktag`` and ``d3_fendtag`` validators download MITRE data on
first use, so they never run here (CI and plants are offline); our own tag
lint checks ATT&CK ids by shape instead. Our lints:

- load/compile errors (file and reason);
- YAML 1.1 traps: unquoted ``on``/``off``/``yes``/``no`` (booleans), ``010``
  (octal), ``1:20`` (base 60), dates outside ``date``/``modified``, and
  unquoted versions such as ``1.10`` (read as the float 1.1);
- custom attributes other than ``remediation``, ``rationale`` and ``tests``;
- for our own packs (``product: xposture``): fields (detection, ``fields:``,
  test records) not listed in the taxonomy for the rule's record type,
  modifiers that cannot hold on a field's documented type (``|gt`` on text,
  ``|cidr`` on numbers), the
  ``<pack>.<what_is_wrong>`` name, a uuid ``id``, a ``level``, a
  ``remediation`` and framework tags of the documented shapes.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import yaml
from sigma.collection import SigmaCollection
from sigma.exceptions import SigmaError
from sigma.modifiers import modifier_mapping
from sigma.rule import SigmaDetection, SigmaDetectionItem, SigmaRule, SigmaRuleBase
from sigma.types import SigmaFieldReference
from sigma.validation import SigmaValidator
from sigma.validators.base import SigmaValidationIssue, SigmaValidationIssueSeverity
from sigma.validators.core import validators as core_validators
from sigma.validators.core.tags import InvalidNamespaceTagIssue

from xposture.rules.engine import RuleSet
from xposture.rules.loader import TESTS_SUFFIXES, rule_files
from xposture.rules.model import OWN_PRODUCT, Rule
from xposture.rules.taxonomy import Taxonomy
from xposture.scanners.records import flatten

DOWNLOADING_VALIDATORS = frozenset({"attacktag", "d3_fendtag"})
"""pySigma validators that fetch MITRE data from the network: excluded (offline-safe)."""

KNOWN_CUSTOM_ATTRIBUTES = frozenset({"remediation", "rationale", "tests"})

FRAMEWORK_TAGS: dict[str, re.Pattern[str]] = {
    "attack": re.compile(r"attack\.(t\d{4}(\.\d{3})?|[gs]\d{4}|[a-z][a-z0-9_-]+)"),
    "iec62443": re.compile(r"iec62443\.((sr|cr)_\d+_\d+(_re_?\d+)?|fr_\d+|sl_\d)"),
    "nist_csf": re.compile(r"nist_csf\.[a-z]{2}(_[a-z]{2}(_\d{2})?)?"),
    "cis_aws": re.compile(r"cis_aws\.\d+(_\d+)*"),
    "slsa": re.compile(r"slsa\.(build|source)_l[0-4]"),
    "semi_e187": re.compile(r"semi_e187\.[a-z0-9_]+"),
    "semi_e188": re.compile(r"semi_e188\.[a-z0-9_]+"),
    "cve": re.compile(r"cve\.\d{4}[-_.]\d+"),
}
"""Tag namespaces our packs use, each with the shape its ids must have."""

OTHER_SIGMA_NAMESPACES = frozenset({"car", "d3fend", "detection", "stp", "tlp"})
_NAME = re.compile(r"[a-z0-9_]+\.[a-z0-9_]+(\.[a-z0-9_]+)*")
_COMPARE_KEYS = re.compile(r".*\|(gt|gte|lt|lte|neq)(\|.*)?$")
_DATE_KEYS = frozenset({"date", "modified"})
_MODIFIER_NAMES = {key: cls.__name__ for key, cls in modifier_mapping.items()}
NUMERIC_MODIFIERS = frozenset({"gt", "gte", "lt", "lte"})
NUMERIC_TYPES = frozenset({"int", "float", "list[int]", "list[float]"})
TEXT_TYPES = frozenset({"str", "list[str]"})


@dataclass(frozen=True)
class LintIssue:
    """One problem found in a rule file: ``error`` fails ``rules check``, ``warning`` is reported only."""

    file: str
    rule: str
    severity: str
    code: str
    message: str

    def __str__(self) -> str:
        who = f" [{self.rule}]" if self.rule else ""
        return f"{self.file}{who}: {self.severity}: {self.code}: {self.message}"

    def to_dict(self) -> dict[str, str]:
        return {
            "file": self.file,
            "rule": self.rule,
            "severity": self.severity,
            "code": self.code,
            "message": self.message,
        }


def lint(paths: Sequence[Path], taxonomy: Taxonomy | None) -> list[LintIssue]:
    """All issues for the rule files under ``paths`` (taxonomy lint skipped when ``taxonomy`` is ``None``)."""
    issues: list[LintIssue] = []
    ruleset = RuleSet.load(paths)
    for err in ruleset.errors:
        issues.append(LintIssue(err.file or "", err.rule or "", "error", "load", err.message))
    load_errors: list[Any] = []
    files = rule_files(paths, load_errors)
    for path in files:
        issues.extend(yaml_traps(path))
        for suffix in TESTS_SUFFIXES:
            sibling = path.with_name(path.stem + suffix)
            if sibling.is_file():
                issues.extend(yaml_traps(sibling))
    issues.extend(sigma_validators(files))
    for rule in ruleset.rules:
        issues.extend(rule_lints(rule, taxonomy))
    return issues


# -- pySigma's validators --------------------------------------------------------------------------------


def sigma_validators(files: Iterable[Path]) -> list[LintIssue]:
    """What ``sigma check -x attacktag -x d3_fendtag`` reports, minus namespace complaints about our frameworks."""
    chosen = {cls for name, cls in core_validators.items() if name not in DOWNLOADING_VALIDATORS}
    validator = SigmaValidator(chosen)
    rules: list[SigmaRule] = []
    for path in files:
        try:
            collection = SigmaCollection.load_ruleset([path], collect_errors=True, resolve_references=False)
        except (yaml.YAMLError, SigmaError, OSError, UnicodeDecodeError, TypeError, AttributeError):
            continue  # reported as a load error
        rules.extend(r for r in collection.rules if isinstance(r, SigmaRule) and not r.errors)
    issues: list[LintIssue] = []
    for issue in validator.validate_rules(iter(rules)):
        if isinstance(issue, InvalidNamespaceTagIssue) and issue.tag.namespace in FRAMEWORK_TAGS:
            continue
        issues.extend(_from_sigma_issue(issue))
    return issues


def _from_sigma_issue(issue: SigmaValidationIssue) -> Iterator[LintIssue]:
    severity = "error" if issue.severity == SigmaValidationIssueSeverity.HIGH else "warning"
    code = "sigma." + type(issue).__name__.removesuffix("Issue")
    extra = [f"{f.name}={getattr(issue, f.name)}" for f in fields(issue) if f.name not in ("rules", "severity")]
    detail = issue.description + (f" ({', '.join(extra)})" if extra else "")
    for rule in issue.rules:
        file = str(rule.source.path) if rule.source is not None and rule.source.path else ""
        yield LintIssue(file, str(rule.name or rule.id or rule.title), severity, code, detail)


# -- YAML 1.1 traps ------------------------------------------------------------------------------------


def yaml_traps(path: Path) -> list[LintIssue]:
    """Plain scalars that YAML 1.1 (PyYAML, pySigma) reads as something other than the text written."""
    try:
        documents = list(yaml.compose_all(path.read_text(encoding="utf-8"), Loader=yaml.SafeLoader))
    except (yaml.YAMLError, OSError, UnicodeDecodeError):
        return []  # reported as a load error
    issues: list[LintIssue] = []
    for document in documents:
        if document is not None:
            _walk(document, (), path, issues)
    return issues


def _walk(node: yaml.Node, keys: tuple[str, ...], path: Path, issues: list[LintIssue]) -> None:
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            _check_scalar(key_node, keys, path, issues, is_key=True)
            key = str(key_node.value) if isinstance(key_node, yaml.ScalarNode) else "?"
            _walk(value_node, (*keys, key), path, issues)
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            _walk(item, keys, path, issues)
    elif isinstance(node, yaml.ScalarNode):
        _check_scalar(node, keys, path, issues, is_key=False)


def _check_scalar(node: yaml.Node, keys: tuple[str, ...], path: Path, issues: list[LintIssue], *, is_key: bool) -> None:
    if not isinstance(node, yaml.ScalarNode) or node.style is not None:
        return
    text, tag = str(node.value), node.tag.rsplit(":", 1)[-1]
    where = f"line {node.start_mark.line + 1}: " + (".".join(keys) or "top level")
    problem = ""
    if tag == "bool" and text.lower() not in ("true", "false"):
        problem = f"'{text}' is read as a boolean; quote it"
    elif tag == "int" and (re.fullmatch(r"[-+]?0[0-7]+", text) or ":" in text or "_" in text):
        problem = f"'{text}' is read as the number {_load(text)}; quote it"
    elif tag == "float" and not is_key and not (keys and _COMPARE_KEYS.match(keys[-1])):
        problem = f"'{text}' is read as the float {_load(text)} (an unquoted version?); quote it"
    elif tag == "timestamp" and not (keys and keys[-1] in _DATE_KEYS and len(keys) == 1):
        problem = f"'{text}' is read as a date; quote it"
    if problem:
        code = "unquoted-version" if tag == "float" else f"yaml11-{tag}"
        issues.append(LintIssue(str(path), "", "error", code, f"{where}: {problem}"))


def _load(text: str) -> Any:
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError:
        return text


# -- our conventions -----------------------------------------------------------------------------------


def rule_lints(rule: Rule, taxonomy: Taxonomy | None) -> list[LintIssue]:
    """Custom attributes for every rule; names, ids, tags, remediation and taxonomy fields for our own packs."""
    file = str(rule.path) if rule.path else ""
    issues = [
        LintIssue(file, rule.name, "warning", "custom-attribute", f"unknown custom attribute '{key}'")
        for key in rule.custom
        if key not in KNOWN_CUSTOM_ATTRIBUTES
    ]
    if rule.product.lower() != OWN_PRODUCT and not rule.correlation:
        return issues

    def problem(code: str, message: str, severity: str = "error") -> None:
        issues.append(LintIssue(file, rule.name, severity, code, message))

    if not _NAME.fullmatch(rule.name):
        problem("name", f"name '{rule.name}' is not '<pack>.<what_is_wrong>' in snake_case")
    elif rule.pack and not rule.name.startswith(rule.pack + "."):
        problem("name", f"name '{rule.name}' does not start with its pack '{rule.pack}.'")
    try:
        uuid.UUID(rule.id)
    except ValueError:
        problem("id", f"id '{rule.id}' is not a UUID")
    source = _sigma_rule(rule)
    if source is not None and source.level is None:
        problem("level", "no level: the severity defaults to medium")
    if not rule.remediation:
        problem("remediation", "no remediation: say what to do")
    for tag in rule.tags:
        namespace = tag.split(".", 1)[0]
        pattern = FRAMEWORK_TAGS.get(namespace)
        if pattern is None and namespace not in OTHER_SIGMA_NAMESPACES:
            problem("tag", f"tag '{tag}' has an unknown framework namespace")
        elif pattern is not None and not pattern.fullmatch(tag):
            problem("tag", f"tag '{tag}' does not have the shape of a {namespace} id")
    if taxonomy is not None and not rule.correlation:
        issues.extend(_taxonomy_issues(rule, taxonomy, file))
    return issues


def rule_fields(rule: Rule) -> dict[str, str]:
    """Field names a rule reads or shows, each with where it was found (detection, fields, tests)."""
    found: dict[str, str] = {}
    source = _sigma_rule(rule)
    if isinstance(source, SigmaRule):
        for detection in source.detection.detections.values():
            for name in _detection_fields(detection):
                found.setdefault(name, "detection")
    for name in rule.fields:
        found.setdefault(name, "fields")
    for kind in ("match", "nomatch"):
        examples = rule.tests.get(kind)
        for example in examples if isinstance(examples, list) else []:
            if isinstance(example, dict):
                for name in flatten(example):
                    found.setdefault(name, f"tests.{kind}")
    return found


def _sigma_rule(rule: Rule) -> SigmaRuleBase | None:
    """The pySigma rule a ``Rule`` came from, read again from its file (lints run rarely; no cache needed)."""
    if rule.path is None:
        return None
    try:
        collection = SigmaCollection.load_ruleset([rule.path], collect_errors=True, resolve_references=False)
    except (yaml.YAMLError, SigmaError, OSError, UnicodeDecodeError, TypeError, AttributeError):
        return None
    for candidate in collection.rules:
        if str(candidate.id) == rule.id or str(candidate.name) == rule.name:
            return candidate
    return None


def _detection_fields(detection: SigmaDetection | SigmaDetectionItem) -> Iterator[str]:
    for item in detection_items(detection):
        if item.field:
            yield item.field
        for value in item.value:
            if isinstance(value, SigmaFieldReference):
                yield value.field


def _modifier_issues(rule: Rule, taxonomy: Taxonomy, file: str) -> list[LintIssue]:
    """Modifiers that can never hold on the field's documented value type (``|gt`` on text, ``|cidr`` on numbers)."""
    source = _sigma_rule(rule)
    if not isinstance(source, SigmaRule):
        return []
    issues = []
    for detection in source.detection.detections.values():
        for item in detection_items(detection):
            if item.field is None:
                continue
            kind = taxonomy.value_type(rule.record_type, item.field)
            names = {m.__name__ for m in item.modifiers}
            used = {key for key, cls in _MODIFIER_NAMES.items() if cls in names}
            if kind is None:
                continue
            if used & NUMERIC_MODIFIERS and kind not in NUMERIC_TYPES:
                message = f"'{item.field}' is {kind} in the taxonomy: |{'|'.join(sorted(used & NUMERIC_MODIFIERS))} never holds"
                issues.append(LintIssue(file, rule.name, "error", "modifier-type", message))
            if used & {"cidr", "re", "contains", "startswith", "endswith"} and kind in {"bool", "list[bool]"}:
                message = f"'{item.field}' is {kind} in the taxonomy: |{'|'.join(sorted(used))} makes no sense"
                issues.append(LintIssue(file, rule.name, "warning", "modifier-type", message))
            if "cidr" in used and kind not in TEXT_TYPES:
                message = f"'{item.field}' is {kind} in the taxonomy: |cidr needs address text"
                issues.append(LintIssue(file, rule.name, "error", "modifier-type", message))
    return issues


def detection_items(detection: SigmaDetection | SigmaDetectionItem) -> Iterator[SigmaDetectionItem]:
    """Every field condition of a detection, however deeply its groups nest."""
    if isinstance(detection, SigmaDetectionItem):
        yield detection
        return
    for item in detection.detection_items:
        yield from detection_items(item)


def _taxonomy_issues(rule: Rule, taxonomy: Taxonomy, file: str) -> list[LintIssue]:
    if not taxonomy.has_type(rule.record_type):
        return [
            LintIssue(file, rule.name, "error", "taxonomy", f"record type '{rule.record_type}' is not in the taxonomy")
        ]
    return _modifier_issues(rule, taxonomy, file) + [
        LintIssue(
            file, rule.name, "error", "taxonomy", f"field '{name}' ({where}) is not listed for {rule.record_type}"
        )
        for name, where in rule_fields(rule).items()
        if name != "record.type" and not taxonomy.known(rule.record_type, name)
    ]
