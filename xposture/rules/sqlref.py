"""Run rules through pySigma's SQLite backend over records: the reference for differential tests and benchmarks.

Records go into an in-memory SQLite table the way Zircolite stores logs: one
``TEXT COLLATE NOCASE`` column per field, lists as JSON text, booleans as
``true``/``false``. With routing, each record type gets its own database and a
rule's query runs only against its record type; without routing, every rule's
query runs over one table holding all records.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from sigma.collection import SigmaCollection
from sigma.exceptions import SigmaError
from sigma.rule import SigmaRule

from xposture.model import TYPE, Record
from xposture.rules.routing import record_type_for

_MISSING_COLUMN = re.compile(r"no such column: (.+)$")


@dataclass
class SqlRule:
    """One rule converted to a SQLite query (or the reason it could not be)."""

    rule_id: str
    title: str
    record_type: str
    query: str | None
    error: str = ""


@dataclass
class SqlResult:
    """Matches as ``(rule id, record index)`` pairs, plus rules that failed to convert or to run."""

    matches: set[tuple[str, int]] = field(default_factory=set)
    failed: dict[str, str] = field(default_factory=dict)


def _regexp(pattern: str, value: object) -> bool:
    if value is None:
        return False
    return re.search(pattern, str(value)) is not None


def convert_rules(paths: Sequence[Path]) -> list[SqlRule]:
    """Convert every detection rule under ``paths`` with the SQLite backend (correlations are skipped)."""
    from xposture.rules.convert import backend_class

    backend = backend_class("sqlite")()
    collection = SigmaCollection.load_ruleset(list(paths), collect_errors=True)
    converted: list[SqlRule] = []
    for rule in collection.rules:
        if not isinstance(rule, SigmaRule) or rule.errors:
            continue
        source = rule.logsource
        record_type = record_type_for(source.category, source.product, source.service)
        rule_id = str(rule.id)
        try:
            queries = backend.convert_rule(rule)
            converted.append(
                SqlRule(rule_id, rule.title, record_type, " UNION ".join(_rowid_query(q) for q in queries))
            )
        except (SigmaError, NotImplementedError, TypeError, ValueError) as exc:
            converted.append(SqlRule(rule_id, rule.title, record_type, None, str(exc).splitlines()[0]))
    return converted


def _rowid_query(query: str) -> str:
    return query.replace("SELECT *", "SELECT rowid", 1)


def _cell(value: object) -> object:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return json.dumps(value)
    return value


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def build_database(records: Sequence[tuple[int, Record]]) -> sqlite3.Connection:
    """An in-memory database with one ``logs`` table holding the records; ``rowid`` is the record's index + 1."""
    connection = sqlite3.connect(":memory:")
    connection.create_function("REGEXP", 2, _regexp, deterministic=True)
    columns: dict[str, None] = {}
    for _, record in records:
        for name in record:
            columns.setdefault(name, None)
    names = list(columns)
    ddl = ", ".join(f"{_quote(n)} TEXT COLLATE NOCASE" for n in names) or '"record.type" TEXT COLLATE NOCASE'
    connection.execute(f"CREATE TABLE logs ({ddl})")
    if names:
        placeholders = ", ".join("?" for _ in range(len(names) + 1))
        column_list = ", ".join(["rowid", *(_quote(n) for n in names)])
        connection.executemany(
            f"INSERT INTO logs ({column_list}) VALUES ({placeholders})",  # noqa: S608 - identifiers are quoted, values bound
            ([index + 1, *(_cell(record.get(n)) for n in names)] for index, record in records),
        )
    return connection


def run_query(connection: sqlite3.Connection, query: str) -> list[int]:
    """Row ids matched by a query; columns the records lack are added as NULL first (missing field = NULL)."""
    for _ in range(64):
        try:
            return [row[0] - 1 for row in connection.execute(query)]
        except sqlite3.OperationalError as exc:
            found = _MISSING_COLUMN.search(str(exc))
            if not found:
                raise
            name = found.group(1).strip().strip("`\"'")
            connection.execute(f"ALTER TABLE logs ADD COLUMN {_quote(name)} TEXT COLLATE NOCASE")
    raise sqlite3.OperationalError("too many missing columns")


def build_databases(records: Sequence[Record], *, routing: bool = True) -> dict[str | None, sqlite3.Connection]:
    """One database per record type (``routing``) or one for all records, keyed ``None``."""
    if not routing:
        return {None: build_database(list(enumerate(records)))}
    by_type: dict[str, list[tuple[int, Record]]] = {}
    for index, record in enumerate(records):
        by_type.setdefault(str(record.get(TYPE)), []).append((index, record))
    return {t: build_database(rows) for t, rows in by_type.items()}


def run_rules(rules: Iterable[SqlRule], databases: dict[str | None, sqlite3.Connection]) -> SqlResult:
    """Run converted rules against databases from ``build_databases``."""
    result = SqlResult()
    routing = None not in databases
    for rule in rules:
        if rule.query is None:
            result.failed[rule.rule_id] = rule.error
            continue
        connection = databases.get(rule.record_type) if routing else databases[None]
        if connection is None:
            continue
        try:
            for index in run_query(connection, rule.query):
                result.matches.add((rule.rule_id, index))
        except sqlite3.Error as exc:
            result.failed[rule.rule_id] = str(exc)
    return result


def evaluate(rules: Iterable[SqlRule], records: Sequence[Record], *, routing: bool = True) -> SqlResult:
    """Run converted rules over records; with ``routing`` each rule only sees records of its record type."""
    return run_rules(rules, build_databases(records, routing=routing))
