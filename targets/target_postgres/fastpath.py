"""The fast path for RECORD lines: typed decoding in C straight into COPY CSV rows.

msgspec decodes a line into a Struct made for its stream, checking every value's JSON type on
the way, and encodes the values back as one JSON array. With the COPY options of
:data:`target_postgres.encode.COPY_OPTIONS` (CSV, ``ESCAPE '\\'``, ``NULL 'null'``) the body of
that array *is* the CSV row: numbers exactly as written (kept as raw JSON text), true/false,
null, strings in quotes with ``\\"`` escapes, objects and arrays as JSON text in quotes.

CSV has no escapes for control characters, so a row whose strings hold any gets them back as
the characters themselves (see :func:`unescape_controls`). A line takes this path when it
escapes no NUL, its stream has only columns of the simple kinds below, and each value has the
type its column takes as it is. Anything else -- every message that is not a plain RECORD, a
misfit, a NUL, a key that is missing or null, an integer beyond 64 bits -- goes the full way
through the reader and :class:`~target_postgres.batch.Batch.add`, which writes the same
dialect; so both paths give the same rows, errors and rejects.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from decimal import Decimal
from typing import Annotated, Any, Union

import msgspec

from target_postgres.types import INTEGER_TYPES, JSON_COLUMN_TYPES

BIGINT = Annotated[int, msgspec.Meta(ge=-(2**63), le=2**63 - 1)]
NUMBER_START = frozenset(b"-0123456789n")  # a JSON number, or null
NUMBER_ONLY = NUMBER_START - {ord("n")}
_JSON_START = {"object": b"{", "array": b"["}
_JSON_KINDS = frozenset(_JSON_START)
_PLAIN_ESCAPES = frozenset(b'"\\/')  # msgspec writes these back as CSV reads them
_ESCAPE = re.compile(rb"\\(u[0-9a-fA-F]{4}|.)", re.DOTALL)
_CONTROLS = {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\f"}
# column types a JSON string goes into as it is (PostgreSQL parses dates and times)
_TEXT_TYPES = {"text", "timestamp with time zone", "date", "time without time zone"}
# the metadata a RECORD message carries, in the order of batch.ROW_METADATA after deleted_at
TAIL = (
    ("_sdc_extracted_at", "m.time_extracted"),
    ("_sdc_received_at", "now"),
    ("_sdc_sequence", "tick"),
    ("_sdc_table_version", "m.version"),
)
DecodeError = msgspec.DecodeError  # also raised for a value of the wrong type


@dataclasses.dataclass(frozen=True)
class FastStream:
    """How the fast path reads one stream's records.

    Attributes:
        stream: the stream name (the Struct's tag).
        envelope: the Struct a RECORD line of the stream decodes into.
        values: the values of a message's row (its record's fields, then the metadata from the
            message, the receive time and the tick), raw objects and arrays turned into JSON
            text; None when a raw value does not fit (the line then takes the full way).
        key: the key value of a decoded record (for repeated-key detection), or None.
    """

    stream: str
    envelope: type
    values: Callable[[Any, str, int], tuple[Any, ...] | None]
    key: Callable[[Any], Any] | None


def fast_stream(plan: Any) -> FastStream | None:
    """The fast reader of a stream plan, or None when some column needs the full path.

    Args:
        plan: a :class:`~target_postgres.batch.StreamPlan`.
    """
    if plan.validator is not None or not all(map(_plain_name, (c.prop for c in plan.columns))):
        return None
    fields: list[tuple[Any, ...]] = []
    rename: dict[str, str] = {}
    checks: list[str] = []
    key_values: dict[str, str] = {}  # key property -> the expression of its value
    for index, column in enumerate(plan.columns):
        kind = _field_type(column.type, column.kinds)
        if kind is None:
            return None
        value_type, check = kind
        name = f"f{index}"
        rename[name] = column.prop
        key = column.prop in plan.key_properties
        if key:  # required and not null: else the full path names the missing key
            if check is not None and check != "number":
                return None  # a JSON key: the full path compares its values, not its text
            # a raw number compares as a Decimal (1.0 and 1 are one key, as in the full path)
            key_values[column.prop] = f"D(bytes(r.{name}))" if check else f"r.{name}"
            fields.append((name, value_type))
        else:
            fields.append((name, value_type if check else value_type | None, None))
        if check is not None:
            checks.append(_check_source(name, check, nullable=not key))
    if "_sdc_deleted_at" in plan.metadata:  # not a property: the record may still carry it
        fields.append(("deleted", str | None, None))
        rename["deleted"] = "_sdc_deleted_at"
    record = msgspec.defstruct("Record", fields, rename=rename, kw_only=True, gc=False)
    envelope = msgspec.defstruct(
        "RecordMessage",
        [
            ("type", str),
            ("record", record),
            ("time_extracted", str | None, None),
            ("version", BIGINT | None, None),
        ],
        tag_field="stream",
        tag=plan.stream,
        kw_only=True,
        gc=False,
    )
    scope: dict[str, Any] = {"NUMBER_START": NUMBER_START, "NUMBER_ONLY": NUMBER_ONLY}
    scope["astuple"] = msgspec.structs.astuple
    tail = [source for name, source in TAIL if name in plan.metadata]
    returned = f"astuple(r) + ({', '.join(tail)},)" if tail else "astuple(r)"
    body = ["    r = m.record", *checks, f"    return {returned}"]
    values = _compile("values", ["m", "now", "tick"], body, scope)
    key = None
    if plan.key_properties:
        getter = ", ".join(key_values[prop] for prop in plan.key_properties)
        comma = "," if len(plan.key_properties) > 1 else ""
        key = _compile("key", ["r"], [f"    return ({getter}{comma})"], {"D": _decimal})
    return FastStream(plan.stream, envelope, values, key)


def _decimal(raw: bytes) -> Decimal:
    return Decimal(raw.decode("ascii"))


# A tagged Struct on its own takes a message without the tag field as its own: a RECORD with
# no "stream" would load into the only fast stream. In a union the tag is required, so the
# decoder always holds this envelope too; its tag "" is no stream's name (a SCHEMA needs a
# non-empty one), and a line decoded into it takes the full way, which names the error.
NO_STREAM = msgspec.defstruct("NoStream", [], tag_field="stream", tag="", kw_only=True, gc=False)


def decoder(streams: list[FastStream]) -> msgspec.json.Decoder | None:
    """One decoder for the RECORD lines of every fast stream (a union tagged by ``stream``,
    which a line must name)."""
    if not streams:
        return None
    envelopes = (*(stream.envelope for stream in streams), NO_STREAM)
    return msgspec.json.Decoder(Union[envelopes])  # noqa: UP007


def _plain_name(name: str) -> bool:
    """Whether msgspec takes the property name as a field name (no quote, backslash or control
    character: JSON would escape those)."""
    return not ('"' in name or "\\" in name or any(ord(char) < 32 for char in name))


def escapes(line: bytes) -> bool | None:
    """What the fast path must do about the line's escapes (a few memchr calls).

    Returns:
        None when the line escapes a NUL (the full path removes it and keeps the line);
        True when the encoded row must get its control characters back from msgspec's escapes
        (see :func:`unescape_controls`): the line escapes a character other than a quote, a
        backslash or a slash, or holds a raw tab or carriage return (JSON whitespace, which an
        object kept as text carries); False when nothing needs doing.
    """
    fix = 9 in line or 13 in line  # a tab or CR (an int operand: one memchr)
    end = len(line) - 1
    at = line.find(92)  # a backslash
    while at >= 0:
        escaped = line[at + 1] if at < end else 0
        if escaped not in _PLAIN_ESCAPES:
            if escaped == 117 and line[at + 2 : at + 6] == b"0000":  # \u0000
                return None
            fix = True
        at = line.find(92, at + 2)
    return fix


def unescape_controls(row: bytes) -> bytes:
    """The encoded row with msgspec's escapes of control characters (\\n, \\t, \\u001b, ...)
    turned back into the characters, which CSV keeps as they are inside quotes; \\" and \\\\
    stay (COPY's escapes), read left to right as JSON does."""
    return _ESCAPE.sub(_unescape, row)


def _unescape(match: re.Match[bytes]) -> bytes:
    code = match.group(1)
    if len(code) == 5:  # uXXXX
        return chr(int(code[1:], 16)).encode("utf-8")
    return _CONTROLS.get(code, match.group(0))


def _field_type(column_type: str, kinds: frozenset[str] | None) -> tuple[Any, str | None] | None:
    """The Struct field type of a column's non-null values and the check a raw value needs
    (None: the type says it all), or None when the column needs the full path."""
    if kinds is None:
        return None
    if column_type in JSON_COLUMN_TYPES:
        return (msgspec.Raw, "json:" + ",".join(sorted(kinds))) if kinds <= _JSON_KINDS else None
    if column_type in INTEGER_TYPES:
        return (BIGINT, None) if kinds == {"integer"} else None
    if column_type == "numeric":
        if kinds == {"integer"}:
            return int, None
        return (msgspec.Raw, "number") if kinds <= {"integer", "number"} else None
    if column_type == "boolean":
        return (bool, None) if kinds == {"boolean"} else None
    if column_type in _TEXT_TYPES:
        return (str, None) if kinds == {"string"} else None
    return None


def _check_source(name: str, check: str, nullable: bool) -> str:
    """Source lines checking (and for JSON, converting) one raw field of the record ``r``,
    returning None when it does not fit; see :func:`_compile`.

    A missing value is None (written as null); a JSON null is a raw ``null`` (written as it is).
    """
    lines = [f"    b = r.{name}"]
    if nullable:
        lines += ["    if b is not None:"]
    indent = "        " if nullable else "    "
    body = ["b = bytes(b)"]
    if check == "number":
        allowed = "NUMBER_START" if nullable else "NUMBER_ONLY"
        body += [f"if b[0] not in {allowed}:", "    return None"]
    else:
        kinds = check.removeprefix("json:").split(",")
        test = " or ".join(f"b[0] == {_JSON_START[kind][0]}" for kind in kinds)
        body += [f"if {test}:", f"    r.{name} = b.decode()"]
        body += ["elif b[0] != 110:" if nullable else "else:", "    return None"]
    return "\n".join(lines + [indent + line for line in body])


def _compile(name: str, args: list[str], body: list[str], scope: dict[str, Any]) -> Any:
    """A function from fixed source snippets (field names are ``f<i>``; nothing from the input
    is formatted into the code)."""
    source = "\n".join([f"def {name}({', '.join(args)}):", *body])
    exec(compile(source, f"<fast {name}>", "exec"), scope)  # noqa: S102 - our own source
    return scope[name]
