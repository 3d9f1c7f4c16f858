"""The records scanner: JSON, JSON lines and nested objects in; clear errors with file and line."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from xposture.errors import InputError
from xposture.scanners.base import ScanContext, SourceConfig
from xposture.scanners.records import RecordsScanner, flatten


def scan(tmp_path: Path, **options: object) -> tuple[list[dict[str, object]], ScanContext]:
    ctx = ScanContext()
    source = SourceConfig(scanner="records", options={"paths": ["in"], **options}, base_dir=tmp_path)
    return list(RecordsScanner().scan(source, ctx)), ctx


def test_jsonl_and_nested_objects_become_flat_records(tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    lines = [
        {"record.type": "network_flow", "flow": {"protocol": "modbus", "ports": [502]}, "asset.id": "ip:/10.0.0.1"},
        {"record.type": "network_flow", "flow": {"protocol": "s7comm", "ops": [{"fc": 26}]}},
    ]
    (tmp_path / "in" / "a.jsonl").write_text("\n".join(json.dumps(x) for x in lines) + "\n")
    records, ctx = scan(tmp_path, layer="ot")
    assert records[0]["flow.protocol"] == "modbus"
    assert records[0]["flow.ports"] == [502]
    assert records[0]["asset.id"] == "ip:/10.0.0.1"
    assert records[1]["flow.ops"] == '[{"fc": 26}]'
    assert records[1]["source.line"] == 2
    assert records[0]["record.key"] != records[1]["record.key"]
    assert [(c.target.endswith("a.jsonl"), c.status, c.records) for c in ctx.coverage] == [(True, "ok", 2)]


def test_cloudtrail_style_document_with_forced_type(tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    doc = {
        "Records": [{"eventName": "DeleteTrail", "eventSource": "cloudtrail.amazonaws.com", "recipientAccountId": "1"}]
    }
    (tmp_path / "in" / "ct.json").write_text(json.dumps(doc))
    records, _ = scan(tmp_path, record_type="aws_cloudtrail_event", asset_field="recipientAccountId", layer="cloud")
    assert records[0]["record.type"] == "aws_cloudtrail_event"
    assert records[0]["asset.id"] == "1"
    assert records[0]["record.layer"] == "cloud"


def test_bad_json_line_names_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "bad.jsonl").write_text('{"record.type": "x"}\n{"record.type": \n')
    with pytest.raises(InputError) as caught:
        scan(tmp_path)
    assert caught.value.line == 2
    assert caught.value.file is not None and caught.value.file.endswith("bad.jsonl")


def test_record_without_type_is_refused(tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "x.json").write_text('[{"a": 1}]')
    with pytest.raises(InputError, match="no 'record.type'"):
        scan(tmp_path)


def test_missing_path_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        scan(tmp_path)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=5),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=4), children, max_size=3),
    max_leaves=12,
)


@given(st.dictionaries(st.text(max_size=6), json_values, max_size=5))
def test_flatten_yields_only_scalars_and_scalar_lists(document: dict[str, object]) -> None:
    for value in flatten(document).values():
        if isinstance(value, list):
            assert all(not isinstance(v, (dict, list)) for v in value)
        else:
            assert not isinstance(value, dict)


@given(st.binary(max_size=300))
def test_arbitrary_bytes_give_records_or_input_error(tmp_path_factory: pytest.TempPathFactory, payload: bytes) -> None:
    base = tmp_path_factory.mktemp("fuzz")
    (base / "in").mkdir()
    (base / "in" / "f.json").write_bytes(payload)
    with contextlib.suppress(InputError):
        scan(base)
