"""Hand-made metric marts for the tests of what reads them (`bizops metrics`, the report, the
digest, the dashboards): a schema holding ``metric_history`` and ``metric_values`` as the
transform builds them, filled from rows given, with no world loaded."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import psycopg2

COLUMNS = (
    "metric text, grain text, period_start date, period_end date, period_label text, "
    "dimension text, member text, value numeric, sample_size bigint"
)


def create(
    url: str, schema: str, rows: Iterable[Sequence[str | None]], last_day: str, first_day: str
) -> None:
    """Create ``schema`` with ``metric_history`` (data from ``first_day`` to ``last_day``, built
    the day after) and ``metric_values`` holding ``rows`` (column order as COLUMNS; '' or None
    is null)."""
    conn = psycopg2.connect(url)
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute(f'CREATE SCHEMA "{schema}"')
            cur.execute(
                f'CREATE TABLE "{schema}".metric_history AS SELECT '
                f"timestamptz '{last_day} 00:00:00+00' + interval '1 day' AS as_of, "
                f"date '{last_day}' AS last_day, date '{first_day}' AS first_day"
            )
            cur.execute(f'CREATE TABLE "{schema}".metric_values ({COLUMNS})')
            insert = f'INSERT INTO "{schema}".metric_values VALUES (%s' + ", %s" * 8 + ")"
            for row in rows:
                cur.execute(insert, [None if value == "" else value for value in row])
    finally:
        conn.close()


def drop(url: str, schema: str) -> None:
    """Drop ``schema`` and its tables."""
    conn = psycopg2.connect(url)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    conn.close()
