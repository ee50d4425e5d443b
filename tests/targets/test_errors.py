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
