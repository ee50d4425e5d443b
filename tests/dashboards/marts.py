"""The metric marts the dashboard tests read: metric_values from metric_values.csv and a
metric_history whose data ends on 2024-11-15 (so FY2025-Q3 is the latest complete quarter)."""

from __future__ import annotations

import csv
from pathlib import Path

import psycopg2

ROWS = Path(__file__).with_name("metric_values.csv")
LAST_DAY = "2024-11-15"


def rows() -> list[dict[str, str]]:
    """The rows of metric_values.csv."""
    with ROWS.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def create(url: str, schema: str) -> None:
    """Create ``schema`` with metric_values (the CSV's rows) and metric_history."""
    conn = psycopg2.connect(url)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(f'CREATE SCHEMA "{schema}"')
        cur.execute(
            f'CREATE TABLE "{schema}".metric_history AS SELECT '
            f"timestamptz '{LAST_DAY} 00:00:00+00' + interval '1 day' AS as_of, "
            f"date '{LAST_DAY}' AS last_day, date '2023-02-01' AS first_day"
        )
        cur.execute(
            f'CREATE TABLE "{schema}".metric_values (metric text, grain text, '
            "period_start date, period_end date, period_label text, dimension text, member text, "
            "value numeric, sample_size bigint)"
        )
        with ROWS.open(encoding="utf-8") as handle:
            cur.copy_expert(
                f'COPY "{schema}".metric_values FROM STDIN WITH (FORMAT csv, HEADER true)', handle
            )
    conn.close()


def drop(url: str, schema: str) -> None:
    """Drop ``schema`` and its tables."""
    conn = psycopg2.connect(url)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    conn.close()
