"""The target's own tables: the identifier map, the rejects table and the optional state table."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from typing import Any

from psycopg2 import sql
from psycopg2.extras import execute_values

from target_postgres import identifiers
from target_postgres.reader import encode

LOGGER = logging.getLogger("target_postgres.meta")

IDENTIFIERS_TABLE = "_bizops_identifiers"
REJECTS_TABLE = "_bizops_rejects"
OWN_TABLES = (IDENTIFIERS_TABLE, REJECTS_TABLE)

_CREATE_IDENTIFIERS = """
CREATE TABLE IF NOT EXISTS {} (
    stream text NOT NULL,
    kind text NOT NULL CHECK (kind IN ('table', 'column')),
    name text NOT NULL,
    identifier text NOT NULL,
    PRIMARY KEY (stream, kind, name)
)"""
_CREATE_REJECTS = """
CREATE TABLE IF NOT EXISTS {} (
    id bigserial PRIMARY KEY,
    stream text NOT NULL,
    line bigint NOT NULL,
    raw text NOT NULL,
    reason text NOT NULL,
    loaded boolean NOT NULL,
    rejected_at timestamptz NOT NULL DEFAULT now()
)"""
_CREATE_STATE = """
CREATE TABLE IF NOT EXISTS {} (
    state_id text PRIMARY KEY,
    state jsonb NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
)"""
_UPSERT_STATE = """
INSERT INTO {} (state_id, state, updated_at) VALUES (%s, %s::jsonb, now())
ON CONFLICT (state_id) DO UPDATE SET state = EXCLUDED.state, updated_at = EXCLUDED.updated_at
"""
Reject = tuple[str, int, bytes, str, bool]  # stream, input line, raw line, reason, loaded anyway


def qualified(schema: str, table: str) -> sql.Composed:
    """``"schema"."table"``, quoted."""
    return sql.SQL("{}.{}").format(sql.Identifier(schema), sql.Identifier(table))


def ensure_own_tables(cur: Any, schema: str) -> None:
    """Create the identifier map and the rejects table in ``schema`` unless they exist."""
    cur.execute(sql.SQL(_CREATE_IDENTIFIERS).format(qualified(schema, IDENTIFIERS_TABLE)))
    cur.execute(sql.SQL(_CREATE_REJECTS).format(qualified(schema, REJECTS_TABLE)))


def ensure_state_table(cur: Any, schema: str, table: str) -> None:
    """Create the state table (state_id text primary key, state jsonb, updated_at)."""
    cur.execute(sql.SQL(_CREATE_STATE).format(qualified(schema, table)))


def write_state(cur: Any, schema: str, table: str, state_id: str, value: Any) -> None:
    """Store ``value`` as the state of ``state_id``, inside the caller's transaction."""
    cur.execute(sql.SQL(_UPSERT_STATE).format(qualified(schema, table)), (state_id, encode(value)))


def write_rejects(cur: Any, schema: str, rejects: Sequence[Reject]) -> None:
    """Insert rejected records, inside the caller's transaction."""
    if not rejects:
        return
    rows = [
        (stream, line, raw.decode("utf-8", errors="replace").rstrip("\r\n"), reason, loaded)
        for stream, line, raw, reason, loaded in rejects
    ]
    cur.executemany(
        sql.SQL(
            "INSERT INTO {} (stream, line, raw, reason, loaded) VALUES (%s, %s, %s, %s, %s)"
        ).format(qualified(schema, REJECTS_TABLE)),
        rows,
    )


class IdentifierMap:
    """Stream and property names -> identifiers, kept in ``_bizops_identifiers`` across runs."""

    def __init__(self, cur: Any, schema: str) -> None:
        self.schema = schema
        cur.execute(
            sql.SQL("SELECT stream, kind, name, identifier FROM {}").format(
                qualified(schema, IDENTIFIERS_TABLE)
            )
        )
        self._known: dict[tuple[str, str, str], str] = {
            (stream, kind, name): ident for stream, kind, name, ident in cur.fetchall()
        }

    def table(self, cur: Any, stream: str) -> str:
        """The table identifier of a stream (new ones avoid every other stream's table)."""
        known = self._known.get((stream, "table", stream))
        if known is not None:
            return known
        taken = [ident for (_, kind, _), ident in self._known.items() if kind == "table"]
        chosen = identifiers.assign([stream], [*taken, *OWN_TABLES])[stream]
        self._save(cur, stream, "table", {stream: chosen})
        return chosen

    def columns(self, cur: Any, stream: str, names: Iterable[str], reserved: Iterable[str]) -> dict:
        """Column identifiers of a stream's properties; new ones avoid the stream's others."""
        names = list(names)
        mine = {n: i for (s, k, n), i in self._known.items() if s == stream and k == "column"}
        new = [name for name in names if name not in mine]
        if new:
            chosen = identifiers.assign(new, [*mine.values(), *reserved])
            self._save(cur, stream, "column", chosen)
            mine.update(chosen)
        return {name: mine[name] for name in names}

    def _save(self, cur: Any, stream: str, kind: str, chosen: dict[str, str]) -> None:
        execute_values(  # one statement for all of them
            cur,
            sql.SQL(
                "INSERT INTO {} (stream, kind, name, identifier) VALUES %s ON CONFLICT DO NOTHING"
            ).format(qualified(self.schema, IDENTIFIERS_TABLE)),
            [(stream, kind, name, ident) for name, ident in chosen.items()],
            page_size=len(chosen),
        )
        for name, ident in chosen.items():
            self._known[(stream, kind, name)] = ident
            if ident != identifiers.conform(name):
                LOGGER.info("%s %r of stream %r is stored as %r", kind, name, stream, ident)
