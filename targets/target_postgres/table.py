"""DDL of the target tables: the schema, CREATE TABLE with a primary key, added columns."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from psycopg2 import sql

from bizops_core.errors import DataError
from target_postgres import types

LOGGER = logging.getLogger("target_postgres.table")

COLUMNS_QUERY = """
SELECT a.attname, format_type(a.atttypid, a.atttypmod)
FROM pg_attribute a
JOIN pg_class c ON c.oid = a.attrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = %s AND c.relname = %s AND c.relkind IN ('r', 'p')
  AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY a.attnum
"""
_PRIMARY_KEY = """
SELECT a.attname
FROM pg_index i
JOIN pg_class c ON c.oid = i.indrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
WHERE n.nspname = %s AND c.relname = %s AND i.indisprimary
ORDER BY array_position(i.indkey::int2[], a.attnum)
"""


def ensure_schema(cur: Any, schema: str) -> None:
    """Create the schema unless it exists (checked first: IF NOT EXISTS needs CREATE rights)."""
    cur.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", (schema,))
    if cur.fetchone() is None:
        cur.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(schema)))
        LOGGER.info("created schema %s", schema)


def sync_table(
    cur: Any, schema: str, table: str, columns: Sequence[tuple[str, str]], keys: Sequence[str]
) -> dict[str, str]:
    """Make the table hold the given columns: create it, or add the columns it lacks.

    Columns are never dropped or narrowed: a column whose type cannot hold the schema's type is
    widened in place (bigint -> numeric -> text, anything -> jsonb).

    Args:
        cur: a cursor inside the caller's transaction.
        schema: the table's schema.
        table: the table name.
        columns: (column, PostgreSQL type) pairs the stream needs.
        keys: the primary-key columns (empty for an append-only table).

    Returns:
        Every column of the table after the change, with its type as the catalog spells it.

    Raises:
        DataError: when the existing table's primary key differs from ``keys``.
    """
    cur.execute(COLUMNS_QUERY, (schema, table))
    existing = dict(cur.fetchall())
    if not existing:
        _create(cur, schema, table, columns, keys)
        cur.execute(COLUMNS_QUERY, (schema, table))
        return dict(cur.fetchall())
    cur.execute(_PRIMARY_KEY, (schema, table))
    primary_key = [row[0] for row in cur.fetchall()]
    if primary_key != list(keys):
        raise DataError(
            f'table "{schema}"."{table}" has primary key {primary_key} but the stream\'s key '
            f"properties give {list(keys)}; changing a table's key is not supported yet"
        )
    missing = [(name, kind) for name, kind in columns if name not in existing]
    if missing:
        _add_columns(cur, schema, table, missing)
        existing.update(missing)
    _widen_to_schema(cur, schema, table, columns, existing)
    return existing


def default_now(cur: Any, schema: str, table: str, column: str) -> None:
    """Give a timestamp column the default ``now()`` (the loading transaction's time) unless it
    has a default already."""
    cur.execute(
        """SELECT a.atthasdef FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
        JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = %s AND c.relname = %s AND a.attname = %s AND NOT a.attisdropped""",
        (schema, table, column),
    )
    found = cur.fetchone()
    if found is not None and not found[0]:
        cur.execute(
            sql.SQL("ALTER TABLE {}.{} ALTER COLUMN {} SET DEFAULT now()").format(
                sql.Identifier(schema), sql.Identifier(table), sql.Identifier(column)
            )
        )


def _create(
    cur: Any, schema: str, table: str, columns: Sequence[tuple[str, str]], keys: Sequence[str]
) -> None:
    parts = [sql.SQL("{} {}").format(sql.Identifier(name), sql.SQL(kind)) for name, kind in columns]
    if keys:
        key_list = sql.SQL(", ").join(map(sql.Identifier, keys))
        parts.append(sql.SQL("PRIMARY KEY ({})").format(key_list))
    cur.execute(
        sql.SQL("CREATE TABLE {}.{} ({})").format(
            sql.Identifier(schema), sql.Identifier(table), sql.SQL(", ").join(parts)
        )
    )
    LOGGER.info("created table %s.%s with %d columns", schema, table, len(columns))


def _add_columns(cur: Any, schema: str, table: str, columns: Sequence[tuple[str, str]]) -> None:
    additions = sql.SQL(", ").join(
        sql.SQL("ADD COLUMN IF NOT EXISTS {} {}").format(sql.Identifier(name), sql.SQL(kind))
        for name, kind in columns
    )
    cur.execute(
        sql.SQL("ALTER TABLE {}.{} {}").format(
            sql.Identifier(schema), sql.Identifier(table), additions
        )
    )
    LOGGER.info("added columns %s to %s.%s", [name for name, _ in columns], schema, table)


def widen_columns(cur: Any, schema: str, table: str, changes: Sequence[tuple[str, str]]) -> None:
    """Change columns in place to wider types; every stored value keeps its meaning.

    Args:
        cur: a cursor inside the caller's transaction.
        schema: the table's schema.
        table: the table name.
        changes: (column, new type) pairs; the new type must hold every old value.
    """
    if not changes:
        return
    parts = []
    for name, kind in changes:
        column = sql.Identifier(name)
        using = sql.SQL("to_jsonb({})" if kind == "jsonb" else "{}::" + kind).format(column)
        parts.append(
            sql.SQL("ALTER COLUMN {} TYPE {} USING {}").format(column, sql.SQL(kind), using)
        )
    cur.execute(
        sql.SQL("ALTER TABLE {}.{} {}").format(
            sql.Identifier(schema), sql.Identifier(table), sql.SQL(", ").join(parts)
        )
    )
    LOGGER.info("widened columns of %s.%s: %s", schema, table, dict(changes))


def _widen_to_schema(
    cur: Any, schema: str, table: str, columns: Sequence[tuple[str, str]], existing: dict[str, str]
) -> None:
    changes = []
    for name, kind in columns:
        wider = types.widened(existing[name], kind)
        if wider != existing[name]:
            changes.append((name, wider))
        elif wider != types.catalog(kind):
            LOGGER.info(
                "column %s.%s.%s stays %s (the schema now asks for %s; never narrowed)",
                schema,
                table,
                name,
                existing[name],
                kind,
            )
    widen_columns(cur, schema, table, changes)
    existing.update(changes)
