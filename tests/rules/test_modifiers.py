"""Every Sigma value modifier against hand-written records (semantics: docs/rules.md)."""

from __future__ import annotations

import base64

import pytest

from tests.rules.helpers import holds, ruleset
from xposture.rules import RuleSet

# -- plain strings, wildcards, case -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [("Modbus", True), ("MODBUS", True), ("modbus", True), ("modbus2", False), ("", False), ("modbu", False)],
)
def test_string_equality_is_case_insensitive_and_whole(value: str, expected: bool) -> None:
    assert holds("sel: {p: modbus}\ncondition: sel", {"p": value}) is expected


def test_cased_modifier_is_case_sensitive() -> None:
    rule = "sel: {p|cased: Modbus}\ncondition: sel"
    assert holds(rule, {"p": "Modbus"})
    assert not holds(rule, {"p": "modbus"})


@pytest.mark.parametrize(
    ("pattern", "value", "expected"),
    [
        ("ab*", "ABC", True),
        ("*bc", "abc", True),
        ("*b*", "abc", True),
        ("a*c", "a\nxyz\nc", True),  # * spans newlines
        ("a?c", "abc", True),
        ("a?c", "ac", False),
        ("a?c", "abbc", False),
        ("*", "", True),
        ("a\\*c", "a*c", True),  # escaped wildcard is literal
        ("a\\*c", "abc", False),
        ("a\\?c", "a?c", True),
        ("a\\?c", "abc", False),
        ("C:\\Windows\\System32", "c:\\windows\\system32", True),  # backslash before a normal char stays
        ("C:\\Windows\\*", "c:\\windows\\system32", False),  # ...but before * it escapes it
        ("C:\\Windows\\*", "c:\\windows*", True),
        ("a\\\\*", "a\\bcd", True),  # escaped backslash, then wildcard
        ("a.c", "abc", False),  # regex metacharacters are literal
        ("(x)+*", "(x)+yz", True),
    ],
)
def test_wildcards_and_escapes(pattern: str, value: str, expected: bool) -> None:
    detection = "sel:\n  p: '" + pattern.replace("'", "''") + "'\ncondition: sel"
    assert holds(detection, {"p": value}) is expected


def test_cased_wildcard_regex() -> None:
    rule = "sel: {p|cased: 'A?c*'}\ncondition: sel"
    assert holds(rule, {"p": "Abcde"})
    assert not holds(rule, {"p": "abcde"})


# -- contains / startswith / endswith / all ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("modifier", "value", "expected"),
    [
        ("contains", "xxMODBUSxx", True),
        ("contains", "mod bus", False),
        ("startswith", "Modbus/TCP", True),
        ("startswith", "x modbus", False),
        ("endswith", "over modbus", True),
        ("endswith", "modbus!", False),
    ],
)
def test_affix_modifiers(modifier: str, value: str, expected: bool) -> None:
    assert holds(f"sel: {{p|{modifier}: modbus}}\ncondition: sel", {"p": value}) is expected


def test_affix_modifiers_with_many_values_any_of_them() -> None:
    rule = "sel:\n  p|endswith: [.exe, .dll, .SYS]\ncondition: sel"
    assert holds(rule, {"p": "a.sys"})
    assert holds(rule, {"p": "B.DLL"})
    assert not holds(rule, {"p": "a.txt"})


def test_contains_cased_keeps_case() -> None:
    rule = "sel: {p|contains|cased: Bus}\ncondition: sel"
    assert holds(rule, {"p": "ModBus"})
    assert not holds(rule, {"p": "modbus"})


def test_all_modifier_needs_every_value() -> None:
    rule = "sel:\n  p|contains|all: [alpha, beta]\ncondition: sel"
    assert holds(rule, {"p": "beta and alpha"})
    assert not holds(rule, {"p": "alpha only"})


def test_all_modifier_over_list_field_any_element_per_value() -> None:
    rule = "sel:\n  p|all: [a, b]\ncondition: sel"
    assert holds(rule, {"p": ["b", "x", "a"]})
    assert not holds(rule, {"p": ["a", "x"]})


# -- regular expressions --------------------------------------------------------------------------------


def test_re_is_unanchored_search_and_case_sensitive() -> None:
    rule = "sel: {p|re: 'v[0-9]+\\.[0-9]+'}\ncondition: sel"
    assert holds(rule, {"p": "firmware v2.10 build"})
    assert not holds(rule, {"p": "V2.10"})


def test_re_anchors_are_honoured() -> None:
    rule = "sel: {p|re: '^abc$'}\ncondition: sel"
    assert holds(rule, {"p": "abc"})
    assert not holds(rule, {"p": "xabc"})


@pytest.mark.parametrize(
    ("flags", "value", "expected"),
    [
        ("|i", "ABC", True),
        ("", "ABC", False),
        ("|m", "x\nabc", True),
        ("", "x\nabc", False),
        ("|s", "a\nc", True),
        ("", "a\nc", False),
    ],
)
def test_re_flags(flags: str, value: str, expected: bool) -> None:
    pattern = "^abc" if "m" in flags or value.startswith("x") else ("a.c" if "\n" in value else "abc")
    rule = f"sel: {{p|re{flags}: '{pattern}'}}\ncondition: sel"
    assert holds(rule, {"p": value}) is expected


def test_re_on_numbers_uses_their_text() -> None:
    assert holds("sel: {p|re: '^50[0-9]$'}\ncondition: sel", {"p": 502})


# -- cidr -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cidr", "value", "expected"),
    [
        ("10.10.0.0/16", "10.10.3.4", True),
        ("10.10.0.0/16", "10.11.0.1", False),
        ("10.10.0.0/16", "not an ip", False),
        ("10.10.0.0/16", "2001:db8::1", False),
        ("2001:db8::/32", "2001:db8:ffff::1", True),
        ("2001:db8::/32", "2001:db9::1", False),
        ("2001:db8::/32", "10.0.0.1", False),
        ("fe80::/10", "fe80::1%eth0", True),  # zone index ignored
        ("10.0.0.0/8", "::ffff:10.1.2.3", True),  # IPv4-mapped IPv6
        ("192.168.1.7/32", "192.168.1.7", True),
    ],
)
def test_cidr_ipv4_and_ipv6(cidr: str, value: str, expected: bool) -> None:
    assert holds(f"sel: {{p|cidr: '{cidr}'}}\ncondition: sel", {"p": value}) is expected


def test_cidr_list_and_list_field() -> None:
    rule = "sel:\n  p|cidr: [10.0.0.0/8, 192.168.0.0/16]\ncondition: sel"
    assert holds(rule, {"p": ["8.8.8.8", "192.168.5.5"]})
    assert not holds(rule, {"p": ["8.8.8.8"]})
    assert not holds(rule, {"p": 167772161})  # an integer is no address text


# -- numeric comparisons ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("modifier", "value", "expected"),
    [
        ("gt", 31, True),
        ("gt", 30, False),
        ("gte", 30, True),
        ("gte", 29.9, False),
        ("lt", -1, True),
        ("lt", 30, False),
        ("lte", 30.0, True),
        ("gt", "45", True),  # numeric text is parsed
        ("gt", " 45 ", True),
        ("gt", "4.5e1", True),
        ("gt", "lots", False),
        ("gt", True, False),  # booleans are not numbers
    ],
)
def test_compare_modifiers(modifier: str, value: object, expected: bool) -> None:
    assert holds(f"sel: {{p|{modifier}: 30}}\ncondition: sel", {"p": value}) is expected


def test_compare_with_float_bound_and_list_field() -> None:
    rule = "sel: {p|gte: 7.5}\ncondition: sel"
    assert holds(rule, {"p": [1, 9.8]})
    assert not holds(rule, {"p": [1, 7.4]})


# -- exists / null --------------------------------------------------------------------------------------


def test_exists_true_and_false() -> None:
    present = "sel: {p|exists: true}\ncondition: sel"
    absent = "sel: {p|exists: false}\ncondition: sel"
    assert holds(present, {"p": ""})  # an empty string is a value
    assert holds(present, {"p": 0})
    assert not holds(present, {})
    assert not holds(present, {"p": None})
    assert not holds(present, {"p": []})
    assert holds(absent, {})
    assert holds(absent, {"p": None})
    assert not holds(absent, {"p": "x"})


def test_null_matches_missing_null_and_empty_list_only() -> None:
    rule = "sel: {p: null}\ncondition: sel"
    assert holds(rule, {})
    assert holds(rule, {"p": None})
    assert holds(rule, {"p": []})
    assert not holds(rule, {"p": ""})
    assert not holds(rule, {"p": 0})


def test_null_or_value() -> None:
    rule = "sel:\n  p: [null, x]\ncondition: sel"
    assert holds(rule, {})
    assert holds(rule, {"p": "X"})
    assert not holds(rule, {"p": "y"})


# -- fieldref -------------------------------------------------------------------------------------------


def test_fieldref_equality_and_affixes() -> None:
    assert holds("sel: {a|fieldref: b}\ncondition: sel", {"a": "Admin", "b": "admin"})
    assert not holds("sel: {a|fieldref: b}\ncondition: sel", {"a": "admin", "b": "root"})
    assert not holds("sel: {a|fieldref: b}\ncondition: sel", {"a": "admin"})
    assert holds("sel: {a|fieldref|startswith: b}\ncondition: sel", {"a": "admin-1", "b": "admin"})
    assert holds("sel: {a|fieldref|endswith: b}\ncondition: sel", {"a": "x.example.com", "b": "example.com"})
    assert holds("sel: {a|fieldref|contains: b}\ncondition: sel", {"a": "xx-key-yy", "b": "KEY"})
    assert holds("sel: {a|fieldref: b}\ncondition: sel", {"a": 502, "b": "502"})
    assert holds("sel: {a|fieldref: b}\ncondition: sel", {"a": ["x", "y"], "b": ["z", "y"]})


def test_not_fieldref_is_the_usual_mismatch_check() -> None:
    rule = "sel: {a|fieldref: b}\ncondition: not sel"
    assert holds(rule, {"a": "x", "b": "y"})
    assert not holds(rule, {"a": "x", "b": "x"})


# -- expand ---------------------------------------------------------------------------------------------


def test_expand_fills_placeholders_from_policy() -> None:
    rule = "sel: {user|expand: '%admins%'}\ncondition: sel"
    policy = {"admins": ["root", "Administrator"]}
    assert holds(rule, {"user": "administrator"}, policy)
    assert holds(rule, {"user": "ROOT"}, policy)
    assert not holds(rule, {"user": "guest"}, policy)


def test_expand_inside_a_pattern_with_a_scalar_and_a_nested_key() -> None:
    rule = "sel: {host|expand: '*.%site.domain%'}\ncondition: sel"
    policy = {"site": {"domain": "fab1.local"}}
    assert holds(rule, {"host": "plc1.FAB1.local"}, policy)
    assert not holds(rule, {"host": "plc1.fab2.local"}, policy)


def test_expand_values_are_literal_not_wildcards() -> None:
    rule = "sel: {p|expand: '%v%'}\ncondition: sel"
    assert holds(rule, {"p": "a*b"}, {"v": "a*b"})
    assert not holds(rule, {"p": "axxb"}, {"v": "a*b"})


def test_expand_in_a_regex_escapes_policy_values() -> None:
    rule = "sel: {p|re|expand: '^%v%-[0-9]+$'}\ncondition: sel"
    assert holds(rule, {"p": "a.b-12"}, {"v": ["a.b", "c"]})
    assert not holds(rule, {"p": "axb-12"}, {"v": ["a.b", "c"]})


def test_expand_with_missing_policy_value_is_a_rule_error() -> None:
    rules = RuleSet.loads(
        "title: t\nid: 5f0e4f4e-0000-4000-8000-000000000009\nlogsource: {category: thing}\n"
        "detection: {sel: {p|expand: '%nope%'}, condition: sel}\n",
        policy={},
    )
    assert not rules.rules
    assert "%nope%" in str(rules.errors[0])


# -- encodings ------------------------------------------------------------------------------------------


def test_base64() -> None:
    encoded = base64.b64encode(b"secret").decode()
    assert holds("sel: {p|base64: secret}\ncondition: sel", {"p": encoded})


def test_base64offset_contains_at_every_offset() -> None:
    rule = "sel: {p|base64offset|contains: 'attack'}\ncondition: sel"
    for prefix in (b"", b"x", b"xy"):
        encoded = base64.b64encode(prefix + b"attack at dawn").decode()
        assert holds(rule, {"p": "cmd " + encoded}), prefix
    assert not holds(rule, {"p": base64.b64encode(b"nothing here").decode()})


def test_windash_expands_dash_and_slash() -> None:
    rule = "sel: {cmd|windash|contains: ' -exec '}\ncondition: sel"
    assert holds(rule, {"cmd": "tool /exec x"})
    assert holds(rule, {"cmd": "tool -exec x"})
    assert holds(rule, {"cmd": "tool \u2013exec x"})  # en dash
    assert not holds(rule, {"cmd": "tool exec x"})


def test_wide_encodes_utf16le() -> None:
    value = "ab".encode("utf-16le").decode("utf-8")
    assert holds("sel: {p|wide: ab}\ncondition: sel", {"p": value})


# -- types of record values -------------------------------------------------------------------------------


def test_list_valued_fields_match_when_any_element_does() -> None:
    rule = "sel: {p: [tls1.0, ssl3]}\ncondition: sel"
    assert holds(rule, {"p": ["tls1.2", "TLS1.0"]})
    assert not holds(rule, {"p": ["tls1.2", "tls1.3"]})
    assert not holds(rule, {"p": []})
    assert holds(rule, {"p": [None, "ssl3"]})


def test_numbers_match_numbers_and_numeric_text() -> None:
    rule = "sel: {port: 502}\ncondition: sel"
    assert holds(rule, {"port": 502})
    assert holds(rule, {"port": 502.0})
    assert holds(rule, {"port": "502"})
    assert not holds(rule, {"port": "0502x"})
    assert not holds(rule, {"port": 503})


def test_string_rule_values_match_number_fields_by_text() -> None:
    assert holds("sel: {port: '502'}\ncondition: sel", {"port": 502})
    assert holds("sel: {p: '1.5'}\ncondition: sel", {"p": 1.5})


def test_booleans() -> None:
    rule = "sel: {p: true}\ncondition: sel"
    assert holds(rule, {"p": True})
    assert holds(rule, {"p": "TRUE"})
    assert holds(rule, {"p": 1})
    assert holds(rule, {"p": "1"})
    assert not holds(rule, {"p": "0"})
    assert not holds(rule, {"p": False})
    assert not holds(rule, {"p": "yes"})
    assert holds("sel: {p: 'true'}\ncondition: sel", {"p": True})  # quoted text vs a boolean field
    assert holds("sel: {p: false}\ncondition: sel", {"p": False})


def test_timestamp_part_modifiers() -> None:
    assert holds("sel: {t|hour: 3}\ncondition: sel", {"t": "2026-11-29T03:15:00Z"})
    assert holds("sel: {t|hour: 3}\ncondition: sel", {"t": 1795921200})  # 2026-11-29T03:00Z as Unix seconds
    assert holds("sel: {t|year: 2026}\ncondition: sel", {"t": "2026-01-01"})
    assert not holds("sel: {t|minute: 5}\ncondition: sel", {"t": "not a time"})


def test_neq_negates_the_item() -> None:
    rule = "sel:\n  kind: flow\n  proto|neq: https\ncondition: sel"
    assert holds(rule, {"kind": "flow", "proto": "modbus"})
    assert not holds(rule, {"kind": "flow", "proto": "HTTPS"})


# -- keywords and condition operators ---------------------------------------------------------------------


def test_keywords_search_every_field_value() -> None:
    rule = "keywords: ['logged command:no access-session']\ncondition: keywords"
    assert holds(rule, {"message": "User:admin  logged command:no access-session port-control"})
    assert holds(rule, {"a": 1, "b": ["x", "LOGGED COMMAND:NO ACCESS-SESSION"]})
    assert not holds(rule, {"message": "logged command:show run"})


def test_keyword_list_and_keyword_modifiers() -> None:
    assert holds("keywords: [alpha, beta]\ncondition: keywords", {"m": "xx beta xx"})
    assert holds("keywords:\n  '|re': 'err(or)?[0-9]+'\ncondition: keywords", {"m": "error42"})


def test_one_of_and_all_of_patterns() -> None:
    detection = """
    selection_a: {a: 1}
    selection_b: {b: 2}
    other: {c: 3}
    condition: 1 of selection_* and not other
    """
    assert holds(detection, {"b": 2})
    assert not holds(detection, {"b": 2, "c": 3})
    assert not holds(detection, {"c": 3})
    every = "selection_a: {a: 1}\nselection_b: {b: 2}\ncondition: all of selection_*"
    assert holds(every, {"a": 1, "b": 2})
    assert not holds(every, {"a": 1})
    them = "s1: {a: 1}\ns2: {b: 2}\ncondition: all of them"
    assert holds(them, {"a": "1", "b": "2"})
    any_them = "s1: {a: 1}\ns2: {b: 2}\ncondition: 1 of them"
    assert holds(any_them, {"b": 2})


def test_precedence_not_and_or() -> None:
    detection = "a: {a: 1}\nb: {b: 1}\nc: {c: 1}\ncondition: a or b and not c"
    assert holds(detection, {"a": 1, "c": 1})  # a or (b and not c)
    assert not holds(detection, {"b": 1, "c": 1})
    grouped = "a: {a: 1}\nb: {b: 1}\nc: {c: 1}\ncondition: (a or b) and not c"
    assert not holds(grouped, {"a": 1, "c": 1})


def test_list_of_maps_is_or_of_and() -> None:
    detection = "sel:\n  - {a: 1, b: 2}\n  - {c: 3}\ncondition: sel"
    assert holds(detection, {"a": 1, "b": 2})
    assert holds(detection, {"c": 3})
    assert not holds(detection, {"a": 1})


def test_several_conditions_are_ored() -> None:
    detection = "a: {a: 1}\nb: {b: 1}\ncondition: [a, b]"
    assert holds(detection, {"b": 1})
    assert not holds(detection, {"c": 1})


def test_dotted_field_names_are_flat_keys() -> None:
    rule = "sel: {requestParameters.bucketName: logs}\ncondition: sel"
    assert holds(rule, {"requestParameters.bucketName": "LOGS"})


def test_ruleset_compiles_each_condition_once() -> None:
    rules = ruleset("sel: {a: 1}\ncondition: sel")
    records = [{"record.type": "thing", "a": i % 3} for i in range(30)]
    assert len(list(rules.evaluate(records))) == 10


def test_keywords_skip_bookkeeping_fields() -> None:
    rule = "keywords: [cloudtrail]\ncondition: keywords"
    assert not holds(rule, {"source.file": "/logs/cloudtrail.json", "record.key": "cloudtrail:1"})
    assert holds(rule, {"message": "CloudTrail stopped"})
