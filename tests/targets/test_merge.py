"""Keyed streams keep the last version of every key; streams without keys are appended."""

from __future__ import annotations

import pytest

from tests.targets.conftest import DATA, RunTarget, select, state_lines


@pytest.mark.parametrize("batch_size_rows", [1, 2, 100000])
def test_last_version_of_a_key_wins(
    run_target: RunTarget, db, db_schema: str, batch_size_rows: int
) -> None:
    result = run_target(DATA / "upserts.singer", batch_size_rows=batch_size_rows)
    assert result.returncode == 0, result.stderr
    rows = select(db, f'SELECT id, name FROM "{db_schema}".accounts ORDER BY id')
    assert rows == [(1, "v3"), (2, "v2")]


@pytest.mark.parametrize("batch_size_rows", [1, 100000])
def test_composite_keys_merge_on_every_key_column(
    run_target: RunTarget, db, db_schema: str, batch_size_rows: int
) -> None:
    result = run_target(DATA / "upserts.singer", batch_size_rows=batch_size_rows)
    assert result.returncode == 0, result.stderr
    rows = select(db, f'SELECT org, "user", role FROM "{db_schema}".memberships ORDER BY 1, 2')
    assert rows == [("a", 1, "x2"), ("a", 2, "y"), ("b", 1, "z")]
    primary_key = select(
        db,
        "SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid "
        "AND a.attnum = ANY(i.indkey) WHERE i.indrelid = %s::regclass AND i.indisprimary "
        "ORDER BY array_position(i.indkey::int2[], a.attnum)",
        f'"{db_schema}"."memberships"',
    )
    assert primary_key == [("org",), ("user",)]


def test_streams_without_keys_are_appended(run_target: RunTarget, db, db_schema: str) -> None:
    assert run_target(DATA / "upserts.singer").returncode == 0
    assert run_target(DATA / "upserts.singer", batch_size_rows=1).returncode == 0
    rows = select(db, f'SELECT id, what FROM "{db_schema}".events ORDER BY _sdc_sequence')
    assert rows == [(1, "open"), (1, "open"), (2, "close")] * 2
    assert select(db, f'SELECT count(*) FROM "{db_schema}".accounts') == [(2,)]


def test_every_state_is_echoed_in_order(run_target: RunTarget) -> None:
    result = run_target(DATA / "upserts.singer", batch_size_rows=1)
    assert result.returncode == 0, result.stderr
    assert state_lines(result.stdout) == [{"step": 1}, {"step": 2}]


def test_stored_keys_arriving_again_are_merged(
    run_target: RunTarget, db, db_schema: str, tmp_path
) -> None:
    schema = (
        '{"type": "SCHEMA", "stream": "kv", "key_properties": ["k"], "schema": {"type": '
        '"object", "properties": {"k": {"type": "integer"}, "v": {"type": "string"}}}}'
    )
    first, second = tmp_path / "first.singer", tmp_path / "second.singer"
    rows = [
        f'{{"type": "RECORD", "stream": "kv", "record": {{"k": {k}, "v": "old{k}"}}}}'
        for k in (1, 2)
    ]
    first.write_text("\n".join([schema, *rows]) + "\n")
    again = [
        f'{{"type": "RECORD", "stream": "kv", "record": {{"k": {k}, "v": "new{k}"}}}}'
        for k in (2, 3)
    ]
    second.write_text("\n".join([schema, *again]) + "\n")
    assert run_target(first).returncode == 0  # new keys: a plain COPY
    result = run_target(second)  # key 2 is stored: the COPY is undone and the batch merged
    assert result.returncode == 0, result.stderr
    assert "stored keys arrive again; merging from now on" in result.stderr
    assert select(db, f'SELECT k, v FROM "{db_schema}".kv ORDER BY k') == [
        (1, "old1"),
        (2, "new2"),
        (3, "new3"),
    ]
