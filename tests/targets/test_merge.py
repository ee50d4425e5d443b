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
