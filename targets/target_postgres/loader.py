"""Per-stream batches and their write path: COPY into staging and merge on the keys, or append."""

from __future__ import annotations

import dataclasses
import io
import logging
import re
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

import psycopg2
from psycopg2 import sql

from bizops_core.errors import DataError
from target_postgres import encode

LOGGER = logging.getLogger("target_postgres.loader")

BATCHED_AT = "_sdc_batched_at"
ORDINAL = "_bizops_ordinal"  # input line number of a row in the staging table; newest wins
MetadataSource = Callable[[Mapping[str, Any], Mapping[str, Any], str], str]
# Metadata written with each row: (column, type, value from (record, message, received_at)).
ROW_METADATA: tuple[tuple[str, str, MetadataSource], ...] = (
    ("_sdc_extracted_at", "timestamptz", lambda r, m, now: encode.scalar(m.get("time_extracted"))),
    ("_sdc_received_at", "timestamptz", lambda r, m, now: now),
    ("_sdc_deleted_at", "timestamptz", lambda r, m, now: encode.scalar(r.get("_sdc_deleted_at"))),
    ("_sdc_sequence", "bigint", lambda r, m, now: str(time.time_ns())),
    ("_sdc_table_version", "bigint", lambda r, m, now: encode.integer(m.get("version"))),
)
METADATA_TYPES = {name: kind for name, kind, _ in ROW_METADATA} | {BATCHED_AT: "timestamptz"}
_COPY_LINE = re.compile(r"\bline (\d+)")


class RejectedValueError(DataError):
    """PostgreSQL refused a value of a batch; the batch was rolled back."""


@dataclasses.dataclass(frozen=True)
class StreamPlan:
    """How one stream's records become rows of one table.

    Attributes:
        stream: the Singer stream name.
        schema: the target schema.
        table: the table name.
        columns: (property, column, column type as the catalog spells it) per schema property.
        key_properties: the stream's key properties; empty for an append-only stream.
        keys: the primary-key columns, one per key property.
        metadata: the ``_sdc_*`` columns written (row metadata in ``ROW_METADATA`` order, then
            ``_sdc_batched_at``); empty when metadata columns are off.
    """

    stream: str
    schema: str
    table: str
    columns: tuple[tuple[str, str, str], ...]
    key_properties: tuple[str, ...]
    keys: tuple[str, ...]
    metadata: tuple[str, ...]


class StreamBuffer:
    """The records of one stream waiting for a flush, already encoded as COPY CSV rows."""

    def __init__(self, plan: StreamPlan) -> None:
        self.plan = plan
        self.loaded = 0
        self._encoders = [(prop, encode.encoder_for(kind)) for prop, _, kind in plan.columns]
        self._metadata = [source for name, _, source in ROW_METADATA if name in plan.metadata]
        self._rows: list[str] = []
        self._lines: list[int] = []
        self._tick = 0
        self._now = ""

    def __len__(self) -> int:
        return len(self._rows)

    @property
    def first_line(self) -> int | None:
        """Input line of the oldest buffered record, or None when the buffer is empty."""
        return self._lines[0] if self._lines else None

    def add(self, record: Mapping[str, Any], message: Mapping[str, Any], line: int) -> None:
        """Encode one record (the RECORD ``message`` at input ``line``) and buffer it."""
        fields = [encoder(record.get(prop)) for prop, encoder in self._encoders]
        if self._metadata:
            now = self._received_at()
            fields.extend([source(record, message, now) for source in self._metadata])
        if self.plan.keys:
            fields.append(str(line))
        self._rows.append(",".join(fields))
        self._lines.append(line)

    def _received_at(self) -> str:
        """The receive time as a CSV field, to the millisecond (formatted once per millisecond)."""
        tick = time.time_ns() // 1_000_000
        if tick != self._tick:
            self._tick = tick
            self._now = '"' + datetime.fromtimestamp(tick / 1000, UTC).isoformat() + '"'
        return self._now

    def clear(self) -> None:
        """Forget the buffered rows once their transaction has committed."""
        self.loaded += len(self._rows)
        self._rows.clear()
        self._lines.clear()

    def write(self, cur: Any, batched_at: datetime, slot: int) -> None:
        """Write the buffered rows inside the caller's transaction (the caller commits).

        Args:
            cur: a cursor of the load connection.
            batched_at: the flush time, stored in ``_sdc_batched_at``.
            slot: a number unique among the buffers of this transaction (names the staging table).

        Raises:
            RejectedValueError: when PostgreSQL refuses a value; names the stream and input line.
        """
        started = time.perf_counter()
        if self.plan.keys:
            self._merge(cur, batched_at, slot)
        else:
            self._append(cur, batched_at)
        LOGGER.info(
            "stream %s: wrote %d rows to %s.%s (%s) in %.2f s",
            self.plan.stream,
            len(self._rows),
            self.plan.schema,
            self.plan.table,
            "merge" if self.plan.keys else "append",
            time.perf_counter() - started,
        )

    def _append(self, cur: Any, batched_at: datetime) -> None:
        columns = self._row_columns()
        suffix = "\n"
        if BATCHED_AT in self.plan.metadata:
            columns.append(BATCHED_AT)
            suffix = f',"{batched_at.isoformat()}"\n'
        self._copy(cur, self._target(), columns, suffix.join(self._rows) + suffix)

    def _merge(self, cur: Any, batched_at: datetime, slot: int) -> None:
        stage = sql.Identifier(f"_bizops_stage_{slot}")
        cur.execute(
            sql.SQL("CREATE TEMP TABLE {} (LIKE {}) ON COMMIT DROP").format(stage, self._target())
        )
        cur.execute(
            sql.SQL("ALTER TABLE {} ADD COLUMN {} bigint").format(stage, sql.Identifier(ORDINAL))
        )
        self._copy(cur, stage, [*self._row_columns(), ORDINAL], "\n".join(self._rows) + "\n")
        cur.execute(self._merge_statement(stage, batched_at))

    def _merge_statement(self, stage: sql.Identifier, batched_at: datetime) -> sql.Composed:
        columns = self._row_columns()
        values: list[sql.Composable] = [sql.Identifier(name) for name in columns]
        if BATCHED_AT in self.plan.metadata:
            columns.append(BATCHED_AT)
            values.append(sql.Literal(batched_at))
        keys = sql.SQL(", ").join(map(sql.Identifier, self.plan.keys))
        updates = [
            sql.SQL("{0} = EXCLUDED.{0}").format(sql.Identifier(name))
            for name in columns
            if name not in self.plan.keys
        ]
        action = sql.SQL("DO UPDATE SET {}").format(sql.SQL(", ").join(updates))
        return sql.SQL(
            "INSERT INTO {target} ({columns}) SELECT DISTINCT ON ({keys}) {values} FROM {stage} "
            "ORDER BY {keys}, {ordinal} DESC ON CONFLICT ({keys}) {action}"
        ).format(
            target=self._target(),
            columns=sql.SQL(", ").join(map(sql.Identifier, columns)),
            keys=keys,
            values=sql.SQL(", ").join(values),
            stage=stage,
            ordinal=sql.Identifier(ORDINAL),
            action=action if updates else sql.SQL("DO NOTHING"),
        )

    def _copy(self, cur: Any, table: sql.Composable, columns: list[str], data: str) -> None:
        statement = sql.SQL("COPY {} ({}) FROM STDIN WITH (FORMAT csv)").format(
            table, sql.SQL(", ").join(map(sql.Identifier, columns))
        )
        try:
            cur.copy_expert(statement, io.BytesIO(data.encode("utf-8")))
        except (psycopg2.DataError, psycopg2.IntegrityError) as exc:
            raise self._rejected(exc) from exc

    def _rejected(self, exc: psycopg2.Error) -> RejectedValueError:
        context = exc.diag.context or ""
        found = _COPY_LINE.search(context)
        where = ""
        if found and 0 < int(found.group(1)) <= len(self._lines):
            where = f"line {self._lines[int(found.group(1)) - 1]}: "
        problem = exc.diag.message_primary or str(exc).strip()
        detail = f" ({context.strip()})" if context else ""
        return RejectedValueError(
            f"{where}stream {self.plan.stream!r}: PostgreSQL refused a value: {problem}{detail}; "
            f"the batch of {len(self._rows)} records was not loaded"
        )

    def _row_columns(self) -> list[str]:
        written = [name for name, _, _ in ROW_METADATA if name in self.plan.metadata]
        return [column for _, column, _ in self.plan.columns] + written

    def _target(self) -> sql.Composed:
        return sql.SQL("{}.{}").format(
            sql.Identifier(self.plan.schema), sql.Identifier(self.plan.table)
        )
