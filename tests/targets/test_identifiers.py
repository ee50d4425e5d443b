"""Stream and property names become distinct, safe, quoted identifiers of at most 63 bytes,
remembered in _bizops_identifiers so that the next run finds the same tables and columns."""

from __future__ import annotations

import json

from tests.targets.conftest import DATA, RunTarget, select

STREAM = "Stream With A Very Long Name That Goes On And On Beyond Sixty Three Bytes Of Text"


def _mapping(db, schema: str) -> dict[tuple[str, str], str]:
    rows = select(db, f'SELECT kind, name, identifier FROM "{schema}"._bizops_identifiers')
    return {(kind, name): ident for kind, name, ident in rows}


def test_colliding_and_long_names_get_distinct_identifiers(
    run_target: RunTarget, db, db_schema: str
) -> None:
    result = run_target(DATA / "identifiers.singer")
    assert result.returncode == 0, result.stderr
    mapping = _mapping(db, db_schema)
    table = mapping[("table", STREAM)]
    assert len(table.encode()) <= 63 and table.startswith("stream_with_a_very_long_name")
    record = json.loads((DATA / "identifiers.singer").read_text().splitlines()[1])["record"]
    columns = [mapping[("column", name)] for name in record]
    assert len(set(columns)) == len(columns)
    assert all(len(column.encode()) <= 63 for column in columns)
    assert mapping[("column", "firstname")] == "firstname"
    assert mapping[("column", "first_name")] == "first_name"
    assert mapping[("column", "Größe ☃")] == "größe_"
    assert mapping[("column", "_sdc_SEQUENCE")] != "_sdc_sequence"
    quoted = ", ".join(f'"{column}"' for column in columns)
    assert select(db, f'SELECT {quoted} FROM "{db_schema}"."{table}"') == [tuple(record.values())]
    # across SCHEMA messages the first stream keeps the plain name
    assert mapping[("table", "Orders")] == "orders"
    assert mapping[("table", "orders")].startswith("orders_")
    assert select(db, f'SELECT x FROM "{db_schema}".orders') == [(1,)]
    assert select(db, f'SELECT x FROM "{db_schema}"."{mapping[("table", "orders")]}"') == [(2,)]


def test_the_next_run_reuses_the_stored_mapping(run_target: RunTarget, db, db_schema: str) -> None:
    assert run_target(DATA / "identifiers.singer").returncode == 0
    before = _mapping(db, db_schema)
    result = run_target(DATA / "identifiers.singer")
    assert result.returncode == 0, result.stderr
    assert _mapping(db, db_schema) == before
    table = before[("table", STREAM)]
    assert select(db, f'SELECT count(*) FROM "{db_schema}"."{table}"') == [(1,)]
    assert select(db, f'SELECT count(*) FROM "{db_schema}".orders') == [(2,)]  # appended twice


def test_colliding_property_names_keep_their_values_apart(
    run_target: RunTarget, db, db_schema: str
) -> None:
    result = run_target(DATA / "name_collision.singer")
    assert result.returncode == 0, result.stderr
    mapping = _mapping(db, db_schema)
    assert mapping[("column", "firstname")] == "firstname"
    assert mapping[("column", "FirstName")].startswith("firstname_")
