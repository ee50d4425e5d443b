"""The orchestrator's tables in the warehouse's ``bizops`` schema: state, run history, locks."""

from __future__ import annotations

import json
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg2
import psycopg2.extensions
from psycopg2.extras import Json

from bizops_core.errors import ConfigurationError, PipelineLocked

DDL = """
CREATE SCHEMA IF NOT EXISTS bizops;
CREATE TABLE IF NOT EXISTS bizops.pipeline_state (
    pipeline    text PRIMARY KEY,
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
"""
LOCK_NAMESPACE = 0x62697A  # "biz": keeps our advisory keys apart from other applications'


@dataclass(frozen=True)
class RunRecord:
    """One row of run history."""

    run_id: int
    pipeline: str
    started_at: datetime
    ended_at: datetime | None
    status: str
    stream_counts: Mapping[str, int]
    error: str | None
    log_path: str | None


def lock_key(pipeline: str) -> int:
    """A stable 32-bit advisory-lock key for a pipeline name."""
    return zlib.crc32(pipeline.encode("utf-8")) & 0x7FFFFFFF


class Store:
    """Connection to the warehouse for state, history and locks (autocommit: each write is
    atomic on its own)."""

    def __init__(self, database_url: str, redact: Any = str) -> None:
        try:
            self.conn = psycopg2.connect(database_url)
        except psycopg2.OperationalError as exc:
            message = redact(str(exc)).strip()
            raise ConfigurationError(f"cannot reach the warehouse: {message}") from None
        self.conn.autocommit = True
        with self.conn.cursor() as cur:
            cur.execute("SELECT pg_advisory_lock(%s, 0)", (LOCK_NAMESPACE,))
            try:
                cur.execute(DDL)
            finally:
                cur.execute("SELECT pg_advisory_unlock(%s, 0)", (LOCK_NAMESPACE,))

    def close(self) -> None:
        """Close the connection (releasing any lock it holds)."""
        self.conn.close()

    def lock(self, pipeline: str) -> None:
        """Take the pipeline's advisory lock for as long as this connection lives."""
        with self.conn.cursor() as cur:
            cur.execute("SELECT pg_try_advisory_lock(%s, %s)", (LOCK_NAMESPACE, lock_key(pipeline)))
            (taken,) = cur.fetchone()
        if not taken:
            raise PipelineLocked(f"pipeline {pipeline!r} is already running")

    def get_state(self, pipeline: str) -> dict[str, Any] | None:
        """The pipeline's last stored Singer state, or None."""
        with self.conn.cursor() as cur:
            cur.execute("SELECT state FROM bizops.pipeline_state WHERE pipeline = %s", (pipeline,))
            row = cur.fetchone()
        return row[0] if row else None

    def set_state(self, pipeline: str, state: Any) -> None:
        """Store a state value atomically (one statement, autocommit)."""
        with self.conn.cursor() as cur:
            cur.execute(
                "INSERT INTO bizops.pipeline_state (pipeline, state) VALUES (%s, %s) "
                "ON CONFLICT (pipeline) DO UPDATE SET state = EXCLUDED.state, updated_at = now()",
                (pipeline, Json(state)),
            )

    def clear_state(self, pipeline: str) -> None:
        """Forget the pipeline's state (its next run starts from start_date)."""
        with self.conn.cursor() as cur:
            cur.execute("DELETE FROM bizops.pipeline_state WHERE pipeline = %s", (pipeline,))

    def start_run(self, pipeline: str, log_path: str) -> int:
        """Record a run as running; return its id."""
        with self.conn.cursor() as cur:
            cur.execute(
                "INSERT INTO bizops.runs (pipeline, status, log_path) VALUES (%s, 'running', %s) "
                "RETURNING run_id",
                (pipeline, log_path),
            )
            return cur.fetchone()[0]

    def finish_run(
        self, run_id: int, status: str, counts: Mapping[str, int], error: str | None
    ) -> None:
        """Record a run's end."""
        with self.conn.cursor() as cur:
            cur.execute(
                "UPDATE bizops.runs SET ended_at = now(), status = %s, stream_counts = %s, "
                "error = %s WHERE run_id = %s",
                (status, json.dumps(dict(counts)), error, run_id),
            )

    def runs(self, pipeline: str | None = None, limit: int = 20) -> list[RunRecord]:
        """Latest runs first."""
        with self.conn.cursor() as cur:
            cur.execute(
                "SELECT run_id, pipeline, started_at, ended_at, status, stream_counts, error, "
                "log_path FROM bizops.runs WHERE %s::text IS NULL OR pipeline = %s "
                "ORDER BY run_id DESC LIMIT %s",
                (pipeline, pipeline, limit),
            )
            return [RunRecord(*row) for row in cur.fetchall()]
