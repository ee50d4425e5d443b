"""The orchestrator's tables in the warehouse's ``bizops`` schema: state, run history, locks."""

from __future__ import annotations

import json
import logging
import os
import socket
import zlib
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import psycopg2
import psycopg2.extensions
from psycopg2.extras import Json

from bizops import state as state_ops
from bizops_core.errors import ConfigurationError, DataError, PipelineLocked
from bizops_core.singer_state import state_problem

LOGGER = logging.getLogger("bizops.store")
DDL = """
CREATE SCHEMA IF NOT EXISTS bizops;
CREATE TABLE IF NOT EXISTS bizops.pipeline_state (
    pipeline    text PRIMARY KEY,
    state       jsonb NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS bizops.state_history (
    id          bigserial PRIMARY KEY,
    pipeline    text NOT NULL,
    state       jsonb,
    source      text NOT NULL,
    stored_at   timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE TABLE IF NOT EXISTS bizops.target_state (
    state_id    text PRIMARY KEY,
    state       jsonb NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS bizops.runs (
    run_id       bigserial PRIMARY KEY,
    pipeline     text NOT NULL,
    started_at   timestamptz NOT NULL DEFAULT now(),
    ended_at     timestamptz,
    status       text NOT NULL,
    stream_counts jsonb NOT NULL DEFAULT '{}'::jsonb,
    error        text,
    log_path     text
);
ALTER TABLE bizops.runs ADD COLUMN IF NOT EXISTS rows_read jsonb NOT NULL DEFAULT '{}'::jsonb;
ALTER TABLE bizops.runs ADD COLUMN IF NOT EXISTS rows_rejected jsonb NOT NULL DEFAULT '{}'::jsonb;
ALTER TABLE bizops.runs ADD COLUMN IF NOT EXISTS host text;
ALTER TABLE bizops.runs ADD COLUMN IF NOT EXISTS pid integer;
ALTER TABLE bizops.runs ADD COLUMN IF NOT EXISTS trigger text;
CREATE INDEX IF NOT EXISTS runs_pipeline_idx ON bizops.runs (pipeline, run_id DESC);
CREATE TABLE IF NOT EXISTS bizops.schema_version (version integer NOT NULL);
DELETE FROM bizops.schema_version;
INSERT INTO bizops.schema_version VALUES (%(version)s);
"""
SCHEMA_VERSION = 2  # bump when DDL changes: the DDL then runs once more
LOCK_NAMESPACE = 0x62697A  # "biz": keeps our advisory keys apart from other applications'
TARGET_STATE_TABLE = "bizops.target_state"
HISTORY_KEEP = 50  # state versions kept per pipeline


@dataclass(frozen=True)
class RunRecord:
    """One row of run history (``stream_counts`` are the rows loaded per stream)."""

    run_id: int
    pipeline: str
    started_at: datetime
    ended_at: datetime | None
    status: str
    stream_counts: Mapping[str, int]
    error: str | None
    log_path: str | None
    rows_read: Mapping[str, int] = field(default_factory=dict)
    rows_rejected: Mapping[str, int] = field(default_factory=dict)
    trigger: str | None = None

    @property
    def seconds(self) -> float | None:
        """Duration of the run, or None while it has not ended."""
        return None if self.ended_at is None else (self.ended_at - self.started_at).total_seconds()


RUN_COLUMNS = (
    "run_id, pipeline, started_at, ended_at, status, stream_counts, error, log_path, "
    "rows_read, rows_rejected, trigger"
)


def lock_key(pipeline: str) -> int:
    """A stable 32-bit advisory-lock key for a pipeline name."""
    return zlib.crc32(pipeline.encode("utf-8")) & 0x7FFFFFFF


class Store:
    """Connection to the warehouse for state, history and locks (autocommit: each write is
    atomic on its own)."""

    def __init__(self, database_url: str, redact: Any = str) -> None:
        try:
            self.conn = psycopg2.connect(database_url, application_name="bizops")
        except psycopg2.OperationalError as exc:
            message = redact(str(exc)).strip()
            raise ConfigurationError(f"cannot reach the warehouse: {message}") from None
        self.conn.autocommit = True
        if self._version() != SCHEMA_VERSION:
            with self.conn.cursor() as cur:
                cur.execute("SELECT pg_advisory_lock(%s, 0)", (LOCK_NAMESPACE,))
                try:
                    cur.execute(DDL, {"version": SCHEMA_VERSION})
                finally:
                    cur.execute("SELECT pg_advisory_unlock(%s, 0)", (LOCK_NAMESPACE,))

    def _version(self) -> int | None:
        """The version of the bizops tables, or None before they exist."""
        with self.conn.cursor() as cur:
            cur.execute("SELECT to_regclass('bizops.schema_version') IS NOT NULL")
            if not cur.fetchone()[0]:
                return None
            cur.execute("SELECT max(version) FROM bizops.schema_version")
            return cur.fetchone()[0]

    def close(self) -> None:
        """Close the connection (releasing any lock it holds)."""
        self.conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def lock(self, pipeline: str) -> None:
        """Take the pipeline's advisory lock for as long as this connection lives; runs left
        ``running`` by a dead process are then marked ``abandoned``."""
        with self.conn.cursor() as cur:
            cur.execute("SELECT pg_try_advisory_lock(%s, %s)", (LOCK_NAMESPACE, lock_key(pipeline)))
            (taken,) = cur.fetchone()
            if not taken:
                raise PipelineLocked(f"pipeline {pipeline!r} is already running")
            # Holding the lock proves no other run of this pipeline is alive.
            cur.execute(
                "UPDATE bizops.runs SET status = 'abandoned', ended_at = coalesce(ended_at, now()),"
                " error = coalesce(error, 'the process running it died (no clean shutdown)') "
                "WHERE pipeline = %s AND status = 'running'",
                (pipeline,),
            )

    def is_locked(self, pipeline: str) -> bool:
        """Whether some run of ``pipeline`` holds its lock right now."""
        with self.conn.cursor() as cur:
            cur.execute(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND classid = %s "
                "AND objid = %s AND granted",
                (LOCK_NAMESPACE, lock_key(pipeline)),
            )
            return cur.fetchone()[0] > 0

    @contextmanager
    def _transaction(self) -> Iterator[Any]:
        """One explicit transaction on the autocommit connection."""
        with self.conn.cursor() as cur:
            cur.execute("BEGIN")
            try:
                yield cur
            except BaseException:
                cur.execute("ROLLBACK")
                raise
            cur.execute("COMMIT")

    # ---- state -------------------------------------------------------------------------------

    def get_state(self, pipeline: str) -> dict[str, Any] | None:
        """The pipeline's stored Singer state, or None."""
        with self.conn.cursor() as cur:
            cur.execute("SELECT state FROM bizops.pipeline_state WHERE pipeline = %s", (pipeline,))
            row = cur.fetchone()
        return row[0] if row else None

    def list_states(self) -> list[tuple[str, Any, datetime]]:
        """Every pipeline's state with the time it was last stored."""
        with self.conn.cursor() as cur:
            cur.execute("SELECT pipeline, state, updated_at FROM bizops.pipeline_state ORDER BY 1")
            return list(cur.fetchall())

    def set_state(self, pipeline: str, state: Any, source: str = "set") -> None:
        """Replace the stored state by hand (``set``, ``clear``) in one transaction, keeping a
        version in state_history. The target's committed copy is dropped with it: it is older
        than this state and must never be adopted over it."""
        with self._transaction() as cur:
            self._write_state(cur, pipeline, state, source)
            cur.execute("DELETE FROM bizops.target_state WHERE state_id = %s", (pipeline,))

    def _write_state(self, cur: Any, pipeline: str, state: Any, source: str) -> None:
        problem = state_problem(state)
        if problem is not None:  # the last line of defence: a good stored state stays
            raise DataError(f"refused to store the state of {pipeline!r}: {problem}")
        cur.execute(
            "INSERT INTO bizops.pipeline_state (pipeline, state, updated_at) "
            "VALUES (%s, %s, clock_timestamp()) ON CONFLICT (pipeline) DO UPDATE SET "
            "state = EXCLUDED.state, updated_at = EXCLUDED.updated_at",
            (pipeline, Json(state)),
        )
        cur.execute(
            "INSERT INTO bizops.state_history (pipeline, state, source) VALUES (%s, %s, %s)",
            (pipeline, Json(state), source),
        )
        cur.execute(
            "DELETE FROM bizops.state_history WHERE pipeline = %s AND id <= (SELECT id FROM "
            "bizops.state_history WHERE pipeline = %s ORDER BY id DESC OFFSET %s LIMIT 1)",
            (pipeline, pipeline, HISTORY_KEEP),
        )

    def merge_state(self, pipeline: str, incoming: Any, source: str = "target") -> Any:
        """Merge ``incoming`` into the stored state per stream (under a row lock) and store it."""
        return self.merge_states(pipeline, [incoming], source)

    def merge_states(self, pipeline: str, states: Sequence[Any], source: str = "target") -> Any:
        """Merge ``states`` one after the other into the stored state, in one transaction."""
        with self._transaction() as cur:
            cur.execute(
                "SELECT state FROM bizops.pipeline_state WHERE pipeline = %s FOR UPDATE",
                (pipeline,),
            )
            row = cur.fetchone()
            merged = row[0] if row else None
            for incoming in states:
                merged = state_ops.merge(merged, incoming)
            self._write_state(cur, pipeline, merged, source)
        return merged

    def clear_state(self, pipeline: str, streams: tuple[str, ...] = ()) -> Any:
        """Forget the bookmarks of ``streams`` (all of them when empty); return the new state."""
        if streams:
            current = self.get_state(pipeline)
            new = state_ops.without_streams(current, streams)
            self.set_state(pipeline, new, source="clear")
            return new
        with self._transaction() as cur:
            cur.execute("DELETE FROM bizops.pipeline_state WHERE pipeline = %s", (pipeline,))
            cur.execute("DELETE FROM bizops.target_state WHERE state_id = %s", (pipeline,))
            cur.execute(
                "INSERT INTO bizops.state_history (pipeline, state, source) "
                "VALUES (%s, NULL, 'clear')",
                (pipeline,),
            )
        return None

    def adopt_target_state(self, pipeline: str) -> bool:
        """If the target committed a state (with its data) that bizops never stored, because
        bizops died before reading it, merge it in now. Returns whether it did.

        The target's row is always the newest state it committed: bizops stores only states the
        target printed after committing them, and every hand-made change (``set``, ``clear``)
        deletes the row. So merging it in is right whenever it changes the stored state, and a
        no-op otherwise; no clock decides (the target's ``now()`` is its transaction's start,
        which can precede a later-committed copy of bizops').
        """
        with self._transaction() as cur:
            cur.execute(
                "SELECT state FROM bizops.target_state WHERE state_id = %s FOR UPDATE", (pipeline,)
            )
            row = cur.fetchone()
            if row is None:
                return False
            problem = state_problem(row[0])
            if problem is not None:
                LOGGER.warning(
                    "pipeline %s: the target's committed state is ignored: %s", pipeline, problem
                )
                return False
            cur.execute(
                "SELECT state FROM bizops.pipeline_state WHERE pipeline = %s FOR UPDATE",
                (pipeline,),
            )
            found = cur.fetchone()
            stored = found[0] if found else None
            merged = state_ops.merge(stored, row[0])
            if merged == stored:
                return False
            self._write_state(cur, pipeline, merged, "target_state")
        LOGGER.info(
            "pipeline %s: adopted the state the target committed with its last rows", pipeline
        )
        return True

    # ---- runs --------------------------------------------------------------------------------

    def start_run(self, pipeline: str, log_path: str, trigger: str = "manual") -> int:
        """Record a run as running; return its id."""
        with self.conn.cursor() as cur:
            cur.execute(
                "INSERT INTO bizops.runs (pipeline, status, log_path, host, pid, trigger) "
                "VALUES (%s, 'running', %s, %s, %s, %s) RETURNING run_id",
                (pipeline, log_path, socket.gethostname(), os.getpid(), trigger),
            )
            return cur.fetchone()[0]

    def finish_run(
        self,
        run_id: int,
        status: str,
        counts: Mapping[str, int],
        error: str | None,
        read: Mapping[str, int] | None = None,
        rejected: Mapping[str, int] | None = None,
    ) -> None:
        """Record a run's end."""
        with self.conn.cursor() as cur:
            cur.execute(
                "UPDATE bizops.runs SET ended_at = now(), status = %s, stream_counts = %s, "
                "error = %s, rows_read = %s, rows_rejected = %s WHERE run_id = %s",
                (
                    status,
                    json.dumps(dict(counts)),
                    error,
                    json.dumps(dict(read or {})),
                    json.dumps(dict(rejected or {})),
                    run_id,
                ),
            )

    def runs(self, pipeline: str | None = None, limit: int = 20) -> list[RunRecord]:
        """Latest runs first."""
        with self.conn.cursor() as cur:
            cur.execute(
                f"SELECT {RUN_COLUMNS} FROM bizops.runs "  # noqa: S608 - constant column list
                "WHERE %s::text IS NULL OR pipeline = %s ORDER BY run_id DESC LIMIT %s",
                (pipeline, pipeline, limit),
            )
            return [RunRecord(*row) for row in cur.fetchall()]

    def run(self, run_id: int) -> RunRecord | None:
        """One run by id."""
        with self.conn.cursor() as cur:
            cur.execute(
                f"SELECT {RUN_COLUMNS} FROM bizops.runs WHERE run_id = %s",  # noqa: S608
                (run_id,),
            )
            row = cur.fetchone()
        return RunRecord(*row) if row else None

    def last_started(self, pipeline: str) -> datetime | None:
        """When the pipeline's latest run started (any status), for the scheduler."""
        with self.conn.cursor() as cur:
            cur.execute("SELECT max(started_at) FROM bizops.runs WHERE pipeline = %s", (pipeline,))
            return cur.fetchone()[0]
