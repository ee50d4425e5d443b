"""Structural errors stop the run with exit 65 and the line number, after committing what came
before; bad config exits 2 naming the field; secrets stay out of the log."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.targets.conftest import DATA, TARGET, RunTarget, select, state_lines

STRUCTURAL = [
    ("error_invalid_json.singer", "line 6: invalid JSON"),
    ("error_not_an_object.singer", "line 6: a Singer message must be a JSON object"),
    (
        "error_record_before_schema.singer",
        "line 6: RECORD for stream 'orders' arrived before its SCHEMA",
    ),
    ("error_missing_key.singer", "line 6: RECORD for stream 'users' has no value for key"),
    ("error_null_key.singer", "line 6: RECORD for stream 'users' has no value for key"),
    (
        "error_schema_without_properties.singer",
        "line 6: SCHEMA for stream 'orders' has no 'properties' object",
    ),
    # with one stream declared, the fast path's decoder took a RECORD without "stream" as
    # that stream's and overwrote row 1 (exit 0)
    ("error_record_without_stream.singer", "line 6: RECORD without a 'stream' name"),
    # issue 10, the class of items 7 and 8: each of these was exit 1 (a traceback, or
    # PostgreSQL's refusal as a [system] error) -- or, without a value, a STATE echoed as null
    (
        "error_schema_nul_stream.singer",
        "line 6: SCHEMA for stream 'ord\\x00ers': the name holds a NUL character, which "
        "PostgreSQL cannot store",
    ),
    (
        "error_schema_nul_property.singer",
        "line 6: SCHEMA for stream 'orders': property 'no\\x00te': the name holds a NUL",
    ),
    (
        "error_key_listed_twice.singer",
        "line 6: SCHEMA for stream 'orders': key property 'id' is listed twice in 'key_properties'",
    ),
    (
        "error_anyof_not_a_list.singer",
        "line 6: SCHEMA for stream 'orders': 'anyOf' must be a list of schemas, got "
        '{"type":"integer"}',
    ),
    ("error_state_without_value.singer", "line 6: STATE without a 'value'"),
]


# "types" reads plain records on the fast path, "strict" reads every line the full way
@pytest.mark.parametrize("validate", ["types", "strict"])
@pytest.mark.parametrize(("name", "message"), STRUCTURAL, ids=[s[0] for s in STRUCTURAL])
def test_structural_error_commits_earlier_rows_and_exits_65(
    run_target: RunTarget, db, db_schema: str, name: str, message: str, validate: str
) -> None:
    result = run_target(DATA / name, validate_records=validate)
    assert result.returncode == 65
    assert message in result.stderr
    assert select(db, f'SELECT id, name FROM "{db_schema}".users ORDER BY id') == [
        (1, "a"),
        (2, "b"),
        (3, "c"),
    ]
    assert state_lines(result.stdout) == [{"users": 2}]


def test_key_property_change_is_refused(run_target: RunTarget, db, db_schema: str) -> None:
    result = run_target(DATA / "key_change.singer")
    assert result.returncode == 65
    assert "line 3: SCHEMA for stream 'orders'" in result.stderr
    assert "has primary key ['id']" in result.stderr
    assert select(db, f'SELECT id FROM "{db_schema}".orders') == [(1,)]


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"default_target_schema": "x"}, "database_url: required"),
        ({"database_url": "postgresql://h/db", "colour": "red"}, "unknown config key(s): colour"),
        ({"host": "h", "batch_size_rows": "10"}, "batch_size_rows: must be an integer"),
        ({"host": "h", "add_metadata_columns": "yes"}, "add_metadata_columns: must be a boolean"),
        ({"host": "h", "batch_size_rows": 0}, "batch_size_rows: must be at least 1"),
        ({"database_url": "mysql://h/db"}, "database_url: must be a postgresql:// URL"),
        ({"database_url": "postgresql://h/db", "host": "h"}, "database_url: give either"),
        ({"host": "h", "validate_records": "some"}, "validate_records: must be one of off, types"),
        ({"host": "h", "state_table": "s.t"}, "state_table: give state_table and state_id"),
        ({"host": "h", "batch_size_bytes": 0}, "batch_size_bytes: must be at least 1"),
        ({"host": "h", "hard_delete": "true"}, "hard_delete: must be a boolean"),
    ],
)
def test_bad_config_exits_2_naming_the_field(tmp_path: Path, config: dict, message: str) -> None:
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config))
    result = subprocess.run(
        [str(TARGET), "--config", str(path)],
        input="",
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert message in result.stderr
    assert result.stdout == ""


def test_missing_config_option_exits_2() -> None:
    result = subprocess.run(
        [str(TARGET)], input="", capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 2
    assert "--config: a config file is required" in result.stderr


def test_password_is_never_logged(make_config, warehouse_url: str) -> None:
    url = warehouse_url.replace("postgres:@", "postgres:s3cret-pw@")
    assert "s3cret-pw" in url
    result = subprocess.run(
        [str(TARGET), "--config", str(make_config(database_url=url))],
        input="",
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "s3cret-pw" not in result.stderr
    assert "postgres:***@" in result.stderr


def test_a_password_given_as_a_url_parameter_is_never_logged(
    make_config, warehouse_url: str
) -> None:
    # The embedded warehouse's URL already has a query (?host=...); a matrix
    # server's has none, so the password is then the first parameter.
    separator = "&" if "?" in warehouse_url else "?"
    url = f"{warehouse_url}{separator}password=s3cret-pw"
    result = subprocess.run(
        [str(TARGET), "--config", str(make_config(database_url=url))],
        input="",
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "s3cret-pw" not in result.stderr
    assert f"{separator}password=***" in result.stderr


BAD_STATES = [
    ('"not an object"', 'a state must be a JSON object, not "not an object"'),
    ("[1, 2]", "a state must be a JSON object, not [1, 2]"),
    ("null", "a state must be a JSON object, not null"),
    ('{"bookmarks": [1]}', "a state's 'bookmarks' must be a JSON object, not [1]"),
    (
        '{"bookmarks": {"users": "2024-01-01"}}',
        "stream 'users': a stream's bookmark must be a JSON object, not \"2024-01-01\"",
    ),
]


@pytest.mark.parametrize(("value", "problem"), BAD_STATES, ids=[v for v, _ in BAD_STATES])
def test_a_state_that_is_not_an_object_is_refused_and_never_echoed(
    run_target: RunTarget, db, db_schema: str, tmp_path: Path, value: str, problem: str
) -> None:
    lines = (DATA / "error_missing_key.singer").read_text().splitlines()[:5]
    singer = tmp_path / "bad_state.singer"
    singer.write_text("\n".join([*lines, f'{{"type": "STATE", "value": {value}}}']) + "\n")
    result = run_target(singer, state_table="bizops_state", state_id="p")
    assert result.returncode == 65
    assert f"line 6: STATE refused: {problem}" in result.stderr
    assert state_lines(result.stdout) == [{"users": 2}]
    assert select(db, f'SELECT state FROM "{db_schema}".bizops_state') == [({"users": 2},)]
    assert select(db, f'SELECT id FROM "{db_schema}".users ORDER BY id') == [(1,), (2,)]


USERS = '{"type": "SCHEMA", "stream": "users", "key_properties": %s, "schema": {"type": "object", "properties": {"id": {"type": "integer"}%s}}}'  # noqa: E501
WIDER = ', "extra": {"type": "string"}'


@pytest.mark.parametrize("keys", ["[]", '["id"]'], ids=["keyless", "keyed"])
@pytest.mark.parametrize("complete", [True, False], ids=["complete", "broken"])
def test_with_a_state_table_a_schema_change_commits_no_record_past_the_last_state(
    run_target: RunTarget, db, db_schema: str, tmp_path: Path, keys: str, complete: bool
) -> None:
    lines = [
        USERS % (keys, ""),
        '{"type": "RECORD", "stream": "users", "record": {"id": 1}}',
        '{"type": "STATE", "value": {"n": 1}}',
        '{"type": "RECORD", "stream": "users", "record": {"id": 2}}',
        USERS % (keys, WIDER),  # the stream's table changes after a record no state covers
        '{"type": "RECORD", "stream": "users", "record": {"id": 3, "extra": "x"}}',
        '{"type": "STATE", "value": {"n": 3}}' if complete else '{"type": "REC',
    ]
    source = tmp_path / "schema_change.singer"
    source.write_text("\n".join(lines) + "\n")
    result = run_target(source, state_table="bizops_state", state_id="p")
    assert result.returncode == (0 if complete else 65), result.stderr
    rows = select(db, f'SELECT id, extra FROM "{db_schema}".users ORDER BY id')
    if complete:
        assert rows == [(1, None), (2, None), (3, "x")]
        assert state_lines(result.stdout) == [{"n": 1}, {"n": 3}]
    else:
        assert rows == [(1, None)]
        assert state_lines(result.stdout) == [{"n": 1}]


@pytest.mark.parametrize(
    ("ending", "code", "message"),
    [
        ('{"type": "END_OF_INPUT", "token": "tok"}', 0, None),
        ("", 6, "the input ended without bizops' END_OF_INPUT line"),
        ('{"type": "END_OF_INPUT", "token": "forged"}', 65, "line 6: END_OF_INPUT with a wrong"),
        (
            '{"type": "END_OF_INPUT", "token": "tok"}\n{"type": "STATE", "value": {}}',
            65,
            "line 7: input continues after END_OF_INPUT",
        ),
    ],
    ids=["ended", "cut-short", "wrong-token", "more-after-end"],
)
def test_with_an_end_token_only_a_complete_input_commits_past_the_last_state(
    run_target: RunTarget,
    db,
    db_schema: str,
    tmp_path: Path,
    ending: str,
    code: int,
    message: str | None,
) -> None:
    lines = (DATA / "error_missing_key.singer").read_text().splitlines()[:5]
    source = tmp_path / "ending.singer"
    source.write_text("\n".join([*lines, ending]) + "\n")
    result = run_target(source, state_table="bizops_state", state_id="p", input_end_token="tok")
    assert result.returncode == code, result.stderr
    if message is not None:
        assert message in result.stderr
    committed = [(1,), (2,), (3,)] if code == 0 else [(1,), (2,)]
    assert select(db, f'SELECT id FROM "{db_schema}".users ORDER BY id') == committed


def test_an_end_token_needs_a_state_table(run_target: RunTarget) -> None:
    result = run_target(DATA / "error_missing_key.singer", input_end_token="tok")
    assert result.returncode == 2
    assert "input_end_token: needs state_table" in result.stderr
