"""Correlation rules: event_count, value_count, temporal(_ordered), value aggregates, windows, synthesized records."""

from __future__ import annotations

from typing import Any

from tests.conftest import DATA
from xposture.rules import RuleSet

PACK = DATA / "rules" / "correlation"


def _login(user: str, result: str = "failure", time: str | None = None, **extra: Any) -> dict[str, Any]:
    record: dict[str, Any] = {
        "record.type": "auth_event",
        "record.key": f"login:{user}:{time}",
        "record.layer": "ot",
        "asset.id": "host:hmi1",
        "auth.user": user,
        "auth.result": result,
    }
    if time is not None:
        record["record.time"] = time
    record.update(extra)
    return record


def _by_rule(rules: RuleSet, records: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    found: dict[str, list[dict[str, Any]]] = {}
    for match in rules.evaluate(records):  # type: ignore[arg-type]
        found.setdefault(match.rule.name, []).append(match.record)  # type: ignore[arg-type]
    return found


def test_event_count_within_timespan_per_group_and_synthesized_record() -> None:
    rules = RuleSet.load([PACK])
    assert not rules.errors
    records = [
        _login("bob", time="2026-11-29T01:00:00Z"),
        _login("bob", time="2026-11-29T01:02:00Z"),
        _login("alice", time="2026-11-29T01:02:30Z"),
        _login("bob", time="2026-11-29T01:04:59Z"),
        _login("alice", time="2026-11-29T01:03:00Z"),
    ]
    found = _by_rule(rules, records)
    # corr.success_after_failure refers to the base rule without ``generate: true``: no findings of its own
    assert "corr.failed_login" not in found
    [brute] = found["corr.brute_force"]
    assert brute["record.type"] == "auth_event"
    assert brute["auth.user"] == "bob"
    assert brute["correlation.count"] == 3
    assert brute["correlation.value"] == 3
    assert brute["correlation.type"] == "event_count"
    assert brute["correlation.rule"] == "corr.brute_force"
    assert brute["correlation.first_time"] == "2026-11-29T01:00:00Z"
    assert brute["correlation.last_time"] == "2026-11-29T01:04:59Z"
    assert brute["correlation.timespan_s"] == 300
    assert brute["asset.id"] == "host:hmi1"
    assert brute["record.key"] == "correlation:corr.brute_force:bob"
    assert brute["record.layer"] == "ot"
    assert len(brute["correlation.records"]) == 3


def test_event_count_window_slides() -> None:
    rules = RuleSet.load([PACK])
    spread = [_login("bob", time=f"2026-11-29T01:{m:02d}:00Z") for m in (0, 4, 8, 12, 16)]
    assert "corr.brute_force" not in _by_rule(rules, spread)
    burst = [*spread, _login("bob", time="2026-11-29T01:13:00Z")]
    assert "corr.brute_force" in _by_rule(rules, burst)  # 01:08, 01:12, 01:13


def test_records_without_time_form_one_window() -> None:
    rules = RuleSet.load([PACK])
    found = _by_rule(rules, [_login("bob"), _login("bob"), _login("bob")])
    [brute] = found["corr.brute_force"]
    assert "correlation.first_time" not in brute
    assert brute["correlation.count"] == 3


def test_value_count_counts_distinct_values() -> None:
    rules = RuleSet.load([PACK])
    same = [_login("eve", **{"auth.src_ip": "10.0.0.1"}) for _ in range(4)]
    assert "corr.many_sources" not in _by_rule(rules, same)
    spread = [*same, _login("eve", **{"auth.src_ip": "10.0.0.2"})]
    [hit] = _by_rule(rules, spread)["corr.many_sources"]
    assert hit["correlation.value"] == 2
    assert hit["correlation.count"] == 5


def test_temporal_ordered_needs_the_order_and_generate_false_hides_the_base_rule() -> None:
    rules = RuleSet.load([PACK])
    in_order = [
        _login("ann", time="2026-11-29T02:00:00Z"),
        _login("ann", "success", time="2026-11-29T02:05:00Z"),
    ]
    found = _by_rule(rules, in_order)
    assert "corr.success_after_failure" in found
    assert "corr.successful_login" not in found  # referenced without generate: no findings of its own
    reversed_order = [
        _login("ann", "success", time="2026-11-29T02:00:00Z"),
        _login("ann", time="2026-11-29T02:05:00Z"),
    ]
    assert "corr.success_after_failure" not in _by_rule(rules, reversed_order)
    too_late = [
        _login("ann", time="2026-11-29T02:00:00Z"),
        _login("ann", "success", time="2026-11-29T02:30:00Z"),
    ]
    assert "corr.success_after_failure" not in _by_rule(rules, too_late)


def test_temporal_unordered_and_extended_condition() -> None:
    text = """
title: a
name: t_a
id: 5f0e4f4e-0000-4000-8000-0000000000a1
logsource: {category: ev}
detection: {s: {k: a}, condition: s}
---
title: b
name: t_b
id: 5f0e4f4e-0000-4000-8000-0000000000a2
logsource: {category: ev}
detection: {s: {k: b}, condition: s}
---
title: c
name: t_c
id: 5f0e4f4e-0000-4000-8000-0000000000a3
logsource: {category: ev}
detection: {s: {k: c}, condition: s}
---
title: both
name: t.both
id: 5f0e4f4e-0000-4000-8000-0000000000a4
correlation:
  type: temporal
  rules: [t_a, t_b]
  group-by: [host]
  timespan: 1m
---
title: a and not c
name: t.a_not_c
id: 5f0e4f4e-0000-4000-8000-0000000000a5
correlation:
  type: temporal
  rules: [t_a, t_c]
  group-by: [host]
  timespan: 1m
  condition: t_a and not t_c
"""
    rules = RuleSet.loads(text)
    assert not rules.errors, [str(e) for e in rules.errors]

    def names(records: list[dict[str, Any]]) -> set[str]:
        return {m.rule.name for m in rules.evaluate(records) if m.rule.correlation}  # type: ignore[arg-type]

    ev = [{"record.type": "ev", "host": "h1", "k": k, "ts": t} for k, t in (("b", 100), ("a", 130))]
    assert names(ev) == {"t.both", "t.a_not_c"}
    ev.append({"record.type": "ev", "host": "h1", "k": "c", "ts": 140})
    assert names(ev) == {"t.both"}
    far = [{"record.type": "ev", "host": "h1", "k": k, "ts": t} for k, t in (("b", 100), ("a", 300))]
    assert names(far) == {"t.a_not_c"}


def test_value_sum_avg_and_aliases() -> None:
    text = """
title: transfer
name: x.transfer
id: 5f0e4f4e-0000-4000-8000-0000000000b1
logsource: {category: flow}
detection: {s: {dir: out}, condition: s}
---
title: upload
name: x.upload
id: 5f0e4f4e-0000-4000-8000-0000000000b2
logsource: {category: upload}
detection: {s: {ok: true}, condition: s}
---
title: much data out
name: x.much_out
id: 5f0e4f4e-0000-4000-8000-0000000000b3
correlation:
  type: value_sum
  rules: [x.transfer, x.upload]
  aliases:
    host:
      x.transfer: src
      x.upload: client
  group-by: [host]
  timespan: 1h
  condition: {gt: 1000, field: bytes}
---
title: big average
name: x.big_avg
id: 5f0e4f4e-0000-4000-8000-0000000000b4
correlation:
  type: value_avg
  rules: [x.transfer]
  group-by: [src]
  timespan: 1h
  condition: {gte: 500, field: bytes}
"""
    rules = RuleSet.loads(text)
    assert not rules.errors, [str(e) for e in rules.errors]
    records = [
        {"record.type": "flow", "dir": "out", "src": "h1", "bytes": 600},
        {"record.type": "upload", "ok": True, "client": "h1", "bytes": "500"},
        {"record.type": "flow", "dir": "out", "src": "h2", "bytes": 100},
    ]
    found = {(m.rule.name, str(m.record.get("host") or m.record.get("src"))): m.record for m in rules.evaluate(records)}  # type: ignore[arg-type]
    assert found[("x.much_out", "h1")]["correlation.value"] == 1100
    assert found[("x.much_out", "h1")]["record.type"] == "correlation"  # grouped records of two types
    assert ("x.much_out", "h2") not in found
    assert found[("x.big_avg", "h1")]["correlation.value"] == 600
    assert ("x.big_avg", "h2") not in found


def test_correlation_with_unknown_rule_is_an_error_and_others_load() -> None:
    text = """
title: base
name: y.base
id: 5f0e4f4e-0000-4000-8000-0000000000c1
logsource: {category: ev}
detection: {s: {k: a}, condition: s}
---
title: broken correlation
name: y.broken
id: 5f0e4f4e-0000-4000-8000-0000000000c2
correlation:
  type: event_count
  rules: [y.nope]
  group-by: [host]
  timespan: 1m
  condition: {gte: 2}
"""
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "pack.yml"
        path.write_text(text, encoding="utf-8")
        rules = RuleSet.load([path])
    assert [r.name for r in rules.rules] == ["y.base"]
    assert "y.nope" in str(rules.errors[0])
    assert rules.errors[0].file == str(path)


def test_each_evaluate_run_starts_fresh() -> None:
    rules = RuleSet.load([PACK])
    two = [_login("bob"), _login("bob")]
    assert "corr.brute_force" not in _by_rule(rules, two)
    assert "corr.brute_force" not in _by_rule(rules, two)


def test_median_percentile_and_many_events_in_one_window() -> None:
    text = """
title: sample
name: m.sample
id: 5f0e4f4e-0000-4000-8000-0000000000f2
logsource: {category: ev}
detection: {s: {k: a}, condition: s}
---
title: median
name: m.median
id: 5f0e4f4e-0000-4000-8000-0000000000f3
correlation:
  type: value_median
  rules: [m.sample]
  group-by: [host]
  timespan: 1d
  condition: {gte: 50, field: v}
---
title: p90
name: m.p90
id: 5f0e4f4e-0000-4000-8000-0000000000f4
correlation:
  type: value_percentile
  rules: [m.sample]
  group-by: [host]
  timespan: 1d
  condition: {gte: 90, field: v, percentile: 90}
---
title: burst
name: m.burst
id: 5f0e4f4e-0000-4000-8000-0000000000f5
correlation:
  type: event_count
  rules: [m.sample]
  group-by: [host]
  timespan: 1h
  condition: {gte: 20000}
"""
    rules = RuleSet.loads(text)
    assert not rules.errors, [str(e) for e in rules.errors]
    # 20,000 events within the hour: windows are evaluated in linear time, so this is quick
    records = [
        {"record.type": "ev", "k": "a", "host": "h", "v": i % 101, "ts": 1_000_000 + i * 0.1} for i in range(20_000)
    ]
    found = {m.rule.name: m.record for m in rules.evaluate(records) if m.rule.correlation}  # type: ignore[arg-type]
    assert found["m.burst"]["correlation.count"] == 20_000
    assert found["m.median"]["correlation.value"] == 50
    assert found["m.p90"]["correlation.value"] == 90
    few = [
        {"record.type": "ev", "k": "a", "host": "h", "v": v, "ts": 10 + i} for i, v in enumerate([10, 20, 60, 70, 80])
    ]
    found = {m.rule.name: m.record for m in rules.evaluate(few) if m.rule.correlation}  # type: ignore[arg-type]
    assert found["m.median"]["correlation.value"] == 60  # the window with the most records where it holds
    assert found["m.median"]["correlation.count"] == 5
