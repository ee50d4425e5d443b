"""The writer thread: commits jobs (batches, activations, a state) in order while the main thread
parses the next batch; a job's state is echoed only after its transaction commits."""

from __future__ import annotations

import dataclasses
import logging
import queue
import threading
import time
from collections import Counter
from typing import Any, TextIO

import psycopg2
from psycopg2 import sql

from bizops_core.errors import BizOpsError, FatalError
from target_postgres import meta
from target_postgres.batch import Batch, StreamPlan
from target_postgres.config import TargetConfig
from target_postgres.loader import write_batch
from target_postgres.reader import encode

LOGGER = logging.getLogger("target_postgres.writer")
_POLL = 0.2


@dataclasses.dataclass
class Job:
    """One transaction: batches to write, versions to activate, then the state they cover."""

    batches: list[Batch]
    activations: list[tuple[StreamPlan, int]] = dataclasses.field(default_factory=list)
    state: tuple[Any] | None = None  # (value,): the value may itself be null


class Writer:
    """Owns the load connection; runs jobs one at a time on a thread.

    At most one job waits while another is written, so memory stays bounded by about three
    batches (these two and the one being filled).
    """

    def __init__(self, conn: Any, config: TargetConfig, out: TextIO) -> None:
        self.conn = conn
        self.config = config
        self.out = out
        self.error: BaseException | None = None
        self.emitted = 0
        self.loaded: Counter[str] = Counter()
        self.rejected: Counter[str] = Counter()
        self._queue: queue.Queue[Job | None] = queue.Queue(maxsize=1)
        self._outstanding = 0
        self._done = threading.Condition()
        self._thread = threading.Thread(target=self._loop, name="target-postgres-writer")
        self._thread.daemon = True
        self._thread.start()

    @property
    def idle(self) -> bool:
        """Whether no job is queued or being written."""
        return self._outstanding == 0

    @property
    def waiting(self) -> int:
        """How many submitted jobs wait behind the one being written."""
        return max(self._outstanding - 1, 0)

    def submit(self, job: Job) -> None:
        """Queue a job (waits while another one is already queued)."""
        self.check()
        with self._done:
            self._outstanding += 1
        while True:
            try:
                self._queue.put(job, timeout=_POLL)
                return
            except queue.Full:
                self.check()

    def drain(self) -> None:
        """Wait until every queued job is committed; raise the writer's error if it failed."""
        with self._done:
            while self._outstanding and self.error is None and self._thread.is_alive():
                self._done.wait(_POLL)
        self.check()

    def check(self) -> None:
        """Raise the error that stopped the writer, if any."""
        if self.error is not None:
            raise self.error
        if not self._thread.is_alive():
            raise FatalError("the writer thread stopped unexpectedly")

    def close(self) -> None:
        """Stop the thread once the queued jobs are done."""
        if self._thread.is_alive():
            self._queue.put(None)
            self._thread.join()

    def _loop(self) -> None:
        while True:
            job = self._queue.get()
            if job is None:
                return
            try:
                if self.error is None:
                    self._run(job)
            except (BizOpsError, psycopg2.Error, OSError) as exc:
                self.error = exc
                _rollback(self.conn)
            finally:
                with self._done:
                    self._outstanding -= 1
                    self._done.notify_all()

    def _run(self, job: Job) -> None:
        started = time.perf_counter()
        rejects: list[meta.Reject] = []
        written: Counter[str] = Counter()  # rows loaded per stream
        with self.conn.cursor() as cur:
            for slot, batch in enumerate(job.batches):
                rejects.extend(batch.rejects)
                refused = write_batch(cur, batch, slot)
                rejects.extend(refused)
                written[batch.plan.stream] += len(batch) - len(refused)
            meta.write_rejects(cur, self.config.default_target_schema, rejects)
            for plan, version in job.activations:
                _activate(cur, plan, version, self.config.hard_delete)
            if job.state is not None and self.config.state_table:
                schema, name = self.config.state_table_name()
                meta.write_state(cur, schema, name, self.config.state_id, job.state[0])
        self.conn.commit()
        self.loaded.update(written)
        self._log(written, rejects, time.perf_counter() - started)
        if job.state is not None:
            self.out.write(encode(job.state[0]) + "\n")
            self.out.flush()
            self.emitted += 1

    def _log(self, written: Counter[str], rejects: list[meta.Reject], seconds: float) -> None:
        """One line per stream after a commit (bizops sums these into its run history):
        ``stream S: wrote N rows`` and ``stream S: rejected N record(s)``."""
        counts = Counter(stream for stream, *_ in rejects)
        self.rejected.update(counts)
        rejects_table = f"{self.config.default_target_schema}.{meta.REJECTS_TABLE}"
        for stream, count in counts.items():
            LOGGER.warning("stream %s: rejected %d record(s) into %s", stream, count, rejects_table)
        for stream, rows in written.items():
            LOGGER.info("stream %s: wrote %d rows (committed in %.2f s)", stream, rows, seconds)


def _activate(cur: Any, plan: StreamPlan, version: int, hard_delete: bool) -> None:
    """Delete (soft or hard) the rows of table versions older than ``version``."""
    if "_sdc_table_version" not in plan.metadata:
        LOGGER.warning(
            "stream %s: ACTIVATE_VERSION needs the metadata columns; ignored", plan.stream
        )
        return
    older = sql.SQL("(_sdc_table_version < %s OR _sdc_table_version IS NULL)")
    target = meta.qualified(plan.schema, plan.table)
    if hard_delete:
        statement = sql.SQL("DELETE FROM {} WHERE {}").format(target, older)
    else:
        statement = sql.SQL(
            "UPDATE {} SET _sdc_deleted_at = now() WHERE {} AND _sdc_deleted_at IS NULL"
        ).format(target, older)
    cur.execute(statement, (version,))
    LOGGER.info(
        "stream %s: activated version %d; %d older row(s) %s",
        plan.stream,
        version,
        cur.rowcount,
        "deleted" if hard_delete else "marked deleted",
    )


def _rollback(conn: Any) -> None:
    try:
        conn.rollback()
    except psycopg2.Error as exc:
        LOGGER.debug("rollback after a failed job also failed: %s", exc)
