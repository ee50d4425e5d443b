"""Writes one batch: COPY into staging and merge on the keys, or COPY-append; a careful path
sorts out the records PostgreSQL refuses into the rejects table."""

from __future__ import annotations

import logging
import re
from typing import Any

import psycopg2
import psycopg2.errors
from psycopg2 import sql

from bizops_core.errors import DataError
from target_postgres import encode, meta, table
from target_postgres.batch import BATCHED_AT, ORDINAL, Batch
from target_postgres.meta import Reject

LOGGER = logging.getLogger("target_postgres.loader")
ROW = "_bizops_row"  # position of a row in the careful staging table (1-based, COPY order)
_COPY_LINE = re.compile(r"\bline (\d+)")
_CHUNK_BYTES = 1 << 20
NATIVE_INPUT_CHECKS = 160000  # pg_input_is_valid and pg_input_error_info came in PostgreSQL 16
# Before 16: the message of the error a text value raises when assigned to a variable of the
# type (assignment, as COPY: no silent truncation to a typmod); NULL when it is accepted.
_INPUT_ERROR_FUNCTION = """
CREATE OR REPLACE FUNCTION pg_temp.{}(value text) RETURNS text
LANGUAGE plpgsql STRICT AS $bizops$
DECLARE
    checked {};
BEGIN
    checked := value;
    RETURN NULL;
EXCEPTION WHEN data_exception OR integrity_constraint_violation THEN  -- a domain's CHECK
    RETURN SQLERRM;
END
$bizops$"""


class RejectedValueError(DataError):
    """PostgreSQL refused a batch for a reason other than one record's values."""


class RowsReader:
    """A read-only file over COPY rows for ``copy_expert``, a slice at a time (``part``: which
    rows of the batch they are, for error messages: None all, else a half of ``Batch.split``)."""

    def __init__(self, batch: Batch, data: bytes | None = None, part: str | None = None) -> None:
        self._data = memoryview(data) if data is not None else batch.payload()
        self._next = 0
        batch.copying = part

    def read(self, size: int = -1) -> bytes:
        """The next ``_CHUNK_BYTES`` of rows (the size hint is ignored)."""
        start = self._next
        self._next = start + _CHUNK_BYTES
        return self._data[start : self._next].tobytes()


def write_batch(cur: Any, batch: Batch, slot: int) -> list[Reject]:
    """Write a batch inside the caller's transaction; returns the records refused by PostgreSQL.

    Args:
        cur: a cursor of the writer's connection.
        batch: the batch.
        slot: a number unique within the transaction (names the staging tables).

    Raises:
        RejectedValueError: when PostgreSQL refuses the batch and no single value is to blame.
    """
    plan = batch.plan
    if batch.widen:
        table.widen_columns(cur, plan.schema, plan.table, [(c, "numeric") for c in batch.widen])
    if not len(batch):
        return []
    cur.execute("SAVEPOINT bizops_batch")
    try:
        try:
            _write(cur, batch, slot, None)
        except psycopg2.errors.UniqueViolation:
            if not (plan.keys and plan.direct):
                raise
            # the direct COPY met a stored key: undo it and merge (for the rest of the run too)
            cur.execute("ROLLBACK TO SAVEPOINT bizops_batch")
            plan.direct = False
            plan.run_keys = None
            LOGGER.info("stream %s: stored keys arrive again; merging from now on", plan.stream)
            _write(cur, batch, slot, None)
    except psycopg2.DataError as exc:
        part = batch.copying  # the rows the failing COPY read (its line numbers count them)
        cur.execute("ROLLBACK TO SAVEPOINT bizops_batch")
        LOGGER.info("stream %s: %s; checking the batch row by row", plan.stream, _brief(exc))
        return _write_carefully(cur, batch, slot, exc, part)
    cur.execute("RELEASE SAVEPOINT bizops_batch")
    return []


Source = tuple[sql.Identifier, dict[str, str]]  # a checked text stage and the column types


def _write(cur: Any, batch: Batch, slot: int, source: Source | None) -> None:
    """Merge or append the batch's rows, from COPY or (``source``) from a checked text stage."""
    plan = batch.plan
    target = meta.qualified(plan.schema, plan.table)
    columns = plan.row_columns()
    if not plan.keys:
        if source is None:  # _sdc_batched_at: the column's default, the transaction's time
            _copy(cur, target, columns, RowsReader(batch))
        else:
            _insert_from(cur, target, batch, source, with_batched=True)
        return
    if source is None and plan.direct and not batch.duplicates:
        # the cheapest path, right while none of the batch's new keys is stored yet (on the
        # first that is, COPY raises UniqueViolation and write_batch undoes it and merges
        # instead): the rows of new keys are copied into the table, those that update a row of
        # this run are merged after them
        if not batch.updates:
            _copy(cur, target, columns, RowsReader(batch))
            return
        if not batch.tracked:  # some rows were not classified: merge them all
            _merge(cur, batch, slot, RowsReader(batch), repeated=True)
            return
        new, updates = batch.split()
        _copy(cur, target, columns, RowsReader(batch, new, "new"))
        _merge(cur, batch, slot, RowsReader(batch, updates, "updates"), repeated=True)
        return
    repeated = batch.duplicates or bool(batch.updates) or source is not None
    _merge(cur, batch, slot, source or RowsReader(batch), repeated)


def _merge(cur: Any, batch: Batch, slot: int, rows: RowsReader | Source, repeated: bool) -> None:
    """Stage ``rows`` (COPY data, or a checked text stage) and merge them on the keys."""
    plan = batch.plan
    target = meta.qualified(plan.schema, plan.table)
    stage = sql.Identifier(f"_bizops_stage_{slot}")
    cur.execute(sql.SQL("CREATE TEMP TABLE {} (LIKE {}) ON COMMIT DROP").format(stage, target))
    cur.execute(
        sql.SQL("ALTER TABLE {} ADD COLUMN {} bigint GENERATED ALWAYS AS IDENTITY").format(
            stage, sql.Identifier(ORDINAL)
        )
    )
    if isinstance(rows, RowsReader):
        _copy(cur, stage, plan.row_columns(), rows)
    else:
        _insert_from(cur, stage, batch, rows, with_batched=False)
    cur.execute(_merge_statement(batch, stage, repeated))


def _merge_statement(batch: Batch, stage: sql.Identifier, repeated: bool) -> sql.Composed:
    plan = batch.plan
    columns = plan.row_columns()
    values: list[sql.Composable] = [sql.Identifier(name) for name in columns]
    if BATCHED_AT in plan.metadata:
        columns.append(BATCHED_AT)
        values.append(sql.SQL("now()"))  # as the column's default: the transaction's time
    keys = sql.SQL(", ").join(map(sql.Identifier, plan.keys))
    updates = [
        sql.SQL("{0} = EXCLUDED.{0}").format(sql.Identifier(name))
        for name in columns
        if name not in plan.keys
    ]
    action = sql.SQL("DO UPDATE SET {}").format(sql.SQL(", ").join(updates))
    select = "SELECT {values} FROM {stage}"
    if repeated:  # the newest version of a key wins
        select = "SELECT DISTINCT ON ({keys}) {values} FROM {stage} ORDER BY {keys}, {ordinal} DESC"
    return sql.SQL(
        "INSERT INTO {target} ({columns}) " + select + " ON CONFLICT ({keys}) {action}"
    ).format(
        target=meta.qualified(plan.schema, plan.table),
        columns=sql.SQL(", ").join(map(sql.Identifier, columns)),
        keys=keys,
        values=sql.SQL(", ").join(values),
        stage=stage,
        ordinal=sql.Identifier(ORDINAL),
        action=action if updates else sql.SQL("DO NOTHING"),
    )


def _copy(cur: Any, into: sql.Composable, columns: list[str], data: RowsReader) -> None:
    statement = sql.SQL("COPY {} ({}) FROM STDIN WITH ({})").format(
        into, sql.SQL(", ").join(map(sql.Identifier, columns)), sql.SQL(encode.COPY_OPTIONS)
    )
    cur.copy_expert(statement, data, size=1 << 20)


def _write_carefully(
    cur: Any, batch: Batch, slot: int, cause: psycopg2.Error, part: str | None
) -> list[Reject]:
    """COPY the rows as text, reject those with a value their column type refuses, load the rest."""
    plan = batch.plan
    columns = plan.row_columns()
    types = _column_types(cur, plan.schema, plan.table)
    careful = sql.Identifier(f"_bizops_careful_{slot}")
    definitions = sql.SQL(", ").join(sql.SQL("{} text").format(sql.Identifier(c)) for c in columns)
    cur.execute(
        sql.SQL(
            "CREATE TEMP TABLE {} ({}, {} bigint GENERATED ALWAYS AS IDENTITY) ON COMMIT DROP"
        ).format(careful, definitions, sql.Identifier(ROW))
    )
    _copy(cur, careful, columns, RowsReader(batch))
    checked = [(c, types[c]) for c in columns if types[c] != "text"]
    rejects = _find_rejects(cur, batch, careful, checked)
    if not rejects:
        raise _refused(batch, cause, part)
    cur.execute(
        sql.SQL("DELETE FROM {} WHERE {} = ANY(%s)").format(careful, sql.Identifier(ROW)),
        ([row for row, _ in rejects],),
    )
    _write(cur, batch, slot, (careful, types))
    stream = plan.stream
    return [(stream, batch.lines[row - 1], batch.raws[row - 1], why, False) for row, why in rejects]


def _find_rejects(
    cur: Any, batch: Batch, careful: sql.Identifier, checked: list[tuple[str, str]]
) -> list[tuple[int, str]]:
    if not checked:
        return []
    native = cur.connection.server_version >= NATIVE_INPUT_CHECKS
    cur.execute(reject_query(cur, careful, checked, native))
    return [(row, f"PostgreSQL refused a value: {why}") for row, why in cur.fetchall()]


def reject_query(
    cur: Any, careful: sql.Identifier, checked: list[tuple[str, str]], native: bool
) -> sql.Composed:
    """The query of (row, reasons) of the rows of ``careful`` with a value its column's type
    refuses, each reason being PostgreSQL's own message for that value.

    ``native`` (PostgreSQL 16 and later) asks ``pg_input_is_valid``/``pg_input_error_info``;
    older servers have neither, so each checked type gets a temporary PL/pgSQL function that
    assigns the text to a variable of that type and returns the error's message (``SQLERRM``,
    the same text ``pg_input_error_info`` gives). Only the careful path runs this, after a COPY
    failed, so the normal path costs nothing on any version.

    Args:
        cur: a cursor; without ``native`` the temporary functions are created through it.
        careful: the careful stage (text columns and ``_bizops_row``).
        checked: (column, type as ``format_type`` spells it) of the columns to check.
        native: use PostgreSQL 16's functions.
    """
    errors = []
    functions: dict[str, sql.Identifier] = {}
    for column, kind in checked:
        value = sql.Identifier(column)
        if native:
            error = sql.SQL(
                "CASE WHEN NOT pg_input_is_valid({0}, {1}) "
                "THEN (pg_input_error_info({0}, {1})).message END"
            ).format(value, sql.Literal(kind))
        else:
            if kind not in functions:
                functions[kind] = sql.Identifier(f"bizops_input_error_{len(functions)}")
                cur.execute(sql.SQL(_INPUT_ERROR_FUNCTION).format(functions[kind], sql.SQL(kind)))
            error = sql.SQL("pg_temp.{}({})").format(functions[kind], value)
        errors.append(sql.SQL("{} || {}").format(sql.Literal(f"column {column!r}: "), error))
    names = [sql.Identifier(f"_bizops_error_{i}") for i in range(len(errors))]
    # MATERIALIZED: each value is checked once, not again for the WHERE clause
    return sql.SQL(
        "WITH checked AS MATERIALIZED (SELECT {row}, {errors} FROM {careful}) "
        "SELECT {row}, concat_ws('; ', {names}) FROM checked WHERE {failed} ORDER BY 1"
    ).format(
        row=sql.Identifier(ROW),
        errors=sql.SQL(", ").join(
            sql.SQL("{} AS {}").format(e, n) for e, n in zip(errors, names, strict=True)
        ),
        careful=careful,
        names=sql.SQL(", ").join(names),
        failed=sql.SQL(" OR ").join(sql.SQL("{} IS NOT NULL").format(n) for n in names),
    )


def _insert_from(
    cur: Any, into: sql.Composable, batch: Batch, source: Source, with_batched: bool
) -> None:
    plan = batch.plan
    careful, types = source
    columns = plan.row_columns()
    values = [
        sql.SQL("CAST({} AS {})").format(sql.Identifier(c), sql.SQL(types[c])) for c in columns
    ]
    if with_batched and BATCHED_AT in plan.metadata:
        columns = [*columns, BATCHED_AT]
        values.append(sql.SQL("now()"))
    cur.execute(
        sql.SQL("INSERT INTO {} ({}) SELECT {} FROM {} ORDER BY {}").format(
            into,
            sql.SQL(", ").join(map(sql.Identifier, columns)),
            sql.SQL(", ").join(values),
            careful,
            sql.Identifier(ROW),
        )
    )


def _column_types(cur: Any, schema: str, name: str) -> dict[str, str]:
    cur.execute(table.COLUMNS_QUERY, (schema, name))
    return dict(cur.fetchall())


def _refused(batch: Batch, exc: psycopg2.Error, part: str | None) -> RejectedValueError:
    context = exc.diag.context or ""
    found = _COPY_LINE.search(context)
    where = ""
    if found and 0 < int(found.group(1)) <= len(batch):
        row = batch.row_index(int(found.group(1)) - 1, part)
        where = f"line {batch.lines[row]}: "
    return RejectedValueError(
        f"{where}stream {batch.plan.stream!r}: PostgreSQL refused the batch: {_brief(exc)}; "
        f"the batch of {len(batch)} records was not loaded"
    )


def _brief(exc: psycopg2.Error) -> str:
    context = (exc.diag.context or "").strip()
    problem = exc.diag.message_primary or str(exc).strip()
    return f"{problem} ({context})" if context else problem
