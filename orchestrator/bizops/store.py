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
from bizops.store_schema import LOCK_NAMESPACE, ensure_tables
from bizops_core.errors import ConfigurationError, DataError, PipelineLocked
from bizops_core.singer_state import state_problem

LOGGER = logging.getLogger("bizops.store")
TARGET_STATE_TABLE = "bizops.target_state"
HISTORY_KEEP = 50  # state versions kept per pipeline


@dataclass(frozen=True)
class RunRecord:
    """One row of run history (``stream_counts`` are the rows loaded per stream, None when the
    target reported none)."""

    run_id: int
    pipeline: str
    started_at: datetime
    ended_at: datetime | None
    status: str
    stream_counts: Mapping[str, int] | None
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


def lock_key(pipeline: str, project: str = "") -> int:
    """A stable 32-bit advisory-lock key for a project's pipeline (a project without an id keeps
    the key of the pipeline's name, as before project ids)."""
    return zlib.crc32(state_key(pipeline, project).encode("utf-8")) & 0x7FFFFFFF


def state_key(pipeline: str, project: str = "") -> str:
    """The ``state_id`` of a project's pipeline in the target's state table."""
    return f"{project}/{pipeline}" if project else pipeline


class Store:
    """Connection to the warehouse for state, history and locks (autocommit: each write is
    atomic on its own)."""

    def __init__(self, database_url: str, redact: Any = str, project: str = "") -> None:
        from bizops.warehouse import one_line

        self.project = project  # every row read or written belongs to this project
        try:
            self.conn = psycopg2.connect(database_url, application_name="bizops")
        except psycopg2.Error as exc:
            message = one_line(redact(str(exc)))
            raise ConfigurationError(f"cannot reach the warehouse: {message}") from None
        self.conn.autocommit = True
        try:
            ensure_tables(self.conn)
        except psycopg2.Error as exc:
            self.conn.close()
            message = one_line(redact(str(exc)))
            raise ConfigurationError(
                f"cannot create bizops' tables in the warehouse: {message}"
            ) from None
        except ConfigurationError:
            self.conn.close()
            raise

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
            key = lock_key(pipeline, self.project)
            cur.execute("SELECT pg_try_advisory_lock(%s, %s)", (LOCK_NAMESPACE, key))
            (taken,) = cur.fetchone()
            if not taken:
                raise PipelineLocked(f"pipeline {pipeline!r} is already running")
            # Holding the lock proves no other run of this pipeline is alive.
            cur.execute(
                "UPDATE bizops.runs SET status = 'abandoned', ended_at = coalesce(ended_at, now()),"
                " error = coalesce(error, 'the process running it died (no clean shutdown)') "
                "WHERE project = %s AND pipeline = %s AND status = 'running'",
                (self.project, pipeline),
            )

    def is_locked(self, pipeline: str) -> bool:
        """Whether some run of ``pipeline`` holds its lock right now."""
        with self.conn.cursor() as cur:
            cur.execute(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND classid = %s "
                "AND objid = %s AND granted",
                (LOCK_NAMESPACE, lock_key(pipeline, self.project)),
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
            cur.execute(
                "SELECT state FROM bizops.pipeline_state WHERE project = %s AND pipeline = %s",
                (self.project, pipeline),
            )
            row = cur.fetchone()
        return row[0] if row else None

    def list_states(self) -> list[tuple[str, Any, datetime]]:
        """Every pipeline's state with the time it was last stored."""
        with self.conn.cursor() as cur:
            cur.execute(
                "SELECT pipeline, state, updated_at FROM bizops.pipeline_state WHERE project = %s "
                "ORDER BY 1",
                (self.project,),
            )
            return list(cur.fetchall())

    def set_state(self, pipeline: str, state: Any, source: str = "set") -> None:
        """Replace the stored state by hand (``set``, ``clear``) in one transaction, keeping a
        version in state_history. The target's committed copy is dropped with it: it is older
        than this state and must never be adopted over it."""
        with self._transaction() as cur:
            self._write_state(cur, pipeline, state, source)
            cur.execute(
                "DELETE FROM bizops.target_state WHERE state_id = %s", (self._id(pipeline),)
            )

    def _id(self, pipeline: str) -> str:
        return state_key(pipeline, self.project)

    def _write_state(
        self, cur: Any, pipeline: str, state: Any, source: str, bookmarks_for: Any = None
    ) -> None:
        """Upsert the state (``bookmarks_for``: what its bookmarks are for; None keeps what
        the row says) and keep a version in state_history."""
        problem = state_problem(state)
        if problem is not None:  # the last line of defence: a good stored state stays
            raise DataError(f"refused to store the state of {pipeline!r}: {problem}")
        marks_for = None if bookmarks_for is None else Json(bookmarks_for)
        cur.execute(
            "INSERT INTO bizops.pipeline_state (project, pipeline, state, bookmarks_for, "
            "updated_at) VALUES (%s, %s, %s, %s, clock_timestamp()) "
            "ON CONFLICT (project, pipeline) DO UPDATE SET state = EXCLUDED.state, "
            "bookmarks_for = coalesce(EXCLUDED.bookmarks_for, pipeline_state.bookmarks_for), "
            "updated_at = EXCLUDED.updated_at",
            (self.project, pipeline, Json(state), marks_for),
        )
        self._history(cur, pipeline, state, source, bookmarks_for)

    def _history(
        self, cur: Any, pipeline: str, state: Any, source: str, bookmarks_for: Any = None
    ) -> None:
        scope = (self.project, pipeline)
        cur.execute(
            "INSERT INTO bizops.state_history (project, pipeline, state, source, bookmarks_for) "
            "VALUES (%s, %s, %s, %s, %s)",
            (*scope, None if state is None else Json(state), source,
             None if bookmarks_for is None else Json(bookmarks_for)),
        )  # fmt: skip
        cur.execute(
            "DELETE FROM bizops.state_history WHERE project = %s AND pipeline = %s AND id <= "
            "(SELECT id FROM bizops.state_history WHERE project = %s AND pipeline = %s "
            "ORDER BY id DESC OFFSET %s LIMIT 1)",
            (*scope, *scope, HISTORY_KEEP),
        )

    def _locked_state(self, cur: Any, pipeline: str) -> tuple[Any, Any] | None:
        """(state, bookmarks_for) of the pipeline's row, locked for this transaction."""
        cur.execute(
            "SELECT state, bookmarks_for FROM bizops.pipeline_state "
            "WHERE project = %s AND pipeline = %s FOR UPDATE",
            (self.project, pipeline),
        )
        return cur.fetchone()

    def merge_state(self, pipeline: str, incoming: Any, source: str = "target") -> Any:
        """Merge ``incoming`` into the stored state per stream (under a row lock) and store it."""
        return self.merge_states(pipeline, [incoming], source)

    def merge_states(
        self,
        pipeline: str,
        states: Sequence[Any],
        source: str = "target",
        bookmarks_for: Any = None,
    ) -> Any:
        """Merge ``states`` one after the other into the stored state, in one transaction."""
        with self._transaction() as cur:
            row = self._locked_state(cur, pipeline)
            merged = row[0] if row else None
            for incoming in states:
                merged = state_ops.merge(merged, incoming)
            self._write_state(cur, pipeline, merged, source, bookmarks_for)
        return merged

    def clear_state(self, pipeline: str, streams: tuple[str, ...] = ()) -> Any:
        """Forget the bookmarks of ``streams`` (all of them when empty); return the new state."""
        if streams:
            current = self.get_state(pipeline)
            new = state_ops.without_streams(current, streams)
            self.set_state(pipeline, new, source="clear")
            return new
        with self._transaction() as cur:
            self._forget(cur, pipeline, "clear")
        return None

    def _forget(self, cur: Any, pipeline: str, source: str, bookmarks_for: Any = None) -> None:
        cur.execute(
            "DELETE FROM bizops.pipeline_state WHERE project = %s AND pipeline = %s",
            (self.project, pipeline),
        )
        cur.execute("DELETE FROM bizops.target_state WHERE state_id = %s", (self._id(pipeline),))
        self._history(cur, pipeline, None, source, bookmarks_for)

    def forget_if_moved(self, pipeline: str, bookmarks_for: Any) -> Any:
        """When the stored state's bookmarks are for something else (another tap, target or
        target schema) than ``bookmarks_for``, forget them (the old state stays in
        state_history) and return what they were for; else None. A state stored before bizops
        recorded this is taken to be for ``bookmarks_for``."""
        with self._transaction() as cur:
            row = self._locked_state(cur, pipeline)
            if row is None or row[1] is None or row[1] == bookmarks_for:
                if row is not None and row[1] is None:
                    cur.execute(
                        "UPDATE bizops.pipeline_state SET bookmarks_for = %s "
                        "WHERE project = %s AND pipeline = %s",
                        (Json(bookmarks_for), self.project, pipeline),
                    )
                return None
            self._forget(cur, pipeline, "moved", bookmarks_for)
        return row[1]

    def preview_state(self, pipeline: str, bookmarks_for: Any) -> Any:
        """The state a run would start with (see :meth:`forget_if_moved` and
        :meth:`adopt_target_state`), changing nothing: for ``--dry-run``."""
        with self.conn.cursor() as cur:
            cur.execute(
                "SELECT state, bookmarks_for FROM bizops.pipeline_state "
                "WHERE project = %s AND pipeline = %s",
                (self.project, pipeline),
            )
            row = cur.fetchone()
            cur.execute(
                "SELECT state FROM bizops.target_state WHERE state_id = %s", (self._id(pipeline),)
            )
            committed = cur.fetchone()
        if row is not None and row[1] is not None and row[1] != bookmarks_for:
            return None
        stored = row[0] if row else None
        if committed is None or state_problem(committed[0]) is not None:
            return stored
        return state_ops.merge(stored, committed[0])

    def adopt_target_state(self, pipeline: str, bookmarks_for: Any = None) -> bool:
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
                "SELECT state FROM bizops.target_state WHERE state_id = %s FOR UPDATE",
                (self._id(pipeline),),
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
            found = self._locked_state(cur, pipeline)
            stored = found[0] if found else None
            merged = state_ops.merge(stored, row[0])
            if merged == stored:
                return False
            self._write_state(cur, pipeline, merged, "target_state", bookmarks_for)
        LOGGER.info(
            "pipeline %s: adopted the state the target committed with its last rows", pipeline
        )
        return True

    def has_unclaimed_state(self, pipeline: str) -> bool:
        """Whether a pipeline of this name has state stored without a project (before project
        ids) while this project, which has an id, has none."""
        if not self.project:
            return False
        with self.conn.cursor() as cur:
            cur.execute(
                "SELECT array_agg(project) FROM bizops.pipeline_state WHERE pipeline = %s "
                "AND project IN ('', %s)",
                (pipeline, self.project),
            )
            found = cur.fetchone()[0] or []
        return found == [""]

    def claim(self, pipeline: str) -> bool:
        """Move a pipeline's state, state history, committed target state and run history stored
        without a project (before project ids) into this project; False when there is none.

        Raises:
            ConfigurationError: without a project id, or when this project has state already.
            PipelineLocked: while a project without an id runs the pipeline.
        """
        if not self.project:
            raise ConfigurationError("bizops.yml has no project_id: add one first")
        legacy = (LOCK_NAMESPACE, lock_key(pipeline, ""))
        with self.conn.cursor() as cur:
            cur.execute("SELECT pg_try_advisory_lock(%s, %s)", legacy)
            if not cur.fetchone()[0]:
                raise PipelineLocked(f"pipeline {pipeline!r} is running in a project without id")
        try:
            with self._transaction() as cur:
                cur.execute(
                    "SELECT count(*) FROM bizops.target_state WHERE state_id = %s",
                    (self._id(pipeline),),
                )
                committed = cur.fetchone()[0]
                if committed or self._locked_state(cur, pipeline) is not None:
                    raise ConfigurationError(
                        f"pipeline {pipeline!r} of this project has state already; "
                        f"`bizops state clear {pipeline}` first to replace it"
                    )
                moved = 0
                for table in ("pipeline_state", "state_history", "runs"):
                    cur.execute(
                        f"UPDATE bizops.{table} SET project = %s "  # noqa: S608 - fixed names
                        "WHERE project = '' AND pipeline = %s",
                        (self.project, pipeline),
                    )
                    moved += cur.rowcount
                cur.execute(
                    "UPDATE bizops.target_state SET state_id = %s WHERE state_id = %s",
                    (self._id(pipeline), pipeline),
                )
        finally:
            with self.conn.cursor() as cur:
                cur.execute("SELECT pg_advisory_unlock(%s, %s)", legacy)
        return moved > 0

    # ---- runs --------------------------------------------------------------------------------

    def clock(self) -> datetime:
        """The warehouse's clock now (run times are all taken from it)."""
        with self.conn.cursor() as cur:
            cur.execute("SELECT clock_timestamp()")
            return cur.fetchone()[0]

    def start_run(
        self,
        pipeline: str,
        log_path: str,
        trigger: str = "manual",
        started_at: datetime | None = None,
    ) -> int:
        """Record a run as running (since ``started_at`` from :meth:`clock`, default now);
        return its id."""
        with self.conn.cursor() as cur:
            cur.execute(
                "INSERT INTO bizops.runs (project, pipeline, status, log_path, host, pid, "
                "trigger, started_at) VALUES (%s, %s, 'running', %s, %s, %s, %s, "
                "coalesce(%s, now())) RETURNING run_id",
                (
                    self.project,
                    pipeline,
                    log_path,
                    socket.gethostname(),
                    os.getpid(),
                    trigger,
                    started_at,
                ),
            )
            return cur.fetchone()[0]

    def finish_run(
        self,
        run_id: int,
        status: str,
        counts: Mapping[str, int] | None,
        error: str | None,
        read: Mapping[str, int] | None = None,
        rejected: Mapping[str, int] | None = None,
    ) -> None:
        """Record a run's end (``counts`` None: the target reported no loaded counts)."""
        with self.conn.cursor() as cur:
            cur.execute(
                "UPDATE bizops.runs SET ended_at = now(), status = %s, stream_counts = %s, "
                "error = %s, rows_read = %s, rows_rejected = %s WHERE run_id = %s",
                (
                    status,
                    json.dumps(None if counts is None else dict(counts)),
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
                "WHERE project = %s AND (%s::text IS NULL OR pipeline = %s) "
                "ORDER BY run_id DESC LIMIT %s",
                (self.project, pipeline, pipeline, limit),
            )
            return [RunRecord(*row) for row in cur.fetchall()]

    def run(self, run_id: int) -> RunRecord | None:
        """One run by id."""
        with self.conn.cursor() as cur:
            cur.execute(
                f"SELECT {RUN_COLUMNS} FROM bizops.runs "  # noqa: S608 - constant column list
                "WHERE run_id = %s AND project = %s",
                (run_id, self.project),
            )
            row = cur.fetchone()
        return RunRecord(*row) if row else None

    def last_started(self, pipeline: str) -> datetime | None:
        """When the pipeline's latest run started (any status), for the scheduler."""
        with self.conn.cursor() as cur:
            cur.execute(
                "SELECT max(started_at) FROM bizops.runs WHERE project = %s AND pipeline = %s",
                (self.project, pipeline),
            )
            return cur.fetchone()[0]
