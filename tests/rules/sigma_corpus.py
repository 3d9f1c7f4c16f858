"""Records for the differential tests: real logs as records, and records made from the rules' own values.

The shared logs trigger few SigmaHQ rules, so on their own they would prove
little. ``rule_derived_records`` builds, for every record type, records whose
fields take values the rules test for (wildcards instantiated, case changed,
embedded in other text, numbers as text, lists), other values, or nothing:
both engines must then agree on many matches and non-matches.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sigma.collection import SigmaCollection
from sigma.rule import SigmaRule
from sigma.types import SigmaExpansion, SigmaNumber, SigmaString, SpecialChars

from xposture.model import Record
from xposture.rules.lint import detection_items
from xposture.rules.routing import record_type_for
from xposture.scanners.records import flatten


def log_records(logs: Path) -> list[Record]:
    """CloudTrail JSON lines as ``aws_cloudtrail_event``; Zeek JSON logs as ``zeek_<stream>`` (DNS also as ``dns``)."""
    records: list[Record] = []
    for path in sorted(logs.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            record = flatten(json.loads(line))
            record["record.type"] = "aws_cloudtrail_event"
            records.append(record)
    for path in sorted(logs.glob("zeek_*.log")):
        for line in path.read_text(encoding="utf-8").splitlines():
            document = json.loads(line)
            record = flatten(document)
            record["record.type"] = "zeek_" + str(document.get("@stream"))
            records.append(record)
            if document.get("@stream") == "dns":
                records.append({**record, "record.type": "dns"})
    for path in sorted(logs.glob("*.raw")):
        for line in path.read_text(encoding="utf-8").splitlines():
            records.append({"record.type": "cisco_aaa", "message": line})
    return records


def _instances(value: Any, rng: random.Random) -> Iterator[Any]:
    if isinstance(value, SigmaExpansion):
        for inner in value.values:
            yield from _instances(inner, rng)
    elif isinstance(value, SigmaString):
        text = "".join(
            (rng.choice(["", "abc", "Xy/z"]) if p is SpecialChars.WILDCARD_MULTI else "q")
            if isinstance(p, SpecialChars)
            else p
            for p in value.s
            if isinstance(p, (str, SpecialChars))
        )
        yield text
        yield text.upper()
        yield "pre " + text + " post"
    elif isinstance(value, SigmaNumber):
        yield value.number
        yield str(value.number)
        yield value.number + 100


def rule_values(rules_dir: Path) -> dict[str, dict[str, list[Any]]]:
    """Per record type, per field: values (and variations) the rules look for."""
    rng = random.Random(7)
    collection = SigmaCollection.load_ruleset([rules_dir], collect_errors=True)
    table: dict[str, dict[str, list[Any]]] = {}
    for rule in collection.rules:
        if not isinstance(rule, SigmaRule) or rule.errors:
            continue
        source = rule.logsource
        fields = table.setdefault(record_type_for(source.category, source.product, source.service), {})
        for detection in rule.detection.detections.values():
            for item in detection_items(detection):
                if item.field is None:
                    continue
                bucket = fields.setdefault(item.field, [])
                for value in item.value:
                    bucket.extend(_instances(value, rng))
    return table


def rule_derived_records(rules_dir: Path, per_type: int = 300, seed: int = 1) -> list[Record]:
    """Records of every routed type mixing the rules' values, other values, missing fields and lists."""
    rng = random.Random(seed)
    records: list[Record] = []
    for record_type, fields in sorted(rule_values(rules_dir).items()):
        names = sorted(fields)
        for _ in range(per_type):
            record: Record = {"record.type": record_type}
            for name in names:
                roll = rng.random()
                if roll < 0.45 and fields[name]:
                    record[name] = rng.choice(fields[name])
                elif roll < 0.55:
                    record[name] = rng.choice(["other", "", "0", 7])
                elif roll < 0.6 and fields[name]:
                    record[name] = [rng.choice(fields[name]), "other"]
            records.append(record)
    return records
