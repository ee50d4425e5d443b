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


def _kv_lines(records: list[str], extra: str = "") -> list[str]:
    schema = (
        '{"type": "SCHEMA", "stream": "kv", "key_properties": ["k"], "schema": {"type": '
        '"object", "properties": {"k": {"type": "integer"}, "v": {"type": "string"}' + extra + "}}}"
    )
    return [schema] + [f'{{"type": "RECORD", "stream": "kv", "record": {r}}}' for r in records]


@pytest.mark.parametrize("validate_records", ["types", "strict"])  # fast path, full path
@pytest.mark.parametrize("batch_size_rows", [3, 100000])
def test_keys_repeated_in_one_run_keep_their_last_version_without_a_fallback(
    run_target: RunTarget, db, db_schema: str, tmp_path, batch_size_rows: int, validate_records
) -> None:
    # New keys are copied into the table; a key sent earlier in the run (in this batch or an
    # earlier one) is merged after them, so no COPY ever meets a stored key.
    keys = [1, 2, 3, 2, 4, 1, 5, 2, 6, 7, 3, 3, 8]
    records = [f'{{"k": {k}, "v": "v{k}-{n}"}}' for n, k in enumerate(keys)]
    path = tmp_path / "repeats.singer"
    path.write_text("\n".join(_kv_lines(records)) + "\n")
    result = run_target(path, batch_size_rows=batch_size_rows, validate_records=validate_records)
    assert result.returncode == 0, result.stderr
    assert "merging from now on" not in result.stderr
    last = {k: f"v{k}-{n}" for n, k in enumerate(keys)}
    assert select(db, f'SELECT k, v FROM "{db_schema}".kv ORDER BY k') == sorted(last.items())
    sequence = select(db, f'SELECT k FROM "{db_schema}".kv ORDER BY _sdc_sequence')
    assert [k for (k,) in sequence] == sorted(
        last, key=lambda k: max(n for n, key in enumerate(keys) if key == k)
    )  # each row is the version that came last


@pytest.mark.parametrize("new_key_refused", [False, True])
def test_a_refused_value_in_an_updating_row_is_rejected_with_its_line(
    run_target: RunTarget, db, db_schema: str, tmp_path, new_key_refused: bool
) -> None:
    # one batch: keys 1 and 2 (and 3) are copied, then the repeats of 1 and 2 merged; the
    # merged half holds a date PostgreSQL refuses (and, in one case, the copied half too)
    at = ', "at": {"type": "string", "format": "date-time"}'
    records = [
        '{"k": 1, "v": "first", "at": "2024-01-01T00:00:00Z"}',
        '{"k": 2, "v": "two", "at": "2024-01-02T00:00:00Z"}',
        '{"k": 1, "v": "second", "at": "2024-13-45T00:00:00Z"}',  # line 4: no such date
        '{"k": 3, "v": "three", "at": "2024-02-%s"}' % ("30" if new_key_refused else "03"),
        '{"k": 2, "v": "two again", "at": "2024-01-03T00:00:00Z"}',
    ]
    path = tmp_path / "refused.singer"
    path.write_text("\n".join(_kv_lines(records, at)) + "\n")
    result = run_target(path)
    assert result.returncode == 0, result.stderr
    expected = [(1, "first"), (2, "two again")] + ([] if new_key_refused else [(3, "three")])
    assert select(db, f'SELECT k, v FROM "{db_schema}".kv ORDER BY k') == expected
    rejects = select(db, f'SELECT line, reason FROM "{db_schema}"._bizops_rejects ORDER BY line')
    assert [line for line, _ in rejects] == ([4, 5] if new_key_refused else [4])
    assert all("column 'at'" in reason for _, reason in rejects)
