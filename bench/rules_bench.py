"""Rule engine benchmark: record·rule checks per second, native engine vs pySigma's SQLite backend.

Usage: ``python bench/rules_bench.py [--records 200000] [--repeat 3]``

Rules (50): SigmaHQ's 45 AWS CloudTrail rules plus five hand-written rules of
other record types (``tests/data/sigma`` and ``tests/data/rules``). Records: a
mix of CloudTrail events (the OTRF log plus records built from the rules' own
values, so rules do match) and flow / service / TLS / login records.

A *check* is one (record, rule) pair put in front of each other: with routing,
records times rules of the record's type; without routing, records times all rules.
The native engine's anchor index means most of those checks cost one dict
lookup, which is the point; the "every predicate" line shows the same
routing with each routed rule's predicate called. SQLite figures follow the
same count; "end to end" includes converting rules (SQLite) or compiling them
(native) and loading records into the database. Times are CPU seconds of this
process (best of ``--repeat``), so the rates are per core and other jobs on a
shared machine do not distort them.
"""

from __future__ import annotations

import argparse
import random
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.rules.sigma_corpus import log_records, rule_derived_records  # noqa: E402
from xposture.model import Record  # noqa: E402
from xposture.rules import RuleSet, builtin_pack_dirs, sqlref  # noqa: E402
from xposture.rules.ruletests import example_records  # noqa: E402

SIGMA = REPO / "tests" / "data" / "sigma"
OWN = REPO / "tests" / "data" / "rules"
OWN_RULES = [
    OWN / "good" / "cleartext_control_protocol.yml",
    OWN / "good" / "telnet_open.yml",
    OWN / "good" / "cert_expiring.yml",
    OWN / "correlation" / "failed_login.yml",
    OWN / "correlation" / "successful_login.yml",
]


def rule_folder(target: Path) -> Path:
    """The 50 benchmark rules copied into one folder."""
    target.mkdir(parents=True, exist_ok=True)
    for path in sorted((SIGMA / "rules" / "cloud").rglob("*.yml")):
        shutil.copy(path, target / path.name)
    for path in OWN_RULES:
        shutil.copy(path, target / path.name)
    return target


def make_records(count: int, rules: Path, seed: int = 5) -> list[Record]:
    rng = random.Random(seed)
    cloudtrail = [r for r in log_records(SIGMA / "logs") if r["record.type"] == "aws_cloudtrail_event"]
    derived = rule_derived_records(rules, per_type=2000, seed=seed)
    derived_ct = [r for r in derived if r["record.type"] == "aws_cloudtrail_event"]
    protocols = ["modbus", "s7comm", "https", "dnp3", "ssh", "mqtt"]
    records: list[Record] = []
    for i in range(count):
        roll = i % 20
        if roll < 12:
            base = rng.choice(cloudtrail) if roll % 2 else rng.choice(derived_ct)
            records.append(dict(base))
        elif roll < 15:
            records.append(
                {
                    "record.type": "network_flow",
                    "flow.protocol": rng.choice(protocols),
                    "flow.tls": rng.random() < 0.3,
                    "flow.src_ip": f"10.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}",
                }
            )
        elif roll < 17:
            records.append(
                {
                    "record.type": "network_service",
                    "service.port": rng.choice([22, 23, 80, 443, 502]),
                    "service.name": "x",
                }
            )
        elif roll < 18:
            records.append({"record.type": "tls_endpoint", "tls.cert.days_to_expiry": rng.randint(-10, 400)})
        else:
            records.append({"record.type": "auth_event", "auth.result": rng.choice(["success", "failure"])})
    return records


def best(repeat: int, run: Callable[[], Any]) -> tuple[float, Any]:
    """Best CPU time of this process over ``repeat`` runs (and the last result).

    CPU seconds, not wall seconds: the figure is per core, and a shared
    machine's other jobs then do not inflate it.
    """
    times = []
    result = None
    for _ in range(repeat):
        start = time.process_time()
        result = run()
        times.append(time.process_time() - start)
    return min(times), result


def line(label: str, checks: int, seconds: float) -> None:
    print(f"  {label:<52} {seconds:8.3f} s  {checks / seconds / 1e6:8.2f} M checks/s per core")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder:
        rules_dir = rule_folder(Path(folder) / "rules")
        start = time.process_time()
        ruleset = RuleSet.load([rules_dir])
        compile_s = time.process_time() - start
        assert not ruleset.errors, ruleset.errors
        records = make_records(args.records, rules_dir)
        n_rules = len(ruleset.rules)
        routed = ruleset.considered(records)
        unrouted = len(records) * n_rules
        print(f"rules: {n_rules}, records: {len(records)}, checks with routing: {routed}, without: {unrouted}")
        print(f"native compile (load + parse + compile {n_rules} rules): {compile_s:.3f} s")

        print("native engine:")
        seconds, matches = best(args.repeat, lambda: sum(1 for _ in ruleset.evaluate(records)))
        line("routing + anchor index (xposture default)", routed, seconds)
        native_eval = seconds

        entries = ruleset._entries
        by_type: dict[Any, list[Any]] = {}
        for entry in entries:
            by_type.setdefault(entry.rule.record_type, []).append(entry.predicate)

        def every_routed_predicate() -> int:
            hits = 0
            for record in records:
                for predicate in by_type.get(record.get("record.type"), ()):
                    if predicate(record):
                        hits += 1
            return hits

        seconds, brute = best(args.repeat, every_routed_predicate)
        line("routing, every routed predicate called", routed, seconds)
        predicates = [e.predicate for e in entries]

        def no_routing() -> int:
            hits = 0
            for record in records:
                for predicate in predicates:
                    if predicate(record):
                        hits += 1
            return hits

        seconds, _ = best(1, no_routing)
        line("no routing, every predicate on every record", unrouted, seconds)
        assert brute == matches, (brute, matches)

        print("pySigma SQLite backend (records in TEXT COLLATE NOCASE columns, as Zircolite):")
        start = time.process_time()
        converted = sqlref.convert_rules([rules_dir])
        convert_s = time.process_time() - start
        print(f"  convert {len(converted)} rules: {convert_s:.3f} s")
        for routing in (True, False):
            label = "routing (one table per record type)" if routing else "no routing (one table, every rule)"
            start = time.process_time()
            databases = sqlref.build_databases(records, routing=routing)
            load = time.process_time() - start
            query, result = best(args.repeat if routing else 1, lambda d=databases: sqlref.run_rules(converted, d))
            total = load + query
            checks = routed if routing else unrouted
            line(f"{label}, queries only", checks, query)
            line(f"{label}, load + queries", checks, total)
            if routing:
                sql_end_to_end = convert_s + total
                sql_matches = len(result.matches)
        print("end to end (rules from files to matches, CPU seconds):")
        native_end_to_end = compile_s + native_eval
        print(f"  native: {native_end_to_end:.3f} s ({matches} matches)")
        print(f"  sqlite: {sql_end_to_end:.3f} s ({sql_matches} matches)")
        print(f"  native is {sql_end_to_end / native_end_to_end:.1f}x the SQLite backend's speed")


def shipped_packs(count: int, repeat: int) -> None:
    """The shipped packs over records made from their own examples (what a real scan judges)."""
    packs = builtin_pack_dirs()
    if not packs:
        print("shipped packs: none in this checkout")
        return
    ruleset = RuleSet.load(packs)
    examples = [r for rule in ruleset.rules if not rule.correlation for r in example_records(rule)]
    if not examples:
        print("shipped packs: no examples")
        return
    records = [dict(examples[i % len(examples)]) for i in range(count)]
    routed = ruleset.considered(records)
    print(
        f"shipped packs ({', '.join(p.name for p in packs)}): {len(ruleset.rules)} rules, {len(records)} records "
        f"cycled from {len(examples)} rule examples, {routed} checks with routing"
    )
    seconds, matches = best(repeat, lambda: sum(1 for _ in ruleset.evaluate(records)))
    line(f"native, routing + anchor index ({matches} matches)", routed, seconds)


if __name__ == "__main__":
    main()
    shipped_packs(200_000, 3)
