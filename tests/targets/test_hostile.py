"""Hostile Singer input: every line gives a faithful load, a reject with its reason, or exit 65
naming the line after committing everything before it -- the same on the fast and full paths,
and never a crash (exit 1, traceback)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from target_postgres import reader
from tests.targets.conftest import RunTarget, select, state_lines

SCHEMA = {
    "type": "SCHEMA",
    "stream": "users",
    "key_properties": ["id"],
    "schema": {
        "properties": {
            "id": {"type": "integer"},
            "name": {"type": ["null", "string"]},
            "n": {"type": ["null", "number"]},
            "doc": {"type": ["null", "object"]},
        }
    },
}
# How a record line reaches the loader: "fast" (msgspec), "exact" (a number a double cannot
# hold sends the line through the standard library's decoder), "nul" (an escaped NUL: the full
# path, and a loaded reject), "strict" (validate_records strict: the full path and jsonschema).
PATHS = {
    "fast": ({}, {}),
    "exact": ({"n": 12345678901234567890}, {}),
    "nul": ({"name": "x\x00"}, {}),
    "strict": ({}, {"validate_records": "strict"}),
}


def nested(depth: int) -> str:
    """A JSON object nested ``depth`` levels deep: {"a": {"a": ... {} ...}}."""
    return '{"a":' * (depth - 1) + "{}" + "}" * (depth - 1)


def record(id_: int, path: str, doc: str | None = None) -> str:
    fields = {"id": id_, **PATHS[path][0]}
    text = json.dumps({"type": "RECORD", "stream": "users", "record": fields})
    return text if doc is None else text[:-2] + f', "doc": {doc}}}}}'


def write(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join([json.dumps(SCHEMA), *lines]) + "\n")
    return path


@pytest.mark.parametrize("path", list(PATHS))
def test_a_line_nested_too_deeply_exits_65_naming_it_after_committing_what_came_before(
    run_target: RunTarget, tmp_path: Path, db, db_schema: str, path: str
) -> None:
    # issue 10 item 8: a record nested 5,000 levels crashed the target (RecursionError, exit 1)
    # and the valid record before it was not committed
    lines = [record(1, path), json.dumps({"type": "STATE", "value": {"users": 1}})]
    lines += [record(2, path), record(3, path, nested(5000)), record(4, path)]
    result = run_target(write(tmp_path / "in.singer", lines), **PATHS[path][1])
    assert result.returncode == 65, result.stderr
    assert "line 5: invalid JSON: nested deeper than 1024 levels" in result.stderr
    assert "Traceback" not in result.stderr
    assert select(db, f'SELECT id FROM "{db_schema}".users ORDER BY id') == [(1,), (2,)]
    assert state_lines(result.stdout) == [{"users": 1}]


@pytest.mark.parametrize("path", list(PATHS))
def test_values_nested_up_to_the_depth_limit_load_exactly(
    run_target: RunTarget, tmp_path: Path, db, db_schema: str, path: str
) -> None:
    # the line is 1024 levels deep (message, record, 1022 of doc): the deepest orjson reads;
    # past msgspec's (~1000) and orjson.dumps' (254) depths and Python's recursion limit
    doc = nested(1022)
    state = nested(1023)  # the STATE line is 1024 levels deep too
    lines = [record(1, path, doc), f'{{"type": "STATE", "value": {state}}}', record(2, path)]
    result = run_target(write(tmp_path / "in.singer", lines), **PATHS[path][1])
    assert result.returncode == 0, result.stderr
    query = f'SELECT id, doc = %s::jsonb FROM "{db_schema}".users ORDER BY id'
    assert select(db, query, doc) == [(1, True), (2, None)]
    assert result.stdout.splitlines() == [state]
    rejects = select(db, f'SELECT line, loaded FROM "{db_schema}"._bizops_rejects ORDER BY line')
    assert rejects == ([(2, True), (4, True)] if path == "nul" else [])


@pytest.mark.parametrize("long_number", [False, True])
def test_the_reader_takes_1024_levels_and_names_the_limit_beyond(long_number: bool) -> None:
    number = b"12345678901234567890" if long_number else b"1"  # the exact or the orjson way
    deepest = b"[" * 1024 + number + b"]" * 1024
    assert reader.encode(reader.decode(deepest)) == deepest.decode()
    with pytest.raises(ValueError, match=r"^nested deeper than 1024 levels$"):
        reader.decode(b"[" + deepest + b"]")


def test_a_schema_postgresql_cannot_hold_exits_65_naming_the_line(
    run_target: RunTarget, tmp_path: Path, db, db_schema: str
) -> None:
    # was exit 1: "[system] PostgreSQL error: tables can have at most 1600 columns"
    wide = {f"p{i}": {"type": "string"} for i in range(1700)}
    lines = [record(1, "fast"), json.dumps({"type": "STATE", "value": {"users": 1}})]
    lines.append(json.dumps({"type": "SCHEMA", "stream": "wide", "schema": {"properties": wide}}))
    result = run_target(write(tmp_path / "in.singer", lines))
    assert result.returncode == 65, result.stderr
    assert (
        "line 4: SCHEMA for stream 'wide': PostgreSQL cannot hold the table: tables can have at "
        "most 1600 columns"
    ) in result.stderr
    assert select(db, f'SELECT id FROM "{db_schema}".users') == [(1,)]
    assert state_lines(result.stdout) == [{"users": 1}]


@pytest.mark.parametrize("validate", ["types", "strict"])
def test_an_integer_written_with_an_exponent_loads_as_written(
    run_target: RunTarget, tmp_path: Path, db, db_schema: str, validate: str
) -> None:
    # 1e30 is the integer 10**30; int(1e30) is the double's 1000000000000000019884624838656
    schema = {"type": "SCHEMA", "stream": "counts", "key_properties": ["id"]}
    schema["schema"] = {"properties": {"id": {"type": "integer"}, "c": {"type": "integer"}}}
    lines = [json.dumps(schema)]
    lines += [
        f'{{"type": "RECORD", "stream": "counts", "record": {{"id": {i}, "c": {c}}}}}'
        for i, c in [(1, "1e30"), (2, "2.0"), (3, "-4E+18"), (4, "1e0")]
    ]
    source = tmp_path / "in.singer"
    source.write_text("\n".join(lines) + "\n")
    result = run_target(source, validate_records=validate)
    assert result.returncode == 0, result.stderr
    # the column becomes numeric (10**30 is beyond 64 bits); values compare exactly
    assert select(db, f'SELECT id, c FROM "{db_schema}".counts ORDER BY id') == [
        (1, 10**30),
        (2, 2),
        (3, -4 * 10**18),
        (4, 1),
    ]


def test_a_format_that_is_not_a_string_names_no_column_type(
    run_target: RunTarget, tmp_path: Path, db, db_schema: str
) -> None:
    # was a TypeError traceback (an unhashable format), exit 1
    schema = {"type": "SCHEMA", "stream": "notes", "key_properties": []}
    schema["schema"] = {"properties": {"at": {"type": "string", "format": ["date-time"]}}}
    record_line = {"type": "RECORD", "stream": "notes", "record": {"at": "not a date"}}
    source = tmp_path / "in.singer"
    source.write_text(json.dumps(schema) + "\n" + json.dumps(record_line) + "\n")
    result = run_target(source)
    assert result.returncode == 0, result.stderr
    assert select(db, f'SELECT at FROM "{db_schema}".notes') == [("not a date",)]


def test_strict_validation_too_deep_for_jsonschema_is_a_reject(
    run_target: RunTarget, tmp_path: Path, db, db_schema: str
) -> None:
    # a schema and a record 500 levels deep: jsonschema recurses past Python's limit (was a
    # RecursionError traceback); the record is kept, raw, in the rejects table
    levels = 500
    doc_schema = (
        '{"type":"object","properties":{"a":' * levels + '{"type":"string"}' + "}}" * levels
    )
    schema = (
        '{"type":"SCHEMA","stream":"s","key_properties":["id"],"schema":{"properties":'
        f'{{"id":{{"type":"integer"}},"doc":{doc_schema}}}}}}}'
    )
    deep = '{"type":"RECORD","stream":"s","record":{"id":1,"doc":' + '{"a":' * levels + '"x"'
    deep += "}" * levels + "}}"
    shallow = '{"type":"RECORD","stream":"s","record":{"id":2}}'
    source = tmp_path / "in.singer"
    source.write_text("\n".join([schema, deep, shallow]) + "\n")
    result = run_target(source, validate_records="strict")
    assert result.returncode == 0, result.stderr
    assert select(db, f'SELECT id FROM "{db_schema}".s') == [(2,)]
    assert select(db, f'SELECT stream, line, raw, reason FROM "{db_schema}"._bizops_rejects') == [
        ("s", 2, deep, "record: nested too deeply for strict validation")
    ]
