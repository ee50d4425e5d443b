"""target-postgres loads rows with the right column types and exactly the values sent."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from tests.targets.conftest import DATA, RunTarget, select, state_lines

UTC = dt.UTC
NO_DATES = (None, None, None)  # ts_nullable, day, clock
COLUMNS = "id, camelcase_name, ts, ts_nullable, day, clock, amount, big, flag, multi, maybe_dt"

EXPECTED_SCALARS = [
    (
        1,
        'line1\nline2\ttab "quoted" back\\slash é 😀',
        dt.datetime(2024, 3, 1, 7, 4, 56, 123456, tzinfo=UTC),
        None,
        dt.date(2024, 2, 29),
        dt.time(23, 59, 59, 999999),
        Decimal("0.1"),
        9223372036854775807,
        True,
        "abc",
        "not a date",
    ),
    (
        2,
        "",
        dt.datetime(2024, 3, 1, tzinfo=UTC),
        *NO_DATES,
        Decimal("1E-30"),
        None,
        False,
        "42",
        None,
    ),
    (
        3,
        None,
        dt.datetime(2000, 1, 1, 7, 59, 59, 1, tzinfo=UTC),
        None,
        None,
        None,
        Decimal("123456789012345678901234567890.123456789"),
        -9223372036854775808,
        None,
        "NULL",
        "2024-01-01T00:00:00Z",
    ),
    (
        4,
        "\\.",
        dt.datetime(2024, 1, 1, tzinfo=UTC),
        *NO_DATES,
        Decimal("3.0"),
        None,
        None,
        "\\N",
        None,
    ),
    (
        5,
        ',;"\r\n',
        dt.datetime(2024, 7, 1, 0, 29, 59, 999999, tzinfo=UTC),
        *NO_DATES,
        Decimal("-0.000001"),
        0,
        None,
        None,
        None,
    ),
]


def test_column_types_follow_the_json_schema(run_target: RunTarget, db, db_schema: str) -> None:
    result = run_target(DATA / "types.singer")
    assert result.returncode == 0, result.stderr
    types = dict(
        select(
            db,
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = %s AND table_name = 'typed_values'",
            db_schema,
        )
    )
    assert types == {
        "id": "bigint",
        "camelcase_name": "text",
        "ts": "timestamp with time zone",
        "ts_nullable": "timestamp with time zone",
        "day": "date",
        "clock": "time without time zone",
        "amount": "numeric",
        "big": "bigint",
        "flag": "boolean",
        "obj": "jsonb",
        "arr": "jsonb",
        "multi": "text",
        "multi_json": "jsonb",
        "maybe_dt": "text",
        "_sdc_extracted_at": "timestamp with time zone",
        "_sdc_received_at": "timestamp with time zone",
        "_sdc_batched_at": "timestamp with time zone",
        "_sdc_deleted_at": "timestamp with time zone",
        "_sdc_sequence": "bigint",
        "_sdc_table_version": "bigint",
    }
    primary_key = select(
        db,
        "SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid "
        "AND a.attnum = ANY(i.indkey) WHERE i.indrelid = %s::regclass AND i.indisprimary",
        f'"{db_schema}"."typed_values"',
    )
    assert primary_key == [("id",)]


def test_scalar_values_arrive_exactly(run_target: RunTarget, db, db_schema: str) -> None:
    result = run_target(DATA / "types.singer")
    assert result.returncode == 0, result.stderr
    rows = select(db, f'SELECT {COLUMNS} FROM "{db_schema}".typed_values ORDER BY id')
    assert rows == EXPECTED_SCALARS


def test_json_values_arrive_exactly(run_target: RunTarget, db, db_schema: str) -> None:
    result = run_target(DATA / "types.singer")
    assert result.returncode == 0, result.stderr
    rows = select(
        db,
        f'SELECT id, obj::text, arr::text, multi_json::text FROM "{db_schema}".typed_values '
        "ORDER BY id",
    )
    assert rows == [
        (1, '{"a": 1, "b": [1, 2], "c": 0.1}', '[1, "x", null]', '{"k": "v"}'),
        (2, None, None, '"plain"'),
        (3, '{"n": 123456789012345678901234567890, "x": 1.00000000000000000001}', "[]", None),
        (4, None, None, '{"nested": {"deep": [true, false]}}'),
        (5, None, None, None),
    ]


def test_metadata_columns_are_filled(run_target: RunTarget, db, db_schema: str) -> None:
    before = dt.datetime.now(UTC)
    result = run_target(DATA / "types.singer")
    after = dt.datetime.now(UTC)
    assert result.returncode == 0, result.stderr
    rows = select(
        db,
        "SELECT id, _sdc_extracted_at, _sdc_received_at, _sdc_batched_at, _sdc_deleted_at, "
        f'_sdc_sequence, _sdc_table_version FROM "{db_schema}".typed_values ORDER BY id',
    )
    assert rows[0][1] == dt.datetime(2024, 3, 1, 9, 0, 0, 654321, tzinfo=UTC)
    assert all(row[1] is None for row in rows[1:])
    assert all(before <= row[2] <= row[3] <= after for row in rows)
    assert all(row[4] is None and row[6] is None for row in rows)
    sequences = [row[5] for row in rows]
    assert sequences == sorted(sequences)
    assert len(set(sequences)) == len(sequences)


def test_metadata_columns_can_be_turned_off(run_target: RunTarget, db, db_schema: str) -> None:
    result = run_target(DATA / "upserts.singer", add_metadata_columns=False)
    assert result.returncode == 0, result.stderr
    columns = select(
        db,
        "SELECT column_name FROM information_schema.columns WHERE table_schema = %s "
        "AND table_name = 'accounts' ORDER BY ordinal_position",
        db_schema,
    )
    assert columns == [("id",), ("name",)]


def test_state_is_written_as_the_bare_value(run_target: RunTarget) -> None:
    result = run_target(DATA / "types.singer")
    assert result.returncode == 0, result.stderr
    assert state_lines(result.stdout) == [{"bookmarks": {"Typed Values": {"id": 5}}}]


def test_a_new_schema_adds_columns_and_keeps_old_ones(
    run_target: RunTarget, db, db_schema: str
) -> None:
    result = run_target(DATA / "schema_evolution.singer")
    assert result.returncode == 0, result.stderr
    rows = select(db, f'SELECT id, total, note FROM "{db_schema}".orders ORDER BY id')
    assert rows == [(1, Decimal("1"), "updated"), (2, None, "new column")]


def test_missing_schema_is_created(run_target: RunTarget, db, db_schema: str) -> None:
    schema = f"{db_schema}_new"
    try:
        result = run_target(DATA / "upserts.singer", default_target_schema=schema)
        assert result.returncode == 0, result.stderr
        assert select(db, f'SELECT count(*) FROM "{schema}".accounts') == [(2,)]
    finally:
        with db.cursor() as cur:
            cur.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def test_other_message_types_are_ignored(run_target: RunTarget, db, db_schema: str) -> None:
    result = run_target(DATA / "other_messages.singer")
    assert result.returncode == 0, result.stderr
    assert select(db, f'SELECT id FROM "{db_schema}".orders') == [(1,)]
    assert state_lines(result.stdout) == [{"done": True}]
    assert "activated version 1; 0 older row(s) marked deleted" in result.stderr


def test_a_property_named_like_a_metadata_column_fills_it(
    run_target: RunTarget, db, db_schema: str
) -> None:
    result = run_target(DATA / "sdc_property.singer")
    assert result.returncode == 0, result.stderr
    rows = select(db, f'SELECT id, _sdc_deleted_at FROM "{db_schema}".acct ORDER BY id')
    assert rows == [("a", None), ("b", dt.datetime(2024, 1, 1, tzinfo=UTC))]
