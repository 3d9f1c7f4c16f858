"""``xposture rules list|test|check|convert`` through the real CLI entry point."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import DATA, run_subprocess
from xposture.rules.convert import TARGETS, available_targets

TAXONOMY = ("--taxonomy", str(DATA / "rules" / "taxonomy_root"))

RULES = DATA / "rules"
Cli = Callable[..., tuple[int, str, str]]


def test_list_table_and_json(cli: Cli) -> None:
    code, out, _ = cli("rules", "list", "--no-builtin-rules", "--rules", str(RULES / "good"))
    assert code == 0
    assert "good.cleartext_control_protocol" in out
    assert "network_flow/xposture" in out
    code, out, _ = cli("rules", "list", "--no-builtin-rules", "--rules", str(RULES / "good"), "--format", "json")
    rows = json.loads(out)
    assert {r["name"] for r in rows} == {"good.cleartext_control_protocol", "good.telnet_open", "good.cert_expiring"}
    row = next(r for r in rows if r["name"] == "good.telnet_open")
    assert row["level"] == "medium"
    assert row["tags"] == ["attack.t0886"]
    assert row["pack"] == "good"
    assert row["logsource"]["category"] == "network_service"


def test_list_filters_by_pack_and_reports_load_errors(cli: Cli) -> None:
    args = (
        "rules",
        "list",
        "--no-builtin-rules",
        "--rules",
        str(RULES / "correlation"),
        "--rules",
        str(RULES / "broken"),
    )
    code, out, err = cli(*args, "--pack", "broken", "--format", "json")
    assert code == 0
    assert [r["name"] for r in json.loads(out)] == ["good.telnet_open"]
    assert "yaml_syntax.yml" in err


def test_rule_text_is_never_rich_markup(cli: Cli, tmp_path: Path) -> None:
    rule = (RULES / "good" / "telnet_open.yml").read_text().replace("Telnet service reachable", "'[bold red]x[/]'")
    (tmp_path / "markup.yml").write_text(rule)
    code, out, _ = cli("rules", "list", "--no-builtin-rules", "--rules", str(tmp_path))
    assert code == 0
    assert "[bold red]x[/]" in out


def test_test_passes_and_fails(cli: Cli) -> None:
    code, out, _ = cli(
        "rules", "test", "--no-builtin-rules", "--rules", str(RULES / "good"), "--rules", str(RULES / "correlation")
    )
    assert code == 0, out
    assert "8 rules, 21 examples, 0 failures" in out
    code, out, _ = cli("rules", "test", "--no-builtin-rules", "--rules", str(RULES / "broken"))
    assert code == 1
    assert "yaml_syntax.yml" in out


def test_test_named_pack_and_unknown_pack(cli: Cli) -> None:
    code, out, _ = cli("rules", "test", "--no-builtin-rules", str(RULES / "good"))
    assert code == 0
    assert "3 rules" in out
    code, _, err = cli("rules", "test", "no_such_pack")
    assert code == 2
    assert "no pack or path named 'no_such_pack'" in err


def test_check_text_json_and_strict(cli: Cli) -> None:
    code, out, _ = cli("rules", "check", *TAXONOMY, "--no-builtin-rules", str(RULES / "lint" / "pack"))
    assert code == 1
    assert "unquoted-version" in out
    code, out, _ = cli("rules", "check", *TAXONOMY, "--no-builtin-rules", str(RULES / "good"), "--format", "json")
    issues = json.loads(out)
    assert code == (1 if any(i["severity"] == "error" for i in issues) else 0)
    code, out, _ = cli(
        "rules", "check", *TAXONOMY, "--no-builtin-rules", str(RULES / "lint" / "pack" / "clean_rule.yml")
    )
    assert code == 0, out
    assert "0 errors, 0 warnings" in out


def test_check_strict_fails_on_warnings(cli: Cli, tmp_path: Path) -> None:
    rule = (RULES / "lint" / "pack" / "clean_rule.yml").read_text() + "owner: someone\n"
    pack = tmp_path / "pack"  # the rule's name starts with its pack's folder name
    pack.mkdir()
    (pack / "clean_with_extra.yml").write_text(rule)
    assert cli("rules", "check", *TAXONOMY, "--no-builtin-rules", str(pack))[0] == 0
    assert cli("rules", "check", *TAXONOMY, "--no-builtin-rules", "--strict", str(pack))[0] == 1


@pytest.mark.parametrize("target", [t for t, status in available_targets().items() if status == "ok"])
def test_convert_available_targets(cli: Cli, target: str) -> None:
    code, out, err = cli(
        "rules", "convert", "--no-builtin-rules", "-t", target, str(RULES / "good"), "--format", "json"
    )
    assert code == 0, err
    results = json.loads(out)
    assert {r["rule"] for r in results} == {"good.cleartext_control_protocol", "good.telnet_open", "good.cert_expiring"}
    flows = next(r for r in results if r["rule"] == "good.cleartext_control_protocol")
    assert "record.type" in flows["queries"][0]  # the routing condition
    assert "modbus" in flows["queries"][0]


def test_convert_without_routing_and_to_a_file(cli: Cli, tmp_path: Path) -> None:
    target = tmp_path / "out" / "queries.sql"
    code, out, _ = cli(
        "rules", "convert", "--no-builtin-rules", "-t", "sqlite", "--no-routing", str(RULES / "good"), "-o", str(target)
    )
    assert code == 0
    assert out == ""
    text = target.read_text()
    assert "-- good.telnet_open: Telnet service reachable" in text
    assert "record.type" not in text


def test_convert_unavailable_target_says_what_to_install(cli: Cli) -> None:
    missing = [t for t, status in available_targets().items() if status != "ok"]
    if not missing:
        pytest.skip("every backend is installed here")
    code, _, err = cli("rules", "convert", "-t", missing[0], "--no-builtin-rules", str(RULES / "good"))
    assert code == 2
    assert f"pip install {TARGETS[missing[0]].package}" in err


def test_convert_reports_rules_a_backend_rejects(cli: Cli) -> None:
    code, _, err = cli(
        "rules", "convert", "-t", "sqlite", "--no-builtin-rules", str(DATA / "sigma" / "rules" / "network" / "cisco")
    )
    assert code == 1
    assert "not converted" in err
    assert "keywords" in err


def test_real_entry_point(tmp_path: Path) -> None:
    done = run_subprocess(
        tmp_path / "db", "rules", "list", "--no-builtin-rules", "--rules", str(RULES / "good"), "--format", "json"
    )
    assert done.returncode == 0, done.stderr
    assert len(json.loads(done.stdout)) == 3


def test_check_with_a_missing_taxonomy_root_is_a_usage_error(cli: Cli, tmp_path: Path) -> None:
    code, _, err = cli("rules", "check", "--taxonomy", str(tmp_path), "--no-builtin-rules", str(RULES / "good"))
    assert code == 2
    assert "taxonomy" in err


def test_test_allow_untested_skips_foreign_rules_without_tests(cli: Cli) -> None:
    cloud = str(DATA / "sigma" / "rules" / "cloud")
    assert cli("rules", "test", "--no-builtin-rules", cloud)[0] == 1
    code, out, _ = cli("rules", "test", "--no-builtin-rules", "--allow-untested", cloud)
    assert code == 0
    assert "0 rules, 0 examples, 0 failures (45 retired or without tests skipped)" in out


def test_convert_correlations_and_backend_options(cli: Cli) -> None:
    pack = str(RULES / "correlation")
    code, out, err = cli(
        "rules", "convert", "-t", "sqlite", "--no-builtin-rules", pack,
        "--backend-option", "timestamp_field=record.time", "--format", "json",
    )  # fmt: skip
    assert code == 0, err
    results = {r["rule"]: r for r in json.loads(out)}
    assert set(results) == {
        "corr.brute_force",
        "corr.many_sources",
        "corr.success_after_failure",
    }  # base rules: generate false
    assert "`record.time`" in results["corr.brute_force"]["queries"][0]
    code, _, err = cli("rules", "convert", "-t", "sqlite", "--no-builtin-rules", pack, "--backend-option", "oops")
    assert code == 2
    assert "KEY=VALUE" in err


def test_convert_reports_correlations_a_backend_cannot_express(cli: Cli) -> None:
    if available_targets().get("elasticsearch") != "ok":
        pytest.skip("pysigma-backend-elasticsearch is not installed")
    code, _, err = cli("rules", "convert", "-t", "elasticsearch", "--no-builtin-rules", str(RULES / "correlation"))
    assert code == 1
    assert "corr.brute_force" in err


def test_list_filters_by_tag_level_and_record_type(cli: Cli) -> None:
    base = ("rules", "list", "--no-builtin-rules", "--rules", str(RULES / "good"), "--format", "json")
    names = lambda *extra: sorted(r["name"] for r in json.loads(cli(*base, *extra)[1]))  # noqa: E731
    assert names("--tag", "iec62443") == ["good.cleartext_control_protocol"]
    assert names("--tag", "nist_csf.pr_ds") == ["good.cert_expiring", "good.cleartext_control_protocol"]
    assert names("--level", "medium") == ["good.cleartext_control_protocol", "good.telnet_open"]
    assert names("--record-type", "tls_endpoint") == ["good.cert_expiring"]
    with pytest.raises(SystemExit) as exited:  # argparse's own usage error
        cli(*base, "--level", "severe")
    assert exited.value.code == 2
