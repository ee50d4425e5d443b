"""The message loop: routes Singer messages to stream batches, hands full batches and released
states to the writer thread, applies SCHEMA and ACTIVATE_VERSION messages."""

from __future__ import annotations

import dataclasses
import logging
import signal
import sys
from collections.abc import Callable, Iterable
from typing import Any, TextIO

from bizops_core.errors import DataError, Interrupted
from bizops_core.singer_state import state_problem
from target_postgres import fastpath
from target_postgres.batch import Batch, StreamPlan
from target_postgres.config import TargetConfig
from target_postgres.connect import SWITCH_INTERVAL, Connecting, connect
from target_postgres.planner import Planner, parse_schema
from target_postgres.reader import Message, parse_message
from target_postgres.writer import Job, Writer

LOGGER = logging.getLogger("target_postgres.runner")
HANDOFF_ROWS = 5000  # an idle writer takes a stream's batch from this size on
FIRST_HANDOFF_ROWS = 1000  # ... and the run's first batch from this size (PostgreSQL starts early)


@dataclasses.dataclass(frozen=True)
class RunResult:
    """What a run loaded: records per stream, rejects per stream, states written."""

    records: dict[str, int]
    rejected: dict[str, int]
    states: int


def load(
    config: TargetConfig, lines: Iterable[bytes], out: TextIO, connecting: Connecting | None = None
) -> RunResult:
    """Load Singer ``lines`` into PostgreSQL, writing released states to ``out``.

    Args:
        config: the settings.
        lines: the input.
        out: where released states go.
        connecting: the connection already being opened (else one is opened here).

    Raises:
        DataError: on a structural error (after committing everything before that line and
            writing the state that covers it) or a batch PostgreSQL refuses as a whole.
        Interrupted: on SIGTERM, after committing what was read and writing its state.
        ConfigurationError: when the database cannot be reached with these settings.
    """
    conn = connecting.result() if connecting is not None else connect(config)
    writer = Writer(conn, config, out)
    previous = signal.signal(signal.SIGTERM, _interrupt)
    interval = sys.getswitchinterval()
    sys.setswitchinterval(SWITCH_INTERVAL)
    try:
        return Runner(config, writer).run(lines)
    finally:
        signal.signal(signal.SIGTERM, previous)
        sys.setswitchinterval(interval)
        writer.close()
        conn.close()


def _interrupt(signum: int, frame: Any) -> None:
    raise Interrupted("stopped by SIGTERM")


class Runner:
    """One run over one input: the streams' batches, the pending states and the writer."""

    def __init__(self, config: TargetConfig, writer: Writer) -> None:
        self.config = config
        self.writer = writer
        self.planner = Planner(config, writer.conn)
        self.batches: dict[str, Batch] = {}
        self._schemas: dict[str, tuple[Any, list[str]]] = {}
        self._pending: list[tuple[int, Any]] = []  # (line, value) of states not yet released
        self._rows = config.batch_size_rows
        self._bytes = config.batch_size_bytes
        # With a state table, data commits only at STATE boundaries, together with the state,
        # so that a resumed run re-sends exactly the uncommitted records (append streams too).
        self._commit_at_states = bool(config.state_table)
        self._flush_due = False
        self._handoff = FIRST_HANDOFF_ROWS
        # the fast path: each stream's reader (None: full path only), one decoder for them all
        self._fast: dict[str, fastpath.FastStream | None] = {}
        self._fast_streams: dict[type, str] = {}
        self._decode: Callable[[bytes], Any] | None = None
        self._full_path = 0  # RECORD lines that did not take the fast path
        # bizops ends a complete input with an END_OF_INPUT line holding this run's token
        self._end_token = config.input_end_token
        self._ended = False
        self._carried: list[Batch] = []  # old-plan records of a stream whose SCHEMA changed
        self._activations: list[tuple[StreamPlan, int]] = []  # waiting for the next STATE

    def run(self, lines: Iterable[bytes]) -> RunResult:
        """Process every message, then commit everything and write the last state."""
        number = 0
        try:
            try:
                for number, line in enumerate(lines, 1):
                    if self._ended and line.strip():
                        raise DataError(f"line {number}: input continues after {END_OF_INPUT}")
                    if self._decode is not None and self._fast_record(number, line):
                        continue
                    message = parse_message(number, line)
                    if message is None:
                        continue
                    if message.type == "RECORD":
                        self.on_record(message)
                    else:
                        self.handle(message)
                if self._end_token is not None and not self._ended:
                    raise Interrupted(
                        f"the input ended without bizops' {END_OF_INPUT} line (the tap failed or "
                        "was stopped)"
                    )
            except RecursionError as exc:  # a value nested too deeply for some step to walk
                raise DataError(f"line {number}: nested too deeply to process") from exc
        except (DataError, Interrupted):
            if self.writer.error is None:
                self.finish(complete=False)  # commit what came before the bad line (or signal)
            raise
        self.finish()
        records = dict(self.writer.loaded)
        rejected = dict(self.writer.rejected)
        LOGGER.info(
            "loaded records per stream %s; rejected %s; wrote %d state(s); "
            "%d record(s) took the full path",
            records,
            rejected or "none",
            self.writer.emitted,
            self._full_path,
        )
        return RunResult(records, rejected, self.writer.emitted)

    def finish(self, complete: bool = True) -> None:
        """Hand everything buffered (and every pending state) to the writer and wait. With a
        state table and an input that did not end cleanly (``complete`` false), the records
        after the last STATE are not committed: no committed state covers them, and the next
        run, resuming from that state, sends them again (append-only streams would get them
        twice)."""
        if self._commit_at_states and not complete:
            tails = self._detach_tails()
            self._carried.clear()  # (a STATE after them would have committed them)
            self._activations.clear()
            dropped = sum(len(tail) + len(tail.rejects) for tail in tails.values())
            if dropped:
                LOGGER.warning(
                    "%d record(s) after the last STATE not committed: no state covers them "
                    "(the next run sends them again)",
                    dropped,
                )
        self.submit(list(self.batches))
        self.writer.drain()

    def _detach_tails(self) -> dict[str, Batch]:
        """Split every batch at the newest pending state: the batches keep the records before
        it, the returned ones (per stream) hold the later records, which no state covers."""
        marks = self._pending[-1][2] if self._pending else {}
        tails = {}
        for stream, batch in self.batches.items():
            mark = marks.get(stream)
            if mark is None:
                tails[stream] = batch
                self.batches[stream] = Batch(batch.plan, self._fast.get(stream))
            else:
                tails[stream] = batch.detach_after(mark)
        return tails

    def handle(self, message: Message) -> None:
        """Route a message other than RECORD by its type."""
        if message.type == "STATE":
            if "value" not in message.body:  # echoing it as null would lose the bookmarks
                raise DataError(f"line {message.line}: STATE without a 'value'")
            value = message.body.get("value")
            problem = state_problem(value)
            if problem is not None:  # never committed, never echoed: it would replace bookmarks
                raise DataError(f"line {message.line}: STATE refused: {problem}")
            marks = {}
            if self._commit_at_states:  # where the records this state covers end
                marks = {stream: batch.mark() for stream, batch in self.batches.items() if batch}
            self._pending.append((message.line, value, marks))
            if self.writer.waiting == 0 or self._flush_due:  # else it leaves with a later commit
                self._flush_due = False
                self.submit(list(self.batches))
        elif message.type == "SCHEMA":
            self.on_schema(message)
        elif message.type == "ACTIVATE_VERSION":
            self.on_activate_version(message)
        elif message.type == END_OF_INPUT and self._end_token is not None:
            if message.body.get("token") != self._end_token:
                raise DataError(f"line {message.line}: {END_OF_INPUT} with a wrong token")
            self._ended = True
        elif message.type == "BATCH":
            raise DataError(f"line {message.line}: BATCH messages are not supported")
        else:
            LOGGER.debug("line %d: ignoring message type %r", message.line, message.type)

    def _fast_record(self, number: int, line: bytes) -> bool:
        """Add a plain RECORD line through the fast path; False: nothing done, read it fully."""
        controls = fastpath.escapes(line)
        if controls is None:
            return False
        try:
            message = self._decode(line)  # type: ignore[misc]
        except (fastpath.DecodeError, RecursionError):  # deep nesting: orjson reads more levels
            return False
        stream = self._fast_streams.get(type(message))
        if stream is None or message.type != "RECORD":
            return False
        batch = self.batches[stream]
        rows = batch.add_fast(message, line, number, controls)
        if not rows:
            return False
        if rows & 63 == 0 or rows >= self._rows:  # the byte limit is checked every 64 records
            self._added(stream, batch)
        return True

    def on_record(self, message: Message) -> None:
        """Check a RECORD's stream and keys, add it to its batch, submit the batch when full."""
        self._full_path += 1
        body = message.body
        stream = body.get("stream")
        batch = self.batches.get(stream) if isinstance(stream, str) else None
        if batch is None:
            raise DataError(f"line {message.line}: {_no_schema(stream)}")
        record = body.get("record")
        if type(record) is not dict:
            raise DataError(f"line {message.line}: RECORD without a 'record' object")
        for key in batch.plan.key_properties:
            if record.get(key) is None:
                raise DataError(
                    f"line {message.line}: RECORD for stream {stream!r} has no value "
                    f"for key property {key!r}"
                )
        batch.add(record, message)
        self._added(stream, batch)

    def _added(self, stream: str, batch: Batch) -> None:
        """After a record: submit a full batch, or everything once the writer is idle (the
        writer never waits for a STATE while records are buffered; with a state table, data
        commits only at STATE boundaries)."""
        rows = len(batch)
        if rows >= self._rows or batch.nbytes >= self._bytes:
            if self._commit_at_states:
                self._flush_due = True
            else:
                self.submit([stream])
        elif rows >= self._handoff and not self._commit_at_states and self.writer.idle:
            self.submit(list(self.batches))

    def on_schema(self, message: Message) -> None:
        """Apply a SCHEMA: create, extend or widen the stream's table, then start its batch."""
        stream, properties, key_properties = parse_schema(message)
        if self._schemas.get(stream) == (properties, key_properties):
            return  # a repeated SCHEMA changes nothing
        tails = self._detach_tails() if self._commit_at_states else {}
        waiting, self._activations = self._activations, []
        self.submit(list(self.batches))  # (with a state table: up to the newest state only)
        self.writer.drain()  # the writer is idle: its connection is ours until the next submit
        self._activations = waiting
        for name, tail in tails.items():  # records no state covers yet wait for one
            if name == stream and tail:
                self._carried.append(tail)  # written with its own (older) plan
                self._flush_due = True  # the next STATE commits it at once
            elif name != stream:
                self.batches[name] = tail
        plan = self.planner.plan(message.line, stream, properties, key_properties)
        self._fast[stream] = fastpath.fast_stream(plan)
        self.batches[stream] = Batch(plan, self._fast[stream])
        self._schemas[stream] = (properties, key_properties)
        fast = [reader for reader in self._fast.values() if reader is not None]
        self._fast_streams = {reader.envelope: reader.stream for reader in fast}
        self._decode = None if not fast else fastpath.decoder(fast).decode

    def on_activate_version(self, message: Message) -> None:
        """Commit everything before it, then retire the rows of older table versions."""
        stream, version = message.body.get("stream"), message.body.get("version")
        batch = self.batches.get(stream) if isinstance(stream, str) else None
        if batch is None:
            raise DataError(f"line {message.line}: ACTIVATE_VERSION for unknown stream {stream!r}")
        if type(version) is not int:
            raise DataError(f"line {message.line}: ACTIVATE_VERSION needs an integer 'version'")
        if self._commit_at_states:  # retired with the next STATE's commit, never before it
            self._activations.append((batch.plan, version))
            self._flush_due = True  # that STATE commits at once
            return
        self.submit(list(self.batches), [(batch.plan, version)])

    def submit(
        self, streams: list[str], activations: list[tuple[StreamPlan, int]] | None = None
    ) -> None:
        """Hand the streams' batches to the writer with the newest state they make safe."""
        batches = [self.batches[stream] for stream in streams if self.batches[stream]]
        if self._carried:
            batches, self._carried = [*self._carried, *batches], []
        if self._activations:
            activations, self._activations = [*self._activations, *(activations or [])], []
        for batch in batches:
            if batch.plan is not self.batches[batch.plan.stream].plan:
                continue  # a carried batch: its stream already has a new one
            stream = batch.plan.stream
            self.batches[stream] = Batch(batch.plan, self._fast.get(stream))
        state = self._releasable()
        if batches or activations or state is not None:
            self.writer.submit(Job(batches, activations or [], state))
            self._handoff = HANDOFF_ROWS

    def _releasable(self) -> tuple[Any] | None:
        """The newest pending state that no record still held here precedes (and drop older)."""
        held = [batch.first_line for batch in self.batches.values() if batch]
        oldest = min(held) if held else None
        safe = [entry for entry in self._pending if oldest is None or entry[0] < oldest]
        if not safe:
            return None
        self._pending = self._pending[len(safe) :]
        return (safe[-1][1],)


END_OF_INPUT = "END_OF_INPUT"  # the type of bizops' last line (see ``input_end_token``)


def _no_schema(stream: Any) -> str:
    if not isinstance(stream, str):
        return "RECORD without a 'stream' name"
    return f"RECORD for stream {stream!r} arrived before its SCHEMA"
