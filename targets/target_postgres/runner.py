"""The message loop: routes Singer messages to stream buffers, flushes, and releases states."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any, TextIO

import psycopg2

from bizops_core.errors import ConfigurationError, DataError, RetriableError
from target_postgres import encode, identifiers, table, types
from target_postgres.config import TargetConfig
from target_postgres.loader import (
    METADATA_TYPES,
    ORDINAL,
    RejectedValueError,
    StreamBuffer,
    StreamPlan,
)
from target_postgres.reader import Message, read_messages
from target_postgres.state import StateTracker

LOGGER = logging.getLogger("target_postgres.runner")


@dataclasses.dataclass(frozen=True)
class RunResult:
    """What a run loaded: records per stream and the number of states written."""

    records: dict[str, int]
    states: int


def load(config: TargetConfig, lines: Iterable[bytes], out: TextIO) -> RunResult:
    """Load Singer ``lines`` into PostgreSQL, writing released states to ``out``.

    Args:
        config: the parsed settings.
        lines: the Singer input, one message per line.
        out: where state lines go (stdout in the CLI).

    Returns:
        The records loaded per stream and the number of states written.

    Raises:
        DataError: on a structural error (after committing everything before that line and
            writing the state that covers it) or a value PostgreSQL refuses.
        ConfigurationError: when the database cannot be reached with these settings.
    """
    LOGGER.info("connecting to %s", config.describe_connection())
    conn = _connect(config)
    try:
        return Runner(config, conn, StateTracker(out)).run(lines)
    finally:
        conn.close()


def _connect(config: TargetConfig) -> Any:
    try:
        conn = psycopg2.connect(application_name="target-postgres", **config.connect_kwargs())
    except psycopg2.OperationalError as exc:
        message = f"cannot connect to {config.describe_connection()}: {str(exc).strip()}"
        if "authentication" in str(exc) or "does not exist" in str(exc):
            raise ConfigurationError(message) from exc
        raise RetriableError(message) from exc
    conn.set_client_encoding("UTF8")
    with conn.cursor() as cur:
        cur.execute("SET TIME ZONE 'UTC'")  # a date-time without an offset is read as UTC
    conn.commit()
    return conn


class Runner:
    """One run over one input: the streams' buffers, the state tracker and the connection."""

    def __init__(self, config: TargetConfig, conn: Any, tracker: StateTracker) -> None:
        self.config = config
        self.conn = conn
        self.tracker = tracker
        self.buffers: dict[str, StreamBuffer] = {}
        self._schemas: dict[str, tuple[Any, list[str]]] = {}
        with conn.cursor() as cur:
            table.ensure_schema(cur, config.default_target_schema)
        conn.commit()

    def run(self, lines: Iterable[bytes]) -> RunResult:
        """Process every message, then flush everything and write the last state."""
        try:
            for message in read_messages(lines):
                self.handle(message)
        except RejectedValueError:
            raise
        except DataError:
            self.flush(list(self.buffers.values()))  # commit what came before the bad line
            raise
        self.flush(list(self.buffers.values()))
        records = {stream: buffer.loaded for stream, buffer in self.buffers.items()}
        LOGGER.info(
            "loaded records per stream %s; wrote %d state(s)", records, self.tracker.emitted
        )
        return RunResult(records, self.tracker.emitted)

    def handle(self, message: Message) -> None:
        """Route one message by its type."""
        if message.type == "RECORD":
            self.on_record(message)
        elif message.type == "STATE":
            self.tracker.add(message.line, message.body.get("value"))
            self.flush(list(self.buffers.values()))
        elif message.type == "SCHEMA":
            self.on_schema(message)
        elif message.type == "ACTIVATE_VERSION":
            LOGGER.info("line %d: ACTIVATE_VERSION is not implemented yet; ignored", message.line)
        elif message.type == "BATCH":
            raise DataError(f"line {message.line}: BATCH messages are not supported")
        else:
            LOGGER.debug("line %d: ignoring message type %r", message.line, message.type)

    def on_record(self, message: Message) -> None:
        """Check a RECORD's stream and keys, buffer it, flush its stream when the batch is full."""
        body = message.body
        stream = body.get("stream")
        buffer = self.buffers.get(stream) if isinstance(stream, str) else None
        if buffer is None:
            raise DataError(f"line {message.line}: {_no_schema(stream)}")
        record = body.get("record")
        if not isinstance(record, dict):
            raise DataError(f"line {message.line}: RECORD without a 'record' object")
        _check_record(buffer, record, message)
        buffer.add(record, body, message.line)
        if len(buffer) >= self.config.batch_size_rows:
            self.flush([buffer])

    def on_schema(self, message: Message) -> None:
        """Apply a SCHEMA: create or extend the stream's table and start its buffer."""
        stream, properties, key_properties = _parse_schema(message)
        known = self._schemas.get(stream)
        if known == (properties, key_properties):
            return  # a repeated SCHEMA changes nothing
        if stream in self.buffers:
            self.flush([self.buffers[stream]])
        try:
            plan = self._plan(stream, properties, key_properties)
        except DataError as exc:
            self.conn.rollback()
            raise DataError(f"line {message.line}: SCHEMA for stream {stream!r}: {exc}") from exc
        self.conn.commit()
        loaded = self.buffers[stream].loaded if stream in self.buffers else 0
        self.buffers[stream] = StreamBuffer(plan)
        self.buffers[stream].loaded = loaded
        self._schemas[stream] = (properties, key_properties)

    def flush(self, buffers: list[StreamBuffer]) -> None:
        """Write the given buffers in one transaction, commit, then release what states it can."""
        full = [buffer for buffer in buffers if len(buffer)]
        if full:
            batched_at = datetime.now(UTC)
            try:
                with self.conn.cursor() as cur:
                    for slot, buffer in enumerate(full):
                        buffer.write(cur, batched_at, slot)
            except BaseException:
                self.conn.rollback()
                raise
            self.conn.commit()
            for buffer in full:
                buffer.clear()
        lines = [buffer.first_line for buffer in self.buffers.values() if len(buffer)]
        self.tracker.release(min(lines) if lines else None)

    def _plan(self, stream: str, properties: Mapping[str, Any], keys: list[str]) -> StreamPlan:
        metadata = list(METADATA_TYPES) if self.config.add_metadata_columns else []
        metadata = [name for name in metadata if name not in properties]
        names = identifiers.conform_all(properties, reserved=[*metadata, ORDINAL])
        wanted = [(names[prop], types.column_type(schema)) for prop, schema in properties.items()]
        wanted += [(name, METADATA_TYPES[name]) for name in metadata]
        schema, table_name = self.config.default_target_schema, identifiers.conform(stream)
        key_columns = [names[key] for key in keys]
        with self.conn.cursor() as cur:
            actual = table.sync_table(cur, schema, table_name, wanted, key_columns)
        columns = tuple((prop, names[prop], actual[names[prop]]) for prop in properties)
        return StreamPlan(
            stream, schema, table_name, columns, tuple(keys), tuple(key_columns), tuple(metadata)
        )


def _no_schema(stream: Any) -> str:
    if not isinstance(stream, str):
        return "RECORD without a 'stream' name"
    return f"RECORD for stream {stream!r} arrived before its SCHEMA"


def _check_record(buffer: StreamBuffer, record: dict[str, Any], message: Message) -> None:
    """Refuse a record whose key is missing or null, or whose text holds a NUL character."""
    for key in buffer.plan.key_properties:
        if record.get(key) is None:
            raise DataError(
                f"line {message.line}: RECORD for stream {buffer.plan.stream!r} has no value "
                f"for key property {key!r}"
            )
    if b"\\u0000" in message.raw and encode.holds_nul(record):
        raise DataError(
            f"line {message.line}: RECORD for stream {buffer.plan.stream!r} holds a NUL "
            "character (\\u0000), which PostgreSQL text and jsonb cannot store"
        )


def _parse_schema(message: Message) -> tuple[str, dict[str, Any], list[str]]:
    """The stream name, properties and key properties of a SCHEMA message, checked."""
    body, line = message.body, message.line
    stream = body.get("stream")
    if not isinstance(stream, str) or not stream:
        raise DataError(f"line {line}: SCHEMA without a 'stream' name")
    schema = body.get("schema")
    properties = schema.get("properties") if isinstance(schema, dict) else None
    if not isinstance(properties, dict):
        raise DataError(f"line {line}: SCHEMA for stream {stream!r} has no 'properties' object")
    keys = body.get("key_properties") or []
    if not isinstance(keys, list) or not all(isinstance(key, str) for key in keys):
        raise DataError(f"line {line}: SCHEMA for stream {stream!r}: bad 'key_properties'")
    missing = [key for key in keys if key not in properties]
    if missing:
        raise DataError(
            f"line {line}: SCHEMA for stream {stream!r}: key property {missing[0]!r} "
            "is not among its properties"
        )
    return stream, properties, keys
