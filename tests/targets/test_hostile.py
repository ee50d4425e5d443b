"""Hostile Singer input: every line gives a faithful load, a reject with its reason, or exit 65
naming the line after committing everything before it -- the same on the fast and full paths,
and never a crash (exit 1, traceback)."""

from __future__ import annotations

import io
import json
import uuid
from decimal import Decimal
from pathlib import Path

import psycopg2
import pytest

from bizops_core.errors import DataError
from target_postgres import reader
from target_postgres.config import TargetConfig
from target_postgres.runner import load
from tests.targets.conftest import DATA, RunTarget, select, state_lines

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


# --- every line of tests/data/hostile_lines.singer, in-process, on both paths ---------------
HOSTILE = (DATA / "hostile_lines.singer").read_bytes().split(b"\n")[:-1]
PREFIX = [
    json.dumps(SCHEMA).encode(),
    record(1, "fast").encode(),
    b'{"type":"STATE","value":{"bookmarks":{}}}',
]
SUFFIX = [record(9, "fast").encode()]


def outcome(warehouse_url: str, schema: str, lines: list[bytes], validate: str) -> tuple:
    """What a run in-process did: its DataError (None on success), the ids in users, and the
    rejects (line, loaded). Any other exception fails the test."""
    config = TargetConfig(
        database_url=warehouse_url, default_target_schema=schema, validate_records=validate
    )
    error = None
    try:
        load(config, lines, io.StringIO())
    except DataError as exc:
        error = str(exc)
    conn = psycopg2.connect(warehouse_url)
    try:
        with conn.cursor() as cur:
            cur.execute(f'SELECT id FROM "{schema}".users ORDER BY id')
            ids = [row[0] for row in cur.fetchall()]
            cur.execute(f'SELECT line, loaded FROM "{schema}"._bizops_rejects ORDER BY line')
            rejects = cur.fetchall()
            cur.execute(f'DROP SCHEMA "{schema}" CASCADE')
        conn.commit()
    finally:
        conn.close()
    return error, ids, rejects


def test_no_hostile_line_crashes_and_both_paths_agree(warehouse_url: str) -> None:
    failures = []
    for index, line in enumerate(HOSTILE, 1):
        lines = [*PREFIX, line, *SUFFIX]
        seen = {}
        for validate in ("types", "strict"):  # the fast path, and the full path alone
            schema = f"h_{uuid.uuid4().hex[:12]}"
            try:
                seen[validate] = outcome(warehouse_url, schema, lines, validate)
            except Exception as exc:  # noqa: BLE001 - a crash is what this test looks for
                failures.append(f"hostile line {index}, {validate}: {exc!r}")
                continue
            error, ids, _ = seen[validate]
            if error is not None and (not error.startswith("line 4: ") or ids != [1]):
                failures.append(f"hostile line {index}, {validate}: {error!r}, ids {ids}")
        if len(seen) == 2 and seen["types"] != seen["strict"]:
            failures.append(f"hostile line {index}: paths differ: {seen}")
    assert failures == []


@pytest.mark.parametrize("validate", ["types", "strict"])
def test_huge_numbers_load_or_are_rejected_promptly_on_the_full_path(
    run_target: RunTarget, tmp_path: Path, db, db_schema: str, validate: str
) -> None:
    # the full path made 1e999999999 an int (a billion digits: the target hung) and refused
    # int() of a 5,000-digit integer ("invalid JSON", exit 65) that the fast path loads
    digits = "9" * 5000
    schema = {"type": "SCHEMA", "stream": "big", "key_properties": ["id"]}
    schema["schema"] = {"properties": {"id": {"type": "integer"}, "n": {"type": "number"}}}
    lines = [json.dumps(schema)]
    for id_, n in [(1, "1e999999999"), (2, digits), (3, "1e400")]:
        lines.append(f'{{"type": "RECORD", "stream": "big", "record": {{"id": {id_}, "n": {n}}}}}')
    source = tmp_path / "in.singer"
    source.write_text("\n".join(lines) + "\n")
    result = run_target(source, validate_records=validate)  # (the fixture's timeout: 120 s)
    assert result.returncode == 0, result.stderr
    assert select(db, f'SELECT id, n FROM "{db_schema}".big ORDER BY id') == [
        (2, Decimal(digits)),
        (3, 10**400),
    ]
    assert select(db, f'SELECT line, reason FROM "{db_schema}"._bizops_rejects') == [
        (2, "PostgreSQL refused a value: column 'n': value overflows numeric format")
    ]
