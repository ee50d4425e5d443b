"""A stream's plan (columns, keys, encoders) and its batch of records encoded as COPY CSV rows."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

import msgspec
import orjson

from target_postgres import encode, fastpath
from target_postgres.meta import Reject
from target_postgres.reader import Message

BATCHED_AT = "_sdc_batched_at"
ORDINAL = "_bizops_ordinal"  # arrival order of a row in the staging table; newest wins
# The metadata columns in table order; _sdc_batched_at is the load transaction's time (the
# column's default, or the merge's literal), the others are written with each row.
METADATA_TYPES = {
    "_sdc_extracted_at": "timestamptz",
    "_sdc_received_at": "timestamptz",
    "_sdc_deleted_at": "timestamptz",
    "_sdc_sequence": "bigint",
    "_sdc_table_version": "bigint",
    BATCHED_AT: "timestamptz",
}
# The metadata fields at the end of a row, in this order (the fast path's, see fastpath.TAIL).
ROW_METADATA = (
    "_sdc_deleted_at",
    "_sdc_extracted_at",
    "_sdc_received_at",
    "_sdc_sequence",
    "_sdc_table_version",
)
Validator = Callable[[Mapping[str, Any]], str | None]  # the reason a record misfits, or None
_ENCODER = msgspec.json.Encoder()
RUN_KEYS_LIMIT = 1_000_000  # keys per stream remembered to tell updates from new rows
time_ns = time.time_ns
Mark = tuple[tuple[int, int], int]  # (end of the last whole row, rows), rejects


@dataclasses.dataclass
class Column:
    """One schema property and the column holding it (``type`` as the catalog spells it)."""

    prop: str
    name: str
    type: str
    kinds: frozenset[str] | None  # JSON types the schema allows; None: any value


@dataclasses.dataclass
class StreamPlan:
    """How one stream's records become rows of one table.

    Attributes:
        stream: the Singer stream name.
        schema: the target schema.
        table: the table name.
        columns: one per schema property, in schema order.
        key_properties: the stream's key properties; empty for an append-only stream.
        keys: the primary-key columns, one per key property.
        metadata: the ``_sdc_*`` columns written (``ROW_METADATA`` order, then
            ``_sdc_batched_at``); empty when metadata columns are off.
        check_types: whether values are checked against the schema's JSON types.
        validator: a full JSON Schema check per record (``validate_records: strict``), or None.
    """

    stream: str
    schema: str
    table: str
    columns: list[Column]
    key_properties: tuple[str, ...]
    keys: tuple[str, ...]
    metadata: tuple[str, ...]
    check_types: bool = True
    validator: Validator | None = None
    direct: bool = True  # keyed batches try a plain COPY of their new keys first
    # keys sent in this run while ``direct`` (None once no longer tracked): a row whose key is
    # among them updates a row of this run, the others are new unless stored before the run
    run_keys: set[Any] | None = dataclasses.field(default_factory=set, repr=False)

    def row_columns(self) -> list[str]:
        """The columns of a CSV row, in order (without the ordinal and ``_sdc_batched_at``)."""
        written = [name for name in ROW_METADATA if name in self.metadata]
        return [column.name for column in self.columns] + written


class Batch:
    """Records of one stream waiting for the writer, already encoded as COPY CSV rows.

    The rows live in one buffer, each followed by a newline, after a leading newline that is
    never sent (the fast path writes a row over the newline before it, see :meth:`add_fast`).
    ``_rows`` (end of the last whole row, number of rows) moves in one assignment, so a signal
    arriving in the middle of an add leaves no partial row behind (see :meth:`payload`).
    """

    def __init__(self, plan: StreamPlan, fast: fastpath.FastStream | None = None) -> None:
        self.plan = plan
        self.data = bytearray(b"\n")
        self.lines: list[int] = []
        self.raws: list[bytes] = []
        self.rejects: list[Reject] = []
        self.widen: set[str] = set()  # bigint columns that must become numeric first
        self.first_line: int | None = None  # oldest record (loaded or rejected) of the batch
        self.duplicates = False  # whether a key occurs twice (when not tracked: see _classify)
        # rows whose key came earlier in the run: (start, end) in the payload, row index
        self.updates: list[tuple[int, int, int]] = []
        self.tracked = plan.run_keys is not None  # whether every row was classified
        self.copying: str | None = None  # the rows COPY reads now: all (None), "new", "updates"
        self._rows = (1, 0)
        self._raw_bytes = 0
        self._seen: set[Any] = set()
        self._encoders = self._make_encoders()
        self._encode_row = self._make_row_encoder()
        self._metadata = bool(plan.metadata)
        # a property may itself be a metadata column (_sdc_deleted_at): then it is not repeated
        self._keep = [name in plan.metadata for name in ROW_METADATA]
        self._all_metadata = all(self._keep)
        self._keyed = bool(plan.keys)
        self._tick = 0
        self._now = ""
        self._fast = fast
        self._encode_into = _ENCODER.encode_into

    @property
    def nbytes(self) -> int:
        """Bytes held: the encoded rows and the raw lines kept for rejects."""
        return len(self.data) + self._raw_bytes

    def _clock(self) -> int:
        """The nanosecond tick of a record (its _sdc_sequence); ``_now`` becomes its
        millisecond as ISO text (its _sdc_received_at), formatted once per millisecond."""
        tick = time_ns()
        if tick // 1_000_000 != self._tick:
            self._tick = tick // 1_000_000
            self._now = datetime.fromtimestamp(self._tick / 1000, UTC).isoformat()
        return tick

    def payload(self) -> memoryview:
        """The rows to COPY (whole rows only; call once the batch is no longer added to)."""
        end, count = self._rows
        del self.data[end:]  # a row an interrupted add left half-written
        self.data[end - 1] = 10  # (the fast path had begun writing over this newline)
        del self.lines[count:], self.raws[count:]
        return memoryview(self.data)[1:]

    def mark(self) -> Mark:
        """Where the batch ends now (rows, rejects), for :meth:`detach_after`."""
        return self._rows, len(self.rejects)

    def detach_after(self, mark: Mark) -> Batch:
        """Keep the records added before ``mark``; return the later ones as a new batch."""
        (end, count), kept_rejects = mark
        last, total = self._rows
        tail = Batch(self.plan, self._fast)
        tail.data += self.data[end:last]
        tail.lines, tail.raws = self.lines[count:total], self.raws[count:total]
        tail.rejects = self.rejects[kept_rejects:]
        tail._rows = (len(tail.data), total - count)
        shift = 1 - end
        tail.updates = [(a + shift, b + shift, i - count) for a, b, i in self.updates if i >= count]
        tail.widen, tail.tracked, tail.duplicates = set(self.widen), self.tracked, self.duplicates
        self._rows = (end, count)
        self.payload()  # drops the later rows' bytes, lines and raw lines
        del self.rejects[kept_rejects:]
        self.updates = [update for update in self.updates if update[2] < count]
        for part in (self, tail):
            lines = part.lines[:1] + [reject[1] for reject in part.rejects]
            part.first_line = min(lines) if lines else None
            part._raw_bytes = sum(map(len, part.raws)) + sum(len(r[2]) for r in part.rejects)
        return tail

    def add_fast(self, message: Any, line: bytes, number: int, controls: bool) -> int:
        """Add a RECORD decoded by the fast path; returns the batch's row count, or 0 (nothing
        added: the line takes the full way).

        Args:
            message: the stream's ``fastpath`` envelope Struct.
            line: the raw line.
            number: its line number.
            controls: whether the row's escapes of control characters must become the characters.
        """
        fast = self._fast
        tick = self._clock()
        values = fast.values(message, self._now, tick) if fast is not None else None
        if values is None:
            return 0
        data = self.data
        end, count = self._rows
        # [v1,...,vn] over the previous row's newline, then "[" and "]" become newlines
        self._encode_into(values, data, end - 1)
        data[end - 1] = 10
        data[-1] = 10
        if controls:
            data[end:] = fastpath.unescape_controls(data[end:])
        if self.first_line is None:
            self.first_line = number
        update = self._keyed and self._classify(fast.key(message.record))  # type: ignore[misc]
        self.lines.append(number)
        self.raws.append(line)
        self._raw_bytes += len(line)
        self._rows = (len(data), count + 1)
        if update:  # (after the row counts: an interrupted add leaves no stray span)
            self.updates.append((end - 1, len(data) - 1, count))
        return count + 1

    def _make_encoders(self) -> list[tuple[str, encode.Encoder]]:
        encoders = []
        for column in self.plan.columns:
            encoder = encode.encoder_for(column.type)
            if self.plan.check_types:
                encoder = encode.checked(encoder, column.kinds)
            encoders.append((column.prop, encoder))
        return encoders

    def _make_row_encoder(self) -> encode.RowEncoder | None:
        """The plan's generated row encoder; None when there is no column (metadata only)."""
        if not self.plan.columns:
            return None
        columns = tuple((c.prop, c.type, c.kinds) for c in self.plan.columns)
        return encode.cached_row_encoder(columns, self.plan.check_types)

    def __len__(self) -> int:
        return self._rows[1]

    def __bool__(self) -> bool:
        return self.first_line is not None

    def add(self, record: dict[str, Any], message: Message) -> None:
        """Encode one record of the RECORD ``message``, or keep it aside as a reject."""
        if self.first_line is None:
            self.first_line = message.line
        if b"\\u0000" in message.raw and encode.holds_nul(record):
            record = encode.strip_nul(record)
            self._reject(message, "NUL character(s) removed: PostgreSQL cannot store U+0000", True)
        reason = self.plan.validator(record) if self.plan.validator else None
        try:
            row = self._encode_row(record) if self._encode_row else None
        except encode.Misfit:
            reason = reason or self._misfit(record)
        except (encode.NeedsNumeric, orjson.JSONEncodeError):
            # an integer beyond 64 bits, or an object nested deeper than the inline orjson call
            # writes (254 levels): the per-field encoders widen the column / write any depth
            try:
                row = ",".join(self._widened(record))
            except encode.Misfit:  # another property does not fit either
                reason = reason or self._misfit(record)
        if reason is None and self._metadata:
            try:
                tail = self._metadata_row(record, message.body)
            except encode.NeedsNumeric as exc:
                reason = f"the message's version {exc} does not fit _sdc_table_version (bigint)"
            else:
                row = tail if row is None else row + "," + tail
        if reason is not None:
            self._reject(message, reason, False)
            return
        elif row is None:
            row = ""
        update = False
        if self._keyed:
            keys = self.plan.key_properties
            update = self._classify(
                record[keys[0]] if len(keys) == 1 else tuple(record[k] for k in keys)
            )
        end, count = self._rows
        self.raws.append(message.raw)
        self.lines.append(message.line)
        self._raw_bytes += len(message.raw)
        self.data += (row + "\n").encode("utf-8")
        self._rows = (len(self.data), count + 1)
        if update:
            self.updates.append((end - 1, len(self.data) - 1, count))

    def _classify(self, key: Any) -> bool:
        """Note a row's key; True when the row updates one sent earlier in the run (this batch
        or an earlier one). Untracked (too many keys, or the stream merges anyway), only a key
        repeated inside the batch is noted, as ``duplicates``."""
        seen = self.plan.run_keys
        try:
            if self.tracked and seen is not None:
                if key in seen:
                    return True
                seen.add(key)
                if len(seen) > RUN_KEYS_LIMIT:
                    self.plan.run_keys = None  # memory: from the next row on, untracked
                return False
            if self.tracked:  # tracking ended inside this batch: assume a repeat across the gap
                self.tracked = False
                self.duplicates = True
            elif not self.duplicates:
                if key in self._seen:
                    self.duplicates = True
                    self._seen.clear()
                else:
                    self._seen.add(key)
        except TypeError:  # an object or array as key value: let the merge sort it out
            self.tracked = False
            self.duplicates = True
        return False

    def split(self) -> tuple[bytes, bytes]:
        """The rows of new keys and the rows that update earlier ones, each as COPY data."""
        payload = self.payload()
        new, updates, start = [], [], 0
        for begin, end, _ in self.updates:
            new.append(payload[start:begin])
            updates.append(payload[begin:end])
            start = end
        new.append(payload[start:])
        return b"".join(new), b"".join(updates)

    def row_index(self, position: int, part: str | None) -> int:
        """The batch row of the ``position``-th row (0-based) COPY read from ``part`` (None: all
        rows, "new" or "updates": a :meth:`split` half)."""
        if part is None:
            return position
        updated = [index for _, _, index in self.updates]
        if part == "updates":
            return updated[position]
        skip = set(updated)
        return [index for index in range(len(self)) if index not in skip][position]

    def _metadata_row(self, record: Mapping[str, Any], body: Mapping[str, Any]) -> str:
        """The metadata fields of a row (``ROW_METADATA`` order), joined."""
        tick = self._clock()
        extracted = body.get("time_extracted")
        deleted = record.get("_sdc_deleted_at")
        version = body.get("version")
        values = [
            encode.NULL if deleted is None else encode.scalar(deleted),
            encode.NULL if extracted is None else encode.scalar(extracted),
            '"' + self._now + '"',
            str(tick),
            encode.NULL if version is None else encode.integer(version),
        ]
        if self._all_metadata:
            return ",".join(values)
        return ",".join(value for value, keep in zip(values, self._keep, strict=True) if keep)

    def _misfit(self, record: Mapping[str, Any]) -> str:
        for prop, encoder in self._encoders:
            try:
                encoder(record.get(prop))
            except encode.Misfit as exc:
                return f"property {prop!r}: {exc}"
            except encode.NeedsNumeric:
                continue
        return "a value does not fit its schema"

    def _widened(self, record: Mapping[str, Any]) -> list[str]:
        """Encode a record holding an integer beyond 64 bits; its columns are widened."""
        fields = []
        for index, (prop, encoder) in enumerate(self._encoders):
            try:
                fields.append(encoder(record.get(prop)))
            except encode.NeedsNumeric as exc:
                column = self.plan.columns[index]
                column.type = "numeric"  # later batches of the plan encode for numeric
                self.widen.add(column.name)
                numeric = encode.scalar
                if self.plan.check_types:
                    numeric = encode.checked(numeric, column.kinds)
                self._encoders[index] = (prop, numeric)
                self._encode_row = self._make_row_encoder()
                fields.append(str(exc))
        return fields

    def _reject(self, message: Message, reason: str, loaded: bool) -> None:
        self.rejects.append((self.plan.stream, message.line, message.raw, reason, loaded))
        self._raw_bytes += len(message.raw)
